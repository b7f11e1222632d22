package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo"
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

// newSubjectNoticeCmd is credo subject notice: one adverse-action notice
// of a subject, as the subject reads it. It is added to credo subject.
func newSubjectNoticeCmd(e *env) *cobra.Command {
	return addJSON(&cobra.Command{
		Use:   "notice ID NOTICE",
		Short: "One adverse-action notice of a subject: the measures that denied, the rules, grade, lists and records behind them, and how to object",
		Args:  cobra.ExactArgs(2),
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			ref, err := parseSubject(args[0])
			if err != nil {
				return err
			}
			n, err := s.Notice(ctx, ref, args[1])
			if errors.Is(err, credo.ErrNotFound) {
				return fmt.Errorf("%s has no adverse-action notice %s (credo subject inquiries %s lists them)", ref, args[1], ref.ID)
			}
			if err != nil {
				return err
			}
			if e.json {
				return writeJSON(e.stdout, n)
			}
			fmt.Fprintf(e.stdout, "adverse-action notice %s to %s\n", n.ID, n.Subject)
			fmt.Fprintf(e.stdout, "%s asked %s at %s (request %s): denied\n", n.Consumer, n.Action, n.Time.Local().Format(time.DateTime), n.RequestID)
			for _, m := range n.Measures {
				fmt.Fprintf(e.stdout, "\n%s (%s), %s: %s\n", m.Jurisdiction, m.PolicyVersion, m.Rule, m.Reason)
				if m.When != "" {
					fmt.Fprintf(e.stdout, "  the rule: when %s\n", m.When)
				}
				if m.Grade != "" {
					fmt.Fprintf(e.stdout, "  grade %s", m.Grade)
					if g := m.GradeReason; g != nil && g.Rule != "" {
						fmt.Fprintf(e.stdout, " (%s)", g.Rule)
					} else if g != nil && g.Band != "" {
						fmt.Fprintf(e.stdout, " (points %s)", g.Band)
					}
					fmt.Fprintln(e.stdout)
				}
				for _, l := range m.Lists {
					fmt.Fprintf(e.stdout, "  on the %s list since %s", l.List, l.Since.Format(time.DateOnly))
					if l.Record != "" {
						fmt.Fprintf(e.stdout, " (record %s)", l.Record)
					}
					fmt.Fprintln(e.stdout)
				}
				if len(m.Records) > 0 {
					fmt.Fprintf(e.stdout, "  records: %s\n", strings.Join(m.Records, ", "))
				}
			}
			fmt.Fprintf(e.stdout, "\nhow to object: %s\n", n.Object)
			return nil
		}),
	}, e)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
