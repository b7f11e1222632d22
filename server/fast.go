package server

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/valyala/fasthttp"
)

// fastHandler is the server over fasthttp: the decision routes answered
// natively (decisionRoutes over a fastExchange, with the middleware's
// requestState), every other request by the net/http handler through
// netHTTP. Requests run in base, which nothing cancels: work in flight at
// a shutdown is finished, not abandoned.
func (s *Server) fastHandler(base context.Context) fasthttp.RequestHandler {
	rest := &netHTTP{h: s.h, base: base, logger: s.logger}
	return func(rc *fasthttp.RequestCtx) {
		if route := s.decisionRoute(rc); route != nil {
			s.serveDecision(base, rc, route)
			return
		}
		rest.serve(rc)
	}
}

// decisionRoute returns the decision route rc asks for, or nil. The
// request target must be the route's path exactly, as the net/http
// handler's hotRoutes has it: anything else (a query, an absolute URL, a
// path to clean) goes to the net/http handler, whose mux answers it as
// it always has.
func (s *Server) decisionRoute(rc *fasthttp.RequestCtx) *decisionRoute {
	if !rc.IsPost() || len(rc.Request.Header.Host()) == 0 {
		return nil
	}
	switch string(rc.Request.Header.RequestURI()) {
	case s.hot.eval.path:
		return &s.hot.eval
	case s.hot.evals.path:
		return &s.hot.evals
	}
	return nil
}

// fastRequest is a decision request's state over fasthttp, in one
// allocation.
type fastRequest struct {
	st  requestState
	x   fastExchange
	ctx infoContext
}

// serveDecision answers a decision request over fasthttp, with what the
// net/http handler's middleware does around the route: the request id,
// the metrics and the log line (requestState), panics recovered to 500.
func (s *Server) serveDecision(base context.Context, rc *fasthttp.RequestCtx, route *decisionRoute) {
	fr := &fastRequest{}
	var clientID string
	if v := rc.Request.Header.PeekCanonical(keyRequestID); len(v) > 0 {
		clientID = string(v)
	}
	fr.st.begin(s.m, clientID)
	fr.ctx = infoContext{Context: base, ri: &fr.st.info}
	fr.x.rc = rc
	ctx := &fr.ctx
	rc.Response.Header.SetCanonical(keyRequestID, []byte(fr.st.info.id))
	defer func() {
		if v := recover(); v != nil {
			logPanic(ctx, s.logger, route.pattern, v)
			// nothing has been sent: fasthttp writes the response once the
			// handler returns, so the 500 replaces whatever was begun
			rc.Response.Reset()
			rc.Response.Header.Set("X-Request-Id", fr.st.info.id)
			writeRequestErr(&fr.x, internalError(ctx))
		}
		fr.st.end(ctx, s.logger, s.m, http.MethodPost, route.pattern, route.path, fr.x.status, contentLength(rc), fr.x.bytes)
		closeLingering(rc, fr.x.read)
	}()
	if fr.st.badID {
		writeRequestErr(&fr.x, errBadRequestID)
		return
	}
	s.hot.serve(ctx, &fr.x, route)
}

// infoContext carries a request's requestInfo, as observe's
// context.WithValue does, without an allocation of its own.
type infoContext struct {
	context.Context
	ri *requestInfo
}

func (c *infoContext) Value(key any) any {
	if key == (infoKey{}) {
		return c.ri
	}
	return c.Context.Value(key)
}

// fastExchange is fasthttp's exchange.
type fastExchange struct {
	rc     *fasthttp.RequestCtx
	status int
	bytes  int64 // of the answer
	read   int64 // of the request's body
}

// Header names as fasthttp keeps them (normalised), so that reading and
// setting the ones each decision uses skips normalising a copy of the name.
var (
	keyAuthorization = []byte("Authorization")
	keyRequestID     = []byte("X-Request-Id")
	keyNoSniff       = []byte("X-Content-Type-Options")
	valueNoSniff     = []byte(noSniff[0])
)

