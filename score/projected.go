package score

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/internal/countsort"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/policy"
)

// ProjectionStore is implemented by a store that keeps the scoring
// projection of the ledger and stores a version's standings whole
// (package pebble). A full recompute then reads only the projection.
type ProjectionStore interface {
	Store
	ExtendProjection(ctx context.Context) (pebble.ProjectionStats, error)
	ReadProjectionMeta(ctx context.Context) (*pebble.Projection, error)
	ProjectionSubjects(ctx context.Context, pj *pebble.Projection) error
	ProjectionBlocks(ctx context.Context, lo, hi uint64, fn func(pebble.ProjBlock) error) error
	ReplaceStandingsFunc(ctx context.Context, jurisdiction string, n int, at func(i int, st *credo.Standing)) error
}

// Extend brings the store's scoring projection up to the end of the
// ledger, when the store keeps one: what `credo score` and `credo ingest`
// do before scoring, so that publishing a version finds it current.
func Extend(ctx context.Context, s Store) (pebble.ProjectionStats, error) {
	if ps, ok := s.(ProjectionStore); ok {
		return ps.ExtendProjection(ctx)
	}
	return pebble.ProjectionStats{}, nil
}

// overlay is what the store's resolutions change of a full scan: records
// whose subject is not the one they carry, and merged subjects.
type overlay struct {
	assigned map[uint64]credo.SubjectRef
	merged   map[credo.SubjectRef]credo.SubjectRef
}

func readOverlay(ctx context.Context, s credo.Ledger) (overlay, error) {
	rs, ok := s.(credo.Resolutions)
	if !ok {
		return overlay{}, nil
	}
	a, m, err := rs.Assignments(ctx)
	if err != nil {
		return overlay{}, fmt.Errorf("resolutions: %w", err)
	}
	return overlay{assigned: a, merged: m}, nil
}

// Owners returns what says which subject each record of a full scan of
// l belongs to now: the one it carries, unless a resolution linked it
// elsewhere, split it off (then unresolved) or merged its subject into
// another. A ledger without resolutions leaves every record its own.
func Owners(ctx context.Context, l credo.Ledger) (func(*credo.Record) credo.SubjectRef, error) {
	o, err := readOverlay(ctx, l)
	if err != nil {
		return nil, err
	}
	return o.owner, nil
}

// root follows merges from ref to the subject it is now part of.
func (o overlay) root(ref credo.SubjectRef) credo.SubjectRef {
	for range 64 {
		into, ok := o.merged[ref]
		if !ok {
			break
		}
		ref = into
	}
	return ref
}

// owner is the subject record r belongs to now (unresolved when none).
func (o overlay) owner(r *credo.Record) credo.SubjectRef {
	if a, ok := o.assigned[r.Seq]; ok {
		if !a.Resolved() {
			return a
		}
		return o.root(a)
	}
	if !r.Subject.Resolved() || len(o.merged) == 0 {
		return r.Subject
	}
	return o.root(r.Subject)
}

// tupleInfo is what the policy makes of one distinct projected tuple.
type tupleInfo struct {
	hits    []policy.Hit
	special bool // the subject must be scored from its full records
	kind    string
}

// projEvent is one relevant record in the projection: its subject's
// number, occurrence and tuple (the worker that met it, in the top byte,
// and the tuple's number there). Pointer-free, so that millions of them
// cost the garbage collector nothing.
type projEvent struct {
	subj uint32
	tup  uint32
	at   int64
}

// sortByTime sorts a subject's few events by time in place: an insertion
// sort on the integers, so that the aggregator's own sort (by a compare
// function, over larger events) finds them in order.
func sortByTime(evs []groupedEvent) []groupedEvent {
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].at < evs[j-1].at; j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
	return evs
}

// numberedWorker is the top byte of an event's tuple when the tuple is a
// numbered one of the projection, not one a worker met inline.
const numberedWorker = 255

// groupedEvent is a projEvent once grouped by subject.
type groupedEvent struct {
	at  int64
	tup uint32
}

