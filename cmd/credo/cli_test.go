package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credo-org/credo/synth"
)

// runCLI runs the CLI in-process and returns stdout, stderr and the exit
// status main would use (0, the exitError's code, or 1 for other errors).
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	status := 0
	if err != nil {
		var ee exitError
		if asExit(err, &ee) {
			status = ee.code
			errOut.WriteString(ee.msg)
		} else {
			status = 1
			errOut.WriteString(err.Error())
		}
	}
	return out.String(), errOut.String(), status
}

// TestDemoEndToEnd runs the README's tour on a small city: demo, stats,
// subject show, verify, then catches a tampered ledger.
func TestDemoEndToEnd(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	out, errOut, status := runCLI(t, "demo", "--people", "2000", "--load-only", "--data", data)
	if status != 0 {
		t.Fatalf("demo: %d %s", status, errOut)
	}
	for _, want := range []string{"events in the city", "rows the agencies sent", "appended", "quarantined, by reason", "subjects in the ledger", "rows/s", "court.rongcheng (csv, gb18030"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}

	out, _, status = runCLI(t, "stats", "--json", "--data", data)
	var stats map[string]any
	if err := json.Unmarshal([]byte(out), &stats); err != nil || status != 0 {
		t.Fatalf("stats --json: %v %d\n%s", err, status, out)
	}
	for _, k := range []string{"subjects", "records", "unresolved", "quarantined"} {
		if _, ok := stats[k].(float64); !ok {
			t.Errorf("stats --json lacks the number %q: %v", k, stats)
		}
	}
	if stats["records"].(float64) < 2000 || stats["subjects"].(float64) < 500 {
		t.Errorf("a city of 2000 people made %v records about %v subjects", stats["records"], stats["subjects"])
	}

	// Demo again: idempotent.
	out, _, status = runCLI(t, "demo", "--people", "2000", "--load-only", "--data", data)
	if status != 0 || !strings.Contains(out, "appended                0 ") {
		t.Errorf("second demo appended records:\n%s", out)
	}

	// A person of the city with records: the generator knows who.
	city, err := synth.New(synth.Config{Seed: 1, People: 2000})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for ev := range city.Events() {
		if ev.Record.Subject.Kind == 1 { // person
			id = ev.Record.Subject.ID
			break
		}
	}
	out, _, status = runCLI(t, "subject", "show", id, "--json", "--data", data)
	var file struct {
		Subject struct{ ID string }
		Records []struct {
			Kind       string `json:"kind"`
			OccurredAt string `json:"occurred_at"`
		}
	}
	if err := json.Unmarshal([]byte(out), &file); err != nil || status != 0 || file.Subject.ID != id || len(file.Records) == 0 {
		t.Fatalf("subject show %s: %v %d\n%s", id, err, status, out)
	}
	for i := 1; i < len(file.Records); i++ {
		if file.Records[i].OccurredAt < file.Records[i-1].OccurredAt {
			t.Errorf("records not in time order: %v", file.Records)
		}
	}
	out, _, status = runCLI(t, "subject", "show", id, "--data", data)
	if status != 0 || !strings.Contains(out, file.Records[0].Kind) {
		t.Errorf("subject show (text):\n%s", out)
	}
	if _, errOut, status := runCLI(t, "subject", "show", "110105194912310021", "--data", data); status != 1 || !strings.Contains(errOut, "not a valid identifier") {
		t.Errorf("subject show with a bad id: %d %s", status, errOut)
	}

	out, _, status = runCLI(t, "verify", "--data", data)
	if status != 0 || !strings.Contains(out, "ledger verifies") {
		t.Fatalf("verify: %d %s", status, out)
	}

	// Alter one stored record behind credo's back, in the chain's file
	// (docs/ledger.md: frames of length ‖ checksum ‖ seq ‖ payload, their
	// offsets in the .idx): verify exits 1 naming it.
	seg := filepath.Join(data, "chain", "00000000000000000001")
	idx, err := os.ReadFile(seg + ".idx")
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(seg + ".log")
	if err != nil {
		t.Fatal(err)
	}
	off := binary.BigEndian.Uint32(idx[99*4:])
	size := binary.BigEndian.Uint32(log[off:]) &^ (1 << 31)
	log[off+16+size-5] ^= 1
	if err := os.WriteFile(seg+".log", log, 0o640); err != nil {
		t.Fatal(err)
	}
	out, _, status = runCLI(t, "verify", "--json", "--data", data)
	var rep struct {
		OK       bool   `json:"ok"`
		BrokenAt uint64 `json:"broken_at"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || status != 1 || rep.OK || rep.BrokenAt != 100 {
		t.Fatalf("verify after tampering: %d %+v %s", status, rep, out)
	}
}

func TestDataDirectoryErrors(t *testing.T) {
	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("mine"), 0o600)
	for _, args := range [][]string{{"stats"}, {"verify"}, {"demo", "--people", "10"}} {
		_, errOut, status := runCLI(t, append(args, "--data", foreign)...)
		if status != 1 || !strings.Contains(errOut, foreign) || !strings.Contains(errOut, "not a credo data directory") {
			t.Errorf("%v on a foreign directory: %d %s", args, status, errOut)
		}
	}
	newer := t.TempDir()
	os.WriteFile(filepath.Join(newer, "CREDO"), []byte("credo data directory\nformat 99\n"), 0o600)
	if _, errOut, status := runCLI(t, "stats", "--data", newer); status != 1 || !strings.Contains(errOut, "newer credo") {
		t.Errorf("stats on a newer directory: %d %s", status, errOut)
	}
}

func TestVersion(t *testing.T) {
	out, _, status := runCLI(t, "version")
	if status != 0 || !strings.HasPrefix(out, "credo ") || !strings.Contains(out, "commit") {
		t.Fatalf("version: %q", out)
	}
	out, _, _ = runCLI(t, "--help")
	for _, c := range []string{"demo", "id", "synth", "stats", "subject", "verify", "ingest", "quarantine", "runs", "source", "version"} {
		if !strings.Contains(out, "  "+c+" ") {
			t.Errorf("--help does not list %s", c)
		}
	}
}
