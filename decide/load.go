package decide

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"runtime"
	"sync"

	"github.com/credo-org/credo"
)

// loadEntry is one standing as Load's reader hands it to its interner:
// the subject's key and the packed word, free of pointers (no write
// barriers, nothing for the collector to scan).
type loadEntry struct {
	key  uint64
	word uint64
	j    int
}

// loadChunk is how many standings the reader hands over at once.
const loadChunk = 4096

// Load replaces the table's contents with the standings standings yields
// (each a subject's standing in one jurisdiction, in any order; the
// standings of a subject are best yielded together, as they are computed).
// subjects is how many subjects to expect, or 0. Updates wait while Load
// runs; decisions do not, and see the old table until Load returns. The
// caller may reuse a standing once it is yielded.
//
// Load uses every core it is given. The caller's goroutine reads the
// standings and packs what the table keeps; a second goroutine groups them
// by subject and interns the profiles, gathering (subject, profile) pairs
// by where in the index they go (build). Nothing is allocated per subject.
func (t *Table) Load(ctx context.Context, standings iter.Seq2[*credo.Standing, error], subjects int) error {
	return t.LoadParts(ctx, []iter.Seq2[*credo.Standing, error]{standings}, subjects)
}

// LoadParts is Load over several sequences read at once, a goroutine each:
// where the standings can be read in parts (a store's key ranges, a
// generator's share of the subjects), the reading and packing, the part of
// a load that one sequence makes serial, is spread over the cores. Each
// subject's standings must all be in one part.
func (t *Table) LoadParts(ctx context.Context, parts []iter.Seq2[*credo.Standing, error], subjects int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.newWriter(t.empty(t.snap.Load().seed), newInternTable())

	// Each reader holds at most two chunks; the rest are queued or being
	// interned.
	full := make(chan []loadEntry, 4)
	free := make(chan []loadEntry, 2*len(parts)+cap(full)+2)
	for range cap(free) {
		free <- make([]loadEntry, 0, loadChunk)
	}
	var g *gathered
	packed := make(chan struct{})
	go func() {
		defer close(packed)
		g = t.packAll(w, full, free, subjects)
	}()
	errs := make([]error, len(parts))
	parallel(len(parts), func(i int) { errs[i] = t.readAll(ctx, parts[i], full, free) })
	close(full)
	<-packed
	err := errors.Join(errs...)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return err
	}
	t.build(w, []*gathered{g})
	return nil
}

// PartedStandings is a store of standings that reads them in parts by
// subject, each subject's standings under every jurisdiction together in
// one part (package pebble: storetest.StandingParter); a standing yielded
// needs to hold only what the table keeps (subject, jurisdiction, score,
// grade, grade reason's By, list names).
type PartedStandings interface {
	StandingParts(ctx context.Context, n int) []iter.Seq2[*credo.Standing, error]
}

// SummarizedStandings is a store of standings that reads, in parts as
// PartedStandings does, only what a decision reads of them, in batches
// (package pebble).
type SummarizedStandings interface {
	StandingSummaryParts(ctx context.Context, n int) []iter.Seq2[*credo.StandingSummaries, error]
}

// LoadStandings replaces the table's contents with every standing stored
// in s: read in as many parts as there are cores, a goroutine each, as
// summaries when s can read them so (SummarizedStandings), else as
// standings (PartedStandings), else in one sequence. It is how `credo
// serve` loads its table.
func (t *Table) LoadStandings(ctx context.Context, s credo.Standings) error {
	n := runtime.GOMAXPROCS(0)
	if ss, ok := s.(SummarizedStandings); ok {
		return t.loadSummaries(ctx, ss.StandingSummaryParts(ctx, n))
	}
	if ps, ok := s.(PartedStandings); ok {
		return t.LoadParts(ctx, ps.StandingParts(ctx, n), 0)
	}
	return t.Load(ctx, s.ListStandings(ctx, credo.StandingFilter{}), 0)
}

