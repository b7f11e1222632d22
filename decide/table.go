// Package decide is the decision table and measure evaluation: the stage
// between standings and the decision API.
//
//	ledger ─▶ standings ─▶ decision table ─▶ decisions (AuthZEN, audited)
//
// A Table holds, for every subject, only what the published measures read
// — per jurisdiction the grade, the list memberships, the score and
// whether the grade was capped — packed in 8 bytes a jurisdiction and
// interned: subjects share one copy of each distinct combination (a
// profile), and each subject costs one 8-byte key and one 4-byte profile
// number in an open-addressed index kept ≤ 80% full (about 15 bytes a
// subject). The table is built from a sequence of standings (Load), or
// read whole from its snapshot of the stored standings (ReadSnapshot), and
// kept current one standing at a time (Update); readers never lock.
//
// The measures of the policies the table is made for are compiled to run
// over it: the common shapes (list membership, grade equality and sets,
// score thresholds, the context's purpose tests, and their and/or/not) as
// plain Go, the rest in CEL over a view made from the packed standing.
package decide

import (
	"math"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/policy"
)

// Key is a subject's 8-byte key in the table: a resident identity number's
// 17 leading digits exactly (its 18th is a check character), a unified
// social credit code hashed under the table's seed (a collision among a
// million organisations has odds of about 1 in 10^7). Zero is never a key.
func (t *Table) Key(ref credo.SubjectRef) uint64 {
	return subjectKey(t.snap.Load().seed, ref.Kind, ref.ID)
}

// subjectKey is Key of the subject of kind with identifier id, under sd.
func subjectKey[S string | []byte](sd seed, kind credo.SubjectKind, id S) uint64 {
	if kind == credo.Person && len(id) == 18 {
		if v, ok := digits17(id); ok {
			return v + 1 // top bit clear
		}
	}
	return sipHash(sd, id) | 1<<63 | uint64(kind)
}

// digits17 parses the 17 leading characters of s (at least 17 long) as a
// decimal number, eight digits at a time.
func digits17[S string | []byte](s S) (uint64, bool) {
	a, ok1 := digits8(s[0:8])
	b, ok2 := digits8(s[8:16])
	c := uint64(s[16]) - '0'
	if !ok1 || !ok2 || c > 9 {
		return 0, false
	}
	return (a*100_000_000+b)*10 + c, true
}

// digits8 parses 8 decimal digits with SWAR arithmetic.
func digits8[S string | []byte](s S) (uint64, bool) {
	x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	// every byte in '0'..'9': no borrow taking '0', no carry adding 0x7f-'9'
	if ((x|hi)-'0'*lo)&hi != hi || (x+(0x7f-'9')*lo)&hi != 0 {
		return 0, false
	}
	x -= '0' * lo
	x = (x * 10) + (x >> 8) // pairs
	x = ((x & 0x000000FF000000FF) * (100 + (1000000 << 32))) + (((x >> 16) & 0x000000FF000000FF) * (1 + (10000 << 32)))
	return x >> 32, true
}

// Packed standing in one jurisdiction, one 64-bit word:
//
//	bit 63      the subject has a standing there
//	bit 62      its grade was capped (grade_by direct)
//	bits 40–61  list memberships: bit 40+i for the jurisdiction's list i
//	bits 32–39  the grade's index among the policy's bands (0xff: none)
//	bits 0–31   the score, as a float32
const (
	present  = 1 << 63
	direct   = 1 << 62
	listShft = 40
	maxLists = 22
	gradeSh  = 32
	noGrade  = 0xff
)

func wordGrade(w uint64) int     { return int(w >> gradeSh & 0xff) }
func wordScore(w uint64) float64 { return float64(math.Float32frombits(uint32(w))) }
func wordLists(w uint64) uint64  { return w >> listShft & (1<<maxLists - 1) }
func wordPresent(w uint64) bool  { return w&present != 0 }
func wordDirect(w uint64) bool   { return w&direct != 0 }

// slots is the open-addressed index: keys and profile numbers side by side.
// Readers and Update reach the slots with atomic loads and stores; Load
// fills a new index with plain stores before publishing it.
type slots struct {
	keys []uint64
	prof []uint32
	n    int // subjects held (writers only)
}

