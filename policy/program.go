package policy

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"

	"github.com/credo-org/credo"
)

// Program is a checked, compiled policy: every CEL expression compiled
// once, the common shapes compiled to Go, the clauses indexed by record
// kind. A Program is immutable and safe for concurrent use.
type Program struct {
	Jurisdiction string
	Version      string
	versionID    string // Jurisdiction@Version, made once

	policy   *Policy
	loc      *time.Location
	base     float64
	min, max float64
	suspend  bool
	validity []ValidityTier

	grades    []band
	gradeRank map[string]int

	matchers []*matcher
	byKind   map[string][]int32
	anyKind  []int32

	rules    []*rule
	directs  []*directGrade
	lists    []*list
	measures map[string]*measure

	auxKinds     map[string]bool // kinds that repair or end without a clause
	measureKinds bool            // a measure reads standing.kinds (which stored standings without contributions lack)
	allRecords   bool            // a list condition reads every record
}

// Policy returns the policy the program was compiled from.
func (p *Program) Policy() *Policy { return p.policy }

// VersionID names the policy version in standings: "rongcheng@2024.1".
func (p *Program) VersionID() string { return p.Jurisdiction + "@" + p.Version }

type band struct {
	grade string
	min   float64
	label string
}

const (
	mRule uint8 = iota
	mDirect
	mList
)

// matcher is a compiled record match of a rule, a direct grade or a list.
type matcher struct {
	what   uint8
	idx    int
	kinds  []string // nil: any kind
	linked bool

	fast  bool // preds decide; else cond
	preds []pred
	cond  cel.Program

	num     numShape // the rule's points (or a cumulative rule's value)
	numFast bool
	numPrg  cel.Program
	actPrg  cel.Program

	// the CEL expressions read only the record's kind, polarity and
	// attributes (see Program.Projectable)
	condTuple, numTuple, actTuple bool
}

type rule struct {
	name        string
	validFor    Duration
	tiers       []Tier
	repeat      *Repeat
	repeatGroup string
	cap         *Cap
	capGroup    string
}

type directGrade struct {
	name     string
	atMost   string
	validFor Duration
	list     int // ≥ 0: while on this list
	repair   *Repair
}

type list struct {
	name, typ    string
	min, max     Duration
	published    bool
	standing     bool
	cond         cel.Program
	needsRecords bool
	exitKind     string
	exitLink     string
	exitWithin   Duration
}

type measure struct {
	action        string
	purpose       cel.Program
	purposeReason string
	rules         []measureClause
	def           measureClause
}

type measureClause struct {
	cond        cel.Program
	effect      credo.Effect
	obligations map[string]any
	reason      string
}

func (p *Program) index() {
	for i, m := range p.matchers {
		if m.kinds == nil {
			p.anyKind = append(p.anyKind, int32(i))
			continue
		}
		for _, k := range m.kinds {
			p.byKind[k] = append(p.byKind[k], int32(i))
		}
	}
}

// Hit is one clause a record matched, with the rule's points (or a
// cumulative rule's value) and the act it belongs to. What a record hits is
// a function of the record and the program alone — records are immutable —
// so hits may be computed once per policy version and kept.
type Hit struct {
	Clause int32
	Value  float64
	Act    string // "" : the record is its own act
}

// Match appends to dst the clauses record r hits, for a standing of
// subject. A record about another subject than subject is a linked record
// (see Linkage) and hits only clauses that take linked records.
func (p *Program) Match(subject credo.SubjectRef, r *credo.Record, dst []Hit) []Hit {
	linked := subject.Resolved() && r.Subject.Resolved() && r.Subject != subject
	var act *activation // made only when CEL runs
	for _, set := range [2][]int32{p.byKind[r.Kind], p.anyKind} {
		for _, ci := range set {
			m := p.matchers[ci]
			if linked && !m.linked {
				continue
			}
			ok := true
			if m.fast {
				for i := range m.preds {
					if !m.preds[i].test(r, linked) {
						ok = false
						break
					}
				}
			} else if m.cond != nil {
				if act == nil {
					act = &activation{record: celRecordOf(r, subject)}
				}
				out, _, err := m.cond.Eval(act)
				ok = err == nil && out == types.True
			}
			if !ok {
				continue
			}
			h := Hit{Clause: ci}
			if m.what == mRule {
				if m.numFast {
					v, ok := m.num.eval(r)
					if !ok {
						continue
					}
					h.Value = v
				} else if m.numPrg != nil {
					if act == nil {
						act = &activation{record: celRecordOf(r, subject)}
					}
					v, ok := evalNumber(m.numPrg, act)
					if !ok {
						continue
					}
					h.Value = v
				}
				if m.actPrg != nil {
					if act == nil {
						act = &activation{record: celRecordOf(r, subject)}
					}
					out, _, err := m.actPrg.Eval(act)
					if s, ok := out.(types.String); ok && err == nil {
						h.Act = string(s)
					}
				}
			}
			dst = append(dst, h)
		}
	}
	return dst
}

