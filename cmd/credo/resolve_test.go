package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/pebble"
)

// TestResolveEndToEnd loads a small city with its noise, resolves it and
// measures the links against the generator's truth, then works the review
// queue and an operator's corrections from the CLI, each undone.
func TestResolveEndToEnd(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if _, errOut, status := runCLI(t, "demo", "--people", "3000", "--load-only", "--data", data); status != 0 {
		t.Fatalf("demo: %d %s", status, errOut)
	}
	ctx := context.Background()
	s, err := pebble.Open(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	q, err := demoResolve(ctx, s, filepath.Join(data, "exports"))
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pending %d linkable %d linked %d correct %d review %d unresolved %d precision %.4f recall %.4f",
		q.Pending, q.Linkable, q.Linked, q.Correct, q.Review, q.Unresolved, q.Precision, q.Recall)
	if q.Pending == 0 || q.Linked == 0 {
		t.Fatalf("nothing resolved: %+v", q.resolveReport)
	}
	if q.Precision < 0.99 || q.Recall < 0.9 {
		t.Errorf("precision %.4f recall %.4f on a city of 3000", q.Precision, q.Recall)
	}
	// Resolving again finds only what was left.
	out, errOut, status := runCLI(t, "resolve", "--json", "--data", data)
	var rep resolveReport
	if status != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("resolve again: %d %s %s", status, out, errOut)
	}
	if rep.Linked != 0 || rep.Pending != q.Review+q.Unresolved {
		t.Fatalf("second resolve: %+v, want nothing linked and %d pending", rep, q.Review+q.Unresolved)
	}

	// The review queue. A small city may send nothing to review: the
	// test queues two of the records left unresolved, with candidates, as
	// the resolver would, then works them from the CLI.
	queueReviews(t, data, 2)
	out, _, status = runCLI(t, "review", "list", "--json", "--data", data)
	var items []credo.ReviewItem
	if status != 0 || json.Unmarshal([]byte(out), &items) != nil || len(items) < 2 {
		t.Fatalf("review list: %d %s", status, out)
	}
	if _, errOut, status := runCLI(t, "review", "accept", items[0].ID, "--data", data, "--by", "op:li"); status == 0 || !strings.Contains(errOut, "--why") {
		t.Fatalf("accept without a reason: %d %s", status, errOut)
	}
	out, errOut, status = runCLI(t, "review", "accept", items[0].ID, "--data", data, "--by", "op:li", "--why", "same phone")
	if status != 0 || !strings.Contains(out, "linked to "+items[0].Candidates[0].Subject.ID) {
		t.Fatalf("accept: %d %s %s", status, out, errOut)
	}
	if _, _, status := runCLI(t, "review", "reject", items[1].ID, "--data", data, "--by", "op:li", "--why", "none of them"); status != 0 {
		t.Fatal("reject failed")
	}
	if _, errOut, status := runCLI(t, "review", "reject", items[0].ID, "--data", data, "--by", "op:li", "--why", "again"); status == 0 {
		t.Fatalf("deciding an item twice: %s", errOut)
	}
	out, _, _ = runCLI(t, "review", "show", items[0].ID, "--data", data)
	if !strings.Contains(out, "accepted by op:li") {
		t.Fatalf("review show after accepting:\n%s", out)
	}
	subj, rec := items[0].Candidates[0].Subject.ID, items[0].Record
	if !slices.Contains(subjectFile(t, data, subj), rec) {
		t.Fatalf("%s is not in %s's file after the accept", rec, subj)
	}

	// An operator splits it off again, and undoes that.
	out, errOut, status = runCLI(t, "subject", "split", subj, rec, "--data", data, "--by", "op:wang", "--why", "objection upheld")
	if status != 0 {
		t.Fatalf("split: %d %s", status, errOut)
	}
	if slices.Contains(subjectFile(t, data, subj), rec) {
		t.Fatalf("%s still in %s's file after the split", rec, subj)
	}
	// The resolver leaves an operator's split alone.
	out2, _, _ := runCLI(t, "resolve", "--json", "--data", data)
	var again resolveReport
	if json.Unmarshal([]byte(out2), &again) != nil || again.Held != 1 || slices.Contains(subjectFile(t, data, subj), rec) {
		t.Fatalf("resolve after a split: %s", out2)
	}
	undoID := strings.Fields(out[strings.Index(out, "undo: credo subject undo ")+len("undo: credo subject undo "):])[0]
	undoID = strings.TrimSuffix(undoID, ")")
	if _, errOut, status := runCLI(t, "subject", "undo", undoID, "--data", data, "--by", "op:wang", "--why", "objection overturned"); status != 0 {
		t.Fatalf("undo %s: %s", undoID, errOut)
	}
	if !slices.Contains(subjectFile(t, data, subj), rec) {
		t.Fatalf("%s not back in %s's file after the undo", rec, subj)
	}
	out, _, _ = runCLI(t, "subject", "resolutions", rec, "--json", "--data", data)
	var hist []credo.Resolution
	if json.Unmarshal([]byte(out), &hist) != nil || len(hist) != 3 || hist[0].Action != credo.Link || hist[1].Action != credo.Unlink || hist[2].Action != credo.Link || hist[1].By != "op:wang" {
		t.Fatalf("resolutions of %s: %s", rec, out)
	}
	if _, errOut, status := runCLI(t, "subject", "merge", subj, "not-an-id", "--data", data, "--by", "op", "--why", "x"); status == 0 {
		t.Fatalf("merge with a bad id: %s", errOut)
	}
	if out, errOut, status := runCLI(t, "verify", "--data", data); status != 0 {
		t.Fatalf("verify after the resolutions: %s %s", out, errOut)
	}
}

// subjectFile is the ids of the records in a subject's file.
func subjectFile(t *testing.T, data, id string) []string {
	t.Helper()
	s, err := pebble.Open(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ids []string
	for r, err := range s.SubjectRecords(context.Background(), credo.SubjectRef{Kind: credo.Person, ID: id}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

// queueReviews puts n of the store's pending records in the review queue,
// each with two known subjects as candidates.
func queueReviews(t *testing.T, data string, n int) {
	t.Helper()
	ctx := context.Background()
	s, err := pebble.Open(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var subjects []credo.SubjectRef
	for r, err := range s.Scan(ctx, 1) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Subject.Kind == credo.Person && !slices.Contains(subjects, r.Subject) {
			subjects = append(subjects, r.Subject)
		}
		if len(subjects) == 2 {
			break
		}
	}
	var items []*credo.ReviewItem
	for r, err := range s.Pending(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, &credo.ReviewItem{Record: r.ID, Candidates: []credo.ReviewCandidate{
			{Subject: subjects[0], Weight: 9, Posterior: 0.6, Explanation: "name agree"},
			{Subject: subjects[1], Weight: 8, Posterior: 0.3},
		}})
		if len(items) == n {
			break
		}
	}
	if len(items) < n {
		t.Fatalf("only %d pending records to review", len(items))
	}
	if _, err := s.PutReviews(ctx, items); err != nil {
		t.Fatal(err)
	}
}
