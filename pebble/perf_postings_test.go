package pebble

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	pebbledb "github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

// TestPostings checks the per-batch posting keys behind SourceRecords and
// UnresolvedRecords, including a posting of one record with an empty value
// (the layout the first format wrote for every record).
func TestPostings(t *testing.T) {
	s, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	recs := perfRecords(40, false)
	for i, r := range recs {
		if i%3 == 0 {
			r.Source = "court"
		}
		if i%5 == 0 {
			r.Subject = credo.SubjectRef{}
		}
	}
	for i, b := range [][]*credo.Record{recs[:1], recs[1:17], recs[17:18], recs[18:]} {
		if _, err := s.Append(ctx, b); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			legacyPostings(t, s)
		}
	}
	// An old-style posting: record 41, alone, with an empty value.
	old := perfRecords(41, false)[40]
	old.Source = "court"
	old.Subject = credo.SubjectRef{}
	if _, err := s.Append(ctx, []*credo.Record{old}); err != nil {
		t.Fatal(err)
	}
	if v, c, err := s.db.Get(postingKey(nil, "court", 41)); err != nil || len(v) != 0 {
		t.Fatalf("posting of one record: %x, %v", v, err)
	} else {
		c.Close()
	}
	want := func(f func(*credo.Record) bool) []uint64 {
		var out []uint64
		for _, r := range append(recs, old) {
			if f(r) {
				out = append(out, r.Seq)
			}
		}
		return out
	}
	seqs := func(it func(func(*credo.Record, error) bool)) []uint64 {
		var out []uint64
		for r, err := range it {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r.Seq)
		}
		return out
	}
	for _, src := range []string{"court", "traffic_police"} {
		if got, w := seqs(s.SourceRecords(ctx, src)), want(func(r *credo.Record) bool { return r.Source == src }); !slices.Equal(got, w) {
			t.Errorf("SourceRecords(%s) = %v, want %v", src, got, w)
		}
	}
	if got, w := seqs(s.UnresolvedRecords(ctx)), want(func(r *credo.Record) bool { return !r.Subject.Resolved() }); !slices.Equal(got, w) {
		t.Errorf("UnresolvedRecords = %v, want %v", got, w)
	}
}

// legacyPostings rewrites the store's source postings as format 1 and 2
// wrote them (by source, then sequence number), as an upgraded directory
// holds them.
func legacyPostings(t *testing.T, s *Store) {
	t.Helper()
	b := s.db.NewBatch()
	defer b.Close()
	it, err := s.db.NewIter(&pebbledb.IterOptions{LowerBound: []byte{tagPosting}, UpperBound: []byte{tagPosting + 1}})
	if err != nil {
		t.Fatal(err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		first := binary.BigEndian.Uint64(k[1:9])
		legacy := binary.BigEndian.AppendUint64(sourcePrefix(nil, string(k[9:])), first)
		if err := b.Set(legacy, it.Value(), nil); err != nil {
			t.Fatal(err)
		}
		if err := b.Delete(k, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(it.Error(), it.Close(), b.Commit(pebbledb.Sync)); err != nil {
		t.Fatal(err)
	}
}
