package pebble

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math/bits"

	"github.com/cockroachdb/pebble/v2"
)

// idFilter answers, for most new records, "this (source, source record id)
// is certainly not in the ledger yet" without reading the store, so that the
// idempotency check costs a read only for records that may be repeats.
//
// For each source it keeps the greatest source record id in the ledger:
// agencies mostly number their records in order, and an id above the
// greatest is new. An id at or below it is looked up in a Bloom filter over
// all the source's ids, built the first time it is needed by scanning the
// source's keys. When the filter says "maybe" (a repeat, or a false positive
// about one time in 200) the caller reads the store, which decides.
//
// Both are over-approximations of the ledger: they are updated when a record
// is put in a batch, before the batch commits. If the commit fails the store
// stops taking appends anyway, and an id wrongly taken for present only costs
// a read. An id must never be missing from them while it is in the ledger.
//
// idFilter is used under Store.mu.
type idFilter struct {
	db      *pebble.DB
	tail    *tail // ids appended but not yet in the engine
	seed    maphash.Seed
	sources map[string]*sourceIDs
	// pending are the ids put in the batch being built, which the store does
	// not hold yet: a filter built from the store half-way through a batch
	// must include them.
	pending []pendingID
	// ready is closed when the batches built before this one are applied:
	// the filter waits for it before it reads the store.
	ready <-chan struct{}
}

type pendingID struct{ source, id string }

type sourceIDs struct {
	hasMax bool
	max    string // greatest id of the source
	bloom  *bloomChain
}

func newIDFilter(db *pebble.DB, t *tail) *idFilter {
	return &idFilter{db: db, tail: t, seed: maphash.MakeSeed(), sources: map[string]*sourceIDs{}}
}

// begin starts a new batch; ready is closed when the batches built before
// it are applied.
func (f *idFilter) begin(ready <-chan struct{}) { f.pending, f.ready = f.pending[:0], ready }

// mayExist reports whether id may be in the ledger under source; false means
// it certainly is not.
func (f *idFilter) mayExist(source, id string) (bool, error) {
	s, err := f.source(source)
	if err != nil {
		return false, err
	}
	if !s.hasMax || id > s.max {
		return false, nil
	}
	if s.bloom == nil {
		if err := f.build(source, s); err != nil {
			return false, err
		}
	}
	return s.bloom.mayContain(maphash.String(f.seed, id)), nil
}

// add notes that id was put in the batch under source. mayExist must have
// been called for source before.
func (f *idFilter) add(source, id string) {
	s := f.sources[source]
	if !s.hasMax || id > s.max {
		s.hasMax, s.max = true, id
	}
	if s.bloom != nil {
		s.bloom.add(maphash.String(f.seed, id))
	}
	f.pending = append(f.pending, pendingID{source, id})
}

// source returns the state of source, reading its greatest id from the store
// the first time.
func (f *idFilter) source(source string) (*sourceIDs, error) {
	if s, ok := f.sources[source]; ok {
		return s, nil
	}
	<-f.ready
	lo := idKey(nil, source, "")
	s := &sourceIDs{}
	// The tail first, then the engine: the indexer moves ids from one to
	// the other.
	f.tail.idsWithPrefix(lo, func(id []byte) {
		if !s.hasMax || string(id) > s.max {
			s.hasMax, s.max = true, string(id)
		}
	})
	it, err := f.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if it.Last() {
		if id := string(it.Key()[len(lo):]); !s.hasMax || id > s.max {
			s.hasMax, s.max = true, id
		}
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("read the ids of source %s: %w", source, err)
	}
	f.sources[source] = s
	return s, nil
}

// build fills the Bloom filter of source from the store and the pending
// batch.
func (f *idFilter) build(source string, s *sourceIDs) error {
	<-f.ready
	lo := idKey(nil, source, "")
	var ids [][]byte
	f.tail.idsWithPrefix(lo, func(id []byte) { ids = append(ids, bytes.Clone(id)) })
	it, err := f.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		ids = append(ids, bytes.Clone(it.Key()[len(lo):]))
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("read the ids of source %s: %w", source, err)
	}
	b := newBloomChain(2 * (len(ids) + len(f.pending)))
	for _, id := range ids {
		b.add(maphash.Bytes(f.seed, id))
	}
	for _, p := range f.pending {
		if p.source == source {
			b.add(maphash.String(f.seed, p.id))
		}
	}
	s.bloom = b
	return nil
}

// bloomChain is a Bloom filter that grows: when its newest stage is full it
// starts another of twice the size, and a key may be present if any stage
// says so. Each stage is blocked (a key's bits all fall in one 64-byte
// block, one cache miss a lookup) with 12 bits and 8 probes a key: about
// 0.5% false positives a stage.
type bloomChain struct {
	stages []*bloomStage
}

type bloomStage struct {
	blocks [][8]uint64
	n, cap int
}

const (
	bloomBitsPerKey = 12
	bloomProbes     = 8
	bloomMinKeys    = 1 << 16
)

func newBloomChain(keys int) *bloomChain {
	return &bloomChain{stages: []*bloomStage{newBloomStage(max(keys, bloomMinKeys))}}
}

func newBloomStage(keys int) *bloomStage {
	nb := (keys*bloomBitsPerKey + 511) / 512
	return &bloomStage{blocks: make([][8]uint64, nb), cap: keys}
}

func (c *bloomChain) add(h uint64) {
	s := c.stages[len(c.stages)-1]
	if s.n >= s.cap {
		s = newBloomStage(2 * s.cap)
		c.stages = append(c.stages, s)
	}
	s.add(h)
}

func (c *bloomChain) mayContain(h uint64) bool {
	for i := len(c.stages) - 1; i >= 0; i-- {
		if c.stages[i].mayContain(h) {
			return true
		}
	}
	return false
}

func (s *bloomStage) block(h uint64) *[8]uint64 {
	hi, _ := bits.Mul64(h, uint64(len(s.blocks)))
	return &s.blocks[hi]
}

func (s *bloomStage) add(h uint64) {
	b := s.block(h)
	m := mix(h) // probes independent of the block choice
	x, d := uint32(m), uint32(m>>32)|1
	for range bloomProbes {
		b[(x>>6)&7] |= 1 << (x & 63)
		x += d
	}
	s.n++
}

func (s *bloomStage) mayContain(h uint64) bool {
	b := s.block(h)
	m := mix(h) // probes independent of the block choice
	x, d := uint32(m), uint32(m>>32)|1
	for range bloomProbes {
		if b[(x>>6)&7]&(1<<(x&63)) == 0 {
			return false
		}
		x += d
	}
	return true
}
