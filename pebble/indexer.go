package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// ingestDirName is where the indexer writes its tables before the engine
// takes them (beside the engine's own directory: the same file system, so
// that the engine links them rather than copies).
const ingestDirName = "ingest"

var metaIndexed = []byte("Mindexed")

func seqValue(v []byte) uint64 { return binary.BigEndian.Uint64(v) }

// runIndexer writes the tail's sealed segments to the engine, oldest first,
// until the tail's channel is closed. A segment is written only once the
// records it indexes are synced, and the chain's engine entries for them
// too (they are otherwise synced only now and then): the index never points
// past the head a crash leaves, above which Open appends records again.
// After a failure the store refuses appends and the indexer stops writing;
// the tail keeps serving reads, and the next Open re-indexes.
func (s *Store) runIndexer() {
	defer close(s.indexerDone)
	for g := range s.deferred.sealed {
		if s.waitSynced(g.last) != nil {
			continue
		}
		if !s.opts.NoSync {
			if err := guard(func() error { return s.db.LogData(nil, pebble.Sync) }); err != nil {
				s.fail(fmt.Errorf("index records %d–%d: sync the head: %w", g.first, g.last, err))
				continue
			}
		}
		if err := s.writeSegment(context.Background(), g.last, &g.entities, &g.ids, &g.subjects); err != nil {
			s.fail(fmt.Errorf("index records %d–%d: %w", g.first, g.last, err))
			continue
		}
		s.deferred.drop(g)
	}
}

// fail puts the store in the failed state: it refuses appends until
// reopened.
func (s *Store) fail(err error) {
	s.state.Lock()
	if s.failed == nil {
		s.failed = err
	}
	s.synced.Broadcast()
	s.state.Unlock()
	s.opts.Logger.Error("ledger index", "dir", s.dir, "err", err)
}