// snapshot is what readers load: the index and the interned profiles,
// profile p being words[p*J:(p+1)*J] for J jurisdictions, and the seed of
// the keys the index holds.
type snapshot struct {
	idx   *slots
	words []uint64
	seed  seed
}

// Table is the decision table. Decide and Lookup may be called
// concurrently with each other, with Update and with Load: readers never
// lock, and see the table Load replaces until the new one is complete.
type Table struct {
	schema *schema
	snap   atomic.Pointer[snapshot]

	mu     sync.Mutex // writers: Load and Update
	intern *internTable
}

// internTable maps a profile's hash to a profile with that hash: open
// addressing over a power-of-two array, kept at most half full (profiles
// are few; a Go map would cost more per subject loaded).
type internTable struct {
	hashes []uint64
	profs  []uint32
	n      int
}

func newInternTable() *internTable {
	return &internTable{hashes: make([]uint64, 1024), profs: make([]uint32, 1024)}
}

// get returns the profile interned under h.
func (it *internTable) get(h uint64) (uint32, bool) {
	mask := len(it.hashes) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		switch it.hashes[i] {
		case h:
			return it.profs[i], true
		case 0:
			return 0, false
		}
	}
}

// add interns p under h (h not yet there).
func (it *internTable) add(h uint64, p uint32) {
	if 2*(it.n+1) > len(it.hashes) {
		old := *it
		it.hashes, it.profs, it.n = make([]uint64, 2*len(old.hashes)), make([]uint32, 2*len(old.hashes)), 0
		for i, x := range old.hashes {
			if x != 0 {
				it.add(x, old.profs[i])
			}
		}
	}
	mask := len(it.hashes) - 1
	i := int(h) & mask
	for it.hashes[i] != 0 {
		i = (i + 1) & mask
	}
	it.hashes[i], it.profs[i] = h, p
	it.n++
}

// New makes an empty table for the measures of prgs (the latest published
// version of each jurisdiction's policy), with their measures compiled.
func New(prgs []*policy.Program) (*Table, error) {
	sc, err := newSchema(prgs)
	if err != nil {
		return nil, err
	}
	t := &Table{schema: sc}
	t.snap.Store(t.empty(newSeed()))
	t.intern = newInternTable()
	return t, nil
}

// empty is an empty table's snapshot, its keys under sd.
func (t *Table) empty(sd seed) *snapshot {
	J := max(len(t.schema.juris), 1)
	w := make([]uint64, J, 256*J) // profile 0: known nowhere
	return &snapshot{idx: newSlots(0), words: w, seed: sd}
}

// Len is the number of subjects the table holds.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.snap.Load().idx.n
}

// Profiles is the number of distinct profiles the subjects share.
func (t *Table) Profiles() int {
	return len(t.snap.Load().words) / max(len(t.schema.juris), 1)
}

// BytesPerSubject is the index's size over the subjects it holds (the
// profiles, shared by the subjects, are not counted).
func (t *Table) BytesPerSubject() float64 {
	s := t.snap.Load().idx
	if s.n == 0 {
		return 0
	}
	return float64(len(s.keys)*12) / float64(s.n)
}

func newSlotsLen(subjects int) int { return max(subjects*5/4+1, 64) }

func newSlots(subjects int) *slots { return makeSlots(newSlotsLen(subjects)) }

// makeSlots is an empty index of n slots, on huge pages where it can be.
func makeSlots(n int) *slots {
	s := &slots{keys: make([]uint64, n), prof: make([]uint32, n)}
	adviseHugePages(s.keys)
	adviseHugePages(s.prof)
	return s
}

// hashKey scatters keys over the 64-bit integers; home places a key by
// its hash, in the hashes' order.
func hashKey(k uint64) uint64 { return k * 0x9E3779B97F4A7C15 }

func (s *slots) home(k uint64) int { return s.homeOf(hashKey(k)) }

// homeOf is the slot of hash h: h scaled to the index's length.
func (s *slots) homeOf(h uint64) int {
	i, _ := bits.Mul64(h, uint64(len(s.keys)))
	return int(i)
}

