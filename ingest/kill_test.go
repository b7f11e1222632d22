package ingest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
	"github.com/credo-org/credo/ingest"
	"github.com/credo-org/credo/pebble"
)

// killFile writes a CSV of n rows, about 1% of them bad, 5% without an id.
func killFile(t *testing.T, dir string, n int) string {
	var b strings.Builder
	b.WriteString(header)
	for i := range n {
		id := ident.NewPersonID(371082, 1950+i%50, 1+i%12, 1+i%28, i%1000)
		if i%20 == 3 {
			id = ""
		}
		date := fmt.Sprintf("2024-%02d-%02d 08:30", 1+i%12, 1+i%28)
		if i%100 == 7 {
			date = "2024-02-31 08:30"
		}
		fmt.Fprintf(&b, "K%07d,%s,王伟,1985-04-12,男,1625,%s,%d,成山大道\n", i, id, date, 50+i%300)
	}
	return writeFile(t, dir, "big.csv", b.String())
}

// TestIngestKillChild is the child of TestIngestKilled: one ingest.
func TestIngestKillChild(t *testing.T) {
	env := os.Getenv("CREDO_INGEST_CHILD")
	if env == "" {
		t.Skip("child process of TestIngestKilled; runs only when started by it")
	}
	parts := strings.Split(env, "|")
	s, err := pebble.Open(parts[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := ingest.LoadSpec(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	in := &ingest.Ingester{Store: s, Now: func() time.Time { return now }}
	if _, err := in.IngestFile(context.Background(), spec, parts[2], nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// TestIngestKilled kills an ingest with SIGKILL at random moments, many
// times, then lets it finish: the ledger must end exactly as after one
// uninterrupted run, and verify.
func TestIngestKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("kill test skipped in -short mode")
	}
	dir := t.TempDir()
	specPath := writeFile(t, dir, "spec.yaml", trafficSpec)
	file := killFile(t, dir, 40000)
	spec, err := ingest.LoadSpec(specPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// The reference: one uninterrupted run.
	ref, err := pebble.Open(filepath.Join(dir, "ref"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	in := &ingest.Ingester{Store: ref, Now: func() time.Time { return now }}
	want, err := in.IngestFile(ctx, spec, file, nil)
	if err != nil {
		t.Fatal(err)
	}

	data := filepath.Join(dir, "killed")
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 8 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestIngestKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CREDO_INGEST_CHILD="+data+"|"+specPath+"|"+file)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Later rounds let it run longer, so that kills land all along
		// the file (each run first re-reads what earlier runs appended).
		time.Sleep(time.Duration(50+rng.IntN(300)+120*round) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		s, err := pebble.Open(data, nil)
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		rep, err := credo.Verify(ctx, s, nil)
		if err != nil || !rep.OK {
			t.Fatalf("round %d: verify after kill: %+v %v", round, rep, err)
		}
		t.Logf("round %d: %d records after the kill", round, rep.Records)
		s.Close()
	}
	s, err := pebble.Open(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in = &ingest.Ingester{Store: s, Now: func() time.Time { return now }}
	if _, err := in.IngestFile(ctx, spec, file, nil); err != nil {
		t.Fatal(err)
	}

	// Same records, in the same order, with the same content.
	var a, b []*credo.Record
	for r, err := range ref.Scan(ctx, 1) {
		if err != nil {
			t.Fatal(err)
		}
		a = append(a, r)
	}
	for r, err := range s.Scan(ctx, 1) {
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, r)
	}
	if len(a) != len(b) || int64(len(a)) != want.Appended {
		t.Fatalf("killed ledger has %d records, uninterrupted %d (report: %d appended)", len(b), len(a), want.Appended)
	}
	for i := range a {
		if !credo.SamePayload(a[i], b[i]) {
			t.Fatalf("record %d differs:\n%+v\n%+v", i+1, a[i], b[i])
		}
	}
	ca, _ := ref.Counts(ctx)
	cb, _ := s.Counts(ctx)
	if ca.Records != cb.Records || ca.Unresolved != cb.Unresolved || ca.Quarantined != cb.Quarantined || ca.Subjects != cb.Subjects {
		t.Fatalf("counts differ: uninterrupted %+v, killed %+v", ca, cb)
	}
	if rep, err := credo.Verify(ctx, s, nil); err != nil || !rep.OK {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}
