package pebble

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
)

// crashRecord is record n of the crash test's deterministic stream.
func crashRecord(n uint64) *credo.Record {
	person := ident.NewPersonID(371082, 1950+int(n%50), 1+int(n%12), 1+int(n%28), int(n%997))
	r := &credo.Record{
		Subject:        credo.SubjectRef{Kind: credo.Person, ID: person},
		Source:         "traffic_police",
		SourceRecordID: fmt.Sprintf("c-%09d", n),
		Kind:           "traffic.fine",
		Polarity:       credo.Negative,
		OccurredAt:     time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute),
		RecordedAt:     time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC),
		LegalBasis:     "道路交通安全法",
	}
	r.Attributes.Set("amount", credo.Number(float64(50+n%300)))
	return r
}

// TestCrashChild is the child process of TestCrash: it appends batches for
// ever, printing what it is about to append and what was acknowledged.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("CREDO_CRASH_CHILD")
	if dir == "" {
		t.Skip("child process of TestCrash; runs only when started by it")
	}
	// Small index segments, so that kills also land while the indexer
	// writes one.
	s, err := Open(dir, &Options{IndexSegmentRecords: 200})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	ctx := context.Background()
	head, _ := s.Head(ctx)
	next := head.Seq + 1
	childWrites(next, 64, func(from uint64, n int) error {
		batch := make([]*credo.Record, n)
		for i := range batch {
			batch[i] = crashRecord(from + uint64(i))
		}
		res, err := s.Append(ctx, batch)
		if err != nil {
			return err
		}
		for i, r := range res {
			if r.Status != credo.Appended {
				return fmt.Errorf("record %d: %v %v", from+uint64(i), r.Status, r.Err)
			}
		}
		return nil
	}, nil)
}

// childWrites is a crash test's child: it writes batches of 1 to max items
// numbered from next on, for ever, printing "batch FROM TO" before each
// write and "ack TO" once it returns (killChild reads them); after, if not
// nil, runs after each batch b (from 0). It paces itself, so that what it
// writes stays small enough to check whole after every kill; the kill
// still lands at any point of a write. An error is printed and ends it.
func childWrites(next uint64, max int, write func(from uint64, n int) error, after func(b int) error) {
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), next))
	out := bufio.NewWriter(os.Stdout)
	fail := func(err error) {
		fmt.Fprintln(out, "error", err)
		out.Flush()
		os.Exit(2)
	}
	for b := 0; ; b++ {
		n := 1 + rng.IntN(max)
		fmt.Fprintf(out, "batch %d %d\n", next, next+uint64(n)-1)
		out.Flush()
		if err := write(next, n); err != nil {
			fail(err)
		}
		next += uint64(n)
		fmt.Fprintf(out, "ack %d\n", next-1)
		out.Flush()
		if after != nil {
			if err := after(b); err != nil {
				fail(err)
			}
		}
		time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond)
	}
}

