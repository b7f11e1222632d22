package policy

import (
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"

	"github.com/credo-org/credo"
)

// The common shapes of a record condition — a conjunction of kind
// equalities, attribute comparisons with constants, has() tests and
// polarity tests — and of points — a constant, or a constant times an
// attribute — are compiled to plain Go. The rest run in CEL. Both give the
// same answers: a missing attribute or a comparison CEL has no overload for
// makes the condition false (CEL: an error, which does not fire).

type predOp uint8

const (
	opEq predOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
	opIn
	opHas
	opPolarity
	opLinked // record.linked (val.b: the value wanted)
)

// lit is a literal operand: an int, a double, a string or a bool.
type lit struct {
	kind credo.ValueKind // KindInt, KindNumber, KindString, KindBool
	f    float64
	s    string
	b    bool
}

type pred struct {
	op   predOp
	attr string
	val  lit
	set  []lit
	pol  credo.Polarity
}

// shape is what the analysis of a condition finds.
type shape struct {
	kinds     []string // the condition requires record.kind to be one of these (nil: no constraint)
	kindLits  []kindLit
	attrs     []attrRef
	preds     []pred
	fast      bool // the whole condition is preds (and kinds)
	constBool *bool
}

type kindLit struct {
	name string
	id   int64
}

type attrRef struct {
	name string
	id   int64
	cmp  *lit // compared with this literal (for type checks)
}

func litOf(v ref.Val) (lit, bool) {
	switch t := v.(type) {
	case types.Int:
		return lit{kind: credo.KindInt, f: float64(t)}, true
	case types.Uint:
		return lit{kind: credo.KindInt, f: float64(t)}, true
	case types.Double:
		return lit{kind: credo.KindNumber, f: float64(t)}, true
	case types.String:
		return lit{kind: credo.KindString, s: string(t)}, true
	case types.Bool:
		return lit{kind: credo.KindBool, b: bool(t)}, true
	}
	return lit{}, false
}

// isRecordField reports whether e is record.<field>.
func isRecordField(e ast.Expr, field string) bool {
	if e.Kind() != ast.SelectKind || e.AsSelect().IsTestOnly() {
		return false
	}
	s := e.AsSelect()
	return s.FieldName() == field && s.Operand().Kind() == ast.IdentKind && s.Operand().AsIdent() == "record"
}

// attrName reports whether e is record.attributes.NAME or record.attributes["NAME"].
func attrName(e ast.Expr) (string, bool) {
	switch e.Kind() {
	case ast.SelectKind:
		s := e.AsSelect()
		if !s.IsTestOnly() && isRecordField(s.Operand(), "attributes") {
			return s.FieldName(), true
		}
	case ast.CallKind:
		c := e.AsCall()
		if c.FunctionName() == "_[_]" && len(c.Args()) == 2 && isRecordField(c.Args()[0], "attributes") && c.Args()[1].Kind() == ast.LiteralKind {
			if s, ok := c.Args()[1].AsLiteral().(types.String); ok {
				return string(s), true
			}
		}
	}
	return "", false
}

func literal(e ast.Expr) (lit, bool) {
	if e.Kind() != ast.LiteralKind {
		// -5 parses as a literal; -x does not
		return lit{}, false
	}
	return litOf(e.AsLiteral())
}

var flip = map[predOp]predOp{opLt: opGt, opLe: opGe, opGt: opLt, opGe: opLe, opEq: opEq, opNe: opNe}

var cmpOps = map[string]predOp{"_==_": opEq, "_!=_": opNe, "_<_": opLt, "_<=_": opLe, "_>_": opGt, "_>=_": opGe}

