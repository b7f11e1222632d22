package credo

import (
	"reflect"
	"testing"
	"time"
)

// TestResolutionRecordRoundTrip: every action, written as its ledger record
// and read back, is the resolution it was (with the record's id as the
// ledger id), and the record is one the ledger takes.
func TestResolutionRecordRoundTrip(t *testing.T) {
	at := time.Date(2025, 4, 1, 9, 30, 0, 0, time.UTC)
	alice := SubjectRef{Kind: Person, ID: "11010519491231002X"}
	bob := SubjectRef{Kind: Person, ID: "110105194912310029"}
	for _, r := range []Resolution{
		{Action: Link, Record: RecordID("court", "J1"), Subject: alice, Weight: 14.5, Explanation: "name +6.1; birth date +8.4", By: "resolver", Why: "posterior 0.999", At: at},
		{Action: Link, Record: RecordID("court", "J2"), Subject: alice, By: "op:li", Why: "phoned the court", At: at},
		{Action: Unlink, Record: RecordID("court", "J1"), Subject: alice, By: "op:li", Why: "wrong person", At: at},
		{Action: Merge, Subject: alice, From: bob, By: "op:wang", Why: "same person, two numbers", At: at},
		{Action: Unmerge, Subject: alice, From: bob, By: "op:wang", At: at},
	} {
		t.Run(string(r.Action), func(t *testing.T) {
			rec := r.LedgerRecord("x-1")
			if err := rec.Validate(); err != nil {
				t.Fatalf("the ledger would refuse it: %v", err)
			}
			if rec.Source != ResolutionSource || rec.SourceRecordID != "x-1" {
				t.Fatalf("source %s/%s", rec.Source, rec.SourceRecordID)
			}
			rec.ID = RecordID(rec.Source, rec.SourceRecordID)
			got, err := ResolutionFromRecord(rec)
			if err != nil {
				t.Fatal(err)
			}
			want := r
			want.LedgerID = rec.ID
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("read back %+v\nwant %+v", got, want)
			}
		})
	}
	if _, err := ResolutionFromRecord(&Record{ID: "court:J1", Kind: "court.judgment_default"}); err == nil {
		t.Fatal("a court judgment read as a resolution")
	}
}
