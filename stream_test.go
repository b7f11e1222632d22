package credo_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/credo-org/credo"
)

// memLedger is the smallest Ledger that AppendStream needs: it records the
// batches it is given and can be told to fail. It is a test double for the
// stream's own logic; the real stores are tested by storetest.
type memLedger struct {
	credo.Ledger
	seen    map[string]bool
	batches int
	failAt  int
}

func (m *memLedger) Append(ctx context.Context, recs []*credo.Record) ([]credo.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.batches++
	if m.batches == m.failAt {
		return nil, errors.New("disk on fire")
	}
	res := make([]credo.AppendResult, len(recs))
	for i, r := range recs {
		if err := r.Validate(); err != nil {
			res[i] = credo.AppendResult{Status: credo.Rejected, Err: err}
			continue
		}
		if m.seen[r.SourceRecordID] {
			res[i].Status = credo.Duplicate
			continue
		}
		m.seen[r.SourceRecordID] = true
	}
	return res, nil
}

func records(n int, bad func(i int) bool) iter.Seq[*credo.Record] {
	return func(yield func(*credo.Record) bool) {
		for i := range n {
			r := &credo.Record{Source: "court", SourceRecordID: fmt.Sprint(i), Kind: "court.judgment",
				OccurredAt: time.Unix(int64(i), 0), Subject: credo.SubjectRef{Kind: credo.Person, ID: "x"}}
			if bad != nil && bad(i) {
				r.Kind = ""
			}
			if !yield(r) {
				return
			}
		}
	}
}

func TestAppendStream(t *testing.T) {
	ctx := context.Background()
	m := &memLedger{seen: map[string]bool{}}
	calls := 0
	rep, err := credo.AppendStream(ctx, m, records(2500, func(i int) bool { return i%1000 == 7 }), credo.StreamOptions{
		BatchSize: 100, Progress: func(credo.StreamReport) { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != 2500 || rep.Appended != 2497 || rep.Rejected != 3 || len(rep.Problems) != 3 || m.batches != 25 || calls != 25 {
		t.Fatalf("report %+v, batches %d, progress calls %d", rep, m.batches, calls)
	}
	if rep.Problems[0].Record.SourceRecordID != "7" {
		t.Fatalf("first problem is record %s", rep.Problems[0].Record.SourceRecordID)
	}
	rep, err = credo.AppendStream(ctx, m, records(2600, nil), credo.StreamOptions{BatchSize: 1000})
	if err != nil || rep.Duplicates != 2497 || rep.Appended != 103 {
		t.Fatalf("second run %+v %v", rep, err)
	}
}

func TestAppendStreamStopsOnLedgerError(t *testing.T) {
	m := &memLedger{seen: map[string]bool{}, failAt: 3}
	rep, err := credo.AppendStream(context.Background(), m, records(100000, nil), credo.StreamOptions{BatchSize: 10})
	if err == nil || err.Error() != "disk on fire" {
		t.Fatalf("err = %v", err)
	}
	if rep.Appended != 20 {
		t.Fatalf("appended %d before the failing batch, want 20", rep.Appended)
	}
}

func TestAppendStreamCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	m := &memLedger{seen: map[string]bool{}}
	n := 0
	_, err := credo.AppendStream(ctx, m, func(yield func(*credo.Record) bool) {
		for r := range records(1000000, nil) {
			if n++; n == 5000 {
				cancel()
			}
			if !yield(r) {
				return
			}
		}
	}, credo.StreamOptions{BatchSize: 100})
	if !errors.Is(err, context.Canceled) || n >= 1000000 {
		t.Fatalf("err = %v after %d records", err, n)
	}
}
