package pebble

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"slices"
	"testing"
	"time"

	pebbledb "github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/storetest"
	"github.com/credo-org/credo/synth"
)

func standingsBackend() storetest.Backend {
	return storetest.Backend{
		New: func(t *testing.T) credo.Store {
			s, err := Open(t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		Reopen: func(t *testing.T, s credo.Store) credo.Store {
			dir := s.(*Store).Dir()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2, err := Open(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			return s2
		},
	}
}

func TestStandingsConformance(t *testing.T) { storetest.RunStandings(t, standingsBackend()) }

// FuzzDecodeStanding: whatever the bytes, decoding returns a standing or
// an error, never panics, and a standing it returns survives encoding and
// decoding again unchanged, alone and in a block. (Bytes need not
// re-encode to themselves: a uvarint may be written overlong.)
func FuzzDecodeStanding(f *testing.F) {
	at := time.Date(2024, 3, 5, 9, 30, 0, 0, time.UTC)
	f.Add(appendStanding(nil, &credo.Standing{PolicyVersion: "rongcheng@2024.1", AsOf: at, Score: 985, Grade: "B",
		GradeReason:   credo.GradeReason{By: "band", Band: "960–1029", Until: at},
		Lists:         []credo.Membership{{List: "dishonest_debtor", Type: "blacklist", Since: at, Record: "court:1", Published: true}},
		Contributions: []credo.Contribution{{Record: "police:1", Kind: "traffic.fine", Rule: "fine", Points: -15, RulePoints: -15, OccurredAt: at, Note: "n"}},
		NextChange:    at.AddDate(1, 0, 0)}))
	f.Add([]byte{1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeStanding(b)
		if err != nil {
			return
		}
		once := appendStanding(nil, st)
		st2, err := decodeStanding(once)
		if err != nil {
			t.Fatalf("decode(%x) re-encodes as %x, which does not decode: %v", b, once, err)
		}
		if twice := appendStanding(nil, st2); string(twice) != string(once) {
			t.Fatalf("decode(%x) re-encodes as %x, then as %x", b, once, twice)
		}
		// in a block, twice (the second entry's strings found by slot)
		var w blockWriter
		for _, id := range []string{"1", "2"} {
			st.Subject = credo.SubjectRef{Kind: credo.Person, ID: id}
			w.addStanding(st)
		}
		blk := w.finish()
		for _, src := range []string{"", string(blk)} {
			br, err := openBlock(blk, src)
			if err != nil {
				t.Fatal(err)
			}
			var got credo.Standing
			for i := 0; br.next(); i++ {
				if err := br.decode(&got); err != nil {
					t.Fatal(err)
				}
				if again := appendStanding(nil, &got); string(again) != string(once) || br.ref().ID != []string{"1", "2"}[i] {
					t.Fatalf("in a block, %x decodes as %x (%s)", once, again, br.ref())
				}
				var sum credo.Standing
				r := reader{b: br.sum, dict: br.dict}
				if readSummary(&r, &sum); r.err != nil || sum.PolicyVersion != got.PolicyVersion || sum.Score != got.Score && got.Score == got.Score ||
					sum.Grade != got.Grade || sum.GradeReason.By != got.GradeReason.By || len(sum.Lists) != len(got.Lists) {
					t.Fatalf("the summary of %+v: %+v, %v", got, sum, r.err)
				}
			}
			if br.r.err != nil {
				t.Fatal(br.r.err)
			}
		}
	})
}

// FuzzOpenBlock: whatever the bytes, reading them as a block of
// standings or changes ends in an error or not, never in a panic.
func FuzzOpenBlock(f *testing.F) {
	var w blockWriter
	st := &credo.Standing{PolicyVersion: "x@1", Grade: "A", Lists: []credo.Membership{{List: "l"}}}
	st.Subject = credo.SubjectRef{Kind: credo.Person, ID: "1"}
	w.addStanding(st)
	f.Add(w.finish())
	f.Fuzz(func(t *testing.T, b []byte) {
		br, err := openBlock(b, string(b))
		if err != nil {
			return
		}
		var st credo.Standing
		long, _ := openBlock(b, "")
		for br.next() {
			sameEntry(t, &br, &long)
			br.decode(&st)
			br.ref()
			decodeChange(br.body, br.dict)
			r := reader{b: br.sum, dict: br.dict}
			readSummary(&r, &st)
			sameSummary(t, br.sum, br.dict)
		}
		if long.left > 0 && long.nextLong() {
			t.Fatalf("the reader stopped at %d entries left, reading all the long way found one", long.left)
		}
	})
}

// sameEntry checks that the entry br read (the short way where it could)
// is the one long reads the long way.
func sameEntry(t *testing.T, br, long *blockReader) {
	t.Helper()
	long.left--
	if !long.nextLong() {
		t.Fatalf("entry %x read, not the long way: %v", br.id, long.r.err)
	}
	if br.kind != long.kind || string(br.id) != string(long.id) || br.idAt != long.idAt ||
		string(br.sum) != string(long.sum) || string(br.body) != string(long.body) || len(br.r.b) != len(long.r.b) {
		t.Fatalf("entry %x: read as (%d %x %x %x), the long way (%d %x %x %x)", br.id, br.kind, br.id, br.sum, br.body, long.kind, long.id, long.sum, long.body)
	}
}

// sameSummary checks that where summaryShort reads summary s of a block
// with strings dict, it reads what readSummary does.
func sameSummary(t *testing.T, s []byte, dict []string) {
	t.Helper()
	nums := make([]uint32, len(dict))
	for i := range nums {
		nums[i] = uint32(i)
	}
	var sm credo.StandingSummary
	var lists []uint32
	if !summaryShort(s, nums, &sm, &lists) {
		return
	}
	var st credo.Standing
	r := reader{b: s, dict: dict}
	if readSummary(&r, &st); r.err != nil {
		t.Fatalf("summary %x read the short way, not the long: %v", s, r.err)
	}
	got := []string{dict[sm.PolicyVersion], dict[sm.Grade], dict[sm.GradeBy]}
	for _, l := range lists {
		got = append(got, dict[l])
	}
	want := []string{st.PolicyVersion, st.Grade, st.GradeReason.By}
	for _, m := range st.Lists {
		want = append(want, m.List)
	}
	if !slices.Equal(got, want) || math.Float64bits(sm.Score) != math.Float64bits(st.Score) {
		t.Fatalf("summary %x: read the short way %v %v, the long way %v %v", s, got, sm.Score, want, st.Score)
	}
}

// TestBlockShortForms reads blocks whose entries' parts have lengths on
// either side of what the short ways (blockReader.nextShort,
// summaryShort) read: one-byte and longer lengths, more strings than a
// byte numbers, and checks each entry against the long way.
func TestBlockShortForms(t *testing.T) {
	var w blockWriter
	var want []*credo.Standing
	i := 0
	for _, idLen := range []int{1, 18, 127, 128} {
		for _, contribs := range []int{0, 1, 4, 300} { // bodies up to past 16 KB: three-byte lengths
			for _, lists := range []int{0, 1, 3} {
				i++
				st := &credo.Standing{Subject: credo.SubjectRef{Kind: credo.Person, ID: fmt.Sprintf("%0*d", idLen, i)},
					PolicyVersion: "rongcheng@1", Score: float64(i), Grade: fmt.Sprintf("G%d", i%7), GradeReason: credo.GradeReason{By: "band"}}
				for l := range lists {
					// a list named late in the block numbers past a byte
					st.Lists = append(st.Lists, credo.Membership{List: fmt.Sprintf("list%d", (i+l)%5+i/40*10)})
				}
				for c := range contribs {
					st.Contributions = append(st.Contributions, credo.Contribution{Record: fmt.Sprintf("r%d-%d", i, c), Kind: "k", Points: 1})
				}
				w.addStanding(st)
				want = append(want, st)
			}
		}
	}
	blk := w.finish()
	br, err := openBlock(blk, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(br.dict) < 200 {
		t.Fatalf("%d strings in the block, want more than a byte numbers", len(br.dict))
	}
	long, _ := openBlock(blk, "")
	n := 0
	for br.next() {
		sameEntry(t, &br, &long)
		sameSummary(t, br.sum, br.dict)
		var got credo.Standing
		if err := br.decode(&got); err != nil {
			t.Fatal(err)
		}
		if st := want[n]; string(br.id) != st.Subject.ID || got.Grade != st.Grade || len(got.Contributions) != len(st.Contributions) || len(got.Lists) != len(st.Lists) {
			t.Fatalf("entry %d: %s %+v, want %+v", n, br.id, got, st)
		}
		n++
	}
	if br.r.err != nil || n != len(want) {
		t.Fatalf("%d entries read, want %d: %v", n, len(want), br.r.err)
	}
}

func FuzzDecodeChange(f *testing.F) {
	st := &credo.Standing{PolicyVersion: "x@1", AsOf: time.Unix(1e9, 5), Score: 1, Grade: "A", Lists: []credo.Membership{{List: "a"}, {List: "b"}}}
	f.Add(appendChange(nil, st, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeChange(b, nil) // must not panic
	})
}

// projected is what ScanScoring keeps of a record.
func projected(r *credo.Record) credo.Record {
	p := *r
	p.Identity, p.Provenance, p.RecordedAt, p.Hash = credo.Identity{}, credo.Provenance{}, time.Time{}, [32]byte{}
	return p
}

func sameProjection(a, b *credo.Record) bool {
	pa, pb := projected(a), projected(b)
	ja, _ := json.Marshal(pa)
	jb, _ := json.Marshal(pb)
	return string(ja) == string(jb) && pa.Seq == pb.Seq && pa.ID == pb.ID
}

// TestScanScoring: the projection holds what Scan gives of every record
// but the identity, provenance, recorded time and hash.
func TestScanScoring(t *testing.T) {
	ctx := context.Background()
	s := openNoSync(t)
	city, err := synth.New(synth.Config{Seed: 5, People: 500})
	if err != nil {
		t.Fatal(err)
	}
	var recs []*credo.Record
	for ev := range city.Events() {
		r := ev.Record
		recs = append(recs, &r)
	}
	recs = append(recs, &credo.Record{Subject: credo.SubjectRef{Kind: credo.Person, ID: "x"}, Source: "test", SourceRecordID: "1", Kind: "test.kinds",
		OccurredAt: time.Unix(1e9, 0), Attributes: credo.Attributes{{Key: "b", Value: credo.Bool(true)}, {Key: "f", Value: credo.Number(1.5)}, {Key: "t", Value: credo.Time(time.Unix(5, 6))}},
		Retracts: "a:1", Corrects: "b:2", Evidence: "e"})
	if _, err := s.Append(ctx, recs); err != nil {
		t.Fatal(err)
	}
	var full []*credo.Record
	for r, err := range s.Scan(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		full = append(full, r)
	}
	i := 0
	for r, err := range s.ScanScoring(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		if i >= len(full) || !sameProjection(r, full[i]) {
			t.Fatalf("record %d: projected %+v\nscanned %+v", i, r, full[i])
		}
		i++
	}
	if i != len(full) || i < 1000 {
		t.Fatalf("%d projected, %d scanned", i, len(full))
	}
}

func FuzzDecodeScoring(f *testing.F) {
	r := &credo.Record{Subject: credo.SubjectRef{Kind: credo.Person, ID: "x"}, Source: "s", SourceRecordID: "1", Kind: "k.k",
		OccurredAt: time.Unix(1e9, 0), Attributes: credo.Attributes{{Key: "a", Value: credo.String("v")}, {Key: "n", Value: credo.Int(3)}}}
	f.Add(append(make([]byte, 32), r.AppendCanonical(nil)...))
	f.Fuzz(func(t *testing.T, v []byte) {
		got, err := decodeScoring(7, v, interner{})
		want, werr := decodeValue(7, v)
		// the projection reads less than the full decoding, so it may
		// accept bytes whose unread part is corrupt; never the reverse
		if werr == nil && err != nil {
			t.Fatalf("projection error %v where the full decoding succeeds", err)
		}
		if werr == nil && !sameProjection(got, want) {
			t.Fatalf("projected %+v, decoded %+v", got, want)
		}
	})
}

// TestCorruptStandingsBlock: a block of standings the engine holds but
// that does not open is an error for every reader — the whole list, a
// filtered list and the parts the decision table loads from — never a
// block passed over in silence.
func TestCorruptStandingsBlock(t *testing.T) {
	ctx := context.Background()
	s := openNoSync(t)
	at := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	var sts []*credo.Standing
	for i := range 10 {
		sts = append(sts, &credo.Standing{Subject: credo.SubjectRef{Kind: credo.Person, ID: fmt.Sprintf("11010119900307%04d", i)},
			Jurisdiction: "rongcheng", PolicyVersion: "rongcheng@1", AsOf: at, Score: 900, Grade: "B", Lists: []credo.Membership{}})
	}
	if err := s.ReplaceStandings(ctx, "rongcheng", sts); err != nil {
		t.Fatal(err)
	}
	fp := jPrefix(nil, tagBlock, "rongcheng")
	it, err := s.db.NewIter(&pebbledb.IterOptions{LowerBound: fp, UpperBound: prefixEnd(fp)})
	if err != nil {
		t.Fatal(err)
	}
	if !it.First() {
		t.Fatal("no block stored")
	}
	k, v := bytes.Clone(it.Key()), bytes.Clone(it.Value())
	it.Close()
	v[0] = 9 // an encoding no reader knows
	if err := s.db.Set(k, v, pebbledb.Sync); err != nil {
		t.Fatal(err)
	}
	failed := func(what string, seq iter.Seq2[*credo.Standing, error]) {
		t.Helper()
		for _, err := range seq {
			if err != nil {
				return
			}
		}
		t.Errorf("%s: no error", what)
	}
	failed("the whole list", s.ListStandings(ctx, credo.StandingFilter{}))
	failed("by grade", s.ListStandings(ctx, credo.StandingFilter{Grade: "B"}))
	for i, part := range s.StandingParts(ctx, 1) {
		failed(fmt.Sprintf("part %d", i), part)
	}
}

// openNoSync opens a store in a temporary directory without syncing, for
// tests of what is stored rather than of durability; it closes when the
// test ends.
func openNoSync(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
