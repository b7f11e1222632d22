package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Spec says how one source's files become records. It is written by the
// operator (or the agency) as YAML; docs/source-spec.md documents every key.
// Unknown keys are an error.
type Spec struct {
	Source  string `yaml:"source"`  // the source's name: lower-case letters, digits, _ - .
	Agency  string `yaml:"agency"`  // the agency's name, for people
	Mandate string `yaml:"mandate"` // the legal mandate under which it sends records (required)

	Format   string       `yaml:"format"`   // csv, tsv, xlsx, json, ndjson, xml
	Encoding string       `yaml:"encoding"` // utf-8 (default), gb18030, gbk; a BOM is honoured
	CSV      *CSVOptions  `yaml:"csv"`
	XLSX     *XLSXOptions `yaml:"xlsx"`
	JSON     *JSONOptions `yaml:"json"`
	XML      *XMLOptions  `yaml:"xml"`

	// RecordID names the field(s) whose values, joined with "-", make the
	// source's own record id: the key the ledger is idempotent on.
	RecordID []string `yaml:"record_id"`

	Subject  SubjectSpec  `yaml:"subject"`
	Identity IdentitySpec `yaml:"identity"`

	Kind       Field            `yaml:"kind"`        // the record kind; usually an enum map from the agency's codes
	Polarity   string           `yaml:"polarity"`    // negative, positive, neutral; default: the kind catalogue's
	OccurredAt Field            `yaml:"occurred_at"` // a date or date-time
	Attributes map[string]Field `yaml:"attributes"`  // amount, place, hours …
	LegalBasis Field            `yaml:"legal_basis"`
	Evidence   Field            `yaml:"evidence"`
	Corrects   Field            `yaml:"corrects"` // the source record id this row corrects
	Retracts   Field            `yaml:"retracts"` // the source record id this row retracts

	// Timezone for dates without one; default Asia/Shanghai (UTC+8).
	Timezone string `yaml:"timezone"`

	path string              // the file it was loaded from, for messages
	pos  map[string]position // where each key is: "format", "kind.map.A01", "attributes.amount.type"
	loc  *time.Location      // Timezone, loaded by ParseSpec
}

// CSVOptions tune the CSV and TSV readers.
type CSVOptions struct {
	Delimiter  string `yaml:"delimiter"`   // default "," (csv) or tab (tsv)
	HeaderRow  int    `yaml:"header_row"`  // 1-based row holding the header; default 1
	LazyQuotes bool   `yaml:"lazy_quotes"` // accept a bare quote inside an unquoted field
}

// XLSXOptions tune the XLSX reader.
type XLSXOptions struct {
	Sheet     string `yaml:"sheet"`      // default: the first sheet
	HeaderRow int    `yaml:"header_row"` // 1-based row holding the header; default 1 (rows above it, such as a merged title, are skipped)
}

// JSONOptions tune the JSON reader.
type JSONOptions struct {
	// Records is the dotted path to the array of records inside the
	// document ("data.items"); empty when the document is the array.
	Records string `yaml:"records"`
}

// XMLOptions tune the XML reader.
type XMLOptions struct {
	// Record is the slash-separated path of the element that holds one
	// record, from the root: "export/records/record".
	Record string `yaml:"record"`
}

// SubjectSpec says whom a record is about.
type SubjectSpec struct {
	// Kind is person or organization, for every row; or KindFrom maps a
	// field to one of those.
	Kind     string `yaml:"kind"`
	KindFrom *Field `yaml:"kind_from"`
	// ID is the subject's identifier. A missing or invalid one makes an
	// unresolved record, kept with its identity attributes.
	ID Field `yaml:"id"`
}

// IdentitySpec maps the identifying attributes kept with every record (all
// there is to go on when the identifier is missing or invalid).
type IdentitySpec struct {
	Name      Field `yaml:"name"`
	BirthDate Field `yaml:"birth_date"` // type date
	Sex       Field `yaml:"sex"`        // mapped to M or F
	Phone     Field `yaml:"phone"`
	Address   Field `yaml:"address"`
}

