// Package bench holds credo's benchmarks, each run side by side with its
// reference (raw Pebble, PostgreSQL, OPA …) so that the figure that matters
// is a ratio measured on the same machine in the same run. bench/run prints
// them as a table.
package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	pebbledb "github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
	"github.com/credo-org/credo/pebble"
)

const batchSize = 1000

// people is the pool the benchmark records belong to: several records a
// subject, as in a real city.
var people = func() []string {
	out := make([]string, 50000)
	for i := range out {
		out[i] = ident.NewPersonID(371082, 1950+i%50, 1+i%12, 1+i%28, i%1000)
	}
	return out
}()

var t0 = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)

// benchRecord is a typical traffic fine, about 200 bytes encoded.
func benchRecord(n int) *credo.Record {
	r := &credo.Record{
		Subject:        credo.SubjectRef{Kind: credo.Person, ID: people[(n*7919)%len(people)]},
		Source:         "traffic_police",
		SourceRecordID: fmt.Sprintf("JT%012d", n),
		Kind:           "traffic.fine",
		Polarity:       credo.Negative,
		OccurredAt:     t0.Add(time.Duration(n) * time.Second),
		RecordedAt:     t0.Add(time.Duration(n)*time.Second + 48*time.Hour),
		LegalBasis:     "《道路交通安全法》第九十条",
		Evidence:       fmt.Sprintf("3710821%011d", n),
		Provenance:     credo.Provenance{File: "9f86d081884c7d659a2feaa0c55ad015", Row: int64(n)},
	}
	r.Attributes = credo.Attributes{
		{Key: "amount", Value: credo.Number(200)},
		{Key: "place", Value: credo.String("成山大道与石岛路口")},
		{Key: "points", Value: credo.Int(3)},
	}
	return r
}

func makeRecords(n int) []*credo.Record {
	out := make([]*credo.Record, n)
	for i := range out {
		out[i] = benchRecord(i)
	}
	return out
}

// BenchmarkLedgerAppendBatched appends records in batches of batchSize
// through the whole ledger path: validation, idempotency lookup, hashing,
// the chain, every index, synced.
func BenchmarkLedgerAppendBatched(b *testing.B) {
	recs := makeRecords(b.N)
	s, err := pebble.Open(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var bytes int64
	for _, r := range recs {
		bytes += int64(len(r.AppendCanonical(nil)) + 32)
	}
	b.SetBytes(bytes / int64(max(1, b.N)))
	b.ResetTimer()
	for i := 0; i < len(recs); i += batchSize {
		if _, err := s.Append(ctx, recs[i:min(i+batchSize, len(recs))]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRawPebbleBatched is the reference for the batched append: the
// same record bytes (hash and canonical encoding) written to Pebble with
// sequential keys, the same batch size, synced, and the same engine options.
func BenchmarkRawPebbleBatched(b *testing.B) {
	recs := makeRecords(b.N)
	vals := make([][]byte, len(recs))
	var bytes int64
	for i, r := range recs {
		vals[i] = append(make([]byte, 32, 32+256), r.AppendCanonical(nil)...)
		bytes += int64(len(vals[i]))
	}
	opts := &pebbledb.Options{MemTableSize: 64 << 20, MemTableStopWritesThreshold: 4, L0StopWritesThreshold: 24}
	opts.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	db, err := pebbledb.Open(b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.SetBytes(bytes / int64(max(1, b.N)))
	b.ResetTimer()
	var key [9]byte
	key[0] = 'R'
	for i := 0; i < len(vals); i += batchSize {
		batch := db.NewBatch()
		for j := i; j < min(i+batchSize, len(vals)); j++ {
			binary.BigEndian.PutUint64(key[1:], uint64(j+1))
			if err := batch.Set(key[:], vals[j], nil); err != nil {
				b.Fatal(err)
			}
		}
		if err := batch.Commit(pebbledb.Sync); err != nil {
			b.Fatal(err)
		}
		batch.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkLedgerAppendSingle appends one record per call: each call is a
// durable commit of its own.
func BenchmarkLedgerAppendSingle(b *testing.B) {
	recs := makeRecords(b.N)
	s, err := pebble.Open(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	b.ResetTimer()
	for _, r := range recs {
		if _, err := s.Append(ctx, []*credo.Record{r}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkSubjectRead reads one subject's whole file (about 4 records)
// from a ledger of 200,000 records.
func BenchmarkSubjectRead(b *testing.B) {
	s, err := pebble.Open(b.TempDir(), &pebble.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	recs := makeRecords(200000)
	for i := 0; i < len(recs); i += batchSize {
		if _, err := s.Append(ctx, recs[i:i+batchSize]); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		for _, err := range s.SubjectRecords(ctx, credo.SubjectRef{Kind: credo.Person, ID: people[i%len(people)]}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/float64(b.N), "records/op")
}

// BenchmarkIDCheck validates resident identity numbers.
func BenchmarkIDCheck(b *testing.B) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if !ident.CheckAt(people[i%len(people)], now).Valid() {
			b.Fatal("invalid")
		}
	}
}
