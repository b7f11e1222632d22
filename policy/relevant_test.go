package policy

import (
	"slices"
	"testing"
	"time"

	"github.com/credo-org/credo"
)

func TestRelevant(t *testing.T) {
	packs := loadPacks(t)
	subj := credo.SubjectRef{Kind: credo.Person, ID: "110101199003074514"}
	at := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	rec := func(kind string, attrs ...credo.Attribute) *credo.Record {
		return &credo.Record{ID: "x:1", Subject: subj, Source: "x", SourceRecordID: "1", Kind: kind, OccurredAt: at, Attributes: attrs}
	}
	retraction := rec("traffic.fine")
	retraction.Retracts = "x:0"
	for _, tc := range []struct {
		pack string
		r    *credo.Record
		want bool
	}{
		{"rongcheng.yaml", rec("traffic.fine", credo.Attribute{Key: "amount", Value: credo.Int(100)}), true}, // hits a rule
		{"rongcheng.yaml", rec("utility.payment"), false},                                                    // nothing reads it
		{"rongcheng.yaml", rec("court.judgment_performed"), true},                                            // repairs a direct grade
		{"rongcheng.yaml", retraction, true},                                                                 // retracts a record
		{"national.yaml", rec("court.judgment_performed"), true},                                             // ends a list membership
		{"enterprise.yaml", rec("utility.payment"), true},                                                    // a list condition reads every record
	} {
		p := packs[tc.pack]
		hits := p.Match(subj, tc.r, nil)
		if got := p.Relevant(tc.r, hits); got != tc.want {
			t.Errorf("%s: Relevant(%s, %d hits) = %v, want %v", tc.pack, tc.r.Kind, len(hits), got, tc.want)
		}
	}
	if got := packs["enterprise.yaml"].LinkedKinds(); !slices.Equal(got, []string{"enterprise.serious_violation"}) {
		t.Errorf("enterprise LinkedKinds = %v", got)
	}
	if got := packs["rongcheng.yaml"].LinkedKinds(); got != nil {
		t.Errorf("rongcheng LinkedKinds = %v", got)
	}
}

// TestNextChange: a standing says when time alone next changes it, and
// the standing as of that moment differs from the one just before.
func TestNextChange(t *testing.T) {
	p := loadPacks(t)["rongcheng.yaml"]
	subj := credo.SubjectRef{Kind: credo.Person, ID: "110101199003074514"}
	at := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	recs := []*credo.Record{
		{ID: "p:1", Subject: subj, Source: "p", SourceRecordID: "1", Kind: "traffic.fine", OccurredAt: at, Attributes: credo.Attributes{{Key: "amount", Value: credo.Int(100)}}},
		{ID: "p:2", Subject: subj, Source: "p", SourceRecordID: "2", Kind: "traffic.drunk_driving", OccurredAt: at.AddDate(0, 6, 0)},
	}
	st := p.Standing(subj, recs, at.AddDate(0, 7, 0))
	for n := 0; !st.NextChange.IsZero(); n++ {
		before := p.Standing(subj, recs, st.NextChange.Add(-time.Nanosecond))
		after := p.Standing(subj, recs, st.NextChange)
		if before.Score == after.Score && before.Grade == after.Grade && len(before.Contributions) == len(after.Contributions) {
			t.Fatalf("nothing changes at %v: %g %s", st.NextChange, after.Score, after.Grade)
		}
		if !after.NextChange.IsZero() && !after.NextChange.After(st.NextChange) {
			t.Fatalf("next change %v is not after %v", after.NextChange, st.NextChange)
		}
		st = after
		if n > 10 {
			t.Fatal("no end to the changes")
		}
	}
	if st.Score != 1000 || st.Grade != "A" {
		t.Fatalf("once everything expired: %g %s", st.Score, st.Grade)
	}
}
