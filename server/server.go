// Package server is credo's HTTP interface: the stream API through which
// sources send records, the OpenID AuthZEN decision API through which
// consuming services ask decisions (answered from the decision table, and
// every one put on the audit trail), the subjects' inquiries and
// adverse-action notices, the registry of consumers' and subjects' keys,
// the public counterparty check, health and readiness probes, and
// Prometheus metrics.
//
// NewServer builds the whole handler from its dependencies; every route is
// listed in addRoutes, every handler is made by a function that takes what
// it needs, and the cross-cutting concerns (request ids, logging, metrics,
// panics) are middleware functions around the routes. Serve serves it with
// fasthttp: the decision routes, asked tens of thousands of times a
// second, natively (decision.go, fast.go), everything else through the
// net/http handler (bridge.go).
package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/decide"
	"github.com/credo-org/credo/ingest"
	"github.com/credo-org/credo/policy"
)

// KeyCacheTTL is how long the server trusts what it last read of a
// consumer's (or operator's, auditor's, subject's) key: a key revoked while
// the server runs stops working within it.
const KeyCacheTTL = 5 * time.Second

// DefaultMaxBodyBytes caps the body of one records request.
const DefaultMaxBodyBytes = 32 << 20

// Config tunes the server. The zero value is the production setting.
type Config struct {
	// MaxBodyBytes caps a records request's body; DefaultMaxBodyBytes when 0.
	MaxBodyBytes int64
	// MaxConcurrentIngests caps how many records requests are read and
	// ingested at once (each holds its body in memory); 4 when 0. Requests
	// beyond it wait their turn.
	MaxConcurrentIngests int
	// Ingester runs the ingests; one over the store with the server's
	// logger when nil.
	Ingester *ingest.Ingester
	// Registry receives the server's metrics and is what /metrics serves;
	// a new one when nil. Never the global default registry.
	Registry *prometheus.Registry

	// Decisions is the decision table the AuthZEN API answers from; the
	// decision endpoints answer 503 without it.
	Decisions *decide.Table
	// Consumers authenticates the keys of consumers, operators, auditors
	// and subjects; the store's when nil and the store keeps them.
	Consumers credo.Consumers
	// Audit puts every decision on the record (see NewAuditLog); the
	// caller closes it after the server has stopped. Without it decisions
	// go unrecorded: only tests do that.
	Audit *AuditLog
	// Inquiries reads the audit trail; the store's when nil and the store
	// keeps it.
	Inquiries credo.Audit
	// CheckPerMinute and CheckBurst rate-limit the public counterparty
	// check per client address: 30 a minute after a burst of 10 when 0.
	CheckPerMinute, CheckBurst int
}

// Server is credo's HTTP interface over a store: an http.Handler serving
// every route, which Serve serves with fasthttp, the decision routes
// answered natively there (see fastHandler).
type Server struct {
	logger *slog.Logger
	m      *metrics
	h      http.Handler    // every route, through the middleware
	hot    *decisionRoutes // the decision routes, over either transport
	// maxBody is the largest body a route takes (the records'), for the
	// fasthttp server's setting.
	maxBody int64
}

// NewServer returns credo's HTTP handler over store.
func NewServer(logger *slog.Logger, store credo.Store, cfg Config) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxConcurrentIngests <= 0 {
		cfg.MaxConcurrentIngests = 4
	}
	if cfg.Ingester == nil {
		cfg.Ingester = &ingest.Ingester{Store: store, Log: logger}
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.Consumers == nil {
		cfg.Consumers, _ = store.(credo.Consumers)
	}
	if cfg.Consumers != nil {
		cfg.Consumers = newKeyCache(cfg.Consumers, KeyCacheTTL)
	}
	if cfg.Inquiries == nil {
		cfg.Inquiries, _ = store.(credo.Audit)
	}
	if cfg.CheckPerMinute <= 0 {
		cfg.CheckPerMinute = 30
	}
	if cfg.CheckBurst <= 0 {
		cfg.CheckBurst = 10
	}
	m := newMetrics(cfg.Registry, logger, store)
	hot := newDecisionRoutes(logger, store, cfg)
	mux := http.NewServeMux()
	addRoutes(mux, logger, store, cfg, m, hot)
	var h http.Handler = hotRoutes(hot, mux)
	h = recoverPanics(logger, h)
	h = observe(logger, m, h)
	return &Server{logger: logger, m: m, h: h, hot: hot, maxBody: cfg.MaxBodyBytes}
}

// ServeHTTP serves every route over net/http.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