// Field says where one value comes from and how it is transformed. Exactly
// one of Column, Concat and Const is set (or none, for an unmapped field).
type Field struct {
	Column string   `yaml:"column"` // a header name (CSV, TSV, XLSX) or a path (JSON "a.b", XML "a/b", "@attr")
	Concat []string `yaml:"concat"` // several fields joined with Sep
	Sep    string   `yaml:"sep"`
	Const  *string  `yaml:"const"` // the same value for every row

	Trim *bool  `yaml:"trim"` // strip surrounding white space (including full-width); default true
	Type string `yaml:"type"` // string (default), int, number, amount, date, bool
	// Layouts for type date, tried in order: Go layouts ("2006-01-02",
	// "2006/1/2", "20060102"), "chinese" (2024年3月5日), "excel" (serial
	// days, 45356 = 2024-03-05).
	Layouts []string          `yaml:"layouts"`
	Map     map[string]string `yaml:"map"`     // the agency's codes → values; a code not in the map quarantines the row, naming it
	Default *string           `yaml:"default"` // used when the value is empty
	// Required: an empty value quarantines the row. record_id, kind and
	// occurred_at are always required.
	Required bool `yaml:"required"`

	line, col int // where the field is in the spec, for messages
}

// IsSet reports whether the field is mapped at all.
func (f *Field) IsSet() bool { return f.Column != "" || len(f.Concat) > 0 || f.Const != nil }

// Pos is where the field's value is in the spec (line and column, 1-based;
// 0 when the spec was not read from YAML).
func (f *Field) Pos() (line, col int) { return f.line, f.col }

// UnmarshalYAML records where the field is, so that errors can point at it.
func (f *Field) UnmarshalYAML(n *yaml.Node) error {
	type plain Field
	switch n.Kind {
	case yaml.ScalarNode:
		// A bare scalar is a column name: `place: 违法地点`.
		*f = Field{Column: n.Value, line: n.Line, col: n.Column}
		return nil
	case yaml.MappingNode:
	default:
		return &yaml.TypeError{Errors: []string{fmt.Sprintf(
			"line %d: a field mapping is a column name or a mapping (column, concat or const, and options), not a list", n.Line)}}
	}
	var p plain
	err := n.Decode(&p) // a *yaml.TypeError leaves the rest decoded
	*f = Field(p)
	f.line, f.col = n.Line, n.Column
	return err
}

// position is where a key is in the spec.
type position struct{ line, col int }

// LoadSpec reads and checks a spec file.
func LoadSpec(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("source spec: %w", err)
	}
	return ParseSpec(path, b)
}

// ParseSpec parses and checks a spec; path names it in messages. It reports
// every problem at once — YAML syntax, unknown keys, values of the wrong
// type, and everything Check finds — as SpecErrors, in the order of the
// file, each with its line and column.
func ParseSpec(path string, b []byte) (*Spec, error) {
	s := &Spec{path: path, pos: map[string]position{}}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if err == io.EOF {
			return nil, SpecErrors{s.errorf("", "the spec is empty")}
		}
		return nil, SpecErrors{s.yamlError(err.Error())}
	}
	var more yaml.Node
	if err := dec.Decode(&more); err != io.EOF {
		line := 0
		if err == nil {
			line = more.Line
		}
		return nil, SpecErrors{{File: path, Line: line, Msg: "more than one YAML document: a spec file holds one spec"}}
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, SpecErrors{{File: path, Line: doc.Line, Col: doc.Column, Msg: "the spec must be a mapping of keys (source:, format:, …)"}}
	}
	w := walker{s: s}
	w.walk(doc, reflect.TypeFor[Spec](), "")
	var errs SpecErrors
	errs = append(errs, w.errs...)
	if err := doc.Decode(s); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			te = &yaml.TypeError{Errors: []string{err.Error()}}
		}
		fatal := !errors.As(err, new(*yaml.TypeError))
		for _, m := range te.Errors {
			errs = append(errs, s.yamlError(m))
			// A key given twice leaves its whole mapping undecoded.
			fatal = fatal || strings.Contains(m, "already defined")
		}
		if fatal {
			// What was decoded is not the spec: checking it would
			// only mislead.
			errs.sort()
			return nil, errs
		}
	}
	if err := s.Check(); err != nil {
		errs = append(errs, err.(SpecErrors)...)
	}
	if len(errs) > 0 {
		errs.sort()
		return nil, errs
	}
	s.loc, _ = s.location()
	return s, nil
}

// Path is the file the spec was loaded from.
func (s *Spec) Path() string { return s.path }

// Pos returns where a key is in the spec file: "format", "kind.map",
// "attributes.amount.layouts", "kind.map.A01" (a map entry, by its key).
// It returns zeros when the key is not in the file.
func (s *Spec) Pos(key string) (line, col int) {
	p := s.pos[key]
	return p.line, p.col
}

// Location is the time zone of dates without one: Timezone, or
// Asia/Shanghai (UTC+8).
func (s *Spec) Location() *time.Location {
	if s.loc != nil {
		return s.loc
	}
	l, _ := s.location()
	return l
}

func (s *Spec) location() (*time.Location, error) {
	switch s.Timezone {
	case "", "Asia/Shanghai":
		return shanghai, nil
	}
	l, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return shanghai, err
	}
	return l, nil
}

