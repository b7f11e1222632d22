package decide

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"sync"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/internal/countsort"
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
// by subject and interns the profiles, gathering (subject, profile) pairs.
// The pairs are then sorted by their place in the index (a counting sort,
// each core counting and placing a part) and inserted front to back, each
// core filling its own stretch of the index; the few subjects whose probe
// would cross into the next stretch are inserted after, one at a time.
// Nothing is allocated per subject.
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
	J := len(t.schema.juris)
	w := &writer{t: t, snap: t.empty(0), intern: newInternTable(), J: J}

	// Each reader holds at most two chunks; the rest are queued or being
	// interned.
	full := make(chan []loadEntry, 4)
	free := make(chan []loadEntry, 2*len(parts)+cap(full)+2)
	for range cap(free) {
		free <- make([]loadEntry, 0, loadChunk)
	}
	var keys []uint64
	var profs []uint32
	packed := make(chan struct{})
	go func() {
		defer close(packed)
		keys, profs = t.packAll(w, full, free, subjects)
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
	idx := newSlots(len(keys))
	w.snap = &snapshot{idx: idx, words: w.snap.words}
	sk, sp, bounds := sortByHome(idx, keys, profs)
	keys, profs = nil, nil
	late := insertParts(idx, sk, sp, bounds)
	sk, sp = nil, nil
	for _, e := range late {
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
	t.intern = w.intern
	t.snap.Store(w.snap)
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

// LoadStandings replaces the table's contents with every standing stored
// in s: read in as many parts as there are cores, a goroutine each, when s
// can read them so (PartedStandings), else in one sequence. It is how
// `credo serve` loads its table.
func (t *Table) LoadStandings(ctx context.Context, s credo.Standings) error {
	if ps, ok := s.(PartedStandings); ok {
		return t.LoadParts(ctx, ps.StandingParts(ctx, runtime.GOMAXPROCS(0)), 0)
	}
	return t.Load(ctx, s.ListStandings(ctx, credo.StandingFilter{}), 0)
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
// subject's profile, returning the subjects' keys and profiles in the
// order they came.
func (t *Table) packAll(w *writer, full <-chan []loadEntry, free chan<- []loadEntry, subjects int) ([]uint64, []uint32) {
	var (
		curKey  uint64
		words   = make([]uint64, w.J)
		pending bool
		keys    = make([]uint64, 0, subjects)
		profs   = make([]uint32, 0, subjects)
	)
	flush := func() {
		if pending {
			p, _ := w.profileOf(words)
			keys, profs = append(keys, curKey), append(profs, p)
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
	return keys, profs
}

// homeGroup is the log2 of how many index slots a counting-sort bucket
// spans.
const homeGroup = 6

// sortByHome returns keys and profs ordered by their home bucket in idx
// (a stable counting sort, each core counting and placing a part), and the
// bucket boundaries of the parts insertParts fills: part i holds
// sk[bounds[i].from:bounds[i].to], homes in slots [bounds[i].lo, bounds[i].hi).
func sortByHome(idx *slots, keys []uint64, profs []uint32) (sk []uint64, sp []uint32, bounds []part) {
	P := max(1, min(runtime.GOMAXPROCS(0), 8))
	if len(keys) < 1<<16 {
		P = 1
	}
	G := len(idx.keys)>>homeGroup + 1
	counts := make([][]int32, P)
	span := func(i int) (int, int) { return i * len(keys) / P, (i + 1) * len(keys) / P }
	parallel(P, func(i int) {
		c := make([]int32, G)
		from, to := span(i)
		for _, k := range keys[from:to] {
			c[idx.home(k)>>homeGroup]++
		}
		counts[i] = c
	})
	// bucket b of part i starts after every earlier bucket, and bucket b of
	// earlier parts
	base := countsort.Offsets(counts, G)
	sk, sp = make([]uint64, len(keys)), make([]uint32, len(keys))
	parallel(P, func(i int) {
		pos := counts[i]
		from, to := span(i)
		for n, k := range keys[from:to] {
			b := idx.home(k) >> homeGroup
			sk[pos[b]], sp[pos[b]] = k, profs[from+n]
			pos[b]++
		}
	})
	bounds = make([]part, P)
	for i := range P {
		g0, g1 := i*G/P, (i+1)*G/P
		bounds[i] = part{from: int(base[g0]), to: int(base[g1]), lo: g0 << homeGroup, hi: min(g1<<homeGroup, len(idx.keys))}
	}
	return sk, sp, bounds
}

// part is a stretch of the index one core fills.
type part struct {
	from, to int // in the sorted keys
	lo, hi   int // slots
}

// lateEntry is a subject insertParts left for after.
type lateEntry struct {
	key  uint64
	prof uint32
}

// insertParts inserts the sorted keys into idx, a part a core, with plain
// stores (idx is not yet published). A key whose probe would leave its
// part's slots, or that is already there under another profile (a subject
// whose standings came apart), is returned for the caller to insert after.
func insertParts(idx *slots, sk []uint64, sp []uint32, bounds []part) []lateEntry {
	lates := make([][]lateEntry, len(bounds))
	placed := make([]int, len(bounds))
	parallel(len(bounds), func(pi int) {
		pt := bounds[pi]
		var late []lateEntry
		n0 := 0
	next:
		for n := pt.from; n < pt.to; n++ {
			k, p := sk[n], sp[n]
			for i := idx.home(k); i < pt.hi; i++ {
				switch idx.keys[i] {
				case k:
					if idx.prof[i] != p {
						late = append(late, lateEntry{k, p})
					}
					continue next
				case 0:
					idx.keys[i], idx.prof[i] = k, p
					n0++
					continue next
				}
			}
			late = append(late, lateEntry{k, p})
		}
		lates[pi], placed[pi] = late, n0
	})
	var out []lateEntry
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
