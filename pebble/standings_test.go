package pebble

import (
	"context"
	"encoding/json"
	"testing"
	"time"

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
		for br.next() {
			br.decode(&st)
			br.ref()
			decodeChange(br.body, br.dict)
			r := reader{b: br.sum, dict: br.dict}
			readSummary(&r, &st)
		}
	})
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
	s, err := Open(t.TempDir(), &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
