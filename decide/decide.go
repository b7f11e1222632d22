package decide

import (
	"iter"
	"maps"
	"strconv"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/policy"
)

// Result is a decision: what every jurisdiction with a measure for the
// action says, combined. A deny anywhere is a deny (joint sanctions);
// otherwise a permit anywhere is a permit, with the obligations of every
// permitting measure (joint rewards). It is a value, made without
// allocating.
type Result struct {
	// Effect is the combined outcome: NotApplicable when no measure of a
	// jurisdiction scoring the subject's kind covers the action.
	Effect credo.Effect
	// Known says whether the table knows the subject. An unknown subject
	// gets each measure's default.
	Known bool

	a    *action
	t    *Table
	n    uint8
	kind credo.SubjectKind
	outs [maxMeasures]outcome
}

type outcome struct {
	m      uint8 // index in a.measures
	clause int8  // -1 default, -2 the purpose failed, ≥ 0 rules[clause]
	effect credo.Effect
}

// Outcome is one jurisdiction's measure and what it said.
type Outcome struct {
	Jurisdiction  string
	PolicyVersion string
	Effect        credo.Effect
	Reason        string
	// Rule says which clause decided: "purpose", "default" or "rules[N]"
	// (0-based), and When its condition as the policy writes it.
	Rule string
	When string
	// Obligations are shared with the table: read them, never change them.
	Obligations map[string]any
}

// Decide says what the measures for action make of subject, with the
// request's context (purpose, consent reference, price …; nil for none).
// It reads the table without locking and does not allocate when the
// measures' conditions are of the common shapes.
func (t *Table) Decide(subject credo.SubjectRef, action string, context map[string]any) Result {
	r := Result{t: t, kind: subject.Kind}
	a := t.schema.actions[action]
	if a == nil {
		return r
	}
	r.a = a
	words := t.lookup(subject)
	r.Known = words != nil
	denied, permitted := false, false
	v := view{kind: subject.Kind, ctx: context, act: action}
	for i := range a.measures {
		m := &a.measures[i]
		jd := &t.schema.juris[m.j]
		if int(subject.Kind) >= len(jd.kinds) || !jd.kinds[subject.Kind] {
			continue
		}
		v.jd = jd
		v.w = 0
		if words != nil {
			v.w = words[m.j]
		}
		o := outcome{m: uint8(i), clause: -1, effect: m.def.effect}
		switch {
		case m.purpose != nil && !m.purpose.eval(&v):
			o.clause, o.effect = -2, credo.Deny
		case wordPresent(v.w):
			for ci := range m.clauses {
				if m.clauses[ci].cond.eval(&v) {
					o.clause, o.effect = int8(ci), m.clauses[ci].effect
					break
				}
			}
		}
		r.outs[r.n] = o
		r.n++
		switch o.effect {
		case credo.Deny:
			denied = true
		case credo.Permit:
			permitted = true
		}
	}
	switch {
	case denied:
		r.Effect = credo.Deny
	case permitted:
		r.Effect = credo.Permit
	}
	return r
}

// Outcomes yields what each measure consulted said, in jurisdiction order.
func (r *Result) Outcomes() iter.Seq[Outcome] {
	return func(yield func(Outcome) bool) {
		for _, o := range r.outs[:r.n] {
			m := &r.a.measures[o.m]
			jd := &r.t.schema.juris[m.j]
			out := Outcome{Jurisdiction: jd.name, PolicyVersion: jd.version, Effect: o.effect}
			switch {
			case o.clause == -2:
				out.Reason, out.Rule, out.When = m.purposeClause.reason, "purpose", m.purposeClause.when
			case o.clause == -1:
				out.Reason, out.Rule, out.Obligations = m.def.reason, "default", m.def.obligations
			default:
				c := &m.clauses[o.clause]
				out.Reason, out.Rule, out.When, out.Obligations = c.reason, "rules["+strconv.Itoa(int(o.clause))+"]", c.when, c.obligations
			}
			if !yield(out) {
				return
			}
		}
	}
}

