package policy

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Pos is a position in a policy file: 1-based line and column.
type Pos struct{ Line, Column int }

// Expr is a CEL expression as written in the policy, with where it starts.
type Expr struct {
	Text string
	Pos  Pos
	node *yaml.Node
}

// Policy is a parsed policy document. Parse fills it; Check says whether it
// may be used; Compile makes a Program of it.
type Policy struct {
	Path         string
	Jurisdiction string
	Name         string
	Description  string
	Version      string
	Subjects     []string // person, organization
	Timezone     string   // IANA name for calendar periods (caps per year); Asia/Shanghai by default
	MaxValidity  Duration // the legal maximum of every duration the policy names
	Linkage      []Linkage

	Score        Score
	Validity     []ValidityTier // how long a rule's points count when it names no valid_for
	Grades       []Band
	DirectGrades []DirectGrade
	Rules        []Rule
	Lists        []List
	Measures     []Measure
	Tests        []Test

	src   []byte
	nodes map[string]*yaml.Node
	loc   *time.Location
}

// Linkage declares a relation through which records about another subject
// reach this policy's subjects (an organisation's records against its legal
// representative). The caller passes such records among the subject's own;
// in CEL they have record.linked == true and record.relation set, and only
// clauses with linked: true see them.
type Linkage struct {
	Relation    string
	From        string // the subject kind the records are about
	Kinds       []string
	Description string
	nodes       map[string]*yaml.Node
}

// Score is the policy's points model.
type Score struct {
	Base    *float64
	Min     *float64 // the score is clamped to [Min, Max] when set
	Max     *float64
	Suspend bool // positive points count for nothing while a direct grade stands
	nodes   map[string]*yaml.Node
}

// ValidityTier: deductions (or additions) of at most UpTo points count for
// For; the last tier, without UpTo, catches the rest.
type ValidityTier struct {
	UpTo  *float64
	For   Duration
	nodes map[string]*yaml.Node
}

// Band is a grade and its score bounds (inclusive). A band without Min
// reaches down to the lowest score; without Max, up to the highest.
type Band struct {
	Grade       string
	Min, Max    *float64
	Description string
	nodes       map[string]*yaml.Node
}

// Match selects records: of one of Kinds (any kind when empty), for which
// When holds. Linked says whether records about a linked subject (see
// Linkage) are matched; by default they are not.
type Match struct {
	Kinds  []string
	When   *Expr
	Linked bool
}

// Rule gives points for a record.
type Rule struct {
	Name        string
	Description string
	Match
	Points   *float64 // constant points, or
	PointsX  *Expr    // a CEL expression over record
	ValidFor Duration // zero: from the policy's validity tiers
	Act      *Expr    // CEL string over record naming the act; records of one act count once
	Repeat   *Repeat
	Cap      *Cap
	Sum      *Expr // cumulative rule: CEL number over record, summed over the valid records …
	Tiers    []Tier
	nodes    map[string]*yaml.Node
}

// Repeat multiplies a rule's points when the rule fired for an earlier
// record still within its validity.
type Repeat struct {
	Factor float64
	Group  string // rules sharing a group count as repeats of each other; default the rule
	nodes  map[string]*yaml.Node
}

// Cap bounds the points of a group of rules per calendar period.
type Cap struct {
	Group string
	Max   *float64 // for additions
	Min   *float64 // for deductions (a negative number)
	Per   string   // year or month
	nodes map[string]*yaml.Node
}

// Tier of a cumulative rule: from At (of the summed value) the rule gives Points.
type Tier struct {
	At, Points float64
}

// DirectGrade caps the grade whatever the points, while a record of its
// kind stands (or while the subject is on a list).
type DirectGrade struct {
	Name        string
	Description string
	Match
	List     string // alternatively: while on this list
	AtMost   string
	ValidFor Duration
	Repair   *Repair
	nodes    map[string]*yaml.Node
}

// Repair ends a direct grade early when a record of Kind arrives (linked to
// the grading record by Link), and puts Points in its place for ValidFor.
type Repair struct {
	Kind     string
	Link     string // "evidence": the repair's evidence names the graded record's source_record_id; "" any
	Points   float64
	ValidFor Duration
	nodes    map[string]*yaml.Node
}

