// Package score keeps every subject's standing under every published
// policy current. It sits after the ledger and the policies: a full
// recompute scores every subject under a newly published version, a
// catch-up scores only the subjects the records appended since the last
// run touched (and those whose standing changes by time alone), and the
// standings it stores are what `credo subject show` and `credo subject
// list` read and what consuming services decide on.
//
// A standing is a pure function of (records, policy version, as-of time),
// computed by package policy; this package decides which subjects to
// recompute and which records each one sees: its own, and the records of
// the organisations it legally represents that the policy's linkage names.
package score

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/policy"
)

// Store is what scoring reads and writes: the ledger and the standings.
type Store interface {
	credo.Ledger
	credo.Standings
}

// Projector is implemented by a store that can scan the ledger as
// scoring sees it, without the parts of records no policy reads (package
// pebble's ScanScoring). A full recompute uses it when the store has it.
type Projector interface {
	ScanScoring(ctx context.Context, from uint64) iter.Seq2[*credo.Record, error]
}

// Options tune a run. The zero value scores as of now on every core.
type Options struct {
	AsOf    time.Time       // the standings' as-of time; time.Now when zero
	Reps    Representatives // organisations' legal representatives, for the policy's linkage
	Workers int             // goroutines computing standings; GOMAXPROCS when 0

	stretch int // the fewest records a scanning goroutine takes; 50,000 when 0
}

