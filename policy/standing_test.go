package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/synth"
)

// cityRecords is the first n records of a small synthetic city, grouped by
// subject.
func cityRecords(t testing.TB, people, n int) (order []credo.SubjectRef, bySubject map[credo.SubjectRef][]*credo.Record) {
	city, err := synth.New(synth.Config{Seed: 1, People: people})
	if err != nil {
		t.Fatal(err)
	}
	bySubject = map[credo.SubjectRef][]*credo.Record{}
	i := 0
	for ev := range city.Events() {
		r := ev.Record
		r.ID = credo.RecordID(r.Source, r.SourceRecordID)
		if _, ok := bySubject[r.Subject]; !ok {
			order = append(order, r.Subject)
		}
		bySubject[r.Subject] = append(bySubject[r.Subject], &r)
		if i++; i == n {
			break
		}
	}
	return order, bySubject
}

func loadPacks(t testing.TB) map[string]*Program {
	files, _ := filepath.Glob("../policies/*.yaml")
	out := map[string]*Program{}
	for _, f := range files {
		out[filepath.Base(f)] = mustLoad(t, f)
	}
	return out
}

// TestFastPathsAgreeWithCEL compiles every pack twice, once with the Go fast
// paths and once all in CEL, and compares what every record of a synthetic
// city hits, and every subject's standing.
func TestFastPathsAgreeWithCEL(t *testing.T) {
	fast := loadPacks(t)
	noFastPaths = true
	slow := loadPacks(t)
	noFastPaths = false
	order, by := cityRecords(t, 2000, 20000)
	asOf := time.Date(2025, 6, 1, 0, 0, 0, 0, shanghai)
	for name, f := range fast {
		s := slow[name]
		fastRules, n := 0, 0
		for _, m := range f.matchers {
			if m.fast {
				fastRules++
			}
		}
		for _, m := range s.matchers {
			if m.fast && len(m.preds) > 0 {
				t.Fatalf("%s: noFastPaths left a fast matcher", name)
			}
		}
		for _, subj := range order {
			for _, r := range by[subj] {
				a := f.Match(subj, r, nil)
				b := s.Match(subj, r, nil)
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("%s: record %s %s %v: fast %v, CEL %v", name, r.ID, r.Kind, r.Attributes, a, b)
				}
				n += len(a)
			}
			sa := f.Standing(subj, by[subj], asOf)
			sb := s.Standing(subj, by[subj], asOf)
			if !reflect.DeepEqual(sa, sb) {
				t.Fatalf("%s: standing of %s differs:\nfast %+v\nCEL  %+v", name, subj, sa, sb)
			}
		}
		t.Logf("%s: %d of %d clauses on the fast path; %d hits agree", name, fastRules, len(f.matchers), n)
	}
}

// TestStandingIsPure: the same records in any order give the same standing,
// and a standing as of T ignores records that occurred after T.
func TestStandingIsPure(t *testing.T) {
	prg := loadPacks(t)["rongcheng.yaml"]
	order, by := cityRecords(t, 500, 5000)
	asOf := time.Date(2023, 1, 1, 0, 0, 0, 0, shanghai)
	for _, subj := range order {
		recs := by[subj]
		a := prg.Standing(subj, recs, asOf)
		rev := make([]*credo.Record, len(recs))
		for i, r := range recs {
			rev[len(recs)-1-i] = r
		}
		b := prg.Standing(subj, rev, asOf)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("order matters for %s", subj)
		}
		var before []*credo.Record
		for _, r := range recs {
			if !r.OccurredAt.After(asOf) {
				before = append(before, r)
			}
		}
		c := prg.Standing(subj, before, asOf)
		if !reflect.DeepEqual(a, c) {
			t.Fatalf("records after as-of changed the standing of %s", subj)
		}
	}
}

// TestCityGradeDistribution scores a small city under each pack, a smoke
// test that every grade can be reached.
func TestCityGradeDistribution(t *testing.T) {
	order, by := cityRecords(t, 5000, 0)
	asOf := time.Date(2025, 12, 31, 0, 0, 0, 0, shanghai)
	for name, prg := range loadPacks(t) {
		grades, lists := map[string]int{}, map[string]int{}
		for _, subj := range order {
			if !prg.Scores(subj.Kind) {
				continue
			}
			st := prg.Standing(subj, by[subj], asOf)
			grades[st.Grade]++
			for _, m := range st.Lists {
				lists[m.List]++
			}
		}
		t.Logf("%s: grades %v lists %v", name, grades, lists)
	}
}

func TestRunTestsReportsFailures(t *testing.T) {
	data, err := os.ReadFile("../policies/rongcheng.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse("rongcheng.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	s := 999.0
	p.Tests[0].Expect.Score = &s
	prg, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	res := RunTests(prg)
	if res[0].Pass || len(res[0].Failures) != 1 {
		t.Fatalf("got %v", res[0])
	}
	if got := fmt.Sprint(res[0]); got == "" {
		t.Fatal("empty")
	}
}
