package decide

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/policy"
)

// jurisdiction is one policy the table was made for, with the numbering of
// its grades and lists in the packed words.
type jurisdiction struct {
	name, version string
	prg           *policy.Program
	grades        map[string]int
	gradeNames    []string
	gradeKeys     []uint64 // shortKey of each grade name (0 for a long one)
	lists         map[string]int
	listNames     []string
	kinds         [3]bool // subject kinds it scores
}

type schema struct {
	juris   []jurisdiction
	actions map[string]*action
	names   []string // actions, sorted
	env     *cel.Env
}

// action is what the table does for one action: each jurisdiction's
// measure for it.
type action struct {
	name     string
	measures []measure
	// versions lists, by subject kind, the policy versions a decision
	// consults (those of the measures whose jurisdiction scores the kind),
	// and version joins them with commas: made once, shared by every
	// decision.
	versions [3][]string
	version  [3]string
}

type measure struct {
	j       int
	purpose *cond
	// purposeClause is what a purpose that fails says, as a clause: its
	// reason, its condition's text as when, its code.
	purposeClause clause
	clauses       []clause
	def           clause
}

type clause struct {
	cond        *cond // nil: always (the default)
	when        string
	effect      credo.Effect
	obligations map[string]any
	reason      string
	code        string   // jurisdiction:reason, made once
	codes       []string // code alone, shared by decisions
}

// maxMeasures bounds the jurisdictions one decision consults.
const maxMeasures = 8

