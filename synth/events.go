package synth

import (
	"iter"
	"runtime"
	"slices"
	"strconv"
	"time"
	"unsafe"

	"github.com/credo-org/credo"
)

// Event is one record the city's agencies produce, with the truth about it.
type Event struct {
	// Record is fully formed: its subject resolved to the true identifier,
	// its Identity filled as the agency sent it. Seq, ID and Hash are left
	// for the ledger.
	Record credo.Record
	// Subject and Index say whom the record is really about: person Index
	// or organisation Index.
	Subject credo.SubjectKind
	Index   int

	// subject is the record's subject and identity as JSON, written with
	// them (see personIdentity); AppendEventJSON copies it while the
	// record still holds what it was written from. plain notes the rest
	// of the record's strings, which need no escaping.
	subject fragment
	plain   plainStrings
}

// Events streams the city's events in order of occurrence, day by day from
// Start to End, in memory that does not depend on the number of days.
//
// The *Event yielded is reused: it is valid until the next iteration. To
// keep a record, copy it (a plain struct copy is enough: the strings and
// the attribute slice an event points to are never written again).
//
// With more than one processor, a second goroutine plans each day (which
// events, about whom, and their identities) while the day before is
// yielded; the stream is the same either way.
func (c *City) Events() iter.Seq[*Event] {
	return func(yield func(*Event) bool) {
		g := newGen(c)
		if runtime.GOMAXPROCS(0) < 2 || c.days < 2 {
			p := &planner{maker: maker{c: c}}
			var b dayBatch
			for d := 0; d < c.days; {
				d = p.plan(d, &b)
				if !g.emitBatch(&b, yield) {
					return
				}
			}
			return
		}
		// Three batches in flight: one planned, one handed over, one
		// expanded.
		full := make(chan *dayBatch, 1)
		free := make(chan *dayBatch, 3)
		for range cap(free) {
			free <- new(dayBatch)
		}
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer close(full)
			p := &planner{maker: maker{c: c}}
			for d := 0; d < c.days; {
				var b *dayBatch
				select {
				case b = <-free:
				case <-stop:
					return
				}
				d = p.plan(d, b)
				select {
				case full <- b:
				case <-stop:
					return
				}
			}
		}()
		defer func() {
			close(stop)
			<-done
		}()
		for b := range full {
			if !g.emitBatch(b, yield) {
				return
			}
			free <- b
		}
	}
}

// stub is an event planned for a day: enough to expand it later. Events
// caused by earlier ones (follow-ups) carry what they inherit.
type stub struct {
	sec     int32 // second of the local day
	kind    uint8
	org     bool
	subj    int32 // subject index, or -1 to draw at expansion
	stream  int16 // the stream, for a drawn subject
	variant uint8
	cause   uint8 // index into causes, inherited (0: none)
	amount  int64 // fen, inherited
	ref     caseRef
	link    uint64 // the seed of the event that caused this one
	seed    uint64
}

// caseRef names an earlier record's document: a court case or a decision.
type caseRef struct {
	series uint8
	year   int16
	n      int32
}

type followUp struct {
	day   int64
	order uint64
	st    stub
}

// dayBatch is one or more consecutive days as the planner hands them over:
// the days' own events, each with its subject drawn and identity written.
// Day first+i's events are stubs[ends[i-1]:ends[i]] (from 0 for i = 0).
type dayBatch struct {
	first int
	ends  []int
	stubs []stub
	preps []prep
}

// A batch takes days until it holds batchEvents events or batchDays days,
// so that a small city does not hand over every day on its own.
const (
	batchEvents = 512
	batchDays   = 32
)

// plan fills b with days from d on and returns the next day to plan.
func (p *planner) plan(d int, b *dayBatch) int {
	b.first, b.ends, b.stubs, b.preps = d, b.ends[:0], b.stubs[:0], b.preps[:0]
	for d < p.c.days && len(b.stubs) < batchEvents && len(b.ends) < batchDays {
		p.planDay(d, b)
		b.ends = append(b.ends, len(b.stubs))
		d++
	}
	return d
}

// prep is a planned event's subject.
type prep struct {
	subject credo.SubjectKind
	index   int
	id      credo.Identity
	frag    fragment
	home    home
}

// home is what a record may say of its person beyond the identity.
type home struct {
	plate                             [5]byte
	district, place, vprefix, vsuffix uint8
}

