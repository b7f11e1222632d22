package ingest

import (
	"hash/maphash"
	"math/bits"
)

// idSet is a set of strings that may say yes to a string it does not hold
// (about one time in 2,000 for each of its filters), never no to one it
// holds: a chain of Bloom filters, each twice the size of the one before,
// at 2 bytes an id. An ingest keeps in one the ids of the rows its source
// has in quarantine, to release those that now pass: a wrong answer only
// costs the store a lookup, and a source with millions of quarantined rows
// (a whole file refused under a wrong spec) takes megabytes, not the
// gigabytes a map of the ids would.
type idSet struct {
	seed    maphash.Seed
	filters []bloom
	n       int
}

type bloom struct {
	bits []uint64
	n    int // ids added
	max  int // ids it is sized for
}

const (
	idSetFirst   = 1 << 12 // ids the first filter is sized for
	idSetBitsPer = 16      // bits an id
	idSetProbes  = 11      // bits set per id: optimal for 16 bits an id
)

func newIDSet() *idSet { return &idSet{seed: maphash.MakeSeed()} }

// len is the number of ids added (counting repeats).
func (s *idSet) len() int { return s.n }

func (s *idSet) add(id string) {
	if len(s.filters) == 0 || s.filters[len(s.filters)-1].n == s.filters[len(s.filters)-1].max {
		m := idSetFirst << len(s.filters)
		s.filters = append(s.filters, bloom{bits: make([]uint64, m*idSetBitsPer/64), max: m})
	}
	f := &s.filters[len(s.filters)-1]
	h1, h2 := s.hash(id)
	nbits := uint64(len(f.bits) * 64)
	for i := range uint64(idSetProbes) {
		b := (h1 + i*h2) % nbits
		f.bits[b/64] |= 1 << (b % 64)
	}
	f.n++
	s.n++
}

func (s *idSet) has(id string) bool {
	if s.n == 0 {
		return false
	}
	h1, h2 := s.hash(id)
	for k := range s.filters {
		f := &s.filters[k]
		nbits := uint64(len(f.bits) * 64)
		found := true
		for i := range uint64(idSetProbes) {
			b := (h1 + i*h2) % nbits
			if f.bits[b/64]&(1<<(b%64)) == 0 {
				found = false
				break
			}
		}
		if found {
			return true
		}
	}
	return false
}

// hash returns the two hashes of id that the probes are made of.
func (s *idSet) hash(id string) (uint64, uint64) {
	h := maphash.String(s.seed, id)
	return h, bits.RotateLeft64(h, 32) | 1
}