// Warm reads the index slots where the subjects of keys (Key) are, so
// that the decisions about them that follow find those slots in the
// cache. The reads do not depend on one another: the processor has them
// all under way at once, where Decide, one subject at a time, waits for
// each. For a batch of decisions; what it returns means nothing.
//
//go:noinline
func (t *Table) Warm(keys []uint64) uint64 {
	s := t.snap.Load().idx
	var x uint64
	for _, k := range keys {
		i := s.home(k)
		x += atomic.LoadUint64(&s.keys[i]) + uint64(atomic.LoadUint32(&s.prof[i]))
	}
	return x
}

// find returns the profile of key k and whether it is there.
func (s *slots) find(k uint64) (uint32, bool) {
	n := len(s.keys)
	for i := s.home(k); ; {
		switch atomic.LoadUint64(&s.keys[i]) {
		case k:
			return atomic.LoadUint32(&s.prof[i]), true
		case 0:
			return 0, false
		}
		if i++; i == n {
			i = 0
		}
	}
}

// put sets key k's profile (writers only).
func (s *slots) put(k uint64, p uint32) {
	n := len(s.keys)
	for i := s.home(k); ; {
		switch atomic.LoadUint64(&s.keys[i]) {
		case k:
			atomic.StoreUint32(&s.prof[i], p)
			return
		case 0:
			atomic.StoreUint32(&s.prof[i], p) // before the key: a reader that finds the key finds its profile
			atomic.StoreUint64(&s.keys[i], k)
			s.n++
			return
		}
		if i++; i == n {
			i = 0
		}
	}
}

func (s *slots) grown() *slots { return s.resized(2 * s.n) }

// resized is a copy of s sized for subjects.
func (s *slots) resized(subjects int) *slots {
	g := newSlots(subjects)
	for i := range s.keys {
		if k := atomic.LoadUint64(&s.keys[i]); k != 0 {
			g.put(k, atomic.LoadUint32(&s.prof[i]))
		}
	}
	return g
}

// profiles numbers distinct profiles: profile p is words[p*J:(p+1)*J].
type profiles struct {
	J      int
	words  []uint64
	intern *internTable
}

// number returns the number of the profile words, appending it to
// ps.words when it is new (added).
func (ps *profiles) number(words []uint64) (p uint32, added bool) {
	var h uint64 = 14695981039346656037
	for _, x := range words {
		h = (h ^ x) * 1099511628211
		h ^= h >> 29
	}
	h |= 1 // never 0, the empty slot
	J := ps.J
	all := ps.words
	if p, ok := ps.intern.get(h); ok {
		if same(all[int(p)*J:int(p+1)*J], words) {
			return p, false
		}
		for q := 0; q*J < len(all); q++ { // a hash collision: rare, and profiles are few
			if same(all[q*J:(q+1)*J], words) {
				return uint32(q), false
			}
		}
	}
	p = uint32(len(all) / J)
	ps.words = append(all, words...)
	if _, ok := ps.intern.get(h); !ok {
		ps.intern.add(h, p)
	}
	return p, true
}

// writer is the state a Load or an Update changes, published as snapshots.
type writer struct {
	t    *Table
	snap *snapshot
	ps   profiles // its words are snap.words; ps.J words a profile
	buf  []uint64
}

// newWriter is a writer that starts from snap, the profiles of snap.words
// interned in intern.
func (t *Table) newWriter(snap *snapshot, intern *internTable) *writer {
	J := len(t.schema.juris)
	return &writer{t: t, snap: snap, ps: profiles{J: J, words: snap.words, intern: intern}}
}

// profileOf interns words and returns its profile number, appending it to
// the writer's words. It reports whether the words grew (a new snapshot is
// then needed before a reader may see the profile).
func (w *writer) profileOf(words []uint64) (uint32, bool) {
	p, added := w.ps.number(words)
	if added {
		// Appending writes past the length readers see, never within it.
		w.snap = &snapshot{idx: w.snap.idx, words: w.ps.words, seed: w.snap.seed}
	}
	return p, added
}

