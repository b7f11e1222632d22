package ingest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// baseSpec is a valid spec; the cases below change it line by line.
const baseSpec = `source: court.test
mandate: a law
format: csv
record_id: [id]
subject:
  kind: person
  id: sfzh
kind:
  column: code
  map:
    A: court.judgment
occurred_at: date
`

// edit returns baseSpec with the line starting with old replaced by new
// (new may hold several lines, or none), or with new appended when old is
// "".
func edit(t *testing.T, pairs ...string) string {
	t.Helper()
	s := baseSpec
	for i := 0; i+1 < len(pairs); i += 2 {
		old, new := pairs[i], pairs[i+1]
		if old == "" {
			s += new
			continue
		}
		lines := strings.SplitAfter(s, "\n")
		found := false
		for j, l := range lines {
			if strings.HasPrefix(l, old) {
				if new != "" && !strings.HasSuffix(new, "\n") {
					new += "\n"
				}
				lines[j] = new
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("no line %q in the base spec", old)
		}
		s = strings.Join(lines, "")
	}
	return s
}

func TestBaseSpecIsValid(t *testing.T) {
	if _, err := ParseSpec("base.yaml", []byte(baseSpec)); err != nil {
		t.Fatal(err)
	}
}

func TestCheck(t *testing.T) {
	type want struct {
		line int
		msg  string
	}
	for _, c := range []struct {
		name string
		spec []string // pairs for edit
		want []want
	}{
		{"unknown top-level key", []string{"", "fomat: csv\n"}, []want{{13, `unknown key "fomat" (did you mean "format"?)`}}},
		{"every unknown key", []string{"", "foo: 1\nbar: 2\n", "  id: sfzh", "  id: sfzh\n  idd: x"},
			[]want{{8, `unknown key "idd" in subject`}, {14, `unknown key "foo"`}, {15, `unknown key "bar"`}}},
		{"unknown key in a field", []string{"  column: code", "  colum: code"}, []want{{9, `unknown key "colum" in kind (did you mean "column"?)`}, {8, "kind maps nothing"}}},
		{"unknown identity key", []string{"", "identity:\n  name: xm\n  id_number: sfzh\n  email: yx\n"},
			[]want{{15, `"id_number" in identity: the identifier is mapped by subject.id`}, {16, `"email" in identity: want name, birth_date, sex, phone, address`}}},
		{"source name", []string{"source:", "source: Court Test"}, []want{{1, `source "Court Test" is not a source name`}}},
		{"source missing", []string{"source:", ""}, []want{{0, "source is required"}}},
		{"mandate missing", []string{"mandate:", ""}, []want{{0, "mandate is required"}}},
		{"format unknown", []string{"format:", "format: xls"}, []want{{3, `format "xls"`}}},
		{"format missing", []string{"format:", ""}, []want{{0, "format is required"}}},
		{"encoding unknown", []string{"", "encoding: big5\n"}, []want{{13, `encoding "big5"`}}},
		{"options for another format", []string{"", "xml:\n  record: a/b\njson:\n  records: data\n"},
			[]want{{13, "xml: options for xml files, but the format is csv"}, {15, "json: options for json files"}}},
		{"csv options", []string{"", "csv:\n  delimiter: ab\n  header_row: -1\n"},
			[]want{{14, `csv.delimiter "ab"`}, {15, "csv.header_row -1"}}},
		{"tsv may have csv options", []string{"format:", "format: tsv", "", "csv:\n  delimiter: '|'\n"}, nil},
		{"bad type of value", []string{"", "csv:\n  header_row: two\n"}, []want{{14, "cannot unmarshal !!str `two` into int"}}},
		{"timezone", []string{"", "timezone: Mars/Olympus\n"}, []want{{13, `timezone "Mars/Olympus"`}}},
		{"record_id missing", []string{"record_id:", ""}, []want{{0, "record_id is required"}}},
		{"record_id as a scalar", []string{"record_id:", "record_id: 案号"}, nil},
		{"record_id repeated", []string{"record_id:", "record_id: [id, no, id]"}, []want{{4, `"id" is named twice`}}},
		{"kind missing", []string{"kind:", "", "  column: code", "", "  map:", "", "    A: court", ""}, []want{{0, "kind is required"}}},
		{"occurred_at missing", []string{"occurred_at:", ""}, []want{{0, "occurred_at is required"}}},
		{"subject missing", []string{"subject:", "", "  kind: person", "", "  id: sfzh", ""},
			[]want{{0, "subject.kind (person or organization) or subject.kind_from is required"}, {0, "subject.id is not mapped"}}},
		{"subject kind", []string{"  kind: person", "  kind: human"}, []want{{6, `subject.kind "human": want person or organization`}}},
		{"subject kind and kind_from", []string{"  kind: person", "  kind: person\n  kind_from: zt"}, []want{{7, "give kind or kind_from, not both"}}},
		{"subject kind_from map", []string{"  kind: person", "  kind_from:\n    column: zt\n    map:\n      P: person\n      O: company"},
			[]want{{10, `code "O" maps to "company": want person or organization`}}},
		{"subject resolvable by name", []string{"  id: sfzh", "", "", "identity:\n  name: xm\n"}, nil},
		{"more than one source", []string{"  column: code", "  column: code\n  concat: [a, b]"},
			[]want{{8, "kind: give one of column, concat and const, not 2"}}},
		{"concat of one", []string{"occurred_at:", "occurred_at:\n  concat: [d]"}, []want{{13, "concat needs at least 2 fields"}}},
		{"sep without concat", []string{"occurred_at:", "occurred_at:\n  column: d\n  sep: ' '"}, []want{{14, "sep is for concat"}}},
		{"unknown type", []string{"", "attributes:\n  amount:\n    column: je\n    type: money\n"}, []want{{16, `type "money": want string, int, number, amount, date, bool`}}},
		{"layouts on a non-date field", []string{"", "attributes:\n  amount:\n    column: je\n    type: amount\n    layouts: [\"2006-01-02\"]\n"},
			[]want{{17, "layouts are for type date, and the type is amount"}}},
		{"layout not Go", []string{"occurred_at:", "occurred_at:\n  column: d\n  layouts: [yyyy-MM-dd, \"01-02\", chinese, excel]"},
			[]want{{14, `layout "yyyy-MM-dd" is not a Go layout`}, {14, `layout "01-02" does not read a whole date`}}},
		{"date without layouts", []string{"occurred_at:", "occurred_at:\n  column: d\n  type: date"}, nil},
		{"occurred_at not a date", []string{"occurred_at:", "occurred_at:\n  column: d\n  type: int"}, []want{{14, `occurred_at: type "int"`}}},
		{"map on a non-string", []string{"", "attributes:\n  points:\n    column: jf\n    type: int\n    map: {A: 1}\n"},
			[]want{{17, "map is for text values, and the type is int"}}},
		{"unknown kind in map", []string{"    A: court.judgment", "    A: court.judgment\n    B: court.judgement\n    C: court.nothing_like_it"},
			[]want{{12, `code "B" maps to "court.judgement" is not a kind in the catalogue (did you mean "court.judgment"?)`}, {13, `"court.nothing_like_it" is not a kind`}}},
		{"unknown kind as const", []string{"kind:", "kind: {const: tax.arrear}", "  column: code", "", "  map:", "", "    A: court", ""},
			[]want{{8, `const "tax.arrear" is not a kind in the catalogue (did you mean "tax.arrears"?)`}}},
		{"kind about another subject", []string{"    A: court.judgment", "    A: enterprise.abnormal_operations"},
			[]want{{11, `"enterprise.abnormal_operations" is never about a person`}}},
		{"kind not a string", []string{"  column: code", "  column: code\n  type: int"}, []want{{10, `kind: type "int": kind is a string`}}},
		{"polarity", []string{"", "polarity: bad\n"}, []want{{13, `polarity "bad": want negative, positive or neutral`}}},
		{"attribute names", []string{"", "attributes:\n  Amount: je\n  fine-amount: je\n  in: x\n  place: dd\n"},
			[]want{{14, `attribute "Amount": names are lower_snake_case`}, {15, `"fine-amount"`}, {16, `attribute "in": a reserved word of CEL`}}},
		{"attribute not mapped", []string{"", "attributes:\n  place:\n"}, []want{{14, "attribute place is not mapped"}}},
		{"attribute catalogue type", []string{"", "attributes:\n  amount: je\n  points: {column: jf, type: amount}\n"},
			[]want{{14, "attribute amount is number in the attribute catalogue"}, {15, "attribute points is int"}}},
		{"const of the wrong type", []string{"", "attributes:\n  points: {const: many, type: int}\n"}, []want{{14, `"many" is not a whole number`}}},
		{"default of the wrong type", []string{"occurred_at:", "occurred_at:\n  column: d\n  default: soon"}, []want{{14, `date "soon" fits none of the layouts`}}},
		{"default not in the map", []string{"    A: court.judgment", "    A: court.judgment\n  default: Z"}, []want{{12, `default "Z" is not a code of the map`}}},
		{"options but no column", []string{"", "legal_basis:\n  required: true\n"}, []want{{13, "legal_basis has options but no column, concat or const"}}},
		{"a list for a field", []string{"occurred_at:", "occurred_at: [a, b]"}, []want{{12, "a field mapping is a column name or a mapping"}, {12, "occurred_at maps nothing"}}},
		{"yaml syntax", []string{"", "attributes: [\n"}, []want{{13, "did not find expected node content"}}},
		{"duplicate key", []string{"", "format: xlsx\n"}, []want{{13, `mapping key "format" already defined at line 3`}}},
		{"identity birth date type", []string{"", "identity:\n  birth_date: {column: csrq, type: bool}\n"}, []want{{14, "a birth date is a date"}}},
		{"merge key", []string{"", "common: &c\n  column: x\nlegal_basis:\n  <<: *c\n"}, []want{{13, `unknown key "common"`}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := edit(t, c.spec...)
			_, err := ParseSpec("test.yaml", []byte(src))
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("%v\nspec:\n%s", err, src)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; spec:\n%s", src)
			}
			var errs SpecErrors
			if !errors.As(err, &errs) {
				t.Fatalf("%T is not SpecErrors: %v", err, err)
			}
			for _, w := range c.want {
				found := false
				for _, e := range errs {
					if e.Line == w.line && strings.Contains(e.Msg, w.msg) {
						found = true
					}
				}
				if !found {
					t.Errorf("want line %d: %s\ngot:\n%v\nspec:\n%s", w.line, w.msg, err, numbered(src))
				}
			}
			for _, e := range errs {
				s := e.Error()
				if !strings.HasPrefix(s, "test.yaml:") {
					t.Errorf("%q does not name the file", s)
				}
				if e.Line > 0 && !strings.HasPrefix(s, fmt.Sprintf("test.yaml:%d:", e.Line)) {
					t.Errorf("%q does not name the line", s)
				}
			}
			if len(errs) != len(c.want) {
				t.Errorf("%d problems, want %d:\n%v", len(errs), len(c.want), err)
			}
		})
	}
}

