package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo/ingest"
)

func newIngestCmd(e *env) *cobra.Command {
	var specPath string
	c := &cobra.Command{
		Use:   "ingest --source SPEC FILE...",
		Short: "Load agency files into the ledger through a source spec, quarantining what cannot be taken",
		Long: `ingest reads each file under the source spec, maps every row to a record,
and appends the records to the ledger. Rows that cannot become records are
quarantined with every reason (see credo quarantine). Re-running an ingest
is idempotent, and releases quarantined rows that now pass.

Exit status: 0 every row appended or already there; 3 some rows
quarantined; 1 a file could not be read.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			ctx := cmd.Context()
			spec, err := ingest.LoadSpec(specPath)
			if err != nil {
				return err
			}
			s, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			in := &ingest.Ingester{Store: s, Log: e.logger()}
			status := 0
			var reports []*ingest.Report
			for _, f := range files {
				bar := e.newByteProgress(f)
				rep, err := in.IngestFile(ctx, spec, f, func(p ingest.Progress) { bar.SetRows(p.Bytes, p.Rows) })
				bar.Done()
				if err != nil {
					return fmt.Errorf("ingest %s: %w", f, err)
				}
				reports = append(reports, rep)
				if !e.json {
					printIngestReport(e, rep)
				}
				status = worse(status, rep.ExitStatus())
			}
			if err := e.scoreAfterIngest(ctx, s); err != nil {
				return err
			}
			if e.json {
				if err := writeJSON(e.stdout, reports); err != nil {
					return err
				}
			}
			if status != 0 {
				msg := ""
				if status == 1 {
					for _, r := range reports {
						if r.Status == "failed" {
							msg = r.Error
						}
					}
				}
				return exitError{code: status, msg: msg}
			}
			return nil
		},
	}
	c.Flags().StringVar(&specPath, "source", "", "the source spec (YAML) the files follow")
	c.MarkFlagRequired("source")
	return addJSON(c, e)
}

// worse orders exit statuses: a failed file (1) outranks quarantined rows (3).
func worse(a, b int) int {
	rank := map[int]int{0: 0, 3: 1, 1: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func printIngestReport(e *env, r *ingest.Report) {
	took := r.Ended.Sub(r.Started)
	fmt.Fprintf(e.stdout, "%s (%s): %s in %s — %d rows", r.File, r.Source, r.Status, took.Round(time.Millisecond), r.Rows)
	if s := took.Seconds(); s > 0 && r.Rows > 0 {
		fmt.Fprintf(e.stdout, ", %.0f rows/s", float64(r.Rows)/s)
	}
	fmt.Fprintln(e.stdout)
	if r.Error != "" {
		fmt.Fprintf(e.stdout, "  error: %s\n", r.Error)
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "  appended\t%d\t\n", r.Appended)
	fmt.Fprintf(w, "    of which unresolved\t%d\t\n", r.Unresolved)
	fmt.Fprintf(w, "  already in the ledger\t%d\t\n", r.Duplicates)
	fmt.Fprintf(w, "  quarantined\t%d\t\n", r.Quarantined)
	if r.Released > 0 {
		fmt.Fprintf(w, "  released from quarantine\t%d\t\n", r.Released)
	}
	w.Flush()
	printCounts(e, "  unresolved, by reason:", r.UnresolvedReasons)
	printCounts(e, "  quarantined, by reason:", r.Reasons)
	if len(r.FillRate) > 0 {
		fmt.Fprintln(e.stdout, "  fill rate:")
		for _, k := range slices.Sorted(maps.Keys(r.FillRate)) {
			fmt.Fprintf(e.stdout, "    %5.1f%%  %s\n", 100*r.FillRate[k], k)
		}
	}
	if len(r.Examples) > 0 {
		fmt.Fprintln(e.stdout, "  first quarantined rows (credo quarantine show ID):")
		for _, x := range r.Examples {
			fmt.Fprintf(e.stdout, "    row %d [%s]: %s\n", x.Row, x.ID, strings.Join(x.Reasons, "; "))
		}
	}
}

func printCounts(e *env, title string, m map[string]int64) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintln(e.stdout, title)
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		if m[a] != m[b] {
			return int(m[b] - m[a])
		}
		return strings.Compare(a, b)
	})
	for _, k := range keys {
		fmt.Fprintf(e.stdout, "    %7d  %s\n", m[k], k)
	}
}