// analyze finds the shape of a checked record condition.
func analyzeCond(root ast.Expr) shape {
	var sh shape
	sh.fast = true
	compared := map[int64]bool{}
	// every kind literal and attribute reference, anywhere
	ast.PreOrderVisit(root, ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() == ast.CallKind {
			c := e.AsCall()
			args := c.Args()
			if (c.FunctionName() == "_==_" || c.FunctionName() == "_!=_") && len(args) == 2 {
				for i := 0; i < 2; i++ {
					if isRecordField(args[i], "kind") {
						if l, ok := literal(args[1-i]); ok && l.kind == credo.KindString {
							sh.kindLits = append(sh.kindLits, kindLit{l.s, args[1-i].ID()})
						}
					}
				}
			}
			if c.FunctionName() == "@in" && len(args) == 2 && isRecordField(args[0], "kind") && args[1].Kind() == ast.ListKind {
				for _, el := range args[1].AsList().Elements() {
					if l, ok := literal(el); ok && l.kind == credo.KindString {
						sh.kindLits = append(sh.kindLits, kindLit{l.s, el.ID()})
					}
				}
			}
			if op, ok := cmpOps[c.FunctionName()]; ok && len(args) == 2 {
				_ = op
				for i := 0; i < 2; i++ {
					if a, ok := attrName(args[i]); ok {
						if l, ok := literal(args[1-i]); ok {
							l := l
							sh.attrs = append(sh.attrs, attrRef{a, args[i].ID(), &l})
							compared[args[i].ID()] = true
							return
						}
					}
				}
			}
		}
		if a, ok := attrName(e); ok && !compared[e.ID()] {
			sh.attrs = append(sh.attrs, attrRef{a, e.ID(), nil})
		}
		if e.Kind() == ast.SelectKind && e.AsSelect().IsTestOnly() && isRecordField(e.AsSelect().Operand(), "attributes") {
			sh.attrs = append(sh.attrs, attrRef{e.AsSelect().FieldName(), e.ID(), nil})
		}
	}))
	if root.Kind() == ast.LiteralKind {
		if b, ok := root.AsLiteral().(types.Bool); ok {
			v := bool(b)
			sh.constBool = &v
			sh.fast = v // "true" is trivially fast; "false" never fires
			return sh
		}
	}
	sh.conj(root)
	return sh
}

func (sh *shape) intersectKinds(ks []string) {
	if sh.kinds == nil {
		sh.kinds = ks
		return
	}
	var out []string
	for _, k := range sh.kinds {
		for _, x := range ks {
			if k == x {
				out = append(out, k)
			}
		}
	}
	if out == nil {
		out = []string{}
	}
	sh.kinds = out
}

func (sh *shape) conj(e ast.Expr) {
	if e.Kind() == ast.CallKind {
		c := e.AsCall()
		args := c.Args()
		switch fn := c.FunctionName(); {
		case fn == "_&&_":
			for _, a := range args {
				sh.conj(a)
			}
			return
		case fn == "_==_" && len(args) == 2:
			for i := 0; i < 2; i++ {
				if isRecordField(args[i], "kind") {
					if l, ok := literal(args[1-i]); ok && l.kind == credo.KindString {
						sh.intersectKinds([]string{l.s})
						return
					}
				}
				if isRecordField(args[i], "polarity") {
					if l, ok := literal(args[1-i]); ok && l.kind == credo.KindString {
						if p, err := credo.ParsePolarity(l.s); err == nil && l.s != "" && l.s != "+" && l.s != "-" {
							sh.preds = append(sh.preds, pred{op: opPolarity, pol: p})
							return
						}
					}
				}
			}
		case fn == "@in" && len(args) == 2 && args[1].Kind() == ast.ListKind:
			var set []lit
			for _, el := range args[1].AsList().Elements() {
				l, ok := literal(el)
				if !ok {
					set = nil
					break
				}
				set = append(set, l)
			}
			if set != nil {
				if isRecordField(args[0], "kind") {
					ks := make([]string, 0, len(set))
					for _, l := range set {
						if l.kind == credo.KindString {
							ks = append(ks, l.s)
						}
					}
					sh.intersectKinds(ks)
					return
				}
				if a, ok := attrName(args[0]); ok {
					sh.preds = append(sh.preds, pred{op: opIn, attr: a, set: set})
					return
				}
			}
		default:
			if op, ok := cmpOps[fn]; ok && len(args) == 2 {
				for i := 0; i < 2; i++ {
					if a, ok := attrName(args[i]); ok {
						if l, ok := literal(args[1-i]); ok {
							if i == 1 {
								op = flip[op]
							}
							sh.preds = append(sh.preds, pred{op: op, attr: a, val: l})
							return
						}
					}
				}
			}
		}
	}
	if e.Kind() == ast.SelectKind && e.AsSelect().IsTestOnly() && isRecordField(e.AsSelect().Operand(), "attributes") {
		sh.preds = append(sh.preds, pred{op: opHas, attr: e.AsSelect().FieldName()})
		return
	}
	if isRecordField(e, "linked") {
		sh.preds = append(sh.preds, pred{op: opLinked, val: lit{kind: credo.KindBool, b: true}})
		return
	}
	if e.Kind() == ast.CallKind && e.AsCall().FunctionName() == "!_" && isRecordField(e.AsCall().Args()[0], "linked") {
		sh.preds = append(sh.preds, pred{op: opLinked, val: lit{kind: credo.KindBool, b: false}})
		return
	}
	if e.Kind() == ast.LiteralKind {
		if b, ok := e.AsLiteral().(types.Bool); ok && bool(b) {
			return
		}
	}
	sh.fast = false
}

