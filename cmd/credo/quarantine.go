package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ingest"
	"github.com/credo-org/credo/pebble"
)

func newQuarantineCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "quarantine",
		Short: "Rows that could not become records: list, show, export for the agency to fix",
	}
	c.AddCommand(newQuarantineListCmd(e), newQuarantineShowCmd(e), newQuarantineExportCmd(e))
	return c
}

func (e *env) quarantined(cmd *cobra.Command, source string) ([]*credo.QuarantinedRow, error) {
	ctx := cmd.Context()
	s, err := e.openStore(ctx)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	rows, err := collectAll(s.Quarantined(ctx, source))
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func newQuarantineListCmd(e *env) *cobra.Command {
	var source string
	c := &cobra.Command{
		Use:   "list",
		Short: "List quarantined rows with their first reason",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rows, err := e.quarantined(cmd, source)
			if err != nil {
				return err
			}
			if e.json {
				return writeJSON(e.stdout, rows)
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tFILE\tROW\tREASONS")
			for _, q := range rows {
				more := ""
				if len(q.Reasons) > 1 {
					more = fmt.Sprintf(" (+%d more)", len(q.Reasons)-1)
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%s%s\n", q.ID, q.File, q.Row, first(q.Reasons), more)
			}
			w.Flush()
			fmt.Fprintf(e.stdout, "%d rows\n", len(rows))
			return nil
		},
	}
	c.Flags().StringVar(&source, "source", "", "only this source's rows")
	return addJSON(c, e)
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func newQuarantineShowCmd(e *env) *cobra.Command {
	return addJSON(&cobra.Command{
		Use:   "show ID",
		Short: "Show one quarantined row: where it was, what it held, every reason",
		Args:  cobra.ExactArgs(1),
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			q, err := s.QuarantinedRow(ctx, args[0])
			if err != nil {
				return err
			}
			if e.json {
				return writeJSON(e.stdout, q)
			}
			fmt.Fprintf(e.stdout, "%s\nsource %s, file %s (sha256 %s), row %d, run %s\n", q.ID, q.Source, q.File, q.Digest, q.Row, q.Run)
			if q.SourceRecordID != "" {
				fmt.Fprintf(e.stdout, "source record id %s\n", q.SourceRecordID)
			}
			fmt.Fprintln(e.stdout, "\nreasons:")
			for _, r := range q.Reasons {
				fmt.Fprintf(e.stdout, "  - %s\n", r)
			}
			fmt.Fprintln(e.stdout, "\nfields:")
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			for i, v := range q.Values {
				name := fmt.Sprintf("#%d", i+1)
				if i < len(q.Names) {
					name = q.Names[i]
				}
				fmt.Fprintf(w, "  %s\t%q\n", name, v)
			}
			w.Flush()
			if q.Raw != "" {
				fmt.Fprintf(e.stdout, "\nas sent:\n  %s\n", strings.ReplaceAll(q.Raw, "\n", "\n  "))
			}
			return nil
		}),
	}, e)
}

func newQuarantineExportCmd(e *env) *cobra.Command {
	var specPath, out string
	c := &cobra.Command{
		Use:   "export --source SPEC --out FILE",
		Short: "Write a source's quarantined rows back in its own format, for the agency to fix and resend",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := ingest.LoadSpec(specPath)
			if err != nil {
				return err
			}
			rows, err := e.quarantined(cmd, spec.Source)
			if err != nil {
				return err
			}
			f, err := os.Create(out)
			if err != nil {
				return err
			}
			if err := ingest.WriteQuarantined(f, spec, rows); err != nil {
				f.Close()
				return fmt.Errorf("export to %s: %w", out, err)
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "wrote %d rows of %s to %s\n", len(rows), spec.Source, out)
			return nil
		},
	}
	c.Flags().StringVar(&specPath, "source", "", "the source spec: its format and encoding are used")
	c.Flags().StringVar(&out, "out", "", "the file to write")
	c.MarkFlagRequired("source")
	c.MarkFlagRequired("out")
	return c
}