// addRoutes is the server's whole surface.
func addRoutes(mux *http.ServeMux, logger *slog.Logger, store credo.Store, cfg Config, m *metrics, hot *decisionRoutes) {
	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", handleReadyz(logger, store))
	// The metrics say how busy the service is and how big the ledger is:
	// operators' and auditors' business, not the public's.
	metricsHandler := handleMetrics(logger, cfg.Registry)
	mux.Handle("GET /metrics", requireRole(logger, store, cfg.Consumers, func(w http.ResponseWriter, r *http.Request, _ *principal) {
		metricsHandler.ServeHTTP(w, r)
	}, credo.RoleOperator, credo.RoleAuditor))
	mux.Handle("POST /v1/sources/{source}/records",
		requireSourceKey(logger, store, handlePostRecords(logger, store, cfg, m)))
	mux.Handle("/v1/sources/{source}/records", handleMethodNotAllowed("POST"))

	mux.Handle(hot.eval.pattern, hot.handler(&hot.eval))
	mux.Handle(hot.evals.pattern, hot.handler(&hot.evals))
	d := hot.d
	mux.Handle("POST /access/v1/search/action", requireDecisions(d, requireRole(logger, store, cfg.Consumers, handleSearchAction(d), credo.RoleSubject, credo.RoleOperator)))
	standings, _ := store.(credo.Standings)
	mux.Handle("POST /access/v1/search/subject", requireDecisions(d, requireRole(logger, store, cfg.Consumers, handleSearchSubject(d, standings), credo.RoleOperator)))
	for _, p := range []string{"/access/v1/evaluation", "/access/v1/evaluations", "/access/v1/search/action", "/access/v1/search/subject"} {
		mux.Handle(p, handleMethodNotAllowed("POST"))
	}
	mux.Handle("GET /.well-known/authzen-configuration", handleAuthZENConfiguration())
	if cfg.Consumers != nil {
		cons, subj := consumerKeys(d), subjectKeys()
		mux.Handle("POST /v1/consumers", requireDecisions(d, requireRole(logger, store, cfg.Consumers, handleKeyAdd(logger, cfg.Consumers, cons), credo.RoleOperator)))
		mux.Handle("GET /v1/consumers", requireRole(logger, store, cfg.Consumers, handleKeyList(logger, cfg.Consumers, cons), credo.RoleOperator, credo.RoleAuditor))
		mux.Handle("DELETE /v1/consumers/{name}", requireRole(logger, store, cfg.Consumers, handleKeyRevoke(logger, cfg.Consumers, cons), credo.RoleOperator))
		mux.Handle("POST /v1/subject-keys", requireRole(logger, store, cfg.Consumers, handleKeyAdd(logger, cfg.Consumers, subj), credo.RoleOperator))
		mux.Handle("GET /v1/subject-keys", requireRole(logger, store, cfg.Consumers, handleKeyList(logger, cfg.Consumers, subj), credo.RoleOperator, credo.RoleAuditor))
		mux.Handle("DELETE /v1/subject-keys/{name}", requireRole(logger, store, cfg.Consumers, handleKeyRevoke(logger, cfg.Consumers, subj), credo.RoleOperator))
	}
	mux.Handle("GET /v1/subjects/{kind}/{id}/inquiries", requireRole(logger, store, cfg.Consumers,
		handleInquiries(logger, cfg.Inquiries), credo.RoleSubject, credo.RoleOperator, credo.RoleAuditor))
	mux.Handle("GET /v1/subjects/{kind}/{id}/notices/{notice}", requireRole(logger, store, cfg.Consumers,
		handleNotice(logger, cfg.Inquiries), credo.RoleSubject, credo.RoleOperator, credo.RoleAuditor))
	mux.Handle("GET /v1/organizations/{uscc}/check", rateLimit(cfg.CheckPerMinute, cfg.CheckBurst,
		handleOrgCheck(logger, store, func() []*policy.Program { return programsOf(cfg.Decisions) })))
	mux.Handle("/", handleNotFound())
}

// hotRoutes serves the decision routes' requests without the mux's
// matching (a request to an exact decision path, POST, is what the mux
// would send there), and the rest through the mux.
func hotRoutes(hot *decisionRoutes, mux *http.ServeMux) http.Handler {
	eval, evals := hot.handler(&hot.eval), hot.handler(&hot.evals)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.Host != "" {
			switch r.URL.Path {
			case hot.eval.path:
				r.Pattern = hot.eval.pattern
				eval.ServeHTTP(w, r)
				return
			case hot.evals.path:
				r.Pattern = hot.evals.pattern
				evals.ServeHTTP(w, r)
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

func programsOf(t *decide.Table) []*policy.Program {
	if t == nil {
		return nil
	}
	return t.Programs()
}
