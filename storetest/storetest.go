// Package storetest is the conformance suite for credo.Store. Every backend
// (the embedded one in package pebble, PostgreSQL later) runs the same
// suite from its own tests, so that the rest of credo can rely on the
// behaviour the credo.Ledger documentation promises rather than on one
// engine's habits.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/credo-org/credo"
)

// Backend says how to make stores for the suite.
type Backend struct {
	// New returns a new, empty store. The suite closes it.
	New func(t *testing.T) credo.Store
	// Reopen closes s and opens the same storage again.
	Reopen func(t *testing.T, s credo.Store) credo.Store
}

// suite is named conformance tests, each run as a subtest.
type suite []struct {
	name string
	fn   func(t *testing.T, b Backend)
}

func (s suite) run(t *testing.T, b Backend) {
	for _, tc := range s {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, b) })
	}
}

// Run runs the whole suite against b.
func Run(t *testing.T, b Backend) {
	suite{
		{"AppendAndRead", testAppendAndRead},
		{"AppendFillsBookkeeping", testAppendFillsBookkeeping},
		{"Idempotent", testIdempotent},
		{"DuplicateWithOtherProvenance", testDuplicateOtherProvenance},
		{"Conflict", testConflict},
		{"DuplicatesWithinOneCall", testWithinCall},
		{"RejectsInvalid", testRejects},
		{"CorrectionIsANewRecord", testCorrection},
		{"SubjectRecordsInTimeOrder", testSubjectOrder},
		{"SourceRecords", testSourceRecords},
		{"AttributesRoundTrip", testAttributes},
		{"Counts", testCounts},
		{"NotFound", testNotFound},
		{"VerifiesAndSurvivesReopen", testReopen},
		{"CancelledContext", testCancelled},
		{"AppendAsync", testAppendAsync},
		{"Quarantine", testQuarantine},
		{"Runs", testRuns},
		{"Sources", testSources},
		{"Policies", testPolicies},
	}.run(t, b)
}

var base = time.Date(2024, 3, 5, 9, 30, 0, 0, time.UTC)

// rec makes a valid record for person id from source with source id n.
func rec(source string, n int, person string) *credo.Record {
	r := &credo.Record{
		Subject:        credo.SubjectRef{Kind: credo.Person, ID: person},
		Source:         source,
		SourceRecordID: fmt.Sprintf("%s-%06d", source, n),
		Kind:           "traffic.fine",
		Polarity:       credo.Negative,
		OccurredAt:     base.Add(time.Duration(n) * time.Hour),
		RecordedAt:     base.Add(time.Duration(n)*time.Hour + 24*time.Hour),
		LegalBasis:     "道路交通安全法 第九十条",
		Evidence:       fmt.Sprintf("case-%d", n),
		Identity:       credo.Identity{IDNumber: person, Name: "王伟", BirthDate: "1985-04-12", Sex: credo.Male},
		Provenance:     credo.Provenance{File: "f00d", Row: int64(n + 1)},
	}
	r.Attributes.Set("amount", credo.Number(200))
	r.Attributes.Set("place", credo.String("成山大道"))
	return r
}

const (
	alice = "110105194912310021"
	bob   = "370982198808081234"
)

func open(t *testing.T, b Backend) credo.Store {
	t.Helper()
	s := b.New(t)
	t.Cleanup(func() { s.Close() })
	return s
}

func mustAppend(t *testing.T, l credo.Ledger, recs ...*credo.Record) []credo.AppendResult {
	t.Helper()
	res, err := l.Append(context.Background(), recs)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if len(res) != len(recs) {
		t.Fatalf("Append returned %d results for %d records", len(res), len(recs))
	}
	return res
}

func collect(t *testing.T, seq func(func(*credo.Record, error) bool)) []*credo.Record {
	t.Helper()
	var out []*credo.Record
	for r, err := range seq {
		if err != nil {
			t.Fatalf("iterate: %v", err)
		}
		out = append(out, r)
	}
	return out
}

func statuses(res []credo.AppendResult) []credo.AppendStatus {
	out := make([]credo.AppendStatus, len(res))
	for i, r := range res {
		out[i] = r.Status
	}
	return out
}

