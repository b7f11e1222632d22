package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/decide"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/policy"
	"github.com/credo-org/credo/score"
	"github.com/credo-org/credo/server"
)

// newCLIRequestID names a decision made on the command line.
func newCLIRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// decisionPrograms compiles the policies decisions are made under: the
// latest published version of each jurisdiction, or, while none is
// published, the shipped packs.
func decisionPrograms(ctx context.Context, s credo.Policies) ([]*policy.Program, error) {
	prgs, err := publishedPrograms(ctx, s, nil)
	if err != nil || len(prgs) > 0 {
		return prgs, err
	}
	return shippedPrograms()
}

// anyPublished reports whether some policy version is published: then
// decisionPrograms returns the published ones.
func anyPublished(ctx context.Context, s credo.Policies) (bool, error) {
	for _, err := range s.PolicyVersions(ctx) {
		return err == nil, err
	}
	return false, nil
}

// loadDecisionTable builds the decision table over the store's subjects:
// from the stored standings when every policy version has been scored
// into the store (credo score, credo policy publish) — read from its
// snapshot in the data directory when that is of those standings — else
// by scoring every subject from the ledger at start (decide.FromLedger).
//
// It returns the sequence number serveAll follows the ledger from: the
// stored standings' watermark, so that records appended since they were
// scored (over the stream API, while an earlier server ran) are caught up
// on; or, for a table scored from the ledger, the head before loading.
func loadDecisionTable(ctx context.Context, logger *slog.Logger, s *pebble.Store, prgs []*policy.Program) (*decide.Table, uint64, error) {
	return loadDecisionTableLinked(ctx, logger, s, prgs, nil)
}

// loadDecisionTableLinked is loadDecisionTable with the registry of legal
// representatives reps, which the standings computed from the ledger take
// (stored standings were computed with it).
func loadDecisionTableLinked(ctx context.Context, logger *slog.Logger, s *pebble.Store, prgs []*policy.Program, reps score.Representatives) (*decide.Table, uint64, error) {
	t0 := time.Now()
	table, err := decide.New(prgs)
	if err != nil {
		return nil, 0, err
	}
	head, err := s.Head(ctx)
	if err != nil {
		return nil, 0, err
	}
	from, seq := "the ledger", head.Seq
	if w, ok := standingsWatermark(ctx, s, prgs); ok {
		var snap bool
		from = "stored standings"
		if snap, err = table.LoadStandingsSnapshot(ctx, logger, s, tableSnapshotPath(s)); snap {
			from = "its snapshot"
		}
		// The stored standings are scored through w: the records
		// appended since (by sources over the stream API while an
		// earlier server ran) are the table's to catch up on, from w.
		seq = min(w, head.Seq)
	} else {
		err = table.Load(ctx, decide.FromLedgerLinked(ctx, s, prgs, reps, time.Now()), 0)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("decision table from %s: %w", from, err)
	}
	logger.Info("decision table loaded", slog.String("from", from), slog.Int("subjects", table.Len()), slog.Int("profiles", table.Profiles()),
		slog.Float64("bytes_per_subject", table.BytesPerSubject()), slog.Duration("took", time.Since(t0)))
	return table, seq, nil
}

// standingsStored reports whether every one of prgs has scored into s's
// stored standings: the decision table can then be loaded from them.
func standingsStored(ctx context.Context, s credo.Standings, prgs []*policy.Program) bool {
	_, ok := standingsWatermark(ctx, s, prgs)
	return ok
}

// standingsWatermark returns the ledger sequence number through which every
// one of prgs has scored into s's stored standings (the least of their
// watermarks); ok is false when one of them has not scored at all.
func standingsWatermark(ctx context.Context, s credo.Standings, prgs []*policy.Program) (seq uint64, ok bool) {
	for i, p := range prgs {
		w, err := s.Watermark(ctx, p.VersionID())
		if err != nil || w == 0 {
			return 0, false
		}
		if i == 0 || w < seq {
			seq = w
		}
	}
	return seq, len(prgs) > 0
}

// tableSnapshotPath is where the data directory keeps the decision table
// as last built from its stored standings.
func tableSnapshotPath(s *pebble.Store) string { return filepath.Join(s.Dir(), "decision-table") }

// saveTableSnapshot brings the decision table's snapshot up to date with
// the stored standings, when credo serve would load them, so that the
// next start reads it instead of building the table: after scoring. It is
// derived data: failing to save it is logged, not an error.
func (e *env) saveTableSnapshot(ctx context.Context, s *pebble.Store) {
	saveTableSnapshot(ctx, e.logger(), s)
}

