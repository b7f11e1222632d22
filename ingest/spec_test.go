package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The example specs of docs/source-spec.md load without a problem.
func TestExampleSpecs(t *testing.T) {
	files, err := filepath.Glob("testdata/specs/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("example specs: %v, %v", files, err)
	}
	doc, err := os.ReadFile("../docs/source-spec.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		s, err := LoadSpec(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if s.Path() != f {
			t.Errorf("Path() = %q, want %q", s.Path(), f)
		}
		// The documentation shows the same specs.
		b, _ := os.ReadFile(f)
		if !strings.Contains(string(doc), string(b)) {
			t.Errorf("docs/source-spec.md does not show %s as it is", f)
		}
	}
}

func TestParseSpecPositions(t *testing.T) {
	s, err := LoadSpec("testdata/specs/tax_xlsx.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile("testdata/specs/tax_xlsx.yaml")
	lines := strings.Split(string(b), "\n")
	lineOf := func(prefix string) int {
		for i, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return i + 1
			}
		}
		t.Fatalf("no line %q", prefix)
		return 0
	}
	for key, prefix := range map[string]string{
		"format":                 "format:",
		"xlsx.header_row":        "  header_row:",
		"attributes.tax.map.增值税": "      增值税:",
		"occurred_at.layouts":    "  layouts:",
	} {
		if line, col := s.Pos(key); line != lineOf(prefix) || col < 1 {
			t.Errorf("Pos(%q) = %d:%d, want line %d", key, line, col, lineOf(prefix))
		}
	}
	if line, _ := s.OccurredAt.Pos(); line != lineOf("  column: 欠税发生日期") {
		t.Errorf("occurred_at is at line %d", line)
	}
	if line, _ := s.Pos("nothing"); line != 0 {
		t.Errorf("Pos of a missing key: %d", line)
	}
}

func TestParseSpecForms(t *testing.T) {
	_, err := ParseSpec("forms.yaml", []byte(`source: court.test
mandate: a law
format: CSV
encoding: GB18030
record_id: 案号
subject: {kind: organization, id: 统一社会信用代码}
defaults: &date
  layouts: ["2006/1/2"]
kind: {const: court.judgment}
occurred_at:
  column: 日期
  trim: false
polarity: negative
attributes:
  amount: {column: 金额, type: amount, default: "0"}
`))
	if err == nil {
		t.Fatalf("unknown key defaults: no error")
	}
	if !strings.Contains(err.Error(), `forms.yaml:7:1: unknown key "defaults"`) {
		t.Errorf("%v", err)
	}
	s, err := ParseSpec("forms.yaml", []byte(`source: court.test
mandate: a law
format: CSV
encoding: GB18030
record_id: 案号
subject: {kind: organization, id: 统一社会信用代码}
kind: {const: court.judgment}
occurred_at:
  column: 日期
  trim: false
attributes:
  amount: {column: 金额, type: amount, default: "0"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.RecordID) != 1 || s.RecordID[0] != "案号" {
		t.Errorf("record_id %q", s.RecordID)
	}
	if s.OccurredAt.Trim == nil || *s.OccurredAt.Trim {
		t.Errorf("trim: %v", s.OccurredAt.Trim)
	}
	if a := s.Attributes["amount"]; a.Default == nil || *a.Default != "0" || a.Type != "amount" {
		t.Errorf("amount: %+v", a)
	}
	if s.Location().String() != "Asia/Shanghai" && s.Location().String() != "CST" {
		t.Errorf("location %v", s.Location())
	}
}

func TestParseSpecDocuments(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"", "x.yaml: the spec is empty"},
		{"# nothing\n", "x.yaml: the spec is empty"},
		{"- a\n- b\n", "x.yaml:1:1: the spec must be a mapping"},
		{baseSpec + "---\nsource: other\n", "more than one YAML document"},
		{"source: [\n", "x.yaml:1: did not find expected node content"},
	} {
		_, err := ParseSpec("x.yaml", []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseSpec(%q): %v, want %q", c.src, err, c.want)
		}
		var se *SpecError
		if err != nil && !errors.As(err, &se) {
			t.Errorf("ParseSpec(%q): %T", c.src, err)
		}
	}
}

func TestLoadSpecMissingFile(t *testing.T) {
	if _, err := LoadSpec("testdata/specs/nothing.yaml"); err == nil || !strings.Contains(err.Error(), "nothing.yaml") {
		t.Errorf("%v", err)
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"format", "fomat", 1}, {"kind", "kinds", 1}, {"abc", "xyz", 3}, {"案号", "案由", 1}} {
		if d := editDistance(c.a, c.b); d != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, d, c.d)
		}
	}
}
