package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// runID runs credo with args and stdin, returning stdout, stderr and the
// exit status main would use (0, 1, or -1 for an error that is not an
// exitError).
func runID(t *testing.T, stdin io.Reader, args ...string) (stdout, stderr string, status int, err error) {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, stdin, &out, &errOut)
	var ee exitError
	switch {
	case err == nil:
		status = 0
	case asExit(err, &ee):
		status = ee.code
		if ee.msg != "" {
			t.Errorf("exitError carries message %q", ee.msg)
		}
	default:
		status = -1
	}
	return out.String(), errOut.String(), status, err
}

const (
	personOK = "11010519491231002X" // GB 11643's own example
	orgOK    = "91350100M000100Y43"
)

func TestIDCheckText(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		want   string
		status int
	}{
		{"one person", []string{personOK},
			personOK + "\tvalid\tperson\n", 0},
		{"person and organisation", []string{personOK, orgOK},
			personOK + "\tvalid\tperson\n" + orgOK + "\tvalid\torganization\n", 0},
		{"normalisation", []string{"110105-19491231-002x", "9135 0100 m000 100y 43"},
			"110105-19491231-002x\tvalid\tperson\n9135 0100 m000 100y 43\tvalid\torganization\n", 0},
		{"all-digit code", []string{"911100001000128855"},
			"911100001000128855\tvalid\torganization\n", 0},
		{"one invalid among valid", []string{personOK, "110105194912310021", orgOK},
			personOK + "\tvalid\tperson\n" +
				"110105194912310021\tinvalid\tperson\tcheck character mismatch\n" +
				orgOK + "\tvalid\torganization\n", 1},
		{"reasons", []string{
			"11010519491231002",
			"11010519491231002X1",
			"160105194912310021",
			"110105190002290022",
			"110105299912310025",
			"110105189912310021",
			"91350100M000100I43",
			"21350100M000100Y43",
			"91350100M000100Y44",
		},
			"11010519491231002\tinvalid\tperson\tlength must be 18 characters\n" +
				"11010519491231002X1\tinvalid\tperson\tlength must be 18 characters\n" +
				"160105194912310021\tinvalid\tperson\tunknown province code\n" +
				"110105190002290022\tinvalid\tperson\tinvalid birth date\n" +
				"110105299912310025\tinvalid\tperson\tinvalid birth date\n" +
				"110105189912310021\tinvalid\tperson\tinvalid birth date\n" +
				"91350100M000100I43\tinvalid\torganization\tinvalid character 'I' at position 16\n" +
				"21350100M000100Y43\tinvalid\torganization\tunknown registering authority\n" +
				"91350100M000100Y44\tinvalid\torganization\tcheck character mismatch\n", 1},
		{"organisation code", []string{"91350100M000100Y56"},
			"91350100M000100Y56\tinvalid\torganization\torganisation code check character mismatch\n", 1},
		{"bad characters", []string{
			"1101051949123100AX",
			"11010519491231\x0002X",
			"110105１9491231002X",
			"１１０１０５１９４９１２３１００２Ｘ",
			"统一社会信用代码九一三五零一零零号码",
			"\xff1101051949123100X",
		},
			"1101051949123100AX\tinvalid\tperson\tinvalid character 'A' at position 17\n" +
				"\"11010519491231\\x0002X\"\tinvalid\tperson\tinvalid character '\\x00' at position 15\n" +
				"110105１9491231002X\tinvalid\tperson\tinvalid character '１' at position 7\n" +
				"１１０１０５１９４９１２３１００２Ｘ\tinvalid\tperson\tinvalid character '１' at position 1\n" +
				"统一社会信用代码九一三五零一零零号码\tinvalid\torganization\tinvalid character '统' at position 1\n" +
				"\"\\xff1101051949123100X\"\tinvalid\torganization\tinvalid character '\\xff' at position 1\n", 1},
		{"bad lengths", []string{"", " - ", "１２３", "张三", "a\tb"},
			"\"\"\tinvalid\tunknown\tempty identifier\n" +
				" - \tinvalid\tunknown\tempty identifier\n" +
				"１２３\tinvalid\tperson\tlength must be 18 characters\n" +
				"张三\tinvalid\torganization\tlength must be 18 characters\n" +
				"\"a\\tb\"\tinvalid\torganization\tlength must be 18 characters\n", 1},
		{"kind person", []string{"--kind", "person", orgOK, personOK},
			orgOK + "\tinvalid\tperson\tinvalid character 'M' at position 9\n" + personOK + "\tvalid\tperson\n", 1},
		{"kind organization", []string{"--kind=organization", orgOK, personOK},
			orgOK + "\tvalid\torganization\n" + personOK + "\tinvalid\torganization\tcheck character mismatch\n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, status, err := runID(t, nil, append([]string{"id", "check"}, tc.args...)...)
			if status != tc.status {
				t.Errorf("status %d (%v), want %d", status, err, tc.status)
			}
			if out != tc.want {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, tc.want)
			}
			if errOut != "" {
				t.Errorf("stderr: %q", errOut)
			}
		})
	}
}

