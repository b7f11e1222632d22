package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"time"

	"github.com/valyala/fasthttp"
)

// netHTTP serves fasthttp's requests with a net/http handler: every route
// but the decisions. It is not fasthttpadaptor, which (in v1.78.0) reads
// the whole body before the handler runs, even with StreamRequestBody —
// a records body of 32 MiB held per connection before its ingest's turn,
// and a body that streams, as a source's may, never handed over until it
// ends — runs each request on a goroutine of its own, and gives the
// handler the RequestCtx as its context, which Shutdown cancels: an
// ingest in flight would be abandoned rather than finished. Here the
// handler reads the body as it streams in, on the connection's goroutine,
// in base; its answer is buffered and sent when it returns (no route
// flushes or hijacks).
type netHTTP struct {
	h      http.Handler
	base   context.Context
	logger *slog.Logger
}

func (b *netHTTP) serve(rc *fasthttp.RequestCtx) {
	var body io.LimitedReader // the body as the handler reads it: N counts down what it took
	body.N = math.MaxInt64
	r, err := b.request(rc, &body)
	if err != nil {
		writeFastJSON(rc, http.StatusBadRequest, jsonBody(errorBody{Error: err.Error()}))
		return
	}
	if r.Body != http.NoBody {
		// The body is read while the handler runs, with no bound on its
		// time, as under net/http (whose ReadHeaderTimeout readTimeout
		// stands for): a source's 32 MiB may come slowly. fasthttp sets
		// the next request's deadline itself.
		rc.SetReadDeadline(time.Time{})
	}
	w := &fastResponseWriter{rc: rc, h: http.Header{}}
	defer func() {
		if v := recover(); v != nil {
			// As net/http does with a panic that leaves its handler (the
			// middleware turns the others into a 500): the connection is
			// dropped, the panic logged unless it is ErrAbortHandler.
			if v != http.ErrAbortHandler {
				b.logger.Error("panic serving request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			}
			rc.Response.Reset()
			rc.HijackSetNoResponse(true)
			rc.Hijack(func(net.Conn) {}) // fasthttp closes the connection after it
		}
	}()
	b.h.ServeHTTP(w, r)
	w.finish()
	closeLingering(rc, math.MaxInt64-body.N)
}

// request makes the net/http request of rc. Everything is copied (a
// handler may keep a header's value, as the request id): only the body
// reads from the connection, and only while the handler runs.
func (b *netHTTP) request(rc *fasthttp.RequestCtx, body *io.LimitedReader) (*http.Request, error) {
	h := &rc.Request.Header
	if len(h.Host()) == 0 && h.IsHTTP11() {
		return nil, fmt.Errorf("missing required Host header") // as net/http answers it
	}
	uri := string(h.RequestURI())
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, fmt.Errorf("malformed request target: %v", err)
	}
	r := &http.Request{
		Method:        string(h.Method()),
		URL:           u,
		Proto:         string(h.Protocol()),
		Header:        http.Header{},
		ContentLength: contentLength(rc),
		Body:          http.NoBody,
		Host:          string(h.Host()),
		RemoteAddr:    rc.RemoteAddr().String(),
		RequestURI:    uri,
		Close:         h.ConnectionClose(),
	}
	var ok bool
	if r.ProtoMajor, r.ProtoMinor, ok = http.ParseHTTPVersion(r.Proto); !ok {
		r.ProtoMajor, r.ProtoMinor = 1, 1
	}
	for k, v := range h.All() {
		switch string(k) {
		case "Host": // r.Host, as net/http has it
		case "Transfer-Encoding":
			r.TransferEncoding = append(r.TransferEncoding, string(v))
		default:
			r.Header.Add(string(k), string(v))
		}
	}
	if s := rc.RequestBodyStream(); s != nil && r.ContentLength != 0 {
		body.R = s
		r.Body = io.NopCloser(body)
	}
	return r.WithContext(b.base), nil
}

// fastResponseWriter is the net/http handler's http.ResponseWriter: the
// status and headers go to the fasthttp response at WriteHeader, as
// net/http sends them then; the body is buffered in it.
type fastResponseWriter struct {
	rc    *fasthttp.RequestCtx
	h     http.Header
	wrote bool
}

func (w *fastResponseWriter) Header() http.Header { return w.h }

func (w *fastResponseWriter) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code)) // as net/http
	}
	if w.wrote || code < 200 { // a second status, or an interim one: not sent
		return
	}
	w.wrote = true
	w.rc.SetStatusCode(code)
	for k, vv := range w.h {
		switch k {
		case "Content-Length", "Transfer-Encoding": // fasthttp frames the buffered body itself
			continue
		}
		for _, v := range vv {
			w.rc.Response.Header.Add(k, v)
		}
	}
}

func (w *fastResponseWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.rc.Write(p)
}

// finish completes the response once the handler has returned: 200 when
// it wrote nothing, and a Content-Type sniffed from the body when it set
// none, as net/http does.
func (w *fastResponseWriter) finish() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if body := w.rc.Response.Body(); len(body) > 0 && len(w.rc.Response.Header.ContentType()) == 0 {
		w.rc.Response.Header.SetContentType(http.DetectContentType(body[:min(len(body), 512)]))
	}
}
