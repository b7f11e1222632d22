package decide_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/decide"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/policy"
	"github.com/credo-org/credo/score"
)

// TestCatchUpFollowsTheLedger loads the table from a real store, appends
// a judgment default, and catches up: the subject is then denied.
func TestCatchUpFollowsTheLedger(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	who := credo.SubjectRef{Kind: credo.Person, ID: "11010519491231002X"}
	rec := func(id, kind string) *credo.Record { return monthOld(who, "court", id, kind) }
	if _, err := s.Append(ctx, []*credo.Record{rec("T-1", "traffic.red_light")}); err != nil {
		t.Fatal(err)
	}
	prgs := shipped(t, nil)
	head, _ := s.Head(ctx)
	tb := tableFromLedger(t, s, prgs, nil)
	if r := tb.Decide(who, "flight.book", nil); r.Effect != credo.Permit || !r.Known {
		t.Fatalf("before: %v known %v", r.Effect, r.Known)
	}
	if _, err := s.Append(ctx, []*credo.Record{rec("J-1", "court.judgment_default")}); err != nil {
		t.Fatal(err)
	}
	n, last, err := tb.CatchUp(ctx, s, prgs, head.Seq)
	if err != nil || n != 1 || last != head.Seq+1 {
		t.Fatalf("CatchUp = %d, %d, %v", n, last, err)
	}
	if r := tb.Decide(who, "flight.book", nil); r.Effect != credo.Deny {
		t.Fatalf("after: %v", r.Effect)
	}
	if n, _, _ := tb.CatchUp(ctx, s, prgs, last); n != 0 {
		t.Errorf("nothing new, %d rescored", n)
	}
}

// TestCatchUpLinked appends a judgment default against an organisation:
// through the registry of legal representatives it reaches the person who
// represents it, and the table denies the person too.
func TestCatchUpLinked(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	who := credo.SubjectRef{Kind: credo.Person, ID: "11010519491231002X"}
	org := credo.SubjectRef{Kind: credo.Organization, ID: "91350100M000100Y43"}
	rec := func(sub credo.SubjectRef, id, kind string) *credo.Record { return monthOld(sub, "court", id, kind) }
	if _, err := s.Append(ctx, []*credo.Record{rec(who, "T-1", "traffic.red_light")}); err != nil {
		t.Fatal(err)
	}
	prgs := shipped(t, nil)
	for _, tc := range []struct {
		name string
		reps score.Representatives
		want credo.Effect
	}{
		{"without the registry", nil, credo.Permit},
		{"with the registry", score.Representatives{org: who}, credo.Deny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head, _ := s.Head(ctx)
			tb := tableFromLedger(t, s, prgs, nil)
			if r := tb.Decide(who, "flight.book", nil); r.Effect != credo.Permit {
				t.Fatalf("before: %v", r.Effect)
			}
			if _, err := s.Append(ctx, []*credo.Record{rec(org, "J-"+tc.name, "court.judgment_default")}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := tb.CatchUpLinked(ctx, s, prgs, tc.reps, head.Seq); err != nil {
				t.Fatal(err)
			}
			if r := tb.Decide(org, "flight.book", nil); r.Effect != credo.Deny {
				t.Errorf("the organisation: %v", r.Effect)
			}
			if r := tb.Decide(who, "flight.book", nil); r.Effect != tc.want {
				t.Errorf("its representative: %v, want %v", r.Effect, tc.want)
			}
		})
	}
}

// TestExpire stores standings as of a past day, when a judgment default
// still held, loads the table from them, and lets Expire bring the
// subject whose standing has since changed by time alone up to date.
func TestExpire(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	who := credo.SubjectRef{Kind: credo.Person, ID: "11010519491231002X"}
	occurred := time.Now().AddDate(-6, 0, 0)
	if _, err := s.Append(ctx, []*credo.Record{{Subject: who, Source: "court", SourceRecordID: "J-1", Kind: "court.judgment_default",
		Polarity: credo.Negative, OccurredAt: occurred, Evidence: "J-1", Provenance: credo.Provenance{File: "f", Row: 1}}}); err != nil {
		t.Fatal(err)
	}
	prgs := shipped(t, nil)
	then := occurred.AddDate(0, 0, 10)
	for _, p := range prgs {
		if _, err := score.CatchUp(ctx, s, p, score.Options{AsOf: then}); err != nil {
			t.Fatal(err)
		}
	}
	tb, err := decide.New(prgs)
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Load(ctx, s.ListStandings(ctx, credo.StandingFilter{}), 0); err != nil {
		t.Fatal(err)
	}
	if r := tb.Decide(who, "flight.book", nil); r.Effect != credo.Deny {
		t.Fatalf("as stored: %v", r.Effect)
	}
	asStored, _ := tb.Lookup(who)
	if n, err := tb.Expire(ctx, s, s, prgs, nil, then); err != nil || n != 0 {
		t.Fatalf("nothing due then: %d, %v", n, err)
	}
	n, err := tb.Expire(ctx, s, s, prgs, nil, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("Expire = %d, %v", n, err)
	}
	// the reference: a table computed from the ledger as of now
	now := tableFromLedger(t, s, prgs, nil)
	got, _ := tb.Lookup(who)
	want, _ := now.Lookup(who)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after Expire %+v, from the ledger now %+v", got, want)
	}
	if reflect.DeepEqual(got, asStored) {
		t.Errorf("nothing changed: the test tests nothing")
	}
}