func (p *personCore) home() home {
	return home{p.plate, uint8(p.district), uint8(p.place), uint8(p.vprefix), uint8(p.vsuffix)}
}

// maker draws subjects and writes their identities; the planner and the
// expander each have one.
type maker struct {
	c       *City
	ar      arena
	day     int64 // unix day
	dayUnix int64 // its midnight, unix seconds
	year    int
	month   int
	md      int // month*100 + day
	pc      personCore
	oc      orgCore
}

func (m *maker) setDay(d int) {
	m.day = m.c.startDay + int64(d)
	m.dayUnix = m.day * 86400
	y, mo, dd := civil(m.day)
	m.year, m.month, m.md = y, mo, mo*100+dd
}

func (m *maker) rng() *rng { return &m.ar.r }

// planner plans days: which events, when, about whom.
type planner struct {
	maker
}

// gen expands planned events into records, in order, and keeps what spans
// days: the serial numbers of each agency's documents and the follow-ups
// events cause.
type gen struct {
	maker
	ev    Event
	keys  []uint64   // a day's events by time; see emitDay
	extra []stub     // the follow-ups due on the day being expanded
	later []followUp // min-heap by (day, order)
	order uint64

	serial  [nSeries]serialCounter
	link    uint64     // the seed of the chain the event belongs to
	onSite  bool       // recorded on the spot
	home    home       // the person's, when the subject is a person
	counter personCore // a counterparty
}

type serialCounter struct {
	year int
	n    int32
}

func newGen(c *City) *gen {
	return &gen{maker: maker{c: c}}
}

// initEvents computes each stream's normalisation so that its yearly rate
// holds whatever its weekly and seasonal pattern.
func (c *City) initEvents() {
	c.norm = make([]float64, len(streams))
	base := unixDay(2021, 1, 1)
	for i := range streams {
		s := &streams[i]
		var sum float64
		for d := base; d < base+1461; d++ {
			sum += s.factor(d)
		}
		c.norm[i] = 1461 / sum
	}
}

// planDay appends to b day d's own events (not the follow-ups of earlier
// ones), their subjects drawn and identities written.
func (p *planner) planDay(d int, b *dayBatch) {
	c := p.c
	p.setDay(d)
	base := len(b.stubs)
	r := newRNG(hash2(c.key^kDay, uint64(d)))
	for si := range streams {
		s := &streams[si]
		n := float64(c.cfg.People)
		if s.org {
			n = float64(c.cfg.Orgs)
		}
		if n == 0 {
			continue
		}
		f := s.factor(p.day)
		if f == 0 {
			continue
		}
		lambda := s.rate * n / 365.2425 * f * c.norm[si]
		for range r.count(lambda) {
			b.stubs = append(b.stubs, stub{
				sec:    drawSecond(&r, timing[s.kind].hours),
				kind:   uint8(s.kind),
				org:    s.org,
				subj:   -1,
				stream: int16(si),
				seed:   r.next(),
			})
		}
	}
	// Subjects. An event for which the draws find nobody eligible (a tiny
	// city, or no organisation registered yet) does not happen.
	b.preps = slices.Grow(b.preps, len(b.stubs)-base)[:len(b.stubs)]
	kept := base
	for k := base; k < len(b.stubs); k++ {
		st := b.stubs[k]
		pp := &b.preps[kept]
		p.ar.r = newRNG(st.seed)
		s := &streams[st.stream]
		if st.org {
			if !p.drawOrg(s) {
				continue
			}
			pp.subject, pp.index = credo.Organization, p.oc.index
			pp.frag = p.orgIdentity(&pp.id)
		} else {
			if !p.drawPerson(s) {
				continue
			}
			pp.subject, pp.index = credo.Person, p.pc.index
			pp.frag = p.personIdentity(&pp.id)
			pp.home = p.pc.home()
		}
		b.stubs[kept] = st
		kept++
	}
	b.stubs, b.preps = b.stubs[:kept], b.preps[:kept]
}

// emitBatch expands and yields a batch's days in turn.
func (g *gen) emitBatch(b *dayBatch, yield func(*Event) bool) bool {
	lo := 0
	for i, hi := range b.ends {
		if !g.emitDay(b.first+i, b.stubs[lo:hi], b.preps[lo:hi], yield) {
			return false
		}
		lo = hi
	}
	return true
}

