package pebble

import (
	"hash/maphash"

	"github.com/credo-org/credo"
)

// subjectSet is the set of subjects the ledger has seen, kept in memory so
// that appending a record need not read the store to learn whether its
// subject is new (a random read per record would cost more than the rest of
// the append). It holds 8 bytes a subject at most 50% full: about 160 MB for
// 10 million subjects.
//
// A resident identity number maps to its 17 leading digits exactly; other
// identifiers are hashed, so two organisations could in principle share a
// slot (for a million organisations the odds are about 1 in 3·10^7). Such a
// collision would only leave the second one out of the subject count and
// the registry; its records are indexed and scored all the same.
type subjectSet struct {
	slots []uint64
	n     int
	seed  maphash.Seed
}

func newSubjectSet(seed maphash.Seed) *subjectSet {
	return &subjectSet{slots: make([]uint64, 1024), seed: seed}
}

func (s *subjectSet) key(ref credo.SubjectRef) uint64 { return subjectSetKey(s.seed, ref) }

// subjectSetKey is ref's key in a subjectSet with seed.
func subjectSetKey(seed maphash.Seed, ref credo.SubjectRef) uint64 {
	if ref.Kind == credo.Person && len(ref.ID) == 18 {
		var v uint64
		ok := true
		for i := 0; i < 17; i++ {
			c := ref.ID[i]
			if c < '0' || c > '9' {
				ok = false
				break
			}
			v = v*10 + uint64(c-'0')
		}
		if ok {
			return v + 1 // never 0 (empty); top bit clear
		}
	}
	var h maphash.Hash
	h.SetSeed(seed)
	h.WriteByte(byte(ref.Kind))
	h.WriteString(ref.ID)
	return h.Sum64() | 1<<63
}

// add inserts ref and reports whether it was new.
func (s *subjectSet) add(ref credo.SubjectRef) bool {
	return s.addKey(s.key(ref))
}

func (s *subjectSet) addKey(k uint64) bool {
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := mix(k) & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k:
			return false
		case 0:
			s.slots[i] = k
			s.n++
			return true
		}
	}
}

// remove deletes a key that was added by mistake (an append that failed).
func (s *subjectSet) remove(ref credo.SubjectRef) {
	k := s.key(ref)
	old := s.slots
	s.slots = make([]uint64, len(old))
	s.n = 0
	for _, x := range old {
		if x != 0 && x != k {
			s.addKey(x)
		}
	}
}

func (s *subjectSet) grow() {
	old := s.slots
	s.slots = make([]uint64, 2*len(old))
	s.n = 0
	for _, k := range old {
		if k != 0 {
			s.addKey(k)
		}
	}
}

// mix spreads the bits of k (persons' keys are dense decimal numbers).
func mix(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	return k
}