func testAppendAndRead(t *testing.T, b Backend) {
	s := open(t, b)
	ctx := context.Background()
	in := []*credo.Record{rec("court", 1, alice), rec("court", 2, bob), rec("tax", 1, alice)}
	res := mustAppend(t, s, in...)
	for i, r := range res {
		if r.Status != credo.Appended || r.Seq != uint64(i+1) {
			t.Fatalf("result %d = %+v, want appended seq %d", i, r, i+1)
		}
	}
	for _, want := range in {
		got, err := s.Record(ctx, want.ID)
		if err != nil {
			t.Fatalf("Record(%s): %v", want.ID, err)
		}
		if !credo.SamePayload(got, want) || got.Seq != want.Seq || got.Hash != want.Hash || !got.RecordedAt.Equal(want.RecordedAt) || got.Provenance != want.Provenance {
			t.Errorf("Record(%s) = %+v, want %+v", want.ID, got, want)
		}
	}
	all := collect(t, s.Scan(ctx, 1))
	if len(all) != 3 || all[0].Seq != 1 || all[2].Seq != 3 {
		t.Fatalf("Scan = %d records", len(all))
	}
	if tail := collect(t, s.Scan(ctx, 3)); len(tail) != 1 || tail[0].Seq != 3 {
		t.Fatalf("Scan(3) = %v", tail)
	}
	got := collect(t, s.SubjectRecords(ctx, credo.SubjectRef{Kind: credo.Person, ID: alice}))
	if len(got) != 2 || got[0].SourceRecordID != "court-000001" || got[1].SourceRecordID != "tax-000001" {
		t.Fatalf("SubjectRecords(alice) = %v", got)
	}
	if got := collect(t, s.SubjectRecords(ctx, credo.SubjectRef{Kind: credo.Organization, ID: alice})); len(got) != 0 {
		t.Fatalf("an organisation with a person's id has %d records", len(got))
	}
	rep, err := credo.Verify(ctx, s, nil)
	if err != nil || !rep.OK || rep.Records != 3 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

func testAppendFillsBookkeeping(t *testing.T, b Backend) {
	s := open(t, b)
	r := rec("court", 1, alice)
	r.RecordedAt = time.Time{}
	before := time.Now().Add(-time.Second)
	mustAppend(t, s, r)
	if r.Seq != 1 || r.ID != credo.RecordID("court", "court-000001") || r.Hash == ([32]byte{}) {
		t.Fatalf("bookkeeping not filled: seq %d id %q hash %x", r.Seq, r.ID, r.Hash)
	}
	if r.RecordedAt.Before(before) || r.RecordedAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("RecordedAt = %v, want about now", r.RecordedAt)
	}
	got, err := s.Record(context.Background(), r.ID)
	if err != nil || !got.RecordedAt.Equal(r.RecordedAt) {
		t.Fatalf("stored RecordedAt = %v (%v), want %v", got.RecordedAt, err, r.RecordedAt)
	}
}

func testIdempotent(t *testing.T, b Backend) {
	s := open(t, b)
	ctx := context.Background()
	mustAppend(t, s, rec("court", 1, alice), rec("court", 2, bob))
	head1, _ := s.Head(ctx)
	res := mustAppend(t, s, rec("court", 1, alice), rec("court", 2, bob), rec("court", 3, bob))
	if want := []credo.AppendStatus{credo.Duplicate, credo.Duplicate, credo.Appended}; !slices.Equal(statuses(res), want) {
		t.Fatalf("statuses = %v, want %v", statuses(res), want)
	}
	if res[0].Seq != 1 || res[1].Seq != 2 || res[2].Seq != 3 {
		t.Fatalf("seqs = %d %d %d", res[0].Seq, res[1].Seq, res[2].Seq)
	}
	res = mustAppend(t, s, rec("court", 1, alice))
	head2, _ := s.Head(ctx)
	if res[0].Status != credo.Duplicate || head2.Seq != head1.Seq+1 {
		t.Fatalf("re-append: %v, head %d → %d", res[0].Status, head1.Seq, head2.Seq)
	}
	if c, _ := s.Counts(ctx); c.Records != 3 {
		t.Fatalf("records = %d, want 3", c.Records)
	}
}

func testDuplicateOtherProvenance(t *testing.T, b Backend) {
	s := open(t, b)
	mustAppend(t, s, rec("court", 1, alice))
	again := rec("court", 1, alice)
	again.Provenance = credo.Provenance{File: "beef", Row: 99}
	again.RecordedAt = time.Time{}
	if res := mustAppend(t, s, again); res[0].Status != credo.Duplicate {
		t.Fatalf("same row from another export: %v, want duplicate", res[0].Status)
	}
}