// emitDay merges the follow-ups due on day d with the day's own events,
// expands them in order of occurrence and yields them.
func (g *gen) emitDay(d int, own []stub, preps []prep, yield func(*Event) bool) bool {
	g.setDay(d)
	g.extra = g.extra[:0]
	for len(g.later) > 0 && g.later[0].day <= g.day {
		f := g.popLater()
		if f.day == g.day {
			g.extra = append(g.extra, f.st)
		}
	}
	// Keys: second << 32, then the stub: its index among the day's own, or
	// with the top bit set among the follow-ups.
	g.keys = g.keys[:0]
	for k := range own {
		g.keys = append(g.keys, uint64(own[k].sec)<<32|uint64(k))
	}
	for k := range g.extra {
		g.keys = append(g.keys, uint64(g.extra[k].sec)<<32|1<<31|uint64(k))
	}
	slices.Sort(g.keys)
	for _, key := range g.keys {
		if k := uint32(key); k&(1<<31) == 0 {
			g.expand(&own[k], &preps[k])
		} else {
			g.expand(&g.extra[k&^(1<<31)], nil)
		}
		if !yield(&g.ev) {
			return false
		}
	}
	return true
}

func drawSecond(r *rng, profile int) int32 {
	h := hourAlias[profile].draw(r)
	return int32(h*3600 + r.intn(3600))
}