// List is a blacklist or a redlist.
type List struct {
	Name        string
	Type        string // blacklist or redlist
	Description string
	Enter       *Match // record-triggered entry, or
	EnterWhen   *Expr  // a CEL condition over standing, records and as_of
	MinDuration Duration
	MaxDuration Duration
	Exit        *Exit
	Published   bool
	Masked      []string
	LegalBasis  string
	nodes       map[string]*yaml.Node
}

// Exit ends a record-triggered membership when a record of Kind arrives
// (linked by Link), after the minimum duration; Within is the deadline the
// operator has to remove the entry from public view.
type Exit struct {
	Kind   string
	Link   string
	Within Duration
	nodes  map[string]*yaml.Node
}

// Measure is what the policy says about one action a consumer may ask.
type Measure struct {
	Action      string
	Description string
	Purpose     *Clause // must hold, else deny with its reason
	Rules       []Clause
	Default     Clause
	nodes       map[string]*yaml.Node
}

// Clause of a measure: when When (CEL over standing and context) holds,
// Effect with Obligations and Reason.
type Clause struct {
	When        *Expr
	Effect      string
	Obligations map[string]any
	Reason      string
	nodes       map[string]*yaml.Node
}

// Test is a table test: records in, expectations out.
type Test struct {
	Name    string
	Subject string
	AsOf    time.Time
	Records []TestRecord
	Expect  Expect
	Pos     Pos
	nodes   map[string]*yaml.Node
}

// TestRecord is a record of a table test.
type TestRecord struct {
	ID             string
	Kind           string
	OccurredAt     time.Time
	Attributes     map[string]any
	SourceRecordID string
	Evidence       string
	Corrects       string
	Retracts       string
	Linked         string // the relation, for a record about a linked subject
	nodes          map[string]*yaml.Node
}

// Expect is what a table test expects.
type Expect struct {
	Score         *float64
	Grade         string
	GradeBy       string
	Lists         []string // exactly these, when given (an empty list: none)
	listsSet      bool
	Contributions []ExpectContribution
	NotFired      []string
	Decisions     []ExpectDecision
}

// ExpectContribution must be among the standing's contributions.
type ExpectContribution struct {
	Record string
	Rule   string
	Points float64
}

// ExpectDecision is an action asked with a context and the decision expected.
type ExpectDecision struct {
	Action      string
	Context     map[string]any
	Effect      string
	Reason      string
	Obligations map[string]any
}

// Diagnostic is one problem found in a policy, with its position.
type Diagnostic struct {
	File string
	Pos
	Msg string
}

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Column, d.Msg)
}

// Error lists a policy's problems.
type Error struct{ Diagnostics []Diagnostic }

func (e *Error) Error() string {
	var b strings.Builder
	for i, d := range e.Diagnostics {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

type decoder struct {
	file  string
	src   []byte
	diags []Diagnostic
}

func posOf(n *yaml.Node) Pos {
	if n == nil {
		return Pos{1, 1}
	}
	return Pos{n.Line, n.Column}
}

func (d *decoder) errf(n *yaml.Node, format string, args ...any) {
	d.diags = append(d.diags, Diagnostic{File: d.file, Pos: posOf(n), Msg: fmt.Sprintf(format, args...)})
}

// fields walks a mapping, calling the handler of each key; unknown and
// repeated keys are errors. It returns the value node of each key.
func (d *decoder) fields(n *yaml.Node, what string, handlers map[string]func(*yaml.Node)) map[string]*yaml.Node {
	seen := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		d.errf(n, "%s: want a mapping", what)
		return seen
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		h, ok := handlers[k.Value]
		if !ok {
			keys := make([]string, 0, len(handlers))
			for key := range handlers {
				keys = append(keys, key)
			}
			sort.Strings(keys)
			d.errf(k, "unknown key %q in %s (known: %s)", k.Value, what, strings.Join(keys, ", "))
			continue
		}
		if _, dup := seen[k.Value]; dup {
			d.errf(k, "key %q repeated in %s", k.Value, what)
			continue
		}
		seen[k.Value] = v
		h(v)
	}
	return seen
}

func (d *decoder) str(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errf(n, "want a string")
		return ""
	}
	return n.Value
}

