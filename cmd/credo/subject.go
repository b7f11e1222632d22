package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
)

func newSubjectCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "subject",
		Short: "Look at one subject's file",
	}
	c.AddCommand(newSubjectShowCmd(e))
	return c
}

// parseSubject turns a command-line identifier into a subject reference,
// refusing identifiers that fail their check.
func parseSubject(arg string) (credo.SubjectRef, error) {
	r := ident.Check(arg)
	if !r.Valid() {
		return credo.SubjectRef{}, fmt.Errorf("subject %q is not a valid identifier: %s", arg, r)
	}
	kind := credo.Person
	if r.Kind == ident.Organization {
		kind = credo.Organization
	}
	return credo.SubjectRef{Kind: kind, ID: ident.Normalize(arg)}, nil
}

func newSubjectShowCmd(e *env) *cobra.Command {
	return addJSON(&cobra.Command{
		Use:   "show ID",
		Short: "Print a subject's records in time order",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := parseSubject(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			s, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			recs := []*credo.Record{}
			for r, err := range s.SubjectRecords(ctx, ref) {
				if err != nil {
					return fmt.Errorf("subject %s: %w", ref.ID, err)
				}
				recs = append(recs, r)
			}
			if e.json {
				return writeJSON(e.stdout, struct {
					Subject credo.SubjectRef `json:"subject"`
					Records []*credo.Record  `json:"records"`
				}{ref, recs})
			}
			fmt.Fprintf(e.stdout, "%s %s: %d records\n", ref.Kind, ref.ID, len(recs))
			if len(recs) == 0 {
				return nil
			}
			if id := recs[len(recs)-1].Identity; id.Name != "" {
				fmt.Fprintf(e.stdout, "as last reported: %s", id.Name)
				if id.BirthDate != "" {
					fmt.Fprintf(e.stdout, ", born %s", id.BirthDate)
				}
				if id.Address != "" {
					fmt.Fprintf(e.stdout, ", %s", id.Address)
				}
				fmt.Fprintln(e.stdout)
			}
			fmt.Fprintln(e.stdout)
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "OCCURRED\tKIND\t\tDETAILS\tRECORD")
			for _, r := range recs {
				sign := map[credo.Polarity]string{credo.Negative: "−", credo.Positive: "+"}[r.Polarity]
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.OccurredAt.In(cst).Format(time.DateOnly), r.Kind, sign, details(r), r.ID)
			}
			return w.Flush()
		},
	}, e)
}

// cst is China Standard Time, in which agencies date their records.
var cst = time.FixedZone("CST", 8*3600)

func details(r *credo.Record) string {
	var parts []string
	for _, a := range r.Attributes {
		parts = append(parts, a.Key+"="+a.Value.String())
	}
	if r.Corrects != "" {
		parts = append(parts, "corrects "+r.Corrects)
	}
	if r.Retracts != "" {
		parts = append(parts, "retracts "+r.Retracts)
	}
	return strings.Join(parts, " ")
}