// schedule plans a follow-up after 'after' to 'upto' days, if it falls
// before the end of the events.
func (g *gen) schedule(st stub, after, upto int) {
	d := g.day + int64(after+g.rng().intn(upto-after+1))
	if d >= g.c.startDay+int64(g.c.days) {
		return
	}
	st.sec = drawSecond(g.rng(), timing[st.kind].hours)
	st.seed = g.rng().next()
	g.order++
	g.later = append(g.later, followUp{day: d, order: g.order, st: st})
	// sift up
	h := g.later
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !laterLess(&h[i], &h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func laterLess(a, b *followUp) bool {
	if a.day != b.day {
		return a.day < b.day
	}
	return a.order < b.order
}

func (g *gen) popLater() followUp {
	h := g.later
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && laterLess(&h[r], &h[l]) {
			m = r
		}
		if !laterLess(&h[m], &h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	g.later = h
	return top
}

// arena hands out strings and attribute slices carved from large chunks, so
// that an event costs no allocation of its own. Nothing handed out is ever
// written again.
type arena struct {
	b     []byte
	attrs []credo.Attribute
	r     rng // the expanding event's random stream
}

const (
	arenaBytesDefault = 16 << 10
	arenaAttrsDefault = 256
)

var (
	arenaBytes = arenaBytesDefault
	arenaAttrs = arenaAttrsDefault
)

// begin makes room for a string of up to n bytes and returns its start.
func (a *arena) begin(n int) int {
	if cap(a.b)-len(a.b) < n {
		a.b = make([]byte, 0, max(arenaBytes, n))
	}
	return len(a.b)
}

// end returns the bytes appended since start as a string.
func (a *arena) end(start int) string {
	if len(a.b) == start {
		return ""
	}
	return unsafe.String(&a.b[start], len(a.b)-start)
}

func (a *arena) attributes(n int) credo.Attributes {
	if cap(a.attrs)-len(a.attrs) < n {
		a.attrs = make([]credo.Attribute, 0, arenaAttrs)
	}
	l := len(a.attrs)
	a.attrs = a.attrs[:l+n]
	return a.attrs[l : l : l+n]
}

// Document series and their serial numbers, counted per year.
const (
	serTraffic = iota
	serCourtCivil
	serCourtExec
	serCourtCriminal
	serBank
	serHousing
	serTax
	serUtility
	serMarketContract
	serMarketPenalty
	serMarketAbnormal
	serMarketSerious
	serPolice
	serCityMgmt
	serVolunteer
	serDonation
	serBlood
	serMarrow
	serOrgan
	serAwardCity
	serAwardProvince
	serAwardNation
	nSeries
)

func (g *gen) next(series int) caseRef {
	s := &g.serial[series]
	if s.year != g.year {
		s.year, s.n = g.year, 0
	}
	s.n++
	return caseRef{series: uint8(series), year: int16(g.year), n: s.n}
}

// appendRef writes a document number in its agency's style.
func (g *gen) appendRef(b []byte, ref caseRef) []byte {
	y := int(ref.year)
	n := int(ref.n)
	switch int(ref.series) {
	case serCourtCivil, serCourtExec, serCourtCriminal:
		b = append(b, "（"...)
		b = strconv.AppendInt(b, int64(y), 10)
		b = append(b, "）"...)
		b = append(b, courtCode...)
		b = append(b, [...]string{serCourtCivil: "民初", serCourtExec: "执", serCourtCriminal: "刑初"}[ref.series]...)
		b = strconv.AppendInt(b, int64(n), 10)
		return append(b, "号"...)
	case serTraffic:
		b = strconv.AppendInt(b, cityCode, 10)
		b = strconv.AppendInt(b, int64(y), 10)
		return appendPadded(b, n, 8)
	case serHousing:
		b = append(b, "WY"...)
		b = strconv.AppendInt(b, int64(y), 10)
		return appendPadded(b, n, 7)
	case serVolunteer:
		b = append(b, "ZYFW3710"...)
		b = strconv.AppendInt(b, int64(y), 10)
		return appendPadded(b, n, 8)
	case serDonation:
		b = append(b, "鲁财捐"...)
		b = strconv.AppendInt(b, int64(y), 10)
		return appendPadded(b, n, 8)
	case serBlood:
		b = append(b, "3710"...)
		b = strconv.AppendInt(b, int64(y), 10)
		return appendPadded(b, n, 8)
	case serMarrow:
		b = append(b, "CMDP-SD-"...)
		b = strconv.AppendInt(b, int64(y), 10)
		b = append(b, '-')
		return appendPadded(b, n, 4)
	case serOrgan:
		b = append(b, "COTRS-"...)
		b = strconv.AppendInt(b, int64(y), 10)
		b = append(b, '-')
		return appendPadded(b, n, 5)
	}
	prefix := [nSeries]string{
		serTax:            "荣税通",
		serMarketContract: "荣市监合",
		serMarketPenalty:  "荣市监罚",
		serMarketAbnormal: "荣市监异",
		serMarketSerious:  "荣市监严",
		serPolice:         "荣公（治）行罚决字",
		serCityMgmt:       "荣综执罚",
		serAwardCity:      "荣文明",
		serAwardProvince:  "鲁文明",
		serAwardNation:    "文明委",
	}[ref.series]
	b = append(b, prefix...)
	b = append(b, "〔"...)
	b = strconv.AppendInt(b, int64(y), 10)
	b = append(b, "〕"...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, "号"...)
}

func (g *gen) refString(ref caseRef, suffix string) string {
	s := g.ar.begin(128)
	g.ar.b = g.appendRef(g.ar.b, ref)
	g.ar.b = append(g.ar.b, suffix...)
	return g.ar.end(s)
}

// eligible reports whether person p can be the subject of a stream's event
// today.
func (g *maker) eligible(e int, p *personCore) bool {
	switch e {
	case eAny:
		return true
	case eDriver:
		return p.driver && g.age(p) < 80
	case eDrinker:
		return p.driver && g.age(p) < 75 && (p.male || g.rng().intn(5) == 0)
	case eBorrower:
		a := g.age(p)
		return a >= 20 && a <= 70
	case eWorking:
		a := g.age(p)
		return a >= 22 && a <= 70
	case eYoung:
		return g.age(p) <= 65
	case eVolunteer:
		return g.age(p) <= 80
	case eBlood:
		return g.age(p) <= 60
	case eMarrow:
		return g.age(p) <= 45
	}
	return true
}

// age is p's age today.
func (g *maker) age(p *personCore) int {
	a := g.year - p.y
	if g.md < p.m*100+p.d {
		a--
	}
	return a
}

// drawPerson picks a person for a stream, by tier, until one is eligible,
// and computes the whole of g.pc. In a city too small to have an eligible
// person among the draws it reports false.
func (g *maker) drawPerson(s *stream) bool {
	t := &g.c.personRisk
	if s.pool == poolCivic {
		t = &g.c.personCivic
	}
	driver := s.elig == eDriver || s.elig == eDrinker
	for range 32 {
		i := t.draw(g.rng())
		if driver && g.c.licence(i) >= maxDriverPermille {
			continue // no licence, whoever it is
		}
		g.c.coreID(i, &g.pc)
		if g.eligible(s.elig, &g.pc) {
			g.c.coreRest(i, &g.pc)
			return true
		}
	}
	return false
}

// drawOrg picks an organisation registered by today into g.oc, or reports
// false when none of the draws was.
func (g *maker) drawOrg(s *stream) bool {
	for range 32 {
		var j int
		if s.pool == poolOrgAny {
			j = g.rng().intn(g.c.cfg.Orgs)
		} else {
			j = g.c.orgRisk.draw(g.rng())
		}
		g.c.orgCore(j, &g.oc)
		if g.oc.reg <= g.day {
			g.oc.index = j
			return true
		}
	}
	return false
}

// expand turns a stub into g.ev: pp is its subject when the planner drew
// one, nil for a follow-up, whose subject is the stub's.
func (g *gen) expand(st *stub, pp *prep) {
	// The fields below and the subject's are set afresh for every event and
	// the rest are never set, so the record is not cleared as a whole.
	rec := &g.ev.Record
	rec.SourceRecordID, rec.LegalBasis, rec.Evidence, rec.Attributes = "", "", "", nil
	k := int(st.kind)
	info := &kindInfo[k]
	rec.Kind = info.Name
	rec.Source = info.Source
	rec.Polarity = info.Polarity

	// The subject.
	switch {
	case pp != nil:
		g.ev.Subject, g.ev.Index = pp.subject, pp.index
		rec.Identity = pp.id
		g.ev.subject = pp.frag
		g.home = pp.home
	case st.org:
		g.ev.Subject, g.ev.Index = credo.Organization, int(st.subj)
		g.c.orgCore(int(st.subj), &g.oc)
		g.ev.subject = g.orgIdentity(&rec.Identity)
	default:
		g.ev.Subject, g.ev.Index = credo.Person, int(st.subj)
		g.c.core(int(st.subj), &g.pc)
		g.ev.subject = g.personIdentity(&rec.Identity)
		g.home = g.pc.home()
	}
	rec.Subject = credo.SubjectRef{Kind: g.ev.Subject, ID: rec.Identity.IDNumber}
	if g.ev.subject.json != "" {
		rec.Subject.ID = g.ev.subject.value(fragSubjectID) // the same text, where the fragment has it
	}

	// When.
	g.ar.r = newRNG(st.seed ^ 0x66696c6c)
	r := g.rng()
	g.link = st.link
	if g.link == 0 {
		g.link = st.seed
	}
	t := timing[k]
	occ := g.dayUnix - 8*3600 + int64(st.sec)
	lag := t.lagMin + r.intn(t.lagMax-t.lagMin+1)
	g.onSite = t.onSite > 0 && r.chance(t.onSite)
	if g.onSite {
		lag = 600 + r.intn(2*hour)
	}
	rec.OccurredAt = time.Unix(occ, 0).In(China)
	rec.RecordedAt = time.Unix(occ+int64(lag), 0).In(China)

	g.fill(k, st)
	g.notePlain(k)
}

// personStrings writes m.pc's identity as strings of their own.
func (m *maker) personStrings(id *credo.Identity) {
	p := &m.pc
	a := &m.ar
	s := a.begin(512)
	a.b = p.appendID(a.b)
	id.IDNumber = a.end(s)
	s = len(a.b)
	a.b = p.appendName(a.b)
	id.Name = a.end(s)
	s = len(a.b)
	a.b = appendDate(a.b, p.y, p.m, p.d)
	id.BirthDate = a.end(s)
	s = len(a.b)
	a.b = p.appendPhone(a.b)
	id.Phone = a.end(s)
	s = len(a.b)
	a.b = p.appendAddress(a.b)
	id.Address = a.end(s)
	id.Sex = p.sex()
}

// orgStrings writes m.oc's identity as strings of their own.
func (m *maker) orgStrings(id *credo.Identity) {
	o := &m.oc
	a := &m.ar
	s := a.begin(512)
	a.b = o.appendUSCC(a.b)
	id.IDNumber = a.end(s)
	s = len(a.b)
	a.b = o.appendName(a.b)
	id.Name = a.end(s)
	s = len(a.b)
	a.b = o.appendPhone(a.b)
	id.Phone = a.end(s)
	s = len(a.b)
	a.b = o.appendAddress(a.b)
	id.Address = a.end(s)
	id.BirthDate, id.Sex = "", credo.SexUnknown
}
