package countsort

import (
	"slices"
	"testing"
)

func TestOffsets(t *testing.T) {
	counts := [][]int32{{2, 0, 1}, {1, 3, 0}}
	starts := Offsets(counts, 3)
	if want := []int32{0, 3, 6, 7}; !slices.Equal(starts, want) {
		t.Fatalf("starts %v, want %v", starts, want)
	}
	// part 0: bucket 0 at 0, bucket 1 at 3, bucket 2 at 6; part 1: 2, 3, 7.
	if want := [][]int32{{0, 3, 6}, {2, 3, 7}}; !slices.EqualFunc(counts, want, slices.Equal[[]int32]) {
		t.Fatalf("part offsets %v, want %v", counts, want)
	}
}
