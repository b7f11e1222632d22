package pebble

import (
	"context"
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
		s, err := Open(t.TempDir(), &Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
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
			data := b.Data
			for k := range b.Count {
				if b.First+uint64(k) != uint64(seq+1) {
					t.Fatalf("%s: block at %d, record %d: seq %d", name, b.First, k, seq+1)
				}
				var pr ProjRecord
				if data, err = DecodeNext(data, &pr); err != nil {
					t.Fatal(err)
				}
				want := recs[seq]
				got, err := pj.Record(pr.Tuple)
				if err != nil {
					t.Fatal(err)
				}
				if refOf[pr.Subject] != want.Subject || pr.At != want.OccurredAt.UnixNano() || got.Kind != want.Kind || got.Polarity != want.Polarity ||
					pr.Special() != (want.Corrects != "") || fmt.Sprint(got.Attributes) != fmt.Sprint(want.Attributes) {
					t.Fatalf("%s: record %d = %v %d %+v special %v, want %+v", name, seq+1, refOf[pr.Subject], pr.At, got, pr.Special(), want)
				}
				seq++
			}
			if len(data) != 0 {
				t.Fatalf("%s: block at %d: %d bytes left", name, b.First, len(data))
			}
		}
		if seq != n {
			t.Fatalf("%s: %d records in the blocks", name, seq)
		}
	}
}

// TestReplaceStandings: a version's standings stored whole replace the
// jurisdiction's, indexes and all, and add history only where they change.
func TestReplaceStandings(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
