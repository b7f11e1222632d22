package ingest

import (
	"strconv"
	"testing"
)

// An idSet holds every id added, across its growing filters, and takes few
// others for its own.
func TestIDSet(t *testing.T) {
	s := newIDSet()
	if s.has("x") {
		t.Fatal("an empty set has x")
	}
	const n = 100_000 // several filters: 4096, 8192, … ids
	for i := range n {
		s.add("traffic:9f86d081884c:" + strconv.Itoa(i))
	}
	if len(s.filters) < 4 {
		t.Fatalf("%d filters for %d ids", len(s.filters), n)
	}
	for i := range n {
		if !s.has("traffic:9f86d081884c:" + strconv.Itoa(i)) {
			t.Fatalf("id %d missing", i)
		}
	}
	wrong := 0
	for i := range n {
		if s.has("traffic:000000000000:" + strconv.Itoa(i)) {
			wrong++
		}
	}
	if wrong > n/200 {
		t.Errorf("%d of %d ids not added are taken for added", wrong, n)
	}
	bytes := 0
	for _, f := range s.filters {
		bytes += len(f.bits) * 8
	}
	if bytes > 4*n {
		t.Errorf("%d bytes for %d ids", bytes, n)
	}
	t.Logf("%d ids: %d filters, %d bytes, %d false positives in %d", n, len(s.filters), bytes, wrong, n)
}
