package pebble

import (
	"bytes"
	"hash/maphash"
	"sync"
)

// The deferred index.
//
// An append's atomic batch holds what must be durable when Append returns:
// the chain records, the head and counters, and the per-batch postings. The
// per-record index entries — by id (K), by subject (S), and the subject
// registry (E) — are random keys whose insertion into the engine's memtable
// costs more than the rest of an append together. They are derived from the
// chain, so they need not be in the batch: Append puts them in the tail, in
// memory, where reads find them at once, and the indexer writes them to the
// engine in the background, a segment of tens of thousands of records at a
// time, as sorted tables it hands to the engine whole (Pebble's ingestion:
// no memtable, no log, no flush).
//
// The meta key Mindexed holds the last sequence number whose entries are in
// the engine. After a crash the records above it are read back from the
// chain and indexed again when the store opens (indexing is idempotent: the
// same keys with the same values), so the index is never missing a record
// the chain holds.

// defaultSegmentRecords is how many records' entries the tail gathers
// before the indexer writes them: large enough that a segment's tables are
// worth an ingestion, small enough that the tail's memory stays a few tens
// of megabytes.
const defaultSegmentRecords = 1 << 16

// maxSealedSegments bounds the segments waiting for the indexer: appends
// wait when the indexer is this far behind, which bounds the tail's memory.
const maxSealedSegments = 2

// segment is the index entries of a contiguous run of records.
type segment struct {
	first, last uint64 // sequence numbers of the run
	records     int
	ids         entries // K keys → seq
	subjects    entries // S keys
	entities    entries // E keys → first seq
	// The lookups, made when first needed (a fresh load never needs them,
	// and appends should not pay for them) and extended as entries come:
	// idAt finds an id's K entry: maphash of the key → its index in ids,
	// with the rare second key of one hash in idMore; subjectHash is a hash
	// of each S entry's subject prefix, so that a subject's entries are
	// found by comparing integers.
	idAt        map[uint64]int32
	idMore      map[string]uint64
	idsIndexed  int // entries of ids in idAt or idMore
	subjectHash []uint64
}

// tail is the entries not yet in the engine: the open segment that appends
// add to, and the sealed ones the indexer has yet to write. Reads look here
// as well as in the engine.
type tail struct {
	seed maphash.Seed
	max  int // records a segment takes before it is sealed

	mu     sync.RWMutex
	segs   []*segment // oldest first; the last is open when open != nil
	open   *segment
	free   []*segment // written segments, whose memory is reused
	room   sync.Cond  // on mu: a sealed segment was written
	sealed chan *segment
}

func newTail(segmentRecords int) *tail {
	if segmentRecords <= 0 {
		segmentRecords = defaultSegmentRecords
	}
	t := &tail{seed: maphash.MakeSeed(), max: segmentRecords, sealed: make(chan *segment, maxSealedSegments+1)}
	t.room.L = &t.mu
	return t
}

// newSegment makes a segment with room for t.max records like those of b,
// so that adding to it never copies what it holds.
func (t *tail) newSegment(b *batchEntries) *segment {
	if n := len(t.free); n > 0 {
		g := t.free[n-1]
		t.free = t.free[:n-1]
		*g = segment{ids: g.ids, subjects: g.subjects, entities: g.entities, subjectHash: g.subjectHash[:0]}
		g.ids.reset()
		g.subjects.reset()
		g.entities.reset()
		return g
	}
	room := func(e *entries) entries {
		perRecord := (len(e.buf) + b.records - 1) / b.records
		n := t.max + t.max/16
		return entries{buf: make([]byte, 0, n*perRecord), ix: make([]entry, 0, n*len(e.ix)/b.records+1)}
	}
	return &segment{ids: room(&b.ids), subjects: room(&b.subjects)}
}

// batchEntries is what one append adds to the tail, gathered while the
// batch is built and added once it is applied.
type batchEntries struct {
	first, last uint64
	records     int
	ids         entries
	subjects    entries
	entities    entries
}

func (b *batchEntries) reset() {
	b.first, b.last, b.records = 0, 0, 0
	b.ids.reset()
	b.subjects.reset()
	b.entities.reset()
}

