package main

import (
	"fmt"
	"iter"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/synth"
)

func newDemoCmd(e *env) *cobra.Command {
	var (
		people   int
		seed     int64
		years    int
		loadOnly bool
	)
	c := &cobra.Command{
		Use:   "demo",
		Short: "Build a synthetic city, load it into the ledger, and report",
		Long: `demo generates a synthetic city (people, organisations and years of records
from its agencies), appends every record to the ledger in --data, and prints
a summary. Running it again over the same directory is idempotent: the
records are already there and nothing is appended twice.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cfg := synth.Config{Seed: seed, People: people}
			if years > 0 {
				cfg.Start = synth.DefaultStart
				cfg.End = synth.DefaultStart.AddDate(years, 0, 0)
			}
			city, err := synth.New(cfg)
			if err != nil {
				return fmt.Errorf("demo: %w", err)
			}
			s, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			before, err := s.Counts(ctx)
			if err != nil {
				return err
			}
			if !e.json {
				fmt.Fprintf(e.stdout, "generating a city of %d people and %d organisations (seed %d) into %s\n", city.People(), city.Orgs(), seed, s.Dir())
			}
			bar := e.newProgress(-1, "loading")
			rep, err := credo.AppendStream(ctx, s, ownedRecords(city.Events()), credo.StreamOptions{
				BatchSize: 2000,
				Progress:  func(r credo.StreamReport) { bar.Set(r.Read) },
			})
			bar.Done()
			if err != nil {
				return fmt.Errorf("demo: loading the city: %w (%d records appended before the error stay; run demo again to finish)", err, rep.Appended)
			}
			after, err := s.Counts(ctx)
			if err != nil {
				return err
			}
			rate := float64(rep.Read) / rep.Elapsed.Seconds()
			if e.json {
				return writeJSON(e.stdout, map[string]any{
					"people": city.People(), "orgs": city.Orgs(), "seed": seed,
					"events": rep.Read, "appended": rep.Appended, "duplicates": rep.Duplicates,
					"conflicts": rep.Conflicts, "rejected": rep.Rejected,
					"seconds": rep.Elapsed.Seconds(), "records_per_second": rate,
					"subjects": after.Subjects, "records": after.Records,
					"by_source": after.BySource, "by_kind": after.ByKind,
				})
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "events generated\t%d\n", rep.Read)
			fmt.Fprintf(w, "appended\t%d\n", rep.Appended)
			if before.Records > 0 || rep.Duplicates > 0 {
				fmt.Fprintf(w, "already in the ledger\t%d\n", rep.Duplicates)
			}
			if rep.Conflicts+rep.Rejected > 0 {
				fmt.Fprintf(w, "refused\t%d (conflicts %d, rejected %d)\n", rep.Conflicts+rep.Rejected, rep.Conflicts, rep.Rejected)
			}
			fmt.Fprintf(w, "subjects in the ledger\t%d\n", after.Subjects)
			fmt.Fprintf(w, "records in the ledger\t%d\n", after.Records)
			fmt.Fprintf(w, "time\t%s (%.0f records/s)\n", rep.Elapsed.Round(time.Millisecond), rate)
			w.Flush()
			for _, p := range rep.Problems {
				fmt.Fprintf(e.stdout, "refused %s: %v\n", credo.RecordID(p.Record.Source, p.Record.SourceRecordID), p.Result.Err)
			}
			printBreakdown(e, "records by source", after.BySource)
			printBreakdown(e, "records by kind", after.ByKind)
			if !loadOnly {
				// Serving (the decision API, the portal) joins demo as it lands;
				// until then demo ends after loading, as with --load-only.
				fmt.Fprintf(e.stdout, "\nnext: credo stats --data %s, credo subject show ID --data %s, credo verify --data %s\n", s.Dir(), s.Dir(), s.Dir())
			}
			return nil
		},
	}
	c.Flags().IntVar(&people, "people", 100_000, "people in the city (1 to 10,000,000)")
	c.Flags().Int64Var(&seed, "seed", 1, "seed: the same seed makes the same city")
	c.Flags().IntVar(&years, "years", 0, "years of events (default 5)")
	c.Flags().BoolVar(&loadOnly, "load-only", false, "exit after loading")
	return addJSON(c, e)
}

// ownedRecords copies each event's record out of the generator's reused
// buffer, so the ledger may keep it.
func ownedRecords(events iter.Seq[*synth.Event]) iter.Seq[*credo.Record] {
	return func(yield func(*credo.Record) bool) {
		for ev := range events {
			r := ev.Record
			if !yield(&r) {
				return
			}
		}
	}
}