func (d *decoder) num(n *yaml.Node) *float64 {
	var f float64
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&f) != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		d.errf(n, "want a number")
		return nil
	}
	return &f
}

func (d *decoder) boolean(n *yaml.Node) bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
		d.errf(n, "want true or false")
	}
	return b
}

func (d *decoder) dur(n *yaml.Node) Duration {
	s := d.str(n)
	if s == "" {
		return Duration{}
	}
	v, err := ParseDuration(s)
	if err != nil {
		d.errf(n, "%v", err)
	}
	return v
}

func (d *decoder) expr(n *yaml.Node) *Expr {
	if n.Kind != yaml.ScalarNode {
		d.errf(n, "want a CEL expression (a string)")
		return nil
	}
	if n.Tag == "!!bool" || n.Tag == "!!int" || n.Tag == "!!float" {
		// a bare true, 3 or 0.5 is a valid CEL expression too
		return &Expr{Text: n.Value, Pos: posOf(n), node: n}
	}
	if n.Tag != "!!str" {
		d.errf(n, "want a CEL expression (a string)")
		return nil
	}
	return &Expr{Text: n.Value, Pos: d.exprStart(n), node: n}
}

// exprStart is where the expression text of a scalar begins in the file.
func (d *decoder) exprStart(n *yaml.Node) Pos {
	switch n.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		return Pos{n.Line, n.Column + 1}
	case yaml.LiteralStyle, yaml.FoldedStyle:
		line := n.Line + 1
		return Pos{line, indentOf(d.src, line) + 1}
	}
	return Pos{n.Line, n.Column}
}

// indentOf is the indentation of a 1-based line of src.
func indentOf(src []byte, line int) int {
	l := 1
	i := 0
	for i < len(src) && l < line {
		if src[i] == '\n' {
			l++
		}
		i++
	}
	n := 0
	for i+n < len(src) && src[i+n] == ' ' {
		n++
	}
	return n
}

// exprPos maps a CEL error location (1-based line, 0-based column within the
// expression) to the file.
func (d *decoder) exprPos(e *Expr, line, col int) Pos {
	if e == nil || e.node == nil {
		return Pos{1, 1}
	}
	if line < 1 {
		line = 1
	}
	switch e.node.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		l := e.Pos.Line + line - 1
		return Pos{l, indentOf(d.src, l) + col + 1}
	}
	if line == 1 {
		return Pos{e.Pos.Line, e.Pos.Column + col}
	}
	return Pos{e.Pos.Line + line - 1, col + 1}
}

func (d *decoder) strs(n *yaml.Node) []string {
	if n.Kind == yaml.ScalarNode {
		return []string{d.str(n)}
	}
	if n.Kind != yaml.SequenceNode {
		d.errf(n, "want a string or a list of strings")
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, d.str(c))
	}
	return out
}

func (d *decoder) seq(n *yaml.Node, what string, each func(*yaml.Node)) {
	if n.Kind != yaml.SequenceNode {
		d.errf(n, "%s: want a list", what)
		return
	}
	for _, c := range n.Content {
		each(c)
	}
}

func (d *decoder) value(n *yaml.Node) any {
	var v any
	if err := n.Decode(&v); err != nil {
		d.errf(n, "%v", err)
	}
	return normalize(v)
}

// normalize turns YAML's ints into int64 and nested maps into map[string]any.
func normalize(v any) any {
	switch t := v.(type) {
	case int:
		return int64(t)
	case map[string]any:
		for k, x := range t {
			t[k] = normalize(x)
		}
	case []any:
		for i, x := range t {
			t[i] = normalize(x)
		}
	}
	return v
}

