// Package synth generates a synthetic Chinese city — Rongcheng, Shandong —
// for demos, tests and benchmarks: its people, its organisations, and years
// of records about them from the city's agencies (courts, tax, traffic
// police, banks, utilities, the market regulator, charities).
//
// Everything is a pure function of the Config. Person i and organisation j
// are computed in O(1) from (seed, i) and (seed, j), so a city of ten
// million people needs no table of them; events stream day by day in time
// order, in memory that does not grow with the number of years. Every
// identifier is valid and unique, and every event carries its truth: the
// index of the person or organisation it is about.
//
// The generator uses integer arithmetic throughout (the only floating-point
// operations are the products and quotients of the event rates), so a
// Config gives the same city on every platform and Go version.
package synth

import (
	"fmt"
	"time"
)

// Limits on a Config.
const (
	MaxPeople = 10_000_000
	MaxYears  = 30
)

// Config says which city to make.
type Config struct {
	Seed int64
	// People is the population, 1 to MaxPeople.
	People int
	// Orgs is the number of organisations, 0 to People; 0 means People/20.
	Orgs int
	// Start and End bound the events: Start ≤ occurred < End. Zero values
	// mean 2021-01-01 and five years later. Both are taken as dates in
	// China Standard Time; ages (18 to 90) are as of Start.
	Start, End time.Time
}

// China is China Standard Time. Every time the city produces is in it.
var China = time.FixedZone("CST", 8*3600)

// DefaultStart is the start of the events when Config.Start is zero.
var DefaultStart = time.Date(2021, 1, 1, 0, 0, 0, 0, China)

// City is a generated city. Its methods are safe for concurrent use; each
// call to Events starts an independent stream.
type City struct {
	cfg      Config
	key      uint64
	startDay int64 // unix day of Start (China)
	days     int   // days of events

	// Identity numbers: a pseudo-random permutation of the slot space
	// (origin unit × birth-date unit × sex) maps person i to a unique slot.
	idPerm feistel
	vUnits uint64   // birth-date units
	uTab   []uint32 // origin unit → origin index << 16 | sub-slot
	vRecip uint64   // 2^52 / vUnits, rounded up: division by multiplication
	// Birth-date units come in one block per birth year: each day of the
	// year has the year's weight in units. A coarse index over the units
	// finds the block without a table as large as the units.
	years     []yearBlock
	yearIndex []uint8 // unit >> yearShift → the first block that may hold it

	phonePerm feistel // over 10^8 phone suffixes
	orgPerm   feistel // over 31^6 organisation-code bodies (post-2015 codes)
	oldPerm   feistel // over 10^8 (pre-2015 numeric codes)

	surnamesLocal, surnamesOther alias
	districts, orgTypes, inds    alias
	phonePrefixes                alias

	personRisk, personCivic, orgRisk tiers

	norm []float64 // per stream: the factor that keeps its yearly rate
}

// New checks cfg, fills its defaults and prepares the city.
func New(cfg Config) (*City, error) {
	if cfg.People < 1 || cfg.People > MaxPeople {
		return nil, fmt.Errorf("synth: people %d out of range 1..%d", cfg.People, MaxPeople)
	}
	if cfg.Orgs < 0 || cfg.Orgs > cfg.People {
		return nil, fmt.Errorf("synth: orgs %d out of range 0..%d (people)", cfg.Orgs, cfg.People)
	}
	if cfg.Orgs == 0 {
		cfg.Orgs = cfg.People / 20
	}
	if cfg.Start.IsZero() {
		cfg.Start = DefaultStart
	}
	if cfg.End.IsZero() {
		cfg.End = cfg.Start.AddDate(5, 0, 0)
	}
	y, m, d := cfg.Start.In(China).Date()
	cfg.Start = time.Date(y, m, d, 0, 0, 0, 0, China)
	y2, m2, d2 := cfg.End.In(China).Date()
	cfg.End = time.Date(y2, m2, d2, 0, 0, 0, 0, China)
	switch {
	case y < 1990 || y > 2100:
		return nil, fmt.Errorf("synth: start %s out of range 1990..2100", cfg.Start.Format(time.DateOnly))
	case !cfg.End.After(cfg.Start):
		return nil, fmt.Errorf("synth: end %s is not after start %s", cfg.End.Format(time.DateOnly), cfg.Start.Format(time.DateOnly))
	case cfg.End.After(cfg.Start.AddDate(MaxYears, 0, 0)):
		return nil, fmt.Errorf("synth: more than %d years of events", MaxYears)
	}
	c := &City{cfg: cfg, key: mix(uint64(cfg.Seed) ^ 0x6372656469746f21)}
	c.startDay = unixDay(y, int(m), d)
	c.days = int(unixDay(y2, int(m2), d2) - c.startDay)
	c.initIdentities()
	c.initEvents()
	return c, nil
}

