package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
	"github.com/credo-org/credo/pebble"
)

// operator is who a resolution or review decision is recorded as made by:
// --by, else the login name.
func (e *env) operator(by string) (string, error) {
	if by != "" {
		return by, nil
	}
	if u := e.getenv("USER"); u != "" {
		return u, nil
	}
	return "", errors.New("say who you are with --by NAME: every decision is recorded with its author")
}

func newReviewCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "review",
		Short: "The records the resolver could not decide: list, show, accept or reject them",
	}
	c.AddCommand(newReviewListCmd(e), newReviewShowCmd(e), newReviewDecideCmd(e, true), newReviewDecideCmd(e, false))
	return c
}

func newReviewListCmd(e *env) *cobra.Command {
	var status string
	c := &cobra.Command{
		Use:   "list",
		Short: "List review items (open ones unless --status)",
		Args:  cobra.NoArgs,
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			st := credo.ReviewStatus(status)
			switch st {
			case "all":
				st = ""
			case credo.ReviewOpen, credo.ReviewAccepted, credo.ReviewRejected:
			default:
				return fmt.Errorf("--status %q: want open, accepted, rejected or all", status)
			}
			items, err := collectAll(s.ReviewItems(ctx, st))
			if err != nil {
				return err
			}
			if e.json {
				return writeJSON(e.stdout, items)
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tRECORD\tSTATUS\tCANDIDATES\tBEST\tWEIGHT\tPOSTERIOR")
			for _, it := range items {
				best, weight, post := "-", "", ""
				if len(it.Candidates) > 0 {
					c := it.Candidates[0]
					best, weight, post = c.Subject.ID, fmt.Sprintf("%.2f", c.Weight), fmt.Sprintf("%.3f", c.Posterior)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", it.ID, it.Record, it.Status, len(it.Candidates), best, weight, post)
			}
			w.Flush()
			if len(items) == 0 {
				fmt.Fprintln(e.stderr, "no review items")
			}
			return nil
		}),
	}
	c.Flags().StringVar(&status, "status", "open", "open, accepted, rejected or all")
	return addJSON(c, e)
}

// reviewView is what credo review show prints: the item with its record.
type reviewView struct {
	*credo.ReviewItem
	RecordData *credo.Record `json:"record_data"`
}

func newReviewShowCmd(e *env) *cobra.Command {
	return addJSON(&cobra.Command{
		Use:   "show ID",
		Short: "Show a review item: the record and each candidate with its match weight, field by field",
		Args:  cobra.ExactArgs(1),
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			it, err := s.ReviewItem(ctx, args[0])
			if err != nil {
				return err
			}
			rec, err := s.Record(ctx, it.Record)
			if err != nil {
				return err
			}
			if e.json {
				return writeJSON(e.stdout, reviewView{it, rec})
			}
			id := rec.Identity
			fmt.Fprintf(e.stdout, "%s  %s  (%s)\n", it.ID, it.Status, it.Record)
			fmt.Fprintf(e.stdout, "record: %s %s, occurred %s\n", rec.Kind, rec.Polarity, rec.OccurredAt.Format(time.DateOnly))
			fmt.Fprintf(e.stdout, "  as sent: id %q, name %q, born %q, sex %s, phone %q, address %q\n", id.IDNumber, id.Name, id.BirthDate, id.Sex, id.Phone, id.Address)
			for i, c := range it.Candidates {
				fmt.Fprintf(e.stdout, "candidate %d: %s %s — %s\n", i+1, c.Subject.Kind, c.Subject.ID, c.Explanation)
			}
			if it.Status != credo.ReviewOpen {
				fmt.Fprintf(e.stdout, "%s by %s on %s: %s\n", it.Status, it.DecidedBy, it.DecidedAt.Local().Format(time.DateTime), it.Why)
			} else {
				fmt.Fprintf(e.stdout, "decide: credo review accept %s --candidate N --why TEXT   |   credo review reject %s --why TEXT\n", it.ID, it.ID)
			}
			return nil
		}),
	}, e)
}

func newReviewDecideCmd(e *env, accept bool) *cobra.Command {
	var (
		candidate int
		subject   string
		by, why   string
	)
	use, short := "reject ID", "Reject every candidate: the record stays unresolved"
	if accept {
		use, short = "accept ID", "Link the record to a candidate (the first unless --candidate or --subject)"
	}
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			op, err := e.operator(by)
			if err != nil {
				return err
			}
			if why == "" {
				return errors.New("say why with --why TEXT: every decision is recorded with its reason")
			}
			it, err := s.ReviewItem(ctx, args[0])
			if err != nil {
				return err
			}
			if it.Status != credo.ReviewOpen {
				return fmt.Errorf("review item %s was %s by %s already", it.ID, it.Status, it.DecidedBy)
			}
			if !accept {
				it, err = s.DecideReview(ctx, it.ID, credo.ReviewRejected, credo.SubjectRef{}, op, why)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "%s rejected: %s stays unresolved\n", it.ID, it.Record)
				return nil
			}
			var chosen *credo.ReviewCandidate
			switch {
			case subject != "":
				for i := range it.Candidates {
					if it.Candidates[i].Subject.ID == subject {
						chosen = &it.Candidates[i]
					}
				}
				if chosen == nil {
					return fmt.Errorf("%s is not a candidate of %s", subject, it.ID)
				}
			case candidate < 1 || candidate > len(it.Candidates):
				return fmt.Errorf("--candidate %d: %s has %d candidates", candidate, it.ID, len(it.Candidates))
			default:
				chosen = &it.Candidates[candidate-1]
			}
			out, err := s.Resolve(ctx, []credo.Resolution{{Action: credo.Link, Record: it.Record, Subject: chosen.Subject,
				Weight: chosen.Weight, Explanation: chosen.Explanation, By: op, Why: "review " + it.ID + ": " + why}})
			if err != nil {
				return err
			}
			if _, err := s.DecideReview(ctx, it.ID, credo.ReviewAccepted, chosen.Subject, op, why); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s accepted: %s linked to %s (%s)\n", it.ID, it.Record, chosen.Subject.ID, out[0].LedgerID)
			return e.scoreAfterIngest(ctx, s)
		}),
	}
	if accept {
		c.Flags().IntVar(&candidate, "candidate", 1, "the candidate to link to, by its number in review show")
		c.Flags().StringVar(&subject, "subject", "", "the candidate to link to, by its identifier")
	}
	c.Flags().StringVar(&by, "by", "", "who decides (default: $USER)")
	c.Flags().StringVar(&why, "why", "", "why (required)")
	return c
}