// add puts a batch's entries into the open segment, sealing it when it is
// full. Batches are added in sequence order. It waits while the indexer is
// maxSealedSegments behind.
func (t *tail) add(b *batchEntries) {
	if b.records == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.open == nil {
		for len(t.segs) >= maxSealedSegments {
			t.room.Wait()
		}
		t.open = t.newSegment(b)
		t.open.first = b.first
		t.segs = append(t.segs, t.open)
	}
	g := t.open
	g.last = b.last
	g.records += b.records
	g.ids.addAll(&b.ids)
	g.subjects.addAll(&b.subjects)
	g.entities.addAll(&b.entities)
	if g.records >= t.max {
		t.sealLocked()
	}
}

// seal closes the open segment, if any, and hands it to the indexer.
func (t *tail) seal() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sealLocked()
}

func (t *tail) sealLocked() {
	if t.open == nil {
		return
	}
	g := t.open
	t.open = nil
	t.sealed <- g // never blocks: at most maxSealedSegments+1 are in the list
}

// drop removes the oldest segment once the indexer has written it.
func (t *tail) drop(g *segment) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.segs) > 0 && t.segs[0] == g {
		t.segs = t.segs[1:]
		// Its memory serves the next segment (no lookup holds on to it:
		// they copy what they return).
		if len(t.free) < 1 {
			t.free = append(t.free, g)
		}
	}
	t.room.Broadcast()
}

// indexIDs extends g's id lookup to all its entries. t.mu is held for
// writing.
func (t *tail) indexIDs(g *segment) {
	if g.idAt == nil {
		g.idAt = make(map[uint64]int32, len(g.ids.ix))
	}
	for ; g.idsIndexed < len(g.ids.ix); g.idsIndexed++ {
		i := g.idsIndexed
		x := g.ids.ix[i]
		k := g.ids.key(x)
		h := maphash.Bytes(t.seed, k)
		if _, dup := g.idAt[h]; dup {
			if g.idMore == nil {
				g.idMore = map[string]uint64{}
			}
			g.idMore[string(k)] = seqValue(g.ids.value(x))
			continue
		}
		g.idAt[h] = int32(i)
	}
}

// indexSubjects extends g's subject lookup to all its entries. t.mu is held
// for writing.
func (t *tail) indexSubjects(g *segment) {
	for i := len(g.subjectHash); i < len(g.subjects.ix); i++ {
		k := g.subjects.key(g.subjects.ix[i])
		g.subjectHash = append(g.subjectHash, maphash.Bytes(t.seed, k[:len(k)-16]))
	}
}

// id returns the sequence number of the record under K key k, if the tail
// has it.
func (t *tail) id(k []byte) (uint64, bool) {
	h := maphash.Bytes(t.seed, k)
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.segs) - 1; i >= 0; i-- {
		g := t.segs[i]
		t.indexIDs(g)
		if j, ok := g.idAt[h]; ok {
			x := g.ids.ix[j]
			if bytes.Equal(g.ids.key(x), k) {
				return seqValue(g.ids.value(x)), true
			}
			if seq, ok := g.idMore[string(k)]; ok {
				return seq, true
			}
		}
	}
	return 0, false
}

// idsWithPrefix calls fn with the rest of every K key in the tail that
// starts with prefix.
func (t *tail) idsWithPrefix(prefix []byte, fn func(rest []byte)) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, g := range t.segs {
		for _, x := range g.ids.ix {
			if k := g.ids.key(x); bytes.HasPrefix(k, prefix) {
				fn(k[len(prefix):])
			}
		}
	}
}

// subject appends to dst the S keys in the tail under subject prefix p.
func (t *tail) subject(dst [][]byte, p []byte) [][]byte {
	h := maphash.Bytes(t.seed, p)
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, g := range t.segs {
		t.indexSubjects(g)
		for i, sh := range g.subjectHash {
			if sh != h {
				continue
			}
			if k := g.subjects.key(g.subjects.ix[i]); bytes.Equal(k[:len(k)-16], p) {
				dst = append(dst, bytes.Clone(k))
			}
		}
	}
	return dst
}
