package decide

import (
	"context"
	"log/slog"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/policy"
)

// Follow keeps the table current with the ledger until ctx ends: every
// interval it reads the records appended after sequence number from,
// rescores their subjects under prgs from the ledger (as FromLedger does)
// and updates the table. It returns the last sequence number it applied.
//
// It stands in for stored standings: once a scorer stores standings, the
// table is to be updated with each standing it stores (Table.Update)
// instead.
func (t *Table) Follow(ctx context.Context, logger *slog.Logger, l credo.Ledger, prgs []*policy.Program, from uint64, interval time.Duration) uint64 {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return from
		case <-tick.C:
		}
		n, last, err := t.CatchUp(ctx, l, prgs, from)
		if err != nil {
			if ctx.Err() == nil {
				logger.Error("decision table: following the ledger", slog.Any("err", err), slog.Uint64("from", from))
			}
			continue
		}
		if n > 0 {
			logger.Info("decision table: subjects rescored", slog.Int("subjects", n), slog.Uint64("through", last))
		}
		from = last
	}
}

// CatchUp rescores the subjects of the records appended after sequence
// number from and updates the table with their standings. It returns how
// many subjects it rescored and the last sequence number it read.
func (t *Table) CatchUp(ctx context.Context, l credo.Ledger, prgs []*policy.Program, from uint64) (int, uint64, error) {
	head, err := l.Head(ctx)
	if err != nil || head.Seq <= from {
		return 0, from, err
	}
	touched := map[credo.SubjectRef]bool{}
	last := from
	for r, err := range l.Scan(ctx, from+1) {
		if err != nil {
			return 0, from, err
		}
		if r.Seq > head.Seq {
			break
		}
		last = r.Seq
		if r.Subject.Resolved() {
			touched[r.Subject] = true
		}
	}
	now := time.Now()
	for ref := range touched {
		var recs []*credo.Record
		for r, err := range l.SubjectRecords(ctx, ref) {
			if err != nil {
				return 0, from, err
			}
			recs = append(recs, r)
		}
		for _, p := range prgs {
			if p.Scores(ref.Kind) {
				st := p.Standing(ref, recs, now)
				t.Update(&st)
			}
		}
	}
	return len(touched), last, nil
}
