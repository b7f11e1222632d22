package decide

import (
	"crypto/rand"
	"encoding/binary"
	"math/bits"
)

// seed is the key of the hash that makes organisations' keys in the
// table. Chosen at random for each table, so that no one who does not
// know it can choose codes whose keys collide; kept in the table's
// snapshot, so that a table read from it keys subjects as the one that
// wrote it (hash/maphash's seeds cannot be stored).
type seed struct{ k0, k1 uint64 }

func newSeed() seed {
	var b [16]byte
	rand.Read(b[:])
	return seed{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}
}

// sipHash is SipHash-2-4 of b under key sd: a keyed hash made to resist
// hash flooding.
func sipHash[S string | []byte](sd seed, b S) uint64 {
	v0 := sd.k0 ^ 0x736f6d6570736575
	v1 := sd.k1 ^ 0x646f72616e646f6d
	v2 := sd.k0 ^ 0x6c7967656e657261
	v3 := sd.k1 ^ 0x7465646279746573
	last := uint64(len(b)) << 56
	for ; len(b) >= 8; b = b[8:] {
		m := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		v3 ^= m
		v0, v1, v2, v3 = sipRound(sipRound(v0, v1, v2, v3))
		v0 ^= m
	}
	for i := range len(b) {
		last |= uint64(b[i]) << (8 * i)
	}
	v3 ^= last
	v0, v1, v2, v3 = sipRound(sipRound(v0, v1, v2, v3))
	v0 ^= last
	v2 ^= 0xff
	v0, v1, v2, v3 = sipRound(sipRound(sipRound(sipRound(v0, v1, v2, v3))))
	return v0 ^ v1 ^ v2 ^ v3
}

func sipRound(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13) ^ v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16) ^ v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21) ^ v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17) ^ v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}
