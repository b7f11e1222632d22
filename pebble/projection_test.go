package pebble

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/credo-org/credo"
)

// projRec is record n: a few subjects, kinds and attribute types, and a
// record without a subject and one that corrects another.
func projRec(n int) *credo.Record {
	r := &credo.Record{
		Subject:        credo.SubjectRef{Kind: credo.Person, ID: fmt.Sprintf("11010119900307%04d", n%7)},
		Source:         "police",
		SourceRecordID: fmt.Sprintf("r%d", n),
		Kind:           []string{"traffic.fine", "traffic.warning", "charity.blood_donation"}[n%3],
		Polarity:       []credo.Polarity{credo.Negative, credo.Negative, credo.Positive}[n%3],
		OccurredAt:     time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * 90 * time.Minute).Add(time.Duration(n%3) * time.Nanosecond),
	}
	switch n % 4 {
	case 0:
		r.Attributes = credo.Attributes{{Key: "amount", Value: credo.Int(int64(50 * n))}}
	case 1:
		r.Attributes = credo.Attributes{{Key: "amount", Value: credo.Number(12.5)}, {Key: "place", Value: credo.String("成山大道")}}
	case 2:
		r.Attributes = credo.Attributes{{Key: "due", Value: credo.Time(r.OccurredAt.Add(time.Hour))}, {Key: "paid", Value: credo.Bool(n%8 == 2)}}
	}
	if n%11 == 5 {
		r.Subject = credo.SubjectRef{}
	}
	if n%13 == 7 {
		r.Corrects = credo.RecordID("police", fmt.Sprintf("r%d", n-1))
	}
	return r
}

// TestProjection: the projection extended batch by batch equals the one
// built at once, and it gives back what a rule reads of every record.
func TestProjection(t *testing.T) {
	ctx := context.Background()
	const n = 2*ProjectionBlock + 100
	var recs []*credo.Record
	for i := range n {
		recs = append(recs, projRec(i))
	}
	open := func() *Store {
		s := openNoSync(t)
		return s
	}
	appendRecs := func(s *Store, rs []*credo.Record) {
		for lo := 0; lo < len(rs); lo += 1000 {
			res, err := s.Append(ctx, rs[lo:min(lo+1000, len(rs))])
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil {
					t.Fatal(r.Err)
				}
			}
		}
	}
	steps, whole := open(), open()
	for _, cut := range [][2]int{{0, 10}, {10, 11}, {11, ProjectionBlock + 3}, {ProjectionBlock + 3, n}} {
		appendRecs(steps, recs[cut[0]:cut[1]])
		st, err := steps.ExtendProjection(ctx)
		if err != nil || st.Records != int64(cut[1]-cut[0]) || st.Through != uint64(cut[1]) {
			t.Fatalf("extend over records %d–%d = %+v, %v", cut[0], cut[1], st, err)
		}
	}
	appendRecs(whole, recs)
	if st, err := whole.ExtendProjection(ctx); err != nil || st.Records != n || st.Subjects != 7 {
		t.Fatalf("build = %+v, %v", st, err)
	}
	if st, err := whole.ExtendProjection(ctx); err != nil || st.Records != 0 {
		t.Fatalf("nothing new = %+v, %v", st, err)
	}
	for name, s := range map[string]*Store{"extended": steps, "built": whole} {
		pj, err := s.ReadProjection(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if pj.Through != n || len(pj.Subjects) != 7 || len(pj.Blocks) != 3 {
			t.Fatalf("%s: through %d, %d subjects, %d blocks", name, pj.Through, len(pj.Subjects), len(pj.Blocks))
		}
		refOf := map[uint32]credo.SubjectRef{}
		for i, num := range pj.Numbers {
			refOf[num] = pj.Subjects[i]
		}
		seq := 0
		for _, b := range pj.Blocks {
			k := 0
			for pr, err := range b.Records() {
				if err != nil {
					t.Fatal(err)
				}
				if b.First+uint64(k) != uint64(seq+1) {
					t.Fatalf("%s: block at %d, record %d: seq %d", name, b.First, k, seq+1)
				}
				k++
				want := recs[seq]
				tuple, err := pj.Tuple(&pr)
				if err != nil {
					t.Fatal(err)
				}
				got, err := pj.Record(tuple)
				if err != nil {
					t.Fatal(err)
				}
				if pr.TupleNum == 0 {
					t.Fatalf("%s: record %d: its tuple inline, with %d numbered", name, seq+1, len(pj.Tuples))
				}
				if refOf[pr.Subject] != want.Subject || pr.At != want.OccurredAt.UnixNano() || got.Kind != want.Kind || got.Polarity != want.Polarity ||
					SpecialTuple(tuple) != (want.Corrects != "") || fmt.Sprint(got.Attributes) != fmt.Sprint(want.Attributes) {
					t.Fatalf("%s: record %d = %v %d %+v special %v, want %+v", name, seq+1, refOf[pr.Subject], pr.At, got, SpecialTuple(tuple), want)
				}
				seq++
			}
			if k != b.Count {
				t.Fatalf("%s: block at %d: %d records of %d", name, b.First, k, b.Count)
			}
		}
		if seq != n {
			t.Fatalf("%s: %d records in the blocks", name, seq)
		}
	}
}