// Obligations merges the obligations of the outcomes that agree with the
// combined effect (for a permit, every permitting measure's; for a deny,
// none), later jurisdictions overriding earlier ones on the same key; nil
// when there are none. When one measure alone has obligations, they are
// its own map, shared with the table: read it, never change it. Otherwise
// it allocates.
func (r *Result) Obligations() map[string]any {
	if r.Effect != credo.Permit {
		return nil
	}
	var out map[string]any
	shared := false
	for _, o := range r.outs[:r.n] {
		if o.effect != credo.Permit {
			continue
		}
		ob := r.clause(o).obligations
		switch {
		case len(ob) == 0:
		case out == nil:
			out, shared = ob, true
		default:
			if shared {
				out, shared = maps.Clone(out), false
			}
			maps.Copy(out, ob)
		}
	}
	return out
}

// clause is the clause that decided o (for the purpose, the measure's
// purposeClause).
func (r *Result) clause(o outcome) *clause {
	m := &r.a.measures[o.m]
	switch o.clause {
	case -2:
		return &m.purposeClause
	case -1:
		return &m.def
	}
	return &m.clauses[o.clause]
}

// Reasons lists the reason codes of the outcomes that agree with the
// combined effect, as "jurisdiction:reason". When one outcome alone
// agrees, the list is shared with the table: read it, never change it.
// Otherwise only the slice is allocated.
func (r *Result) Reasons() []string {
	var out []string
	agree := 0
	for _, o := range r.outs[:r.n] {
		if o.effect == r.Effect {
			agree++
		}
	}
	for _, o := range r.outs[:r.n] {
		if o.effect != r.Effect {
			continue
		}
		if agree == 1 {
			return r.clause(o).codes
		}
		if out == nil {
			out = make([]string, 0, agree)
		}
		out = append(out, r.clause(o).code)
	}
	return out
}

// PolicyVersions lists the policy versions consulted (nil for none). The
// list is shared with the table: read it, never change it.
func (r *Result) PolicyVersions() []string {
	if r.n == 0 {
		return nil
	}
	return r.a.versions[r.kind]
}

// PolicyVersion is PolicyVersions joined with commas, made once.
func (r *Result) PolicyVersion() string {
	if r.n == 0 {
		return ""
	}
	return r.a.version[r.kind]
}

// Actions lists the actions the table's measures cover, sorted.
func (t *Table) Actions() []string { return t.schema.names }

// HasAction reports whether some measure covers action.
func (t *Table) HasAction(action string) bool { return t.schema.actions[action] != nil }

// Summary is what the table holds of a subject in one jurisdiction.
type Summary struct {
	Jurisdiction  string   `json:"jurisdiction"`
	PolicyVersion string   `json:"policy_version"`
	Grade         string   `json:"grade"`
	GradeBy       string   `json:"grade_by"`
	Score         float64  `json:"score"`
	Lists         []string `json:"lists"`
}

// Lookup returns what the table holds of subject, per jurisdiction that
// has a standing for it; ok is false when the subject is unknown.
func (t *Table) Lookup(subject credo.SubjectRef) (out []Summary, ok bool) {
	words := t.lookup(subject)
	if words == nil {
		return nil, false
	}
	for j, w := range words {
		if !wordPresent(w) {
			continue
		}
		jd := &t.schema.juris[j]
		s := Summary{Jurisdiction: jd.name, PolicyVersion: jd.version, Score: wordScore(w), GradeBy: "band", Lists: []string{}}
		if g := wordGrade(w); g < len(jd.gradeNames) {
			s.Grade = jd.gradeNames[g]
		}
		if wordDirect(w) {
			s.GradeBy = "direct"
		}
		for i, name := range jd.listNames {
			if wordLists(w)&(1<<i) != 0 {
				s.Lists = append(s.Lists, name)
			}
		}
		out = append(out, s)
	}
	return out, true
}

// Programs returns the policies the table was made for.
func (t *Table) Programs() []*policy.Program {
	out := make([]*policy.Program, len(t.schema.juris))
	for i := range t.schema.juris {
		out[i] = t.schema.juris[i].prg
	}
	return out
}
