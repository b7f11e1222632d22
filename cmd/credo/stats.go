package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo/pebble"
)

func newStatsCmd(e *env) *cobra.Command {
	return addJSON(&cobra.Command{
		Use:   "stats",
		Short: "Print what the data directory holds: subjects, records, unresolved, quarantined",
		Args:  cobra.NoArgs,
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			c, err := s.Counts(ctx)
			if err != nil {
				return err
			}
			head, err := s.Head(ctx)
			if err != nil {
				return err
			}
			if e.json {
				return writeJSON(e.stdout, struct {
					Subjects    int64            `json:"subjects"`
					Records     int64            `json:"records"`
					Unresolved  int64            `json:"unresolved"`
					Quarantined int64            `json:"quarantined"`
					BySource    map[string]int64 `json:"by_source"`
					ByKind      map[string]int64 `json:"by_kind"`
					HeadSeq     uint64           `json:"head_seq"`
					HeadHash    string           `json:"head_hash"`
				}{c.Subjects, c.Records, c.Unresolved, c.Quarantined, c.BySource, c.ByKind, head.Seq, hex.EncodeToString(head.Hash[:])})
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "data directory\t%s\n", s.Dir())
			fmt.Fprintf(w, "subjects\t%d\n", c.Subjects)
			fmt.Fprintf(w, "records\t%d\n", c.Records)
			fmt.Fprintf(w, "unresolved\t%d\n", c.Unresolved)
			fmt.Fprintf(w, "quarantined\t%d\n", c.Quarantined)
			fmt.Fprintf(w, "ledger head\t%d %x\n", head.Seq, head.Hash)
			w.Flush()
			printBreakdown(e, "records by source", c.BySource)
			printBreakdown(e, "records by kind", c.ByKind)
			return nil
		}),
	}, e)
}

// printBreakdown prints counts by name, largest first.
func printBreakdown(e *env, title string, m map[string]int64) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintf(e.stdout, "\n%s:\n", title)
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		if m[a] != m[b] {
			return int(m[b] - m[a])
		}
		if a < b {
			return -1
		}
		return 1
	})
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	for _, k := range keys {
		fmt.Fprintf(w, "  %d\t  %s\t\n", m[k], k)
	}
	w.Flush()
}
