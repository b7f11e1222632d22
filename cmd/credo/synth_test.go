package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/synth"
)

// runSynthCLI runs credo synth with args and returns stdout and stderr.
func runSynthCLI(t *testing.T, ctx context.Context, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(ctx, append([]string{"synth"}, args...), strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

// lines splits NDJSON, failing on a missing final newline.
func lines(t *testing.T, s string) []string {
	t.Helper()
	if s == "" {
		return nil
	}
	if !strings.HasSuffix(s, "\n") {
		t.Fatalf("output does not end in a newline: …%q", s[max(0, len(s)-40):])
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func TestSynthEvents(t *testing.T) {
	out, errOut, err := runSynthCLI(t, context.Background(), "--people", "1000", "--years", "1", "--truth")
	if err != nil {
		t.Fatal(err)
	}
	if errOut != "" {
		t.Errorf("stderr: %q", errOut)
	}
	city, err := synth.New(synth.Config{Seed: 1, People: 1000, Start: synth.DefaultStart, End: synth.DefaultStart.AddDate(1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	ls := lines(t, out)
	if len(ls) < 500 {
		t.Fatalf("%d events for 1000 people in a year", len(ls))
	}
	var last time.Time
	for i, l := range ls {
		var r credo.Record
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, l)
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if r.OccurredAt.Before(last) {
			t.Fatalf("line %d: out of order", i+1)
		}
		last = r.OccurredAt
		var truth struct {
			Truth *struct {
				Subject string `json:"subject"`
				Index   int    `json:"index"`
			} `json:"truth"`
		}
		if err := json.Unmarshal([]byte(l), &truth); err != nil || truth.Truth == nil {
			t.Fatalf("line %d: no truth: %s", i+1, l)
		}
		switch truth.Truth.Subject {
		case "person":
			if p := city.Person(truth.Truth.Index); p.IDNumber != r.Subject.ID {
				t.Fatalf("line %d: subject %s, truth says person %d (%s)", i+1, r.Subject.ID, truth.Truth.Index, p.IDNumber)
			}
		case "organization":
			if o := city.Org(truth.Truth.Index); o.USCC != r.Subject.ID {
				t.Fatalf("line %d: subject %s, truth says org %d (%s)", i+1, r.Subject.ID, truth.Truth.Index, o.USCC)
			}
		default:
			t.Fatalf("line %d: truth %+v", i+1, truth.Truth)
		}
	}
	// Without --truth there is none.
	out2, _, err := runSynthCLI(t, context.Background(), "--people", "1000", "--years", "1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out2, `"truth"`) || len(lines(t, out2)) != len(ls) {
		t.Errorf("without --truth: %d lines, truth present %v", len(lines(t, out2)), strings.Contains(out2, `"truth"`))
	}
}

func TestSynthPeopleAndOrgs(t *testing.T) {
	city, err := synth.New(synth.Config{Seed: 5, People: 300})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what string
		n    int
		args []string
	}{
		{"people", 300, nil},
		{"orgs", 15, nil},
		{"orgs", 40, []string{"--orgs", "40"}},
	} {
		out, _, err := runSynthCLI(t, context.Background(), append([]string{"--seed", "5", "--people", "300", "--what", tc.what}, tc.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		ls := lines(t, out)
		if len(ls) != tc.n {
			t.Fatalf("--what %s: %d lines, want %d", tc.what, len(ls), tc.n)
		}
		for i, l := range ls {
			if tc.what == "people" {
				var p synth.Person
				if err := json.Unmarshal([]byte(l), &p); err != nil || p != city.Person(i) {
					t.Fatalf("line %d: %v: %s", i+1, err, l)
				}
				continue
			}
			var o synth.Org
			if err := json.Unmarshal([]byte(l), &o); err != nil || o.Index != i || o.USCC == "" {
				t.Fatalf("line %d: %v: %s", i+1, err, l)
			}
			if tc.args == nil && o != city.Org(i) {
				t.Fatalf("line %d: %+v, want %+v", i+1, o, city.Org(i))
			}
		}
	}
}

func TestSynthDeterministic(t *testing.T) {
	args := []string{"--people", "2000", "--years", "1", "--truth"}
	a, _, err := runSynthCLI(t, context.Background(), args...)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := runSynthCLI(t, context.Background(), args...)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("the same flags wrote different output")
	}
	c, _, err := runSynthCLI(t, context.Background(), append(args, "--seed", "2")...)
	if err != nil {
		t.Fatal(err)
	}
	if a == c {
		t.Error("different seeds wrote the same output")
	}
}

func TestSynthOutFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "city.ndjson")
	out, errOut, err := runSynthCLI(t, context.Background(), "--people", "500", "--years", "1", "--out", file)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := runSynthCLI(t, context.Background(), "--people", "500", "--years", "1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Error("--out wrote something else than standard output gets")
	}
	if !strings.HasPrefix(out, "synth: wrote ") || strings.Count(out, "\n") != 1 || errOut != "" {
		t.Errorf("stdout %q, stderr %q", out, errOut)
	}
}

func TestSynthErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--people", "0"}, "people 0 out of range"},
		{[]string{"--people", "10000001"}, "out of range"},
		{[]string{"--orgs", "-1"}, "orgs -1 out of range"},
		{[]string{"--years", "0"}, "--years 0 out of range"},
		{[]string{"--years", "31"}, "--years 31 out of range"},
		{[]string{"--start", "2021-13-01"}, `--start "2021-13-01"`},
		{[]string{"--what", "cats"}, `--what "cats"`},
		{[]string{"--what", "people", "--truth"}, "--truth applies to --what events only"},
		{[]string{"extra"}, "unknown command"},
		{[]string{"--out", filepath.Join(t.TempDir(), "no", "such", "dir")}, "no such file"},
	} {
		out, _, err := runSynthCLI(t, context.Background(), tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("synth %v: error %v, want one containing %q", tc.args, err, tc.want)
		}
		if out != "" {
			t.Errorf("synth %v: wrote %q", tc.args, out)
		}
	}
}

func TestSynthCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() {
		_, _, err := runSynthCLI(t, ctx, "--people", "10000000")
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("synth did not stop on a cancelled context")
	}
}

// failWriter fails after n bytes.
type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestSynthWriteError(t *testing.T) {
	err := run(context.Background(), []string{"synth", "--people", "100000"}, strings.NewReader(""), &failWriter{n: 3 << 20}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("error %v, want the write error", err)
	}
}

// Standard output carries NDJSON and nothing else.
func TestSynthStdoutIsOnlyNDJSON(t *testing.T) {
	for _, what := range []string{"events", "people", "orgs"} {
		out, _, err := runSynthCLI(t, context.Background(), "--people", "200", "--years", "1", "--what", what)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(strings.NewReader(out))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if !json.Valid(sc.Bytes()) || sc.Bytes()[0] != '{' {
				t.Fatalf("--what %s: line %q", what, sc.Text())
			}
		}
	}
}

// BenchmarkSynthEvents runs the events pipeline of credo synth (generator,
// encoder, writer) into io.Discard, as `credo synth --out /dev/null` does.
func BenchmarkSynthEvents(b *testing.B) {
	city, err := synth.New(synth.Config{Seed: 1, People: 100_000})
	if err != nil {
		b.Fatal(err)
	}
	e := &env{stdout: io.Discard, stderr: io.Discard, getenv: os.Getenv}
	defer debug.SetGCPercent(debug.SetGCPercent(300))
	var n int64
	cpu0 := cpuTime()
	for b.Loop() {
		m, err := writeEvents(context.Background(), e, city, io.Discard, false)
		if err != nil {
			b.Fatal(err)
		}
		n += m
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	// The machine may be shared: the CPU time spent per event is the
	// steadier measure.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(n), "cpu-ns/event")
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
