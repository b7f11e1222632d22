package decide

import (
	"cmp"
	"context"
	"iter"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/policy"
	"github.com/credo-org/credo/score"
)

// FromLedger computes the standings of every resolved subject in the
// ledger (each record with the subject the resolutions give it) under
// each of prgs that scores its kind, as of asOf: what the
// table is loaded from until standings are stored. It reads the whole
// ledger into memory, grouped by subject, and scores the subjects on every
// CPU; standings come out grouped by subject, in subject order.
func FromLedger(ctx context.Context, l credo.Ledger, prgs []*policy.Program, asOf time.Time) iter.Seq2[*credo.Standing, error] {
	return FromLedgerLinked(ctx, l, prgs, nil, asOf)
}

// FromLedgerLinked is FromLedger with the registry of legal
// representatives reps: a person's standing also takes the records, of a
// policy's linked kinds, of the organisations the person represents, as
// score.Standing does.
func FromLedgerLinked(ctx context.Context, l credo.Ledger, prgs []*policy.Program, reps score.Representatives, asOf time.Time) iter.Seq2[*credo.Standing, error] {
	represents := newLinks(reps).represents
	return func(yield func(*credo.Standing, error) bool) {
		// Each record counts for the subject it belongs to now, after the
		// resolutions: links, splits and merges.
		owner, err := score.Owners(ctx, l)
		if err != nil {
			yield(nil, err)
			return
		}
		// What scoring reads of each record, where the store can give only
		// that (no identity, provenance or hash): every record is held.
		scan := l.Scan
		if p, ok := l.(score.Projector); ok {
			scan = p.ScanScoring
		}
		bySubject := map[credo.SubjectRef][]*credo.Record{}
		for r, err := range scan(ctx, 0) {
			if err != nil {
				yield(nil, err)
				return
			}
			if ref := owner(r); ref.Resolved() {
				bySubject[ref] = append(bySubject[ref], r)
			}
		}
		subjects := slices.SortedFunc(maps.Keys(bySubject), func(a, b credo.SubjectRef) int {
			return cmp.Or(cmp.Compare(a.Kind, b.Kind), strings.Compare(a.ID, b.ID))
		})
		// Chunks of subjects are scored in parallel and yielded in order.
		const chunk = 512
		type part struct {
			sts  []credo.Standing
			done chan struct{}
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		workers := runtime.GOMAXPROCS(0)
		parts := make(chan *part, workers*2)
		var wg sync.WaitGroup
		jobs := make(chan struct {
			p  *part
			lo int
		})
		for range workers {
			wg.Go(func() {
				for j := range jobs {
					for _, s := range subjects[j.lo:min(j.lo+chunk, len(subjects))] {
						for _, p := range prgs {
							if p.Scores(s.Kind) {
								j.p.sts = append(j.p.sts, p.Standing(s, linkedRecords(p, s, bySubject, represents[s]), asOf))
							}
						}
					}
					close(j.p.done)
				}
			})
		}
		go func() {
			defer close(parts)
			defer close(jobs)
			for lo := 0; lo < len(subjects); lo += chunk {
				p := &part{done: make(chan struct{})}
				select {
				case parts <- p:
				case <-ctx.Done():
					return
				}
				select {
				case jobs <- struct {
					p  *part
					lo int
				}{p, lo}:
				case <-ctx.Done():
					close(p.done)
					return
				}
			}
		}()
		defer wg.Wait()
		defer cancel()
		for p := range parts {
			<-p.done
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			for i := range p.sts {
				if !yield(&p.sts[i], nil) {
					return
				}
			}
		}
	}
}

// linkedRecords is s's records under p: its own, and when p's linkage
// takes them, those of the linked kinds of the organisations orgs that s
// represents.
func linkedRecords(p *policy.Program, s credo.SubjectRef, bySubject map[credo.SubjectRef][]*credo.Record, orgs []credo.SubjectRef) []*credo.Record {
	recs := bySubject[s]
	linked := p.LinkedKinds()
	if len(orgs) == 0 || len(linked) == 0 || s.Kind != credo.Person {
		return recs
	}
	recs = slices.Clip(recs) // append to a copy, never to bySubject's
	for _, org := range orgs {
		for _, r := range bySubject[org] {
			if slices.Contains(linked, r.Kind) {
				recs = append(recs, r)
			}
		}
	}
	return recs
}
