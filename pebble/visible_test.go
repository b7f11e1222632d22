package pebble

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
)

// TestReadsWaitForSync: a batch appended with AppendAsync is in the chain's
// files (and in the index's tail) as soon as it is written, but no read
// yields its records until the chain is synced: a crash before then could
// take them back, and nothing read may vanish. The test holds the chain's
// sync back while it reads.
func TestReadsWaitForSync(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	who := credo.SubjectRef{Kind: credo.Person, ID: ident.NewPersonID(110105, 1980, 5, 17, 21)}
	at := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	batch := func(from, n int, subject credo.SubjectRef) []*credo.Record {
		var out []*credo.Record
		for i := from; i < from+n; i++ {
			out = append(out, &credo.Record{
				Subject: subject, Source: "court", SourceRecordID: fmt.Sprintf("J%04d", i),
				Kind: "court.judgment_default", Polarity: credo.Negative, OccurredAt: at.AddDate(0, 0, i),
			})
		}
		return out
	}
	// The first batch, synced: the one every read sees.
	if _, err := s.Append(ctx, batch(0, 2, who)); err != nil {
		t.Fatal(err)
	}
	reads := func() (scan, subject, source, unresolved int, byID bool) {
		t.Helper()
		for _, err := range s.Scan(ctx, 1) {
			if err != nil {
				t.Fatal(err)
			}
			scan++
		}
		for _, err := range s.SubjectRecords(ctx, who) {
			if err != nil {
				t.Fatal(err)
			}
			subject++
		}
		for _, err := range s.SourceRecords(ctx, "court") {
			if err != nil {
				t.Fatal(err)
			}
			source++
		}
		for _, err := range s.UnresolvedRecords(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			unresolved++
		}
		_, err := s.Record(ctx, credo.RecordID("court", "J0003"))
		if err != nil && !errors.Is(err, credo.ErrNotFound) {
			t.Fatal(err)
		}
		return scan, subject, source, unresolved, err == nil
	}
	s.chain.syncMu.Lock()
	wait := s.AppendAsync(ctx, append(batch(2, 3, who), batch(5, 1, credo.SubjectRef{Kind: credo.Unresolved})...))
	sc, su, so, un, id := reads()
	s.chain.syncMu.Unlock()
	if sc != 2 || su != 2 || so != 2 || un != 0 || id {
		t.Errorf("before the sync: scan %d, subject %d, source %d, unresolved %d records, by id %v; want 2, 2, 2, 0, false", sc, su, so, un, id)
	}
	if _, err := wait(); err != nil {
		t.Fatal(err)
	}
	if sc, su, so, un, id := reads(); sc != 6 || su != 5 || so != 6 || un != 1 || !id {
		t.Errorf("after the sync: scan %d, subject %d, source %d, unresolved %d records, by id %v; want 6, 5, 6, 1, true", sc, su, so, un, id)
	}
}
