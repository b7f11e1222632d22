package policy

import (
	"math"
	"slices"
	"time"

	"github.com/credo-org/credo"
)

// The quick aggregation of a full recompute. Most subjects' records hit
// only plain point rules (no direct grade, no list, no cumulative rule, no
// act expression): their standing is the base plus the points still
// valid, with repeats and caps, graded by band. An Aggregator computes
// exactly that from (occurrence, hits) pairs — no record, no contribution
// built — and says when a subject's records ask for more, which the caller
// then computes with Standing from its full records. Both give the same
// score, grade, lists and next change (a test compares them subject by
// subject); the quick one keeps no contributions.

// Event is one record as the quick aggregation sees it: when it occurred
// (Unix nanoseconds) and the clauses it hit.
type Event struct {
	At   int64
	Hits []Hit
}

// QuickOK reports whether the program's standings can be aggregated
// quickly, and stored without their contributions, at all: it has no list
// decided on the standing (whose condition may read every record), and no
// measure reads standing.kinds (which Decide counts from a standing's
// contributions).
func (p *Program) QuickOK() bool {
	if p.measureKinds {
		return false
	}
	for _, l := range p.lists {
		if l.standing {
			return false
		}
	}
	return true
}

// Projectable reports whether what a record of kind hits depends only on
// its kind, polarity and attributes (and not on its being linked or on
// anything else of it): every clause that may take it runs as plain Go or
// as CEL that reads only those. Only then may hits be computed once per
// distinct (kind, polarity, attributes).
func (p *Program) Projectable(kind string) bool {
	for _, set := range [2][]int32{p.byKind[kind], p.anyKind} {
		for _, ci := range set {
			m := p.matchers[ci]
			if !m.fast && m.cond != nil && !m.condTuple {
				return false
			}
			if m.what == mRule && ((!m.numFast && m.numPrg != nil && !m.numTuple) || (m.actPrg != nil && !m.actTuple)) {
				return false
			}
		}
	}
	return true
}

// Simple reports whether hits are point rules the quick aggregation takes:
// no direct grade, no list, no cumulative rule.
func (p *Program) Simple(hits []Hit) bool {
	for _, h := range hits {
		m := p.matchers[h.Clause]
		if m.what != mRule || p.rules[m.idx].tiers != nil {
			return false
		}
	}
	return true
}

// Aggregator computes quick standings as of one time. It is not safe for
// concurrent use: each goroutine makes its own.
type Aggregator struct {
	p      *Program
	asOf   time.Time
	asOfN  int64
	durs   []Duration  // the validities met so far
	shifts []dayShifts // per validity: day → the day it ends
	evs    []Event
	hist   []prior
	caps   []capUse
}

// dayShifts memoises a validity's end by day: days near the first one met
// in a slice, the rest in a map.
type dayShifts struct {
	base int64
	ends []int64 // day base+i → its end + 1; 0: not computed yet
	far  map[int64]int64
}

const shiftSpan = 1 << 14 // days, about 45 years

type prior struct {
	group       string
	from, until int64
}

type capUse struct {
	key  capKey
	used float64
}

// NewAggregator returns an Aggregator of standings as of asOf.
func (p *Program) NewAggregator(asOf time.Time) *Aggregator {
	return &Aggregator{p: p, asOf: asOf, asOfN: asOf.UnixNano()}
}

const nsDay = int64(24 * time.Hour)

// after is d.After(t) for t in UTC, by the day: a calendar duration moves
// the date and keeps the clock.
func (a *Aggregator) after(d Duration, at int64) int64 {
	day := at / nsDay
	if at%nsDay < 0 {
		day--
	}
	di := slices.Index(a.durs, d)
	if di < 0 {
		a.durs = append(a.durs, d)
		a.shifts = append(a.shifts, dayShifts{base: day - shiftSpan/2, ends: make([]int64, shiftSpan), far: map[int64]int64{}})
		di = len(a.durs) - 1
	}
	sh := &a.shifts[di]
	end := func() int64 { return d.After(time.Unix(0, day*nsDay).UTC()).UnixNano() / nsDay }
	var e int64
	if i := day - sh.base; i >= 0 && i < shiftSpan {
		if sh.ends[i] == 0 {
			sh.ends[i] = end() + 1
		}
		e = sh.ends[i] - 1
	} else {
		var ok bool
		if e, ok = sh.far[day]; !ok {
			e = end()
			sh.far[day] = e
		}
	}
	return e*nsDay + (at - day*nsDay)
}

// Standing computes subject's standing from its events, or reports false
// when they ask for more than the quick aggregation does (hits that are
// not Simple, two records at the same moment): the caller then computes
// it with Standing. The standing has no contributions.
func (a *Aggregator) Standing(subject credo.SubjectRef, events []Event) (credo.Standing, bool) {
	var st credo.Standing
	ok := a.Fill(&st, subject, events)
	return st, ok
}

