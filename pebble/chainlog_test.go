package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	pebbledb "github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

func testPayload(seq uint64) []byte {
	return []byte(fmt.Sprintf("%032d record %d %s", seq, seq, bytes.Repeat([]byte{'x'}, int(seq%700))))
}

// writeRecords writes records from..to to l as one batch.
func writeRecords(t *testing.T, l *chainLog, from, to uint64) {
	t.Helper()
	var frames []byte
	var offs []uint32
	for seq := from; seq <= to; seq++ {
		offs = append(offs, uint32(len(frames)))
		frames = appendFrame(frames, seq, testPayload(seq), seq == to)
	}
	if err := l.write(from, frames, offs); err != nil {
		t.Fatal(err)
	}
	if err := l.syncThrough(to); err != nil {
		t.Fatal(err)
	}
}

func checkRecords(t *testing.T, l *chainLog, n uint64) {
	t.Helper()
	for seq := uint64(1); seq <= n; seq++ {
		p, ok, err := l.read(seq)
		if err != nil || !ok || !bytes.Equal(p, testPayload(seq)) {
			t.Fatalf("read %d: %v %v %q", seq, ok, err, p)
		}
	}
	if _, ok, err := l.read(n + 1); ok || err != nil {
		t.Fatalf("read %d past the end: %v %v", n+1, ok, err)
	}
	want := uint64(1)
	if _, err := l.scan(1, n, func(seq uint64, p []byte) error {
		if seq != want || !bytes.Equal(p, testPayload(seq)) {
			return fmt.Errorf("scan: record %d at %d", seq, want)
		}
		want++
		return nil
	}); err != nil || want != n+1 {
		t.Fatalf("scan: %v, %d records", err, want-1)
	}
}

// TestChainLog: records written in batches are read back by number and in
// order, across segments and reopenings; a torn or garbage tail is cut off
// at open; truncation drops what follows.
func TestChainLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "chain")
	l, err := openChainLog(dir, "chain", 0)
	if err != nil {
		t.Fatal(err)
	}
	l.segMax = 200 << 10 // several segments
	for from := uint64(1); from <= 3000; from += 250 {
		writeRecords(t, l, from, from+249)
	}
	checkRecords(t, l, 3000)
	if len(l.segs) < 3 {
		t.Fatalf("%d segments", len(l.segs))
	}
	if err := l.close(); err != nil {
		t.Fatal(err)
	}
	if l, err = openChainLog(dir, "chain", 0); err != nil {
		t.Fatal(err)
	}
	checkRecords(t, l, 3000)
	last := l.segs[len(l.segs)-1]
	lastLog := filepath.Join(dir, segmentName(last.first)+".log")
	lastIdx := filepath.Join(dir, segmentName(last.first)+".idx")
	l.close()

	t.Run("torn frame and an index ahead of the log", func(t *testing.T) {
		os.Remove(filepath.Join(dir, syncedFileName)) // as if the note were lost
		f, _ := os.OpenFile(lastLog, os.O_WRONLY|os.O_APPEND, 0)
		f.Write(appendFrame(nil, 3001, testPayload(3001), true)[:40])
		f.Close()
		x, _ := os.OpenFile(lastIdx, os.O_WRONLY|os.O_APPEND, 0)
		x.Write([]byte{0, 0, 0, 9, 0, 0, 1, 0})
		x.Close()
		l, err := openChainLog(dir, "chain", 0)
		if err != nil {
			t.Fatal(err)
		}
		defer l.close()
		checkRecords(t, l, 3000)
		writeRecords(t, l, 3001, 3010)
		checkRecords(t, l, 3010)
	})
	t.Run("index behind the log", func(t *testing.T) {
		os.Remove(filepath.Join(dir, syncedFileName))
		fi, _ := os.Stat(lastIdx)
		os.Truncate(lastIdx, fi.Size()-40*4)
		l, err := openChainLog(dir, "chain", 0)
		if err != nil {
			t.Fatal(err)
		}
		defer l.close()
		checkRecords(t, l, 3010)
	})
	t.Run("a flipped byte in the last segment", func(t *testing.T) {
		os.Remove(filepath.Join(dir, syncedFileName))
		b, _ := os.ReadFile(lastLog)
		i := bytes.Index(b, []byte("record 3005 "))
		b[i] ^= 1
		os.WriteFile(lastLog, b, 0o640)
		l, err := openChainLog(dir, "chain", 0)
		if err != nil {
			t.Fatal(err)
		}
		defer l.close()
		checkRecords(t, l, 3000) // the append holding the damaged frame is cut whole
	})
	t.Run("truncate", func(t *testing.T) {
		l, err := openChainLog(dir, "chain", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.segs) < 3 {
			t.Fatalf("%d segments", len(l.segs))
		}
		if err := l.truncateAfter(1234); err != nil {
			t.Fatal(err)
		}
		checkRecords(t, l, 1234)
		writeRecords(t, l, 1235, 1300)
		checkRecords(t, l, 1300)
		l.close()
		if l, err = openChainLog(dir, "chain", 0); err != nil {
			t.Fatal(err)
		}
		defer l.close()
		checkRecords(t, l, 1300)
	})
}