// Config returns the configuration with its defaults filled in.
func (c *City) Config() Config { return c.cfg }

// People returns the population.
func (c *City) People() int { return c.cfg.People }

// Orgs returns the number of organisations.
func (c *City) Orgs() int { return c.cfg.Orgs }

// Stream keys: each purpose hashes (seed, purpose, index) on its own.
const (
	kPerson uint64 = iota + 1
	kOrg
	kDay
	kIDPerm
	kPhone
	kOrgCode
	kOldCode
	kRisk
	kCivic
	kOrgRisk
	kLegalRep
	kDriver
)

func (c *City) sub(purpose uint64) uint64 { return hash2(c.key, purpose) }

// birthWeight is the weight of a birth year in the population (1 to 8):
// Rongcheng's pyramid, old and greying, with the 1962–1975 baby boom.
func birthWeight(year int) int {
	switch {
	case year <= 1940:
		return 1
	case year <= 1945:
		return 2
	case year <= 1949:
		return 3
	case year <= 1953:
		return 5
	case year <= 1958:
		return 6
	case year <= 1961:
		return 4
	case year <= 1971:
		return 8
	case year <= 1975:
		return 7
	case year <= 1984:
		return 6
	case year <= 1990:
		return 7
	case year <= 1995:
		return 6
	case year <= 1999:
		return 5
	}
	return 4
}

func (c *City) initIdentities() {
	// Origins: unit u → (origin, sub-slot).
	for oi, o := range origins {
		for s := 0; s < o.weight; s++ {
			c.uTab = append(c.uTab, uint32(oi)<<16|uint32(s))
		}
	}
	// Birth dates: ages 18 to 90 at Start, each day weighted by its year.
	sy, sm, sd := c.cfg.Start.Date()
	first := unixDay(sy-91, int(sm), sd) + 1
	last := unixDay(sy-18, int(sm), sd)
	for y := civilYear(first); y <= civilYear(last); y++ {
		lo, hi := max(first, unixDay(y, 1, 1)), min(last, unixDay(y, 12, 31))
		w := birthWeight(y)
		c.years = append(c.years, yearBlock{start: uint32(c.vUnits), first: lo, days: uint32(hi - lo + 1), weight: uint32(w)})
		c.vUnits += uint64(hi-lo+1) * uint64(w)
	}
	for u, b := uint64(0), 0; u < c.vUnits; u += 1 << yearShift {
		for b+1 < len(c.years) && uint64(c.years[b+1].start) <= u {
			b++
		}
		c.yearIndex = append(c.yearIndex, uint8(b))
	}
	c.vRecip = (1<<52)/c.vUnits + 1
	slots := uint64(len(c.uTab)) * c.vUnits * 2
	if slots >= 1<<29 {
		panic("synth: identity slot space too large for the reciprocal division")
	}
	c.idPerm = newFeistel(slots, c.sub(kIDPerm))
	c.phonePerm = newFeistel(100_000_000, c.sub(kPhone))
	c.orgPerm = newFeistel(887_503_681, c.sub(kOrgCode)) // 31^6
	c.oldPerm = newFeistel(100_000_000, c.sub(kOldCode))

	w := make([]uint64, len(surnames))
	for i, s := range surnames {
		w[i] = s.weight * s.jiaodong
	}
	c.surnamesLocal = newAlias(w)
	w = make([]uint64, len(surnames))
	for i, s := range surnames {
		w[i] = s.weight * 10
	}
	c.surnamesOther = newAlias(w)
	w = make([]uint64, len(districts))
	for i, d := range districts {
		w[i] = d.weight
	}
	c.districts = newAlias(w)
	w = make([]uint64, len(orgTypes))
	for i, t := range orgTypes {
		w[i] = t.weight
	}
	c.orgTypes = newAlias(w)
	w = make([]uint64, len(industries))
	for i, t := range industries {
		w[i] = t.weight
	}
	c.inds = newAlias(w)
	w = make([]uint64, len(phonePrefixes))
	for i, p := range phonePrefixes {
		w[i] = p.weight
	}
	c.phonePrefixes = newAlias(w)

	n := uint64(c.cfg.People)
	c.personRisk = newTiers(n, c.sub(kRisk), riskTiers)
	c.personCivic = newTiers(n, c.sub(kCivic), civicTiers)
	c.orgRisk = newTiers(uint64(c.cfg.Orgs), c.sub(kOrgRisk), orgRiskTiers)
}

