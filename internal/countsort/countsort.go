// Package countsort holds the offsets pass of a counting sort done in
// parts, one part a core, as the scoring's grouping of events by subject
// does.
package countsort

// Offsets turns counts[i][b] — how many items part i has in bucket b —
// into where part i's items of bucket b start (after every earlier bucket,
// and after bucket b's items of the earlier parts), in place, and returns
// where each bucket starts, with the total at the end.
func Offsets(counts [][]int32, buckets int) []int32 {
	starts := make([]int32, buckets+1)
	var sum int32
	for b := range buckets {
		starts[b] = sum
		for i := range counts {
			c := counts[i][b]
			counts[i][b] = sum
			sum += c
		}
	}
	starts[buckets] = sum
	return starts
}