// TestChainAheadOfEngine: the engine's entries are not synced with every
// append, so a crash can leave acknowledged records in the chain above the
// engine's head. Opening the store appends them again — the same sequence
// numbers and hashes — with their postings, counts and index entries.
func TestChainAheadOfEngine(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, &Options{IndexSegmentRecords: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, s, 1, 90, 30, credo.Appended)
	want, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	crashClose(t, s)

	// What the engine would hold had it lost its last batch (records
	// 61–90): its head and counters, and its posting.
	loseFromEngine(t, dir, func(b *pebbledb.Batch) {
		b.Delete(metaKey(90), nil)
		b.DeleteRange([]byte{tagPosting}, []byte{tagPosting + 1}, nil)
	})

	s, err = Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Head(ctx); err != nil || got != want {
		t.Fatalf("head after reopening: %+v %v, want %+v", got, err, want)
	}
	if got, err := s.Counts(ctx); err != nil || got.Records != wantCounts.Records || got.Subjects != wantCounts.Subjects {
		t.Fatalf("counts after reopening: %+v %v, want %+v", got, err, wantCounts)
	}
	if rep, err := credo.Verify(ctx, s, nil); err != nil || !rep.OK || rep.Records != 90 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	n := 0
	for r, err := range s.SourceRecords(ctx, "traffic_police") {
		if err != nil {
			t.Fatal(err)
		}
		if r.Seq > 60 {
			n++
		}
	}
	if n != 30 {
		t.Fatalf("%d of the records appended again are in their source's postings, want 30", n)
	}
	checkIndexes(t, s, 90)
	appendAll(t, s, 1, 90, 45, credo.Duplicate)
	appendAll(t, s, 91, 120, 30, credo.Appended)
	s.Close()
}

// TestChainResolutionAheadOfEngine: a resolution's entries in the engine
// are synced before it is acknowledged, and every later append waits for
// them; so a resolution in the chain above the engine's head, and
// whatever follows it there, was never acknowledged, and opening the
// store drops them rather than append them again.
func TestChainResolutionAheadOfEngine(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, s, 1, 30, 30, credo.Appended)
	loose := crashRecord(31)
	loose.Subject = credo.SubjectRef{}
	loose.Identity.IDNumber = ""
	if _, err := s.Append(ctx, []*credo.Record{loose}); err != nil {
		t.Fatal(err)
	}
	owner := crashRecord(1).Subject
	if _, err := s.Resolve(ctx, []credo.Resolution{{Action: credo.Link, Record: loose.ID, Subject: owner, By: "op:li", Why: "same person"}}); err != nil {
		t.Fatal(err)
	}
	appendAll(t, s, 33, 42, 10, credo.Appended)
	crashClose(t, s)

	// The engine as if the resolution's batch, and so every later one,
	// had not reached it: head 31.
	loseFromEngine(t, dir, func(b *pebbledb.Batch) {
		b.DeleteRange(metaKey(32), metaKey(1000), nil)
		b.DeleteRange(postingKey(nil, "", 32), []byte{tagPosting + 1}, nil)
		b.DeleteRange([]byte{tagAssign}, []byte{tagAssign + 1}, nil)
		b.DeleteRange([]byte{tagLinked}, []byte{tagLinked + 1}, nil)
	})

	s, err = Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if h, err := s.Head(ctx); err != nil || h.Seq != 31 {
		t.Fatalf("head %+v %v, want record 31", h, err)
	}
	if rep, err := credo.Verify(ctx, s, nil); err != nil || !rep.OK || rep.Records != 31 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	n := 0
	for r, err := range s.Pending(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if r.ID == loose.ID {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the record the dropped resolution linked is not pending")
	}
	appendAll(t, s, 33, 42, 10, credo.Appended) // never acknowledged: new again
}