// yearBlock is a birth year's run of birth-date units: days·weight units
// from start, unit start+k·days+i being day first+i, sub-slot k.
type yearBlock struct {
	start  uint32
	days   uint32
	weight uint32
	first  int64 // unix day
}

// yearShift sets the coarse index: blocks are at least 365 units but for
// the first and last, so a lookup takes a step or two.
const yearShift = 9

func civilYear(d int64) int {
	y, _, _ := civil(d)
	return y
}

// birthUnit maps a birth-date unit to its day and sub-slot.
func (c *City) birthUnit(v uint64) (day int64, sub, weight int) {
	b := int(c.yearIndex[v>>yearShift])
	for b+1 < len(c.years) && uint64(c.years[b+1].start) <= v {
		b++
	}
	yb := &c.years[b]
	o := uint32(v) - yb.start
	k := o / yb.days
	return yb.first + int64(o-k*yb.days), int(k), int(yb.weight)
}

// Mobile number prefixes of the three carriers, weighted by their share.
var phonePrefixes = []struct {
	p      string
	weight uint64
}{
	{"134", 4}, {"135", 6}, {"136", 5}, {"137", 5}, {"138", 7}, {"139", 7}, {"147", 1},
	{"150", 4}, {"151", 4}, {"152", 3}, {"157", 2}, {"158", 4}, {"159", 4}, {"178", 2},
	{"182", 3}, {"183", 2}, {"187", 3}, {"188", 2}, {"198", 2}, {"130", 3}, {"131", 3},
	{"132", 3}, {"155", 2}, {"156", 3}, {"166", 1}, {"175", 1}, {"176", 2}, {"185", 2},
	{"186", 3}, {"133", 2}, {"153", 2}, {"173", 1}, {"177", 2}, {"180", 2}, {"181", 1},
	{"189", 3}, {"199", 1}, {"191", 1},
}

// tiers sort a population into propensity tiers without a table: an affine
// permutation of the indexes ranks everyone, and each tier is a range of
// ranks with its own weight. Drawing a tier by its mass and then a rank
// inside it picks a subject with probability proportional to its weight,
// in O(1), and the same few are picked again and again.
type tiers struct {
	n         uint64
	a, ainv   uint64
	b         uint64
	bounds    []uint64 // tier k holds ranks [bounds[k], bounds[k+1])
	pickTier  alias
	weightOf  []uint64
	hasPeople bool
}

// tierSpec is a tier's share of the population (per 10,000) and its weight
// (in hundredths) relative to the ordinary citizen.
type tierSpec struct{ share, weight uint64 }

var (
	// Most people keep out of trouble; one in a hundred is in it all the time.
	riskTiers = []tierSpec{{4500, 30}, {3500, 100}, {1500, 250}, {400, 600}, {100, 1500}}
	// Most never volunteer or donate; two in a hundred do it all the time.
	civicTiers = []tierSpec{{7000, 15}, {2000, 150}, {800, 500}, {200, 1500}}
	// Organisations: the few careless ones get most of the penalties.
	orgRiskTiers = []tierSpec{{6000, 40}, {3000, 150}, {800, 400}, {200, 1000}}
)

