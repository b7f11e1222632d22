package decide_test

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/decide"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/policy"
)

// TestLoadInParts loads enough subjects for Load to split the work across
// cores, with each subject's standings together, apart and shuffled, and
// checks every subject against a table built one Update at a time. (Apart,
// a subject takes a slot a time it comes: the index is larger than needed.)
func TestLoadInParts(t *testing.T) {
	prgs := shipped(t, nil)
	const people = 70_000 // above the size Load splits
	var sts []credo.Standing
	for i := range people {
		id := fmt.Sprintf("110101%012dX", i) // only the 17 leading digits make the key
		for _, p := range prgs {
			if !p.Scores(credo.Person) {
				continue
			}
			pol := p.Policy()
			st := credo.Standing{Subject: credo.SubjectRef{Kind: credo.Person, ID: id}, Jurisdiction: p.Jurisdiction,
				PolicyVersion: p.VersionID(), Score: float64(500 + i%700), Grade: pol.Grades[i%len(pol.Grades)].Grade}
			if i%37 == 0 && len(pol.Lists) > 0 {
				st.Lists = []credo.Membership{{List: pol.Lists[i%len(pol.Lists)].Name}}
			}
			if i%101 == 0 {
				st.GradeReason.By = "direct"
			}
			sts = append(sts, st)
		}
	}
	ref := updated(t, prgs, sts)
	apart := make([]credo.Standing, 0, len(sts))
	for _, p := range prgs {
		for _, st := range sts {
			if st.Jurisdiction == p.Jurisdiction {
				apart = append(apart, st)
			}
		}
	}
	shuffled := append([]credo.Standing(nil), sts...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	half := len(sts) / 2
	for half > 0 && sts[half].Subject == sts[half-1].Subject {
		half--
	}
	for _, tc := range []struct {
		name  string
		parts [][]credo.Standing
		hint  int
	}{
		{"together", [][]credo.Standing{sts}, people},
		{"together without a hint", [][]credo.Standing{sts}, 0},
		{"apart", [][]credo.Standing{apart}, people},
		{"shuffled", [][]credo.Standing{shuffled}, people},
		{"in two parts", [][]credo.Standing{sts[:half], sts[half:]}, people},
		{"in three parts, one empty", [][]credo.Standing{sts[half:], nil, sts[:half]}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := decide.New(prgs)
			if err != nil {
				t.Fatal(err)
			}
			var parts []iter.Seq2[*credo.Standing, error]
			for _, p := range tc.parts {
				parts = append(parts, seqOf(p))
			}
			if err := tb.LoadParts(context.Background(), parts, tc.hint); err != nil {
				t.Fatal(err)
			}
			if tb.Len() != people {
				t.Fatalf("%d subjects, want %d", tb.Len(), people)
			}
			var subjects []credo.SubjectRef
			for i := range sts {
				subjects = append(subjects, sts[i].Subject)
			}
			sameLookups(t, tb, ref, subjects)
			if b := tb.BytesPerSubject(); tc.name != "shuffled" && tc.name != "apart" && b > 16 {
				t.Errorf("%.1f bytes a subject", b)
			}
		})
	}
}

