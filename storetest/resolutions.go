package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/credo-org/credo"
)

// RunResolutions runs the conformance tests of credo.Resolutions: links,
// splits, merges and their undoing, as SubjectRecords, Pending, Counts and
// the ledger itself show them.
func RunResolutions(t *testing.T, b Backend) {
	suite{
		{"LinkAndUnlink", testLinkUnlink},
		{"SplitAndRejoin", testSplit},
		{"MergeAndUnmerge", testMerge},
		{"RefusedResolutions", testRefusedResolutions},
		{"ResolutionSourceIsReserved", testResolutionSourceReserved},
	}.run(t, b)
}

type resolver interface {
	credo.Store
	credo.Resolutions
}

func openResolver(t *testing.T, b Backend) resolver {
	t.Helper()
	s := open(t, b)
	r, ok := s.(resolver)
	if !ok {
		t.Fatalf("%T does not implement credo.Resolutions", s)
	}
	return r
}

// unresolvedRec is record n of source without an identifier.
func unresolvedRec(source string, n int) *credo.Record {
	r := rec(source, n, alice)
	r.Subject = credo.SubjectRef{}
	r.Identity.IDNumber = ""
	return r
}

// fileSeqs is the sequence numbers of ref's file, in its order.
func fileSeqs(t *testing.T, s credo.Ledger, ref credo.SubjectRef) []uint64 {
	t.Helper()
	var out []uint64
	for _, r := range collect(t, s.SubjectRecords(context.Background(), ref)) {
		if r.Source == credo.ResolutionSource {
			continue // the resolution records are in the file too; not counted here
		}
		out = append(out, r.Seq)
	}
	return out
}

func pendingSeqs(t *testing.T, s credo.Resolutions) []uint64 {
	t.Helper()
	var out []uint64
	for _, r := range collect(t, s.Pending(context.Background())) {
		out = append(out, r.Seq)
	}
	return out
}

func mustResolve(t *testing.T, s credo.Resolutions, rs ...credo.Resolution) []credo.Resolution {
	t.Helper()
	out, err := s.Resolve(context.Background(), rs)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	return out
}

func personRef(id string) credo.SubjectRef { return credo.SubjectRef{Kind: credo.Person, ID: id} }

