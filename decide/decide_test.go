package decide_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/decide"
	"github.com/credo-org/credo/policies"
	"github.com/credo-org/credo/policy"
	"github.com/credo-org/credo/synth"
)

func shipped(t testing.TB, edit func(name string, src string) string) []*policy.Program {
	var out []*policy.Program
	for _, n := range policies.Names() {
		path, data, err := policies.Read(n)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		if edit != nil {
			src = edit(n, src)
		}
		p, err := policy.Load(path, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

var asOf = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// cityStandings scores a small synthetic city under prgs.
func cityStandings(t testing.TB, prgs []*policy.Program, people int) []credo.Standing {
	city, err := synth.New(synth.Config{Seed: 1, People: people})
	if err != nil {
		t.Fatal(err)
	}
	by := map[credo.SubjectRef][]*credo.Record{}
	var order []credo.SubjectRef
	for ev := range city.Events() {
		r := ev.Record
		r.ID = credo.RecordID(r.Source, r.SourceRecordID)
		if !r.Subject.Resolved() {
			continue
		}
		if _, ok := by[r.Subject]; !ok {
			order = append(order, r.Subject)
		}
		by[r.Subject] = append(by[r.Subject], &r)
	}
	var out []credo.Standing
	for _, s := range order {
		for _, p := range prgs {
			if p.Scores(s.Kind) {
				out = append(out, p.Standing(s, by[s], asOf))
			}
		}
	}
	return out
}

func seqOf(sts []credo.Standing) func(func(*credo.Standing, error) bool) {
	return func(yield func(*credo.Standing, error) bool) {
		for i := range sts {
			if !yield(&sts[i], nil) {
				return
			}
		}
	}
}

func load(t testing.TB, prgs []*policy.Program, sts []credo.Standing) *decide.Table {
	tb, err := decide.New(prgs)
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Load(context.Background(), seqOf(sts), 0); err != nil {
		t.Fatal(err)
	}
	return tb
}

// checkAgreement compares every outcome of the table with what
// policy.Program.Decide says over the full standing.
func checkAgreement(t *testing.T, prgs []*policy.Program, sts []credo.Standing, tb *decide.Table) {
	t.Helper()
	byJ := map[string]*policy.Program{}
	for _, p := range prgs {
		byJ[p.Jurisdiction] = p
	}
	stOf := map[string]*credo.Standing{}
	var subjects []credo.SubjectRef
	for i := range sts {
		k := sts[i].Subject.String() + "|" + sts[i].Jurisdiction
		if _, ok := stOf[k]; !ok && (len(subjects) == 0 || subjects[len(subjects)-1] != sts[i].Subject) {
			subjects = append(subjects, sts[i].Subject)
		}
		stOf[k] = &sts[i]
	}
	contexts := []map[string]any{nil, {"consent": "c-1"}, {"consent": ""}}
	denies, checked := 0, 0
	for _, s := range subjects {
		for _, a := range tb.Actions() {
			for _, ctx := range contexts {
				r := tb.Decide(s, a, ctx)
				if !r.Known {
					t.Fatalf("%s: unknown", s)
				}
				anyDeny := false
				for o := range r.Outcomes() {
					st := stOf[s.String()+"|"+o.Jurisdiction]
					want := byJ[o.Jurisdiction].Decide(st, a, ctx)
					if o.Effect != want.Effect || o.Reason != want.Reason {
						t.Fatalf("%s %s %v under %s: table %v/%s, policy %v/%s (rule %s)", s, a, ctx, o.Jurisdiction, o.Effect, o.Reason, want.Effect, want.Reason, o.Rule)
					}
					anyDeny = anyDeny || o.Effect == credo.Deny
					checked++
				}
				if anyDeny != (r.Effect == credo.Deny) {
					t.Fatalf("%s %s: combined %v", s, a, r.Effect)
				}
				if r.Effect == credo.Deny {
					denies++
				}
			}
		}
	}
	if denies == 0 || checked == 0 {
		t.Fatalf("the city gave %d outcomes, %d denials: the test checks nothing", checked, denies)
	}
}

func TestTableAgreesWithPolicy(t *testing.T) {
	prgs := shipped(t, nil)
	sts := cityStandings(t, prgs, 3000)
	tb := load(t, prgs, sts)
	checkAgreement(t, prgs, sts, tb)
	if bps := tb.BytesPerSubject(); bps > 16 {
		t.Errorf("%.1f bytes per subject, want ≤ 16", bps)
	}
}

// TestCELFallback rewrites the measures' conditions into shapes the Go
// paths do not cover, so that CEL decides, and checks the same agreement.
func TestCELFallback(t *testing.T) {
	edit := func(_ string, src string) string {
		r := strings.NewReplacer(
			`'"dishonest_debtor" in standing.lists'`, `'standing.lists.exists(l, l == "dishonest_debtor")'`,
			`standing.score >= 650`, `standing.score * 1.0 >= 650.0`,
			`standing.grade == "C"`, `standing.grade.startsWith("C") && size(standing.grade) == 1`,
		)
		return r.Replace(src)
	}
	prgs := shipped(t, edit)
	sts := cityStandings(t, prgs, 1500)
	checkAgreement(t, prgs, sts, load(t, prgs, sts))
}

func TestUnknownSubjectGetsDefaults(t *testing.T) {
	prgs := shipped(t, nil)
	tb := load(t, prgs, nil)
	tests := []struct {
		action string
		ctx    map[string]any
		want   credo.Effect
		reason string
	}{
		{"flight.book", nil, credo.Permit, "national:not_listed"},
		{"dating.boost", nil, credo.Deny, "rongcheng:not_eligible"},
		{"employment.screening", nil, credo.Deny, "national:consent_required"},
		{"employment.screening", map[string]any{"consent": "ref-9"}, credo.Permit, "national:screened"},
		{"no.such_action", nil, credo.NotApplicable, ""},
	}
	who := credo.SubjectRef{Kind: credo.Person, ID: "110101199003077777"}
	tb.Warm([]uint64{tb.Key(who), 0, ^uint64(0)}) // any key: it only reads
	for _, tt := range tests {
		r := tb.Decide(who, tt.action, tt.ctx)
		if r.Known || r.Effect != tt.want {
			t.Errorf("%s: known %v effect %v, want unknown %v", tt.action, r.Known, r.Effect, tt.want)
		}
		if tt.reason != "" && !slices.Contains(r.Reasons(), tt.reason) {
			t.Errorf("%s: reasons %v, want %s among them", tt.action, r.Reasons(), tt.reason)
		}
	}
}

func TestUpdateOneSubject(t *testing.T) {
	prgs := shipped(t, nil)
	sts := cityStandings(t, prgs, 500)
	tb := load(t, prgs, sts)
	n := tb.Len()
	var who credo.SubjectRef
	for i := range sts {
		if sts[i].Jurisdiction == "national" && sts[i].Subject.Kind == credo.Person && len(sts[i].Lists) == 0 {
			who = sts[i].Subject
			break
		}
	}
	if r := tb.Decide(who, "flight.book", nil); r.Effect != credo.Permit {
		t.Fatalf("before: %v", r.Effect)
	}
	st := credo.Standing{Subject: who, Jurisdiction: "national", PolicyVersion: prgs[1].VersionID(), Grade: "D",
		Lists: []credo.Membership{{List: "dishonest_debtor", Type: "blacklist"}}}
	if !tb.Update(&st) {
		t.Fatal("update ignored")
	}
	r := tb.Decide(who, "flight.book", nil)
	if r.Effect != credo.Deny || !slices.Contains(r.Reasons(), "national:dishonest_debtor") {
		t.Fatalf("after: %v %v", r.Effect, r.Reasons())
	}
	if tb.Len() != n {
		t.Errorf("len %d, want %d", tb.Len(), n)
	}
	// a new subject
	nw := credo.SubjectRef{Kind: credo.Organization, ID: "91350100M000100Y43"}
	st2 := credo.Standing{Subject: nw, Jurisdiction: "national", PolicyVersion: prgs[1].VersionID(), Grade: "A"}
	tb.Update(&st2)
	if r := tb.Decide(nw, "flight.book", nil); !r.Known {
		t.Error("new subject unknown after Update")
	}
	// another version's standing is not the table's
	st3 := st2
	st3.PolicyVersion = "national@0"
	if tb.Update(&st3) {
		t.Error("a standing of another version was taken")
	}
}

func TestDecideDoesNotAllocate(t *testing.T) {
	prgs := shipped(t, nil)
	sts := cityStandings(t, prgs, 300)
	tb := load(t, prgs, sts)
	who := sts[0].Subject
	for _, a := range []string{"flight.book", "loan.apply", "library.borrow", "rental.deposit"} {
		if n := testing.AllocsPerRun(100, func() { tb.Decide(who, a, nil) }); n != 0 {
			t.Errorf("%s: %v allocations per decision", a, n)
		}
	}
}

// TestConcurrentUpdates runs decisions while standings change (run with
// -race).
func TestConcurrentUpdates(t *testing.T) {
	prgs := shipped(t, nil)
	sts := cityStandings(t, prgs, 300)
	tb := load(t, prgs, sts)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			for i := range sts {
				tb.Decide(sts[i].Subject, "loan.apply", nil)
			}
		}
	})
	for i := range sts {
		st := sts[i]
		st.Subject.ID = strings.Replace(st.Subject.ID, "1", "2", 1)
		tb.Update(&st)
	}
	if err := tb.Load(context.Background(), seqOf(sts), len(sts)); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
}