// SpecError is one problem of a spec, with where it is.
type SpecError struct {
	File string
	Line int // 1-based; 0 when the problem is with the spec as a whole
	Col  int
	Key  string // the key concerned, as for Spec.Pos; may be empty
	Msg  string
}

func (e *SpecError) Error() string {
	file := e.File
	if file == "" {
		file = "source spec"
	}
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", file, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", file, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", file, e.Msg)
}

// SpecErrors are every problem of a spec, in the order of the file.
type SpecErrors []*SpecError

func (es SpecErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap gives the problems to errors.Is and errors.As.
func (es SpecErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func (es SpecErrors) sort() {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		// Problems of the spec as a whole (line 0) come last.
		if (a.Line == 0) != (b.Line == 0) {
			return b.Line == 0
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// yamlError turns a yaml.v3 message ("yaml: line 3: …", "line 3: …") into
// a SpecError with its line.
func (s *Spec) yamlError(msg string) *SpecError {
	msg = strings.TrimPrefix(msg, "yaml: ")
	e := &SpecError{File: s.path, Msg: msg}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ":"); ok {
			if line, err := strconv.Atoi(n); err == nil {
				e.Line, e.Msg = line, strings.TrimSpace(tail)
			}
		}
	}
	e.Msg = strings.ReplaceAll(e.Msg, "ingest.plain", "a field mapping")
	return e
}

// errorf makes a SpecError about key (a path as for Spec.Pos), placed at
// the key, or at its nearest enclosing key present in the file.
func (s *Spec) errorf(key, format string, args ...any) *SpecError {
	e := &SpecError{File: s.path, Key: key, Msg: fmt.Sprintf(format, args...)}
	for k := key; k != ""; {
		if p, ok := s.pos[k]; ok {
			e.Line, e.Col = p.line, p.col
			break
		}
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return e
}

// walker records where every key of a spec is, and reports every key that
// is not a key of the spec (yaml.v3's KnownFields stops at the first).
type walker struct {
	s    *Spec
	errs SpecErrors
}

// keyHints explain some unknown keys better than a list of the known ones.
var keyHints = map[string]string{
	"identity.id":        "the identifier is mapped by subject.id",
	"identity.id_number": "the identifier is mapped by subject.id",
	"identity.id_no":     "the identifier is mapped by subject.id",
	"subject.name":       "the name is mapped by identity.name",
}

func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // a scalar Field, or a type error that Decode reports
		}
		known := map[string]reflect.Type{}
		var names []string
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			known[name] = f.Type
			names = append(names, name)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" { // a merge key: <<: *defaults
				w.walkMerge(v, t, path)
				continue
			}
			p := join(path, k.Value)
			w.s.pos[p] = position{k.Line, k.Column}
			ft, ok := known[k.Value]
			if !ok {
				w.unknown(k, path, p, names)
				continue
			}
			w.walk(v, ft, p)
		}
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			w.s.pos[p] = position{k.Line, k.Column}
			w.walk(v, t.Elem(), p)
		}
	case t.Kind() == reflect.Slice:
		if n.Kind == yaml.ScalarNode && path == "record_id" && n.Tag != "!!null" {
			// record_id: 案号 is record_id: [案号].
			c := *n
			*n = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: c.Line, Column: c.Column, Content: []*yaml.Node{&c}}
		}
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, e := range n.Content {
			p := join(path, strconv.Itoa(i))
			w.s.pos[p] = position{e.Line, e.Column}
			w.walk(e, t.Elem(), p)
		}
	}
}

func (w *walker) walkMerge(v *yaml.Node, t reflect.Type, path string) {
	for v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	if v.Kind == yaml.SequenceNode {
		for _, e := range v.Content {
			w.walk(e, t, path)
		}
		return
	}
	w.walk(v, t, path)
}

func (w *walker) unknown(k *yaml.Node, parent, path string, names []string) {
	where := ""
	if parent != "" {
		where = " in " + parent
	}
	msg := fmt.Sprintf("unknown key %q%s", k.Value, where)
	if h := keyHints[path]; h != "" {
		msg += ": " + h
	} else if near := nearest(k.Value, names); near != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", near)
	} else if parent != "" {
		msg += ": want " + strings.Join(names, ", ")
	}
	w.errs = append(w.errs, &SpecError{File: w.s.path, Line: k.Line, Col: k.Column, Key: path, Msg: msg})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// nearest returns the name closest to s, if it is close (a typo).
func nearest(s string, names []string) string {
	best, bestD := "", 3
	if len(s) <= 4 {
		bestD = 2
	}
	for _, n := range names {
		if d := editDistance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
