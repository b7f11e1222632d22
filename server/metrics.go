package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/credo-org/credo"
)

// metrics are the server's instruments, registered on the server's own
// registry.
type metrics struct {
	requests *prometheus.CounterVec   // by route and code
	duration *prometheus.HistogramVec // by route and code
	inFlight prometheus.Gauge
	ingested *prometheus.CounterVec // stream lines by source and outcome

	mu      sync.RWMutex
	byRoute map[routeCode]routeInstruments // requests' and duration's children, found once
}

type routeCode struct {
	route string
	code  int
}

type routeInstruments struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// observe counts one request to route answered with code, taking took.
// The labelled children are looked up once a (route, code) and kept: a
// request costs a map read under a shared lock, not a label hash.
func (m *metrics) observe(route string, code int, took time.Duration) {
	k := routeCode{route, code}
	m.mu.RLock()
	in, ok := m.byRoute[k]
	m.mu.RUnlock()
	if !ok {
		c := strconv.Itoa(code)
		in = routeInstruments{m.requests.WithLabelValues(route, c), m.duration.WithLabelValues(route, c)}
		m.mu.Lock()
		if m.byRoute == nil {
			m.byRoute = map[routeCode]routeInstruments{}
		}
		m.byRoute[k] = in
		m.mu.Unlock()
	}
	in.requests.Inc()
	in.duration.Observe(took.Seconds())
}

func newMetrics(reg *prometheus.Registry, logger *slog.Logger, store credo.Store) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "credo_http_requests_total",
			Help: "HTTP requests served, by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "credo_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route and status code.",
			Buckets: []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "credo_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "credo_stream_records_total",
			Help: "Lines received on the stream API, by source and what became of them (appended, duplicate, quarantined; unresolved counts the appended records without a resolved subject).",
		}, []string{"source", "status"}),
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight, m.ingested,
		newStoreCollector(logger, store),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// storeCollector reports what the store holds, read at each scrape.
type storeCollector struct {
	logger                                     *slog.Logger
	store                                      credo.Store
	records, subjects, unresolved, quarantined *prometheus.Desc
}

func newStoreCollector(logger *slog.Logger, store credo.Store) *storeCollector {
	return &storeCollector{
		logger:      logger,
		store:       store,
		records:     prometheus.NewDesc("credo_store_records", "Records in the ledger.", nil, nil),
		subjects:    prometheus.NewDesc("credo_store_subjects", "Distinct resolved subjects in the ledger.", nil, nil),
		unresolved:  prometheus.NewDesc("credo_store_unresolved_records", "Records in the ledger without a resolved subject.", nil, nil),
		quarantined: prometheus.NewDesc("credo_store_quarantined_rows", "Rows in quarantine.", nil, nil),
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.records
	ch <- c.subjects
	ch <- c.unresolved
	ch <- c.quarantined
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.store.Counts(ctx)
	if err != nil {
		c.logger.Warn("metrics: store counts", slog.Any("err", err))
		ch <- prometheus.NewInvalidMetric(c.records, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.records, prometheus.GaugeValue, float64(counts.Records))
	ch <- prometheus.MustNewConstMetric(c.subjects, prometheus.GaugeValue, float64(counts.Subjects))
	ch <- prometheus.MustNewConstMetric(c.unresolved, prometheus.GaugeValue, float64(counts.Unresolved))
	ch <- prometheus.MustNewConstMetric(c.quarantined, prometheus.GaugeValue, float64(counts.Quarantined))
}

// handleMetrics serves reg in the Prometheus exposition format.
func handleMetrics(logger *slog.Logger, reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      reg, // promhttp's own errors counted there too
	})
}
