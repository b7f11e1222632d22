package pebble

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/credo-org/credo"
)

// segEntries lists a segment's entries in order, as "person number block"
// and "other key block", read by a cursor.
func segEntries(g *segFile) ([]string, error) {
	var out []string
	for _, others := range []bool{false, true} {
		c := &segCursor{g: g, others: others}
		for {
			ok, err := c.next()
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			if others {
				out = append(out, fmt.Sprintf("other %q %d", c.key, c.blk))
			} else {
				out = append(out, fmt.Sprintf("person %d %d", c.v, c.blk))
			}
		}
	}
	return out, nil
}

// segSubjects is the subjects of the segment tests: persons of the usual
// shape (some sharing a prefix, some with X), persons of another shape,
// organisations, and ids of odd lengths and bytes.
func segSubjects(rng *rand.Rand, n int) []credo.SubjectRef {
	out := []credo.SubjectRef{
		{Kind: credo.Person, ID: "11010519491231002X"}, {Kind: credo.Person, ID: "110105194912310021"},
		{Kind: credo.Person, ID: "000000000000000000"}, {Kind: credo.Person, ID: "99999999999999999X"},
		{Kind: credo.Person, ID: "11010519491231002"}, {Kind: credo.Person, ID: "1101051949123100Y2"},
		{Kind: credo.Organization, ID: "91350100M000100Y43"}, {Kind: credo.Organization, ID: "9"},
		{Kind: credo.Organization, ID: "91350100M000100Y43\x00x"}, {Kind: credo.Organization, ID: string(bytes.Repeat([]byte("é"), 300))},
	}
	for len(out) < n {
		switch rng.IntN(4) {
		case 0:
			out = append(out, credo.SubjectRef{Kind: credo.Organization, ID: fmt.Sprintf("9135%014d", rng.IntN(1e9))})
		default:
			id := fmt.Sprintf("1101051949%07d", rng.IntN(1e7))
			out = append(out, credo.SubjectRef{Kind: credo.Person, ID: id + string("0123456789X"[rng.IntN(11)])})
		}
	}
	return out
}

// pendingOf makes the pending entries of blocks after..after+blocks of
// random inquiries about subjects (some twice in a block, some hot), and
// the blocks each subject's entries name, in order, once each.
func pendingOf(rng *rand.Rand, subjects []credo.SubjectRef, after uint64, blocks, perBlock int) (*auditPending, map[credo.SubjectRef][]uint64) {
	p := &auditPending{anchored: true, after: after}
	want := map[credo.SubjectRef][]uint64{}
	for range blocks {
		var inqs []*credo.Inquiry
		for i := range perBlock {
			ref := subjects[rng.IntN(len(subjects))]
			if i%3 == 0 {
				ref = subjects[rng.IntN(4)] // hot: entries across chunks
			}
			inqs = append(inqs, &credo.Inquiry{Subject: ref})
			n := after + 1 + uint64(p.blocks)
			if bs := want[ref]; len(bs) == 0 || bs[len(bs)-1] != n {
				want[ref] = append(bs, n)
			}
		}
		p.addInquiries(inqs)
	}
	return p, want
}

