package main

import (
	"context"
	"fmt"
	"iter"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/decide"
	"github.com/credo-org/credo/ingest"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/policy"
	"github.com/credo-org/credo/synth"
)

func newDemoCmd(e *env) *cobra.Command {
	var (
		people   int
		seed     int64
		years    int
		loadOnly bool
		clean    bool
		serve    bool
		addr     string
	)
	c := &cobra.Command{
		Use:   "demo",
		Short: "Build a synthetic city, load it into the ledger, and report",
		Long: `demo generates a synthetic city (people, organisations and years of records
from its agencies), appends every record to the ledger in --data, and prints
a summary. Running it again over the same directory is idempotent: the
records are already there and nothing is appended twice.

Without --load-only it then scores the city into the decision table,
registers demo consumers (one per family of measures: an airline, a hotel,
a bank …), prints their API keys and curl examples, and — at a terminal,
or with --serve — serves the whole API on --addr until interrupted.`,
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
			if clean {
				if err := loadClean(ctx, e, s, city, seed, loadOnly); err != nil || loadOnly || !cmd.Flags().Changed("serve") || !serve {
					return err
				}
				prgs, err := decisionPrograms(ctx, s)
				if err != nil {
					return err
				}
				t0 := time.Now()
				table, dists, err := demoTable(ctx, s, prgs)
				if err != nil {
					return fmt.Errorf("demo: scoring the city: %w", err)
				}
				printDistributions(e, dists, time.Since(t0))
				return demoServe(ctx, e, s, table, prgs, addr)
			}
			began := time.Now()
			dir := filepath.Join(s.Dir(), "exports")
			if !e.json {
				fmt.Fprintf(e.stdout, "generating a city of %d people and %d organisations (seed %d); its agencies' exports go to %s\n", city.People(), city.Orgs(), seed, dir)
			}
			m, err := writeAgencies(ctx, e, city, dir)
			if err != nil {
				return err
			}
			exported := time.Since(began)
			in := &ingest.Ingester{Store: s, Log: e.logger()}
			var sources []demoSource
			var total ingest.Report
			for _, src := range m.Sources {
				spec, err := ingest.LoadSpec(filepath.Join(dir, src.Spec))
				if err != nil {
					return fmt.Errorf("demo: %w", err)
				}
				ds := demoSource{Source: src.Source, Format: src.Format, Encoding: src.Encoding, Files: len(src.Files),
					Reasons: map[string]int64{}, UnresolvedReasons: map[string]int64{}}
				for _, f := range src.Files {
					path := filepath.Join(dir, f.Name)
					bar := e.newByteProgress(path)
					rep, err := in.IngestFile(ctx, spec, path, func(p ingest.Progress) { bar.SetRows(p.Bytes, p.Rows) })
					bar.Done()
					if err != nil {
						return fmt.Errorf("demo: ingest %s: %w", f.Name, err)
					}
					if rep.Status == "failed" {
						return fmt.Errorf("demo: ingest %s: %s", f.Name, rep.Error)
					}
					ds.add(rep)
				}
				total.Rows += ds.Rows
				total.Appended += ds.Appended
				total.Unresolved += ds.Unresolved
				total.Duplicates += ds.Duplicates
				total.Quarantined += ds.Quarantined
				sources = append(sources, ds)
				if !e.json {
					ds.print(e)
				}
			}
			took := time.Since(began)
			after, err := s.Counts(ctx)
			if err != nil {
				return err
			}
			var dists []*gradeDistribution
			var scored time.Duration
			var table *decide.Table
			var prgs []*policy.Program
			var resolution *resolveQuality
			if !loadOnly {
				// the records without a valid id tied to their subjects,
				// measured against the city's truth
				if resolution, err = demoResolve(ctx, s, dir); err != nil {
					return fmt.Errorf("demo: resolving: %w", err)
				}
				// the decision table, and the grade distribution per
				// jurisdiction, in one scoring of the city
				if prgs, err = decisionPrograms(ctx, s); err != nil {
					return err
				}
				t0 := time.Now()
				if table, dists, err = demoTable(ctx, s, prgs); err != nil {
					return fmt.Errorf("demo: scoring the city: %w", err)
				}
				scored = time.Since(t0)
			}
			if !cmd.Flags().Changed("serve") {
				serve = isTerminal(e.stdout) && !e.json
			}
			if e.json {
				return writeJSON(e.stdout, map[string]any{
					"standings": dists,
					"people":    city.People(), "orgs": city.Orgs(), "seed": seed, "exports": dir,
					"events": m.Events, "rows": total.Rows, "appended": total.Appended, "unresolved": total.Unresolved,
					"duplicates": total.Duplicates, "quarantined": total.Quarantined, "sources": sources,
					"seconds": took.Seconds(), "rows_per_second": float64(total.Rows) / took.Seconds(),
					"subjects": after.Subjects, "records": after.Records, "resolution": resolution,
				})
			}
			fmt.Fprintln(e.stdout)
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "events in the city\t%d\n", m.Events)
			fmt.Fprintf(w, "rows the agencies sent\t%d\n", total.Rows)
			fmt.Fprintf(w, "appended\t%d (unresolved: %d)\n", total.Appended, total.Unresolved)
			fmt.Fprintf(w, "already in the ledger\t%d\n", total.Duplicates)
			fmt.Fprintf(w, "quarantined\t%d (credo quarantine list)\n", total.Quarantined)
			fmt.Fprintf(w, "subjects in the ledger\t%d\n", after.Subjects)
			fmt.Fprintf(w, "records in the ledger\t%d\n", after.Records)
			fmt.Fprintf(w, "time\t%s (exports %s; ingest %.0f rows/s)\n", took.Round(time.Millisecond), exported.Round(time.Millisecond), float64(total.Rows)/(took-exported).Seconds())
			w.Flush()
			if !loadOnly {
				fmt.Fprintln(e.stdout)
				resolution.print(e)
				printDistributions(e, dists, scored)
				fmt.Fprintf(e.stdout, "\nnext: credo stats --data %[1]s; credo quarantine list --data %[1]s; credo subject show ID --data %[1]s; credo verify --data %[1]s\n", s.Dir())
				if serve {
					return demoServe(ctx, e, s, table, prgs, addr)
				}
			}
			return nil
		},
	}
	c.Flags().IntVar(&people, "people", 100_000, "people in the city (1 to 10,000,000)")
	c.Flags().Int64Var(&seed, "seed", 1, "seed: the same seed makes the same city")
	c.Flags().IntVar(&years, "years", 0, "years of events (default 5)")
	c.Flags().BoolVar(&loadOnly, "load-only", false, "exit after loading")
	c.Flags().BoolVar(&clean, "clean", false, "append the city's events straight to the ledger, without the agencies' exports and their noise")
	c.Flags().BoolVar(&serve, "serve", false, "after loading, register demo consumers and serve the API until interrupted (default: when standard output is a terminal)")
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to serve on")
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