// TestCrash kills a child process that appends batches with SIGKILL at
// random moments, many times over the same data directory. After each kill
// the ledger must verify and hold exactly the acknowledged records, plus
// possibly the whole batch that was in flight — never part of it.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	const kills = 25
	var before uint64 // records in the ledger before this round
	for round := range kills {
		start := time.Now()
		// Let it run a random while (it first has to open the store), then kill.
		acked, flightFrom, flightTo := killChild(t, "TestCrashChild", []string{"CREDO_CRASH_CHILD=" + dir}, time.Duration(50+rng.IntN(400))*time.Millisecond, before)
		s, err := Open(dir, nil)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		ctx := context.Background()
		head, _ := s.Head(ctx)
		inFlight := flightFrom > acked
		switch {
		case head.Seq == acked:
		case inFlight && head.Seq == flightTo:
		default:
			s.Close()
			t.Fatalf("round %d: ledger holds %d records; acknowledged %d, in flight %d..%d", round, head.Seq, acked, flightFrom, flightTo)
		}
		rep, err := credo.Verify(ctx, s, nil)
		if err != nil || !rep.OK || rep.Records != head.Seq {
			s.Close()
			t.Fatalf("round %d: verify after kill: %+v %v", round, rep, err)
		}
		// Every record is the one that was sent, and the counts agree.
		n := uint64(0)
		for r, err := range s.Scan(ctx, 1) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if !credo.SamePayload(r, crashRecord(n)) {
				t.Fatalf("round %d: record %d is not what was appended", round, n)
			}
		}
		c, _ := s.Counts(ctx)
		if uint64(c.Records) != head.Seq {
			t.Fatalf("round %d: counts say %d records, head %d", round, c.Records, head.Seq)
		}
		checkIndexes(t, s, head.Seq)
		// Re-sending the acknowledged records appends nothing.
		if acked > 0 {
			res, err := s.Append(ctx, []*credo.Record{crashRecord(1), crashRecord(acked)})
			if err != nil || res[0].Status != credo.Duplicate || res[1].Status != credo.Duplicate {
				t.Fatalf("round %d: re-send after crash: %+v %v", round, res, err)
			}
		}
		t.Logf("round %d: %d acknowledged, %d in ledger (in flight %v), %v", round, acked, head.Seq, inFlight, time.Since(start).Round(time.Millisecond))
		before = head.Seq
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// killChild runs the test named child in a child process with env added,
// kills it with SIGKILL after the while given (unless it dies first), and
// reads what it printed:
// the last number acknowledged ("ack N"; acked if none) and the batch in
// flight ("batch FROM TO"). A line "error …" fails the test.
func killChild(t *testing.T, child string, env []string, after time.Duration, acked uint64) (ack, flightFrom, flightTo uint64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// Kill it after the while given, unless it died first (by its own
	// hand, in a test that makes it).
	stop := time.AfterFunc(after, func() { cmd.Process.Kill() })
	defer stop.Stop()
	ack = acked
	for l := range lines { // until its output ends: it is dead
		f := strings.Fields(l)
		switch f[0] {
		case "ack":
			ack, _ = strconv.ParseUint(f[1], 10, 64)
		case "batch":
			flightFrom, _ = strconv.ParseUint(f[1], 10, 64)
			flightTo, _ = strconv.ParseUint(f[2], 10, 64)
		case "error":
			cmd.Process.Kill()
			t.Fatalf("child: %s", l)
		}
	}
	cmd.Wait()
	return ack, flightFrom, flightTo
}

// checkIndexes checks that the indexes of the crash test's ledger of n
// records are complete and exact: every record is found by its id and in
// its subject's file, once.
func checkIndexes(t *testing.T, s *Store, n uint64) {
	t.Helper()
	ctx := context.Background()
	bySubject := map[credo.SubjectRef][]uint64{}
	for seq := uint64(1); seq <= n; seq++ {
		want := crashRecord(seq)
		r, err := s.Record(ctx, credo.RecordID(want.Source, want.SourceRecordID))
		if err != nil || r.Seq != seq {
			t.Fatalf("record %d by id: %v %v", seq, r, err)
		}
		bySubject[want.Subject] = append(bySubject[want.Subject], seq)
	}
	for ref, want := range bySubject {
		var got []uint64
		for r, err := range s.SubjectRecords(ctx, ref) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, r.Seq)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("subject %s: records %v, want %v", ref.ID, got, want)
		}
	}
}

// checkSegmentFiles checks that the audit index's directory holds the
// live segments' files, and nothing else.
func checkSegmentFiles(t *testing.T, s *Store) {
	t.Helper()
	entries, err := os.ReadDir(s.auditIdx.dir)
	if err != nil {
		t.Fatal(err)
	}
	var files, live []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	for _, g := range s.auditIdx.segs {
		live = append(live, filepath.Base(segPath("", g.num)))
	}
	if !slices.Equal(files, live) {
		t.Fatalf("the audit index's files %v, want the live segments' %v", files, live)
	}
}

// crashInquiry is inquiry n of the audit crash test's stream: its request
// id names n, its subject is one of 37.
func crashInquiry(n uint64) *credo.Inquiry {
	return &credo.Inquiry{Time: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Millisecond),
		RequestID: fmt.Sprintf("q-%d", n), Consumer: "airline", Action: "flight.book", Decision: n%3 != 0,
		Subject: crashInquirySubject(n), Reasons: []string{"national:ok"}, PolicyVersions: []string{"national@1"}}
}

func crashInquirySubject(n uint64) credo.SubjectRef {
	return credo.SubjectRef{Kind: credo.Person, ID: ident.NewPersonID(371082, 1960, 1, 1+int(n%37), int(n%37))}
}

