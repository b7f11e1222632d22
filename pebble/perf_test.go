package pebble

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

// perfRecords makes n records shaped like the bench package's traffic
// fines; random says whether source record ids arrive in random order.
func perfRecords(n int, random bool) []*credo.Record {
	t0 := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]*credo.Record, n)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range out {
		id := fmt.Sprintf("JT%012d", i)
		if random {
			id = fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
		}
		p := (i * 7919) % 50000
		r := &credo.Record{
			Subject:        credo.SubjectRef{Kind: credo.Person, ID: fmt.Sprintf("37108219%02d%02d%02d%03d%d", 50+p%50, 1+p%12, 1+p%28, p%1000, p%10)},
			Source:         "traffic_police",
			SourceRecordID: id,
			Kind:           "traffic.fine",
			Polarity:       credo.Negative,
			OccurredAt:     t0.Add(time.Duration(i) * time.Second),
			RecordedAt:     t0.Add(time.Duration(i)*time.Second + 48*time.Hour),
			LegalBasis:     "《道路交通安全法》第九十条",
			Evidence:       fmt.Sprintf("3710821%011d", i),
			Provenance:     credo.Provenance{File: "9f86d081884c7d659a2feaa0c55ad015", Row: int64(i)},
		}
		r.Attributes = credo.Attributes{
			{Key: "amount", Value: credo.Number(200)},
			{Key: "place", Value: credo.String("成山大道与石岛路口")},
			{Key: "points", Value: credo.Int(3)},
		}
		out[i] = r
	}
	return out
}

// TestPerfMetrics appends CREDO_PERF records and prints the rate and the
// engine's metrics. Skipped unless CREDO_PERF is set.
func TestPerfMetrics(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CREDO_PERF"))
	if n == 0 {
		t.Skip("set CREDO_PERF=records")
	}
	recs := perfRecords(n, os.Getenv("CREDO_PERF_RANDOM") != "")
	if v := os.Getenv("CREDO_PERF_MEMTABLE"); v != "" {
		mb, _ := strconv.Atoi(v)
		tuneEngine = func(o *pebble.Options) { o.MemTableSize = uint64(mb) << 20 }
		defer func() { tuneEngine = nil }()
	}
	s, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	for i := 0; i < n; i += 1000 {
		if _, err := s.Append(ctx, recs[i:min(i+1000, n)]); err != nil {
			t.Fatal(err)
		}
	}
	el := time.Since(start)
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	fmt.Printf("cpu %v: %.2fµs a record\n", cpu, float64(cpu.Microseconds())/float64(n))
	fmt.Printf("%d records in %v: %.0f records/s\n", n, el, float64(n)/el.Seconds())
	fmt.Println(s.db.Metrics())
	if os.Getenv("CREDO_PERF_TABLES") != "" {
		tables, err := s.db.SSTables()
		if err != nil {
			t.Fatal(err)
		}
		for level, ts := range tables {
			for _, tb := range ts {
				fmt.Printf("L%d %6d %8dB %q .. %q\n", level, tb.FileNum, tb.Size, tb.Smallest.UserKey[:min(len(tb.Smallest.UserKey), 12)], tb.Largest.UserKey[:min(len(tb.Largest.UserKey), 12)])
			}
		}
	}
}