func evalNumber(prg cel.Program, act *activation) (float64, bool) {
	out, _, err := prg.Eval(act)
	if err != nil {
		return 0, false
	}
	switch v := out.(type) {
	case types.Int:
		return float64(v), true
	case types.Uint:
		return float64(v), true
	case types.Double:
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return 0, false
		}
		return float64(v), true
	}
	return 0, false
}

// Standing computes what the policy makes of subject as of asOf, from its
// records (and the records of linked subjects, see Linkage). It is a pure
// function of its arguments. Records that occurred after asOf are ignored;
// so is what had expired by asOf. A record named by another's Retracts or
// Corrects has no effect (a retraction itself has none either; a correction
// counts in its place): the caller decides which records are known, e.g.
// those recorded by asOf for the standing as it was known then.
func (p *Program) Standing(subject credo.SubjectRef, records []*credo.Record, asOf time.Time) credo.Standing {
	var buf [16]Hit
	hits := buf[:0]
	offs := make([]int, len(records)+1)
	for i, r := range records {
		if r.OccurredAt.After(asOf) {
			offs[i+1] = len(hits)
			continue
		}
		hits = p.Match(subject, r, hits)
		offs[i+1] = len(hits)
	}
	return p.aggregate(subject, records, func(i int) []Hit { return hits[offs[i]:offs[i+1]] }, asOf)
}

// StandingFrom is Standing with the hits of each record computed before
// (by Match, e.g. kept per policy version): hits[i] are records[i]'s.
func (p *Program) StandingFrom(subject credo.SubjectRef, records []*credo.Record, hits [][]Hit, asOf time.Time) credo.Standing {
	return p.aggregate(subject, records, func(i int) []Hit { return hits[i] }, asOf)
}

type effRec struct {
	r        *credo.Record
	hits     []Hit
	counting bool
}

type activeGrade struct {
	dg     *directGrade
	rec    string
	list   string
	until  time.Time
	rankOf int
}

func linkOK(link string, later, earlier *credo.Record) bool {
	switch link {
	case "evidence":
		return later.Evidence != "" && later.Evidence == earlier.SourceRecordID
	case "source_record_id":
		return later.SourceRecordID == earlier.SourceRecordID
	}
	return true
}

