package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/policies"
	"github.com/credo-org/credo/policy"
	"github.com/credo-org/credo/score"
)

func newSubjectCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "subject",
		Short: "Look at one subject's file",
	}
	c.AddCommand(newSubjectShowCmd(e), newSubjectListCmd(e), newSubjectInquiriesCmd(e), newSubjectNoticeCmd(e))
	c.AddCommand(newSubjectResolutionCmds(e)...)
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
	var (
		asOfArg   string
		policyArg []string
	)
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Print a subject's records in time order and its standing under each policy",
		Long: `show prints a subject's records in time order, then its standing under each
policy: the latest published version of each jurisdiction that scores the
subject's kind (credo policy list), or, while none is published, every
shipped pack that does. --policy names the policies instead (a file, a
shipped pack, or a published jurisdiction@version; repeatable).

A standing is score, grade and why, list memberships with their entry
date and earliest exit, and every contribution (record → rule → points),
followed by the score history under its jurisdiction. It is the one credo
score stored when that is current (same policy version, scored through the
subject's last record, not changed by time since); otherwise it is
computed from the ledger when asked. --as-of DATE gives the standing at
the end of that day (China Standard Time): records that occurred later do
not count, and what had expired by then no longer does.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asOf := time.Now()
			now := asOf
			if asOfArg != "" {
				d, err := time.ParseInLocation(time.DateOnly, asOfArg, cst)
				if err != nil {
					return fmt.Errorf("--as-of %q: want a date YYYY-MM-DD", asOfArg)
				}
				asOf = d.AddDate(0, 0, 1).Add(-time.Nanosecond)
			}
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
			prgs, err := e.standingPrograms(ctx, s, ref.Kind, policyArg)
			if err != nil {
				return err
			}
			reps, err := e.representatives()
			if err != nil {
				return err
			}
			var last uint64
			for _, r := range recs {
				last = max(last, r.Seq)
			}
			standings := make([]credo.Standing, 0, len(prgs))
			histories := map[string][]credo.StandingChange{}
			var stored []string
			for _, p := range prgs {
				st, ok, err := storedStanding(ctx, s, p, ref, last, now)
				if err != nil {
					return err
				}
				if ok && asOfArg == "" {
					stored = append(stored, p.Jurisdiction)
					if len(st.Contributions) == 0 {
						// A full recompute stores standings without their
						// explanation: it is computed when shown, from the
						// same records as of the same time.
						exp, err := score.Standing(ctx, s, p, ref, reps, st.AsOf)
						if err != nil {
							return err
						}
						st.Contributions = exp.Contributions
					}
				} else if st, err = score.Standing(ctx, s, p, ref, reps, asOf); err != nil {
					return err
				}
				standings = append(standings, tidyStanding(st))
				h := []credo.StandingChange{}
				for c, err := range s.History(ctx, ref, p.Jurisdiction) {
					if err != nil {
						return err
					}
					h = append(h, c)
				}
				histories[p.Jurisdiction] = h
			}
			if stored == nil {
				stored = []string{}
			}
			if e.json {
				out := map[string]any{"subject": ref, "records": recs, "as_of": asOf, "standings": standings, "histories": histories, "stored": stored}
				if len(standings) == 1 {
					out["history"] = histories[standings[0].Jurisdiction]
				}
				if len(standings) == 1 {
					// one policy: its standing's keys at the top as well
					b, err := json.Marshal(standings[0])
					if err != nil {
						return err
					}
					var m map[string]any
					if err := json.Unmarshal(b, &m); err != nil {
						return err
					}
					for k, v := range m {
						if _, taken := out[k]; !taken {
							out[k] = v
						}
					}
				}
				return writeJSON(e.stdout, out)
			}
			fmt.Fprintf(e.stdout, "%s %s: %d records\n", ref.Kind, ref.ID, len(recs))
			defer printStandings(e, standings, histories, stored)
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
	}
	c.Flags().StringVar(&asOfArg, "as-of", "", "the standing as of the end of this day (YYYY-MM-DD, China time; default now)")
	c.Flags().StringArrayVar(&policyArg, "policy", nil, "score under this policy: a file, a shipped pack or jurisdiction@version (repeatable; default: the published ones, else the shipped packs)")
	return addJSON(c, e)
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

// standingPrograms compiles the policies to score a subject of kind under:
// those named (files, shipped packs, published jurisdiction@version), or
// the latest published version of each jurisdiction that scores kind, or,
// while none is published, every shipped pack that does.
func (e *env) standingPrograms(ctx context.Context, s credo.Policies, kind credo.SubjectKind, named []string) ([]*policy.Program, error) {
	var out []*policy.Program
	if len(named) > 0 {
		for _, arg := range named {
			prg, err := loadPolicyFrom(ctx, s, arg)
			if err != nil {
				return nil, err
			}
			out = append(out, prg)
		}
		return out, nil
	}
	latest := map[string]*credo.PolicyVersion{}
	var order []string
	for v, err := range s.PolicyVersions(ctx) {
		if err != nil {
			return nil, err
		}
		if latest[v.Jurisdiction] == nil {
			order = append(order, v.Jurisdiction)
		}
		latest[v.Jurisdiction] = v // by publication time: the last is the latest
	}
	if len(order) > 0 {
		for _, j := range order {
			v := latest[j]
			prg, err := policy.Load(v.ID(), []byte(v.Source))
			if err != nil {
				return nil, fmt.Errorf("published policy %s: %w", v.ID(), err)
			}
			if prg.Scores(kind) {
				out = append(out, prg)
			}
		}
		return out, nil
	}
	prgs, err := shippedPrograms()
	if err != nil {
		return nil, err
	}
	for _, prg := range prgs {
		if prg.Scores(kind) {
			out = append(out, prg)
		}
	}
	return out, nil
}

// loadPolicyFrom compiles a file, a shipped pack, or a published
// jurisdiction@version.
func loadPolicyFrom(ctx context.Context, s credo.Policies, arg string) (*policy.Program, error) {
	path, data, err := readPolicy(arg)
	if err != nil && strings.Contains(arg, "@") {
		j, ver, _ := strings.Cut(arg, "@")
		v, verr := s.PolicyVersion(ctx, j, ver)
		if verr != nil {
			return nil, fmt.Errorf("policy %s: not a file, a shipped pack or a published version: %w", arg, verr)
		}
		path, data, err = v.ID(), []byte(v.Source), nil
	}
	if err != nil {
		return nil, err
	}
	return policy.Load(path, data)
}

// shippedPrograms compiles the shipped packs (once per process).
var shippedPrograms = sync.OnceValues(policies.Programs)

// tidyStanding makes empty lists [] rather than null in JSON.
func tidyStanding(st credo.Standing) credo.Standing {
	if st.Lists == nil {
		st.Lists = []credo.Membership{}
	}
	if st.Contributions == nil {
		st.Contributions = []credo.Contribution{}
	}
	return st
}

// gradeReason says in words why a standing has its grade.
func gradeReason(r credo.GradeReason) string {
	if r.By != "direct" {
		return "band " + r.Band
	}
	s := "direct grade " + r.Rule
	if r.Record != "" {
		s += " by record " + r.Record
	}
	if r.List != "" {
		s += " while on " + r.List
	}
	if !r.Until.IsZero() {
		s += " until " + day(r.Until)
	}
	if r.Banded != "" {
		s += "; the points alone give " + r.Banded
	}
	return s
}

func printHistory(e *env, h []credo.StandingChange) {
	if len(h) == 0 {
		return
	}
	fmt.Fprintln(e.stdout, "  score history:")
	for _, c := range h {
		lists := strings.Join(c.Lists, ",")
		if lists == "" {
			lists = "on no list"
		}
		fmt.Fprintf(e.stdout, "    %s  %g %s  %s  (%s)\n", day(c.At), c.Score, c.Grade, lists, c.PolicyVersion)
	}
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(cst).Format(time.DateOnly)
}

// storedStanding returns ref's stored standing under p when it is current:
// computed under p's version, through the subject's last record (seq
// last), and not changed by time by now.
func storedStanding(ctx context.Context, s *pebble.Store, p *policy.Program, ref credo.SubjectRef, last uint64, now time.Time) (credo.Standing, bool, error) {
	st, err := s.Standing(ctx, ref, p.Jurisdiction)
	if errors.Is(err, credo.ErrNotFound) {
		return credo.Standing{}, false, nil
	}
	if err != nil {
		return credo.Standing{}, false, err
	}
	if st.PolicyVersion != p.VersionID() || (!st.NextChange.IsZero() && !st.NextChange.After(now)) {
		return credo.Standing{}, false, nil
	}
	wm, err := s.Watermark(ctx, p.VersionID())
	if err != nil || wm < last {
		return credo.Standing{}, false, err
	}
	return *st, true, nil
}

func printStandings(e *env, standings []credo.Standing, histories map[string][]credo.StandingChange, stored []string) {
	for i := range standings {
		st := &standings[i]
		how := "computed now"
		if slices.Contains(stored, st.Jurisdiction) {
			how = "stored by credo score, or the server's scoring"
		}
		fmt.Fprintf(e.stdout, "\nstanding under %s as of %s (%s): score %g, grade %s (%s)\n", st.PolicyVersion, day(st.AsOf), how, st.Score, st.Grade, gradeReason(st.GradeReason))
		if len(st.Lists) == 0 {
			fmt.Fprintln(e.stdout, "  on no list")
		}
		for _, m := range st.Lists {
			fmt.Fprintf(e.stdout, "  on %s (%s) since %s, earliest exit %s", m.List, m.Type, day(m.Since), day(m.EarliestExit))
			if !m.Until.IsZero() {
				fmt.Fprintf(e.stdout, ", lapses %s", day(m.Until))
			}
			if m.Record != "" {
				fmt.Fprintf(e.stdout, ", by record %s", m.Record)
			}
			if m.Published {
				fmt.Fprint(e.stdout, ", published")
			}
			fmt.Fprintln(e.stdout)
		}
		printContributions(e, st)
		printHistory(e, histories[st.Jurisdiction])
	}
}

func printContributions(e *env, st *credo.Standing) {
	if len(st.Contributions) == 0 {
		return
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  RECORD\tKIND\tRULE\tPOINTS\tUNTIL\tNOTE")
	for _, c := range st.Contributions {
		pts := fmt.Sprintf("%+g", c.Points)
		if c.RulePoints != c.Points {
			pts += fmt.Sprintf(" (rule %+g)", c.RulePoints)
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\t%s\n", c.Record, c.Kind, c.Rule, pts, day(c.Until), c.Note)
	}
	w.Flush()
}