func (d *decoder) anyMap(n *yaml.Node) map[string]any {
	if n.Kind != yaml.MappingNode {
		d.errf(n, "want a mapping")
		return nil
	}
	m, _ := d.value(n).(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

func (d *decoder) when(n *yaml.Node) time.Time {
	s := d.str(n)
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, shanghai); err == nil {
			return t
		}
	}
	d.errf(n, "want a date (2024-06-01) or a time (2024-06-01T08:00:00+08:00)")
	return time.Time{}
}

var shanghai = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}()

// Parse reads a policy document. Structural problems — YAML syntax, unknown
// or repeated keys, values of the wrong type — are reported together, with
// positions, as an *Error.
func Parse(path string, data []byte) (*Policy, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{[]Diagnostic{{File: path, Pos: Pos{1, 1}, Msg: err.Error()}}}
	}
	d := &decoder{file: path, src: data}
	p := &Policy{Path: path, src: data}
	if len(root.Content) == 0 {
		d.errf(&root, "empty policy")
		return nil, &Error{d.diags}
	}
	doc := root.Content[0]
	p.nodes = d.fields(doc, "policy", map[string]func(*yaml.Node){
		"jurisdiction": func(n *yaml.Node) { p.Jurisdiction = d.str(n) },
		"name":         func(n *yaml.Node) { p.Name = d.str(n) },
		"description":  func(n *yaml.Node) { p.Description = d.str(n) },
		"version":      func(n *yaml.Node) { p.Version = d.str(n) },
		"subjects":     func(n *yaml.Node) { p.Subjects = d.strs(n) },
		"timezone":     func(n *yaml.Node) { p.Timezone = d.str(n) },
		"max_validity": func(n *yaml.Node) { p.MaxValidity = d.dur(n) },
		"linkage": func(n *yaml.Node) {
			d.seq(n, "linkage", func(c *yaml.Node) { p.Linkage = append(p.Linkage, d.linkage(c)) })
		},
		"score": func(n *yaml.Node) { p.Score = d.score(n) },
		"validity": func(n *yaml.Node) {
			d.seq(n, "validity", func(c *yaml.Node) {
				var t ValidityTier
				t.nodes = d.fields(c, "validity tier", map[string]func(*yaml.Node){
					"up_to": func(n *yaml.Node) { t.UpTo = d.num(n) },
					"for":   func(n *yaml.Node) { t.For = d.dur(n) },
				})
				p.Validity = append(p.Validity, t)
			})
		},
		"grades": func(n *yaml.Node) {
			d.seq(n, "grades", func(c *yaml.Node) {
				var b Band
				b.nodes = d.fields(c, "grade band", map[string]func(*yaml.Node){
					"grade":       func(n *yaml.Node) { b.Grade = d.str(n) },
					"min":         func(n *yaml.Node) { b.Min = d.num(n) },
					"max":         func(n *yaml.Node) { b.Max = d.num(n) },
					"description": func(n *yaml.Node) { b.Description = d.str(n) },
				})
				b.nodes["."] = c
				p.Grades = append(p.Grades, b)
			})
		},
		"direct_grades": func(n *yaml.Node) {
			d.seq(n, "direct_grades", func(c *yaml.Node) { p.DirectGrades = append(p.DirectGrades, d.directGrade(c)) })
		},
		"rules": func(n *yaml.Node) { d.seq(n, "rules", func(c *yaml.Node) { p.Rules = append(p.Rules, d.rule(c)) }) },
		"lists": func(n *yaml.Node) { d.seq(n, "lists", func(c *yaml.Node) { p.Lists = append(p.Lists, d.list(c)) }) },
		"measures": func(n *yaml.Node) {
			d.seq(n, "measures", func(c *yaml.Node) { p.Measures = append(p.Measures, d.measure(c)) })
		},
		"tests": func(n *yaml.Node) { d.seq(n, "tests", func(c *yaml.Node) { p.Tests = append(p.Tests, d.test(c)) }) },
	})
	p.nodes["."] = doc
	if len(d.diags) > 0 {
		return p, &Error{d.diags}
	}
	return p, nil
}

