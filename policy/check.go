package policy

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"gopkg.in/yaml.v3"

	"github.com/credo-org/credo"
)

// Check reports every problem that keeps the policy from being used, each
// with its line and column: CEL syntax and type errors, unknown record
// kinds and attributes, rules that can never fire, overlapping or gapped
// grade bands, durations beyond the legal maximum, a published list
// without legal basis, a missing base, expressions too costly to run. The
// error is an *Error.
func (p *Policy) Check() error {
	_, err := build(p)
	return err
}

// Compile checks the policy and compiles it into a Program. A policy that
// fails Check does not compile.
func Compile(p *Policy) (*Program, error) { return build(p) }

// Load parses, checks and compiles a policy file's bytes.
func Load(path string, data []byte) (*Program, error) {
	p, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	return Compile(p)
}

type checker struct {
	p    *Policy
	d    *decoder
	envs map[envKind]*cel.Env
	prg  *Program
}

func (c *checker) at(n *yaml.Node, format string, args ...any) { c.d.errf(n, format, args...) }

func (c *checker) atExpr(e *Expr, id int64, a *cel.Ast, format string, args ...any) {
	pos := e.Pos
	if a != nil && id != 0 {
		if loc := a.NativeRep().SourceInfo().GetStartLocation(id); loc.Line() > 0 {
			pos = c.d.exprPos(e, loc.Line(), loc.Column())
		}
	}
	c.d.diags = append(c.d.diags, Diagnostic{File: c.d.file, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// noFastPaths makes every condition and points expression run in CEL; the
// tests compare the two.
var noFastPaths = false

var (
	nameRE   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	actionRE = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
)

// compileExpr parses and type-checks a CEL expression, reporting errors at
// their place in the file. want is "bool", "number" or "string".
func (c *checker) compileExpr(e *Expr, k envKind, want string) *cel.Ast {
	if e == nil {
		return nil
	}
	env := c.envs[k]
	a, iss := env.Compile(e.Text)
	if iss != nil && iss.Err() != nil {
		for _, er := range iss.Errors() {
			pos := c.d.exprPos(e, er.Location.Line(), er.Location.Column())
			c.d.diags = append(c.d.diags, Diagnostic{File: c.d.file, Pos: pos,
				Msg: fmt.Sprintf("CEL: %s (variables here: %s)", er.Message, strings.Join(celNames[k], ", "))})
		}
		return nil
	}
	t := a.OutputType()
	ok := t.Kind() == types.DynKind
	switch want {
	case "bool":
		ok = ok || t.Kind() == types.BoolKind
	case "number":
		ok = ok || t.Kind() == types.IntKind || t.Kind() == types.DoubleKind || t.Kind() == types.UintKind
	case "string":
		ok = ok || t.Kind() == types.StringKind
	}
	if !ok {
		c.atExpr(e, 0, nil, "CEL: want a %s expression, this one is %s", want, t)
		return nil
	}
	est, err := env.EstimateCost(a, sizeEstimator{})
	if err != nil {
		c.atExpr(e, 0, nil, "CEL: cannot estimate the cost: %v", err)
		return nil
	}
	if est.Max > costLimit {
		c.atExpr(e, 0, nil, "CEL: expression too costly: estimated cost up to %d, the limit is %d", est.Max, costLimit)
		return nil
	}
	return a
}

func (c *checker) program(a *cel.Ast, k envKind) cel.Program {
	if a == nil {
		return nil
	}
	prg, err := c.envs[k].Program(a, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(costLimit))
	if err != nil {
		c.d.errf(c.p.nodes["."], "CEL: %v", err)
		return nil
	}
	return prg
}

func (c *checker) checkDur(n *yaml.Node, d Duration, what string) {
	if d.IsZero() || c.p.MaxValidity.IsZero() {
		return
	}
	if d.approxDays() > c.p.MaxValidity.approxDays()+0.5 {
		c.at(n, "%s %s is beyond the policy's legal maximum (max_validity: %s)", what, d, c.p.MaxValidity)
	}
}

func (c *checker) checkKind(n *yaml.Node, kind string, linked bool) bool {
	info, ok := credo.LookupKind(kind)
	if !ok {
		c.at(n, "unknown record kind %q (see credo.Kinds())%s", kind, suggestKind(kind))
		return false
	}
	if linked {
		return true
	}
	for _, s := range c.p.Subjects {
		sk, _ := credo.ParseSubjectKind(s)
		if info.AppliesTo(sk) {
			return true
		}
	}
	c.at(n, "records of kind %q are never about the policy's subjects (%s): it can never match", kind, strings.Join(c.p.Subjects, ", "))
	return false
}

func suggestKind(k string) string {
	best, bestD := "", 4
	for _, info := range credo.Kinds() {
		if d := editDistance(k, info.Name); d < bestD {
			best, bestD = info.Name, d
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// match checks and compiles a record match: its kinds, its condition, the
// kinds and attributes the condition names, and whether it can ever fire.
func (c *checker) match(m *Match, nodes map[string]*yaml.Node, what string) *matcher {
	mt := &matcher{linked: m.Linked, fast: true}
	kindsOK := true
	for _, k := range m.Kinds {
		if !c.checkKind(nodes["kind"], k, m.Linked) {
			kindsOK = false
		}
	}
	if m.Kinds != nil {
		mt.kinds = slices.Clone(m.Kinds)
	}
	if m.When == nil {
		if m.Kinds == nil {
			c.at(nodes["."], "%s: needs a kind or a when condition (it would match every record)", what)
		}
		return mt
	}
	a := c.compileExpr(m.When, envRecord, "bool")
	if a == nil {
		return mt
	}
	root := a.NativeRep().Expr()
	sh := analyzeCond(root)
	for _, kl := range sh.kindLits {
		if _, ok := credo.LookupKind(kl.name); !ok {
			c.atExpr(m.When, kl.id, a, "unknown record kind %q%s: a comparison with it is never true", kl.name, suggestKind(kl.name))
			kindsOK = false
		}
	}
	if sh.constBool != nil && !*sh.constBool {
		c.atExpr(m.When, 0, nil, "%s can never fire: its condition is always false", what)
	} else if sh.constBool == nil {
		if folded := c.fold(a); folded != nil && !*folded {
			c.atExpr(m.When, 0, nil, "%s can never fire: its condition is always false", what)
		}
	}
	if sh.kinds != nil {
		if mt.kinds == nil {
			mt.kinds = sh.kinds
		} else {
			var both []string
			for _, k := range mt.kinds {
				if slices.Contains(sh.kinds, k) {
					both = append(both, k)
				}
			}
			if len(both) == 0 && kindsOK {
				c.atExpr(m.When, 0, nil, "%s can never fire: kind is %s but the condition wants record.kind in %v", what, strings.Join(mt.kinds, ", "), sh.kinds)
			}
			mt.kinds = both
		}
	}
	// attributes: in the catalogue, carried by the kinds, of a type the
	// literal they are compared with can match
	for _, ar := range sh.attrs {
		info, ok := credo.LookupAttribute(ar.name)
		if !ok {
			c.atExpr(m.When, ar.id, a, "unknown attribute %q: no record kind carries it, so the condition can never hold", ar.name)
			continue
		}
		if mt.kinds != nil && kindsOK && len(mt.kinds) > 0 {
			carried := false
			for _, k := range mt.kinds {
				if ki, ok := credo.LookupKind(k); ok && slices.Contains(ki.Attributes, ar.name) {
					carried = true
				}
			}
			if !carried {
				c.atExpr(m.When, ar.id, a, "records of kind %s carry no attribute %q: the condition can never hold", strings.Join(mt.kinds, ", "), ar.name)
			}
		}
		if ar.cmp != nil {
			num := info.Type == credo.KindInt || info.Type == credo.KindNumber
			lnum := ar.cmp.kind == credo.KindInt || ar.cmp.kind == credo.KindNumber
			if num != lnum || (!num && info.Type != ar.cmp.kind) {
				c.atExpr(m.When, ar.id, a, "attribute %q is a %s; comparing it with a %s never holds", ar.name, info.Type, ar.cmp.kind)
			}
		}
	}
	if sh.fast && !noFastPaths && (sh.constBool == nil || *sh.constBool) {
		mt.preds = sh.preds
	} else {
		mt.fast = false
		mt.cond = c.program(a, envRecord)
		mt.condTuple = readsTupleOnly(a)
	}
	return mt
}

// fold reports a condition's constant value, if constant folding finds one.
func (c *checker) fold(a *cel.Ast) *bool {
	opt, err := cel.NewConstantFoldingOptimizer()
	if err != nil {
		return nil
	}
	so, err := cel.NewStaticOptimizer(opt)
	if err != nil {
		return nil
	}
	out, iss := so.Optimize(c.envs[envRecord], a)
	if iss != nil && iss.Err() != nil {
		return nil
	}
	if e := out.NativeRep().Expr(); e.Kind() == ast.LiteralKind {
		if b, ok := e.AsLiteral().(types.Bool); ok {
			v := bool(b)
			return &v
		}
	}
	return nil
}

func build(p *Policy) (*Program, error) {
	d := &decoder{file: p.Path, src: p.src}
	c := &checker{p: p, d: d, envs: map[envKind]*cel.Env{}}
	for _, k := range []envKind{envRecord, envStanding, envMeasure} {
		env, err := newEnv(k)
		if err != nil {
			return nil, fmt.Errorf("policy: CEL environment: %w", err)
		}
		c.envs[k] = env
	}
	root := p.nodes["."]
	prg := &Program{
		policy: p, Jurisdiction: p.Jurisdiction, Version: p.Version, versionID: p.Jurisdiction + "@" + p.Version,
		byKind: map[string][]int32{}, gradeRank: map[string]int{}, measures: map[string]*measure{},
	}
	c.prg = prg

	// header
	if p.Jurisdiction == "" {
		c.at(root, "missing jurisdiction")
	} else if !nameRE.MatchString(p.Jurisdiction) {
		c.at(p.nodes["jurisdiction"], "jurisdiction %q: want lower-case letters, digits and _", p.Jurisdiction)
	}
	if p.Version == "" {
		c.at(root, "missing version")
	}
	if len(p.Subjects) == 0 {
		c.at(root, "missing subjects (person, organization or both)")
	}
	for _, s := range p.Subjects {
		if k, err := credo.ParseSubjectKind(s); err != nil || k == credo.Unresolved {
			c.at(p.nodes["subjects"], "subjects: %q is not person or organization", s)
		}
	}
	prg.loc = shanghai
	if p.Timezone != "" {
		if l, err := time.LoadLocation(p.Timezone); err != nil {
			c.at(p.nodes["timezone"], "timezone %q: %v", p.Timezone, err)
		} else {
			prg.loc = l
		}
	}
	p.loc = prg.loc
	if p.MaxValidity.IsZero() {
		c.at(root, "missing max_validity: the legal maximum of every duration the policy names")
	}
	for _, l := range p.Linkage {
		if l.Relation != "legal_representative" {
			c.at(l.nodes["relation"], "linkage relation %q: the only relation credo knows is legal_representative", l.Relation)
		}
		for _, k := range l.Kinds {
			c.checkKind(l.nodes["kinds"], k, true)
		}
	}

	// score
	if p.Score.Base == nil {
		c.at(orNode(p.nodes["score"], root), "missing score base (score: {base: 1000})")
	} else {
		prg.base = *p.Score.Base
	}
	prg.min, prg.max = math.Inf(-1), math.Inf(1)
	if p.Score.Min != nil {
		prg.min = *p.Score.Min
	}
	if p.Score.Max != nil {
		prg.max = *p.Score.Max
	}
	if prg.min > prg.max {
		c.at(p.Score.nodes["."], "score min %v is above max %v", prg.min, prg.max)
	}
	prg.suspend = p.Score.Suspend
	for i, t := range p.Validity {
		c.checkDur(t.nodes["for"], t.For, "validity")
		if t.For.IsZero() {
			c.at(orNode(t.nodes["up_to"], root), "validity tier without for")
		}
		if t.UpTo == nil && i != len(p.Validity)-1 {
			c.at(orNode(t.nodes["for"], root), "only the last validity tier may omit up_to")
		}
		if i == len(p.Validity)-1 && t.UpTo != nil {
			c.at(orNode(t.nodes["up_to"], root), "the last validity tier must omit up_to, to catch larger points")
		}
	}
	prg.validity = p.Validity

	c.grades()
	c.rules()
	c.lists()
	c.directGrades()
	c.measures()
	c.tests()

	if len(d.diags) > 0 {
		slices.SortStableFunc(d.diags, func(a, b Diagnostic) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Column - b.Column
		})
		return nil, &Error{d.diags}
	}
	prg.index()
	prg.auxiliary()
	return prg, nil
}

func orNode(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}

func (c *checker) grades() {
	p, prg := c.p, c.prg
	if len(p.Grades) == 0 {
		c.at(p.nodes["."], "missing grades")
		return
	}
	integral := true
	for _, b := range p.Grades {
		for _, v := range []*float64{b.Min, b.Max} {
			if v != nil && *v != math.Trunc(*v) {
				integral = false
			}
		}
	}
	for i, b := range p.Grades {
		n := b.nodes["."]
		if b.Grade == "" {
			c.at(n, "grade band without grade")
		}
		if _, dup := prg.gradeRank[b.Grade]; dup {
			c.at(n, "grade %q repeated", b.Grade)
		}
		prg.gradeRank[b.Grade] = i
		if b.Min != nil && b.Max != nil && *b.Min > *b.Max {
			c.at(n, "grade %s: min %v above max %v", b.Grade, *b.Min, *b.Max)
		}
		lo := math.Inf(-1)
		if b.Min != nil {
			lo = *b.Min
		}
		prg.grades = append(prg.grades, band{grade: b.Grade, min: lo, label: bandLabel(b)})
		if i == 0 {
			if b.Max != nil && (p.Score.Max == nil || *b.Max < *p.Score.Max) {
				c.at(n, "grade %s (the best) has max %v: scores above it would have no grade (omit max, or clamp the score with score.max)", b.Grade, *b.Max)
			}
			continue
		}
		prev := p.Grades[i-1]
		if prev.Min == nil {
			c.at(n, "grade %s follows %s, which has no min: bands go from the best down, each with a min but the last", b.Grade, prev.Grade)
			continue
		}
		if b.Max == nil {
			c.at(n, "grade %s needs a max (the band above starts at %v)", b.Grade, *prev.Min)
			continue
		}
		gap := *prev.Min - *b.Max
		want := 0.0
		if integral {
			want = 1
		}
		switch {
		case gap < want:
			c.at(n, "grade %s (max %v) overlaps grade %s (min %v)", b.Grade, *b.Max, prev.Grade, *prev.Min)
		case gap > want:
			c.at(n, "gap between grade %s (max %v) and grade %s (min %v): scores in between would have no grade", b.Grade, *b.Max, prev.Grade, *prev.Min)
		}
	}
	last := p.Grades[len(p.Grades)-1]
	if last.Min != nil && (p.Score.Min == nil || *last.Min > *p.Score.Min) {
		c.at(last.nodes["."], "grade %s (the worst) has min %v: scores below it would have no grade (omit min, or clamp the score with score.min)", last.Grade, *last.Min)
	}
}

func bandLabel(b Band) string {
	f := func(v *float64) string { return fmt.Sprint(*v) }
	switch {
	case b.Min != nil && b.Max != nil:
		return f(b.Min) + "–" + f(b.Max)
	case b.Min != nil:
		return "≥ " + f(b.Min)
	case b.Max != nil:
		return "≤ " + f(b.Max)
	}
	return "all"
}

func (c *checker) uniqueName(seen map[string]bool, n *yaml.Node, what, name string) {
	if name == "" {
		c.at(n, "%s without name", what)
		return
	}
	if !nameRE.MatchString(name) {
		c.at(n, "%s name %q: want lower-case letters, digits and _", what, name)
	}
	if seen[name] {
		c.at(n, "%s name %q repeated", what, name)
	}
	seen[name] = true
}

func (c *checker) rules() {
	seen := map[string]bool{}
	for i := range c.p.Rules {
		r := &c.p.Rules[i]
		n := r.nodes["."]
		c.uniqueName(seen, orNode(r.nodes["name"], n), "rule", r.Name)
		mt := c.match(&r.Match, r.nodes, "rule "+r.Name)
		rc := &rule{name: r.Name, validFor: r.ValidFor, cap: r.Cap, repeat: r.Repeat}
		c.checkDur(r.nodes["valid_for"], r.ValidFor, "valid_for")
		if r.ValidFor.IsZero() && len(c.p.Validity) == 0 {
			c.at(n, "rule %s: no valid_for, and the policy has no validity tiers", r.Name)
		}
		switch {
		case r.Sum != nil:
			if r.Points != nil || r.PointsX != nil {
				c.at(n, "rule %s: a cumulative rule (sum, tiers) takes its points from its tiers", r.Name)
			}
			if len(r.Tiers) == 0 {
				c.at(r.nodes["sum"], "rule %s: sum without tiers", r.Name)
			}
			for j := 1; j < len(r.Tiers); j++ {
				if r.Tiers[j].At <= r.Tiers[j-1].At {
					c.at(r.nodes["tiers"], "rule %s: tiers must rise (at %v after %v)", r.Name, r.Tiers[j].At, r.Tiers[j-1].At)
				}
			}
			if r.Cap != nil || r.Repeat != nil || r.Act != nil {
				c.at(n, "rule %s: a cumulative rule takes no cap, repeat or act", r.Name)
			}
			if r.ValidFor.IsZero() {
				c.at(n, "rule %s: a cumulative rule needs valid_for", r.Name)
			}
			rc.tiers = r.Tiers
			if a := c.compileExpr(r.Sum, envRecord, "number"); a != nil {
				if ns, ok := analyzeNum(a.NativeRep().Expr()); ok && !noFastPaths {
					mt.num, mt.numFast = ns, true
				} else {
					mt.numPrg = c.program(a, envRecord)
					mt.numTuple = readsTupleOnly(a)
				}
			}
		case r.Points != nil:
			mt.num, mt.numFast = numShape{k: lit{kind: credo.KindNumber, f: *r.Points}}, true
		case r.PointsX != nil:
			if a := c.compileExpr(r.PointsX, envRecord, "number"); a != nil {
				if ns, ok := analyzeNum(a.NativeRep().Expr()); ok && !noFastPaths {
					mt.num, mt.numFast = ns, true
					if ns.attr != "" {
						c.checkNumAttr(r.PointsX, a, mt.kinds, ns.attr)
					}
				} else {
					mt.numPrg = c.program(a, envRecord)
					mt.numTuple = readsTupleOnly(a)
				}
			}
		default:
			c.at(n, "rule %s: missing points", r.Name)
		}
		if r.Points != nil && *r.Points == 0 {
			c.at(r.nodes["points"], "rule %s gives 0 points", r.Name)
		}
		if r.Act != nil {
			a := c.compileExpr(r.Act, envRecord, "string")
			mt.actPrg = c.program(a, envRecord)
			mt.actTuple = a != nil && readsTupleOnly(a)
		}
		if r.Repeat != nil {
			if r.Repeat.Factor <= 0 {
				c.at(r.Repeat.nodes["factor"], "repeat factor must be positive")
			}
			if rc.repeatGroup = r.Repeat.Group; rc.repeatGroup == "" {
				rc.repeatGroup = r.Name
			}
		}
		if r.Cap != nil {
			if r.Cap.Per != "year" && r.Cap.Per != "month" {
				c.at(r.Cap.nodes["per"], "cap per %q: want year or month", r.Cap.Per)
			}
			if (r.Cap.Max == nil) == (r.Cap.Min == nil) {
				c.at(r.Cap.nodes["."], "cap: give max (for additions) or min (for deductions)")
			}
			if rc.capGroup = r.Cap.Group; rc.capGroup == "" {
				rc.capGroup = r.Name
			}
		}
		mt.what, mt.idx = mRule, len(c.prg.rules)
		c.prg.rules = append(c.prg.rules, rc)
		c.prg.matchers = append(c.prg.matchers, mt)
	}
}

func (c *checker) checkNumAttr(e *Expr, a *cel.Ast, kinds []string, attr string) {
	info, ok := credo.LookupAttribute(attr)
	if !ok {
		c.atExpr(e, 0, nil, "unknown attribute %q", attr)
		return
	}
	if info.Type != credo.KindInt && info.Type != credo.KindNumber {
		c.atExpr(e, 0, nil, "attribute %q is a %s, not a number", attr, info.Type)
	}
}

func (c *checker) lists() {
	seen := map[string]bool{}
	for i := range c.p.Lists {
		l := &c.p.Lists[i]
		n := l.nodes["."]
		c.uniqueName(seen, orNode(l.nodes["name"], n), "list", l.Name)
		if l.Type != "blacklist" && l.Type != "redlist" {
			c.at(orNode(l.nodes["type"], n), "list %s: type %q, want blacklist or redlist", l.Name, l.Type)
		}
		if l.Published && strings.TrimSpace(l.LegalBasis) == "" {
			c.at(orNode(l.nodes["published"], n), "list %s is published but names no legal_basis", l.Name)
		}
		for _, f := range l.Masked {
			if !slices.Contains(maskable, f) {
				c.at(l.nodes["masked"], "list %s: cannot mask %q (maskable: %s)", l.Name, f, strings.Join(maskable, ", "))
			}
		}
		if l.Published && !slices.Contains(l.Masked, "id") && c.listHoldsPersons(l) {
			c.at(l.nodes["published"], "list %s publishes persons: mask at least their id", l.Name)
		}
		c.checkDur(l.nodes["min_duration"], l.MinDuration, "min_duration")
		c.checkDur(l.nodes["max_duration"], l.MaxDuration, "max_duration")
		if !l.MinDuration.IsZero() && !l.MaxDuration.IsZero() && l.MinDuration.approxDays() > l.MaxDuration.approxDays() {
			c.at(l.nodes["min_duration"], "list %s: min_duration %s above max_duration %s", l.Name, l.MinDuration, l.MaxDuration)
		}
		lc := &list{name: l.Name, typ: l.Type, min: l.MinDuration, max: l.MaxDuration, published: l.Published}
		switch {
		case l.Enter != nil:
			mt := c.match(l.Enter, l.nodes, "list "+l.Name)
			if l.Enter.When == nil && l.Enter.Kinds == nil {
				c.at(orNode(l.nodes["enter"], n), "list %s: enter needs a kind, a when or a standing condition", l.Name)
			}
			mt.what, mt.idx = mList, len(c.prg.lists)
			c.prg.matchers = append(c.prg.matchers, mt)
			if l.MaxDuration.IsZero() && l.Exit == nil {
				c.at(orNode(l.nodes["enter"], n), "list %s: a record-triggered list needs max_duration or an exit", l.Name)
			}
		case l.EnterWhen != nil:
			a := c.compileExpr(l.EnterWhen, envStanding, "bool")
			lc.cond = c.program(a, envStanding)
			lc.standing = true
			if a != nil {
				lc.needsRecords = referencesIdent(a, "records")
			}
			if l.Exit != nil || !l.MinDuration.IsZero() || !l.MaxDuration.IsZero() {
				c.at(n, "list %s: a standing-based list holds while its condition does (no exit, min_duration, max_duration)", l.Name)
			}
		default:
			c.at(n, "list %s: missing enter", l.Name)
		}
		if e := l.Exit; e != nil {
			lc.exitKind, lc.exitLink, lc.exitWithin = e.Kind, e.Link, e.Within
			if e.Kind == "" {
				c.at(e.nodes["."], "list %s: exit needs a kind", l.Name)
			} else {
				c.checkKind(e.nodes["kind"], e.Kind, true)
			}
			c.checkLink(e.nodes["link"], e.Link)
		}
		c.prg.lists = append(c.prg.lists, lc)
	}
}

// maskable are the fields a public list entry may mask.
var maskable = []string{"id", "name", "address", "phone", "legal_representative"}

func (c *checker) subjectsInclude(k credo.SubjectKind) bool {
	for _, s := range c.p.Subjects {
		if sk, _ := credo.ParseSubjectKind(s); sk == k {
			return true
		}
	}
	return false
}

// listHoldsPersons reports whether a list may have natural persons on it.
func (c *checker) listHoldsPersons(l *List) bool {
	if !c.subjectsInclude(credo.Person) {
		return false
	}
	if l.Enter == nil || l.Enter.Kinds == nil || l.Enter.Linked {
		return true
	}
	for _, k := range l.Enter.Kinds {
		if info, ok := credo.LookupKind(k); ok && info.AppliesTo(credo.Person) {
			return true
		}
	}
	return false
}

func (c *checker) checkLink(n *yaml.Node, link string) {
	if link != "" && link != "evidence" && link != "source_record_id" {
		c.at(n, "link %q: want evidence (the record's evidence names the earlier record's source_record_id) or source_record_id", link)
	}
}

// readsTupleOnly reports whether a record expression reads nothing of the
// record but its kind, polarity and attributes: its value is then a
// function of them alone (see Program.Projectable).
func readsTupleOnly(a *cel.Ast) bool {
	if a == nil {
		return false
	}
	refs, fields := 0, 0
	ast.PreOrderVisit(a.NativeRep().Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		switch e.Kind() {
		case ast.IdentKind:
			if e.AsIdent() == "record" {
				refs++
			}
		case ast.SelectKind:
			s := e.AsSelect()
			if s.Operand().Kind() == ast.IdentKind && s.Operand().AsIdent() == "record" && !s.IsTestOnly() {
				switch s.FieldName() {
				case "attributes", "kind", "polarity":
					fields++
				}
			}
		case ast.ComprehensionKind:
			refs = -1 << 30 // a macro over the record: not worth following
		}
	}))
	return refs == fields
}

// selectsField reports whether a selects a field of this name anywhere.
func selectsField(a *cel.Ast, name string) bool {
	if a == nil {
		return false
	}
	found := false
	ast.PreOrderVisit(a.NativeRep().Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() == ast.SelectKind && e.AsSelect().FieldName() == name {
			found = true
		}
	}))
	return found
}

func referencesIdent(a *cel.Ast, name string) bool {
	found := false
	ast.PreOrderVisit(a.NativeRep().Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() == ast.IdentKind && e.AsIdent() == name {
			found = true
		}
		if e.Kind() == ast.ComprehensionKind && e.AsComprehension().IterRange().Kind() == ast.IdentKind && e.AsComprehension().IterRange().AsIdent() == name {
			found = true
		}
	}))
	return found
}