// writeSegBytes writes a segment of blocks base to last with fill.
func writeSegBytes(t testing.TB, base, last uint64, fill func(w *segWriter) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := newSegWriter(&buf, base, last)
	if err := errors.Join(fill(w), w.finish()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func openSegBytes(t testing.TB, b []byte) *segFile {
	t.Helper()
	g, err := readSegment(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// segLookup is the blocks of ref's entries in g.
func segLookup(g *segFile, ref credo.SubjectRef) ([]uint64, error) {
	var got []uint64
	_, err := g.blocks(ref, nil, func(n uint64) { got = append(got, n) })
	return got, err
}

func checkLookups(t *testing.T, g *segFile, subjects []credo.SubjectRef, want map[credo.SubjectRef][]uint64) {
	t.Helper()
	for _, ref := range subjects {
		got, err := segLookup(g, ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if !slices.Equal(got, want[ref]) {
			t.Fatalf("%s: blocks %v, want %v", ref, got, want[ref])
		}
	}
}

// TestAuditSegmentRoundTrip writes segments of pending entries and reads
// every subject back, and some that are not there.
func TestAuditSegmentRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct{ subjects, blocks, perBlock int }{{10, 1, 1}, {10, 3, 40}, {200, 50, 300}, {5000, 20, 2000}} {
		subjects := segSubjects(rng, tc.subjects)
		p, want := pendingOf(rng, subjects, 1000, tc.blocks, tc.perBlock)
		b := writeSegBytes(t, p.after+1, p.after+uint64(p.blocks), func(w *segWriter) error { return writePending(w, p) })
		g := openSegBytes(t, b)
		checkLookups(t, g, append(segSubjects(rand.New(rand.NewPCG(9, 9)), tc.subjects+20), subjects...), want)
		if n := len(g.pFirst); tc.subjects == 5000 && n < 3 {
			t.Errorf("%d persons' chunks: want several", n)
		}
		if n := len(g.oFences); tc.subjects == 5000 && n < 3 {
			t.Errorf("%d others' chunks: want several", n)
		}
	}
}

// TestAuditSegmentWide writes a segment whose blocks span more than 2³²,
// its blocks then 8 bytes.
func TestAuditSegmentWide(t *testing.T) {
	base, last := uint64(5), uint64(1<<40)
	ref := credo.SubjectRef{Kind: credo.Person, ID: "11010519491231002X"}
	org := credo.SubjectRef{Kind: credo.Organization, ID: "91350100M000100Y43"}
	v, _ := idOrder(ref.ID)
	b := writeSegBytes(t, base, last, func(w *segWriter) error {
		return errors.Join(w.person(v, base), w.person(v, 1<<33), w.person(v, last), w.other([]byte("\x02"+org.ID), last))
	})
	g := openSegBytes(t, b)
	if g.width != 8 {
		t.Errorf("width %d, want 8", g.width)
	}
	checkLookups(t, g, []credo.SubjectRef{ref, org}, map[credo.SubjectRef][]uint64{ref: {base, 1 << 33, last}, org: {last}})
}

// TestAuditSegmentWriterChecks checks that the writer refuses entries out
// of order or outside its blocks, and writes an entry given twice once.
func TestAuditSegmentWriterChecks(t *testing.T) {
	for name, fill := range map[string]func(w *segWriter) error{
		"person out of order": func(w *segWriter) error { return errors.Join(w.person(5, 10), w.person(4, 10)) },
		"block out of order":  func(w *segWriter) error { return errors.Join(w.person(5, 11), w.person(5, 10)) },
		"block outside":       func(w *segWriter) error { return w.person(5, 21) },
		"other out of order": func(w *segWriter) error {
			return errors.Join(w.other([]byte("\x02b"), 10), w.other([]byte("\x02a"), 10))
		},
		"person after others": func(w *segWriter) error { return errors.Join(w.other([]byte("\x02b"), 10), w.person(1, 10)) },
		"key too short":       func(w *segWriter) error { return w.other([]byte("\x02"), 10) },
		"other block outside": func(w *segWriter) error { return w.other([]byte("\x02a"), 9) },
		"other block of order": func(w *segWriter) error {
			return errors.Join(w.other([]byte("\x02a"), 12), w.other([]byte("\x02a"), 11))
		},
	} {
		w := newSegWriter(io.Discard, 10, 20)
		if err := fill(w); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	b := writeSegBytes(t, 10, 20, func(w *segWriter) error {
		return errors.Join(w.person(5, 10), w.person(5, 10), w.person(5, 12), w.other([]byte("\x02a"), 11), w.other([]byte("\x02a"), 11))
	})
	g := openSegBytes(t, b)
	if es, err := segEntries(g); err != nil || !slices.Equal(es, []string{"person 5 10", "person 5 12", `other "\x02a" 11`}) {
		t.Errorf("entries %q, %v", es, err)
	}
}

// TestAuditSegmentMerge merges segments of overlapping subjects and
// blocks, some entries in two of them: the merged segment's entries are
// their union, in order, once each.
func TestAuditSegmentMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	subjects := segSubjects(rng, 300)
	var segs []*segFile
	union := map[string]bool{}
	want := map[credo.SubjectRef][]uint64{}
	after := uint64(0)
	for i := range 7 {
		p, w := pendingOf(rng, subjects, after, 1+rng.IntN(30), 1+rng.IntN(500))
		if i == 3 { // the same blocks as the segment before, as a segment written again after a crash may hold
			p, w = pendingOf(rand.New(rand.NewPCG(uint64(i), 0)), subjects, after-5, 10, 50)
		}
		b := writeSegBytes(t, p.after+1, p.after+uint64(p.blocks), func(w *segWriter) error { return writePending(w, p) })
		g := openSegBytes(t, b)
		g.num = uint64(i)
		segs = append(segs, g)
		es, err := segEntries(g)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			union[e] = true
		}
		for ref, bs := range w {
			want[ref] = append(want[ref], bs...)
		}
		after = max(after, p.after+uint64(p.blocks))
	}
	for ref, bs := range want {
		slices.Sort(bs)
		want[ref] = slices.Compact(bs)
	}
	b := writeSegBytes(t, 1, after, func(w *segWriter) error { return mergeSegs(w, segs) })
	g := openSegBytes(t, b)
	got, err := segEntries(g)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(union) {
		t.Errorf("%d entries merged, want %d", len(got), len(union))
	}
	for _, e := range got {
		if !union[e] {
			t.Errorf("entry %s is in none of the segments", e)
		}
	}
	checkLookups(t, g, subjects, want)
}

// fuzzSegment is one of a few segments, by variant, and the blocks each
// subject's entries name: made once each.
func fuzzSegment(variant uint8) ([]byte, []credo.SubjectRef, map[credo.SubjectRef][]uint64) {
	fuzzSegmentsOnce.Do(func() {
		for v := range fuzzSegments {
			fuzzSegments[v].b, fuzzSegments[v].subjects, fuzzSegments[v].want = makeFuzzSegment(uint8(v))
		}
	})
	f := &fuzzSegments[variant%4]
	return f.b, f.subjects, f.want
}

// fuzzAbsent is subjects of no segment of fuzzSegment's (of other seeds).
var fuzzAbsent = segSubjects(rand.New(rand.NewPCG(1, 1)), 14)[10:]

var (
	fuzzSegmentsOnce sync.Once
	fuzzSegments     [4]struct {
		b        []byte
		subjects []credo.SubjectRef
		want     map[credo.SubjectRef][]uint64
	}
)

func makeFuzzSegment(variant uint8) ([]byte, []credo.SubjectRef, map[credo.SubjectRef][]uint64) {
	rng := rand.New(rand.NewPCG(uint64(variant%4), 1))
	subjects := segSubjects(rng, []int{10, 40, 1200, 12}[variant%4])
	p, want := pendingOf(rng, subjects, 100, []int{2, 5, 3, 1}[variant%4], []int{10, 100, 1000, 2}[variant%4])
	if variant%4 == 3 { // persons only
		p.others, p.keys = nil, nil
		for _, ref := range subjects {
			if _, ok := idOrder(ref.ID); !ok || ref.Kind != credo.Person {
				delete(want, ref)
			}
		}
	}
	var buf bytes.Buffer
	w := newSegWriter(&buf, p.after+1, p.after+uint64(p.blocks))
	if err := errors.Join(writePending(w, p), w.finish()); err != nil {
		panic(err)
	}
	return buf.Bytes(), slices.Collect(maps.Keys(want)), want
}

// resealSegment sets the footer's checksum to the header's, fences' and
// footer's as they are, where the footer says where the fences are: the
// fuzzer's changes then reach the checks behind it.
func resealSegment(b []byte) {
	if len(b) < segHeaderLen+segFooterLen {
		return
	}
	end := len(b) - segFooterLen
	fencesOff := binary.BigEndian.Uint64(b[end+5*8:])
	if fencesOff < segHeaderLen || fencesOff > uint64(end) {
		return
	}
	crc := crc32.Update(crc32.Checksum(b[:segHeaderLen], crcTable), crcTable, b[fencesOff:end])
	crc = crc32.Update(crc, crcTable, b[end:len(b)-4])
	binary.BigEndian.PutUint32(b[len(b)-4:], crc)
}

// FuzzAuditSegment changes a segment (bytes flipped, cut, put in) and
// reads it: a change gives an error, never a panic; past the checksums
// (reseal false), a read that succeeds gives the segment's true answer.
// With reseal, the footer's checksum is made to fit the change, so that
// what checks the fences is tried too: then any answer will do, but no
// panic.
func FuzzAuditSegment(f *testing.F) {
	f.Add(uint8(0), []byte{}, false)
	f.Add(uint8(1), []byte{0, 0, 40, 1}, false)
	f.Add(uint8(2), []byte{1, 0, 0, 200, 0, 200, 0}, true)
	f.Add(uint8(3), []byte{2, 0, 10, 7}, true)
	f.Add(uint8(2), []byte{0, 255, 255, 1}, true)
	f.Fuzz(func(t *testing.T, variant uint8, edits []byte, reseal bool) {
		orig, subjects, want := fuzzSegment(variant)
		b := slices.Clone(orig)
		// edits: (op pos(2) value)…: 0 xor the byte at pos, 1 cut at pos, 2 put value in at pos
		for ; len(edits) >= 4; edits = edits[4:] {
			if len(b) == 0 {
				break
			}
			pos := int(binary.BigEndian.Uint16(edits[1:])) * len(b) / 65536
			switch edits[0] % 3 {
			case 0:
				b[pos] ^= edits[3]
			case 1:
				b = b[:pos]
			case 2:
				b = slices.Insert(b, pos, edits[3])
			}
		}
		if reseal {
			resealSegment(b)
		}
		g, err := readSegment(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		exact := !reseal || bytes.Equal(b, orig)
		for _, ref := range append(subjects, fuzzAbsent...) {
			got, err := segLookup(g, ref)
			if err == nil && exact && !slices.Equal(got, want[ref]) {
				t.Fatalf("%s: blocks %v, want %v (an error, or the true answer)", ref, got, want[ref])
			}
		}
		w := newSegWriter(io.Discard, g.base, g.last)
		if err := mergeSegs(w, []*segFile{g}); err == nil && exact {
			if w.persons+w.others != g.persons+g.others {
				t.Fatalf("%d entries read whole, the footer says %d", w.persons+w.others, g.persons+g.others)
			}
		}
	})
}

// benchPending is a segment's worth of pending entries: 262,144 inquiries
// about random persons of a population of 10 million, 64 blocks.
func benchPending() *auditPending {
	rng := rand.New(rand.NewPCG(1, 2))
	p := &auditPending{anchored: true, after: 1000}
	const perBlock = auditSegment / 64
	for range 64 {
		for range perBlock {
			id := fmt.Sprintf("%06d%04d%04d%03d", 110000+rng.IntN(600000), 1940+rng.IntN(80), 101+rng.IntN(1200), rng.IntN(1000))
			addEntry(p, p.blocks, credo.Person, id+string("0123456789X"[rng.IntN(11)]))
		}
		p.blocks++
	}
	return p
}

// BenchmarkAuditSegmentWrite sorts and writes a segment's worth of
// entries (to no file: the CPU of it).
func BenchmarkAuditSegmentWrite(b *testing.B) {
	p := benchPending()
	nums := slices.Clone(p.nums)
	for b.Loop() {
		copy(p.nums, nums)
		w := newSegWriter(io.Discard, p.after+1, p.after+uint64(p.blocks))
		if err := errors.Join(writePending(w, p), w.finish()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(nums)), "ns/entry")
}

// BenchmarkAuditSegmentMerge merges 32 segments of 8,192 entries each.
func BenchmarkAuditSegmentMerge(b *testing.B) {
	p := benchPending()
	var segs []*segFile
	for i := range auditMergeFan {
		q := &auditPending{after: p.after + uint64(2*i), blocks: 2, nums: slices.Clone(p.nums[i*8192 : (i+1)*8192])}
		for j := range q.nums {
			q.nums[j].blk = uint32(j % 2)
		}
		segs = append(segs, openSegBytes(b, writeSegBytes(b, q.after+1, q.after+2, func(w *segWriter) error { return writePending(w, q) })))
	}
	for b.Loop() {
		w := newSegWriter(io.Discard, p.after+1, p.after+2*auditMergeFan)
		if err := errors.Join(mergeSegs(w, segs), w.finish()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(auditMergeFan*8192), "ns/entry")
}

// BenchmarkRadixSort sorts a segment's worth of persons' entries.
func BenchmarkRadixSort(b *testing.B) {
	nums := benchPending().nums
	es := slices.Clone(nums)
	for b.Loop() {
		copy(es, nums)
		radixSort(es)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(nums)), "ns/entry")
}
