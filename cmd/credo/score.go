package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/policy"
	"github.com/credo-org/credo/score"
)

// repsFile is where the data directory keeps the registry of legal
// representatives that `credo score --legal-reps` was given.
const repsFile = "legal_representatives.csv"

func newScoreCmd(e *env) *cobra.Command {
	var (
		jurisdictions []string
		full          bool
		asOfArg       string
		repsArg       string
	)
	c := &cobra.Command{
		Use:   "score",
		Short: "Bring every stored standing up to date with the ledger and the clock",
		Long: `score keeps the standings that credo subject show and credo subject list
read current under the latest published version of each jurisdiction (or
of those --policy names). For each version it reads the ledger from where
the last run stopped, recomputes only the subjects the new records touch,
and also those whose standing changes by time alone (a deduction expiring,
a list membership lapsing); a version that has scored nothing yet, or
--full, recomputes every subject. Run it after credo ingest (which runs it
itself when a policy is published) and daily, so that time passing shows.
It then saves the decision table built from the standings in the data
directory, which credo serve reads at start.

--legal-reps FILE loads the registry of legal representatives (CSV: an
organisation's unified social credit code, its legal representative's
identity number) into the data directory; through it a policy's linkage
holds an organisation's serious violations against its representative.`,
		Args: cobra.NoArgs,
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			asOf := time.Now()
			if asOfArg != "" {
				d, err := time.ParseInLocation(time.DateOnly, asOfArg, cst)
				if err != nil {
					return fmt.Errorf("--as-of %q: want a date YYYY-MM-DD", asOfArg)
				}
				asOf = d.AddDate(0, 0, 1).Add(-time.Nanosecond)
			}
			if repsArg != "" {
				if err := e.loadRepsFile(repsArg); err != nil {
					return err
				}
			}
			prgs, err := publishedPrograms(ctx, s, jurisdictions)
			if err != nil {
				return err
			}
			if len(prgs) == 0 {
				return errors.New("score: no policy published (credo policy publish FILE; credo policy list)")
			}
			results, err := e.scoreStore(ctx, s, prgs, asOf, full)
			if err != nil {
				return err
			}
			if e.json {
				return writeJSON(e.stdout, results)
			}
			printScoreResults(e, results)
			return nil
		}),
	}
	c.Flags().StringArrayVar(&jurisdictions, "policy", nil, "score only under this jurisdiction's latest published version, or jurisdiction@version (repeatable)")
	c.Flags().BoolVar(&full, "full", false, "recompute every subject, not only those touched since the last run")
	c.Flags().StringVar(&asOfArg, "as-of", "", "score as of the end of this day (YYYY-MM-DD, China time; default now)")
	c.Flags().StringVar(&repsArg, "legal-reps", "", "load this registry of legal representatives (CSV: credit code, identity number) into the data directory first")
	return addJSON(c, e)
}

// loadRepsFile checks a registry of legal representatives and keeps a
// copy in the data directory for every later run.
func (e *env) loadRepsFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--legal-reps: %w", err)
	}
	if _, err := score.ReadRepresentatives(path, bytes.NewReader(b)); err != nil {
		return fmt.Errorf("--legal-reps: %w", err)
	}
	if err := os.WriteFile(filepath.Join(e.data, repsFile), b, 0o640); err != nil {
		return fmt.Errorf("--legal-reps: keep a copy in the data directory: %w", err)
	}
	return nil
}