func (c *checker) directGrades() {
	seen := map[string]bool{}
	for i := range c.p.DirectGrades {
		g := &c.p.DirectGrades[i]
		n := g.nodes["."]
		c.uniqueName(seen, orNode(g.nodes["name"], n), "direct grade", g.Name)
		if _, ok := c.prg.gradeRank[g.AtMost]; !ok {
			c.at(orNode(g.nodes["at_most"], n), "direct grade %s: at_most %q is not a grade of this policy", g.Name, g.AtMost)
		}
		dg := &directGrade{name: g.Name, atMost: g.AtMost, validFor: g.ValidFor}
		c.checkDur(g.nodes["valid_for"], g.ValidFor, "valid_for")
		if g.List != "" {
			li := slices.IndexFunc(c.prg.lists, func(l *list) bool { return l.name == g.List })
			switch {
			case li < 0:
				c.at(g.nodes["list"], "direct grade %s: no list %q", g.Name, g.List)
			case c.prg.lists[li].standing:
				c.at(g.nodes["list"], "direct grade %s: list %q is standing-based, and standing-based lists are decided after the grade", g.Name, g.List)
			}
			dg.list = li
			if g.Kinds != nil || g.When != nil || g.Repair != nil || !g.ValidFor.IsZero() {
				c.at(n, "direct grade %s: a list-based direct grade holds while the membership does (no kind, when, repair or valid_for)", g.Name)
			}
		} else {
			mt := c.match(&g.Match, g.nodes, "direct grade "+g.Name)
			mt.what, mt.idx = mDirect, len(c.prg.directs)
			c.prg.matchers = append(c.prg.matchers, mt)
			dg.list = -1
			if g.ValidFor.IsZero() {
				c.at(n, "direct grade %s: missing valid_for", g.Name)
			}
		}
		if r := g.Repair; r != nil {
			if r.Kind == "" {
				c.at(r.nodes["."], "repair needs a kind")
			} else {
				c.checkKind(r.nodes["kind"], r.Kind, true)
			}
			c.checkLink(r.nodes["link"], r.Link)
			c.checkDur(r.nodes["valid_for"], r.ValidFor, "valid_for")
			if r.Points != 0 && r.ValidFor.IsZero() {
				c.at(r.nodes["."], "repair with points needs valid_for")
			}
			dg.repair = r
		}
		c.prg.directs = append(c.prg.directs, dg)
	}
}

