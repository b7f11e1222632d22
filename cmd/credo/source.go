package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ingest"
)

func newSourceCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "source",
		Short: "Check source specs (and register sources for the stream API)",
	}
	c.AddCommand(newSourceCheckCmd(e), newSourceAddCmd(e), newSourceListCmd(e), newSourceRevokeCmd(e))
	return c
}

func newSourceCheckCmd(e *env) *cobra.Command {
	var rows int
	c := &cobra.Command{
		Use:   "check SPEC [FILE]",
		Short: "Validate a source spec; with a file, show its first rows as they would be mapped (nothing is written)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := ingest.LoadSpec(args[0])
			if err != nil {
				return err
			}
			if len(args) == 1 {
				if e.json {
					return writeJSON(e.stdout, map[string]any{"spec": args[0], "source": spec.Source, "ok": true})
				}
				fmt.Fprintf(e.stdout, "%s: source %s, format %s: ok\n", args[0], spec.Source, spec.Format)
				return nil
			}
			return dryRun(e, spec, args[1], rows)
		},
	}
	c.Flags().IntVar(&rows, "rows", 10, "rows to show")
	return addJSON(c, e)
}

// dryRunRow is one row of a dry run, for --json.
type dryRunRow struct {
	Row        int64            `json:"row"`
	Record     *credo.Record    `json:"record,omitempty"`
	Unresolved string           `json:"unresolved,omitempty"`
	Problems   []ingest.Problem `json:"problems,omitempty"`
}

func dryRun(e *env, spec *ingest.Spec, file string, n int) error {
	r, err := ingest.Open(file, spec)
	if err != nil {
		return err
	}
	defer r.Close()
	m, err := ingest.NewMapper(spec, nil)
	if err != nil {
		return err
	}
	if h := r.Header(); h != nil {
		if err := m.CheckHeader(h); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		m.SetHeader(h)
		if !e.json {
			fmt.Fprintf(e.stdout, "header: %s\n\n", strings.Join(h, " | "))
		}
	}
	var out []dryRunRow
	for len(out) < n {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var rowErr *ingest.RowError
		if errors.As(err, &rowErr) {
			out = append(out, dryRunRow{Row: rowErr.Row.Num, Problems: []ingest.Problem{{Field: "row", Reason: rowErr.Reason}}})
			continue
		}
		if err != nil {
			return err
		}
		res := m.Map(&row, credo.Provenance{Request: "dry-run"})
		out = append(out, dryRunRow{Row: row.Num, Record: res.Record, Unresolved: res.Unresolved, Problems: res.Problems})
	}
	if e.json {
		return writeJSON(e.stdout, out)
	}
	for _, d := range out {
		if d.Record == nil {
			fmt.Fprintf(e.stdout, "row %d: would be QUARANTINED\n", d.Row)
			for _, p := range d.Problems {
				fmt.Fprintf(e.stdout, "    %s\n", p)
			}
			continue
		}
		r := d.Record
		subj := r.Subject.String()
		if d.Unresolved != "" {
			subj = "unresolved (" + d.Unresolved + ")"
		}
		fmt.Fprintf(e.stdout, "row %d: %s  %s  %s  %s\n", d.Row, credo.RecordID(r.Source, r.SourceRecordID), r.OccurredAt.In(cst).Format(time.DateTime), r.Kind, subj)
		if id := r.Identity; id.Name != "" || id.BirthDate != "" {
			fmt.Fprintf(e.stdout, "    identity: %s %s %s %s %s\n", id.Name, id.BirthDate, id.Sex, id.Phone, id.Address)
		}
		if det := details(r); det != "" {
			fmt.Fprintf(e.stdout, "    %s\n", det)
		}
	}
	if len(out) == 0 {
		fmt.Fprintln(e.stdout, "(no rows)")
	}
	return nil
}