// representatives reads the data directory's registry of legal
// representatives, empty when there is none.
func (e *env) representatives() (score.Representatives, error) {
	path := filepath.Join(e.data, repsFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return score.ReadRepresentatives(path, f)
}

// publishedPrograms compiles the latest published version of each
// jurisdiction, or of those named (a name may also be a published
// jurisdiction@version).
func publishedPrograms(ctx context.Context, s credo.Policies, named []string) ([]*policy.Program, error) {
	latest := map[string]*credo.PolicyVersion{}
	var order []string
	for v, err := range s.PolicyVersions(ctx) {
		if err != nil {
			return nil, err
		}
		if latest[v.Jurisdiction] == nil {
			order = append(order, v.Jurisdiction)
		}
		latest[v.Jurisdiction] = v
	}
	var vs []*credo.PolicyVersion
	if len(named) == 0 {
		for _, j := range order {
			vs = append(vs, latest[j])
		}
	}
	for _, n := range named {
		if j, ver, ok := strings.Cut(n, "@"); ok {
			v, err := s.PolicyVersion(ctx, j, ver)
			if err != nil {
				return nil, fmt.Errorf("--policy %s: %w", n, err)
			}
			vs = append(vs, v)
			continue
		}
		v := latest[n]
		if v == nil {
			return nil, fmt.Errorf("--policy %s: no version of jurisdiction %q is published (published: %s)", n, n, strings.Join(order, ", "))
		}
		vs = append(vs, v)
	}
	out := make([]*policy.Program, 0, len(vs))
	for _, v := range vs {
		prg, err := policy.Load(v.ID(), []byte(v.Source))
		if err != nil {
			return nil, fmt.Errorf("published policy %s: %w", v.ID(), err)
		}
		out = append(out, prg)
	}
	return out, nil
}

// scoreStore catches up (or, with full, recomputes) the standings under
// each program, then saves the decision table's snapshot of them, which
// credo serve reads at start.
func (e *env) scoreStore(ctx context.Context, s *pebble.Store, prgs []*policy.Program, asOf time.Time, full bool) ([]score.Result, error) {
	reps, err := e.representatives()
	if err != nil {
		return nil, err
	}
	var out []score.Result
	for _, p := range prgs {
		o := score.Options{AsOf: asOf, Reps: reps}
		var res score.Result
		if full {
			res, err = score.Recompute(ctx, s, p, o)
		} else {
			res, err = score.CatchUp(ctx, s, p, o)
		}
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	e.saveTableSnapshot(ctx, s)
	return out, nil
}

func printScoreResults(e *env, results []score.Result) {
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "POLICY\tRUN\tRECORDS READ\tSTANDINGS\tBY TIME\tTHROUGH SEQ\tTOOK")
	for _, r := range results {
		run := "catch-up"
		if r.Full {
			run = "full"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%s\n", r.PolicyVersion, run, r.Records, r.Subjects, r.Due, r.Through, r.Took.Round(time.Millisecond))
	}
	w.Flush()
}

// scoreAfterIngest catches the published policies' standings up with what
// an ingest appended, saying so on standard error; with nothing published
// there is nothing to do.
func (e *env) scoreAfterIngest(ctx context.Context, s *pebble.Store) error {
	prgs, err := publishedPrograms(ctx, s, nil)
	if err != nil || len(prgs) == 0 {
		return err
	}
	results, err := e.scoreStore(ctx, s, prgs, time.Now(), false)
	if err != nil {
		return fmt.Errorf("ingested, but scoring failed (run credo score): %w", err)
	}
	var parts []string
	for _, r := range results {
		parts = append(parts, fmt.Sprintf("%s %d", r.PolicyVersion, r.Subjects))
	}
	fmt.Fprintf(e.stderr, "standings brought up to date: %s\n", strings.Join(parts, ", "))
	return nil
}

// subjectList is one row of credo subject list.
type subjectList struct {
	Subject       credo.SubjectRef `json:"subject"`
	Jurisdiction  string           `json:"jurisdiction"`
	PolicyVersion string           `json:"policy_version"`
	Score         float64          `json:"score"`
	Grade         string           `json:"grade"`
	Lists         []string         `json:"lists"`
	AsOf          time.Time        `json:"as_of"`
}

func newSubjectListCmd(e *env) *cobra.Command {
	var (
		f     credo.StandingFilter
		limit int
	)
	c := &cobra.Command{
		Use:   "list",
		Short: "List the stored standings, by jurisdiction, grade or list",
		Long: `list prints the standings credo score keeps: subject, jurisdiction, score,
grade and lists, by jurisdiction and subject. --jurisdiction, --grade and
--list select; --limit caps the rows (0: all).`,
		Args: cobra.NoArgs,
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			if limit < 0 {
				return fmt.Errorf("--limit %d: want 0 or more", limit)
			}
			rows := []subjectList{}
			for st, err := range s.ListStandings(ctx, f) {
				if err != nil {
					return err
				}
				rows = append(rows, subjectList{st.Subject, st.Jurisdiction, st.PolicyVersion, st.Score, st.Grade, listNames(st), st.AsOf})
				if limit > 0 && len(rows) == limit {
					break
				}
			}
			if e.json {
				return writeJSON(e.stdout, rows)
			}
			if len(rows) == 0 {
				fmt.Fprintln(e.stdout, "no standing stored matches (credo score computes them)")
				return nil
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "SUBJECT\tJURISDICTION\tSCORE\tGRADE\tLISTS\tPOLICY\tAS OF")
			for _, r := range rows {
				lists := strings.Join(r.Lists, ",")
				if lists == "" {
					lists = "-"
				}
				fmt.Fprintf(w, "%s\t%s\t%g\t%s\t%s\t%s\t%s\n", r.Subject, r.Jurisdiction, r.Score, r.Grade, lists, r.PolicyVersion, day(r.AsOf))
			}
			return w.Flush()
		}),
	}
	c.Flags().StringVar(&f.Jurisdiction, "jurisdiction", "", "only under this jurisdiction")
	c.Flags().StringVar(&f.Grade, "grade", "", "only of this grade")
	c.Flags().StringVar(&f.List, "list", "", "only members of this list")
	c.Flags().IntVar(&limit, "limit", 50, "at most this many rows (0: all)")
	return addJSON(c, e)
}
