package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	pebbledb "github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

// crashClose closes s the way a crash would leave it: whatever the tail
// holds is not written to the engine.
func crashClose(t *testing.T, s *Store) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight.Wait()
	close(s.deferred.sealed) // the open segment is never sealed
	<-s.indexerDone
	if err := errors.Join(s.idx.Close(), s.db.Close(), s.chain.close()); err != nil {
		t.Fatal(err)
	}
	s.db = nil
}

func appendAll(t *testing.T, s *Store, from, to uint64, batch int, want credo.AppendStatus) {
	t.Helper()
	ctx := context.Background()
	for lo := from; lo <= to; lo += uint64(batch) {
		var recs []*credo.Record
		for n := lo; n < lo+uint64(batch) && n <= to; n++ {
			recs = append(recs, crashRecord(n))
		}
		res, err := s.Append(ctx, recs)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if r.Status != want {
				t.Fatalf("record %d: %v, want %v (%v)", lo+uint64(i), r.Status, want, r.Err)
			}
		}
	}
}

func indexedMark(t *testing.T, s *Store) uint64 {
	t.Helper()
	w, err := s.indexedThrough()
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestDeferredIndex checks reads and the idempotency check while index
// entries sit in the tail, move to the engine, or are lost in a crash.
func TestDeferredIndex(t *testing.T) {
	for _, seg := range []int{1, 7, 100, 1 << 20} {
		t.Run(fmt.Sprintf("segment=%d", seg), func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, &Options{IndexSegmentRecords: seg})
			if err != nil {
				t.Fatal(err)
			}
			appendAll(t, s, 1, 250, 13, credo.Appended)
			checkIndexes(t, s, 250)
			// Every record again, in other batches: all duplicates,
			// wherever their entries are by now.
			appendAll(t, s, 1, 250, 31, credo.Duplicate)
			if err := s.FlushIndex(context.Background()); err != nil {
				t.Fatal(err)
			}
			if w := indexedMark(t, s); w != 250 {
				t.Fatalf("after FlushIndex the index ends at %d, want 250", w)
			}
			checkIndexes(t, s, 250)
			appendAll(t, s, 251, 400, 50, credo.Appended)
			crashClose(t, s)

			s, err = Open(dir, &Options{IndexSegmentRecords: seg})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if w := indexedMark(t, s); w != 400 {
				t.Fatalf("after reopening the index ends at %d, want 400", w)
			}
			checkIndexes(t, s, 400)
			appendAll(t, s, 1, 400, 64, credo.Duplicate)
			subjects := map[credo.SubjectRef]bool{}
			for n := uint64(1); n <= 400; n++ {
				subjects[crashRecord(n).Subject] = true
			}
			c, err := s.Counts(context.Background())
			if err != nil || c.Records != 400 || c.Subjects != int64(len(subjects)) {
				t.Fatalf("counts %d records %d subjects, want 400 and %d (%v)", c.Records, c.Subjects, len(subjects), err)
			}
			// The registry the catch-up wrote is the one the next append reads.
			if err := s.loadSubjects(context.Background()); err != nil || s.subjects.n != len(subjects) {
				t.Fatalf("subject registry holds %d, want %d (%v)", s.subjects.n, len(subjects), err)
			}
		})
	}
}