func (p *Program) aggregate(subject credo.SubjectRef, records []*credo.Record, hitsOf func(int) []Hit, asOf time.Time) credo.Standing {
	st := credo.Standing{Subject: subject, Jurisdiction: p.Jurisdiction, PolicyVersion: p.VersionID(), AsOf: asOf}

	// the records in effect, in order of occurrence
	var replaced map[string]bool
	for _, r := range records {
		for _, id := range [2]string{r.Retracts, r.Corrects} {
			if id != "" {
				if replaced == nil {
					replaced = map[string]bool{}
				}
				replaced[id] = true
			}
		}
	}
	eff := make([]effRec, 0, len(records))
	for i, r := range records {
		if r.Retracts != "" || replaced[r.ID] || r.OccurredAt.After(asOf) {
			continue
		}
		eff = append(eff, effRec{r: r, hits: hitsOf(i)})
	}
	slices.SortStableFunc(eff, func(a, b effRec) int {
		if c := a.r.OccurredAt.Compare(b.r.OccurredAt); c != 0 {
			return c
		}
		return strings.Compare(a.r.ID, b.r.ID)
	})
	var lastChange, next time.Time
	changed := func(t time.Time) {
		if !t.After(asOf) {
			if t.After(lastChange) {
				lastChange = t
			}
		} else if next.IsZero() || t.Before(next) {
			next = t
		}
	}

	for i := range eff {
		changed(eff[i].r.OccurredAt)
	}

	// direct grades triggered by records, and their repairs
	var grades []activeGrade
	var contribs []credo.Contribution
	for i := range eff {
		e := &eff[i]
		for _, h := range e.hits {
			m := p.matchers[h.Clause]
			if m.what != mDirect {
				continue
			}
			dg := p.directs[m.idx]
			start := e.r.OccurredAt
			end := dg.validFor.After(start)
			if rp := dg.repair; rp != nil {
				for j := i + 1; j < len(eff); j++ {
					x := eff[j].r
					if x.Kind != rp.Kind || !x.OccurredAt.Before(end) || !linkOK(rp.Link, x, e.r) {
						continue
					}
					end = x.OccurredAt
					if rp.Points != 0 {
						until := rp.ValidFor.After(x.OccurredAt)
						changed(until)
						if until.After(asOf) {
							eff[j].counting = true
							contribs = append(contribs, credo.Contribution{
								Record: x.ID, Kind: x.Kind, Rule: dg.name + ".repaired", Points: rp.Points, RulePoints: rp.Points,
								Note:       fmt.Sprintf("repairs %s (direct grade %s ended)", e.r.ID, dg.name),
								OccurredAt: x.OccurredAt, Until: until,
							})
						}
					}
					break
				}
			}
			changed(end)
			if end.After(asOf) {
				e.counting = true
				grades = append(grades, activeGrade{dg: dg, rec: e.r.ID, until: end, rankOf: p.gradeRank[dg.atMost]})
			}
		}
	}
	downgraded := len(grades) > 0

	// rules: one act scored once, repeats, caps, suspension, expiry
	type cand struct {
		e      *effRec
		rule   *rule
		points float64
		act    actKey
	}
	nhits := 0
	for i := range eff {
		nhits += len(eff[i].hits)
	}
	cands := make([]cand, 0, nhits)
	contribs = slices.Grow(contribs, nhits)
	sums := map[*rule][]int{}
	for i := range eff {
		e := &eff[i]
		for _, h := range e.hits {
			m := p.matchers[h.Clause]
			if m.what != mRule {
				continue
			}
			r := p.rules[m.idx]
			if r.tiers != nil {
				sums[r] = append(sums[r], i)
				continue
			}
			act := actKey{act: h.Act}
			if act.act == "" {
				act.rec = e.r // the record is its own act
			}
			cands = append(cands, cand{e: e, rule: r, points: h.Value, act: act})
		}
	}
	winner := make(map[actKey]int, len(cands))
	for i := range cands {
		c := &cands[i]
		if w, ok := winner[c.act]; !ok || math.Abs(c.points) > math.Abs(cands[w].points) {
			winner[c.act] = i
		}
	}
	type prior struct{ from, until time.Time }
	history := map[string][]prior{}
	var capUsed map[capKey]float64
	for i := range cands {
		c := &cands[i]
		occ := c.e.r.OccurredAt
		con := credo.Contribution{Record: c.e.r.ID, Kind: c.e.r.Kind, Rule: c.rule.name, RulePoints: c.points, Points: c.points, OccurredAt: occ}
		con.Until = p.validFor(c.rule.validFor, c.points).After(occ)
		if w := winner[c.act]; w != i {
			con.Points = 0
			if cands[w].e == c.e {
				con.Note = fmt.Sprintf("one act scored once: rule %s gives more", cands[w].rule.name)
			} else {
				con.Note = fmt.Sprintf("one act scored once: record %s (rule %s) gives more", cands[w].e.r.ID, cands[w].rule.name)
			}
		} else {
			if rp := c.rule.repeat; rp != nil {
				g := c.rule.repeatGroup
				for _, pr := range history[g] {
					if !occ.Before(pr.from) && occ.Before(pr.until) {
						con.Points *= rp.Factor
						con.Note = fmt.Sprintf("repeat within validity: ×%g", rp.Factor)
						break
					}
				}
				history[g] = append(history[g], prior{occ, con.Until})
			}
			if cp := c.rule.cap; cp != nil {
				key := capKey{c.rule.capGroup, period(occ.In(p.loc), cp.Per)}
				if capUsed == nil {
					capUsed = map[capKey]float64{}
				}
				used := capUsed[key]
				switch {
				case cp.Max != nil && con.Points > 0 && used+con.Points > *cp.Max:
					con.Points = max(*cp.Max-used, 0)
					con.Note = joinNote(con.Note, fmt.Sprintf("capped: %s at most %+g a %s", c.rule.capGroup, *cp.Max, cp.Per))
				case cp.Min != nil && con.Points < 0 && used+con.Points < *cp.Min:
					con.Points = min(*cp.Min-used, 0)
					con.Note = joinNote(con.Note, fmt.Sprintf("capped: %s at most %+g a %s", c.rule.capGroup, *cp.Min, cp.Per))
				}
				capUsed[key] = used + con.Points
			}
		}
		changed(con.Until)
		if !con.Until.After(asOf) {
			continue // expired
		}
		c.e.counting = true
		contribs = append(contribs, con)
	}
	// cumulative rules
	for _, r := range p.rules {
		idx := sums[r]
		if len(idx) == 0 {
			continue
		}
		total, n, last := 0.0, 0, -1
		var until time.Time
		for _, i := range idx {
			u := r.validFor.After(eff[i].r.OccurredAt)
			changed(u)
			if !u.After(asOf) {
				continue
			}
			for _, h := range eff[i].hits {
				if m := p.matchers[h.Clause]; m.what == mRule && p.rules[m.idx] == r {
					total += h.Value
				}
			}
			n++
			last = i
			if until.IsZero() || u.Before(until) {
				until = u
			}
		}
		if last < 0 {
			continue
		}
		pts, at := 0.0, 0.0
		for _, t := range r.tiers {
			if total >= t.At {
				pts, at = t.Points, t.At
			}
		}
		for _, i := range idx {
			if !r.validFor.After(eff[i].r.OccurredAt).After(asOf) {
				continue
			}
			eff[i].counting = true
			con := credo.Contribution{Record: eff[i].r.ID, Kind: eff[i].r.Kind, Rule: r.name, OccurredAt: eff[i].r.OccurredAt, Until: r.validFor.After(eff[i].r.OccurredAt)}
			if i == last {
				con.Points, con.RulePoints, con.Until = pts, pts, until
				if pts != 0 {
					con.Note = fmt.Sprintf("cumulative %g from %d records reaches the tier at %g", total, n, at)
				} else {
					con.Note = fmt.Sprintf("cumulative %g from %d records reaches no tier", total, n)
				}
			} else {
				con.Note = "counted in the cumulative total"
			}
			contribs = append(contribs, con)
		}
	}
	score := p.base
	for i := range contribs {
		c := &contribs[i]
		if p.suspend && downgraded && c.Points > 0 {
			g := grades[0]
			c.Note = joinNote(c.Note, fmt.Sprintf("suspended while direct grade %s (record %s) stands", g.dg.name, g.rec))
			c.Points = 0
		}
		score += c.Points
	}
	score = min(max(score, p.min), p.max)
	st.Score = score
	slices.SortStableFunc(contribs, func(a, b credo.Contribution) int { return a.OccurredAt.Compare(b.OccurredAt) })
	st.Contributions = contribs

	// lists triggered by records
	for li, l := range p.lists {
		if l.standing {
			continue
		}
		var mem *credo.Membership
		for i := range eff {
			e := &eff[i]
			hit := false
			for _, h := range e.hits {
				if m := p.matchers[h.Clause]; m.what == mList && m.idx == li {
					hit = true
				}
			}
			if !hit {
				continue
			}
			since := e.r.OccurredAt
			var earliest, end time.Time
			if !l.min.IsZero() {
				earliest = l.min.After(since)
			}
			if !l.max.IsZero() {
				end = l.max.After(since)
			}
			if l.exitKind != "" {
				for j := i + 1; j < len(eff); j++ {
					x := eff[j].r
					if x.Kind == l.exitKind && linkOK(l.exitLink, x, e.r) {
						exit := x.OccurredAt
						if exit.Before(earliest) {
							exit = earliest
						}
						if end.IsZero() || exit.Before(end) {
							end = exit
						}
						break
					}
				}
			}
			if !end.IsZero() {
				changed(end)
				if !end.After(asOf) {
					continue
				}
			}
			e.counting = true
			if mem == nil {
				mem = &credo.Membership{List: l.name, Type: l.typ, Since: since, EarliestExit: earliest, Until: end, Record: e.r.ID, Published: l.published}
				continue
			}
			if earliest.After(mem.EarliestExit) {
				mem.EarliestExit = earliest
			}
			if end.IsZero() || (!mem.Until.IsZero() && end.After(mem.Until)) {
				mem.Until = end
			}
		}
		if mem != nil {
			st.Lists = append(st.Lists, *mem)
		}
	}
	// direct grades while on a list
	for _, dg := range p.directs {
		if dg.list < 0 {
			continue
		}
		name := p.lists[dg.list].name
		for _, m := range st.Lists {
			if m.List == name {
				grades = append(grades, activeGrade{dg: dg, list: name, until: m.Until, rankOf: p.gradeRank[dg.atMost]})
			}
		}
	}

	// the grade
	bi := len(p.grades) - 1
	for i, b := range p.grades {
		if score >= b.min {
			bi = i
			break
		}
	}
	st.Grade = p.grades[bi].grade
	st.GradeReason = credo.GradeReason{By: "band", Band: p.grades[bi].label}
	worst := -1
	for i, g := range grades {
		if g.rankOf > bi && (worst < 0 || g.rankOf > grades[worst].rankOf) {
			worst = i
		}
	}
	if worst >= 0 {
		g := grades[worst]
		st.Grade = g.dg.atMost
		st.GradeReason = credo.GradeReason{By: "direct", Banded: p.grades[bi].grade, Band: p.grades[bi].label, Rule: g.dg.name, Record: g.rec, List: g.list, Until: g.until}
	}

	// lists decided on the standing
	var view *StandingView
	var recs []*Record
	for _, l := range p.lists {
		if !l.standing {
			continue
		}
		if view == nil {
			view = p.view(&st, eff)
		}
		act := activation{standing: view, asOf: asOf}
		if l.needsRecords {
			if recs == nil {
				recs = make([]*Record, 0, len(eff))
				for i := range eff {
					recs = append(recs, celRecordOf(eff[i].r, subject))
				}
			}
			act.records = recs
		}
		if out, _, err := l.cond.Eval(&act); err == nil && out == types.True {
			st.Lists = append(st.Lists, credo.Membership{List: l.name, Type: l.typ, Since: lastChange, Published: l.published})
			view.Lists = append(view.Lists, l.name)
		}
	}
	if st.Lists == nil {
		st.Lists = []credo.Membership{}
	}
	if st.Contributions == nil {
		st.Contributions = []credo.Contribution{}
	}
	st.NextChange = next
	return st
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// actKey names an act: by the act a rule's expression gave, or, when it
// gave none, by the record, which is then its own act.
type actKey struct {
	act string
	rec *credo.Record
}

// capKey names a cap's group in one period.
type capKey struct {
	group  string
	period int
}

// period numbers the calendar period of t: year×100 for a year, plus the
// month for a month.
func period(t time.Time, per string) int {
	if per == "month" {
		return t.Year()*100 + int(t.Month())
	}
	return t.Year() * 100
}

// validFor is a rule's validity: its own, or the policy's tier for points
// of this size.
func (p *Program) validFor(d Duration, points float64) Duration {
	if !d.IsZero() {
		return d
	}
	for _, t := range p.validity {
		if t.UpTo == nil || math.Abs(points) <= *t.UpTo {
			return t.For
		}
	}
	return Duration{}
}

func (p *Program) view(st *credo.Standing, eff []effRec) *StandingView {
	v := &StandingView{Score: st.Score, Grade: st.Grade, GradeBy: st.GradeReason.By, SubjectKind: st.Subject.Kind.String(), Kinds: map[string]int64{}}
	for _, m := range st.Lists {
		v.Lists = append(v.Lists, m.List)
	}
	if eff != nil {
		for i := range eff {
			if eff[i].counting {
				v.Kinds[eff[i].r.Kind]++
			}
		}
	} else {
		seen := map[string]bool{}
		for _, c := range st.Contributions {
			if !seen[c.Record] {
				seen[c.Record] = true
				v.Kinds[c.Kind]++
			}
		}
	}
	return v
}

// Decide says what the policy's measures make of action for a subject of
// standing st, with the request's context (the consumer's purpose, a
// consent reference, the fare class …). An action no measure covers is
// NotApplicable. The obligations map is shared and must not be modified.
func (p *Program) Decide(st *credo.Standing, action string, context map[string]any) credo.Decision {
	d := credo.Decision{Action: action, Jurisdiction: p.Jurisdiction, PolicyVersion: p.VersionID()}
	m := p.measures[action]
	if m == nil {
		d.Reason = "no_measure"
		return d
	}
	act := activation{standing: p.view(st, nil), context: context, action: action}
	if m.purpose != nil {
		if out, _, err := m.purpose.Eval(&act); err != nil || out != types.True {
			d.Effect, d.Reason = credo.Deny, m.purposeReason
			return d
		}
	}
	for _, c := range m.rules {
		if out, _, err := c.cond.Eval(&act); err == nil && out == types.True {
			d.Effect, d.Obligations, d.Reason = c.effect, c.obligations, c.reason
			return d
		}
	}
	d.Effect, d.Obligations, d.Reason = m.def.effect, m.def.obligations, m.def.reason
	return d
}

// Actions lists the actions the policy's measures cover, sorted.
func (p *Program) Actions() []string {
	out := make([]string, 0, len(p.measures))
	for a := range p.measures {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// Scores reports whether the policy scores subjects of kind k.
func (p *Program) Scores(k credo.SubjectKind) bool {
	return slices.Contains(p.policy.Subjects, k.String())
}
