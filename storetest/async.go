package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/credo-org/credo"
)

// testAppendAsync: batches appended with AppendAsync, several in flight,
// take their places in call order, report as Append would once waited for,
// and leave a ledger that verifies.
func testAppendAsync(t *testing.T, b Backend) {
	s := open(t, b)
	a, ok := s.(credo.AsyncAppender)
	if !ok {
		t.Skipf("%T does not implement credo.AsyncAppender (an optional capability)", s)
	}
	ctx := context.Background()
	var waits []func() ([]credo.AppendResult, error)
	for i := range 5 {
		batch := []*credo.Record{rec("court", 2*i+1, alice), rec("court", 2*i+2, bob)}
		if i == 3 {
			batch = append(batch, rec("court", 1, alice)) // a duplicate of the first batch's
		}
		waits = append(waits, a.AppendAsync(ctx, batch))
	}
	var seqs []uint64
	for i, w := range waits {
		res, err := w()
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		for _, r := range res {
			if r.Status == credo.Appended {
				seqs = append(seqs, r.Seq)
			}
		}
		if i == 3 && (len(res) != 3 || res[2].Status != credo.Duplicate || res[2].Seq != 1) {
			t.Fatalf("batch 3: %+v, want its last record a duplicate of record 1", res)
		}
	}
	if !slices.Equal(seqs, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) {
		t.Fatalf("sequence numbers %v, want 1..10 in call order", seqs)
	}
	got := collect(t, s.SourceRecords(ctx, "court"))
	for i, r := range got {
		if r.SourceRecordID != rec("court", i+1, alice).SourceRecordID {
			t.Fatalf("record %d is %s", i+1, r.SourceRecordID)
		}
	}
	if rep, err := credo.Verify(ctx, s, nil); err != nil || !rep.OK || rep.Records != 10 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}
