package server

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// requestInfo is what the log line and the metrics of one request need
// from the handlers below the middleware: they fill it in as they learn it.
type requestInfo struct {
	id       string // the request id: X-Request-ID when the client sent one
	source   string // the authenticated source, if any
	consumer string // the authenticated consumer (or operator, auditor, subject key), if any
}

type infoKey struct{}

func info(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

// maxRequestIDLen bounds a client's X-Request-ID.
const maxRequestIDLen = 128

// validRequestID reports whether id can name a request: it becomes the
// provenance of records and part of quarantine ids, so it is kept to
// letters, digits, '-', '_' and '.'.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// newRequestID returns 96 random bits in hex: unique in its first 12
// characters too, which quarantine ids keep. The bits come from the
// runtime's ChaCha8 generator, seeded from the operating system: ids must
// be unique, not secret, and a system call a request would cost more than
// the rest of making a decision.
func newRequestID() string {
	var b [24]byte
	x, y := rand.Uint64(), rand.Uint32()
	const hexDigits = "0123456789abcdef"
	for i := range 16 {
		b[i] = hexDigits[x>>(60-4*i)&0xf]
	}
	for i := range 8 {
		b[16+i] = hexDigits[y>>(28-4*i)&0xf]
	}
	return string(b[:])
}

// requestState is what the middleware keeps of a request, over either
// transport: its id, whom it comes from, when it began.
type requestState struct {
	info     requestInfo
	start    time.Time
	badID    bool // the client's X-Request-ID is not one: 400
	w        statusWriter
	idHeader [1]string
}

// begin starts a request whose X-Request-ID is clientID ("" : none): it
// gets its id (the client's when valid, else a new one) and is counted
// in flight until end.
func (st *requestState) begin(m *metrics, clientID string) {
	st.start = time.Now()
	st.info.id = clientID
	st.badID = clientID != "" && !validRequestID(clientID)
	if clientID == "" || st.badID {
		st.info.id = newRequestID()
	}
	st.idHeader[0] = st.info.id
	m.inFlight.Inc()
}

// errBadRequestID is the answer to a malformed X-Request-ID.
var errBadRequestID = &requestError{status: http.StatusBadRequest, field: "X-Request-ID",
	msg: fmt.Sprintf("X-Request-ID must be 1 to %d letters, digits, '-', '_' or '.'", maxRequestIDLen)}

// end counts the request, answered with status (0 : 200) on route ("" :
// no route matched), and logs it: the method, route, path, status,
// duration, sizes, source, consumer and request id — never a header's
// value, the query string or the body, where a key could be.
func (st *requestState) end(ctx context.Context, logger *slog.Logger, m *metrics, method, route, path string, status int, bytesIn, bytesOut int64) {
	m.inFlight.Dec()
	if route == "" {
		route = "unmatched"
	}
	if status == 0 {
		status = http.StatusOK
	}
	took := time.Since(st.start)
	m.observe(route, status, took)
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case status == http.StatusOK && strings.HasPrefix(route, "POST /access/v1/evaluation"):
		// a decision answered: it is on the audit trail, under its
		// request id, with more than this line would say
		level = slog.LevelDebug
	}
	if !logger.Enabled(ctx, level) {
		return
	}
	ri := &st.info
	logger.LogAttrs(ctx, level, "request",
		slog.String("method", method),
		slog.String("route", route),
		slog.String("path", path),
		slog.Int("status", status),
		slog.Duration("duration", took),
		slog.Int64("bytes_in", bytesIn),
		slog.Int64("bytes_out", bytesOut),
		slog.String("source", ri.source),
		slog.String("consumer", ri.consumer),
		slog.String("request_id", ri.id),
	)
}

// statusWriter remembers the status written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe gives every request its id (echoed in X-Request-ID), then logs
// it and counts it once it is done (requestState).
func observe(logger *slog.Logger, m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &requestState{} // one allocation for the request's state, its writer and its id header
		st.begin(m, r.Header.Get("X-Request-ID"))
		w.Header()["X-Request-Id"] = st.idHeader[:] // the canonical form of X-Request-ID
		st.w.ResponseWriter = w
		sw := &st.w
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, &st.info))
		defer func() {
			st.end(r.Context(), logger, m, r.Method, r.Pattern, r.URL.Path, sw.status, r.ContentLength, sw.bytes)
		}()
		if st.badID {
			writeRequestError(sw, errBadRequestID)
			return
		}
		next.ServeHTTP(sw, r)
	})
}

// logPanic logs a handler's panic, with the stack.
func logPanic(ctx context.Context, logger *slog.Logger, route string, v any) {
	logger.ErrorContext(ctx, "panic serving request",
		slog.String("route", route),
		slog.String("request_id", info(ctx).id),
		slog.Any("panic", v),
		slog.String("stack", string(debug.Stack())))
}

// internalError is the answer to a request whose handler panicked.
func internalError(ctx context.Context) *requestError {
	return &requestError{status: http.StatusInternalServerError, msg: "internal error (request " + info(ctx).id + ")"}
}

// recoverPanics turns a panicking handler into a 500 and a logged error
// with the stack, rather than a dropped connection.
func recoverPanics(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			logPanic(r.Context(), logger, r.Pattern, v)
			if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
				return // the response has begun: nothing more can be said
			}
			writeRequestError(w, internalError(r.Context()))
		}()
		next.ServeHTTP(w, r)
	})
}
