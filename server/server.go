// Package server is credo's HTTP interface: the stream API through which
// sources send records, health and readiness probes, and Prometheus
// metrics. Later it will also carry the AuthZEN decision API and the web
// pages.
//
// NewServer builds the whole handler from its dependencies; every route is
// listed in addRoutes, every handler is made by a function that takes what
// it needs, and the cross-cutting concerns (request ids, logging, metrics,
// panics) are middleware functions around the routes.
package server

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ingest"
)

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
}

// NewServer returns credo's HTTP handler over store.
func NewServer(logger *slog.Logger, store credo.Store, cfg Config) http.Handler {
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
	m := newMetrics(cfg.Registry, logger, store)
	mux := http.NewServeMux()
	addRoutes(mux, logger, store, cfg, m)
	var h http.Handler = mux
	h = recoverPanics(logger, h)
	h = observe(logger, m, h)
	return h
}

// addRoutes is the server's whole surface.
func addRoutes(mux *http.ServeMux, logger *slog.Logger, store credo.Store, cfg Config, m *metrics) {
	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", handleReadyz(logger, store))
	mux.Handle("GET /metrics", handleMetrics(logger, cfg.Registry))
	mux.Handle("POST /v1/sources/{source}/records",
		requireSourceKey(logger, store, handlePostRecords(logger, store, cfg, m)))
	mux.Handle("/v1/sources/{source}/records", handleMethodNotAllowed("POST"))
	mux.Handle("/", handleNotFound())
}