func testLinkUnlink(t *testing.T, b Backend) {
	s := openResolver(t, b)
	ctx := context.Background()
	// alice's records at hours 1 and 5; an unresolved one at hour 3.
	mustAppend(t, s, rec("court", 1, alice), unresolvedRec("court", 3), rec("court", 5, alice))
	u, err := s.Record(ctx, "court:court-000003")
	if err != nil {
		t.Fatal(err)
	}
	if got := pendingSeqs(t, s); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("pending %v, want [2]", got)
	}
	out := mustResolve(t, s, credo.Resolution{Action: credo.Link, Record: u.ID, Subject: personRef(alice),
		Weight: 17.5, Explanation: "name agree +4.1; birth_date agree +9.3", By: "resolver", Why: "match weight above the link threshold"})
	if out[0].LedgerID == "" {
		t.Fatal("the link has no ledger record")
	}
	if got := fileSeqs(t, s, personRef(alice)); !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Fatalf("alice's file after the link: %v, want [1 2 3] in time order", got)
	}
	if got := pendingSeqs(t, s); len(got) != 0 {
		t.Fatalf("pending after the link: %v", got)
	}
	if who, moved, err := s.Assignment(ctx, u); err != nil || who != personRef(alice) || !moved {
		t.Fatalf("assignment %v %v %v", who, moved, err)
	}
	c, _ := s.Counts(ctx)
	if c.Unresolved != 0 {
		t.Fatalf("unresolved count after the link: %d", c.Unresolved)
	}
	// The link is a record of the chain, explained, and in the history.
	link, err := s.Record(ctx, out[0].LedgerID)
	if err != nil || link.Kind != credo.KindLink || link.Subject != personRef(alice) {
		t.Fatalf("link record %+v %v", link, err)
	}
	var hist []credo.Resolution
	for r, err := range s.ResolutionHistory(ctx, u.ID) {
		if err != nil {
			t.Fatal(err)
		}
		hist = append(hist, r)
	}
	if len(hist) != 1 || hist[0].Action != credo.Link || hist[0].By != "resolver" || hist[0].Weight != 17.5 || hist[0].Explanation == "" {
		t.Fatalf("history %+v", hist)
	}
	// Undone, and it survives a reopen.
	mustResolve(t, s, credo.Resolution{Action: credo.Unlink, Record: u.ID, Subject: personRef(alice), By: "op:li", Why: "wrong person: different father's name"})
	s = b.Reopen(t, s).(resolver)
	t.Cleanup(func() { s.Close() })
	if got := fileSeqs(t, s, personRef(alice)); !slices.Equal(got, []uint64{1, 3}) {
		t.Fatalf("alice's file after the unlink: %v", got)
	}
	if got := pendingSeqs(t, s); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("pending after the unlink %v", got)
	}
	if c, _ := s.Counts(ctx); c.Unresolved != 1 {
		t.Fatalf("unresolved count after the unlink: %d", c.Unresolved)
	}
	// Linked again, to someone else this time.
	mustResolve(t, s, credo.Resolution{Action: credo.Link, Record: u.ID, Subject: personRef(bob), By: "op:li", Why: "court confirmed"})
	if got := fileSeqs(t, s, personRef(bob)); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("bob's file: %v", got)
	}
	if rep, err := credo.Verify(ctx, s, nil); err != nil || !rep.OK {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func testSplit(t *testing.T, b Backend) {
	s := openResolver(t, b)
	ctx := context.Background()
	mustAppend(t, s, rec("court", 1, alice), rec("court", 2, alice))
	r2, _ := s.Record(ctx, "court:court-000002")
	// The agency put alice's id on someone else's record: split it off.
	mustResolve(t, s, credo.Resolution{Action: credo.Unlink, Record: r2.ID, Subject: personRef(alice), By: "op:li", Why: "objection upheld"})
	if got := fileSeqs(t, s, personRef(alice)); !slices.Equal(got, []uint64{1}) {
		t.Fatalf("alice's file after the split: %v", got)
	}
	if got := pendingSeqs(t, s); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("pending after the split %v", got)
	}
	if who, moved, _ := s.Assignment(ctx, r2); who.Resolved() || !moved {
		t.Fatalf("assignment of the split record: %v %v", who, moved)
	}
	// Undone: back to the subject it carries.
	mustResolve(t, s, credo.Resolution{Action: credo.Link, Record: r2.ID, Subject: personRef(alice), By: "op:wang", Why: "objection overturned"})
	if got := fileSeqs(t, s, personRef(alice)); !slices.Equal(got, []uint64{1, 2}) {
		t.Fatalf("alice's file after the rejoin: %v", got)
	}
	if who, placed, _ := s.Assignment(ctx, r2); who != personRef(alice) || !placed {
		t.Fatalf("assignment after the rejoin: %v %v", who, placed)
	}
	if who, placed, _ := s.Assignment(ctx, collect(t, s.SubjectRecords(ctx, personRef(alice)))[0]); who != personRef(alice) || placed {
		t.Fatalf("assignment of a record no resolution touched: %v %v", who, placed)
	}
}

func testMerge(t *testing.T, b Backend) {
	s := openResolver(t, b)
	ctx := context.Background()
	mustAppend(t, s, rec("court", 1, alice), rec("court", 2, bob), rec("court", 3, alice))
	mustResolve(t, s, credo.Resolution{Action: credo.Merge, From: personRef(bob), Subject: personRef(alice), By: "op:li", Why: "the same woman: id reissued"})
	for _, ref := range []credo.SubjectRef{personRef(alice), personRef(bob)} {
		if got := fileSeqs(t, s, ref); !slices.Equal(got, []uint64{1, 2, 3}) {
			t.Fatalf("%s's file after the merge: %v", ref.ID, got)
		}
	}
	if _, merged, err := s.Assignments(ctx); err != nil || merged[personRef(bob)] != personRef(alice) {
		t.Fatalf("merges %v %v", merged, err)
	}
	// Merging back would make a cycle.
	if _, err := s.Resolve(ctx, []credo.Resolution{{Action: credo.Merge, From: personRef(alice), Subject: personRef(bob), By: "op:li"}}); !errors.Is(err, credo.ErrResolution) {
		t.Fatalf("merge back: %v, want ErrResolution", err)
	}
	mustResolve(t, s, credo.Resolution{Action: credo.Unmerge, From: personRef(bob), Subject: personRef(alice), By: "op:li", Why: "two people after all"})
	if got := fileSeqs(t, s, personRef(alice)); !slices.Equal(got, []uint64{1, 3}) {
		t.Fatalf("alice's file after the unmerge: %v", got)
	}
	if got := fileSeqs(t, s, personRef(bob)); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("bob's file after the unmerge: %v", got)
	}
}