// loseFromEngine deletes from the engine of the closed store in dir what
// lose puts in a batch: the entries a crash kept from reaching it.
func loseFromEngine(t *testing.T, dir string, lose func(b *pebbledb.Batch)) {
	t.Helper()
	db, err := pebbledb.Open(filepath.Join(dir, "ledger"), EngineOptions())
	if err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch()
	lose(b)
	if err := errors.Join(b.Commit(pebbledb.Sync), db.Close()); err != nil {
		t.Fatal(err)
	}
}

// FuzzChainOpen opens a chain whose last segment holds whatever the fuzzer
// makes of a few good appends (cut, flipped, extended, with an index of
// any length): open never panics, and what it keeps reads back whole, in
// order, and takes new appends after it.
func FuzzChainOpen(f *testing.F) {
	var good []byte
	var offs []uint32
	for seq := uint64(1); seq <= 6; seq++ {
		offs = append(offs, uint32(len(good)))
		good = appendFrame(good, seq, testPayload(seq), seq%3 == 0)
	}
	var idx []byte
	for _, o := range offs {
		idx = binary.BigEndian.AppendUint32(idx, o)
	}
	f.Add(good, idx)
	f.Add(good[:len(good)-7], idx)
	f.Add(good, idx[:8])
	f.Add(append(bytes.Clone(good), 0, 0, 0, 9), idx)
	f.Add([]byte{}, []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, log, idx []byte) {
		dir := filepath.Join(t.TempDir(), "chain")
		if err := os.MkdirAll(dir, 0o750); err != nil {
			t.Fatal(err)
		}
		base := filepath.Join(dir, segmentName(1))
		if err := errors.Join(os.WriteFile(base+".log", log, 0o640), os.WriteFile(base+".idx", idx, 0o640)); err != nil {
			t.Fatal(err)
		}
		l, err := openChainLog(dir, "chain", 0)
		if err != nil {
			return // refused, with an error: fine
		}
		defer l.close()
		n := uint64(0)
		if _, err := l.scan(1, l.end, func(seq uint64, p []byte) error {
			n++
			if seq != n {
				return fmt.Errorf("record %d at place %d", seq, n)
			}
			return nil
		}); err != nil || n != l.end {
			t.Fatalf("after open (end %d): scanned %d: %v", l.end, n, err)
		}
		for seq := uint64(1); seq <= l.end; seq++ {
			if _, ok, err := l.read(seq); !ok || err != nil {
				t.Fatalf("read %d of %d: %v %v", seq, l.end, ok, err)
			}
		}
		// And takes new appends after it (unsynced: a fuzzer's run is
		// many thousands of these).
		next := l.end + 1
		frames := appendFrame(nil, next, testPayload(next), true)
		if err := l.write(next, frames, []uint32{0}); err != nil {
			t.Fatalf("append after record %d: %v", next-1, err)
		}
		if p, ok, err := l.read(next); !ok || err != nil || !bytes.Equal(p, testPayload(next)) {
			t.Fatalf("read the append after record %d: %v %v", next-1, ok, err)
		}
	})
}
