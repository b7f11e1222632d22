package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo/decide"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/policy"
	"github.com/credo-org/credo/score"
	"github.com/credo-org/credo/server"
)

func newServeCmd(e *env) *cobra.Command {
	var (
		addr       string
		grace      time.Duration
		maxBody    int64
		logFormat  string
		scoreEvery time.Duration
	)
	c := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080]",
		Short: "Serve the HTTP API on the data directory: decisions (AuthZEN), the stream API for sources, inquiries, counterparty checks, /healthz, /readyz, /metrics",
		Long: `serve opens the data directory, loads the decision table (every subject's
standing under the published policies, or the shipped packs while none is
published: read from its snapshot in the data directory when that is of
the stored standings, which credo score saves, else built from them and
saved) and serves credo's HTTP API until it is interrupted (SIGINT,
SIGTERM); it then stops accepting connections, finishes the requests in
flight, writes the audit trail's last batch, and exits.

Consumers ask decisions at POST /access/v1/evaluation and
/access/v1/evaluations with the key from credo consumer add; sources post
records to POST /v1/sources/{source}/records with the key from credo
source add (see docs/api.md). The data directory is held by the server
while it runs: register sources and consumers before starting it.

While it serves, the decision table follows the ledger within a second,
and every --score-every the standings stored under the published policies
are brought up to date as credo score would (which cannot open the data
directory while the server holds it); once more when it stops, saving the
table's snapshot for the next start.

Each request is logged on standard error (never its credentials).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var logger *slog.Logger
			switch logFormat {
			case "text":
				logger = slog.New(slog.NewTextHandler(e.stderr, nil))
			case "json":
				logger = slog.New(slog.NewJSONHandler(e.stderr, nil))
			default:
				return fmt.Errorf("--log-format %q: want text or json", logFormat)
			}
			s, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			prgs, err := decisionPrograms(ctx, s)
			if err != nil {
				return err
			}
			reps, err := e.representatives()
			if err != nil {
				return fmt.Errorf("registry of legal representatives: %w", err)
			}
			table, seq, err := loadDecisionTableLinked(ctx, logger, s, prgs, reps)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			logger.Info("credo serve", slog.String("version", version), slog.String("data", e.data))
			return serveLinked(ctx, logger, s, ln, table, prgs, reps, seq, grace, maxBody, scoreEvery)
		},
	}
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	c.Flags().DurationVar(&grace, "shutdown-timeout", 30*time.Second, "how long to wait for requests in flight when stopping")
	c.Flags().Int64Var(&maxBody, "max-body", server.DefaultMaxBodyBytes, "largest records request body, in bytes")
	c.Flags().StringVar(&logFormat, "log-format", "text", "request log format: text or json")
	c.Flags().DurationVar(&scoreEvery, "score-every", defaultScoreEvery, "how often to bring the stored standings under the published policies up to date, as credo score does (0: never)")
	return c
}

// serveAll serves the whole API over s on ln until ctx ends, then writes
// the audit trail's last batch. Meanwhile the decision table follows the
// ledger from sequence number seq: the subjects of records appended (by
// sources over the stream API) are rescored within a second.
func serveAll(ctx context.Context, logger *slog.Logger, s *pebble.Store, ln net.Listener, table *decide.Table, prgs []*policy.Program, seq uint64, grace time.Duration, maxBody int64) error {
	return serveLinked(ctx, logger, s, ln, table, prgs, nil, seq, grace, maxBody, defaultScoreEvery)
}

// defaultScoreEvery is how often a server brings the stored standings up
// to date (credo serve --score-every).
const defaultScoreEvery = time.Minute

// serveLinked is serveAll with the registry of legal representatives reps
// (credo score --legal-reps): an organisation's record of a policy's
// linked kinds rescores its representative too.
//
// Every scoreEvery (never when 0) it also brings the standings stored
// under the published policies up to date, as credo score would: see
// keepScoring.
func serveLinked(ctx context.Context, logger *slog.Logger, s *pebble.Store, ln net.Listener, table *decide.Table, prgs []*policy.Program, reps score.Representatives, seq uint64, grace time.Duration, maxBody int64, scoreEvery time.Duration) error {
	// What loading used (the table's working arrays, tens of bytes a
	// subject; the demo's city and its ingest) is garbage now: give it back
	// to the system at once rather than hold it until the scavenger gets
	// there.
	debug.FreeOSMemory()
	// So do the pages of code that only starting used.
	if err := server.ReleaseExecutablePages(); err != nil {
		logger.Warn("the pages of code used at start stay resident", slog.Any("err", err))
	}
	fctx, stop := context.WithCancel(ctx)
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		table.FollowLinked(fctx, logger, s, prgs, reps, seq, time.Second)
	}()
	defer func() { stop(); <-followed }()
	if scoreEvery > 0 {
		// prgs are the published policies when any is (decisionPrograms),
		// else the shipped packs, under which nothing is stored
		published, err := anyPublished(ctx, s)
		if err != nil {
			return err
		}
		if published {
			scored := make(chan bool, 1)
			go func() { scored <- keepScoring(fctx, logger, s, prgs, reps, scoreEvery) }()
			defer func() {
				stop()
				stored := <-scored
				// Once more, through the last record taken, so that the
				// next start has nothing to follow; then the table's
				// snapshot, so that it loads from it. Neither is cut short
				// by the signal that stopped the server (a crash leaves the
				// watermark behind: the next run scores those subjects).
				wctx := context.WithoutCancel(ctx)
				stored = scoreOnce(wctx, logger, s, prgs, reps) || stored
				if stored {
					saveTableSnapshot(wctx, logger, s)
				}
			}()
		}
	}
	audit := server.NewAuditLog(logger, s, s, prgs)
	h := server.NewServer(logger, s, server.Config{MaxBodyBytes: maxBody, Decisions: table, Audit: audit})
	err := server.Serve(ctx, logger, ln, h, grace)
	if aerr := audit.Close(); aerr != nil {
		logger.Error("audit trail: a batch could not be written", slog.Any("err", aerr))
		if err == nil {
			err = fmt.Errorf("audit trail: %w", aerr)
		}
	}
	return err
}

// keepScoring brings the standings stored under prgs (the published
// policies) up to date every interval until ctx ends, as credo score does
// (score.CatchUp): the records sources post while the server runs, and
// the standings that change by time alone, reach the stored standings
// that credo subject list, subject search and a later start read. credo
// score itself cannot open the data directory while the server holds it.
// A run cut short by the shutdown leaves its version's watermark behind,
// and the next run (or credo score) scores those subjects again.
//
// It reports whether any run stored a standing: the table's snapshot in
// the data directory is then of standings stored before.
func keepScoring(ctx context.Context, logger *slog.Logger, s *pebble.Store, prgs []*policy.Program, reps score.Representatives, interval time.Duration) (stored bool) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return stored
		case <-tick.C:
		}
		stored = scoreOnce(ctx, logger, s, prgs, reps) || stored
	}
}

// scoreOnce is one run of keepScoring: each of prgs caught up, as credo
// score does. It reports whether it stored a standing.
func scoreOnce(ctx context.Context, logger *slog.Logger, s *pebble.Store, prgs []*policy.Program, reps score.Representatives) (stored bool) {
	for _, p := range prgs {
		// one goroutine: decisions keep the other cores
		res, err := score.CatchUp(ctx, s, p, score.Options{Reps: reps, Workers: 1})
		stored = stored || res.Subjects > 0
		switch {
		case ctx.Err() != nil:
			return stored
		case err != nil:
			logger.Error("stored standings: scoring", slog.String("policy_version", p.VersionID()), slog.Any("err", err))
		case res.Subjects > 0:
			logger.Info("stored standings brought up to date", slog.String("policy_version", p.VersionID()),
				slog.Int64("records", res.Records), slog.Int64("subjects", res.Subjects), slog.Int64("by_time", res.Due),
				slog.Uint64("through", res.Through), slog.Duration("took", res.Took))
		}
	}
	return stored
}