// TestFromLedgerLinked loads the table from a ledger holding an
// organisation's judgment default: through the registry, its
// representative is denied from the start; without it, not.
func TestFromLedgerLinked(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	who := credo.SubjectRef{Kind: credo.Person, ID: "11010519491231002X"}
	org := credo.SubjectRef{Kind: credo.Organization, ID: "91350100M000100Y43"}
	recs := []*credo.Record{monthOld(who, "police", "T-1", "traffic.red_light"), monthOld(org, "court", "J-1", "court.judgment_default")}
	if _, err := s.Append(ctx, recs); err != nil {
		t.Fatal(err)
	}
	prgs := shipped(t, nil)
	for _, tc := range []struct {
		name string
		reps score.Representatives
		want credo.Effect
	}{
		{"without the registry", nil, credo.Permit},
		{"with the registry", score.Representatives{org: who}, credo.Deny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := tableFromLedger(t, s, prgs, tc.reps)
			if r := tb.Decide(who, "flight.book", nil); r.Effect != tc.want {
				t.Errorf("the representative: %v, want %v", r.Effect, tc.want)
			}
			if r := tb.Decide(org, "flight.book", nil); r.Effect != credo.Deny {
				t.Errorf("the organisation: %v", r.Effect)
			}
		})
	}
}

// TestFromLedgerResolved: a record the agency sent without a usable id and
// the resolver linked to a subject counts for that subject, as it does in
// the stored standings: a judgment default linked to a person bars the
// person from flying.
func TestFromLedgerResolved(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	who := credo.SubjectRef{Kind: credo.Person, ID: "11010519491231002X"}
	loose := monthOld(credo.SubjectRef{}, "court", "J-1", "court.judgment_default")
	loose.Identity = credo.Identity{Name: "王伟", BirthDate: "1949-12-31"}
	recs := []*credo.Record{monthOld(who, "police", "T-1", "traffic.red_light"), loose}
	if _, err := s.Append(ctx, recs); err != nil {
		t.Fatal(err)
	}
	prgs := shipped(t, nil)
	decideFor := func() credo.Effect {
		return tableFromLedger(t, s, prgs, nil).Decide(who, "flight.book", nil).Effect
	}
	if got := decideFor(); got != credo.Permit {
		t.Fatalf("before the link: %v", got)
	}
	if _, err := s.Resolve(ctx, []credo.Resolution{{Action: credo.Link, Record: recs[1].ID, Subject: who, By: "resolver", Why: "name and birth date"}}); err != nil {
		t.Fatal(err)
	}
	if got := decideFor(); got != credo.Deny {
		t.Fatalf("after the link: %v, want the judgment default to count", got)
	}
}

// openStore opens a store in a temporary directory, closed with the test.
func openStore(t *testing.T) *pebble.Store {
	t.Helper()
	s, err := pebble.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// monthOld is a negative record of subject from source, a month old.
func monthOld(subject credo.SubjectRef, source, id, kind string) *credo.Record {
	return &credo.Record{Subject: subject, Source: source, SourceRecordID: id, Kind: kind, Polarity: credo.Negative,
		OccurredAt: time.Now().AddDate(0, -1, 0), Evidence: id, Provenance: credo.Provenance{File: "f", Row: 1}}
}

// tableFromLedger is a table of prgs loaded from the ledger of s as of
// now, with the registry of legal representatives reps.
func tableFromLedger(t *testing.T, s *pebble.Store, prgs []*policy.Program, reps score.Representatives) *decide.Table {
	t.Helper()
	tb, err := decide.New(prgs)
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Load(context.Background(), decide.FromLedgerLinked(context.Background(), s, prgs, reps, time.Now()), 0); err != nil {
		t.Fatal(err)
	}
	return tb
}
