package synth

import "github.com/credo-org/credo"

// hotPeople keeps the hottest people of a pool — the top ranks of its
// tiers, whom the draws pick again and again — once computed: a cached
// person is neither computed nor written again, and every record about
// them shares one copy of their identity's strings (strings handed out are
// never written again, so sharing them is safe). A person is a pure
// function of the seed and the index, so the cache changes nothing but the
// time. Its size is bounded, so memory does not grow with the city.
type hotPeople struct {
	t       *tiers
	lo      uint64 // ranks lo to n-1 are kept, rank r in slot r-lo
	entries []hotPerson
	scratch []byte
}

// hotPerson is what a drawn person's records need: eligibility (age, sex,
// licence), identity and home. Once filled it is never written again, so
// that the planner can hand the expander a pointer to it.
type hotPerson struct {
	filled       bool
	male, driver bool
	y, md        int16 // birth year, and month*100 + day
	home         home
	id           credo.Identity
}

// hotPeopleMax bounds a cache: a few megabytes. It holds the top tier or
// two of a million people, and most of the draws in a city of 100,000.
const hotPeopleMax = 1 << 15

func newHotPeople(t *tiers) hotPeople {
	size := min(t.n, hotPeopleMax)
	return hotPeople{t: t, lo: t.n - size, entries: make([]hotPerson, size)}
}

// slot returns the slot of the person of rank r, and whether the cache
// keeps them.
func (h *hotPeople) slot(rank uint64) (uint32, bool) {
	if rank < h.lo {
		return 0, false
	}
	return uint32(rank - h.lo), true
}

// put writes p, fully computed, into slot k: its identity in one string.
func (h *hotPeople) put(k uint32, p *personCore) {
	b := h.scratch[:0]
	b = p.appendID(b)
	n1 := len(b)
	b = p.appendName(b)
	n2 := len(b)
	b = appendDate(b, p.y, p.m, p.d)
	n3 := len(b)
	b = p.appendPhone(b)
	n4 := len(b)
	b = p.appendAddress(b)
	h.scratch = b
	s := string(b)
	h.entries[k] = hotPerson{
		filled: true, male: p.male, driver: p.driver, y: int16(p.y), md: int16(p.m*100 + p.d), home: p.home(),
		id: credo.Identity{IDNumber: s[:n1], Name: s[n1:n2], BirthDate: s[n2:n3], Sex: p.sex(), Phone: s[n3:n4], Address: s[n4:]},
	}
}

// hot returns the maker's cache of a pool's hottest people, made on first
// use.
func (m *maker) hot(civic bool) *hotPeople {
	h, t := &m.hotRisk, &m.c.personRisk
	if civic {
		h, t = &m.hotCivic, &m.c.personCivic
	}
	if h.t == nil {
		*h = newHotPeople(t)
	}
	return h
}

// person writes person i's identity into id and returns their home: from
// a cache when i is among the hottest of a pool, else computed afresh.
func (m *maker) person(i int, id *credo.Identity) home {
	for _, h := range [...]*hotPeople{m.hot(false), m.hot(true)} {
		k, ok := h.slot(h.t.rank(uint64(i)))
		if !ok {
			continue
		}
		e := &h.entries[k]
		if !e.filled {
			m.c.core(i, &m.pc)
			h.put(k, &m.pc)
		}
		*id = e.id
		return e.home
	}
	m.c.core(i, &m.pc)
	m.personIdentity(id)
	return m.pc.home()
}

// cachedName returns person i's name if a cache holds them.
func (m *maker) cachedName(i int) (string, bool) {
	for _, h := range [...]*hotPeople{m.hot(false), m.hot(true)} {
		if k, ok := h.slot(h.t.rank(uint64(i))); ok && h.entries[k].filled {
			return h.entries[k].id.Name, true
		}
	}
	return "", false
}