func numbered(s string) string {
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		fmt.Fprintf(&b, "%3d %s\n", i+1, l)
	}
	return b.String()
}

// Every problem is reported at once, in the order of the file.
func TestCheckReportsEverything(t *testing.T) {
	src := `source: Bad Name
format: xls
encoding: big5
record_id: []
subject:
  kind: thing
kind:
  column: code
  map:
    A: court.nope
occurred_at:
  column: d
  type: number
attributes:
  Bad: x
unknown: 1
`
	_, err := ParseSpec("all.yaml", []byte(src))
	var errs SpecErrors
	if !errors.As(err, &errs) {
		t.Fatalf("%v", err)
	}
	var lines []int
	for _, e := range errs {
		lines = append(lines, e.Line)
	}
	want := []int{1, 2, 3, 4, 5, 6, 10, 13, 15, 16, 0}
	if fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Errorf("lines %v, want %v:\n%v", lines, want, err)
	}
}

// A spec built in Go (no YAML positions) is checked too.
func TestCheckWithoutPositions(t *testing.T) {
	s := &Spec{Source: "x", Format: "csv", Mandate: "m", RecordID: []string{"id"},
		Subject: SubjectSpec{Kind: "person", ID: Field{Column: "sfzh"}},
		Kind:    Field{Column: "k", Map: map[string]string{"a": "court.nope"}}, OccurredAt: Field{Column: "d"}}
	err := s.Check()
	if err == nil || !strings.Contains(err.Error(), `"court.nope" is not a kind`) {
		t.Fatalf("%v", err)
	}
	s.Kind.Map["a"] = "court.judgment"
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestCheckLayout(t *testing.T) {
	for l, ok := range map[string]bool{
		"2006-01-02": true, "2006/1/2": true, "20060102": true, "2006年1月2日": true, "02/01/2006": true,
		"2006-01-02 15:04:05": true, "Jan 2, 2006": true, "chinese": true, "excel": true,
		"": false, "yyyy-mm-dd": false, "YYYY/MM/DD": false, "2006-01": false, "15:04": false, "01/02": false,
	} {
		if got := checkLayout(l) == ""; got != ok {
			t.Errorf("checkLayout(%q) = %q", l, checkLayout(l))
		}
	}
}

func TestValidAttributeName(t *testing.T) {
	for n, ok := range map[string]bool{
		"amount": true, "detention_days": true, "ml2": true, "a": true,
		"": false, "Amount": false, "2x": false, "_x": false, "x_": false, "a__b": false, "a-b": false, "金额": false, "a.b": false,
	} {
		if validAttributeName(n) != ok {
			t.Errorf("validAttributeName(%q) = %v", n, !ok)
		}
	}
}