// FlushIndex writes every index entry the tail holds to the engine and
// returns when it is done. Reads never need it (they look in the tail); it
// is for benchmarks, which must count the whole cost of an append, and for
// tests.
func (s *Store) FlushIndex(ctx context.Context) error {
	s.mu.Lock()
	s.deferred.seal()
	s.mu.Unlock()
	s.deferred.mu.Lock()
	defer s.deferred.mu.Unlock()
	for len(s.deferred.segs) > 0 {
		if err := s.failure(); err != nil {
			return fmt.Errorf("flush index: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s.deferred.room.Wait()
	}
	return nil
}

// writeSegment hands the engine one sorted table for each non-empty list of
// entries, then records that the index is complete up to last.
func (s *Store) writeSegment(ctx context.Context, last uint64, lists ...*entries) error {
	var paths []string
	defer func() {
		for _, p := range paths {
			os.Remove(p)
		}
	}()
	for i, e := range lists {
		if len(e.ix) == 0 {
			continue
		}
		p := filepath.Join(s.dir, ingestDirName, fmt.Sprintf("%020d-%d.sst", last, i))
		if err := s.writeTable(p, e); err != nil {
			return err
		}
		paths = append(paths, p)
	}
	if len(paths) > 0 {
		if err := guard(func() error { return s.idx.Ingest(ctx, paths) }); err != nil {
			return fmt.Errorf("ingest index tables: %w", err)
		}
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], last)
	// Not synced: losing it only means indexing some records again.
	return guard(func() error { return s.idx.Set(metaIndexed, v[:], pebble.NoSync) })
}

// writeTable writes e's entries, sorted, as one sstable at path. It does
// not reorder e: the tail's lookups address its entries by position while
// the segment is written.
func (s *Store) writeTable(path string, e *entries) error {
	ix := sortedEntries(e)
	err := writeSSTable(path, s.idxOpts.MakeWriterOptions(0, s.idx.TableFormat()), func(w *sstable.Writer) error {
		var prev []byte
		for _, x := range ix {
			k := e.key(x)
			if bytes.Equal(k, prev) {
				continue // the same key twice (an id re-indexed after a crash)
			}
			if err := w.Set(k, e.value(x)); err != nil {
				return err
			}
			prev = k
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("index table %s: %w", path, err)
	}
	return nil
}

// writeSSTable writes the table fill makes at path, for the engine to
// ingest.
func writeSSTable(path string, wo sstable.WriterOptions, fill func(w *sstable.Writer) error) error {
	f, err := vfs.Default.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	w := sstable.NewWriter(objstorageprovider.NewFileWritable(f), wo)
	if err := fill(w); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// prepareIngestDir empties the directory the indexer writes its tables in
// (a crash may have left some behind: they are written again from the chain).
func prepareIngestDir(dir string) error {
	p := filepath.Join(dir, ingestDirName)
	if err := os.RemoveAll(p); err != nil {
		return err
	}
	return os.MkdirAll(p, 0o750)
}

// catchUp indexes the records the chain holds above the index watermark:
// those of the segments a crash kept the indexer from writing, or all of
// them when the index is new (a new directory, or one of an older format).
// It runs at Open, before anything reads the store.
func (s *Store) catchUp(ctx context.Context) error {
	indexed, err := s.indexedThrough()
	if errors.Is(err, pebble.ErrNotFound) {
		indexed, err = 0, nil
	}
	if err != nil {
		return err
	}
	if indexed >= s.head.Seq {
		return nil
	}
	var b batchEntries
	var kbuf []byte
	var seqb [8]byte
	seen := map[string]bool{} // subjects registered by this catch-up
	flush := func(last uint64) error {
		err := s.writeSegment(ctx, last, &b.entities, &b.ids, &b.subjects)
		b.reset()
		return err
	}
	last := indexed
	for r, err := range s.Scan(ctx, indexed+1) {
		if err != nil {
			return fmt.Errorf("index records above %d: %w", indexed, err)
		}
		binary.BigEndian.PutUint64(seqb[:], r.Seq)
		b.ids.add(idKey(kbuf[:0], r.Source, r.SourceRecordID), seqb[:])
		if r.Subject.Resolved() {
			b.subjects.add(subjectKey(kbuf[:0], r.Subject, r.OccurredAt.UnixNano(), r.Seq), nil)
			kbuf = entityKey(kbuf[:0], r.Subject)
			if !seen[string(kbuf)] {
				seen[string(kbuf)] = true
				switch _, closer, err := s.idx.Get(kbuf); {
				case errors.Is(err, pebble.ErrNotFound):
					b.entities.add(kbuf, seqb[:])
				case err != nil:
					return err
				default:
					closer.Close()
				}
			}
		}
		b.records++
		last = r.Seq
		if b.records >= s.deferred.max {
			if err := flush(last); err != nil {
				return err
			}
		}
	}
	if last != s.head.Seq {
		return fmt.Errorf("index records above %d: the chain ends at %d, its head says %d", indexed, last, s.head.Seq)
	}
	return flush(last)
}

// indexedThrough reads the index watermark (pebble.ErrNotFound when there
// is none).
func (s *Store) indexedThrough() (uint64, error) {
	v, closer, err := s.idx.Get(metaIndexed)
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("corrupt index watermark (%d bytes)", len(v))
	}
	return seqValue(v), nil
}

// sortedEntries returns e's entries in key order: e.ix itself when it is
// sorted already (ids that grow), else a sorted copy.
//
// The keys of a segment share long prefixes (the table tag, the subject
// kind, the city's address code), so the sort skips the prefix all of them
// share and sorts integers: the next 46 bits of each key and its position
// (18 bits), packed in one word. Keys that agree on those bits are then put
// in order among themselves.
func sortedEntries(e *entries) []entry {
	cmp := func(x, y entry) int { return bytes.Compare(e.key(x), e.key(y)) }
	if slices.IsSortedFunc(e.ix, cmp) {
		return e.ix
	}
	const posBits = 18
	if len(e.ix) >= 1<<posBits {
		ix := slices.Clone(e.ix)
		slices.SortFunc(ix, cmp)
		return ix
	}
	first := e.key(e.ix[0])
	lcp := len(first)
	for _, x := range e.ix[1:] {
		k := e.key(x)
		n := 0
		for n < lcp && n < len(k) && k[n] == first[n] {
			n++
		}
		lcp = n
	}
	packed := make([]uint64, len(e.ix))
	for i, x := range e.ix {
		var w [8]byte
		if k := e.key(x); lcp < len(k) {
			copy(w[:], k[lcp:])
		}
		packed[i] = binary.BigEndian.Uint64(w[:])&^(1<<posBits-1) | uint64(i)
	}
	slices.Sort(packed)
	ix := make([]entry, len(e.ix))
	for i, p := range packed {
		ix[i] = e.ix[p&(1<<posBits-1)]
	}
	// Runs that agree on the five bytes: put in order by the whole key.
	for lo := 0; lo < len(packed); {
		hi := lo + 1
		for hi < len(packed) && packed[hi]>>posBits == packed[lo]>>posBits {
			hi++
		}
		if hi-lo > 1 {
			slices.SortFunc(ix[lo:hi], cmp)
		}
		lo = hi
	}
	return ix
}

// dropOldIndex deletes what directories of format 1 and 2 kept in the
// chain's engine and the index engine now holds: the id, subject and
// registry entries, and the index watermark.
func (s *Store) dropOldIndex() error {
	b := s.db.NewBatch()
	defer b.Close()
	for _, tag := range []byte{tagEntity, tagKey, tagSubject} {
		if err := b.DeleteRange([]byte{tag}, []byte{tag + 1}, nil); err != nil {
			return err
		}
	}
	if err := b.Delete(metaIndexed, nil); err != nil {
		return err
	}
	return commit(b, pebble.Sync)
}