func (o *Options) defaults() {
	if o.AsOf.IsZero() {
		o.AsOf = time.Now()
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.stretch <= 0 {
		o.stretch = 50_000
	}
}

// Result reports a run.
type Result struct {
	PolicyVersion string        `json:"policy_version"`
	Full          bool          `json:"full"`     // every subject was scored
	Records       int64         `json:"records"`  // ledger records read
	Subjects      int64         `json:"subjects"` // standings computed and stored
	Due           int64         `json:"due"`      // of which because time passed
	Through       uint64        `json:"through"`  // the ledger is scored through this sequence number
	Took          time.Duration `json:"took_ns"`
	// A full recompute over the scoring projection: how many records the
	// projection was extended by first and how long that took (the
	// ingest side's cost, which `credo score` pays as records arrive; part
	// of Took), and how many standings were computed from full records
	// rather than aggregated quickly.
	Projected      int64         `json:"projected,omitempty"`
	ProjectionTook time.Duration `json:"projection_took_ns,omitempty"`
	FromRecords    int64         `json:"from_records,omitempty"`
	// Phases is where a full recompute over the projection spent its
	// time, in order.
	Phases []Phase `json:"phases,omitempty"`
}

// Phase is one step of a run and how long it took.
type Phase struct {
	Name string        `json:"name"`
	Took time.Duration `json:"took_ns"`
}

// batchSize is how many standings one PutStandings call writes.
const batchSize = 512

// subjectRecs is a subject's relevant records and what the policy makes of
// each: the compact projection a full recompute keeps.
type subjectRecs struct {
	recs []*credo.Record
	hits [][]policy.Hit
}

// projection is one stretch of the ledger as a full recompute keeps it.
type projection struct {
	p         *policy.Program
	reps      Representatives
	ov        overlay
	bySubject map[credo.SubjectRef]*subjectRecs
	records   int64
	through   uint64
	err       error
	arena     []policy.Hit // the kept hits, a few allocations for all of them
}

// keep appends r and its hits to ref's projection.
func (pr *projection) keep(ref credo.SubjectRef, r *credo.Record, hits []policy.Hit) {
	sr := pr.subject(ref)
	if cap(pr.arena)-len(pr.arena) < len(hits) {
		pr.arena = make([]policy.Hit, 0, max(4096, len(hits)))
	}
	n := len(pr.arena)
	pr.arena = append(pr.arena, hits...)
	sr.recs = append(sr.recs, r)
	sr.hits = append(sr.hits, pr.arena[n:len(pr.arena):len(pr.arena)])
}

func (pr *projection) subject(ref credo.SubjectRef) *subjectRecs {
	sr := pr.bySubject[ref]
	if sr == nil {
		sr = &subjectRecs{}
		pr.bySubject[ref] = sr
	}
	return sr
}

// scan reads the records from sequence number lo through hi.
func (pr *projection) scan(ctx context.Context, scan func(context.Context, uint64) iter.Seq2[*credo.Record, error], lo, hi uint64) {
	p := pr.p
	scoresPersons := p.Scores(credo.Person)
	linked := p.LinkedKinds()
	var hits []policy.Hit
	for r, err := range scan(ctx, lo) {
		if err != nil {
			pr.err = err
			return
		}
		if r.Seq > hi {
			return
		}
		pr.records++
		pr.through = r.Seq
		if owner := pr.ov.owner(r); owner != r.Subject {
			if !owner.Resolved() {
				continue
			}
			c := *r // the record as its owner's: not a linked one
			c.Subject = owner
			r = &c
		}
		if !r.Subject.Resolved() {
			continue
		}
		if p.Scores(r.Subject.Kind) {
			hits = p.Match(r.Subject, r, hits[:0])
			if p.Relevant(r, hits) {
				pr.keep(r.Subject, r, hits)
			} else {
				pr.subject(r.Subject) // a standing all the same
			}
		}
		if scoresPersons && r.Subject.Kind == credo.Organization && slices.Contains(linked, r.Kind) {
			if rep, ok := pr.reps[r.Subject]; ok {
				hits = p.Match(rep, r, hits[:0])
				if len(hits) > 0 {
					pr.keep(rep, r, hits)
				}
			}
		}
	}
}

// Recompute scores every subject the policy scores, from the whole ledger,
// stores the standings and sets the version's watermark to the end of the
// ledger. It is what publishing a version does. Records belong to the
// subject the store's resolutions give them (credo.Resolutions).
//
// Over a store that keeps the scoring projection (ProjectionStore) and a
// policy without standing-based lists, it reads only the projection (see
// recomputeProjected) and stores the standings without their
// contributions, which `credo subject show` computes. Otherwise one pass
// over the ledger computes what the policy makes of each record once and
// keeps only the records that can affect a standing (see
// policy.Program.Relevant). Every subject of a kind the policy scores gets
// a standing, those without a relevant record the policy's base one.
func Recompute(ctx context.Context, s Store, p *policy.Program, o Options) (Result, error) {
	o.defaults()
	start := time.Now()
	res := Result{PolicyVersion: p.VersionID(), Full: true}
	if ps, ok := s.(ProjectionStore); ok && p.QuickOK() {
		return recomputeProjected(ctx, ps, p, o, res)
	}
	ov, err := readOverlay(ctx, s)
	if err != nil {
		return res, fmt.Errorf("score %s: %w", p.VersionID(), err)
	}
	scan := s.Scan
	if pj, ok := s.(Projector); ok {
		scan = pj.ScanScoring
	}
	head, err := s.Head(ctx)
	if err != nil {
		return res, err
	}
	// The ledger is scanned in as many stretches as there are workers,
	// each into its own map, merged after.
	parts := make([]*projection, max(min(o.Workers, int(head.Seq/uint64(o.stretch))), 1))
	var wg sync.WaitGroup
	for w := range parts {
		lo := head.Seq * uint64(w) / uint64(len(parts))
		hi := head.Seq * uint64(w+1) / uint64(len(parts))
		if w == len(parts)-1 {
			hi = math.MaxUint64 // and whatever was appended since
		}
		pr := &projection{p: p, reps: o.Reps, ov: ov, bySubject: map[credo.SubjectRef]*subjectRecs{}}
		parts[w] = pr
		wg.Go(func() { pr.scan(ctx, scan, lo+1, hi) })
	}
	wg.Wait()
	bySubject := parts[0].bySubject
	for _, pr := range parts {
		if pr.err != nil {
			return res, fmt.Errorf("score %s: reading the ledger: %w", p.VersionID(), pr.err)
		}
		res.Records += pr.records
		res.Through = max(res.Through, pr.through)
		if pr == parts[0] {
			continue
		}
		for ref, x := range pr.bySubject {
			sr := bySubject[ref]
			if sr == nil {
				bySubject[ref] = x
				continue
			}
			sr.recs = append(sr.recs, x.recs...)
			sr.hits = append(sr.hits, x.hits...)
		}
	}
	subjects := make([]credo.SubjectRef, 0, len(bySubject))
	for ref := range bySubject {
		subjects = append(subjects, ref)
	}
	slices.SortFunc(subjects, compareRefs)
	n, err := store(ctx, s, o.Workers, len(subjects), func(i int) credo.Standing {
		ref := subjects[i]
		sr := bySubject[ref]
		return p.StandingFrom(ref, sr.recs, sr.hits, o.AsOf)
	})
	res.Subjects = n
	if err != nil {
		return res, fmt.Errorf("score %s: %w", p.VersionID(), err)
	}
	if err := s.SetWatermark(ctx, p.VersionID(), res.Through); err != nil {
		return res, err
	}
	res.Took = time.Since(start)
	return res, nil
}

func compareRefs(a, b credo.SubjectRef) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), strings.Compare(a.ID, b.ID))
}

