package ingest

import (
	"bytes"
	"fmt"
	"os"

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

	path string // the file it was loaded from, for messages
	line map[string]int
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

// UnmarshalYAML records where the field is, so that errors can point at it.
func (f *Field) UnmarshalYAML(n *yaml.Node) error {
	type plain Field
	if n.Kind == yaml.ScalarNode {
		// A bare scalar is a column name: `place: 违法地点`.
		*f = Field{Column: n.Value, line: n.Line, col: n.Column}
		return nil
	}
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*f = Field(p)
	f.line, f.col = n.Line, n.Column
	return nil
}

// LoadSpec reads and checks a spec file.
func LoadSpec(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("source spec: %w", err)
	}
	return ParseSpec(path, b)
}

// ParseSpec parses and checks a spec; path names it in messages.
func ParseSpec(path string, b []byte) (*Spec, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var s Spec
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("source spec %s: %w", path, err)
	}
	s.path = path
	if err := s.Check(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Path is the file the spec was loaded from.
func (s *Spec) Path() string { return s.path }
