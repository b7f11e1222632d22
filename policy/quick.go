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
// quickly at all: it has no list decided on the standing (whose condition
// may read every record).
func (p *Program) QuickOK() bool {
	for _, l := range p.lists {
		if l.standing {
			return false
		}
	}
	return true
}

// Projectable reports whether what a record of kind hits depends only on
// its kind, polarity and attributes (and not on its being linked): every
// clause that may take it runs as plain Go, with no act expression. Only
// then may hits be computed once per distinct (kind, polarity, attributes).
func (p *Program) Projectable(kind string) bool {
	for _, set := range [2][]int32{p.byKind[kind], p.anyKind} {
		for _, ci := range set {
			m := p.matchers[ci]
			if !m.fast && m.cond != nil {
				return false
			}
			if m.what == mRule && ((!m.numFast && m.numPrg != nil) || m.actPrg != nil) {
				return false
			}
		}
	}
	return true
}

// Simple reports whether hits are plain point rules the quick aggregation
// takes: no direct grade, no list, no cumulative rule, no act.
func (p *Program) Simple(hits []Hit) bool {
	for _, h := range hits {
		m := p.matchers[h.Clause]
		if m.what != mRule || h.Act != "" || p.rules[m.idx].tiers != nil {
			return false
		}
	}
	return true
}

// Aggregator computes quick standings as of one time. It is not safe for
// concurrent use: each goroutine makes its own.
type Aggregator struct {
	p     *Program
	asOf  time.Time
	asOfN int64
	ver   string
	shift map[shiftKey]int64 // (validity, day) → the day it ends
	evs   []Event
	hist  []prior
	caps  []capUse
}

type shiftKey struct {
	d   Duration
	day int64
}

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
	return &Aggregator{p: p, asOf: asOf, asOfN: asOf.UnixNano(), ver: p.VersionID(), shift: map[shiftKey]int64{}}
}

const nsDay = int64(24 * time.Hour)

// after is d.After(t) for t in UTC, by the day: a calendar duration moves
// the date and keeps the clock.
func (a *Aggregator) after(d Duration, at int64) int64 {
	day := at / nsDay
	if at%nsDay < 0 {
		day--
	}
	k := shiftKey{d, day}
	end, ok := a.shift[k]
	if !ok {
		end = d.After(time.Unix(0, day*nsDay).UTC()).UnixNano() / nsDay
		a.shift[k] = end
	}
	return end*nsDay + (at - day*nsDay)
}

// Standing computes subject's standing from its events, or reports false
// when they ask for more than the quick aggregation does (hits that are
// not Simple, two records at the same moment): the caller then computes
// it with Standing. The standing has no contributions.
func (a *Aggregator) Standing(subject credo.SubjectRef, events []Event) (credo.Standing, bool) {
	p := a.p
	evs := a.evs[:0]
	for _, e := range events {
		if e.At <= a.asOfN {
			if !p.Simple(e.Hits) {
				return credo.Standing{}, false
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
			return credo.Standing{}, false // the order of two records then goes by their ids
		}
	}
	a.hist, a.caps = a.hist[:0], a.caps[:0]
	score := p.base
	var next int64
	for _, e := range evs {
		w := 0
		for j := 1; j < len(e.Hits); j++ {
			if math.Abs(e.Hits[j].Value) > math.Abs(e.Hits[w].Value) {
				w = j
			}
		}
		for j, h := range e.Hits {
			r := p.rules[p.matchers[h.Clause].idx]
			pts := h.Value
			until := a.after(p.validFor(r.validFor, pts), e.At)
			if j != w {
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
	st := credo.Standing{Subject: subject, Jurisdiction: p.Jurisdiction, PolicyVersion: a.ver, AsOf: a.asOf, Score: score, Lists: []credo.Membership{}}
	bi := len(p.grades) - 1
	for i, b := range p.grades {
		if score >= b.min {
			bi = i
			break
		}
	}
	st.Grade = p.grades[bi].grade
	st.GradeReason = credo.GradeReason{By: "band", Band: p.grades[bi].label}
	if next != 0 {
		st.NextChange = time.Unix(0, next).UTC()
	}
	return st, true
}
