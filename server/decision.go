package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/credo-org/credo"
)

// The decision routes, POST /access/v1/evaluation and /evaluations, are
// asked far more than any other, and are served over two transports: by
// net/http through NewServer's handler (tests, httptest, any net/http
// server), and natively by fasthttp in Serve, where net/http's own cost
// per request would be most of a decision's. They are written once, over
// an exchange, which each transport implements; the middleware's work
// (request ids, metrics, the log line, panics) is shared the same way
// (requestState).

// exchange is one request and its answer, as a decision route sees them.
type exchange interface {
	// header returns the value of the request's header name, "" when
	// absent. It may be a copy or not: not to be kept past the request.
	header(name string) string
	// readBody reads the request's body, of at most limit bytes (413
	// beyond), into memory of its own that is never reused: the bytes are
	// the caller's for good (the decisions' strings are views of them,
	// which the audit trail keeps past the request).
	readBody(limit int64) ([]byte, *requestError)
	// setHeader sets a header of the answer.
	setHeader(name, value string)
	// writeJSON answers status with body, a JSON document: Content-Type
	// application/json and X-Content-Type-Options nosniff. The exchange
	// copies body before it returns.
	writeJSON(status int, body []byte)
}

// httpExchange is net/http's exchange.
type httpExchange struct {
	w http.ResponseWriter
	r *http.Request
}

func (x *httpExchange) header(name string) string    { return x.r.Header.Get(name) }
func (x *httpExchange) setHeader(name, value string) { x.w.Header().Set(name, value) }

func (x *httpExchange) readBody(limit int64) ([]byte, *requestError) {
	if n := x.r.ContentLength; n > 0 && n <= limit { // read at once, in a buffer of the right size
		body := make([]byte, n)
		if _, err := io.ReadFull(x.r.Body, body); err != nil {
			return nil, badField("body", "reading the body: %v", err)
		}
		return body, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(x.w, x.r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, bodyTooLarge(limit)
		}
		return nil, badField("body", "reading the body: %v", err)
	}
	return body, nil
}

// Header values the JSON answers share (never changed).
var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	noSniff         = []string{"nosniff"}
)

func (x *httpExchange) writeJSON(status int, body []byte) {
	h := x.w.Header()
	h["Content-Type"] = jsonContentType
	h["X-Content-Type-Options"] = noSniff
	if len(body) > 2000 { // net/http sets a short body's length itself; a long one would be chunked
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	x.w.WriteHeader(status)
	x.w.Write(body) // the client may be gone; there is no one left to tell
}

func bodyTooLarge(limit int64) *requestError {
	return &requestError{status: http.StatusRequestEntityTooLarge, field: "body", msg: fmt.Sprintf("the body is larger than %d bytes", limit)}
}

// readJSONBody reads a JSON request body of at most limit bytes, checking
// its content type first.
func readJSONBody(x exchange, limit int64) ([]byte, *requestError) {
	if ct := x.header("Content-Type"); ct != "" && ct != "application/json" {
		// JSON, or what curl -d sends when not told: the body decides
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json") &&
			mt != "application/x-www-form-urlencoded" && mt != "text/plain") {
			return nil, &requestError{status: http.StatusUnsupportedMediaType, field: "Content-Type", msg: fmt.Sprintf("Content-Type %q: send application/json", ct)}
		}
	}
	return x.readBody(limit)
}

// writeRequestErr answers e, with its challenge for a 401.
func writeRequestErr(x exchange, e *requestError) {
	if e.challenge != "" {
		x.setHeader("WWW-Authenticate", e.challenge)
	}
	x.writeJSON(e.status, jsonBody(errorBody{Error: e.msg, Field: e.field}))
}

// writeAnswer answers 200 with the body fill appends, from a pooled
// buffer.
func writeAnswer(x exchange, fill func([]byte) []byte) {
	bp := bufPool.Get().(*[]byte)
	b := fill((*bp)[:0])
	b = append(b, '\n')
	x.writeJSON(http.StatusOK, b)
	if cap(b) <= 64<<10 {
		*bp = b[:0]
		bufPool.Put(bp)
	}
}

// decisionRoute is one decision route.
type decisionRoute struct {
	pattern string // as the mux has it, and as logs and metrics name it
	path    string
	limit   int64 // on the body
	answer  func(ctx context.Context, x exchange, p *principal, body []byte)
}

// decisionRoutes serves the decision routes over any exchange.
type decisionRoutes struct {
	logger      *slog.Logger
	store       credo.Store
	consumers   credo.Consumers
	d           *decider
	eval, evals decisionRoute
}

// deciders are the roles that may ask decisions.
var deciders = []credo.Role{credo.RoleConsumer, credo.RoleOperator}

func newDecisionRoutes(logger *slog.Logger, store credo.Store, cfg Config) *decisionRoutes {
	d := &decider{logger: logger, table: cfg.Decisions, audit: cfg.Audit}
	return &decisionRoutes{logger: logger, store: store, consumers: cfg.Consumers, d: d,
		eval:  decisionRoute{"POST /access/v1/evaluation", "/access/v1/evaluation", maxEvaluationBody, d.evaluation},
		evals: decisionRoute{"POST /access/v1/evaluations", "/access/v1/evaluations", maxEvaluationsBody, d.evaluations},
	}
}

// serve answers a request to route, in the order the net/http routes
// check theirs: no decision table (503), then the key (401, 403), then
// the body (415, 413, 400), then the decisions.
func (s *decisionRoutes) serve(ctx context.Context, x exchange, route *decisionRoute) {
	if s.d.table == nil {
		writeRequestErr(x, errNoDecisions)
		return
	}
	p, err := authorize(ctx, s.logger, s.store, s.consumers, x.header("Authorization"), route.pattern, deciders...)
	if err != nil {
		writeRequestErr(x, err)
		return
	}
	body, err := readJSONBody(x, route.limit)
	if err != nil {
		writeRequestErr(x, err)
		return
	}
	route.answer(ctx, x, p, body)
}

// handler is route over net/http, below the middleware.
func (s *decisionRoutes) handler(route *decisionRoute) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(r.Context(), &httpExchange{w, r}, route)
	})
}