// demoSource is one agency's part of the demo: its quality report over all
// its files.
type demoSource struct {
	Source            string           `json:"source"`
	Format            string           `json:"format"`
	Encoding          string           `json:"encoding"`
	Files             int              `json:"files"`
	Rows              int64            `json:"rows"`
	Appended          int64            `json:"appended"`
	Unresolved        int64            `json:"unresolved"`
	Duplicates        int64            `json:"duplicates"`
	Quarantined       int64            `json:"quarantined"`
	Reasons           map[string]int64 `json:"quarantined_by_reason"`
	UnresolvedReasons map[string]int64 `json:"unresolved_by_reason"`
}

func (d *demoSource) add(r *ingest.Report) {
	d.Rows += r.Rows
	d.Appended += r.Appended
	d.Unresolved += r.Unresolved
	d.Duplicates += r.Duplicates
	d.Quarantined += r.Quarantined
	for k, v := range r.Reasons {
		d.Reasons[k] += v
	}
	for k, v := range r.UnresolvedReasons {
		d.UnresolvedReasons[k] += v
	}
}

func (d *demoSource) print(e *env) {
	fmt.Fprintf(e.stdout, "%s (%s, %s, %d files): %d rows: %d appended (%d unresolved), %d already there, %d quarantined\n",
		d.Source, d.Format, d.Encoding, d.Files, d.Rows, d.Appended, d.Unresolved, d.Duplicates, d.Quarantined)
	printCounts(e, "  quarantined, by reason:", d.Reasons)
}

// loadClean appends the city's events straight to the ledger.
func loadClean(ctx context.Context, e *env, s *pebble.Store, city *synth.City, seed int64, loadOnly bool) error {
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
	fmt.Fprintf(w, "already in the ledger\t%d\n", rep.Duplicates)
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
	return nil
}