// TestDeferredIDFilter: the Bloom filter over a source's ids is built
// lazily from the engine; ids still in the tail must be in it, or a repeat
// would be taken for new.
func TestDeferredIDFilter(t *testing.T) {
	s, err := Open(t.TempDir(), &Options{IndexSegmentRecords: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	rec := func(id string) *credo.Record {
		r := crashRecord(1)
		r.SourceRecordID = id
		return r
	}
	for _, id := range []string{"b", "c"} {
		if res, err := s.Append(ctx, []*credo.Record{rec(id)}); err != nil || res[0].Status != credo.Appended {
			t.Fatalf("append %s: %+v %v", id, res, err)
		}
	}
	// "a" is below the greatest id: the filter is built now, from the
	// engine (which has none of them yet) and the tail.
	if res, err := s.Append(ctx, []*credo.Record{rec("a")}); err != nil || res[0].Status != credo.Appended {
		t.Fatalf("append a: %+v %v", res, err)
	}
	for _, id := range []string{"a", "b", "c"} {
		if res, err := s.Append(ctx, []*credo.Record{rec(id)}); err != nil || res[0].Status != credo.Duplicate {
			t.Fatalf("append %s again: %+v %v", id, res, err)
		}
	}
}

// TestSortedEntries compares the indexer's sort with a plain byte-wise
// sort, on keys with long common prefixes, short keys and prefixes of
// other keys.
func TestSortedEntries(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var e entries
	var want []string
	for range 5000 {
		k := []byte("S\x013710821")
		k = k[:rng.IntN(len(k)+1)]
		for range rng.IntN(20) {
			k = append(k, byte('0'+rng.IntN(3)))
		}
		if rng.IntN(10) == 0 {
			k = append(k, 0)
		}
		if slices.Contains(want, string(k)) {
			continue
		}
		e.add(k, nil)
		want = append(want, string(k))
	}
	slices.Sort(want)
	var got []string
	for _, x := range sortedEntries(&e) {
		got = append(got, string(e.key(x)))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("sorted keys differ from a byte-wise sort")
	}
}

// TestDeferredIndexFirstSegment: a crash before the indexer has written
// anything leaves records that only the chain holds; they are indexed when
// the store opens.
func TestDeferredIndexFirstSegment(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, &Options{IndexSegmentRecords: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, s, 1, 120, 40, credo.Appended)
	crashClose(t, s)
	s, err = Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkIndexes(t, s, 120)
	appendAll(t, s, 1, 120, 40, credo.Duplicate)
}

// TestOlderFormatDirectory: a directory of format 1, 2 or 3 kept the chain
// in the engine, under R seq, and one of format 1 or 2 the index entries
// too. Opened, its chain is moved to the chain's files, it is indexed anew
// in the index engine (1, 2), the old entries are dropped, and it is marked
// format 4.
func TestOlderFormatDirectory(t *testing.T) {
	for _, format := range []int{1, 2, 3} {
		t.Run(fmt.Sprint("format ", format), func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			appendAll(t, s, 1, 90, 30, credo.Appended)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			// As the older build left it: the chain in the engine; for
			// formats 1 and 2, no index engine, entries (here a stale one)
			// in the chain's.
			chain, err := openChainLog(filepath.Join(dir, chainDirName), "chain", 0)
			if err != nil {
				t.Fatal(err)
			}
			db, err := pebbledb.Open(filepath.Join(dir, "ledger"), EngineOptions())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := chain.scan(1, 90, func(seq uint64, p []byte) error {
				return db.Set(recordKey(nil, seq), p, pebbledb.NoSync)
			}); err != nil {
				t.Fatal(err)
			}
			// Format 3: a move that a crash stopped half-way, its last
			// frame torn.
			var part map[uint64][]byte
			if format == 3 {
				part = map[uint64][]byte{}
				if _, err := chain.scan(1, 40, func(seq uint64, p []byte) error {
					part[seq] = bytes.Clone(p)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			chain.close()
			if err := os.RemoveAll(filepath.Join(dir, chainDirName)); err != nil {
				t.Fatal(err)
			}
			if part != nil {
				writeChain(t, dir, part)
				f, err := os.OpenFile(filepath.Join(dir, chainDirName, segmentName(1)+".log"), os.O_WRONLY|os.O_APPEND, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.Write(appendFrame(nil, 41, []byte("torn"), true)[:10])
				f.Close()
			}
			stale := idKey(nil, "court", "stale")
			if format < 3 {
				if err := os.RemoveAll(filepath.Join(dir, "index")); err != nil {
					t.Fatal(err)
				}
				if err := db.Set(stale, []byte("12345678"), pebbledb.Sync); err != nil {
					t.Fatal(err)
				}
				legacyMeta(t, db)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			marker := fmt.Sprintf("credo data directory\nformat %d\n", format)
			if err := os.WriteFile(filepath.Join(dir, markerName), []byte(marker), 0o640); err != nil {
				t.Fatal(err)
			}
			s, err = Open(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if w := indexedMark(t, s); w != 90 {
				t.Fatalf("watermark %d, want 90", w)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, markerName)); !strings.Contains(string(b), fmt.Sprintf("format %d", FormatVersion)) {
				t.Fatalf("marker after opening: %q", b)
			}
			if _, _, err := s.db.Get(stale); !errors.Is(err, pebbledb.ErrNotFound) {
				t.Fatalf("the old index entry is still in the chain's engine: %v", err)
			}
			if _, _, err := s.db.Get(recordKey(nil, 5)); !errors.Is(err, pebbledb.ErrNotFound) {
				t.Fatalf("the engine still holds the chain: %v", err)
			}
			if rep, err := credo.Verify(context.Background(), s, nil); err != nil || !rep.OK || rep.Records != 90 {
				t.Fatalf("verify after the move: %+v %v", rep, err)
			}
			checkIndexes(t, s, 90)
			appendAll(t, s, 91, 100, 10, credo.Appended)
			appendAll(t, s, 1, 100, 25, credo.Duplicate)
		})
	}
}

// legacyMeta rewrites the last head and counters as formats 1 and 2 kept
// them: "Mhead" (seq ‖ hash) and "Mcounts", overwritten by every batch.
func legacyMeta(t *testing.T, db *pebbledb.DB) {
	t.Helper()
	it, err := db.NewIter(&pebbledb.IterOptions{LowerBound: metaPrefix, UpperBound: prefixEnd(metaPrefix)})
	if err != nil {
		t.Fatal(err)
	}
	if !it.Last() {
		t.Fatal("no head key")
	}
	seq := binary.BigEndian.Uint64(it.Key()[len(metaPrefix):])
	v := slices.Clone(it.Value())
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch()
	defer b.Close()
	err = errors.Join(b.DeleteRange(metaPrefix, prefixEnd(metaPrefix), nil),
		b.Set(legacyHead, append(binary.BigEndian.AppendUint64(nil, seq), v[:32]...), nil),
		b.Set(legacyCounts, v[32:], nil),
		b.Commit(pebbledb.Sync))
	if err != nil {
		t.Fatal(err)
	}
}
