package score

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/policies"
	"github.com/credo-org/credo/policy"
	"github.com/credo-org/credo/synth"
)

func pack(t testing.TB, name string) *policy.Program {
	t.Helper()
	path, data, err := policies.Read(name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Load(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func openStore(t testing.TB) *pebble.Store {
	t.Helper()
	s, err := pebble.Open(t.TempDir(), &pebble.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// cityEvents is the first n records of a small synthetic city.
func cityEvents(t testing.TB, c *synth.City, n int) []*credo.Record {
	var out []*credo.Record
	for ev := range c.Events() {
		r := ev.Record
		out = append(out, &r)
		if len(out) == n {
			break
		}
	}
	return out
}

func appendAll(t testing.TB, s credo.Ledger, recs []*credo.Record) {
	t.Helper()
	for lo := 0; lo < len(recs); lo += 1000 {
		res, err := s.Append(context.Background(), recs[lo:min(lo+1000, len(recs))])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Status == credo.Rejected || r.Status == credo.Conflict {
				t.Fatalf("append: %v", r.Err)
			}
		}
	}
}

// fresh is every stored standing under p's jurisdiction compared with the
// standing computed from the subject's records in the ledger, then and
// there: the stored ones must be what a fresh computation gives.
func checkFresh(t *testing.T, s *pebble.Store, p *policy.Program, reps Representatives, asOf time.Time) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	for st, err := range s.ListStandings(ctx, credo.StandingFilter{Jurisdiction: p.Jurisdiction}) {
		if err != nil {
			t.Fatal(err)
		}
		want, err := Standing(ctx, s, p, st.Subject, reps, asOf)
		if err != nil {
			t.Fatal(err)
		}
		// a full recompute stores no contributions (they are computed when
		// a subject is shown); a catch-up stores them
		if st.Score != want.Score || st.Grade != want.Grade || !slices.Equal(lists(st), lists(&want)) ||
			(len(st.Contributions) > 0 && len(st.Contributions) != len(want.Contributions)) ||
			st.GradeReason.By != want.GradeReason.By || st.GradeReason.Band != want.GradeReason.Band ||
			st.GradeReason.Rule != want.GradeReason.Rule || st.GradeReason.Record != want.GradeReason.Record ||
			st.PolicyVersion != p.VersionID() || !st.NextChange.Equal(want.NextChange) {
			t.Fatalf("%s: stored %g %s %v (%d contributions, next %v), computed %g %s %v (%d, next %v)", st.Subject,
				st.Score, st.Grade, lists(st), len(st.Contributions), st.NextChange, want.Score, want.Grade, lists(&want), len(want.Contributions), want.NextChange)
		}
		n++
	}
	return n
}

func lists(st *credo.Standing) []string {
	var out []string
	for _, m := range st.Lists {
		out = append(out, m.List)
	}
	return out
}

// TestRecomputeThenCatchUp scores a city under every shipped pack in full,
// then appends more of its records and catches up: every stored standing
// is what the ledger gives when computed afresh, and the catch-up scored
// only the subjects the new records touched.
func TestRecomputeThenCatchUp(t *testing.T) {
	ctx := context.Background()
	city, err := synth.New(synth.Config{Seed: 3, People: 2000})
	if err != nil {
		t.Fatal(err)
	}
	reps := CityRepresentatives(city)
	recs := cityEvents(t, city, 6000)
	s := openStore(t)
	appendAll(t, s, recs[:5000])
	asOf := recs[len(recs)-1].OccurredAt.Add(time.Hour)
	for _, name := range policies.Names() {
		t.Run(name, func(t *testing.T) {
			p := pack(t, name)
			// the first run is a full recompute, its scan in 3 stretches
			res, err := CatchUp(ctx, s, p, Options{AsOf: asOf, Reps: reps, Workers: 3, stretch: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Full || res.Records != 5000 || res.Through != 5000 {
				t.Fatalf("first catch-up = %+v, want a full recompute of 5000 records", res)
			}
			if n := checkFresh(t, s, p, reps, asOf); int64(n) != res.Subjects || n == 0 {
				t.Fatalf("%d standings stored, %d reported", n, res.Subjects)
			}
		})
	}
	appendAll(t, s, recs[5000:])
	for _, name := range policies.Names() {
		t.Run(name+"/catch-up", func(t *testing.T) {
			p := pack(t, name)
			touched := map[credo.SubjectRef]bool{}
			for _, r := range recs[5000:] {
				if p.Scores(r.Subject.Kind) {
					touched[r.Subject] = true
				}
				if rep, ok := reps[r.Subject]; ok && slices.Contains(p.LinkedKinds(), r.Kind) {
					touched[rep] = true
				}
			}
			res, err := CatchUp(ctx, s, p, Options{AsOf: asOf, Reps: reps})
			if err != nil {
				t.Fatal(err)
			}
			if res.Full || res.Records != 1000 || res.Through != 6000 || res.Subjects != int64(len(touched))+res.Due {
				t.Fatalf("catch-up = %+v, want 1000 records read and %d subjects touched", res, len(touched))
			}
			checkFresh(t, s, p, reps, asOf)
			again, err := CatchUp(ctx, s, p, Options{AsOf: asOf, Reps: reps})
			if err != nil || again.Records != 0 || again.Subjects != again.Due {
				t.Fatalf("a second catch-up = %+v, %v: want nothing to read", again, err)
			}
		})
	}
}

const (
	alice = "110101199003074514" // a person
	acme  = "91350100M000100Y43" // her company
)

func rec(subject credo.SubjectRef, source, id, kind string, at time.Time, attrs ...credo.Attribute) *credo.Record {
	return &credo.Record{Subject: subject, Source: source, SourceRecordID: id, Kind: kind, Polarity: credo.Negative,
		OccurredAt: at, Attributes: attrs}
}

// TestTimePassing: a deduction that counts a year is in the standing, then
// a catch-up a year later with nothing new in the ledger finds the
// standing due and restores the base score.
func TestTimePassing(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	p := pack(t, "rongcheng")
	ref := credo.SubjectRef{Kind: credo.Person, ID: alice}
	at := time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC)
	appendAll(t, s, []*credo.Record{rec(ref, "police", "F1", "traffic.fine", at, credo.Attribute{Key: "amount", Value: credo.Int(100)})})
	res, err := Recompute(ctx, s, p, Options{AsOf: at.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Standing(ctx, ref, "rongcheng")
	if err != nil {
		t.Fatal(err)
	}
	if st.Score >= 1000 || st.NextChange.IsZero() || res.Subjects != 1 {
		t.Fatalf("after a fine: %+v (%+v)", st, res)
	}
	next := st.NextChange
	res, err = CatchUp(ctx, s, p, Options{AsOf: next.Add(-time.Second)})
	if err != nil || res.Subjects != 0 {
		t.Fatalf("catch-up before the fine expires = %+v, %v: nothing due", res, err)
	}
	// noticed a month late, the change is recorded when it happened
	res, err = CatchUp(ctx, s, p, Options{AsOf: next.AddDate(0, 1, 0)})
	if err != nil || res.Subjects != 1 || res.Due != 1 {
		t.Fatalf("catch-up after the fine expired = %+v, %v: want one standing due", res, err)
	}
	st, err = s.Standing(ctx, ref, "rongcheng")
	if err != nil {
		t.Fatal(err)
	}
	if st.Score != 1000 || !st.NextChange.IsZero() {
		t.Fatalf("after the fine expired: score %g, next change %v", st.Score, st.NextChange)
	}
	var scores []string
	for c, err := range s.History(ctx, ref, "rongcheng") {
		if err != nil {
			t.Fatal(err)
		}
		scores = append(scores, fmt.Sprintf("%g %s at %s", c.Score, c.Grade, c.At.UTC().Format(time.RFC3339)))
	}
	if want := "1000 A at " + next.UTC().Format(time.RFC3339); len(scores) != 2 || scores[1] != want {
		t.Fatalf("history = %v, want the fine's score then %s", scores, want)
	}
}

// TestLegalRepresentativeLinkage: an organisation's serious violation puts
// its legal representative on the enterprise pack's list for legal
// representatives of serious violators; another kind of record of the
// organisation does not reach him, nor does the violation without the
// registry.
func TestLegalRepresentativeLinkage(t *testing.T) {
	ctx := context.Background()
	p := pack(t, "enterprise")
	person := credo.SubjectRef{Kind: credo.Person, ID: alice}
	org := credo.SubjectRef{Kind: credo.Organization, ID: acme}
	at := time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC)
	reps := Representatives{org: person}
	for _, tc := range []struct {
		name     string
		reps     Representatives
		recs     []*credo.Record
		wantList bool
	}{
		{"serious violation", reps, []*credo.Record{rec(org, "market", "S1", "enterprise.serious_violation", at)}, true},
		{"another kind", reps, []*credo.Record{rec(org, "market", "P1", "enterprise.admin_penalty", at, credo.Attribute{Key: "severity", Value: credo.String("serious")})}, false},
		{"no registry", nil, []*credo.Record{rec(org, "market", "S1", "enterprise.serious_violation", at)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			appendAll(t, s, append(tc.recs, rec(person, "police", "W1", "traffic.warning", at)))
			if _, err := Recompute(ctx, s, p, Options{AsOf: at.Add(time.Hour), Reps: tc.reps}); err != nil {
				t.Fatal(err)
			}
			st, err := s.Standing(ctx, person, p.Jurisdiction)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.InList("legal_rep_of_serious_violator"); got != tc.wantList {
				t.Fatalf("legal representative's lists %v, want on legal_rep_of_serious_violator: %v", lists(st), tc.wantList)
			}
			orgSt, err := s.Standing(ctx, org, p.Jurisdiction)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "serious violation" && (!orgSt.InList("serious_violation") || orgSt.InList("legal_rep_of_serious_violator")) {
				t.Fatalf("organisation's lists %v", lists(orgSt))
			}
			// the stored standing is the one computed on the fly, and a
			// new violation reaches the representative on catching up
			checkFresh(t, s, p, tc.reps, at.Add(time.Hour))
		})
	}
	// incremental: the violation arrives after the first scoring
	s := openStore(t)
	appendAll(t, s, []*credo.Record{rec(person, "police", "W1", "traffic.warning", at)})
	if _, err := Recompute(ctx, s, p, Options{AsOf: at.Add(time.Hour), Reps: reps}); err != nil {
		t.Fatal(err)
	}
	appendAll(t, s, []*credo.Record{rec(org, "market", "S2", "enterprise.serious_violation", at.Add(time.Hour))})
	res, err := CatchUp(ctx, s, p, Options{AsOf: at.Add(2 * time.Hour), Reps: reps})
	if err != nil || res.Subjects != 2 {
		t.Fatalf("catch-up = %+v, %v: want the organisation and its representative", res, err)
	}
	if st, err := s.Standing(ctx, person, p.Jurisdiction); err != nil || !st.InList("legal_rep_of_serious_violator") {
		t.Fatalf("after catching up: %v, %v", st, err)
	}
}

func TestReadRepresentatives(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     int
		err      string
	}{
		{"header and rows", "uscc,legal_rep\n" + acme + "," + alice + "\n", 1, ""},
		{"no header", acme + ", " + alice + "\n", 1, ""},
		{"empty", "", 0, ""},
		{"bad code", acme + "," + alice + "\n91350100M000100Y44," + alice + "\n", 0, "row 2 field 1"},
		{"bad person", acme + ",110101199003074518\n", 0, "row 1 field 2"},
		{"three fields", acme + "," + alice + ",x\n", 0, "row 1: 3 fields"},
		{"twice, differently", acme + "," + alice + "\n" + acme + ",11010519491231002X\n", 0, "row 2: organisation"},
		{"twice, the same", acme + "," + alice + "\n" + acme + "," + alice + "\n", 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadRepresentatives("reps.csv", strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "reps.csv") {
					t.Fatalf("error %v, want one naming reps.csv and %q", err, tc.err)
				}
				return
			}
			if err != nil || len(got) != tc.want {
				t.Fatalf("= %v, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func FuzzReadRepresentatives(f *testing.F) {
	f.Add(acme + "," + alice + "\n")
	f.Add("uscc,rep\n" + acme + ",\"" + alice + "\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		reps, err := ReadRepresentatives("f.csv", strings.NewReader(in))
		if err != nil {
			if !strings.Contains(err.Error(), "f.csv") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		for org, rep := range reps {
			if org.Kind != credo.Organization || rep.Kind != credo.Person || org.ID == "" || rep.ID == "" {
				t.Fatalf("%v → %v", org, rep)
			}
		}
	})
}
