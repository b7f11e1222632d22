package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo/pebble"
)

// newSubjectInquiriesCmd is credo subject inquiries: who asked about a
// subject, what, when, and the answer. It is added to credo subject.
func newSubjectInquiriesCmd(e *env) *cobra.Command {
	return addJSON(&cobra.Command{
		Use:   "inquiries ID",
		Short: "Every decision asked about a subject: who asked, what, when, the answer and any adverse-action notice",
		Args:  cobra.ExactArgs(1),
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			ref, err := parseSubject(args[0])
			if err != nil {
				return err
			}
			out, err := collectAll(s.SubjectInquiries(ctx, ref))
			if err != nil {
				return err
			}
			if e.json {
				return writeJSON(e.stdout, out)
			}
			if len(out) == 0 {
				fmt.Fprintf(e.stdout, "no one has asked about %s\n", ref)
				return nil
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "TIME\tCONSUMER\tACTION\tPURPOSE\tDECISION\tREASONS\tNOTICE")
			for _, q := range out {
				d := "permit"
				if !q.Decision {
					d = "deny"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", q.Time.Local().Format(time.DateTime), q.Consumer, q.Action,
					orDash(q.Purpose), d, strings.Join(q.Reasons, ","), orDash(q.NoticeID))
			}
			return w.Flush()
		}),
	}, e)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