func TestIDCheckJSON(t *testing.T) {
	out, _, status, err := runID(t, nil, "id", "check", "--json",
		personOK, "110105-19491231-002x", orgOK, "91350100M000100I43", "", "110105299912310025")
	if status != 1 {
		t.Fatalf("status %d (%v), want 1", status, err)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	want := []map[string]any{
		{"id": personOK, "valid": true, "kind": "person", "reason": "", "normalized": personOK},
		{"id": "110105-19491231-002x", "valid": true, "kind": "person", "reason": "", "normalized": personOK},
		{"id": orgOK, "valid": true, "kind": "organization", "reason": "", "normalized": orgOK},
		{"id": "91350100M000100I43", "valid": false, "kind": "organization",
			"reason": "invalid character 'I' at position 16", "code": "character", "position": float64(16)},
		{"id": "", "valid": false, "kind": "unknown", "reason": "empty identifier", "code": "empty"},
		{"id": "110105299912310025", "valid": false, "kind": "person", "reason": "invalid birth date", "code": "date"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d:\n%s", len(got), len(want), out)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Errorf("entry %d = %v, want %v", i, got[i], want[i])
			continue
		}
		for k, v := range want[i] {
			if got[i][k] != v {
				t.Errorf("entry %d: %s = %#v, want %#v", i, k, got[i][k], v)
			}
		}
	}

	// All valid: status 0, and --json may come after the ids.
	out, _, status, err = runID(t, nil, "id", "check", personOK, orgOK, "--json")
	if status != 0 || err != nil {
		t.Fatalf("status %d (%v)", status, err)
	}
	if !strings.HasPrefix(out, "[\n  {\n    \"id\": \""+personOK) {
		t.Errorf("output:\n%s", out)
	}
}

func TestIDCheckStdin(t *testing.T) {
	in := "\ufeff" + personOK + "\r\n" + // a byte-order mark and CRLF, as from a spreadsheet
		"\n" +
		"   \t\n" +
		"  " + orgOK + "  \n" +
		"110105 19491231 002x\n" +
		"110105194912310021" // no final newline
	out, errOut, status, err := runID(t, strings.NewReader(in), "id", "check")
	want := personOK + "\tvalid\tperson\n" +
		orgOK + "\tvalid\torganization\n" +
		"110105 19491231 002x\tvalid\tperson\n" +
		"110105194912310021\tinvalid\tperson\tcheck character mismatch\n"
	if status != 1 || out != want || errOut != "" {
		t.Errorf("status %d (%v), stdout:\n%s\nwant:\n%s\nstderr %q", status, err, out, want, errOut)
	}

	// JSON names the line of each identifier.
	out, _, status, _ = runID(t, strings.NewReader(in), "id", "check", "--json")
	var got []idReport
	if err := json.Unmarshal([]byte(out), &got); err != nil || status != 1 {
		t.Fatalf("status %d, output %v:\n%s", status, err, out)
	}
	lines := []int{}
	for _, r := range got {
		lines = append(lines, r.Line)
	}
	if want := []int{1, 4, 5, 6}; len(lines) != 4 || lines[0] != want[0] || lines[1] != want[1] ||
		lines[2] != want[2] || lines[3] != want[3] {
		t.Errorf("lines %v, want %v", lines, want)
	}

	// All valid from stdin: status 0.
	if _, _, status, err := runID(t, strings.NewReader(personOK+"\n"+orgOK+"\n"), "id", "check"); status != 0 {
		t.Errorf("all valid: status %d (%v)", status, err)
	}
	// Arguments win over stdin.
	out, _, _, _ = runID(t, strings.NewReader("junk\n"), "id", "check", personOK)
	if out != personOK+"\tvalid\tperson\n" {
		t.Errorf("with arguments and stdin: %q", out)
	}
}

func TestIDCheckEmptyInput(t *testing.T) {
	for _, in := range []string{"", "\n\n", "  \r\n"} {
		out, _, status, err := runID(t, strings.NewReader(in), "id", "check")
		if status != 0 || out != "" {
			t.Errorf("input %q: status %d (%v), stdout %q", in, status, err, out)
		}
		out, _, status, err = runID(t, strings.NewReader(in), "id", "check", "--json")
		if status != 0 || out != "[]\n" {
			t.Errorf("input %q, --json: status %d (%v), stdout %q", in, status, err, out)
		}
	}
}

func TestIDCheckLongInput(t *testing.T) {
	long := strings.Repeat("1", 1<<20)
	out, _, status, err := runID(t, nil, "id", "check", long)
	if status != 1 || !strings.HasSuffix(out, "…\tinvalid\tperson\tlength must be 18 characters\n") || len(out) > 200 {
		t.Errorf("long argument: status %d (%v), %d bytes out: %.100q", status, err, len(out), out)
	}
	// A long line on stdin, then a valid id: both read.
	in := strings.Repeat("中", 1<<18) + "\n" + personOK + "\n"
	out, _, status, err = runID(t, strings.NewReader(in), "id", "check")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if status != 1 || len(lines) != 2 || !strings.HasSuffix(lines[0], "…\tinvalid\torganization\tlength must be 18 characters") ||
		lines[1] != personOK+"\tvalid\tperson" {
		t.Errorf("long line: status %d (%v), output %.200q", status, err, out)
	}
	// Many ids through stdin.
	var b strings.Builder
	for range 10000 {
		b.WriteString(personOK + "\n")
	}
	out, _, status, _ = runID(t, strings.NewReader(b.String()), "id", "check")
	if status != 0 || strings.Count(out, "\n") != 10000 {
		t.Errorf("10000 ids: status %d, %d lines", status, strings.Count(out, "\n"))
	}
}

// TestIDCheckNeverPanics throws odd inputs at the command, as arguments and
// on stdin, in both output modes.
func TestIDCheckNeverPanics(t *testing.T) {
	inputs := []string{"", " ", "-", "\x00", "\x00\x00\x00", "\xff\xfe\xfd", "１２３", "ｘ", "中",
		"11010519491231002", "11010519491231002X1", strings.Repeat("X", 18), strings.Repeat("\x00", 18),
		strings.Repeat("-", 1000), "\"quoted\"", "--", "-x", "\u202e11010519491231002X", "\U0001F600"}
	for _, in := range inputs {
		for _, json := range []bool{false, true} {
			args := []string{"id", "check"}
			if json {
				args = append(args, "--json")
			}
			// "--" ends the flags, so that an input that looks like one is an id.
			if _, _, status, err := runID(t, nil, append(args, "--", in)...); status == -1 {
				t.Errorf("argument %q: %v", in, err)
			}
			if _, _, status, err := runID(t, strings.NewReader(in+"\n"), args...); status == -1 {
				t.Errorf("stdin %q: %v", in, err)
			}
		}
	}
}

func TestIDCheckKindFlag(t *testing.T) {
	_, _, status, err := runID(t, nil, "id", "check", "--kind", "robot", personOK)
	if status != -1 || err == nil || !strings.Contains(err.Error(), "--kind") {
		t.Errorf("bad --kind: status %d, %v", status, err)
	}
	for _, k := range []string{"auto", "person", "organization", "organisation", "org"} {
		if _, _, status, err := runID(t, nil, "id", "check", "--kind", k, "x"); status != 1 {
			t.Errorf("--kind %s: status %d (%v)", k, status, err)
		}
	}
}

func TestIDParent(t *testing.T) {
	out, _, status, err := runID(t, nil, "id")
	if status != 0 || !strings.Contains(out, "check") {
		t.Errorf("credo id: status %d (%v), %q", status, err, out)
	}
	_, _, status, err = runID(t, nil, "id", personOK)
	if status != -1 || err == nil || !strings.Contains(err.Error(), "id check") {
		t.Errorf("credo id ID: status %d, %v", status, err)
	}
	out, _, status, _ = runID(t, nil, "id", "check", "--help")
	if status != 0 || !strings.Contains(out, "exit status is 0") {
		t.Errorf("credo id check --help: status %d, %q", status, out)
	}
}

// TestIDCheckStopsOnCancel: reading a stdin that never ends (a terminal)
// stops when the context is cancelled, as on Ctrl-C.
func TestIDCheckStopsOnCancel(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"id", "check"}, pr, &out, io.Discard) }()
	if _, err := io.WriteString(pw, personOK+"\n"); err != nil {
		t.Fatal(err)
	}
	// The answer to a line comes before the input ends.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "valid") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := out.String(); got != personOK+"\tvalid\tperson\n" {
		t.Errorf("before the end of input: %q", got)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("credo id check did not stop on cancel")
	}
}

func TestIDCheckReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader(personOK+"\n"), errReader{})
	out, _, status, err := runID(t, r, "id", "check")
	if status != -1 || err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("status %d, err %v", status, err)
	}
	if out != personOK+"\tvalid\tperson\n" {
		t.Errorf("stdout %q", out)
	}
}

func TestIDCheckWriteError(t *testing.T) {
	err := run(context.Background(), []string{"id", "check", personOK}, strings.NewReader(""), errWriter{}, io.Discard)
	if err == nil || asExit(err, new(exitError)) {
		t.Errorf("write error: %v", err)
	}
	var b strings.Builder
	for range 5000 {
		b.WriteString(personOK + "\n")
	}
	err = run(context.Background(), []string{"id", "check"}, strings.NewReader(b.String()), errWriter{}, io.Discard)
	if err == nil || asExit(err, new(exitError)) {
		t.Errorf("write error, stdin: %v", err)
	}
}

func TestDisplayID(t *testing.T) {
	for in, want := range map[string]string{
		personOK:                  personOK,
		"110105 19491231":         "110105 19491231",
		"":                        `""`,
		"a\tb":                    `"a\tb"`,
		"\x00":                    `"\x00"`,
		"\xff":                    `"\xff"`,
		`"x"`:                     `"\"x\""`,
		"中文":                      "中文",
		strings.Repeat("中", 30):   strings.Repeat("中", 21) + "…",
		strings.Repeat("1", 100):  strings.Repeat("1", 64) + "…",
		strings.Repeat("\t", 100): `"` + strings.Repeat(`\t`, 64) + `"…`,
	} {
		if got := displayID(in); got != want {
			t.Errorf("displayID(%q) = %q, want %q", in, got, want)
		}
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("pipe closed") }

// syncBuffer is a bytes.Buffer safe to read while the command writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