func (d *decoder) linkage(n *yaml.Node) Linkage {
	var l Linkage
	l.nodes = d.fields(n, "linkage", map[string]func(*yaml.Node){
		"relation":    func(n *yaml.Node) { l.Relation = d.str(n) },
		"from":        func(n *yaml.Node) { l.From = d.str(n) },
		"kinds":       func(n *yaml.Node) { l.Kinds = d.strs(n) },
		"description": func(n *yaml.Node) { l.Description = d.str(n) },
	})
	l.nodes["."] = n
	return l
}

func (d *decoder) score(n *yaml.Node) Score {
	var s Score
	s.nodes = d.fields(n, "score", map[string]func(*yaml.Node){
		"base":                              func(n *yaml.Node) { s.Base = d.num(n) },
		"min":                               func(n *yaml.Node) { s.Min = d.num(n) },
		"max":                               func(n *yaml.Node) { s.Max = d.num(n) },
		"suspend_positive_while_downgraded": func(n *yaml.Node) { s.Suspend = d.boolean(n) },
	})
	s.nodes["."] = n
	return s
}

func (d *decoder) matchFields(m *Match, h map[string]func(*yaml.Node)) map[string]func(*yaml.Node) {
	h["kind"] = func(n *yaml.Node) { m.Kinds = d.strs(n) }
	h["when"] = func(n *yaml.Node) { m.When = d.expr(n) }
	h["linked"] = func(n *yaml.Node) { m.Linked = d.boolean(n) }
	return h
}

func (d *decoder) rule(n *yaml.Node) Rule {
	var r Rule
	r.nodes = d.fields(n, "rule", d.matchFields(&r.Match, map[string]func(*yaml.Node){
		"name":        func(n *yaml.Node) { r.Name = d.str(n) },
		"description": func(n *yaml.Node) { r.Description = d.str(n) },
		"points": func(n *yaml.Node) {
			if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
				r.Points = d.num(n)
			} else {
				r.PointsX = d.expr(n)
			}
		},
		"valid_for": func(n *yaml.Node) { r.ValidFor = d.dur(n) },
		"act":       func(n *yaml.Node) { r.Act = d.expr(n) },
		"repeat": func(n *yaml.Node) {
			r.Repeat = &Repeat{Factor: 2}
			r.Repeat.nodes = d.fields(n, "repeat", map[string]func(*yaml.Node){
				"factor": func(n *yaml.Node) {
					if f := d.num(n); f != nil {
						r.Repeat.Factor = *f
					}
				},
				"group": func(n *yaml.Node) { r.Repeat.Group = d.str(n) },
			})
		},
		"cap": func(n *yaml.Node) {
			r.Cap = &Cap{Per: "year"}
			r.Cap.nodes = d.fields(n, "cap", map[string]func(*yaml.Node){
				"group": func(n *yaml.Node) { r.Cap.Group = d.str(n) },
				"max":   func(n *yaml.Node) { r.Cap.Max = d.num(n) },
				"min":   func(n *yaml.Node) { r.Cap.Min = d.num(n) },
				"per":   func(n *yaml.Node) { r.Cap.Per = d.str(n) },
			})
			r.Cap.nodes["."] = n
		},
		"sum": func(n *yaml.Node) { r.Sum = d.expr(n) },
		"tiers": func(n *yaml.Node) {
			d.seq(n, "tiers", func(c *yaml.Node) {
				var t Tier
				d.fields(c, "tier", map[string]func(*yaml.Node){
					"at": func(n *yaml.Node) {
						if f := d.num(n); f != nil {
							t.At = *f
						}
					},
					"points": func(n *yaml.Node) {
						if f := d.num(n); f != nil {
							t.Points = *f
						}
					},
				})
				r.Tiers = append(r.Tiers, t)
			})
		},
	}))
	r.nodes["."] = n
	return r
}