// subjectRef reads a subject identifier given on the command line: a
// resident identity number or a unified social credit code.
func subjectRef(id string) (credo.SubjectRef, error) {
	switch r := ident.Check(id); {
	case r.Valid() && r.Kind == ident.Organization:
		return credo.SubjectRef{Kind: credo.Organization, ID: ident.Normalize(id)}, nil
	case r.Valid():
		return credo.SubjectRef{Kind: credo.Person, ID: ident.Normalize(id)}, nil
	default:
		return credo.SubjectRef{}, fmt.Errorf("subject %q: %s", id, r)
	}
}

// newSubjectResolutionCmds are credo subject link, split, merge, unmerge,
// undo and resolutions: an operator's corrections of which subject records
// belong to, each recorded in the ledger and undoable.
func newSubjectResolutionCmds(e *env) []*cobra.Command {
	var by, why string
	flags := func(c *cobra.Command) *cobra.Command {
		c.Flags().StringVar(&by, "by", "", "who decides (default: $USER)")
		c.Flags().StringVar(&why, "why", "", "why (required)")
		return c
	}
	apply := func(ctx context.Context, s *pebble.Store, r credo.Resolution) error {
		op, err := e.operator(by)
		if err != nil {
			return err
		}
		if why == "" {
			return errors.New("say why with --why TEXT: every correction is recorded with its reason")
		}
		r.By, r.Why = op, why
		out, err := s.Resolve(ctx, []credo.Resolution{r})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s recorded as %s (undo: credo subject undo %s)\n", r.Action, out[0].LedgerID, out[0].LedgerID)
		return e.scoreAfterIngest(ctx, s)
	}
	twoSubjects := func(action credo.ResolutionAction, use, short string) *cobra.Command {
		return flags(&cobra.Command{
			Use: use, Short: short, Args: cobra.ExactArgs(2),
			RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
				into, err := subjectRef(args[0])
				if err != nil {
					return err
				}
				from, err := subjectRef(args[1])
				if err != nil {
					return err
				}
				return apply(ctx, s, credo.Resolution{Action: action, Subject: into, From: from})
			}),
		})
	}
	subjectRecord := func(action credo.ResolutionAction, use, short string) *cobra.Command {
		return flags(&cobra.Command{
			Use: use, Short: short, Args: cobra.ExactArgs(2),
			RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
				ref, err := subjectRef(args[0])
				if err != nil {
					return err
				}
				return apply(ctx, s, credo.Resolution{Action: action, Subject: ref, Record: args[1]})
			}),
		})
	}
	undo := flags(&cobra.Command{
		Use:   "undo RESOLUTION",
		Short: "Undo a link, split, merge or unmerge, by the id of its ledger record",
		Args:  cobra.ExactArgs(1),
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			rec, err := s.Record(ctx, args[0])
			if err != nil {
				return err
			}
			r, err := credo.ResolutionFromRecord(rec)
			if err != nil {
				return fmt.Errorf("%s is not a resolution record: %w", args[0], err)
			}
			r.Action = map[credo.ResolutionAction]credo.ResolutionAction{
				credo.Link: credo.Unlink, credo.Unlink: credo.Link, credo.Merge: credo.Unmerge, credo.Unmerge: credo.Merge,
			}[r.Action]
			r.Weight, r.Explanation = 0, "undoes "+rec.ID
			return apply(ctx, s, r)
		}),
	})
	history := addJSON(&cobra.Command{
		Use:   "resolutions ID",
		Short: "The links, splits and merges about a subject (or a record, by its id), oldest first",
		Args:  cobra.ExactArgs(1),
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			out, err := collectAll(s.ResolutionHistory(ctx, args[0]))
			if err != nil {
				return err
			}
			if e.json {
				return writeJSON(e.stdout, out)
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "AT\tACTION\tRECORD\tSUBJECT\tFROM\tBY\tWHY\tLEDGER ID")
			for _, r := range out {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.At.Local().Format(time.DateTime), r.Action, orDash(r.Record), r.Subject.ID, orDash(r.From.ID), r.By, r.Why, r.LedgerID)
			}
			return w.Flush()
		}),
	}, e)
	return []*cobra.Command{
		subjectRecord(credo.Link, "link SUBJECT RECORD", "Link a record to a subject (or undo a split)"),
		subjectRecord(credo.Unlink, "split SUBJECT RECORD", "Split a record off a subject: it belongs to no one until linked"),
		twoSubjects(credo.Merge, "merge A B", "Merge subject B into A: both identifiers then share one file"),
		twoSubjects(credo.Unmerge, "unmerge A B", "Undo the merge of B into A"),
		undo,
		history,
	}
}
