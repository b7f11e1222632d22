package pebble

import (
	"context"
	"sync"
	"testing"

	"github.com/credo-org/credo"
)

// TestConcurrentAppends has several callers append overlapping batches at
// once, so that batches are built while others are applied and synced:
// every record must be appended exactly once, the others reported as
// duplicates of it, and the chain must verify.
func TestConcurrentAppends(t *testing.T) {
	for _, random := range []bool{false, true} {
		name := map[bool]string{false: "ordered ids", true: "random ids"}[random]
		t.Run(name, func(t *testing.T) {
			s, err := Open(t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			const n, writers, size = 6000, 4, 250
			var mu sync.Mutex
			appended := map[string]uint64{}
			var dups []credo.AppendResult
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Each writer has its own copies of the records, and goes
					// through them in its own order of batches.
					recs := perfRecords(n, random)
					for k := range n / size {
						lo := ((k + w*7) % (n / size)) * size
						res, err := s.Append(ctx, recs[lo:lo+size])
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						for _, r := range res {
							switch r.Status {
							case credo.Appended:
								if _, ok := appended[r.ID]; ok {
									t.Errorf("%s appended twice", r.ID)
								}
								appended[r.ID] = r.Seq
							case credo.Duplicate:
								dups = append(dups, r)
							default:
								t.Errorf("%s: %v %v", r.ID, r.Status, r.Err)
							}
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if len(appended) != n || len(dups) != n*(writers-1) {
				t.Fatalf("%d appended, %d duplicates; want %d and %d", len(appended), len(dups), n, n*(writers-1))
			}
			for _, d := range dups {
				if appended[d.ID] != d.Seq {
					t.Fatalf("duplicate %s names seq %d, appended as %d", d.ID, d.Seq, appended[d.ID])
				}
			}
			rep, err := credo.Verify(ctx, s, nil)
			if err != nil || !rep.OK || rep.Records != n {
				t.Fatalf("Verify = %+v, %v", rep, err)
			}
			if c, _ := s.Counts(ctx); c.Records != n {
				t.Fatalf("counts = %+v", c)
			}
		})
	}
}
