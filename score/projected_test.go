package score

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/synth"
)

// ledgerOnly hides the scoring projection of the store it wraps, so that
// Recompute takes its scan of the full ledger.
type ledgerOnly struct{ Store }

// TestProjectedRecompute: over a synthetic city, the recompute over the
// scoring projection stores for every subject what score.Standing
// computes from its records, and the same subjects and standings as the
// recompute over the full ledger; most subjects are aggregated quickly.
func TestProjectedRecompute(t *testing.T) {
	ctx := context.Background()
	city, err := synth.New(synth.Config{Seed: 7, People: 3000})
	if err != nil {
		t.Fatal(err)
	}
	reps := CityRepresentatives(city)
	recs := cityEvents(t, city, 12000)
	asOf := recs[len(recs)-1].OccurredAt.Add(time.Hour)
	proj, full := openStore(t), openStore(t)
	appendAll(t, proj, recs[:7000])
	appendAll(t, full, recs)
	// the projection is extended as records arrive, then once more by
	// the recompute
	if st, err := proj.ExtendProjection(ctx); err != nil || st.Records != 7000 {
		t.Fatalf("extend = %+v, %v", st, err)
	}
	appendAll(t, proj, recs[7000:])
	for _, name := range []string{"rongcheng", "national"} {
		t.Run(name, func(t *testing.T) {
			p := pack(t, name)
			if !p.QuickOK() {
				t.Fatalf("%s: want a pack the quick aggregation takes", name)
			}
			res, err := Recompute(ctx, proj, p, Options{AsOf: asOf, Reps: reps})
			if err != nil {
				t.Fatal(err)
			}
			if res.Records != int64(len(recs)) || res.Through != uint64(len(recs)) || res.FromRecords >= res.Subjects/2 {
				t.Fatalf("recompute = %+v: want every record read, most subjects aggregated quickly", res)
			}
			t.Logf("%s: %d subjects, %d of them from their full records", name, res.Subjects, res.FromRecords)
			if n := checkFresh(t, proj, p, reps, asOf); int64(n) != res.Subjects {
				t.Fatalf("%d standings stored, %d reported", n, res.Subjects)
			}
			ref, err := Recompute(ctx, ledgerOnly{full}, p, Options{AsOf: asOf, Reps: reps})
			if err != nil {
				t.Fatal(err)
			}
			if ref.Subjects != res.Subjects {
				t.Fatalf("%d standings over the projection, %d over the ledger", res.Subjects, ref.Subjects)
			}
			for st, err := range full.ListStandings(ctx, credo.StandingFilter{Jurisdiction: p.Jurisdiction}) {
				if err != nil {
					t.Fatal(err)
				}
				got, err := proj.Standing(ctx, st.Subject, p.Jurisdiction)
				if err != nil {
					t.Fatalf("%s: over the ledger %g %s, over the projection: %v", st.Subject, st.Score, st.Grade, err)
				}
				if got.Score != st.Score || got.Grade != st.Grade || !got.NextChange.Equal(st.NextChange) {
					t.Fatalf("%s: over the projection %g %s next %v, over the ledger %g %s next %v", st.Subject,
						got.Score, got.Grade, got.NextChange, st.Score, st.Grade, st.NextChange)
				}
			}
		})
	}
}

// TestResolvedRecords: records tied to a subject by resolution count for
// it in a full recompute and in a catch-up — a record sent without an id
// and linked, a subject merged in — and undoing the merge recomputes both
// subjects.
func TestResolvedRecords(t *testing.T) {
	ctx := context.Background()
	p := pack(t, "rongcheng")
	at := time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC)
	alice := credo.SubjectRef{Kind: credo.Person, ID: alice}
	bob := credo.SubjectRef{Kind: credo.Person, ID: "110105194912310021"}
	fine := func(ref credo.SubjectRef, id string, d time.Duration, amount int64) *credo.Record {
		return rec(ref, "police", id, "traffic.fine", at.Add(d), credo.Attribute{Key: "amount", Value: credo.Int(amount)})
	}
	orphan := fine(credo.SubjectRef{}, "F2", time.Hour, 500)
	asOf := at.Add(24 * time.Hour)
	for _, full := range []bool{true, false} {
		name := map[bool]string{true: "recompute", false: "catch-up"}[full]
		t.Run(name, func(t *testing.T) {
			s := openStore(t)
			appendAll(t, s, []*credo.Record{fine(alice, "F1", 0, 100), orphan, fine(bob, "F3", 2*time.Hour, 2000)})
			if !full {
				if _, err := Recompute(ctx, s, p, Options{AsOf: asOf}); err != nil {
					t.Fatal(err)
				}
			}
			var seq uint64
			for r, err := range s.Scan(ctx, 1) {
				if err != nil {
					t.Fatal(err)
				}
				if r.SourceRecordID == "F2" {
					seq = r.Seq
					orphan.ID = r.ID
				}
			}
			if seq == 0 {
				t.Fatal("the record without an id is not in the ledger")
			}
			if _, err := s.Resolve(ctx, []credo.Resolution{
				{Action: credo.Link, Record: orphan.ID, Subject: alice, By: "op:li", Why: "same person"},
				{Action: credo.Merge, From: bob, Subject: alice, By: "op:li", Why: "one person, two ids"},
			}); err != nil {
				t.Fatal(err)
			}
			score := func() (Result, error) {
				if full {
					return Recompute(ctx, s, p, Options{AsOf: asOf})
				}
				return CatchUp(ctx, s, p, Options{AsOf: asOf})
			}
			if _, err := score(); err != nil {
				t.Fatal(err)
			}
			st, err := s.Standing(ctx, alice, p.Jurisdiction)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Standing(ctx, s, p, alice, nil, asOf)
			if err != nil {
				t.Fatal(err)
			}
			// three fines: −20, then −30 and −40 each doubled as repeats
			if st.Score != want.Score || st.Score != 1000-20-60-80 {
				t.Fatalf("alice: stored %g, computed %g, want %d", st.Score, want.Score, 1000-20-60-80)
			}
			if full {
				if _, err := s.Standing(ctx, bob, p.Jurisdiction); !errors.Is(err, credo.ErrNotFound) {
					t.Fatalf("bob, merged into alice, has a standing of his own: %v", err)
				}
			}
			// undone: bob's fine is his again
			if _, err := s.Resolve(ctx, []credo.Resolution{{Action: credo.Unmerge, From: bob, Subject: alice, By: "op:li", Why: "two people after all"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := CatchUp(ctx, s, p, Options{AsOf: asOf}); err != nil {
				t.Fatal(err)
			}
			for ref, score := range map[credo.SubjectRef]float64{alice: 1000 - 20 - 60, bob: 1000 - 40} {
				st, err := s.Standing(ctx, ref, p.Jurisdiction)
				if err != nil || st.Score != score {
					t.Fatalf("%s after the unmerge: %v, %v; want %g", ref, st, err, score)
				}
			}
		})
	}
}
