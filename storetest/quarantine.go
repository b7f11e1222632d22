package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/credo-org/credo"
)

func qrow(source, digest string, row int64, srcID string) *credo.QuarantinedRow {
	return &credo.QuarantinedRow{
		ID: credo.QuarantineID(source, digest, row), Source: source, File: "export.csv", Digest: digest, Row: row,
		SourceRecordID: srcID, Names: []string{"案号", "日期"}, Values: []string{srcID, "2024-02-30"},
		Reasons: []string{"occurred_at: date \"2024-02-30\" is not a real date", "kind: code \"X9\" is not in the map"},
		Run:     "run-1", At: base,
	}
}

func collectQ(t *testing.T, s credo.Store, source string) []*credo.QuarantinedRow {
	t.Helper()
	var out []*credo.QuarantinedRow
	for r, err := range s.Quarantined(context.Background(), source) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func testQuarantine(t *testing.T, b Backend) {
	s := open(t, b)
	ctx := context.Background()
	rows := []*credo.QuarantinedRow{qrow("court", "abcdef0123456789", 7, "C-7"), qrow("court", "abcdef0123456789", 9, ""), qrow("tax", "ffff", 2, "T-2")}
	if err := s.PutQuarantined(ctx, rows); err != nil {
		t.Fatal(err)
	}
	got, err := s.QuarantinedRow(ctx, rows[0].ID)
	if err != nil || len(got.Reasons) != 2 || got.Values[1] != "2024-02-30" || got.Row != 7 {
		t.Fatalf("QuarantinedRow = %+v, %v", got, err)
	}
	if _, err := s.QuarantinedRow(ctx, "court:nope:1"); !errors.Is(err, credo.ErrNotFound) {
		t.Fatalf("missing row: %v", err)
	}
	if n := len(collectQ(t, s, "court")); n != 2 {
		t.Fatalf("court has %d quarantined rows, want 2", n)
	}
	if n := len(collectQ(t, s, "")); n != 3 {
		t.Fatalf("%d quarantined rows in all, want 3", n)
	}
	if c, _ := s.Counts(ctx); c.Quarantined != 3 {
		t.Fatalf("Counts.Quarantined = %d", c.Quarantined)
	}
	// Putting the same row again replaces it.
	again := qrow("court", "abcdef0123456789", 7, "C-7")
	again.Reasons = []string{"only one reason now"}
	if err := s.PutQuarantined(ctx, []*credo.QuarantinedRow{again}); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Counts(ctx); c.Quarantined != 3 {
		t.Fatalf("after replacing: Counts.Quarantined = %d", c.Quarantined)
	}
	// Release by source record id (a fixed row resent in another file) and by id.
	n, err := s.ReleaseQuarantined(ctx, "court", []string{rows[1].ID}, []string{"C-7", "never-quarantined"})
	if err != nil || n != 2 {
		t.Fatalf("released %d, %v; want 2", n, err)
	}
	if left := collectQ(t, s, ""); len(left) != 1 || left[0].Source != "tax" {
		t.Fatalf("left in quarantine: %v", left)
	}
	// The same source record id in another source is not released.
	if n, _ := s.ReleaseQuarantined(ctx, "court", nil, []string{"T-2"}); n != 0 {
		t.Fatalf("released %d rows of another source", n)
	}
}

func testRuns(t *testing.T, b Backend) {
	s := open(t, b)
	ctx := context.Background()
	r1 := &credo.Run{ID: "20240305T010203.000000001-court", Source: "court", File: "a.csv", Status: "running", Started: base}
	r2 := &credo.Run{ID: "20240305T010204.000000001-tax", Source: "tax", File: "b.xlsx", Status: "running", Started: base.Add(time.Second)}
	for _, r := range []*credo.Run{r2, r1} {
		if err := s.PutRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	r1.Status, r1.Rows, r1.Reasons = "quarantined", 10, map[string]int64{"occurred_at: not a date": 2}
	if err := s.PutRun(ctx, r1); err != nil {
		t.Fatal(err)
	}
	var got []*credo.Run
	for r, err := range s.Runs(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if len(got) != 2 || got[0].ID != r1.ID || got[0].Status != "quarantined" || got[0].Reasons["occurred_at: not a date"] != 2 || got[1].ID != r2.ID {
		t.Fatalf("runs = %+v", got)
	}
}