// saveTableSnapshot is env.saveTableSnapshot, logging to logger.
func saveTableSnapshot(ctx context.Context, logger *slog.Logger, s *pebble.Store) {
	prgs, err := decisionPrograms(ctx, s)
	if err != nil || !standingsStored(ctx, s, prgs) {
		return
	}
	table, err := decide.New(prgs)
	if err == nil {
		// Scoring that stored nothing leaves the snapshot current: its
		// header says so, without reading the rest.
		var version string
		if version, err = s.StandingsVersion(ctx); err == nil && table.SnapshotCurrent(tableSnapshotPath(s), version) {
			return
		}
		_, err = table.LoadStandingsSnapshot(ctx, logger, s, tableSnapshotPath(s))
	}
	if err != nil {
		logger.Warn("decision table: snapshot not saved", slog.Any("err", err))
	}
}

func newDecideCmd(e *env) *cobra.Command {
	var consumer, action, ctxJSON string
	c := &cobra.Command{
		Use:   "decide --consumer NAME --action ACTION [--context JSON] SUBJECT",
		Short: "Decide one action about one subject as a consumer would be answered (operators); the decision is on the record",
		Long: `decide answers what POST /access/v1/evaluation would answer the consumer
NAME about SUBJECT: the decision, its obligations, reason codes and policy
versions, and for a denial the adverse-action notice. The subject's
standings are computed from the ledger under the published policies (or
the shipped packs). Like every decision, it is written to the audit trail,
where the subject sees it.`,
		Args: cobra.ExactArgs(1),
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			ref, err := parseSubject(args[0])
			if err != nil {
				return err
			}
			con, err := s.Consumer(ctx, consumer)
			if err != nil {
				return fmt.Errorf("decide: consumer %s: %w", consumer, err)
			}
			if !con.Active() {
				return fmt.Errorf("decide: consumer %s's key is revoked", consumer)
			}
			if !con.May(action) {
				e.logger().Warn("decision refused: action not registered for this consumer", slog.String("consumer", consumer), slog.String("action", action))
				return fmt.Errorf("decide: %s may not ask about %s (its actions: %s)", consumer, action, strings.Join(con.Actions, ", "))
			}
			var context map[string]any
			if ctxJSON != "" {
				if err := json.Unmarshal([]byte(ctxJSON), &context); err != nil {
					return fmt.Errorf("decide: --context: want a JSON object: %w", err)
				}
			}
			prgs, err := decisionPrograms(ctx, s)
			if err != nil {
				return err
			}
			// this subject's standings only: a table of one
			var recs []*credo.Record
			for r, err := range s.SubjectRecords(ctx, ref) {
				if err != nil {
					return err
				}
				recs = append(recs, r)
			}
			table, err := decide.New(prgs)
			if err != nil {
				return err
			}
			now := time.Now().UTC()
			if len(recs) > 0 {
				for _, p := range prgs {
					if p.Scores(ref.Kind) {
						st := p.Standing(ref, recs, now)
						table.Update(&st)
					}
				}
			}
			r := table.Decide(ref, action, context)
			inq, notice := server.OnRecord(&r, now, "cli-"+newCLIRequestID(), consumer, ref, action, context)
			al := server.NewAuditLog(e.logger(), s, s, prgs)
			al.Record(ctx, inq, notice)
			if err := al.Close(); err != nil { // written, with the notice completed, before we answer
				return fmt.Errorf("decide: putting the decision on the record: %w", err)
			}
			out := struct {
				Decision bool                    `json:"decision"`
				Context  *server.DecisionContext `json:"context"`
			}{inq.Decision, server.ResponseContext(&r, inq)}
			if e.json {
				return writeJSON(e.stdout, out)
			}
			verdict := "PERMIT"
			if !inq.Decision {
				verdict = "DENY"
			}
			fmt.Fprintf(e.stdout, "%s %s for %s asking about %s\n", verdict, action, consumer, ref)
			if !r.Known {
				fmt.Fprintln(e.stdout, "  subject unknown to credo: each policy's default")
			}
			for o := range r.Outcomes() {
				fmt.Fprintf(e.stdout, "  %s: %s (%s, %s)", o.PolicyVersion, o.Effect, o.Reason, o.Rule)
				if o.When != "" {
					fmt.Fprintf(e.stdout, " when %s", o.When)
				}
				if len(o.Obligations) > 0 {
					b, _ := json.Marshal(o.Obligations)
					fmt.Fprintf(e.stdout, " obligations %s", b)
				}
				fmt.Fprintln(e.stdout)
			}
			if inq.NoticeID != "" {
				fmt.Fprintf(e.stdout, "  adverse-action notice %s\n", inq.NoticeID)
			}
			fmt.Fprintf(e.stdout, "  on the record as %s (credo subject inquiries %s)\n", inq.RequestID, ref.ID)
			return nil
		}),
	}
	c.Flags().StringVar(&consumer, "consumer", "", "the consumer asking (credo consumer list)")
	c.Flags().StringVar(&action, "action", "", "the action asked about (flight.book …)")
	c.Flags().StringVar(&ctxJSON, "context", "", `the request's context, a JSON object ({"purpose": "ticketing", "consent": "…"})`)
	c.MarkFlagRequired("consumer")
	c.MarkFlagRequired("action")
	return addJSON(c, e)
}