func newTiers(n, key uint64, spec []tierSpec) tiers {
	t := tiers{n: n}
	if n == 0 {
		return t
	}
	t.hasPeople = true
	t.b = hash2(key, 1) % n
	a := hash2(key, 2)%n | 1
	for gcd(a, n) != 1 {
		a++
	}
	t.a = a % n
	if n == 1 {
		t.a, t.ainv = 0, 0
	} else {
		t.ainv = modInverse(t.a, n)
	}
	var cum uint64
	t.bounds = append(t.bounds, 0)
	w := make([]uint64, len(spec))
	for k, s := range spec {
		cum += s.share
		hi := n * cum / 10000
		if k == len(spec)-1 {
			hi = n
		}
		w[k] = (hi - t.bounds[k]) * s.weight
		t.bounds = append(t.bounds, hi)
		t.weightOf = append(t.weightOf, s.weight)
	}
	if all0(w) {
		w[len(w)-1] = 1
	}
	t.pickTier = newAlias(w)
	return t
}

func all0(w []uint64) bool {
	for _, x := range w {
		if x != 0 {
			return false
		}
	}
	return true
}

// rank is i's place in the tier order. (n ≤ MaxPeople keeps the products
// far inside 64 bits.)
func (t *tiers) rank(i uint64) uint64 { return (t.a*i%t.n + t.b) % t.n }

// index is the inverse of rank.
func (t *tiers) index(rank uint64) uint64 { return t.ainv * ((rank + t.n - t.b) % t.n) % t.n }

// draw picks a subject index weighted by tier.
func (t *tiers) draw(r *rng) int {
	k := t.pickTier.draw(r)
	lo, hi := t.bounds[k], t.bounds[k+1]
	if hi == lo {
		return int(t.index(0))
	}
	return int(t.index(lo + uint64(r.intn(int(hi-lo)))))
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// modInverse returns x with a·x ≡ 1 (mod n), for gcd(a, n) = 1.
func modInverse(a, n uint64) uint64 {
	t, nt := int64(0), int64(1)
	r, nr := int64(n), int64(a)
	for nr != 0 {
		q := r / nr
		t, nt = nt, t-q*nt
		r, nr = nr, r-q*nr
	}
	if t < 0 {
		t += int64(n)
	}
	return uint64(t)
}

// unixDay is the number of days from 1970-01-01 to y-m-d (proleptic
// Gregorian; Howard Hinnant's days_from_civil).
func unixDay(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// civil is the inverse of unixDay. It is on the path of every timestamp
// written, so for the days of years 0 to 9999 it is Cassio Neri and Lorenz
// Schneider's algorithm ("Euclidean affine functions and their application
// to calendar algorithms", 2022): unsigned 32-bit products and shifts, no
// division left to the processor. TestCivil checks it against civilSlow
// on every day of those years.
func civil(z int64) (y, m, d int) {
	if z < civilFirst || z > civilLast {
		return civilSlow(z)
	}
	const (
		s = 82 // 400-year cycles added, so that everything is unsigned
		k = 719468 + 146097*s
		l = 400 * s
	)
	n := uint32(z + k)
	// Century.
	n1 := 4*n + 3
	c := n1 / 146097
	nc := n1 % 146097 / 4
	// Year.
	n2 := 4*nc + 3
	p2 := uint64(2939745) * uint64(n2)
	yc := uint32(p2 >> 32)
	ny := uint32(p2) / 2939745 / 4
	yy := 100*c + yc
	// Month and day, in a year from March.
	n3 := 2141*ny + 197913
	mm := n3 >> 16
	dd := n3 & 0xffff / 2141
	if ny >= 306 { // January or February: the next year
		yy++
		mm -= 12
	}
	return int(yy) - l, int(mm), int(dd) + 1
}

// The days civil computes itself: 0000-01-01 to 9999-12-31.
const (
	civilFirst int64 = -719528
	civilLast  int64 = 2932896
)

// civilSlow is civil for any day (Howard Hinnant's civil_from_days).
func civilSlow(z int64) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}