// loadSummaries replaces the table's contents with the standings the
// parts yield as summaries, a goroutine a part: each packs its standings,
// numbers its own profiles and gathers its subjects by where in the index
// they go, with nothing to share until build.
func (t *Table) loadSummaries(ctx context.Context, parts []iter.Seq2[*credo.StandingSummaries, error]) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	gs := make([]*gathered, len(parts))
	errs := make([]error, len(parts))
	parallel(len(parts), func(i int) { gs[i], errs[i] = t.gatherSummaries(ctx, parts[i]) })
	if err := errors.Join(errs...); err != nil {
		return err
	}
	t.build(t.newWriter(t.empty(t.snap.Load().seed), newInternTable()), gs)
	return nil
}

// gatherSummaries packs the standings of one part's batches of summaries
// and gathers its subjects with their profiles, numbered in the part.
func (t *Table) gatherSummaries(ctx context.Context, part iter.Seq2[*credo.StandingSummaries, error]) (*gathered, error) {
	J := len(t.schema.juris)
	sd := t.snap.Load().seed // Load's writers hold t.mu: it stays
	g := &gathered{own: &profiles{J: J, intern: newInternTable()}}
	var (
		m       meanings
		words   = make([]uint64, J)
		key     uint64
		pending bool
	)
	flush := func() {
		if pending {
			p, _ := g.own.number(words)
			g.add(key, p)
			clear(words)
			pending = false
		}
	}
	for b, err := range part {
		if err != nil {
			return nil, fmt.Errorf("decision table: reading standings: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m.learn(t.schema, b.Strings)
		n := uint32(len(m.jur))
		var from, to uint32
		for i := range b.Summaries {
			sm := &b.Summaries[i]
			if max(sm.Jurisdiction, sm.PolicyVersion, sm.Grade, sm.GradeBy) >= n ||
				sm.IDFrom > sm.IDTo || sm.IDTo > uint32(len(b.IDs)) || sm.ListsFrom > sm.ListsTo || sm.ListsTo > uint32(len(b.Lists)) {
				return nil, fmt.Errorf("decision table: reading standings: summary %d of a batch out of range", i)
			}
			if i == 0 || sm.IDFrom != from || sm.IDTo != to { // the next subject
				flush()
				from, to = sm.IDFrom, sm.IDTo
				key = 0
				if sm.Kind != credo.Unresolved && to > from {
					key = subjectKey(sd, sm.Kind, b.IDs[from:to])
				}
			}
			j := m.jur[sm.Jurisdiction]
			if key == 0 || j < 0 || !m.of(sm.PolicyVersion, j).versionOK {
				continue
			}
			w := present | uint64(math.Float32bits(float32(sm.Score))) | uint64(m.of(sm.Grade, j).grade)<<gradeSh
			if m.direct[sm.GradeBy] {
				w |= direct
			}
			for _, l := range b.Lists[sm.ListsFrom:sm.ListsTo] {
				if l >= n {
					return nil, fmt.Errorf("decision table: reading standings: list %d of a batch out of range", l)
				}
				w |= m.of(l, j).list
			}
			words[j] = w
			pending = true
		}
	}
	flush()
	return g, nil
}

// meanings is what the strings of a part's summaries mean to the table,
// by number, learnt as the strings come.
type meanings struct {
	J      int
	jur    []int     // the jurisdiction of that name, or -1
	direct []bool    // a grade reason's By saying the grade is direct
	in     []meaning // [s*J+j]: what string s means in jurisdiction j
}

// meaning is what a string means in one jurisdiction.
type meaning struct {
	versionOK bool   // a policy version the jurisdiction's standings may have
	grade     uint8  // the grade's index, or noGrade
	list      uint64 // the list's bit in the packed word, or 0
}

func (m *meanings) of(s uint32, j int) *meaning { return &m.in[int(s)*m.J+j] }

// learn works out what the strings after those learnt mean.
func (m *meanings) learn(sc *schema, strs []string) {
	m.J = len(sc.juris)
	for _, s := range strs[len(m.jur):] {
		jur := -1
		for j := range sc.juris {
			jd := &sc.juris[j]
			if jd.name == s {
				jur = j
			}
			var bit uint64
			if b, ok := jd.lists[s]; ok {
				bit = 1 << (listShft + b)
			}
			m.in = append(m.in, meaning{versionOK: s == "" || s == jd.version, grade: uint8(jd.gradeIndex(s)), list: bit})
		}
		m.jur = append(m.jur, jur)
		m.direct = append(m.direct, s == "direct")
	}
}

// readAll reads the standings into chunks of entries handed to full.
func (t *Table) readAll(ctx context.Context, standings iter.Seq2[*credo.Standing, error], full chan<- []loadEntry, free <-chan []loadEntry) error {
	chunk := <-free
	n := 0
	var (
		last    credo.SubjectRef
		lastKey uint64
	)
	for st, err := range standings {
		if err != nil {
			return fmt.Errorf("decision table: reading standings: %w", err)
		}
		if n++; n&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		j := t.jurisdiction(st)
		if j < 0 || !st.Subject.Resolved() {
			continue
		}
		if lastKey == 0 || st.Subject != last {
			last, lastKey = st.Subject, t.Key(st.Subject)
		}
		chunk = append(chunk, loadEntry{key: lastKey, word: t.pack(j, st), j: j})
		if len(chunk) == loadChunk {
			// hand over whole subjects: the last one's standings so far
			// go on in the next chunk
			r := len(chunk)
			for r > 0 && chunk[r-1].key == lastKey {
				r--
			}
			if r == 0 {
				r = len(chunk)
			}
			next := append(<-free, chunk[r:]...)
			full <- chunk[:r]
			chunk = next
		}
	}
	if len(chunk) > 0 {
		full <- chunk
	}
	return nil
}

// packAll groups the entries handed to full by subject and interns each
// subject's profile in w, gathering the subjects and their profiles.
func (t *Table) packAll(w *writer, full <-chan []loadEntry, free chan<- []loadEntry, subjects int) *gathered {
	g := &gathered{hint: subjects}
	var (
		curKey  uint64
		words   = make([]uint64, w.ps.J)
		pending bool
	)
	flush := func() {
		if pending {
			p, _ := w.profileOf(words)
			g.add(curKey, p)
			clear(words)
			pending = false
		}
	}
	for chunk := range full {
		for _, e := range chunk {
			if !pending || e.key != curKey {
				flush()
				curKey, pending = e.key, true
			}
			words[e.j] = e.word
		}
		free <- chunk[:0]
	}
	flush()
	return g
}

// gatherBits is the log2 of how many stretches of the index a load
// gathers its subjects in: about 600 KB of slots a stretch at ten million
// subjects, which stay in a core's cache while it fills the stretch.
const (
	gatherBits = 8
	gatherings = 1 << gatherBits
)

// gathered is the subjects one part of a load gathered, with their
// profiles: in gatherings by the high bits of their key's hash, which
// stretch of the index (any index: slots.home keeps the hashes' order)
// each goes in. A gathering is a list of chunks, filled in turn and never
// copied.
type gathered struct {
	full [gatherings][][]subjectProfile
	cur  [gatherings][]subjectProfile // the chunk being filled
	n    int
	hint int // how many subjects to expect, or 0
	// own numbers the part's profiles when it numbered them itself
	// (else the profiles are the table's), and remap is then their
	// numbers in the table
	own   *profiles
	remap []uint32
}

// subjectProfile is a subject's key and profile number.
type subjectProfile struct {
	key  uint64
	prof uint32
}

// maxChunk is the most subjects a chunk of a gathering holds: 64 KB.
const maxChunk = 4096

func (g *gathered) add(k uint64, p uint32) {
	i := hashKey(k) >> (64 - gatherBits)
	if c := g.cur[i]; len(c) == cap(c) {
		if len(c) > 0 {
			g.full[i] = append(g.full[i], c)
		}
		g.cur[i] = make([]subjectProfile, 0, min(max(2*cap(c), g.hint/gatherings, 64), maxChunk))
	}
	g.cur[i] = append(g.cur[i], subjectProfile{k, p})
	g.n++
}

// each calls f with each chunk of gathering i, in order.
func (g *gathered) each(i int, f func([]subjectProfile)) {
	for _, c := range g.full[i] {
		f(c)
	}
	f(g.cur[i])
}

// build makes the index of the subjects gathered, their profiles numbered
// in w, and publishes it with w's profiles. Each core fills the stretch
// of the index of a share of the gatherings, with plain stores (the index
// is not yet published); the few subjects whose probe would cross into the
// next stretch, or that came twice, are put in after, one at a time.
func (t *Table) build(w *writer, gs []*gathered) {
	J := w.ps.J
	n := 0
	for _, g := range gs {
		n += g.n
		if g.own != nil {
			g.remap = make([]uint32, len(g.own.words)/max(J, 1))
			for p := range g.remap {
				g.remap[p], _ = w.profileOf(g.own.words[p*J : (p+1)*J])
			}
		}
	}
	idx := newSlots(n)
	w.snap = &snapshot{idx: idx, words: w.snap.words, seed: w.snap.seed}
	for _, e := range insertGathered(idx, gs) {
		k, p := e.key, e.prof
		if old, ok := idx.find(k); ok && old != p { // the subject came before, apart: merge
			words := make([]uint64, J)
			copy(words, w.snap.words[int(old)*J:int(old+1)*J])
			nw := w.snap.words[int(p)*J : int(p+1)*J]
			for j := range words {
				if nw[j] != 0 {
					words[j] = nw[j]
				}
			}
			p, _ = w.profileOf(words)
		}
		idx.put(k, p)
	}
	t.intern = w.ps.intern
	t.snap.Store(w.snap)
}

// insertGathered inserts the subjects gathered into idx, a share of the
// gatherings a core, with plain stores (idx is not yet published). A key
// whose probe would leave its share's slots, or that is already there
// under another profile (a subject whose standings came apart), is
// returned for the caller to insert after, in the order it came.
func insertGathered(idx *slots, gs []*gathered) []subjectProfile {
	n := 0
	for _, g := range gs {
		n += g.n
	}
	P := max(1, min(runtime.GOMAXPROCS(0), 8))
	if n < 1<<16 {
		P = 1
	}
	lates := make([][]subjectProfile, P)
	placed := make([]int, P)
	parallel(P, func(pi int) {
		g0, g1 := pi*gatherings/P, (pi+1)*gatherings/P
		// the slots after those of gatherings [g0, g1), where the hashes
		// of their keys go
		hi := len(idx.keys)
		if g1 < gatherings {
			hi = idx.homeOf(uint64(g1) << (64 - gatherBits))
		}
		var late []subjectProfile
		n0 := 0
		for gi := g0; gi < g1; gi++ {
			for _, g := range gs {
				g.each(gi, func(c []subjectProfile) {
				next:
					for _, e := range c {
						k, p := e.key, e.prof
						if g.remap != nil {
							p = g.remap[p]
						}
						for i := idx.home(k); i < hi; i++ {
							switch idx.keys[i] {
							case k:
								if idx.prof[i] != p {
									late = append(late, subjectProfile{k, p})
								}
								continue next
							case 0:
								idx.keys[i], idx.prof[i] = k, p
								n0++
								continue next
							}
						}
						late = append(late, subjectProfile{k, p})
					}
				})
			}
		}
		lates[pi], placed[pi] = late, n0
	})
	var out []subjectProfile
	for pi, l := range lates {
		idx.n += placed[pi]
		out = append(out, l...)
	}
	return out
}

// parallel runs f(0) … f(n-1) at once and waits for them.
func parallel(n int, f func(i int)) {
	if n == 1 {
		f(0)
		return
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}
