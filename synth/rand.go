package synth

import (
	"math/bits"
)

// Everything random in the city comes from the integer functions in this
// file. The generator uses no floating-point maths beyond the event rates
// (products and quotients, never fused), so a Config gives the same city on
// every platform.

// mix is a 64-bit finaliser (the one of SplitMix64): a bijection with good
// avalanche, used to hash (seed, purpose, index) into independent streams.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hash2 combines a key and a value.
func hash2(k, v uint64) uint64 { return mix(k ^ mix(v+0x9e3779b97f4a7c15)) }

// rng is wyrand: one addition and one 128-bit multiplication per draw.
type rng struct{ s uint64 }

func newRNG(seed uint64) rng { return rng{s: mix(seed)} }

func (r *rng) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// intn returns a uniform int in [0, n) (Lemire's multiply-shift; the bias
// is below 2^-40 for every n used here).
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// chance reports true with probability permille/1000.
func (r *rng) chance(permille int) bool { return r.intn(1000) < permille }

// prob converts a probability to a threshold for next(): draw < t with
// probability p.
func prob(p float64) uint64 {
	switch {
	case p <= 0:
		return 0
	case p >= 1:
		return ^uint64(0)
	}
	return uint64(p*(1<<53)) << 11
}

// count draws an event count with mean lambda: a binomial close to a
// Poisson. Below 8 it is Binomial(64, lambda/64); above, Binomial(n, 1/2)
// with n = 2·lambda, drawn 64 coin flips at a time.
func (r *rng) count(lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda < 8 {
		t := prob(lambda / 64)
		n := 0
		for range 64 {
			if r.next() < t {
				n++
			}
		}
		return n
	}
	flips := uint64(2 * lambda)
	n := 0
	for flips >= 64 {
		n += bits.OnesCount64(r.next())
		flips -= 64
	}
	if flips > 0 {
		n += bits.OnesCount64(r.next() & (1<<flips - 1))
	}
	// The fractional half-event 2·lambda lost to truncation.
	if frac := 2*lambda - float64(uint64(2*lambda)); r.next() < prob(frac/2) {
		n++
	}
	return n
}

// feistel is a keyed pseudo-random permutation of [0, n), by cycle walking
// over a 4-round Feistel network on the smallest power of two that holds n
// (unbalanced when its bits are odd), so that a walk takes fewer than two
// steps on average.
type feistel struct {
	n        uint64
	lbits    uint // bits of the left (high) half
	rbits    uint // bits of the right (low) half
	keys     [4]uint64
	identity bool
}

func newFeistel(n uint64, key uint64) feistel {
	f := feistel{n: n}
	if n <= 1 {
		f.identity = true
		return f
	}
	b := max(uint(bits.Len64(n-1)), 2)
	f.lbits = b / 2
	f.rbits = b - f.lbits
	for i := range f.keys {
		f.keys[i] = hash2(key, uint64(i))
	}
	return f
}

// roundFn is the Feistel round function: the top bits of the half-block
// plus the round key, multiplied by an odd constant.
func roundFn(r, k uint64, bits uint) uint64 {
	return ((r + k) * 0x9e3779b97f4a7c15) >> (64 - bits)
}

// round is the four rounds, unrolled (a permutation is computed for every
// person drawn): the halves swap after each, so the rounds' output widths
// alternate between the left and the right half's.
func (f *feistel) round(x uint64) uint64 {
	lb, rb := f.lbits, f.rbits
	l, r := x>>rb, x&(1<<rb-1)
	l, r = r, l^roundFn(r, f.keys[0], lb)
	l, r = r, l^roundFn(r, f.keys[1], rb)
	l, r = r, l^roundFn(r, f.keys[2], lb)
	l, r = r, l^roundFn(r, f.keys[3], rb)
	return l<<rb | r
}

func (f *feistel) unround(x uint64) uint64 {
	lb, rb := f.lbits, f.rbits
	l, r := x>>rb, x&(1<<rb-1)
	for i := len(f.keys) - 1; i >= 0; i-- {
		l, r = r^roundFn(l, f.keys[i], rb), l
		lb, rb = rb, lb
	}
	return l<<rb | r
}

// perm maps x in [0, n) to its image in [0, n).
func (f *feistel) perm(x uint64) uint64 {
	if f.identity {
		return x
	}
	for {
		x = f.round(x)
		if x < f.n {
			return x
		}
	}
}

// inv is the inverse of perm.
func (f *feistel) inv(x uint64) uint64 {
	if f.identity {
		return x
	}
	for {
		x = f.unround(x)
		if x < f.n {
			return x
		}
	}
}

// alias is Vose's alias table over integer weights: O(1) weighted choice
// with integer arithmetic only.
type alias struct {
	total uint64   // sum of weights
	cut   []uint64 // keep i when a uniform draw in [0, total) is below cut[i]
	other []uint32
}

func newAlias(w []uint64) alias {
	n := uint64(len(w))
	var total uint64
	for _, x := range w {
		total += x
	}
	a := alias{total: total, cut: make([]uint64, n), other: make([]uint32, n)}
	// Scaled weights: w[i]·n against the mean total.
	p := make([]uint64, n)
	var small, large []int
	for i, x := range w {
		p[i] = x * n
		if p[i] < total {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.cut[s], a.other[s] = p[s], uint32(l)
		p[l] -= total - p[s]
		if p[l] < total {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range large {
		a.cut[i], a.other[i] = total, uint32(i)
	}
	for _, i := range small { // only by rounding, which integers do not have
		a.cut[i], a.other[i] = total, uint32(i)
	}
	return a
}

// pick draws an index from two independent 64-bit values.
func (a *alias) pick(u, v uint64) int {
	i, _ := bits.Mul64(u, uint64(len(a.cut)))
	t, _ := bits.Mul64(v, a.total)
	if t < a.cut[i] {
		return int(i)
	}
	return int(a.other[i])
}

func (a *alias) draw(r *rng) int { return a.pick(r.next(), r.next()) }
