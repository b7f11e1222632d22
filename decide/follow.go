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
// of an organisation also rescores its representative. When l also keeps
// standings (credo.Standings), each interval the subjects whose stored
// standing changes by time alone are rescored too (see Expire).
func (t *Table) FollowLinked(ctx context.Context, logger *slog.Logger, l credo.Ledger, prgs []*policy.Program, reps score.Representatives, from uint64, interval time.Duration) uint64 {
	lk := newLinks(reps)
	ex := expiries{}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return from
		case <-tick.C:
		}
		if due, ok := l.(credo.Standings); ok {
			n, err := t.expire(ctx, l, due, prgs, lk, ex, time.Now())
			if err != nil && ctx.Err() == nil {
				logger.Error("decision table: standings due to change by time", slog.Any("err", err))
			}
			if n > 0 {
				logger.Info("decision table: subjects rescored, their standing changing by time alone", slog.Int("subjects", n))
			}
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

// expiries remembers, of each subject rescored because its stored
// standing was due to change by time alone, when the table's standing for
// it next changes: the store keeps naming the subject until the scorer
// rewrites its standing, and the table need not rescore it again before.
type expiries map[credo.SubjectRef]time.Time

// Expire rescores the subjects whose stored standing (under a
// jurisdiction of prgs) changes by time alone at or before now — a
// deduction expiring, a list membership lapsing — and updates the table.
// It returns how many it rescored.
func (t *Table) Expire(ctx context.Context, l credo.Ledger, due credo.Standings, prgs []*policy.Program, reps score.Representatives, now time.Time) (int, error) {
	return t.expire(ctx, l, due, prgs, newLinks(reps), expiries{}, now)
}

func (t *Table) expire(ctx context.Context, l credo.Ledger, due credo.Standings, prgs []*policy.Program, lk links, ex expiries, now time.Time) (int, error) {
	var refs []credo.SubjectRef
	for _, p := range prgs {
		for ref, err := range due.DueStandings(ctx, p.Jurisdiction, now) {
			if err != nil {
				return 0, err
			}
			if next, ok := ex[ref]; ok && now.Before(next) {
				continue
			}
			ex[ref] = now.Add(time.Nanosecond) // at most once a pass
			refs = append(refs, ref)
		}
	}
	for _, ref := range refs {
		next, err := t.rescore(ctx, l, prgs, lk, ref, now)
		if err != nil {
			return 0, err
		}
		if next.IsZero() {
			next = now.AddDate(100, 0, 0)
		}
		ex[ref] = next
	}
	return len(refs), nil
}

// rescore computes ref's standings under prgs from the ledger as of now
// and puts them in the table. It returns when the first of them next
// changes by time alone (zero: never).
func (t *Table) rescore(ctx context.Context, l credo.Ledger, prgs []*policy.Program, lk links, ref credo.SubjectRef, now time.Time) (time.Time, error) {
	var next time.Time
	for _, p := range prgs {
		if !p.Scores(ref.Kind) {
			continue
		}
		recs, err := score.Records(ctx, l, p, ref, lk.represents[ref])
		if err != nil {
			return time.Time{}, err
		}
		st := p.Standing(ref, recs, now)
		t.Update(&st)
		if !st.NextChange.IsZero() && (next.IsZero() || st.NextChange.Before(next)) {
			next = st.NextChange
		}
	}
	return next, nil
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
		if _, err := t.rescore(ctx, l, prgs, lk, ref, now); err != nil {
			return 0, from, err
		}
	}
	return len(touched), last, nil
}