func newSchema(prgs []*policy.Program) (*schema, error) {
	env, err := cel.NewEnv(
		cel.Variable("standing", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("context", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("action", cel.StringType),
		ext.Strings(), ext.Math(), cel.CrossTypeNumericComparisons(true),
	)
	if err != nil {
		return nil, fmt.Errorf("decision table: %w", err)
	}
	sc := &schema{actions: map[string]*action{}, env: env}
	for _, p := range prgs {
		pol := p.Policy()
		jd := jurisdiction{name: p.Jurisdiction, version: p.VersionID(), prg: p, grades: map[string]int{}, lists: map[string]int{}}
		if len(pol.Grades) > 64 {
			return nil, fmt.Errorf("decision table: %s has %d grades; the table holds at most 64", p.VersionID(), len(pol.Grades))
		}
		for i, b := range pol.Grades {
			jd.grades[b.Grade] = i
			jd.gradeNames = append(jd.gradeNames, b.Grade)
			k, _ := shortKey(b.Grade)
			jd.gradeKeys = append(jd.gradeKeys, k)
		}
		if len(pol.Lists) > maxLists {
			return nil, fmt.Errorf("decision table: %s has %d lists; the table holds at most %d", p.VersionID(), len(pol.Lists), maxLists)
		}
		for i, l := range pol.Lists {
			jd.lists[l.Name] = i
			jd.listNames = append(jd.listNames, l.Name)
		}
		for _, k := range []credo.SubjectKind{credo.Person, credo.Organization} {
			jd.kinds[k] = p.Scores(k)
		}
		sc.juris = append(sc.juris, jd)
	}
	if len(sc.juris) > 255 {
		return nil, fmt.Errorf("decision table: %d jurisdictions; at most 255", len(sc.juris))
	}
	for j := range sc.juris {
		jd := &sc.juris[j]
		for _, m := range jd.prg.Policy().Measures {
			a := sc.actions[m.Action]
			if a == nil {
				a = &action{name: m.Action}
				sc.actions[m.Action] = a
				sc.names = append(sc.names, m.Action)
			}
			if len(a.measures) == maxMeasures {
				return nil, fmt.Errorf("decision table: action %s has measures in more than %d jurisdictions", m.Action, maxMeasures)
			}
			cm := measure{j: j}
			if m.Purpose != nil && m.Purpose.When != nil {
				c, err := sc.compile(jd, m.Purpose.When.Text)
				if err != nil {
					return nil, fmt.Errorf("decision table: %s measure %s purpose: %w", jd.version, m.Action, err)
				}
				code := jd.name + ":" + m.Purpose.Reason
				cm.purpose = c
				cm.purposeClause = clause{reason: m.Purpose.Reason, when: m.Purpose.When.Text, code: code, codes: []string{code}}
			}
			for i, cl := range m.Rules {
				c, err := sc.compile(jd, cl.When.Text)
				if err != nil {
					return nil, fmt.Errorf("decision table: %s measure %s rule %d: %w", jd.version, m.Action, i+1, err)
				}
				code := jd.name + ":" + cl.Reason
				cm.clauses = append(cm.clauses, clause{cond: c, when: cl.When.Text, effect: effectOf(cl.Effect), obligations: cl.Obligations, reason: cl.Reason,
					code: code, codes: []string{code}})
			}
			def := m.Default
			if def.Effect == "" {
				def.Effect, def.Reason = "permit", "default"
			}
			code := jd.name + ":" + def.Reason
			cm.def = clause{effect: effectOf(def.Effect), obligations: def.Obligations, reason: def.Reason, code: code, codes: []string{code}}
			a.measures = append(a.measures, cm)
		}
	}
	for _, a := range sc.actions {
		for k := range a.versions {
			for _, m := range a.measures {
				if jd := &sc.juris[m.j]; jd.kinds[k] {
					a.versions[k] = append(a.versions[k], jd.version)
				}
			}
			a.version[k] = strings.Join(a.versions[k], ",")
		}
	}
	slices.Sort(sc.names)
	return sc, nil
}

func effectOf(s string) credo.Effect {
	switch s {
	case "permit":
		return credo.Permit
	case "deny":
		return credo.Deny
	}
	return credo.NotApplicable
}

// condOp is a compiled condition's operation.
type condOp uint8

const (
	cTrue   condOp = iota
	cFalse         //
	cList          // a list bit of mask is set
	cGrade         // the grade's bit is set in mask
	cScore         // the score compares (cmp) with f
	cDirect        // the grade was capped
	cKind          // the subject is of kind s
	cAnd           // every kid
	cOr            // some kid
	cNot           // not kids[0]
	cCtxHas        // context has key
	cCtxNe         // context[key] is there and is not the string s
	cCtxEq         // context[key] is the string s
	cCEL           // the rest
)

// cond is a compiled measure condition.
type cond struct {
	op   condOp
	cmp  string // cScore: _<_ _<=_ _>_ _>=_ _==_ _!=_
	mask uint64
	f    float64
	key  string
	s    string
	kids []*cond
	prg  cel.Program
}

// view is what a measure condition reads of one subject in one jurisdiction.
type view struct {
	w    uint64
	kind credo.SubjectKind
	ctx  map[string]any
	jd   *jurisdiction
	act  string
}

func (c *cond) eval(v *view) bool {
	switch c.op {
	case cTrue:
		return true
	case cFalse:
		return false
	case cList:
		return wordLists(v.w)&c.mask != 0
	case cGrade:
		g := wordGrade(v.w)
		return g < 64 && c.mask&(1<<g) != 0
	case cScore:
		s := wordScore(v.w)
		switch c.cmp {
		case "_<_":
			return s < c.f
		case "_<=_":
			return s <= c.f
		case "_>_":
			return s > c.f
		case "_>=_":
			return s >= c.f
		case "_==_":
			return s == c.f
		case "_!=_":
			return s != c.f
		}
		return false
	case cDirect:
		return wordDirect(v.w)
	case cKind:
		return v.kind.String() == c.s
	case cAnd:
		for _, k := range c.kids {
			if !k.eval(v) {
				return false
			}
		}
		return true
	case cOr:
		for _, k := range c.kids {
			if k.eval(v) {
				return true
			}
		}
		return false
	case cNot:
		return !c.kids[0].eval(v)
	case cCtxHas:
		_, ok := v.ctx[c.key]
		return ok
	case cCtxNe:
		x, ok := v.ctx[c.key]
		if !ok {
			return false
		}
		s, isStr := x.(string)
		return !isStr || s != c.s
	case cCtxEq:
		x, ok := v.ctx[c.key]
		s, isStr := x.(string)
		return ok && isStr && s == c.s
	case cCEL:
		return v.evalCEL(c.prg)
	}
	return false
}

// evalCEL runs a condition the fast paths do not cover, over a view of the
// packed standing like the one package policy gives measures (without
// standing.kinds, which the table does not hold: it reads as empty).
func (v *view) evalCEL(prg cel.Program) bool {
	lists := []string{}
	for i, name := range v.jd.listNames {
		if wordLists(v.w)&(1<<i) != 0 {
			lists = append(lists, name)
		}
	}
	grade := ""
	if g := wordGrade(v.w); g < len(v.jd.gradeNames) {
		grade = v.jd.gradeNames[g]
	}
	by := "band"
	if wordDirect(v.w) {
		by = "direct"
	}
	ctx := v.ctx
	if ctx == nil {
		ctx = map[string]any{}
	}
	out, _, err := prg.Eval(map[string]any{
		"standing": map[string]any{"score": wordScore(v.w), "grade": grade, "grade_by": by, "lists": lists,
			"kinds": map[string]int64{}, "subject_kind": v.kind.String()},
		"context": ctx,
		"action":  v.act,
	})
	return err == nil && out == types.True
}

// compile compiles a measure condition: to Go when its shape is a common
// one, else to CEL.
func (sc *schema) compile(jd *jurisdiction, text string) (*cond, error) {
	a, iss := sc.env.Parse(text)
	if iss != nil && iss.Err() != nil {
		return nil, iss.Err()
	}
	if c, ok := sc.shape(jd, a.NativeRep().Expr()); ok {
		return c, nil
	}
	checked, iss := sc.env.Check(a)
	if iss != nil && iss.Err() != nil {
		return nil, iss.Err()
	}
	prg, err := sc.env.Program(checked, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, err
	}
	return &cond{op: cCEL, prg: prg}, nil
}

// isField reports whether e is root.field.
func isField(e ast.Expr, root, field string) bool {
	if e.Kind() != ast.SelectKind || e.AsSelect().IsTestOnly() {
		return false
	}
	s := e.AsSelect()
	return s.FieldName() == field && s.Operand().Kind() == ast.IdentKind && s.Operand().AsIdent() == root
}

// contextKey reports whether e is context.KEY or context["KEY"].
func contextKey(e ast.Expr) (string, bool) {
	switch e.Kind() {
	case ast.SelectKind:
		s := e.AsSelect()
		if !s.IsTestOnly() && s.Operand().Kind() == ast.IdentKind && s.Operand().AsIdent() == "context" {
			return s.FieldName(), true
		}
	case ast.CallKind:
		c := e.AsCall()
		if c.FunctionName() == "_[_]" && len(c.Args()) == 2 && c.Args()[0].Kind() == ast.IdentKind && c.Args()[0].AsIdent() == "context" {
			if s, ok := literalOf(c.Args()[1]).(types.String); ok {
				return string(s), true
			}
		}
	}
	return "", false
}

func literalOf(e ast.Expr) ref.Val {
	if e.Kind() != ast.LiteralKind {
		return nil
	}
	return e.AsLiteral()
}

func strLit(e ast.Expr) (string, bool) {
	s, ok := literalOf(e).(types.String)
	return string(s), ok
}

func numLit(e ast.Expr) (float64, bool) {
	switch v := literalOf(e).(type) {
	case types.Int:
		return float64(v), true
	case types.Uint:
		return float64(v), true
	case types.Double:
		return float64(v), true
	}
	return 0, false
}

// strList reports whether e is a list of string literals.
func strList(e ast.Expr) ([]string, bool) {
	if e.Kind() != ast.ListKind {
		return nil, false
	}
	var out []string
	for _, x := range e.AsList().Elements() {
		s, ok := strLit(x)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

var flipCmp = map[string]string{"_<_": "_>_", "_<=_": "_>=_", "_>_": "_<_", "_>=_": "_<=_", "_==_": "_==_", "_!=_": "_!=_"}

// shape compiles e to Go when it is made of the common shapes.
func (sc *schema) shape(jd *jurisdiction, e ast.Expr) (*cond, bool) {
	switch e.Kind() {
	case ast.LiteralKind:
		if b, ok := e.AsLiteral().(types.Bool); ok {
			if b {
				return &cond{op: cTrue}, true
			}
			return &cond{op: cFalse}, true
		}
		return nil, false
	case ast.SelectKind:
		s := e.AsSelect()
		if s.IsTestOnly() { // has(context.key)
			if s.Operand().Kind() == ast.IdentKind && s.Operand().AsIdent() == "context" {
				return &cond{op: cCtxHas, key: s.FieldName()}, true
			}
		}
		return nil, false
	case ast.CallKind:
	default:
		return nil, false
	}
	c := e.AsCall()
	args := c.Args()
	switch fn := c.FunctionName(); fn {
	case "_&&_", "_||_":
		op := cAnd
		if fn == "_||_" {
			op = cOr
		}
		out := &cond{op: op}
		for _, a := range args {
			k, ok := sc.shape(jd, a)
			if !ok {
				return nil, false
			}
			out.kids = append(out.kids, k)
		}
		return out, true
	case "!_":
		k, ok := sc.shape(jd, args[0])
		if !ok {
			return nil, false
		}
		return &cond{op: cNot, kids: []*cond{k}}, true
	case "@in":
		if len(args) != 2 {
			return nil, false
		}
		// "name" in standing.lists
		if name, ok := strLit(args[0]); ok && isField(args[1], "standing", "lists") {
			b, known := jd.lists[name]
			if !known {
				return &cond{op: cFalse}, true // a list the policy does not have: never a member
			}
			return &cond{op: cList, mask: 1 << b}, true
		}
		// standing.grade in ["A", "B"]
		if isField(args[0], "standing", "grade") {
			if names, ok := strList(args[1]); ok {
				return jd.gradeMask(names)
			}
		}
		return nil, false
	case "_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_":
		if len(args) != 2 {
			return nil, false
		}
		for i := 0; i < 2; i++ {
			x, lit := args[i], args[1-i]
			cmp := fn
			if i == 1 {
				cmp = flipCmp[fn]
			}
			switch {
			case isField(x, "standing", "grade") && (fn == "_==_" || fn == "_!=_"):
				if g, ok := strLit(lit); ok {
					m, _ := jd.gradeMask([]string{g})
					if fn == "_!=_" {
						return &cond{op: cNot, kids: []*cond{m}}, true
					}
					return m, true
				}
			case isField(x, "standing", "score"):
				if f, ok := numLit(lit); ok {
					return &cond{op: cScore, cmp: cmp, f: f}, true
				}
			case isField(x, "standing", "grade_by") && (fn == "_==_" || fn == "_!=_"):
				if s, ok := strLit(lit); ok {
					var m *cond
					switch s {
					case "direct":
						m = &cond{op: cDirect}
					case "band":
						m = &cond{op: cNot, kids: []*cond{{op: cDirect}}}
					default:
						m = &cond{op: cFalse}
					}
					if fn == "_!=_" {
						return &cond{op: cNot, kids: []*cond{m}}, true
					}
					return m, true
				}
			case isField(x, "standing", "subject_kind") && (fn == "_==_" || fn == "_!=_"):
				if s, ok := strLit(lit); ok {
					m := &cond{op: cKind, s: s}
					if fn == "_!=_" {
						return &cond{op: cNot, kids: []*cond{m}}, true
					}
					return m, true
				}
			}
			if key, ok := contextKey(x); ok && (fn == "_==_" || fn == "_!=_") {
				if s, ok := strLit(lit); ok {
					if fn == "_==_" {
						return &cond{op: cCtxEq, key: key, s: s}, true
					}
					return &cond{op: cCtxNe, key: key, s: s}, true
				}
			}
		}
	}
	return nil, false
}

// gradeMask is the condition "the grade is one of names".
func (jd *jurisdiction) gradeMask(names []string) (*cond, bool) {
	var m uint64
	for _, n := range names {
		if g, ok := jd.grades[n]; ok && g < 64 {
			m |= 1 << g
		}
	}
	return &cond{op: cGrade, mask: m}, true
}