func testRefusedResolutions(t *testing.T, b Backend) {
	s := openResolver(t, b)
	ctx := context.Background()
	mustAppend(t, s, rec("court", 1, alice), unresolvedRec("court", 2))
	head, _ := s.Head(ctx)
	for name, rs := range map[string][]credo.Resolution{
		"link a record that belongs to someone": {{Action: credo.Link, Record: "court:court-000001", Subject: personRef(bob), By: "op"}},
		"unlink from the wrong subject":         {{Action: credo.Unlink, Record: "court:court-000001", Subject: personRef(bob), By: "op"}},
		"unknown record":                        {{Action: credo.Link, Record: "court:nope", Subject: personRef(bob), By: "op"}},
		"no author":                             {{Action: credo.Link, Record: "court:court-000002", Subject: personRef(bob)}},
		"all or nothing": {
			{Action: credo.Link, Record: "court:court-000002", Subject: personRef(bob), By: "op"},
			{Action: credo.Link, Record: "court:court-000002", Subject: personRef(alice), By: "op"},
		},
	} {
		if _, err := s.Resolve(ctx, rs); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if h, _ := s.Head(ctx); h.Seq != head.Seq {
		t.Fatalf("refused resolutions wrote %d records", h.Seq-head.Seq)
	}
	if got := pendingSeqs(t, s); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("pending after refused resolutions: %v", got)
	}
}

func testResolutionSourceReserved(t *testing.T, b Backend) {
	s := openResolver(t, b)
	r := rec(credo.ResolutionSource, 1, alice)
	r.Kind = credo.KindLink
	res := mustAppend(t, s, r)
	if res[0].Status != credo.Rejected || !errors.Is(res[0].Err, credo.ErrInvalid) {
		t.Fatalf("a record of source %s sent by append: %+v", credo.ResolutionSource, res[0])
	}
}

// RunReviews runs the conformance tests of credo.Reviews.
func RunReviews(t *testing.T, b Backend) {
	s := open(t, b)
	q, ok := s.(credo.Reviews)
	if !ok {
		t.Fatalf("%T does not implement credo.Reviews", s)
	}
	ctx := context.Background()
	mustAppend(t, s, unresolvedRec("court", 1), unresolvedRec("court", 2))
	cands := []credo.ReviewCandidate{
		{Subject: personRef(alice), Weight: 9.1, Posterior: 0.6, Explanation: "name agree; birth_date agree"},
		{Subject: personRef(bob), Weight: 8.7, Posterior: 0.4},
	}
	n, err := q.PutReviews(ctx, []*credo.ReviewItem{
		{Record: "court:court-000001", Candidates: cands},
		{Record: "court:court-000002", Candidates: cands[:1]},
	})
	if err != nil || n != 2 {
		t.Fatalf("PutReviews: %d %v", n, err)
	}
	if _, err := q.PutReviews(ctx, []*credo.ReviewItem{{Record: "court:nope"}}); !errors.Is(err, credo.ErrNotFound) {
		t.Fatalf("review of an unknown record: %v", err)
	}
	it, err := q.ReviewItem(ctx, credo.ReviewID(1))
	if err != nil || it.Status != credo.ReviewOpen || len(it.Candidates) != 2 || it.Candidates[0].Subject != personRef(alice) || it.Created.IsZero() {
		t.Fatalf("item: %+v %v", it, err)
	}
	if _, err := q.DecideReview(ctx, it.ID, credo.ReviewAccepted, personRef(alice), "", "no author"); !errors.Is(err, credo.ErrInvalid) {
		t.Fatalf("decision without author: %v", err)
	}
	d, err := q.DecideReview(ctx, it.ID, credo.ReviewAccepted, personRef(alice), "op:li", "same phone as her 2023 record")
	if err != nil || d.Status != credo.ReviewAccepted || d.DecidedBy != "op:li" || d.DecidedAt.IsZero() {
		t.Fatalf("decide: %+v %v", d, err)
	}
	if _, err := q.DecideReview(ctx, it.ID, credo.ReviewRejected, credo.SubjectRef{}, "op:wang", ""); !errors.Is(err, credo.ErrResolution) {
		t.Fatalf("deciding twice: %v", err)
	}
	// A decided item is kept when the resolver runs again.
	if n, err := q.PutReviews(ctx, []*credo.ReviewItem{{Record: "court:court-000001", Candidates: cands}}); err != nil || n != 0 {
		t.Fatalf("re-put of a decided item: %d %v", n, err)
	}
	s = b.Reopen(t, s)
	t.Cleanup(func() { s.Close() })
	q = s.(credo.Reviews)
	var open, all []string
	for it, err := range q.ReviewItems(ctx, credo.ReviewOpen) {
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, it.ID)
	}
	for it, err := range q.ReviewItems(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, it.ID)
	}
	if !slices.Equal(open, []string{"rv-2"}) || !slices.Equal(all, []string{"rv-1", "rv-2"}) {
		t.Fatalf("open %v, all %v", open, all)
	}
	if _, err := q.ReviewItem(ctx, "rv-99"); !errors.Is(err, credo.ErrNotFound) {
		t.Fatalf("unknown item: %v", err)
	}
}