func (d *decoder) directGrade(n *yaml.Node) DirectGrade {
	var g DirectGrade
	g.nodes = d.fields(n, "direct grade", d.matchFields(&g.Match, map[string]func(*yaml.Node){
		"name":        func(n *yaml.Node) { g.Name = d.str(n) },
		"description": func(n *yaml.Node) { g.Description = d.str(n) },
		"list":        func(n *yaml.Node) { g.List = d.str(n) },
		"at_most":     func(n *yaml.Node) { g.AtMost = d.str(n) },
		"valid_for":   func(n *yaml.Node) { g.ValidFor = d.dur(n) },
		"repair": func(n *yaml.Node) {
			r := &Repair{}
			r.nodes = d.fields(n, "repair", map[string]func(*yaml.Node){
				"kind": func(n *yaml.Node) { r.Kind = d.str(n) },
				"link": func(n *yaml.Node) { r.Link = d.str(n) },
				"points": func(n *yaml.Node) {
					if f := d.num(n); f != nil {
						r.Points = *f
					}
				},
				"valid_for": func(n *yaml.Node) { r.ValidFor = d.dur(n) },
			})
			r.nodes["."] = n
			g.Repair = r
		},
	}))
	g.nodes["."] = n
	return g
}

func (d *decoder) list(n *yaml.Node) List {
	var l List
	l.nodes = d.fields(n, "list", map[string]func(*yaml.Node){
		"name":        func(n *yaml.Node) { l.Name = d.str(n) },
		"type":        func(n *yaml.Node) { l.Type = d.str(n) },
		"description": func(n *yaml.Node) { l.Description = d.str(n) },
		"enter": func(n *yaml.Node) {
			m := &Match{}
			var standing *Expr
			d.fields(n, "enter", d.matchFields(m, map[string]func(*yaml.Node){
				"standing": func(n *yaml.Node) { standing = d.expr(n) },
			}))
			if standing != nil {
				l.EnterWhen = standing
				if m.Kinds != nil || m.When != nil {
					d.errf(n, "enter: either a record match (kind, when) or a standing condition, not both")
				}
			} else {
				l.Enter = m
			}
		},
		"min_duration": func(n *yaml.Node) { l.MinDuration = d.dur(n) },
		"max_duration": func(n *yaml.Node) { l.MaxDuration = d.dur(n) },
		"exit": func(n *yaml.Node) {
			e := &Exit{}
			e.nodes = d.fields(n, "exit", map[string]func(*yaml.Node){
				"kind":   func(n *yaml.Node) { e.Kind = d.str(n) },
				"link":   func(n *yaml.Node) { e.Link = d.str(n) },
				"within": func(n *yaml.Node) { e.Within = d.dur(n) },
			})
			e.nodes["."] = n
			l.Exit = e
		},
		"published":   func(n *yaml.Node) { l.Published = d.boolean(n) },
		"masked":      func(n *yaml.Node) { l.Masked = d.strs(n) },
		"legal_basis": func(n *yaml.Node) { l.LegalBasis = d.str(n) },
	})
	l.nodes["."] = n
	return l
}

func (d *decoder) clause(n *yaml.Node, what string, c *Clause, withWhen bool) {
	h := map[string]func(*yaml.Node){
		"effect":      func(n *yaml.Node) { c.Effect = d.str(n) },
		"obligations": func(n *yaml.Node) { c.Obligations = d.anyMap(n) },
		"reason":      func(n *yaml.Node) { c.Reason = d.str(n) },
	}
	if withWhen {
		h["when"] = func(n *yaml.Node) { c.When = d.expr(n) }
	}
	c.nodes = d.fields(n, what, h)
	c.nodes["."] = n
}

func (d *decoder) measure(n *yaml.Node) Measure {
	var m Measure
	m.nodes = d.fields(n, "measure", map[string]func(*yaml.Node){
		"action":      func(n *yaml.Node) { m.Action = d.str(n) },
		"description": func(n *yaml.Node) { m.Description = d.str(n) },
		"purpose": func(n *yaml.Node) {
			m.Purpose = &Clause{}
			h := map[string]func(*yaml.Node){
				"require": func(n *yaml.Node) { m.Purpose.When = d.expr(n) },
				"reason":  func(n *yaml.Node) { m.Purpose.Reason = d.str(n) },
			}
			m.Purpose.nodes = d.fields(n, "purpose", h)
			m.Purpose.nodes["."] = n
			m.Purpose.Effect = "deny"
		},
		"rules": func(n *yaml.Node) {
			d.seq(n, "measure rules", func(c *yaml.Node) {
				var cl Clause
				d.clause(c, "measure rule", &cl, true)
				m.Rules = append(m.Rules, cl)
			})
		},
		"default": func(n *yaml.Node) { d.clause(n, "measure default", &m.Default, false) },
	})
	m.nodes["."] = n
	return m
}