func testConflict(t *testing.T, b Backend) {
	s := open(t, b)
	ctx := context.Background()
	orig := rec("court", 1, alice)
	mustAppend(t, s, orig)
	changed := rec("court", 1, alice)
	changed.Attributes.Set("amount", credo.Number(500))
	res := mustAppend(t, s, changed)
	if res[0].Status != credo.Conflict || !errors.Is(res[0].Err, credo.ErrConflict) || res[0].ID != orig.ID {
		t.Fatalf("changed payload: %+v, want conflict on %s", res[0], orig.ID)
	}
	got, err := s.Record(ctx, orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Attributes.Get("amount"); v.Float() != 200 {
		t.Fatalf("original overwritten: amount %v", v)
	}
	if c, _ := s.Counts(ctx); c.Records != 1 {
		t.Fatalf("records = %d after a conflict", c.Records)
	}
}

func testWithinCall(t *testing.T, b Backend) {
	s := open(t, b)
	changed := rec("court", 1, alice)
	changed.Kind = "traffic.warning"
	res := mustAppend(t, s, rec("court", 1, alice), rec("court", 1, alice), changed)
	if want := []credo.AppendStatus{credo.Appended, credo.Duplicate, credo.Conflict}; !slices.Equal(statuses(res), want) {
		t.Fatalf("statuses = %v, want %v", statuses(res), want)
	}
	if res[1].Seq != 1 || res[2].Seq != 1 {
		t.Fatalf("duplicate/conflict should name seq 1: %+v", res)
	}
}

func testRejects(t *testing.T, b Backend) {
	s := open(t, b)
	ctx := context.Background()
	noKind := rec("court", 1, alice)
	noKind.Kind = ""
	noSource := rec("court", 2, alice)
	noSource.Source = ""
	noTime := rec("court", 3, alice)
	noTime.OccurredAt = time.Time{}
	good := rec("court", 4, alice)
	res := mustAppend(t, s, noKind, noSource, noTime, good)
	want := []credo.AppendStatus{credo.Rejected, credo.Rejected, credo.Rejected, credo.Appended}
	if !slices.Equal(statuses(res), want) {
		t.Fatalf("statuses = %v, want %v", statuses(res), want)
	}
	for _, r := range res[:3] {
		if !errors.Is(r.Err, credo.ErrInvalid) {
			t.Errorf("rejection error %v does not wrap ErrInvalid", r.Err)
		}
	}
	if good.Seq != 1 {
		t.Fatalf("good record seq = %d, want 1 (rejected records take no number)", good.Seq)
	}
	if c, _ := s.Counts(ctx); c.Records != 1 {
		t.Fatalf("records = %d", c.Records)
	}
}

func testCorrection(t *testing.T, b Backend) {
	s := open(t, b)
	ctx := context.Background()
	orig := rec("court", 1, alice)
	mustAppend(t, s, orig)
	fix := rec("court", 2, alice)
	fix.Kind = "court.retraction"
	fix.Retracts = orig.ID
	mustAppend(t, s, fix)
	got := collect(t, s.SubjectRecords(ctx, credo.SubjectRef{Kind: credo.Person, ID: alice}))
	if len(got) != 2 || got[1].Retracts != orig.ID {
		t.Fatalf("records after retraction: %v", got)
	}
}

func testSubjectOrder(t *testing.T, b Backend) {
	s := open(t, b)
	ctx := context.Background()
	// Appended out of time order, including a date before 1970.
	times := []time.Time{base, base.AddDate(-60, 0, 0), base.AddDate(1, 0, 0), base.AddDate(0, -1, 0)}
	for i, at := range times {
		r := rec("court", i, alice)
		r.OccurredAt = at
		mustAppend(t, s, r)
	}
	got := collect(t, s.SubjectRecords(ctx, credo.SubjectRef{Kind: credo.Person, ID: alice}))
	if len(got) != len(times) {
		t.Fatalf("got %d records", len(got))
	}
	if !slices.IsSortedFunc(got, func(a, b *credo.Record) int { return a.OccurredAt.Compare(b.OccurredAt) }) {
		for _, r := range got {
			t.Log(r.OccurredAt)
		}
		t.Fatal("not in time order")
	}
}

func testSourceRecords(t *testing.T, b Backend) {
	s := open(t, b)
	ctx := context.Background()
	mustAppend(t, s, rec("court", 1, alice), rec("tax", 1, alice), rec("court", 2, bob), rec("courts", 1, bob))
	got := collect(t, s.SourceRecords(ctx, "court"))
	if len(got) != 2 || got[0].Seq != 1 || got[1].Seq != 3 {
		t.Fatalf("SourceRecords(court) = %v", got)
	}
}

func testAttributes(t *testing.T, b Backend) {
	s := open(t, b)
	ctx := context.Background()
	r := rec("court", 1, alice)
	r.Attributes = nil
	when := time.Date(2023, 12, 31, 23, 59, 59, 123456789, time.UTC)
	r.Attributes.Set("s", credo.String("一千二百"))
	r.Attributes.Set("n", credo.Number(1234.5))
	r.Attributes.Set("i", credo.Int(-7))
	r.Attributes.Set("b", credo.Bool(true))
	r.Attributes.Set("t", credo.Time(when))
	mustAppend(t, s, r)
	got, err := s.Record(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	check := func(k string, kind credo.ValueKind, ok func(credo.Value) bool) {
		v, found := got.Attributes.Get(k)
		if !found || v.Kind() != kind || !ok(v) {
			t.Errorf("attribute %s = %v (%v)", k, v, v.Kind())
		}
	}
	check("s", credo.KindString, func(v credo.Value) bool { return v.Str() == "一千二百" })
	check("n", credo.KindNumber, func(v credo.Value) bool { return v.Float() == 1234.5 })
	check("i", credo.KindInt, func(v credo.Value) bool { return v.Int() == -7 })
	check("b", credo.KindBool, func(v credo.Value) bool { return v.Bool() })
	check("t", credo.KindTime, func(v credo.Value) bool { return v.Time().Equal(when) })
}

func testCounts(t *testing.T, b Backend) {
	s := open(t, b)
	ctx := context.Background()
	u := rec("court", 9, "")
	u.Subject = credo.SubjectRef{}
	u.Identity = credo.Identity{Name: "李娜", BirthDate: "1990-01-02"}
	org := rec("tax", 1, "")
	org.Subject = credo.SubjectRef{Kind: credo.Organization, ID: "91371082MA3C5PQL1X"}
	org.Kind = "tax.arrears"
	mustAppend(t, s, rec("court", 1, alice), rec("court", 2, alice), rec("tax", 2, bob), u, org)
	c, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Records != 5 || c.Subjects != 3 || c.Unresolved != 1 {
		t.Fatalf("counts = %+v, want 5 records, 3 subjects, 1 unresolved", c)
	}
	if c.BySource["court"] != 3 || c.BySource["tax"] != 2 || c.ByKind["traffic.fine"] != 4 || c.ByKind["tax.arrears"] != 1 {
		t.Fatalf("breakdown = %v %v", c.BySource, c.ByKind)
	}
	// The map handed out is the caller's.
	c.BySource["court"] = 1000
	if c2, _ := s.Counts(ctx); c2.BySource["court"] != 3 {
		t.Fatal("Counts shares its maps with the store")
	}
	// An alice record in a later call does not count her twice.
	mustAppend(t, s, rec("court", 3, alice))
	if c, _ := s.Counts(ctx); c.Subjects != 3 || c.Records != 6 {
		t.Fatalf("after another record of a known subject: %+v", c)
	}
}

func testNotFound(t *testing.T, b Backend) {
	s := open(t, b)
	ctx := context.Background()
	for _, id := range []string{credo.RecordID("court", "nope"), "not-an-id", ""} {
		if _, err := s.Record(ctx, id); !errors.Is(err, credo.ErrNotFound) {
			t.Errorf("Record(%q) err = %v, want ErrNotFound", id, err)
		}
	}
	if got := collect(t, s.SubjectRecords(ctx, credo.SubjectRef{Kind: credo.Person, ID: alice})); len(got) != 0 {
		t.Errorf("empty store has %d records for alice", len(got))
	}
	rep, err := credo.Verify(ctx, s, nil)
	if err != nil || !rep.OK || rep.Records != 0 {
		t.Fatalf("Verify(empty) = %+v, %v", rep, err)
	}
}

func testReopen(t *testing.T, b Backend) {
	s := b.New(t)
	ctx := context.Background()
	var batch []*credo.Record
	for i := range 500 {
		batch = append(batch, rec("court", i, []string{alice, bob}[i%2]))
	}
	mustAppend(t, s, batch...)
	head, _ := s.Head(ctx)
	s = b.Reopen(t, s)
	defer s.Close()
	head2, _ := s.Head(ctx)
	if head != head2 {
		t.Fatalf("head %d/%x after reopen, was %d/%x", head2.Seq, head2.Hash[:4], head.Seq, head.Hash[:4])
	}
	if c, _ := s.Counts(ctx); c.Records != 500 || c.Subjects != 2 {
		t.Fatalf("counts after reopen = %+v", c)
	}
	res := mustAppend(t, s, rec("court", 0, alice), rec("court", 1000, alice))
	if res[0].Status != credo.Duplicate || res[1].Status != credo.Appended || res[1].Seq != 501 {
		t.Fatalf("append after reopen: %+v", res)
	}
	rep, err := credo.Verify(ctx, s, nil)
	if err != nil || !rep.OK || rep.Records != 501 {
		t.Fatalf("Verify after reopen = %+v, %v", rep, err)
	}
}

func testCancelled(t *testing.T, b Backend) {
	s := open(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Append(ctx, []*credo.Record{rec("court", 1, alice)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append with a cancelled context: %v", err)
	}
	if c, _ := s.Counts(context.Background()); c.Records != 0 {
		t.Fatal("a cancelled append wrote")
	}
}