// eqVal is CEL's heterogeneous equality of an attribute value and a literal.
func eqVal(v credo.Value, l lit) bool {
	switch v.Kind() {
	case credo.KindInt, credo.KindNumber:
		return (l.kind == credo.KindInt || l.kind == credo.KindNumber) && v.Float() == l.f
	case credo.KindString:
		return l.kind == credo.KindString && v.Str() == l.s
	case credo.KindBool:
		return l.kind == credo.KindBool && v.Bool() == l.b
	}
	return false
}

// test evaluates a predicate on a record; ok false means CEL would have
// failed (missing attribute, no overload), which does not fire.
func (p *pred) test(r *credo.Record, linked bool) bool {
	switch p.op {
	case opPolarity:
		return r.Polarity == p.pol
	case opLinked:
		return linked == p.val.b
	}
	v, ok := r.Attributes.Get(p.attr)
	if !ok || v.Kind() == credo.KindNull {
		return false
	}
	switch p.op {
	case opHas:
		return true
	case opEq:
		return eqVal(v, p.val)
	case opNe:
		return !eqVal(v, p.val)
	case opIn:
		for _, l := range p.set {
			if eqVal(v, l) {
				return true
			}
		}
		return false
	}
	// ordering: numbers with numbers, strings with strings
	switch {
	case (v.Kind() == credo.KindInt || v.Kind() == credo.KindNumber) && (p.val.kind == credo.KindInt || p.val.kind == credo.KindNumber):
		x := v.Float()
		switch p.op {
		case opLt:
			return x < p.val.f
		case opLe:
			return x <= p.val.f
		case opGt:
			return x > p.val.f
		case opGe:
			return x >= p.val.f
		}
	case v.Kind() == credo.KindString && p.val.kind == credo.KindString:
		x := v.Str()
		switch p.op {
		case opLt:
			return x < p.val.s
		case opLe:
			return x <= p.val.s
		case opGt:
			return x > p.val.s
		case opGe:
			return x >= p.val.s
		}
	}
	return false
}

// numShape is a points expression compiled to Go: k, or k × attribute.
type numShape struct {
	k    lit
	attr string // "" for a constant
}

func analyzeNum(e ast.Expr) (numShape, bool) {
	if l, ok := literal(e); ok && (l.kind == credo.KindInt || l.kind == credo.KindNumber) {
		return numShape{k: l}, true
	}
	if e.Kind() == ast.CallKind && e.AsCall().FunctionName() == "_*_" && len(e.AsCall().Args()) == 2 {
		args := e.AsCall().Args()
		for i := 0; i < 2; i++ {
			if a, ok := attrName(args[i]); ok {
				if l, ok := literal(args[1-i]); ok && (l.kind == credo.KindInt || l.kind == credo.KindNumber) {
					return numShape{k: l, attr: a}, true
				}
			}
		}
	}
	return numShape{}, false
}

// eval computes the points; ok false where CEL would fail (int × double
// has no overload in CEL).
func (n *numShape) eval(r *credo.Record) (float64, bool) {
	if n.attr == "" {
		return n.k.f, true
	}
	v, ok := r.Attributes.Get(n.attr)
	if !ok {
		return 0, false
	}
	switch {
	case v.Kind() == credo.KindInt && n.k.kind == credo.KindInt:
		return float64(v.Int() * int64(n.k.f)), true
	case v.Kind() == credo.KindNumber && n.k.kind == credo.KindNumber:
		return v.Float() * n.k.f, true
	}
	return 0, false
}
