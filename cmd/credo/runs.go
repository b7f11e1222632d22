package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo/pebble"
)

func newRunsCmd(e *env) *cobra.Command {
	return addJSON(&cobra.Command{
		Use:   "runs",
		Short: "List the ingest runs: source, file digest, counts, start and end",
		Args:  cobra.NoArgs,
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			runs, err := collectAll(s.Runs(ctx))
			if err != nil {
				return err
			}
			if e.json {
				return writeJSON(e.stdout, runs)
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "STARTED\tSOURCE\tFILE\tDIGEST\tSTATUS\tROWS\tAPPENDED\tDUPLICATES\tQUARANTINED\tTOOK")
			for _, r := range runs {
				took := "-"
				if !r.Ended.IsZero() {
					took = r.Ended.Sub(r.Started).Round(time.Millisecond).String()
				}
				d := r.Digest
				if len(d) > 12 {
					d = d[:12]
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", r.Started.Local().Format(time.DateTime), r.Source, r.File, d, r.Status, r.Rows, r.Appended, r.Duplicates, r.Quarantined, took)
			}
			return w.Flush()
		}),
	}, e)
}
