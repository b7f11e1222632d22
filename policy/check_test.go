package policy

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestCheckReportsPositions checks that every kind of problem in
// testdata/bad.yaml is reported at its line and column.
func TestCheckReportsPositions(t *testing.T) {
	data, err := os.ReadFile("testdata/bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse("bad.yaml", data)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if _, err := Compile(p); err == nil {
		t.Fatal("a policy failing Check compiled")
	}
	err = p.Check()
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("Check: %v, want *Error", err)
	}
	got := err.Error()
	t.Log(got)
	for _, want := range []string{
		"bad.yaml:7:3: missing score base",
		"bad.yaml:10:5: grade B (max 905) overlaps grade A (min 900)",
		"bad.yaml:11:5: gap between grade C (max 700) and grade B (min 800)",
		"bad.yaml:15:37: CEL: Syntax error",
		`bad.yaml:18:11: unknown record kind "traffic.fines"`,
		`did you mean "traffic.fine"?`,
		`bad.yaml:21:26: unknown record kind "traffic.warnings"`,
		"bad.yaml:25:17: CEL: undefined field 'amount'",
		"bad.yaml:29:11: rule const_false can never fire: its condition is always false",
		"bad.yaml:34:16: valid_for 10y is beyond the policy's legal maximum (max_validity: 3y)",
		"bad.yaml:37:11: CEL: want a bool expression, this one is string",
		`bad.yaml:41:28: records of kind traffic.warning carry no attribute "amount"`,
		"bad.yaml:45:11: rule conflicting_kinds can never fire",
		"bad.yaml:50:7: CEL: expression too costly",
		`bad.yaml:53:11: records of kind "enterprise.admin_penalty" are never about the policy's subjects`,
		`bad.yaml:57:28: attribute "severity" is a string; comparing it with a int never holds`,
		"bad.yaml:64:16: list shame is published but names no legal_basis",
		"bad.yaml:69:30: CEL: Syntax error",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q", want)
		}
	}
}

func TestParseRejectsUnknownKeys(t *testing.T) {
	data, _ := os.ReadFile("testdata/bad.yaml")
	_, err := Parse("bad.yaml", append(data, []byte("colour: red\n")...))
	if err == nil {
		t.Fatal("unknown keys accepted")
	}
	for _, want := range []string{`bad.yaml:72:1: unknown key "colour" in policy`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
}

func TestParseBadYAML(t *testing.T) {
	_, err := Parse("x.yaml", []byte("rules: [\n"))
	if err == nil || !strings.Contains(err.Error(), "x.yaml:") {
		t.Fatalf("got %v", err)
	}
}