// recomputeProjected is Recompute over the scoring projection: one pass
// over its blocks (what a tuple hits computed once per distinct tuple),
// the events grouped by dense subject number, each subject aggregated
// quickly (policy.Aggregator) or, when its records ask for more (a direct
// grade, a list, a correction, a resolution, a legal representative's
// linked records), from its full records; the standings stored whole.
func recomputeProjected(ctx context.Context, s ProjectionStore, p *policy.Program, o Options, res Result) (Result, error) {
	start := time.Now()
	last := start
	phase := func(name string) {
		now := time.Now()
		res.Phases = append(res.Phases, Phase{name, now.Sub(last)})
		last = now
	}
	ext, err := s.ExtendProjection(ctx)
	if err != nil {
		return res, fmt.Errorf("score %s: %w", p.VersionID(), err)
	}
	res.Projected = ext.Records
	res.ProjectionTook = ext.Took
	phase("extend projection")
	pj, err := s.ReadProjectionMeta(ctx)
	if err != nil {
		return res, fmt.Errorf("score %s: %w", p.VersionID(), err)
	}
	ov, err := readOverlay(ctx, s)
	if err != nil {
		return res, fmt.Errorf("score %s: %w", p.VersionID(), err)
	}
	res.Through = pj.Through
	n := int(pj.MaxNum) + 1
	// the subjects are read while the blocks are matched: what the match
	// would ask of a subject's kind waits for after
	subjectsRead := make(chan error, 1)
	go func() { subjectsRead <- s.ProjectionSubjects(ctx, pj) }()
	slow := make([]bool, n)
	extra := map[credo.SubjectRef]bool{} // subjects scored from their records that may have no number
	for _, a := range ov.assigned {
		if a.Resolved() {
			extra[ov.root(a)] = true
		}
	}
	for from, into := range ov.merged {
		extra[from], extra[ov.root(into)] = true, true
	}
	linked := p.LinkedKinds()
	scoresPersons := p.Scores(credo.Person)
	withReps := scoresPersons && len(linked) > 0 && len(o.Reps) > 0

	// what p makes of a tuple: computed once for each numbered tuple, here,
	// and for each distinct inline one by the worker that meets it (hits is
	// the caller's scratch)
	tupleOf := func(tuple []byte, hits *[]policy.Hit) (*tupleInfo, error) {
		r, err := pj.Record(tuple)
		if err != nil {
			return nil, err
		}
		ti := &tupleInfo{kind: r.Kind, special: pebble.SpecialTuple(tuple)}
		if !p.Projectable(r.Kind) {
			ti.special = true
		} else {
			*hits = p.Match(credo.SubjectRef{}, r, (*hits)[:0])
			ti.hits = slices.Clone(*hits)
			ti.special = ti.special || !p.Simple(ti.hits) || (len(ti.hits) == 0 && p.Relevant(r, ti.hits))
		}
		return ti, nil
	}
	numbered := make([]*tupleInfo, len(pj.Tuples))
	var hits []policy.Hit
	for n := 1; n < len(pj.Tuples); n++ {
		if numbered[n], err = tupleOf(pj.Tuples[n], &hits); err != nil {
			return res, fmt.Errorf("score %s: tuple %d: %w", p.VersionID(), n, err)
		}
	}

	// pass 1: the blocks, over every core, each worker its own tuples and events
	type part struct {
		evs     []projEvent
		tuples  []*tupleInfo // by number
		records int64
		slow    []uint32
		linked  []uint32 // subjects of records of a linked kind
		err     error
	}
	parts := make([]part, min(o.Workers, numberedWorker))
	// each worker its range of the ledger, read by an iterator of its own
	span := pj.Through/uint64(len(parts)) + 1
	for i := range parts {
		parts[i].evs = make([]projEvent, 0, span) // most records have hits
	}
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range parts {
		pt := &parts[w]
		lo, hi := 1+uint64(w)*span, 1+uint64(w+1)*span
		if w == len(parts)-1 {
			hi = math.MaxUint64
		}
		wg.Go(func() {
			tuples := map[string]uint32{}
			var hits []policy.Hit // tupleOf's scratch, the worker's own
			var rec pebble.ProjRecord
			pt.err = s.ProjectionBlocks(ctx, lo, hi, func(blk pebble.ProjBlock) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				subs, tups, ats, inline, err := blk.Columns()
				if err != nil {
					return fmt.Errorf("block at %d: %w", blk.First, err)
				}
				for k := range blk.Count {
					rec.Subject = binary.LittleEndian.Uint32(subs[4*k:])
					rec.TupleNum = binary.LittleEndian.Uint32(tups[4*k:])
					rec.At = int64(binary.LittleEndian.Uint64(ats[8*k:]))
					if rec.TupleNum == 0 {
						if rec.Tuple, inline, err = pebble.NextInline(inline); err != nil {
							return fmt.Errorf("block at %d: %w", blk.First, err)
						}
					}
					pt.records++
					seq := blk.First + uint64(k)
					if len(ov.assigned) > 0 {
						if _, ok := ov.assigned[seq]; ok {
							if rec.Subject != 0 {
								pt.slow = append(pt.slow, rec.Subject)
							}
							continue // its owner is in extra
						}
					}
					if rec.Subject == 0 || int(rec.Subject) >= n {
						continue
					}
					var ti *tupleInfo
					var tn uint32
					if rec.TupleNum > 0 {
						if int(rec.TupleNum) >= len(numbered) {
							return fmt.Errorf("block at %d: tuple %d of %d", blk.First, rec.TupleNum, len(numbered)-1)
						}
						ti, tn = numbered[rec.TupleNum], numberedWorker<<24|rec.TupleNum
					} else {
						var seen bool
						if tn, seen = tuples[string(rec.Tuple)]; !seen {
							if len(pt.tuples) == 1<<24 {
								return fmt.Errorf("more than %d distinct record tuples in one worker's share", 1<<24)
							}
							t, err := tupleOf(rec.Tuple, &hits)
							if err != nil {
								return fmt.Errorf("block at %d: %w", blk.First, err)
							}
							tn = uint32(w)<<24 | uint32(len(pt.tuples))
							pt.tuples = append(pt.tuples, t)
							tuples[string(rec.Tuple)] = tn
						}
						ti = pt.tuples[tn&(1<<24-1)]
					}
					if withReps && slices.Contains(linked, ti.kind) {
						pt.linked = append(pt.linked, rec.Subject) // an organisation's, it reaches its representative
					}
					// events and slow marks of a subject p does not score
					// (or of a number without a subject) are passed over
					// later: no subject in the list has its number
					if ti.special {
						pt.slow = append(pt.slow, rec.Subject)
					} else if len(ti.hits) > 0 {
						pt.evs = append(pt.evs, projEvent{rec.Subject, tn, rec.At})
					}
				}
				return nil
			})
		})
	}
	wg.Wait()
	if err := <-subjectsRead; err != nil {
		return res, fmt.Errorf("score %s: %w", p.VersionID(), err)
	}
	refOf := make([]int32, n) // subject number → index in pj.Subjects, -1 when none
	for i := range refOf {
		refOf[i] = -1
	}
	for i, num := range pj.Numbers {
		if int(num) < n {
			refOf[num] = int32(i)
		}
	}
	total := 0
	for i := range parts {
		if parts[i].err != nil {
			return res, fmt.Errorf("score %s: %w", p.VersionID(), parts[i].err)
		}
		res.Records += parts[i].records
		total += len(parts[i].evs)
		for _, num := range parts[i].slow {
			slow[num] = true
		}
		for _, num := range parts[i].linked {
			if k := refOf[num]; k >= 0 && pj.Subjects[k].Kind == credo.Organization {
				if rep, ok := o.Reps[pj.Subjects[k]]; ok {
					extra[rep] = true
				}
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	phase("read and match")
	// group the events by subject number: a counting sort, each worker's
	// events counted and placed by a goroutine of their own (a subject's
	// events in the order of the workers, then of the ledger)
	cnts := make([][]int32, len(parts))
	for i := range parts {
		wg.Go(func() {
			c := make([]int32, n)
			for _, e := range parts[i].evs {
				c[e.subj]++
			}
			cnts[i] = c
		})
	}
	wg.Wait()
	offs := countsort.Offsets(cnts, n) // cnts[i][subj]: where worker i's events of subj start
	events := make([]groupedEvent, total)
	for i := range parts {
		wg.Go(func() {
			pos := cnts[i]
			for _, e := range parts[i].evs {
				events[pos[e.subj]] = groupedEvent{e.at, e.tup}
				pos[e.subj]++
			}
			parts[i].evs = nil
		})
	}
	wg.Wait()
	cnts = nil
	hitsOf := func(tup uint32) []policy.Hit {
		if tup>>24 == numberedWorker {
			return numbered[tup&(1<<24-1)].hits
		}
		return parts[tup>>24].tuples[tup&(1<<24-1)].hits
	}
	// the subjects that get a standing, in order: the numbered ones the
	// policy scores (not merged into another), and the extra ones
	subjects := make([]credo.SubjectRef, 0, len(pj.Subjects)+len(extra))
	nums := make([]uint32, 0, len(pj.Subjects)+len(extra))
	for i, ref := range pj.Subjects {
		if _, gone := ov.merged[ref]; gone || !p.Scores(ref.Kind) {
			continue
		}
		subjects = append(subjects, ref)
		nums = append(nums, pj.Numbers[i])
	}
	var extras []credo.SubjectRef
	for ref := range extra {
		if _, gone := ov.merged[ref]; gone || !p.Scores(ref.Kind) || !ref.Resolved() {
			continue
		}
		if i, found := slices.BinarySearchFunc(subjects, ref, compareRefs); found {
			slow[nums[i]] = true
			continue
		}
		extras = append(extras, ref)
	}
	slices.SortFunc(extras, compareRefs)
	if len(extras) > 0 {
		merged := make([]credo.SubjectRef, 0, len(subjects)+len(extras))
		mnums := make([]uint32, 0, len(subjects)+len(extras))
		i, j := 0, 0
		for i < len(subjects) || j < len(extras) {
			if j == len(extras) || (i < len(subjects) && compareRefs(subjects[i], extras[j]) < 0) {
				merged, mnums = append(merged, subjects[i]), append(mnums, nums[i])
				i++
			} else {
				merged, mnums = append(merged, extras[j]), append(mnums, 0) // 0: from its records
				j++
			}
		}
		subjects, nums = merged, mnums
	}

	phase("group")
	// pass 2: the standings, over every core by ranges of subjects
	// each subject's quick standing (pointer-free), or the number of its
	// standing computed from its records
	rows := make([]policy.Quick, len(subjects))
	fromRecs := make([]int32, len(subjects)) // 0: quick; else 1 + index in slowSts
	var slowSts []credo.Standing
	represented := o.Reps.represented()
	var first error
	const chunk = 4096
	next = 0
	var slowN int64
	for range o.Workers {
		wg.Go(func() {
			agg := p.NewAggregator(o.AsOf)
			var evs []policy.Event
			for {
				mu.Lock()
				lo := next
				next += chunk
				fail := first != nil
				mu.Unlock()
				if lo >= len(subjects) || fail || ctx.Err() != nil {
					return
				}
				for i := lo; i < min(lo+chunk, len(subjects)); i++ {
					ref, num := subjects[i], nums[i]
					ok := false
					if num != 0 && !slow[num] {
						evs = evs[:0]
						for _, e := range sortByTime(events[offs[num]:offs[num+1]]) {
							evs = append(evs, policy.Event{At: e.at, Hits: hitsOf(e.tup)})
						}
						rows[i], ok = agg.Quick(evs)
					}
					if !ok {
						recs, err := Records(ctx, s, p, ref, represented[ref])
						if err != nil {
							mu.Lock()
							if first == nil {
								first = err
							}
							mu.Unlock()
							return
						}
						st := p.Standing(ref, recs, o.AsOf)
						st.Contributions = nil // explained when shown
						mu.Lock()
						slowN++
						slowSts = append(slowSts, st)
						fromRecs[i] = int32(len(slowSts))
						mu.Unlock()
					}
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return res, fmt.Errorf("score %s: %w", p.VersionID(), first)
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	res.FromRecords = slowN
	phase("aggregate")
	err = s.ReplaceStandingsFunc(ctx, p.Jurisdiction, len(subjects), func(i int, st *credo.Standing) {
		if k := fromRecs[i]; k > 0 {
			*st = slowSts[k-1]
			return
		}
		p.QuickStanding(st, subjects[i], o.AsOf, rows[i])
	})
	if err != nil {
		return res, fmt.Errorf("score %s: %w", p.VersionID(), err)
	}
	res.Subjects = int64(len(subjects))
	phase("store")
	if err := s.SetWatermark(ctx, p.VersionID(), res.Through); err != nil {
		return res, err
	}
	res.Took = time.Since(start)
	return res, nil
}
