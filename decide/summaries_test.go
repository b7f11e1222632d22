package decide_test

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"testing"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/decide"
)

// summaryStore is a store of standings that reads them only as parts of
// summaries: parts.
type summaryStore struct {
	credo.Standings
	parts []iter.Seq2[*credo.StandingSummaries, error]
}

func (s summaryStore) StandingSummaryParts(context.Context, int) []iter.Seq2[*credo.StandingSummaries, error] {
	return s.parts
}

// summaryBatches yields sts (a subject's standings together) as a store
// yields summaries: batches of about size standings, their strings
// numbered across the batches, each batch's strings after the last's.
func summaryBatches(sts []credo.Standing, size int) iter.Seq2[*credo.StandingSummaries, error] {
	return func(yield func(*credo.StandingSummaries, error) bool) {
		b := &credo.StandingSummaries{}
		nums := map[string]uint32{}
		str := func(s string) uint32 {
			n, ok := nums[s]
			if !ok {
				n = uint32(len(b.Strings))
				nums[s] = n
				b.Strings = append(b.Strings, s)
			}
			return n
		}
		for i := range sts {
			st := &sts[i]
			if i > 0 && st.Subject != sts[i-1].Subject && len(b.Summaries) >= size {
				if !yield(b, nil) {
					return
				}
				b.IDs, b.Lists, b.Summaries = b.IDs[:0], b.Lists[:0], b.Summaries[:0]
			}
			sm := credo.StandingSummary{Kind: st.Subject.Kind, IDFrom: uint32(len(b.IDs))}
			if n := len(b.Summaries); n > 0 && sts[i-1].Subject == st.Subject {
				sm.IDFrom = b.Summaries[n-1].IDFrom
				sm.IDTo = b.Summaries[n-1].IDTo
			} else {
				b.IDs = append(b.IDs, st.Subject.ID...)
				sm.IDTo = uint32(len(b.IDs))
			}
			sm.Jurisdiction, sm.PolicyVersion, sm.Grade, sm.GradeBy, sm.Score = str(st.Jurisdiction), str(st.PolicyVersion), str(st.Grade), str(st.GradeReason.By), st.Score
			sm.ListsFrom = uint32(len(b.Lists))
			for _, m := range st.Lists {
				b.Lists = append(b.Lists, str(m.List))
			}
			sm.ListsTo = uint32(len(b.Lists))
			b.Summaries = append(b.Summaries, sm)
		}
		if len(b.Summaries) > 0 {
			yield(b, nil)
		}
	}
}

// TestLoadSummaries loads the table from standings given as summaries in
// two parts, enough subjects for the index to be filled by several cores,
// and checks every subject against a table built one Update at a time:
// persons and organisations, standings under a jurisdiction or a version
// the table was not made for (left out), and strings that come batch by
// batch.
func TestLoadSummaries(t *testing.T) {
	prgs := shipped(t, nil)
	const subjects = 70_000
	var sts []credo.Standing
	refs := make([]credo.SubjectRef, subjects)
	for i := range subjects {
		refs[i] = credo.SubjectRef{Kind: credo.Person, ID: fmt.Sprintf("110101%012dX", i)}
		if i%5 == 0 {
			refs[i] = credo.SubjectRef{Kind: credo.Organization, ID: fmt.Sprintf("91350200%09dX", i)}
		}
		for k, p := range prgs {
			if !p.Scores(refs[i].Kind) || (i+k)%4 == 0 {
				continue
			}
			pol := p.Policy()
			st := credo.Standing{Subject: refs[i], Jurisdiction: p.Jurisdiction, PolicyVersion: p.VersionID(),
				Score: float64(i%900) + 0.5, Grade: pol.Grades[i%len(pol.Grades)].Grade}
			if i%1000 == 7 {
				st.Grade = fmt.Sprintf("grade%d", i) // strings new late in the part
			}
			if i%23 == 0 && len(pol.Lists) > 0 {
				for _, l := range pol.Lists[:1+i%len(pol.Lists)] {
					st.Lists = append(st.Lists, credo.Membership{List: l.Name})
				}
				st.Lists = append(st.Lists, credo.Membership{List: "not-a-list"})
			}
			if i%101 == 0 {
				st.GradeReason.By = "direct"
			}
			switch i % 211 {
			case 1:
				st.PolicyVersion = p.Jurisdiction + "@0"
			case 2:
				st.PolicyVersion = ""
			case 3:
				st.Jurisdiction = "elsewhere"
			}
			sts = append(sts, st)
		}
	}
	ref := updated(t, prgs, sts)
	half := len(sts) / 2
	for sts[half].Subject == sts[half-1].Subject {
		half++
	}
	tb, err := decide.New(prgs)
	if err != nil {
		t.Fatal(err)
	}
	err = tb.LoadStandings(context.Background(), summaryStore{parts: []iter.Seq2[*credo.StandingSummaries, error]{summaryBatches(sts[:half], 1000), summaryBatches(sts[half:], 333)}})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Len() != ref.Len() {
		t.Fatalf("%d subjects, want %d", tb.Len(), ref.Len())
	}
	if b := tb.BytesPerSubject(); b > 16 {
		t.Errorf("%.1f bytes a subject", b)
	}
	sameLookups(t, tb, ref, append(refs, credo.SubjectRef{Kind: credo.Person, ID: "110101999999999999"}))
}

// TestLoadSummariesBad: a batch naming a string, an identifier or a list
// it does not hold fails the load with an error and leaves the table as
// it was.
func TestLoadSummariesBad(t *testing.T) {
	prgs := shipped(t, nil)
	st := credo.Standing{Subject: credo.SubjectRef{Kind: credo.Person, ID: "110101000000000001"}, Jurisdiction: prgs[0].Jurisdiction,
		PolicyVersion: prgs[0].VersionID(), Grade: prgs[0].Policy().Grades[0].Grade, Lists: []credo.Membership{{List: "x"}}}
	tb, err := decide.New(prgs)
	if err != nil {
		t.Fatal(err)
	}
	tb.Update(&st)
	for name, spoil := range map[string]func(b *credo.StandingSummaries){
		"jurisdiction": func(b *credo.StandingSummaries) { b.Summaries[0].Jurisdiction = 99 },
		"grade":        func(b *credo.StandingSummaries) { b.Summaries[0].Grade = 99 },
		"id":           func(b *credo.StandingSummaries) { b.Summaries[0].IDTo = 99 },
		"id backwards": func(b *credo.StandingSummaries) { b.Summaries[0].IDFrom = b.Summaries[0].IDTo + 1 },
		"lists":        func(b *credo.StandingSummaries) { b.Summaries[0].ListsTo = 9 },
		"list":         func(b *credo.StandingSummaries) { b.Lists[0] = 99 },
	} {
		bad := func(yield func(*credo.StandingSummaries, error) bool) {
			for b := range summaryBatches([]credo.Standing{st}, 1) {
				spoil(b)
				yield(b, nil)
			}
		}
		err := tb.LoadStandings(context.Background(), summaryStore{parts: []iter.Seq2[*credo.StandingSummaries, error]{bad}})
		if err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("%s out of range: %v", name, err)
		}
		if tb.Len() != 1 {
			t.Fatalf("%s out of range: the table holds %d subjects, want the 1 before", name, tb.Len())
		}
	}
}