// TestLoadStandings loads the table from the standings stored in a real
// store — stored whole by a full recompute of each jurisdiction, then a
// few stored alone over them, as `credo serve` finds them — in each way a
// store may offer them (summaries, standings in parts, one sequence), and
// checks every subject, person and organisation, against a table built
// one Update at a time.
func TestLoadStandings(t *testing.T) {
	ctx := context.Background()
	prgs := shipped(t, nil)
	s := openStore(t)
	ref, err := decide.New(prgs)
	if err != nil {
		t.Fatal(err)
	}
	const people, orgs = 5000, 700
	subject := func(i int) credo.SubjectRef {
		if i >= people {
			return credo.SubjectRef{Kind: credo.Organization, ID: fmt.Sprintf("91350200%09dX", i)}
		}
		return credo.SubjectRef{Kind: credo.Person, ID: fmt.Sprintf("110101%012dX", i)}
	}
	mk := func(i int, p *policy.Program) *credo.Standing {
		pol := p.Policy()
		st := &credo.Standing{Subject: subject(i), Jurisdiction: p.Jurisdiction,
			PolicyVersion: p.VersionID(), AsOf: asOf, Score: float64(500 + i%700), Grade: pol.Grades[i%len(pol.Grades)].Grade}
		if i%37 == 0 && len(pol.Lists) > 0 {
			st.Lists = []credo.Membership{{List: pol.Lists[i%len(pol.Lists)].Name}}
		}
		if i%101 == 0 {
			st.GradeReason.By = "direct"
		}
		return st
	}
	var later []*credo.Standing
	for k, p := range prgs {
		var sts []*credo.Standing
		for i := range people + orgs {
			if p.Scores(subject(i).Kind) && (i+k)%3 != 0 { // each subject in some jurisdictions only
				sts = append(sts, mk(i, p))
			}
		}
		if err := s.ReplaceStandings(ctx, p.Jurisdiction, sts); err != nil {
			t.Fatal(err)
		}
		for _, st := range sts {
			ref.Update(st)
		}
		for i := k; i < people+orgs; i += 97 {
			if p.Scores(subject(i).Kind) {
				st := mk(i+1, p)
				st.Subject = subject(i)
				later = append(later, st)
			}
		}
	}
	// a standing under a version the table was not made for, stored alone
	other := mk(3, prgs[0])
	other.PolicyVersion, other.Grade = prgs[0].Jurisdiction+"@0", "Z"
	later = append(later, other)
	if err := s.PutStandings(ctx, later); err != nil {
		t.Fatal(err)
	}
	for _, st := range later {
		ref.Update(st)
	}
	for _, way := range []struct {
		name string
		s    credo.Standings
	}{
		{"summaries", s},
		{"standings in parts", partedOnly{s, s}},
		{"one sequence", standingsOnly{s}},
	} {
		t.Run(way.name, func(t *testing.T) {
			tb, err := decide.New(prgs)
			if err != nil {
				t.Fatal(err)
			}
			if err := tb.LoadStandings(ctx, way.s); err != nil {
				t.Fatal(err)
			}
			if tb.Len() != ref.Len() {
				t.Fatalf("%d subjects, want %d", tb.Len(), ref.Len())
			}
			var subjects []credo.SubjectRef
			for i := range people + orgs + 1 {
				subjects = append(subjects, subject(i))
			}
			sameLookups(t, tb, ref, subjects)
		})
	}
}

// partedOnly is a store of standings that reads them in parts, but not as
// summaries.
type partedOnly struct {
	credo.Standings
	s *pebble.Store
}

func (p partedOnly) StandingParts(ctx context.Context, n int) []iter.Seq2[*credo.Standing, error] {
	return p.s.StandingParts(ctx, n)
}

// standingsOnly is a store of standings that reads them only as
// credo.Standings does.
type standingsOnly struct{ credo.Standings }

// updated is a table of prgs built from sts one Update at a time.
func updated(t *testing.T, prgs []*policy.Program, sts []credo.Standing) *decide.Table {
	t.Helper()
	tb, err := decide.New(prgs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range sts {
		tb.Update(&sts[i])
	}
	return tb
}

// sameLookups checks that got knows each of subjects as want does.
func sameLookups(t *testing.T, got, want *decide.Table, subjects []credo.SubjectRef) {
	t.Helper()
	for _, s := range subjects {
		g, gok := got.Lookup(s)
		w, wok := want.Lookup(s)
		if gok != wok || !reflect.DeepEqual(g, w) {
			t.Fatalf("%s: %v %v, want %v %v", s, gok, g, wok, w)
		}
	}
}
