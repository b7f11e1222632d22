package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credo-org/credo"
)

// RunStandings runs the conformance suite of credo.Standings against b,
// whose stores must implement it.
func RunStandings(t *testing.T, b Backend) {
	suite{
		{"RoundTrip", testStandingRoundTrip},
		{"ReplaceAndHistory", testStandingReplace},
		{"List", testStandingList},
		{"Due", testStandingDue},
		{"ManyReplaced", testStandingMany},
		{"Watermark", testWatermark},
		{"Invalid", testStandingInvalid},
		{"Replaced", testStandingReplaced},
		{"Version", testStandingsVersion},
	}.run(t, b)
}

// StandingsVersioner is implemented by a store that names each state of
// its standings (the embedded store; a decision table saved from them
// is theirs while the version is unchanged).
type StandingsVersioner interface {
	StandingsVersion(ctx context.Context) (string, error)
}

// testStandingsVersion: the standings' version stays as it is across
// reads, watermarks and reopening, and changes with every standing
// stored, alone or whole, even one stored again unchanged. Skipped for a
// store without versions.
func testStandingsVersion(t *testing.T, b Backend) {
	ctx := context.Background()
	s := newStandings(t, b)
	defer func() { s.Close() }()
	if _, ok := s.(StandingsVersioner); !ok {
		t.Skipf("%T names no versions of its standings", s)
	}
	version := func() string {
		t.Helper()
		v, err := s.(StandingsVersioner).StandingsVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v == "" {
			t.Fatal("an empty version")
		}
		return v
	}
	seen := map[string]bool{}
	changed := func(what string) string {
		t.Helper()
		v := version()
		if seen[v] {
			t.Fatalf("after %s: version %s seen before", what, v)
		}
		seen[v] = true
		return v
	}
	changed("opening")
	st := standing(person("110101199003074518"), "rongcheng", 900, "B")
	if err := s.PutStandings(ctx, []*credo.Standing{st}); err != nil {
		t.Fatal(err)
	}
	changed("storing a standing")
	if err := s.PutStandings(ctx, []*credo.Standing{st}); err != nil {
		t.Fatal(err)
	}
	v := changed("storing it again unchanged")
	if _, err := s.Standing(ctx, st.Subject, "rongcheng"); err != nil {
		t.Fatal(err)
	}
	for _, err := range s.ListStandings(ctx, credo.StandingFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetWatermark(ctx, "rongcheng@1", 5); err != nil {
		t.Fatal(err)
	}
	s = reopenStandings(t, b, s)
	if got := version(); got != v {
		t.Fatalf("after reads, a watermark and reopening: version %s, want %s as before", got, v)
	}
	if rs, ok := s.(StandingReplacer); ok {
		if err := rs.ReplaceStandings(ctx, "rongcheng", []*credo.Standing{st}); err != nil {
			t.Fatal(err)
		}
		v = changed("storing the standings whole")
		s = reopenStandings(t, b, s)
		if got := version(); got != v {
			t.Fatalf("after storing whole and reopening: version %s, want %s", got, v)
		}
	}
}

type standingStore interface {
	credo.Store
	credo.Standings
}

func newStandings(t *testing.T, b Backend) standingStore {
	s := b.New(t)
	ss, ok := s.(standingStore)
	if !ok {
		s.Close()
		t.Fatalf("%T does not implement credo.Standings", s)
	}
	return ss
}

func reopenStandings(t *testing.T, b Backend, s standingStore) standingStore {
	return b.Reopen(t, s).(standingStore)
}

func person(id string) credo.SubjectRef { return credo.SubjectRef{Kind: credo.Person, ID: id} }

// standing makes a full standing: a grade by direct grading, a list, two
// contributions.
func standing(ref credo.SubjectRef, j string, score float64, grade string, lists ...string) *credo.Standing {
	st := &credo.Standing{
		Subject: ref, Jurisdiction: j, PolicyVersion: j + "@1", AsOf: base,
		Score: score, Grade: grade,
		GradeReason:   credo.GradeReason{By: "direct", Band: "960–1029", Banded: "A", Rule: "drunk_driving", Record: "police:1", Until: base.AddDate(2, 0, 0)},
		Lists:         []credo.Membership{},
		Contributions: []credo.Contribution{},
		NextChange:    base.AddDate(1, 0, 0),
	}
	for _, l := range lists {
		st.Lists = append(st.Lists, credo.Membership{List: l, Type: "blacklist", Since: base.AddDate(0, -1, 0), EarliestExit: base.AddDate(1, 0, 0), Record: "court:7", Published: true})
	}
	st.Contributions = append(st.Contributions,
		credo.Contribution{Record: "police:1", Kind: "traffic.fine", Rule: "fine_small", Points: -20, RulePoints: -10, Note: "repeat within validity: ×2", OccurredAt: base.AddDate(0, -2, 0), Until: base.AddDate(1, 0, 0)},
		credo.Contribution{Record: "civil:9", Kind: "charity.donation", Rule: "donation", Points: 5, RulePoints: 5, OccurredAt: base.AddDate(0, -3, 0)})
	return st
}

func sameStanding(t *testing.T, what string, got, want *credo.Standing) {
	t.Helper()
	eqT := func(a, b time.Time) bool { return a.Equal(b) }
	ok := got.Subject == want.Subject && got.Jurisdiction == want.Jurisdiction && got.PolicyVersion == want.PolicyVersion &&
		got.AsOf.Equal(want.AsOf) && got.Score == want.Score && got.Grade == want.Grade && got.NextChange.Equal(want.NextChange) &&
		got.GradeReason.Until.Equal(want.GradeReason.Until) && len(got.Lists) == len(want.Lists) && len(got.Contributions) == len(want.Contributions)
	if ok {
		gr, wr := got.GradeReason, want.GradeReason
		gr.Until, wr.Until = time.Time{}, time.Time{}
		ok = gr == wr
	}
	for i := 0; ok && i < len(got.Lists); i++ {
		g, w := got.Lists[i], want.Lists[i]
		ok = g.List == w.List && g.Type == w.Type && eqT(g.Since, w.Since) && eqT(g.EarliestExit, w.EarliestExit) && eqT(g.Until, w.Until) && g.Record == w.Record && g.Published == w.Published
	}
	for i := 0; ok && i < len(got.Contributions); i++ {
		g, w := got.Contributions[i], want.Contributions[i]
		ok = g.Record == w.Record && g.Kind == w.Kind && g.Rule == w.Rule && g.Points == w.Points && g.RulePoints == w.RulePoints && g.Note == w.Note && eqT(g.OccurredAt, w.OccurredAt) && eqT(g.Until, w.Until)
	}
	if !ok {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func testStandingRoundTrip(t *testing.T, b Backend) {
	ctx := context.Background()
	s := newStandings(t, b)
	ref := person("110101199003074518")
	if _, err := s.Standing(ctx, ref, "rongcheng"); !errors.Is(err, credo.ErrNotFound) {
		t.Fatalf("Standing in an empty store: %v, want ErrNotFound", err)
	}
	want := standing(ref, "rongcheng", 985, "B", "dishonest_debtor")
	if err := s.PutStandings(ctx, []*credo.Standing{want}); err != nil {
		t.Fatal(err)
	}
	s = reopenStandings(t, b, s)
	defer s.Close()
	got, err := s.Standing(ctx, ref, "rongcheng")
	if err != nil {
		t.Fatal(err)
	}
	sameStanding(t, "after reopening", got, want)
	if _, err := s.Standing(ctx, ref, "xiamen"); !errors.Is(err, credo.ErrNotFound) {
		t.Fatalf("Standing under another jurisdiction: %v, want ErrNotFound", err)
	}
	// a standing with nothing in it round-trips too
	bare := &credo.Standing{Subject: credo.SubjectRef{Kind: credo.Organization, ID: "91371082MA3C4Y5X0K"}, Jurisdiction: "rongcheng", Grade: "A", Lists: []credo.Membership{}, Contributions: []credo.Contribution{}}
	if err := s.PutStandings(ctx, []*credo.Standing{bare}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Standing(ctx, bare.Subject, "rongcheng")
	if err != nil {
		t.Fatal(err)
	}
	sameStanding(t, "a bare standing", got, bare)
}

func history(t *testing.T, s credo.Standings, ref credo.SubjectRef, j string) []credo.StandingChange {
	t.Helper()
	var out []credo.StandingChange
	for c, err := range s.History(context.Background(), ref, j) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func testStandingReplace(t *testing.T, b Backend) {
	ctx := context.Background()
	s := newStandings(t, b)
	defer s.Close()
	ref := person("110101199003074518")
	put := func(st *credo.Standing) {
		t.Helper()
		if err := s.PutStandings(ctx, []*credo.Standing{st}); err != nil {
			t.Fatal(err)
		}
	}
	first := standing(ref, "rongcheng", 1000, "A")
	put(first)
	same := standing(ref, "rongcheng", 1000, "A") // recomputed later, unchanged
	same.AsOf = base.Add(time.Hour)
	put(same)
	worse := standing(ref, "rongcheng", 940, "B", "dishonest_debtor")
	worse.AsOf = base.Add(2 * time.Hour)
	put(worse)
	got, err := s.Standing(ctx, ref, "rongcheng")
	if err != nil {
		t.Fatal(err)
	}
	sameStanding(t, "the replacing standing", got, worse)
	h := history(t, s, ref, "rongcheng")
	if len(h) != 2 || h[0].Score != 1000 || h[0].Grade != "A" || len(h[0].Lists) != 0 || !h[0].At.Equal(base) ||
		h[1].Score != 940 || h[1].Grade != "B" || !slices.Equal(h[1].Lists, []string{"dishonest_debtor"}) || !h[1].At.Equal(worse.AsOf) || h[1].PolicyVersion != "rongcheng@1" {
		t.Fatalf("history = %+v, want 1000 A then 940 B on dishonest_debtor", h)
	}
	if h := history(t, s, ref, "xiamen"); len(h) != 0 {
		t.Fatalf("history under another jurisdiction = %+v", h)
	}
	// the old grade's and list's index entries are gone
	for st, err := range s.ListStandings(ctx, credo.StandingFilter{Jurisdiction: "rongcheng", Grade: "A"}) {
		t.Fatalf("grade A still lists %v, %v", st, err)
	}
	better := standing(ref, "rongcheng", 1000, "A")
	better.AsOf = base.Add(3 * time.Hour)
	put(better)
	for st, err := range s.ListStandings(ctx, credo.StandingFilter{List: "dishonest_debtor"}) {
		t.Fatalf("the list still holds %v, %v", st, err)
	}
}

func listed(t *testing.T, s credo.Standings, f credo.StandingFilter) []string {
	t.Helper()
	var out []string
	for st, err := range s.ListStandings(context.Background(), f) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, st.Jurisdiction+"/"+st.Subject.ID+"/"+st.Grade)
	}
	return out
}

func testStandingList(t *testing.T, b Backend) {
	ctx := context.Background()
	s := newStandings(t, b)
	defer s.Close()
	a, c, d := person("110101199003074518"), person("110101199003070000"), person("110101199003079999")
	sts := []*credo.Standing{
		standing(a, "rongcheng", 1000, "A"),
		standing(c, "rongcheng", 500, "D", "dishonest_debtor", "spending_restricted"),
		standing(d, "rongcheng", 1000, "A"),
		standing(a, "xiamen", 700, "B"),
		standing(c, "national", 0, "D", "dishonest_debtor"),
	}
	if err := s.PutStandings(ctx, sts); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    credo.StandingFilter
		want []string
	}{
		{credo.StandingFilter{}, []string{"national/110101199003070000/D", "rongcheng/110101199003070000/D", "rongcheng/110101199003074518/A", "rongcheng/110101199003079999/A", "xiamen/110101199003074518/B"}},
		{credo.StandingFilter{Jurisdiction: "rongcheng", Grade: "A"}, []string{"rongcheng/110101199003074518/A", "rongcheng/110101199003079999/A"}},
		{credo.StandingFilter{Grade: "D"}, []string{"national/110101199003070000/D", "rongcheng/110101199003070000/D"}},
		{credo.StandingFilter{List: "dishonest_debtor"}, []string{"national/110101199003070000/D", "rongcheng/110101199003070000/D"}},
		{credo.StandingFilter{Jurisdiction: "rongcheng", List: "spending_restricted", Grade: "D"}, []string{"rongcheng/110101199003070000/D"}},
		{credo.StandingFilter{Jurisdiction: "rongcheng", List: "spending_restricted", Grade: "A"}, nil},
		{credo.StandingFilter{Jurisdiction: "fuzhou"}, nil},
		{credo.StandingFilter{Jurisdiction: "rong"}, nil},
	} {
		if got := listed(t, s, tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("ListStandings(%+v) = %v, want %v", tc.f, got, tc.want)
		}
	}
	// stopping early
	n := 0
	for range s.ListStandings(ctx, credo.StandingFilter{}) {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatalf("stopped after %d", n)
	}
}

func testStandingDue(t *testing.T, b Backend) {
	ctx := context.Background()
	s := newStandings(t, b)
	defer s.Close()
	a, c, d := person("110101199003074518"), person("110101199003070000"), person("110101199003079999")
	sa, sc, sd := standing(a, "rongcheng", 1000, "A"), standing(c, "rongcheng", 990, "A"), standing(d, "rongcheng", 1000, "A")
	sa.NextChange, sc.NextChange, sd.NextChange = base.AddDate(0, 1, 0), base.AddDate(0, 2, 0), time.Time{}
	if err := s.PutStandings(ctx, []*credo.Standing{sa, sc, sd}); err != nil {
		t.Fatal(err)
	}
	due := func(at time.Time) []string { return dueIDs(t, s, "rongcheng", at) }
	if got := due(base); len(got) != 0 {
		t.Fatalf("due now: %v", got)
	}
	if got := due(base.AddDate(0, 1, 0)); !slices.Equal(got, []string{a.ID}) {
		t.Fatalf("due in a month: %v, want %s (a change at exactly that time is due)", got, a.ID)
	}
	if got := due(base.AddDate(1, 0, 0)); !slices.Equal(got, []string{a.ID, c.ID}) {
		t.Fatalf("due in a year: %v", got)
	}
	// recomputed: its next change moves on
	sa.NextChange = base.AddDate(2, 0, 0)
	if err := s.PutStandings(ctx, []*credo.Standing{sa}); err != nil {
		t.Fatal(err)
	}
	if got := due(base.AddDate(1, 0, 0)); !slices.Equal(got, []string{c.ID}) {
		t.Fatalf("due in a year after recomputing %s: %v", a.ID, got)
	}
	if got := due(base.AddDate(1, 0, 0)); len(got) != 1 {
		t.Fatal(got)
	}
	for ref, err := range s.DueStandings(ctx, "xiamen", base.AddDate(9, 0, 0)) {
		t.Fatalf("due under another jurisdiction: %v %v", ref, err)
	}
}

// testStandingMany replaces many standings in one call, in subject order
// and out of it: every index follows.
func testStandingMany(t *testing.T, b Backend) {
	ctx := context.Background()
	s := newStandings(t, b)
	defer s.Close()
	var first, second []*credo.Standing
	for i := range 40 {
		ref := person(fmt.Sprintf("1101011990030%05d", i))
		first = append(first, standing(ref, "rongcheng", 1000, "A"))
		st := standing(ref, "rongcheng", 500, "D", "dishonest_debtor")
		st.AsOf = base.Add(time.Hour)
		second = append(second, st)
	}
	slices.Reverse(second[:20]) // half out of order
	for _, sts := range [][]*credo.Standing{first, second} {
		if err := s.PutStandings(ctx, sts); err != nil {
			t.Fatal(err)
		}
	}
	if got := listed(t, s, credo.StandingFilter{Grade: "A"}); len(got) != 0 {
		t.Fatalf("grade A after replacing every standing: %v", got)
	}
	if got := listed(t, s, credo.StandingFilter{List: "dishonest_debtor"}); len(got) != 40 {
		t.Fatalf("%d on the list, want 40", len(got))
	}
	if h := history(t, s, second[0].Subject, "rongcheng"); len(h) != 2 {
		t.Fatalf("history %+v", h)
	}
}

func testWatermark(t *testing.T, b Backend) {
	ctx := context.Background()
	s := newStandings(t, b)
	if w, err := s.Watermark(ctx, "rongcheng@2024.1"); err != nil || w != 0 {
		t.Fatalf("Watermark in an empty store = %d, %v", w, err)
	}
	if err := s.SetWatermark(ctx, "rongcheng@2024.1", 42); err != nil {
		t.Fatal(err)
	}
	if err := s.SetWatermark(ctx, "rongcheng@2024.2", 7); err != nil {
		t.Fatal(err)
	}
	s = reopenStandings(t, b, s)
	defer s.Close()
	if w, err := s.Watermark(ctx, "rongcheng@2024.1"); err != nil || w != 42 {
		t.Fatalf("Watermark after reopening = %d, %v, want 42", w, err)
	}
	if w, err := s.Watermark(ctx, "rongcheng@2024"); err != nil || w != 0 {
		t.Fatalf("Watermark of another version = %d, %v, want 0", w, err)
	}
	if err := s.SetWatermark(ctx, "", 1); !errors.Is(err, credo.ErrInvalid) {
		t.Fatalf("SetWatermark without a version: %v, want ErrInvalid", err)
	}
}

func testStandingInvalid(t *testing.T, b Backend) {
	ctx := context.Background()
	s := newStandings(t, b)
	defer s.Close()
	for _, st := range []*credo.Standing{
		{Jurisdiction: "rongcheng", Grade: "A"},
		{Subject: person("110101199003074518"), Grade: "A"},
		{Subject: person("1101\x00"), Jurisdiction: "rongcheng"},
	} {
		if err := s.PutStandings(ctx, []*credo.Standing{st}); !errors.Is(err, credo.ErrInvalid) {
			t.Errorf("PutStandings(%+v): %v, want ErrInvalid", st, err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.PutStandings(cancelled, []*credo.Standing{standing(person("110101199003074518"), "rongcheng", 1, "D")}); !errors.Is(err, context.Canceled) {
		t.Errorf("PutStandings with a cancelled context: %v", err)
	}
}

// StandingReplacer is implemented by a store that stores a jurisdiction's
// standings whole, as a full recompute does (the embedded store).
type StandingReplacer interface {
	ReplaceStandings(ctx context.Context, jurisdiction string, sts []*credo.Standing) error
}

// StandingParter is implemented by a store that reads its standings in
// parts by subject, a subject's standings under every jurisdiction
// together (the embedded store; the decision table loads so).
type StandingParter interface {
	StandingParts(ctx context.Context, n int) []iter.Seq2[*credo.Standing, error]
}

// StandingSummaryParter is implemented by a store that reads, in parts
// as StandingParts does, what a decision reads of its standings, in
// batches (the embedded store; the decision table loads so).
type StandingSummaryParter interface {
	StandingSummaryParts(ctx context.Context, n int) []iter.Seq2[*credo.StandingSummaries, error]
}

// summarized is what a decision reads of each standing in parts, the
// parts one after another: from StandingParts, or from
// StandingSummaryParts when summaries.
func summarized(t *testing.T, s standingStore, parts int, summaries bool) []string {
	t.Helper()
	ctx := context.Background()
	one := func(kind credo.SubjectKind, id, j, version, grade, by string, score float64, lists []string) string {
		return fmt.Sprintf("%s/%s/%s/%s/%s/%s/%v/%v", kind, id, j, version, grade, by, score, lists)
	}
	var out []string
	if !summaries {
		for _, part := range s.(StandingParter).StandingParts(ctx, parts) {
			for st, err := range part {
				if err != nil {
					t.Fatal(err)
				}
				var lists []string
				for _, m := range st.Lists {
					lists = append(lists, m.List)
				}
				out = append(out, one(st.Subject.Kind, st.Subject.ID, st.Jurisdiction, st.PolicyVersion, st.Grade, st.GradeReason.By, st.Score, lists))
			}
		}
		return out
	}
	for _, part := range s.(StandingSummaryParter).StandingSummaryParts(ctx, parts) {
		for b, err := range part {
			if err != nil {
				t.Fatal(err)
			}
			for _, sm := range b.Summaries {
				var lists []string
				for _, l := range b.Lists[sm.ListsFrom:sm.ListsTo] {
					lists = append(lists, b.Strings[l])
				}
				out = append(out, one(sm.Kind, string(b.IDs[sm.IDFrom:sm.IDTo]), b.Strings[sm.Jurisdiction], b.Strings[sm.PolicyVersion],
					b.Strings[sm.Grade], b.Strings[sm.GradeBy], sm.Score, lists))
			}
		}
	}
	return out
}

// testStandingReplaced: standings stored whole (ReplaceStandings) replace
// every earlier one of their jurisdiction, read back like standings
// stored one by one — by subject, listed, due, with their history — and
// are replaced in turn by standings stored one by one; StandingParts
// reads them all, in parts. Skipped for a store without ReplaceStandings.
func testStandingReplaced(t *testing.T, b Backend) {
	ctx := context.Background()
	s := newStandings(t, b)
	defer func() { s.Close() }()
	rs, ok := s.(StandingReplacer)
	if !ok {
		t.Skipf("%T stores no standings whole", s)
	}
	grades := []string{"A", "B", "C", "D"}
	make1 := func(i int, j string, asOf time.Time) *credo.Standing {
		st := standing(person(fmt.Sprintf("1101011990%08d", i)), j, float64(1000-i%300), grades[i%4])
		st.AsOf = asOf
		st.Contributions = nil
		st.GradeReason = credo.GradeReason{By: "band", Band: grades[i%4] + " band"}
		st.NextChange = base.AddDate(0, 0, 1+i%400)
		if i%50 == 0 {
			st.Lists = []credo.Membership{{List: "dishonest_debtor", Type: "blacklist", Since: base}}
		}
		if i%7 == 0 {
			st.NextChange = time.Time{}
		}
		return st
	}
	// before: one subject stored alone that the replacement leaves out,
	// one it keeps unchanged
	gone, kept := make1(99_999, "rongcheng", base), make1(3, "rongcheng", base)
	if err := s.PutStandings(ctx, []*credo.Standing{gone, kept}); err != nil {
		t.Fatal(err)
	}
	const n = 1500
	var sts, xm []*credo.Standing
	for i := range n {
		sts = append(sts, make1(i, "rongcheng", base))
		if i%2 == 0 {
			xm = append(xm, make1(i, "xiamen", base))
		}
	}
	for j, v := range map[string][]*credo.Standing{"rongcheng": sts, "xiamen": xm} {
		if err := rs.ReplaceStandings(ctx, j, v); err != nil {
			t.Fatal(err)
		}
	}
	s = reopenStandings(t, b, s)
	rs = s.(StandingReplacer)
	for _, i := range []int{0, 1, 511, 512, 513, 1024, n - 1} {
		got, err := s.Standing(ctx, sts[i].Subject, "rongcheng")
		if err != nil {
			t.Fatal(err)
		}
		sameStanding(t, fmt.Sprintf("standing %d stored whole", i), got, sts[i])
	}
	if _, err := s.Standing(ctx, gone.Subject, "rongcheng"); !errors.Is(err, credo.ErrNotFound) {
		t.Fatalf("a subject the replacement left out: %v, want ErrNotFound", err)
	}
	if _, err := s.Standing(ctx, sts[1].Subject, "national"); !errors.Is(err, credo.ErrNotFound) {
		t.Fatalf("under another jurisdiction: %v, want ErrNotFound", err)
	}
	if h := history(t, s, kept.Subject, "rongcheng"); len(h) != 1 {
		t.Fatalf("history of a subject replaced unchanged: %+v, want its one entry", h)
	}
	if h := history(t, s, sts[5].Subject, "rongcheng"); len(h) != 1 || h[0].Grade != sts[5].Grade || h[0].Score != sts[5].Score {
		t.Fatalf("history of a subject stored whole: %+v", h)
	}
	count := func(f credo.StandingFilter) int {
		t.Helper()
		got := listed(t, s, f)
		if !slices.IsSorted(got) {
			t.Fatalf("ListStandings(%+v) out of order", f)
		}
		return len(got)
	}
	if got := count(credo.StandingFilter{}); got != n+len(xm) {
		t.Fatalf("%d standings listed, want %d", got, n+len(xm))
	}
	if got := count(credo.StandingFilter{Jurisdiction: "rongcheng", Grade: "D"}); got != n/4 {
		t.Fatalf("%d of grade D, want %d", got, n/4)
	}
	if got := count(credo.StandingFilter{List: "dishonest_debtor"}); got != n/50+len(xm)/25 {
		t.Fatalf("%d on the list, want %d", got, n/50+len(xm)/25)
	}
	dueBy := func(at time.Time) []string { return dueIDs(t, s, "rongcheng", at) }
	if got := dueBy(base); len(got) != 0 {
		t.Fatalf("due now: %v", got)
	}
	due3 := dueBy(base.AddDate(0, 0, 3)) // i%400 in 0..2, but i%7 == 0: by time, then subject
	var want3 []string
	for d := range 3 {
		for i := range n {
			if i%7 != 0 && i%400 == d {
				want3 = append(want3, sts[i].Subject.ID)
			}
		}
	}
	want := len(want3)
	if !slices.Equal(due3, want3) {
		t.Fatalf("due in 3 days: %v, want %v", due3, want3)
	}

	// stored one by one since: a standing replaced, one added
	upd := make1(400, "rongcheng", base.Add(time.Hour))
	upd.Grade, upd.NextChange = "C", base.AddDate(2, 0, 0)
	added := make1(n+5, "rongcheng", base.Add(time.Hour))
	if err := s.PutStandings(ctx, []*credo.Standing{upd, added}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Standing(ctx, upd.Subject, "rongcheng")
	if err != nil {
		t.Fatal(err)
	}
	sameStanding(t, "a standing stored alone over one stored whole", got, upd)
	if h := history(t, s, upd.Subject, "rongcheng"); len(h) != 2 || h[1].Grade != "C" {
		t.Fatalf("history after storing alone: %+v", h)
	}
	if got := dueBy(base.AddDate(0, 0, 3)); len(got) != want-1 || slices.Contains(got, upd.Subject.ID) {
		t.Fatalf("due after storing %s alone: %v", upd.Subject.ID, got)
	}
	if got := count(credo.StandingFilter{Jurisdiction: "rongcheng"}); got != n+1 {
		t.Fatalf("%d listed after storing alone, want %d", got, n+1)
	}
	var grade string
	for st, err := range s.ListStandings(ctx, credo.StandingFilter{Jurisdiction: "rongcheng"}) {
		if err != nil {
			t.Fatal(err)
		}
		if st.Subject == upd.Subject {
			grade = st.Grade
		}
	}
	if grade != "C" {
		t.Fatalf("listed with grade %q, want the one stored alone", grade)
	}

	// in parts, a subject's standings together
	if sp, ok := s.(StandingParter); ok {
		for _, parts := range []int{1, 3} {
			var all []string
			for _, part := range sp.StandingParts(ctx, parts) {
				var prev credo.SubjectRef
				for st, err := range part {
					if err != nil {
						t.Fatal(err)
					}
					if prev.ID != "" && compareRefs(st.Subject, prev) < 0 {
						t.Fatalf("%d parts: %s after %s", parts, st.Subject, prev)
					}
					prev = st.Subject
					all = append(all, st.Subject.ID+"/"+st.Jurisdiction+"/"+st.Grade)
				}
			}
			if len(all) != n+1+len(xm) || slices.Index(all, upd.Subject.ID+"/rongcheng/C") < 0 {
				t.Fatalf("%d parts: %d standings, want %d", parts, len(all), n+1+len(xm))
			}
		}
	}
	// and as summaries, the same
	_, parted := s.(StandingParter)
	if _, ok := s.(StandingSummaryParter); ok && parted {
		for _, parts := range []int{1, 3} {
			want := summarized(t, s, parts, false)
			if len(want) != n+1+len(xm) {
				t.Fatalf("%d parts: %d standings, want %d", parts, len(want), n+1+len(xm))
			}
			if got := summarized(t, s, parts, true); !slices.Equal(got, want) {
				t.Fatalf("%d parts: summaries\n%v\nwant the standings'\n%v", parts, got, want)
			}
		}
	}

	// replaced whole again: what was stored alone goes
	if err := rs.ReplaceStandings(ctx, "rongcheng", sts[:10]); err != nil {
		t.Fatal(err)
	}
	if got := count(credo.StandingFilter{Jurisdiction: "rongcheng"}); got != 10 {
		t.Fatalf("%d listed after the second replacement, want 10", got)
	}
	if _, err := s.Standing(ctx, added.Subject, "rongcheng"); !errors.Is(err, credo.ErrNotFound) {
		t.Fatalf("a standing stored alone, then left out: %v", err)
	}
	if h := history(t, s, upd.Subject, "rongcheng"); len(h) != 2 {
		t.Fatalf("history of a subject left out: %+v, want it kept", h)
	}
	if got := dueBy(base.AddDate(2, 0, 0)); len(got) != 8 {
		t.Fatalf("due after the second replacement: %v", got)
	}
	// standings under two versions: one under another version than the
	// rest, replaced unchanged, enters no history
	mixed := slices.Clone(sts[:10])
	s0 := *sts[0]
	s0.PolicyVersion, s0.AsOf = "rongcheng@0", base.Add(2*time.Hour)
	mixed[0] = &s0
	for range 2 {
		if err := rs.ReplaceStandings(ctx, "rongcheng", mixed); err != nil {
			t.Fatal(err)
		}
	}
	if h := history(t, s, s0.Subject, "rongcheng"); len(h) != 2 || h[1].PolicyVersion != s0.PolicyVersion {
		t.Fatalf("history of a standing under another version, replaced twice: %+v", h)
	}
	if err := rs.ReplaceStandings(ctx, "rongcheng", []*credo.Standing{sts[2], sts[1]}); !errors.Is(err, credo.ErrInvalid) {
		t.Fatalf("standings out of order: %v, want ErrInvalid", err)
	}
}

func compareRefs(a, b credo.SubjectRef) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), strings.Compare(a.ID, b.ID))
}

// dueIDs is what DueStandings yields under j at at, the subjects' ids.
func dueIDs(t *testing.T, s credo.Standings, j string, at time.Time) []string {
	t.Helper()
	var out []string
	for ref, err := range s.DueStandings(context.Background(), j, at) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ref.ID)
	}
	return out
}