func (d *decoder) test(n *yaml.Node) Test {
	t := Test{Pos: posOf(n)}
	t.nodes = d.fields(n, "test", map[string]func(*yaml.Node){
		"name":    func(n *yaml.Node) { t.Name = d.str(n) },
		"subject": func(n *yaml.Node) { t.Subject = d.str(n) },
		"as_of":   func(n *yaml.Node) { t.AsOf = d.when(n) },
		"records": func(n *yaml.Node) {
			d.seq(n, "records", func(c *yaml.Node) {
				var r TestRecord
				r.nodes = d.fields(c, "test record", map[string]func(*yaml.Node){
					"id":               func(n *yaml.Node) { r.ID = d.str(n) },
					"kind":             func(n *yaml.Node) { r.Kind = d.str(n) },
					"occurred_at":      func(n *yaml.Node) { r.OccurredAt = d.when(n) },
					"attributes":       func(n *yaml.Node) { r.Attributes = d.anyMap(n) },
					"source_record_id": func(n *yaml.Node) { r.SourceRecordID = d.str(n) },
					"evidence":         func(n *yaml.Node) { r.Evidence = d.str(n) },
					"corrects":         func(n *yaml.Node) { r.Corrects = d.str(n) },
					"retracts":         func(n *yaml.Node) { r.Retracts = d.str(n) },
					"linked":           func(n *yaml.Node) { r.Linked = d.str(n) },
				})
				r.nodes["."] = c
				t.Records = append(t.Records, r)
			})
		},
		"expect": func(n *yaml.Node) {
			e := &t.Expect
			d.fields(n, "expect", map[string]func(*yaml.Node){
				"score":    func(n *yaml.Node) { e.Score = d.num(n) },
				"grade":    func(n *yaml.Node) { e.Grade = d.str(n) },
				"grade_by": func(n *yaml.Node) { e.GradeBy = d.str(n) },
				"lists": func(n *yaml.Node) {
					e.listsSet = true
					e.Lists = []string{}
					if n.Kind == yaml.SequenceNode {
						e.Lists = d.strs(n)
					} else {
						d.errf(n, "lists: want a list of list names ([] for none)")
					}
				},
				"not_fired": func(n *yaml.Node) { e.NotFired = d.strs(n) },
				"contributions": func(n *yaml.Node) {
					d.seq(n, "contributions", func(c *yaml.Node) {
						var x ExpectContribution
						d.fields(c, "expected contribution", map[string]func(*yaml.Node){
							"record": func(n *yaml.Node) { x.Record = d.str(n) },
							"rule":   func(n *yaml.Node) { x.Rule = d.str(n) },
							"points": func(n *yaml.Node) {
								if f := d.num(n); f != nil {
									x.Points = *f
								}
							},
						})
						e.Contributions = append(e.Contributions, x)
					})
				},
				"decisions": func(n *yaml.Node) {
					d.seq(n, "decisions", func(c *yaml.Node) {
						var x ExpectDecision
						d.fields(c, "expected decision", map[string]func(*yaml.Node){
							"action":      func(n *yaml.Node) { x.Action = d.str(n) },
							"context":     func(n *yaml.Node) { x.Context = d.anyMap(n) },
							"effect":      func(n *yaml.Node) { x.Effect = d.str(n) },
							"reason":      func(n *yaml.Node) { x.Reason = d.str(n) },
							"obligations": func(n *yaml.Node) { x.Obligations = d.anyMap(n) },
						})
						e.Decisions = append(e.Decisions, x)
					})
				},
			})
		},
	})
	return t
}