// Fill is Standing into *st, which it overwrites only when it reports
// true.
func (a *Aggregator) Fill(st *credo.Standing, subject credo.SubjectRef, events []Event) bool {
	q, ok := a.Quick(events)
	if ok {
		a.p.QuickStanding(st, subject, a.asOf, q)
	}
	return ok
}

// Quick is what a quick standing comes to: its score, its grade band (by
// number) and its next change (Unix nanoseconds; 0 when none). A million
// of them hold no pointer; QuickStanding makes the standing of one.
type Quick struct {
	Score float64
	Next  int64
	Band  int
}

// QuickStanding fills *st with subject's standing as of asOf that q
// describes.
func (p *Program) QuickStanding(st *credo.Standing, subject credo.SubjectRef, asOf time.Time, q Quick) {
	st.Subject, st.Jurisdiction, st.PolicyVersion, st.AsOf, st.Score = subject, p.Jurisdiction, p.versionID, asOf, q.Score
	st.Lists, st.Contributions = []credo.Membership{}, nil
	st.Grade = p.grades[q.Band].grade
	st.GradeReason = credo.GradeReason{By: "band", Band: p.grades[q.Band].label}
	st.NextChange = time.Time{}
	if q.Next != 0 {
		st.NextChange = time.Unix(0, q.Next).UTC()
	}
}

// Quick computes the quick standing of a subject with these events, or
// reports false (see Standing).
func (a *Aggregator) Quick(events []Event) (Quick, bool) {
	p := a.p
	evs := a.evs[:0]
	for _, e := range events {
		if e.At <= a.asOfN {
			if !p.Simple(e.Hits) {
				return Quick{}, false
			}
			evs = append(evs, e)
		}
	}
	slices.SortFunc(evs, func(x, y Event) int {
		switch {
		case x.At < y.At:
			return -1
		case x.At > y.At:
			return 1
		}
		return 0
	})
	a.evs = evs
	for i := 1; i < len(evs); i++ {
		if evs[i].At == evs[i-1].At {
			return Quick{}, false // the order of two records then goes by their ids
		}
	}
	a.hist, a.caps = a.hist[:0], a.caps[:0]
	// one act scored once: the hits of an act (the act expression's, or
	// else the record's own) count only the first of the largest
	var acts map[string][2]int // act → winning (event, hit)
	for i, e := range evs {
		for j, h := range e.Hits {
			if h.Act == "" {
				continue
			}
			if acts == nil {
				acts = map[string][2]int{}
			}
			if w, ok := acts[h.Act]; !ok || math.Abs(h.Value) > math.Abs(evs[w[0]].Hits[w[1]].Value) {
				acts[h.Act] = [2]int{i, j}
			}
		}
	}
	score := p.base
	var next int64
	for i, e := range evs {
		w := -1
		for j, h := range e.Hits {
			if h.Act == "" && (w < 0 || math.Abs(h.Value) > math.Abs(e.Hits[w].Value)) {
				w = j
			}
		}
		for j, h := range e.Hits {
			won := j == w
			if h.Act != "" {
				won = acts[h.Act] == [2]int{i, j}
			}
			r := p.rules[p.matchers[h.Clause].idx]
			pts := h.Value
			until := a.after(p.validFor(r.validFor, pts), e.At)
			if !won {
				pts = 0 // one act scored once
			} else {
				if rp := r.repeat; rp != nil {
					for _, pr := range a.hist {
						if pr.group == r.repeatGroup && e.At >= pr.from && e.At < pr.until {
							pts *= rp.Factor
							break
						}
					}
					a.hist = append(a.hist, prior{r.repeatGroup, e.At, until})
				}
				if cp := r.cap; cp != nil {
					key := capKey{r.capGroup, period(time.Unix(0, e.At).In(p.loc), cp.Per)}
					ci := slices.IndexFunc(a.caps, func(c capUse) bool { return c.key == key })
					if ci < 0 {
						a.caps = append(a.caps, capUse{key: key})
						ci = len(a.caps) - 1
					}
					used := a.caps[ci].used
					switch {
					case cp.Max != nil && pts > 0 && used+pts > *cp.Max:
						pts = max(*cp.Max-used, 0)
					case cp.Min != nil && pts < 0 && used+pts < *cp.Min:
						pts = min(*cp.Min-used, 0)
					}
					a.caps[ci].used = used + pts
				}
			}
			if until > a.asOfN {
				if next == 0 || until < next {
					next = until
				}
				score += pts
			}
		}
	}
	score = min(max(score, p.min), p.max)
	bi := len(p.grades) - 1
	for i, b := range p.grades {
		if score >= b.min {
			bi = i
			break
		}
	}
	return Quick{Score: score, Next: next, Band: bi}, true
}