func (c *checker) measures() {
	for i := range c.p.Measures {
		m := &c.p.Measures[i]
		n := m.nodes["."]
		if !actionRE.MatchString(m.Action) {
			c.at(orNode(m.nodes["action"], n), "measure action %q: want a dotted lower-case name (flight.book)", m.Action)
		}
		if _, dup := c.prg.measures[m.Action]; dup {
			c.at(orNode(m.nodes["action"], n), "measure for %q repeated", m.Action)
		}
		mc := &measure{action: m.Action}
		if m.Purpose != nil {
			if m.Purpose.When == nil || m.Purpose.Reason == "" {
				c.at(m.Purpose.nodes["."], "purpose needs require and reason")
			}
			a := c.compileExpr(m.Purpose.When, envMeasure, "bool")
			c.prg.measureKinds = c.prg.measureKinds || selectsField(a, "kinds")
			mc.purpose = c.program(a, envMeasure)
			mc.purposeReason = m.Purpose.Reason
		}
		for _, cl := range m.Rules {
			if cl.When == nil {
				c.at(cl.nodes["."], "measure rule without when")
			}
			mc.rules = append(mc.rules, c.clause(cl))
		}
		if m.Default.nodes == nil {
			m.Default.Effect, m.Default.Reason = "permit", "default"
		}
		mc.def = c.clause(m.Default)
		c.prg.measures[m.Action] = mc
	}
}