func same(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// set gives subject k the profile of words. With publish, the change is
// made visible to readers at once (Update); otherwise when the writer is
// done (Load).
func (w *writer) set(k uint64, words []uint64, publish bool) {
	p, grew := w.profileOf(words)
	if w.snap.idx.n+1 > len(w.snap.idx.keys)*4/5 {
		w.snap = &snapshot{idx: w.snap.idx.grown(), words: w.snap.words, seed: w.snap.seed}
		grew = true
	}
	if grew && publish {
		w.t.snap.Store(w.snap)
	}
	w.snap.idx.put(k, p)
}

// current is subject k's words as the writer has them (a copy in w.buf).
func (w *writer) current(k uint64) []uint64 {
	w.buf = w.buf[:0]
	if p, ok := w.snap.idx.find(k); ok {
		return append(w.buf, w.snap.words[int(p)*w.ps.J:int(p+1)*w.ps.J]...)
	}
	for range w.ps.J {
		w.buf = append(w.buf, 0)
	}
	return w.buf
}

// jurisdiction returns the index of st's jurisdiction, or -1 when the
// table has no policy for it (or an older or newer version than the one
// it was made for: a standing under another version is not what the
// measures were written against).
func (t *Table) jurisdiction(st *credo.Standing) int {
	for j := range t.schema.juris {
		jd := &t.schema.juris[j]
		if jd.name == st.Jurisdiction {
			if st.PolicyVersion != "" && st.PolicyVersion != jd.version {
				return -1
			}
			return j
		}
	}
	return -1
}

// Update puts one standing in the table, replacing what the table held for
// the subject in that jurisdiction. Standings of jurisdictions or versions
// the table was not made for are ignored (Update reports false).
func (t *Table) Update(st *credo.Standing) bool {
	j := t.jurisdiction(st)
	if j < 0 || !st.Subject.Resolved() {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.newWriter(t.snap.Load(), t.intern)
	k := t.Key(st.Subject)
	words := w.current(k)
	words[j] = t.pack(j, st)
	w.set(k, words, true)
	return true
}

// lookup returns subject's packed standings, or nil when the table does
// not know the subject. The slice is shared: read it, never change it.
func (t *Table) lookup(subject credo.SubjectRef) []uint64 {
	s := t.snap.Load()
	p, ok := s.idx.find(subjectKey(s.seed, subject.Kind, subject.ID))
	if !ok {
		return nil
	}
	J := len(t.schema.juris)
	if int(p+1)*J > len(s.words) { // an Update added the profile after s was loaded
		s = t.snap.Load()
	}
	return s.words[int(p)*J : int(p+1)*J]
}

// pack makes the packed standing of st in jurisdiction j.
func (t *Table) pack(j int, st *credo.Standing) uint64 {
	return t.packed(j, float32(st.Score), st.GradeReason.By == "direct", st.Grade, t.listBits(j, st))
}

// packed makes a packed standing from its parts.
func (t *Table) packed(j int, score float32, byDirect bool, grade string, lists uint64) uint64 {
	jd := &t.schema.juris[j]
	w := uint64(present) | uint64(math.Float32bits(score)) | lists<<listShft
	if byDirect {
		w |= direct
	}
	return w | uint64(jd.gradeIndex(grade))<<gradeSh
}

// gradeIndex is grade's index among jd's grades, or noGrade. Grades are
// short codes ("A", "AA", "B-"): compared as integers, without a call.
func (jd *jurisdiction) gradeIndex(grade string) int {
	if k, ok := shortKey(grade); ok {
		for i, g := range jd.gradeKeys {
			if g == k {
				return i
			}
		}
		return noGrade
	}
	for i, name := range jd.gradeNames {
		if name == grade {
			return i
		}
	}
	return noGrade
}

// shortKey packs a string of 1 to 7 bytes, and its length, into an
// integer no other string packs into (and never 0).
func shortKey(s string) (uint64, bool) {
	if len(s) == 0 || len(s) > 7 {
		return 0, false
	}
	k := uint64(len(s))
	for i := 0; i < len(s); i++ {
		k |= uint64(s[i]) << (8 * (i + 1))
	}
	return k, true
}

// listBits is the bits of st's list memberships in jurisdiction j.
func (t *Table) listBits(j int, st *credo.Standing) uint64 {
	var bits uint64
	for i := range st.Lists {
		if b, ok := t.schema.juris[j].lists[st.Lists[i].List]; ok {
			bits |= 1 << b
		}
	}
	return bits
}