// TestAuditCrashChild is the child process of TestAuditCrash: it appends
// batches of inquiries to the audit trail for ever, indexing it after every
// few, printing what it is about to append and what was acknowledged.
func TestAuditCrashChild(t *testing.T) {
	dir := os.Getenv("CREDO_AUDIT_CRASH_CHILD")
	if dir == "" {
		t.Skip("child process of TestAuditCrash; runs only when started by it")
	}
	s, err := Open(dir, nil)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	next, _ := strconv.ParseUint(os.Getenv("CREDO_AUDIT_CRASH_NEXT"), 10, 64)
	ctx := context.Background()
	every := 5
	if point, k, ok := strings.Cut(os.Getenv("CREDO_AUDIT_CRASH_AT"), ":"); ok {
		// die at the k-th time the index reaches point; index after every batch, to get there soon
		left, _ := strconv.Atoi(k)
		every = 1
		auditIndexCrash = func(p string) {
			if left--; p == point && left <= 0 {
				if p, err := os.FindProcess(os.Getpid()); err == nil {
					p.Kill()
				}
			}
		}
	}
	childWrites(next, 50, func(from uint64, n int) error {
		batch := make([]*credo.Inquiry, n)
		for i := range batch {
			batch[i] = crashInquiry(from + uint64(i))
		}
		return s.AppendAudit(ctx, batch, nil)
	}, func(b int) error {
		if b%every == every-1 { // a segment every few batches: kills land while one is written, or merged, too
			return s.indexAudit(ctx, true)
		}
		return nil
	})
}

// TestAuditCrash kills a child process that writes the audit trail with
// SIGKILL at random moments, many times over the same data directory, and
// then at each of the index's points that leave the most to mend (the
// child kills itself there: auditIndexCrash). After each kill the trail
// holds every acknowledged inquiry once, and of the batch in flight all or
// none; the index agrees with the log, and its directory holds the live
// segments' files only.
func TestAuditCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	points := []string{"segment written", "merge written", "merged away"}
	kills := 12 + len(points)
	next := uint64(1) // the next inquiry's number
	for round := range kills {
		env := []string{"CREDO_AUDIT_CRASH_CHILD=" + dir, fmt.Sprintf("CREDO_AUDIT_CRASH_NEXT=%d", next)}
		after := time.Duration(100+rng.IntN(400)) * time.Millisecond
		if i := round - 12; i >= 0 {
			env = append(env, fmt.Sprintf("CREDO_AUDIT_CRASH_AT=%s:%d", points[i], 1+rng.IntN(2)))
			after = 20 * time.Second // the child dies first (a merge takes 32 segments)
		}
		start := time.Now()
		acked, flightFrom, flightTo := killChild(t, "TestAuditCrashChild", env, after, next-1)
		if round >= 12 && time.Since(start) >= after {
			t.Fatalf("round %d: the child never reached %q", round, points[round-12])
		}
		s, err := Open(dir, nil)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		ctx := context.Background()
		if w, _ := s.auditWatermark(); w > s.auditLog.last() {
			t.Fatalf("round %d: the index's watermark, block %d, is past the log's last block, %d", round, w, s.auditLog.last())
		}
		checkSegmentFiles(t, s)
		// what the trail holds, read by subject; then again once indexed whole
		held := func() uint64 {
			seen := map[string]bool{}
			var top uint64
			for sub := range uint64(37) {
				ref := crashInquirySubject(sub)
				for q, err := range s.SubjectInquiries(ctx, ref) {
					if err != nil {
						t.Fatalf("round %d: %v", round, err)
					}
					n, _ := strconv.ParseUint(strings.TrimPrefix(q.RequestID, "q-"), 10, 64)
					if seen[q.RequestID] || q.Subject != ref || !reflect.DeepEqual(q, crashInquiry(n)) {
						t.Fatalf("round %d: inquiry %s read twice, or not as written: %+v", round, q.RequestID, q)
					}
					seen[q.RequestID] = true
					top = max(top, n)
				}
			}
			for n := uint64(1); n <= top; n++ {
				if !seen[fmt.Sprintf("q-%d", n)] {
					t.Fatalf("round %d: inquiry %d missing (the trail holds up to %d)", round, n, top)
				}
			}
			return top
		}
		top := held()
		inFlight := flightFrom > acked
		if top != acked && !(inFlight && top == flightTo) {
			t.Fatalf("round %d: the trail holds inquiries 1..%d; acknowledged %d, in flight %d..%d", round, top, acked, flightFrom, flightTo)
		}
		if err := s.indexAudit(ctx, true); err != nil {
			t.Fatal(err)
		}
		if again := held(); again != top {
			t.Fatalf("round %d: %d inquiries before indexing, %d after", round, top, again)
		}
		t.Logf("round %d: %d acknowledged, %d in the trail (in flight %v)", round, acked, top, inFlight)
		next = top + 1
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