func (c *checker) clause(cl Clause) measureClause {
	mc := measureClause{obligations: cl.Obligations, reason: cl.Reason}
	switch cl.Effect {
	case "permit":
		mc.effect = credo.Permit
	case "deny":
		mc.effect = credo.Deny
	default:
		c.at(orNode(cl.nodes["effect"], cl.nodes["."]), "effect %q: want permit or deny", cl.Effect)
	}
	if cl.Reason == "" {
		c.at(cl.nodes["."], "a measure's clause needs a reason code")
	}
	if cl.When != nil {
		a := c.compileExpr(cl.When, envMeasure, "bool")
		c.prg.measureKinds = c.prg.measureKinds || selectsField(a, "kinds")
		mc.cond = c.program(a, envMeasure)
	}
	return mc
}

func (c *checker) tests() {
	lists := map[string]bool{}
	for _, l := range c.p.Lists {
		lists[l.Name] = true
	}
	rules := map[string]bool{}
	for _, r := range c.p.Rules {
		rules[r.Name] = true
	}
	for _, d := range c.p.DirectGrades {
		rules[d.Name] = true
		if d.Repair != nil {
			rules[d.Name+".repaired"] = true
		}
	}
	seen := map[string]bool{}
	for _, t := range c.p.Tests {
		n := t.nodes["name"]
		if t.Name == "" {
			c.at(n, "test without name")
		}
		if seen[t.Name] {
			c.at(n, "test %q repeated", t.Name)
		}
		seen[t.Name] = true
		if t.AsOf.IsZero() {
			c.at(orNode(n, c.p.nodes["."]), "test %s: missing as_of", t.Name)
		}
		if t.Subject != "" && !slices.Contains(c.p.Subjects, t.Subject) {
			c.at(t.nodes["subject"], "test %s: subject %q is not among the policy's subjects", t.Name, t.Subject)
		}
		ids := map[string]bool{}
		for _, r := range t.Records {
			if r.Kind == "" {
				c.at(r.nodes["."], "test record without kind")
			} else if _, ok := credo.LookupKind(r.Kind); !ok {
				c.at(r.nodes["kind"], "unknown record kind %q%s", r.Kind, suggestKind(r.Kind))
			}
			if r.OccurredAt.IsZero() {
				c.at(r.nodes["."], "test record without occurred_at")
			}
			if r.ID != "" && ids[r.ID] {
				c.at(r.nodes["id"], "test record id %q repeated", r.ID)
			}
			ids[r.ID] = true
			for k, v := range r.Attributes {
				if _, ok := credo.LookupAttribute(k); !ok {
					c.at(r.nodes["attributes"], "unknown attribute %q", k)
				}
				if _, err := attrValue(v); err != nil {
					c.at(r.nodes["attributes"], "attribute %s: %v", k, err)
				}
			}
		}
		if t.Expect.Grade != "" {
			if _, ok := c.prg.gradeRank[t.Expect.Grade]; !ok {
				c.at(n, "test %s expects grade %q, which the policy does not have", t.Name, t.Expect.Grade)
			}
		}
		for _, l := range t.Expect.Lists {
			if !lists[l] {
				c.at(n, "test %s expects list %q, which the policy does not have", t.Name, l)
			}
		}
		for _, r := range t.Expect.NotFired {
			if !rules[r] {
				c.at(n, "test %s: not_fired names %q, which is no rule of the policy", t.Name, r)
			}
		}
		for _, x := range t.Expect.Contributions {
			if !rules[x.Rule] {
				c.at(n, "test %s expects a contribution of rule %q, which the policy does not have", t.Name, x.Rule)
			}
		}
		for _, x := range t.Expect.Decisions {
			if _, ok := c.prg.measures[x.Action]; !ok {
				c.at(n, "test %s expects a decision on %q, which no measure covers", t.Name, x.Action)
			}
		}
	}
}