// store computes n standings with workers goroutines and stores them in
// batches, returning how many it stored.
func store(ctx context.Context, s credo.Standings, workers, n int, standing func(i int) credo.Standing) (int64, error) {
	var (
		mu     sync.Mutex
		next   int
		stored int64
		first  error
		wg     sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		cancel()
	}
	for range min(workers, max(n/batchSize, 1)) {
		wg.Go(func() {
			sts := make([]credo.Standing, 0, batchSize)
			ptrs := make([]*credo.Standing, 0, batchSize)
			for ctx.Err() == nil {
				mu.Lock()
				lo := next
				next += batchSize
				mu.Unlock()
				if lo >= n {
					return
				}
				hi := min(lo+batchSize, n)
				sts, ptrs = sts[:0], ptrs[:0]
				for i := lo; i < hi; i++ {
					sts = append(sts, standing(i))
				}
				for i := range sts {
					ptrs = append(ptrs, &sts[i])
				}
				if err := s.PutStandings(ctx, ptrs); err != nil {
					fail(err)
					return
				}
				mu.Lock()
				stored += int64(len(ptrs))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first != nil {
		return stored, first
	}
	return stored, ctx.Err()
}

// CatchUp brings the standings under p up to date: it reads the ledger
// from the version's watermark on, recomputes the subjects those records
// touched (a record of an organisation touches its legal representative
// too, when the policy's linkage takes its kind) and the subjects whose
// standing changes by time alone by the as-of time, stores them and moves
// the watermark. A version that has scored nothing yet is recomputed in
// full. The standings are stored before the watermark moves: a run cut
// short leaves the watermark behind, and the next run recomputes those
// subjects again, to the same standings.
func CatchUp(ctx context.Context, s Store, p *policy.Program, o Options) (Result, error) {
	o.defaults()
	start := time.Now()
	wm, err := s.Watermark(ctx, p.VersionID())
	if err != nil {
		return Result{}, err
	}
	if wm == 0 {
		return Recompute(ctx, s, p, o)
	}
	res := Result{PolicyVersion: p.VersionID(), Through: wm}
	if _, err := Extend(ctx, s); err != nil {
		return res, fmt.Errorf("score %s: %w", p.VersionID(), err)
	}
	ov, err := readOverlay(ctx, s)
	if err != nil {
		return res, fmt.Errorf("score %s: %w", p.VersionID(), err)
	}
	touched := map[credo.SubjectRef]bool{}
	scoresPersons := p.Scores(credo.Person)
	linked := p.LinkedKinds()
	touch := func(ref credo.SubjectRef) {
		if ref.Resolved() && p.Scores(ref.Kind) {
			touched[ref] = true
		}
	}
	for r, err := range s.Scan(ctx, wm+1) {
		if err != nil {
			return res, fmt.Errorf("score %s: reading the ledger from %d: %w", p.VersionID(), wm+1, err)
		}
		res.Records++
		res.Through = r.Seq
		if r.Source == credo.ResolutionSource {
			// a link, unlink, merge or unmerge: the subjects on both sides
			touch(r.Subject)
			touch(ov.root(r.Subject))
			if v, ok := r.Attributes.Get("from"); ok {
				if kv, ok := r.Attributes.Get("from_kind"); ok {
					if k, err := credo.ParseSubjectKind(kv.String()); err == nil {
						touch(credo.SubjectRef{Kind: k, ID: v.String()})
					}
				}
			}
			continue
		}
		if owner := ov.owner(r); owner != r.Subject {
			touch(owner)
			continue
		}
		if !r.Subject.Resolved() {
			continue
		}
		touch(r.Subject)
		if scoresPersons && r.Subject.Kind == credo.Organization && slices.Contains(linked, r.Kind) {
			if rep, ok := o.Reps[r.Subject]; ok {
				touched[rep] = true
			}
		}
	}
	due := map[credo.SubjectRef]bool{}
	for ref, err := range s.DueStandings(ctx, p.Jurisdiction, o.AsOf) {
		if err != nil {
			return res, fmt.Errorf("score %s: standings due by %s: %w", p.VersionID(), o.AsOf.Format(time.RFC3339), err)
		}
		due[ref] = true
		if !touched[ref] {
			touched[ref] = true
			res.Due++
		}
	}
	subjects := make([]credo.SubjectRef, 0, len(touched))
	for ref := range touched {
		subjects = append(subjects, ref)
	}
	slices.SortFunc(subjects, compareRefs)
	represented := o.Reps.represented()
	var (
		mu    sync.Mutex
		first error
	)
	n, err := store(ctx, s, o.Workers, len(subjects), func(i int) credo.Standing {
		ref := subjects[i]
		recs, err := Records(ctx, s, p, ref, represented[ref])
		if err == nil && due[ref] {
			err = changesSince(ctx, s, p, ref, recs, o.AsOf)
		}
		if err != nil {
			mu.Lock()
			first = cmp.Or(first, err)
			mu.Unlock()
		}
		return p.Standing(ref, recs, o.AsOf)
	})
	res.Subjects = n
	if err == nil {
		err = first
	}
	if err != nil {
		return res, fmt.Errorf("score %s: %w", p.VersionID(), err)
	}
	if res.Through != wm {
		if err := s.SetWatermark(ctx, p.VersionID(), res.Through); err != nil {
			return res, err
		}
	}
	res.Took = time.Since(start)
	return res, nil
}

// changesSince stores the standings ref went through by time alone
// between its stored standing's next change and asOf, each as of the
// moment it changed, so that the history records a list exit or an
// expiry when it happened rather than when the run noticed it.
func changesSince(ctx context.Context, s Store, p *policy.Program, ref credo.SubjectRef, recs []*credo.Record, asOf time.Time) error {
	old, err := s.Standing(ctx, ref, p.Jurisdiction)
	if err != nil || old.PolicyVersion != p.VersionID() {
		return nil // nothing to walk from: the run's own standing will do
	}
	for t := old.NextChange; !t.IsZero() && t.Before(asOf); {
		st := p.Standing(ref, recs, t)
		if err := s.PutStandings(ctx, []*credo.Standing{&st}); err != nil {
			return err
		}
		if !st.NextChange.After(t) {
			break
		}
		t = st.NextChange
	}
	return nil
}

// Records gathers what a standing of ref under p sees: its own records,
// and, when p's linkage takes them, the records of the organisations orgs
// that ref legally represents, of the linked kinds.
func Records(ctx context.Context, l credo.Ledger, p *policy.Program, ref credo.SubjectRef, orgs []credo.SubjectRef) ([]*credo.Record, error) {
	var recs []*credo.Record
	for r, err := range l.SubjectRecords(ctx, ref) {
		if err != nil {
			return nil, fmt.Errorf("records of %s: %w", ref, err)
		}
		if r.Subject != ref {
			// ref's by a resolution (linked to it, or of a subject merged
			// into it): its own record, not a linked subject's
			c := *r
			c.Subject = ref
			r = &c
		}
		recs = append(recs, r)
	}
	linked := p.LinkedKinds()
	if len(linked) == 0 || ref.Kind != credo.Person {
		return recs, nil
	}
	for _, org := range orgs {
		for r, err := range l.SubjectRecords(ctx, org) {
			if err != nil {
				return nil, fmt.Errorf("records of %s, represented by %s: %w", org, ref, err)
			}
			if slices.Contains(linked, r.Kind) {
				recs = append(recs, r)
			}
		}
	}
	return recs, nil
}

// Standing computes ref's standing under p as of asOf from the ledger,
// with the linked records of the organisations it represents (see
// Records).
func Standing(ctx context.Context, l credo.Ledger, p *policy.Program, ref credo.SubjectRef, reps Representatives, asOf time.Time) (credo.Standing, error) {
	var orgs []credo.SubjectRef
	if ref.Kind == credo.Person {
		orgs = reps.represented()[ref]
	}
	recs, err := Records(ctx, l, p, ref, orgs)
	if err != nil {
		return credo.Standing{}, err
	}
	return p.Standing(ref, recs, asOf), nil
}
