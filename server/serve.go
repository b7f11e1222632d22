package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// Timeouts of Serve's connections.
const (
	// readTimeout bounds the wait for a new connection's first request
	// and, from a request's first byte, the reading of its headers (and
	// of a decision's body); net/http's ReadHeaderTimeout was the same.
	// The other routes' bodies have no bound, as under net/http: a
	// records body of 32 MiB may come slowly.
	readTimeout = 10 * time.Second
	// idleTimeout bounds the wait for a keep-alive connection's next
	// request.
	idleTimeout = 2 * time.Minute
	// readBufferSize is a connection's read buffer, which bounds a
	// request's line and headers (431 beyond): credo's requests carry a
	// key and a few short headers, and 10,000 held connections cost 8 KiB
	// each for it.
	readBufferSize = 8 << 10
)

// Serve serves h on ln until ctx ends, then shuts down gracefully: it
// stops accepting connections and waits up to grace for the requests in
// flight to finish (an ingest under way completes and is answered). It
// returns nil after a clean shutdown.
//
// It serves with fasthttp, whose cost per request is a fraction of
// net/http's. A handler made by NewServer answers the decision routes
// natively there (and every other route through its net/http handler);
// any other handler serves every request through net/http's interface.
// Request bodies stream in: each route reads what it takes, within its
// own limit.
func Serve(ctx context.Context, logger *slog.Logger, ln net.Listener, h http.Handler, grace time.Duration) error {
	// Requests are not cancelled when ctx ends: in-flight work is
	// finished, not abandoned.
	base := context.WithoutCancel(ctx)
	maxBody := int64(DefaultMaxBodyBytes)
	var handler fasthttp.RequestHandler
	if s, ok := h.(*Server); ok {
		handler, maxBody = s.fastHandler(base), s.maxBody
	} else {
		handler = (&netHTTP{h: h, base: base, logger: logger}).serve
	}
	conns := &connSet{m: map[net.Conn]struct{}{}}
	srv := &fasthttp.Server{
		Handler:      handler,
		ErrorHandler: answerBadRequest,
		ReadTimeout:  readTimeout,
		IdleTimeout:  idleTimeout,
		// Bodies stream: the handlers read them within their limits (64
		// KiB a decision, 4 MiB a batch, MaxBodyBytes a records request,
		// after its turn to ingest), and none is held whole before its
		// route sees it. The limit here only says how much fasthttp reads
		// ahead (at most 8 KiB).
		StreamRequestBody:            true,
		MaxRequestBodySize:           int(maxBody),
		DisablePreParseMultipartForm: true, // no route takes a form: never spooled to disk
		ReadBufferSize:               readBufferSize,
		NoDefaultServerHeader:        true, // net/http sent none
		NoDefaultContentType:         true, // every answer says its own
		CloseOnShutdown:              true, // answers during the shutdown close their connection
		SecureErrorLogMessage:        true, // no request's content in an error logged
		Logger:                       fastLogger{logger},
		ConnState:                    conns.track,
		// fasthttp would read the clock for every request, for
		// RequestCtx.Time, which credo does not use.
		LazyRequestTime: true,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("serving", slog.String("addr", ln.Addr().String()))
	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight", slog.Duration("grace", grace))
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.ShutdownWithContext(sctx); err != nil {
		conns.closeAll() // as net/http's Close: what is still in flight is cut
		return fmt.Errorf("shut down within %s: %w", grace, err)
	}
	if err := <-errc; err != nil {
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	}
	logger.Info("stopped")
	return nil
}

// answerBadRequest answers a request fasthttp could not read, in JSON
// like every other error.
func answerBadRequest(rc *fasthttp.RequestCtx, err error) {
	status, msg := http.StatusBadRequest, "malformed request"
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.As(err, &small):
		status, msg = http.StatusRequestHeaderFieldsTooLarge, fmt.Sprintf("the request line and headers are larger than %d bytes", readBufferSize)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		status, msg = http.StatusRequestEntityTooLarge, "the body is too large"
	}
	var timeout interface{ Timeout() bool }
	if errors.As(err, &timeout) && timeout.Timeout() {
		status, msg = http.StatusRequestTimeout, "the request took too long to arrive"
	}
	writeFastJSON(rc, status, jsonBody(errorBody{Error: msg}))
}

// fastLogger is fasthttp's log, as warnings of the server's.
type fastLogger struct{ logger *slog.Logger }

func (l fastLogger) Printf(format string, args ...any) {
	l.logger.Warn("http server: " + fmt.Sprintf(format, args...))
}

// connSet holds the open connections, to cut those a shutdown's grace did
// not see finish.
type connSet struct {
	mu sync.Mutex
	m  map[net.Conn]struct{}
}

// track follows a connection's state; the states of each request
// (active, idle) cost nothing.
func (s *connSet) track(c net.Conn, state fasthttp.ConnState) {
	switch state {
	case fasthttp.StateNew:
		s.mu.Lock()
		s.m[c] = struct{}{}
		s.mu.Unlock()
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		s.mu.Lock()
		delete(s.m, c)
		s.mu.Unlock()
	}
}

func (s *connSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.m {
		c.Close()
	}
}