// TestProjectionFormat: a projection of the format before numbered tuples
// is built again by the next extension, and refused until then; a record
// with its tuple inline decodes.
func TestProjectionFormat(t *testing.T) {
	ctx := context.Background()
	s := openNoSync(t)
	var recs []*credo.Record
	for i := range 100 {
		recs = append(recs, projRec(i))
	}
	if _, err := s.Append(ctx, recs); err != nil {
		t.Fatal(err)
	}
	// format 1: a 20-byte meta, records with their tuples inline
	meta := binary.BigEndian.AppendUint64(nil, 100)
	meta = binary.BigEndian.AppendUint32(meta, 8)
	meta = binary.BigEndian.AppendUint64(meta, 1)
	if err := s.db.Set(projKey(projMeta), meta, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Set(projKey(projBlockK, binary.BigEndian.AppendUint64(nil, 1)...), []byte{0, 0, 0, 1, 1, 2, 3, 4}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadProjection(ctx); err == nil {
		t.Fatal("a projection of format 1 read")
	}
	if st, err := s.ExtendProjection(ctx); err != nil || st.Records != 100 || st.Subjects != 7 {
		t.Fatalf("extend over format 1 = %+v, %v, want it built again", st, err)
	}
	pj, err := s.ReadProjection(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pj.Blocks) != 1 || pj.Blocks[0].Count != 100 || len(pj.Tuples) < 2 {
		t.Fatalf("built again: %d blocks, %d tuples", len(pj.Blocks), len(pj.Tuples))
	}
	// a block of two records, the second's tuple inline
	blk := projCols{subs: []uint32{5, 6}, tups: []uint32{1, 0}, ats: []int64{7, 8}, inline: []byte{3, 9, 8, 7}}
	v := blk.encode()
	pb := ProjBlock{First: 1, Count: 2, Data: v[4:]}
	var got []ProjRecord
	for pr, err := range pb.Records() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, pr)
	}
	if len(got) != 2 || got[1].Subject != 6 || got[1].At != 8 || string(got[1].Tuple) != "\x09\x08\x07" || got[0].TupleNum != 1 || got[0].Tuple != nil {
		t.Fatalf("a block with an inline tuple: %+v", got)
	}
	if back, err := pb.cols(); err != nil || string(back.encode()) != string(v) {
		t.Fatalf("the block read back: %x, %v, want %x", back.encode(), err, v)
	}
}

// TestReplaceStandings: a version's standings stored whole replace the
// jurisdiction's, indexes and all, and add history only where they change.
func TestReplaceStandings(t *testing.T) {
	ctx := context.Background()
	s := openNoSync(t)
	at := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	ref := func(i int) credo.SubjectRef {
		return credo.SubjectRef{Kind: credo.Person, ID: fmt.Sprintf("11010119900307%04d", i)}
	}
	mk := func(i int, version string, score float64, grade string, lists ...string) *credo.Standing {
		st := &credo.Standing{Subject: ref(i), Jurisdiction: "rongcheng", PolicyVersion: version, AsOf: at, Score: score, Grade: grade, Lists: []credo.Membership{}}
		for _, l := range lists {
			st.Lists = append(st.Lists, credo.Membership{List: l, Type: "blacklist"})
		}
		if score < 1000 {
			st.NextChange = at.AddDate(0, 0, i+1)
		}
		return st
	}
	// one stored key by key first, then replaced whole twice
	old := mk(3, "rongcheng@1", 900, "B", "x")
	old.AsOf = at.Add(-time.Hour)
	if err := s.PutStandings(ctx, []*credo.Standing{old}); err != nil {
		t.Fatal(err)
	}
	first := []*credo.Standing{mk(1, "rongcheng@2", 1000, "A"), mk(2, "rongcheng@2", 900, "B", "x"), mk(3, "rongcheng@2", 900, "B", "x")}
	if err := s.ReplaceStandings(ctx, "rongcheng", first); err != nil {
		t.Fatal(err)
	}
	at = at.Add(time.Hour)
	second := []*credo.Standing{mk(1, "rongcheng@2", 1000, "A"), mk(2, "rongcheng@2", 800, "C")}
	if err := s.ReplaceStandings(ctx, "rongcheng", second); err != nil {
		t.Fatal(err)
	}
	count := func(f credo.StandingFilter) int {
		n := 0
		for _, err := range s.ListStandings(ctx, f) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		return n
	}
	for _, tc := range []struct {
		f    credo.StandingFilter
		want int
	}{
		{credo.StandingFilter{Jurisdiction: "rongcheng"}, 2},
		{credo.StandingFilter{Jurisdiction: "rongcheng", Grade: "B"}, 0},
		{credo.StandingFilter{Jurisdiction: "rongcheng", Grade: "C"}, 1},
		{credo.StandingFilter{Jurisdiction: "rongcheng", List: "x"}, 0},
	} {
		if got := count(tc.f); got != tc.want {
			t.Errorf("%+v: %d standings, want %d", tc.f, got, tc.want)
		}
	}
	if _, err := s.Standing(ctx, ref(3), "rongcheng"); !errors.Is(err, credo.ErrNotFound) {
		t.Errorf("subject 3, not in the last set: %v", err)
	}
	var due []credo.SubjectRef
	for r, err := range s.DueStandings(ctx, "rongcheng", at.AddDate(1, 0, 0)) {
		if err != nil {
			t.Fatal(err)
		}
		due = append(due, r)
	}
	if len(due) != 1 || due[0] != ref(2) {
		t.Errorf("due = %v, want subject 2 alone", due)
	}
	for i, want := range map[int]int{1: 1, 2: 2, 3: 2} {
		n := 0
		for _, err := range s.History(ctx, ref(i), "rongcheng") {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != want {
			t.Errorf("subject %d: %d history entries, want %d", i, n, want)
		}
	}
	unsorted := []*credo.Standing{second[1], second[0]}
	if err := s.ReplaceStandings(ctx, "rongcheng", unsorted); !errors.Is(err, credo.ErrInvalid) {
		t.Errorf("unsorted standings: %v, want ErrInvalid", err)
	}
}
