package pebble

import (
	"fmt"
	"testing"
	"time"

	"github.com/credo-org/credo"
)

// BenchmarkSortedEntries sorts one segment's subject entries (65,536
// records of a city of 50,000 people, in ledger order), as the indexer
// does before writing them as a table.
func BenchmarkSortedEntries(b *testing.B) {
	t0 := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	var e entries
	for i := range 65536 {
		p := (i * 7919) % 50000
		ref := credo.SubjectRef{Kind: credo.Person, ID: fmt.Sprintf("37108219%02d%02d%02d%03d%d", 50+p%50, 1+p%12, 1+p%28, p%1000, p%10)}
		e.add(subjectKey(nil, ref, t0.Add(time.Duration(i)*time.Second).UnixNano(), uint64(i+1)), nil)
	}
	b.ReportAllocs()
	for b.Loop() {
		sortedEntries(&e)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/65536, "ns/entry")
}
