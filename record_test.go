package credo

import (
	"testing"
	"time"
)

// TestSamePayload: bookkeeping and provenance do not count, anything else
// does; and comparing a typical record allocates nothing (a re-ingest
// compares every row).
func TestSamePayload(t *testing.T) {
	r := &Record{Subject: SubjectRef{Kind: Person, ID: "11010519491231002X"}, Source: "court", SourceRecordID: "J1",
		Kind: "court.judgment_default", OccurredAt: time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC),
		Attributes: Attributes{{Key: "amount", Value: Number(3)}}}
	same := *r
	same.Seq, same.ID, same.RecordedAt, same.Provenance = 9, "court:J1", time.Now(), Provenance{File: "ab", Row: 3}
	if !SamePayload(r, &same) {
		t.Fatal("a record and its copy with other bookkeeping differ")
	}
	other := *r
	other.Attributes = Attributes{{Key: "amount", Value: Number(4)}}
	if SamePayload(r, &other) {
		t.Fatal("records with different amounts are the same")
	}
	if n := testing.AllocsPerRun(100, func() { SamePayload(r, &same) }); n != 0 {
		t.Fatalf("%v allocations a comparison", n)
	}
}