func (x *fastExchange) header(name string) string {
	h := &x.rc.Request.Header
	switch name {
	case "Content-Type":
		ct := h.ContentType()
		if string(ct) == "application/json" {
			return "application/json" // what clients send: no copy
		}
		return string(ct)
	case "Authorization":
		return string(h.PeekCanonical(keyAuthorization))
	}
	return string(h.Peek(name))
}

func (x *fastExchange) setHeader(name, value string) { x.rc.Response.Header.Set(name, value) }

var jsonContentTypeBytes = []byte(jsonContentType[0])

func (x *fastExchange) writeJSON(status int, body []byte) {
	x.status, x.bytes = status, int64(len(body))
	writeFastJSON(x.rc, status, body)
}

// writeFastJSON answers status with a JSON body over fasthttp.
func writeFastJSON(rc *fasthttp.RequestCtx, status int, body []byte) {
	rc.SetStatusCode(status)
	rc.Response.Header.SetContentTypeBytes(jsonContentTypeBytes)
	rc.Response.Header.SetCanonical(keyNoSniff, valueNoSniff)
	rc.SetBody(body)
}

// readBody reads the body from the request's stream (Serve streams request
// bodies: each route reads only what it takes). A body over the limit by
// its length is refused unread (closeLingering drops the rest).
func (x *fastExchange) readBody(limit int64) ([]byte, *requestError) {
	n := int64(x.rc.Request.Header.ContentLength()) // -1 chunked, -2 none
	if n > limit {
		return nil, bodyTooLarge(limit)
	}
	r := x.rc.RequestBodyStream()
	if r == nil || n == 0 || n == -2 {
		return []byte{}, nil
	}
	if n > 0 { // read at once, in a buffer of the right size
		body := make([]byte, n)
		k, err := io.ReadFull(r, body)
		x.read = int64(k)
		if err != nil {
			return nil, badField("body", "reading the body: %v", err)
		}
		return body, nil
	}
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	x.read = int64(len(body))
	if err != nil {
		return nil, badField("body", "reading the body: %v", err)
	}
	if int64(len(body)) > limit {
		return nil, bodyTooLarge(limit)
	}
	return body, nil
}

// maxUnreadDrained is how much of a body its handler left unread fasthttp
// reads and drops itself before the connection's next request (its
// maxUnreadStreamBodySize); beyond it, fasthttp closes the connection.
const maxUnreadDrained = 256 << 10

// lingerTimeout bounds how long closeLingering reads what a client still
// sends.
const lingerTimeout = 2 * time.Second

// closeLingering, when a handler answered a request (a 413) leaving more of
// its body unread than fasthttp drains, writes the answer itself with
// Connection: close and reads what remains of the body for a while before
// closing: a connection closed while the client still sends is reset, and
// the client may then lose the answer. net/http closes such a connection
// with a lingering wait too.
func closeLingering(rc *fasthttp.RequestCtx, read int64) {
	n := int64(rc.Request.Header.ContentLength())
	if n < 0 || n-read <= maxUnreadDrained {
		return
	}
	rc.Response.Header.SetConnectionClose()
	var b bytes.Buffer
	bw := bufio.NewWriter(&b)
	if err := rc.Response.Write(bw); err != nil || bw.Flush() != nil {
		return // fasthttp answers and closes as it does
	}
	answer := b.Bytes()
	rc.HijackSetNoResponse(true)
	rc.Hijack(func(c net.Conn) { // fasthttp closes c after it
		if _, err := c.Write(answer); err != nil {
			return
		}
		c.SetReadDeadline(time.Now().Add(lingerTimeout))
		io.Copy(io.Discard, io.LimitReader(c, n-read))
	})
}

// contentLength is the request's Content-Length as net/http has it: -1
// when chunked, 0 without a body.
func contentLength(rc *fasthttp.RequestCtx) int64 {
	n := rc.Request.Header.ContentLength()
	if n == -2 { // neither Content-Length nor Transfer-Encoding
		n = 0
	}
	return int64(n)
}
