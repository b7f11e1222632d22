package decide

import (
	"context"
	"log/slog"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/policy"
	"github.com/credo-org/credo/score"
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
	return t.FollowLinked(ctx, logger, l, prgs, nil, from, interval)
}

// FollowLinked is Follow with the registry of legal representatives reps:
// a person's standing also takes the records, of a policy's linked kinds,
// of the organisations the person represents (score.Records), and a record
// of an organisation also rescores its representative.
func (t *Table) FollowLinked(ctx context.Context, logger *slog.Logger, l credo.Ledger, prgs []*policy.Program, reps score.Representatives, from uint64, interval time.Duration) uint64 {
	lk := newLinks(reps)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return from
		case <-tick.C:
		}
		n, last, err := t.catchUp(ctx, l, prgs, lk, from)
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
	return t.catchUp(ctx, l, prgs, links{}, from)
}

// CatchUpLinked is CatchUp with the registry of legal representatives
// reps (see FollowLinked).
func (t *Table) CatchUpLinked(ctx context.Context, l credo.Ledger, prgs []*policy.Program, reps score.Representatives, from uint64) (int, uint64, error) {
	return t.catchUp(ctx, l, prgs, newLinks(reps), from)
}

// links is the registry of legal representatives both ways.
type links struct {
	rep        score.Representatives                   // organisation → its representative
	represents map[credo.SubjectRef][]credo.SubjectRef // person → the organisations
}

func newLinks(reps score.Representatives) links {
	lk := links{rep: reps, represents: map[credo.SubjectRef][]credo.SubjectRef{}}
	for org, p := range reps {
		lk.represents[p] = append(lk.represents[p], org)
	}
	return lk
}

func (t *Table) catchUp(ctx context.Context, l credo.Ledger, prgs []*policy.Program, lk links, from uint64) (int, uint64, error) {
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
			if p, ok := lk.rep[r.Subject]; ok {
				touched[p] = true // the organisation's record may count against its representative
			}
		}
	}
	now := time.Now()
	for ref := range touched {
		for _, p := range prgs {
			if !p.Scores(ref.Kind) {
				continue
			}
			recs, err := score.Records(ctx, l, p, ref, lk.represents[ref])
			if err != nil {
				return 0, from, err
			}
			st := p.Standing(ref, recs, now)
			t.Update(&st)
		}
	}
	return len(touched), last, nil
}
