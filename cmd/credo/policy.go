package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/policies"
	"github.com/credo-org/credo/policy"
)

func newPolicyCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "policy",
		Short: "Check, test, publish and compare policies",
		Long: `A policy is a YAML document with CEL expressions that says what a
jurisdiction makes of a subject's records (docs/policy.md). FILE is a path,
or the name of a shipped pack: ` + fmt.Sprint(policies.Names()) + `.`,
	}
	c.AddCommand(newPolicyCheckCmd(e), newPolicyTestCmd(e))
	addPolicyStoreCmds(c, e)
	return c
}

// readPolicy reads a policy file, or a shipped pack when arg names one and
// no such file exists.
func readPolicy(arg string) (path string, data []byte, err error) {
	data, err = os.ReadFile(arg)
	if err == nil {
		return arg, data, nil
	}
	if errors.Is(err, os.ErrNotExist) && slices.Contains(policies.Names(), arg) {
		return policies.Read(arg)
	}
	return arg, nil, fmt.Errorf("policy %s: %w", arg, err)
}

// loadPolicy reads, parses, checks and compiles a policy file or pack.
func loadPolicy(arg string) (*policy.Program, []byte, error) {
	path, data, err := readPolicy(arg)
	if err != nil {
		return nil, nil, err
	}
	prg, err := policy.Load(path, data)
	return prg, data, err
}

// jsonDiagnostic is a policy problem as --json writes it.
type jsonDiagnostic struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// diagnostics turns a load error into diagnostics: a *policy.Error's own,
// or one at line 0 for an error without a position (an unreadable file).
func diagnostics(path string, err error) []jsonDiagnostic {
	if err == nil {
		return []jsonDiagnostic{}
	}
	var pe *policy.Error
	if errors.As(err, &pe) {
		out := make([]jsonDiagnostic, 0, len(pe.Diagnostics))
		for _, d := range pe.Diagnostics {
			out = append(out, jsonDiagnostic{d.File, d.Line, d.Column, d.Msg})
		}
		return out
	}
	return []jsonDiagnostic{{File: path, Message: err.Error()}}
}

type checkReport struct {
	File         string           `json:"file"`
	Jurisdiction string           `json:"jurisdiction,omitempty"`
	Version      string           `json:"version,omitempty"`
	OK           bool             `json:"ok"`
	Diagnostics  []jsonDiagnostic `json:"diagnostics"`
}

func newPolicyCheckCmd(e *env) *cobra.Command {
	return addJSON(&cobra.Command{
		Use:   "check FILE...",
		Short: "Check policies: every problem with its file:line:col; exit 1 on any",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var reps []checkReport
			bad := 0
			for _, arg := range args {
				prg, _, err := loadPolicy(arg)
				rep := checkReport{File: arg, OK: err == nil, Diagnostics: diagnostics(arg, err)}
				if prg != nil {
					rep.Jurisdiction, rep.Version = prg.Jurisdiction, prg.Version
				}
				if err != nil {
					bad++
				}
				reps = append(reps, rep)
			}
			if e.json {
				if err := writeJSON(e.stdout, reps); err != nil {
					return err
				}
			} else {
				for _, r := range reps {
					if r.OK {
						fmt.Fprintf(e.stdout, "ok %s (%s@%s)\n", r.File, r.Jurisdiction, r.Version)
						continue
					}
					for _, d := range r.Diagnostics {
						fmt.Fprintf(e.stdout, "%s:%d:%d: %s\n", d.File, d.Line, d.Column, d.Message)
					}
				}
			}
			if bad > 0 {
				msg := fmt.Sprintf("%d of %d policies failed check", bad, len(args))
				if e.json {
					msg = ""
				}
				return exitError{code: 1, msg: msg}
			}
			return nil
		},
	}, e)
}

type testCaseReport struct {
	Name     string   `json:"name"`
	Line     int      `json:"line"`
	Pass     bool     `json:"pass"`
	Failures []string `json:"failures,omitempty"`
}

type testReport struct {
	File         string           `json:"file"`
	Jurisdiction string           `json:"jurisdiction,omitempty"`
	Version      string           `json:"version,omitempty"`
	Diagnostics  []jsonDiagnostic `json:"diagnostics,omitempty"` // when the policy fails check, no test runs
	Tests        []testCaseReport `json:"tests"`
	Passed       int              `json:"passed"`
	Failed       int              `json:"failed"`
}

func newPolicyTestCmd(e *env) *cobra.Command {
	return addJSON(&cobra.Command{
		Use:   "test FILE...",
		Short: "Run policies' table tests: pass or fail per case; exit 1 on a failure",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var reps []testReport
			failed, broken := 0, 0
			for _, arg := range args {
				rep := testReport{File: arg, Tests: []testCaseReport{}}
				prg, _, err := loadPolicy(arg)
				if err != nil {
					rep.Diagnostics = diagnostics(arg, err)
					broken++
					reps = append(reps, rep)
					continue
				}
				rep.Jurisdiction, rep.Version = prg.Jurisdiction, prg.Version
				for _, r := range policy.RunTests(prg) {
					rep.Tests = append(rep.Tests, testCaseReport{Name: r.Name, Line: r.Pos.Line, Pass: r.Pass, Failures: r.Failures})
					if r.Pass {
						rep.Passed++
					} else {
						rep.Failed++
					}
				}
				failed += rep.Failed
				reps = append(reps, rep)
			}
			if e.json {
				if err := writeJSON(e.stdout, reps); err != nil {
					return err
				}
			} else {
				for _, r := range reps {
					if r.Diagnostics != nil {
						for _, d := range r.Diagnostics {
							fmt.Fprintf(e.stdout, "%s:%d:%d: %s\n", d.File, d.Line, d.Column, d.Message)
						}
						fmt.Fprintf(e.stdout, "FAIL %s: fails check, no test ran\n", r.File)
						continue
					}
					for _, t := range r.Tests {
						if t.Pass {
							fmt.Fprintf(e.stdout, "PASS %s: %s\n", r.File, t.Name)
							continue
						}
						fmt.Fprintf(e.stdout, "FAIL %s:%d: %s\n", r.File, t.Line, t.Name)
						for _, f := range t.Failures {
							fmt.Fprintf(e.stdout, "\t%s\n", f)
						}
					}
					status := "ok"
					if r.Failed > 0 {
						status = "FAIL"
					}
					fmt.Fprintf(e.stdout, "%s %s (%s@%s): %d passed, %d failed\n", status, r.File, r.Jurisdiction, r.Version, r.Passed, r.Failed)
				}
			}
			if failed+broken > 0 {
				msg := fmt.Sprintf("%d tests failed; %d policies failed check", failed, broken)
				if e.json {
					msg = ""
				}
				return exitError{code: 1, msg: msg}
			}
			return nil
		},
	}, e)
}

func addPolicyStoreCmds(c *cobra.Command, e *env) {
	c.AddCommand(newPolicyPublishCmd(e), newPolicyListCmd(e), newPolicyDiffCmd(e), newPolicyImpactCmd(e))
}

func newPolicyPublishCmd(e *env) *cobra.Command {
	return addJSON(&cobra.Command{
		Use:   "publish FILE",
		Short: "Publish a policy version: it must pass check, and becomes immutable",
		Long: `publish checks FILE and stores it as its jurisdiction's version. A published
version is immutable: publishing other content under the same jurisdiction
and version is refused (publish it under a new version); publishing the same
content again does nothing. Publishing a new version then recomputes every
subject's standing under it from the ledger and stores them (credo subject
show, credo subject list); publishing the same content again only catches
them up (credo score).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			prg, data, err := loadPolicy(args[0])
			if err != nil {
				return fmt.Errorf("%w\nnothing published", err)
			}
			ctx := cmd.Context()
			s, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			v := &credo.PolicyVersion{Jurisdiction: prg.Jurisdiction, Version: prg.Version, Name: prg.Policy().Name, Source: string(data)}
			created, err := s.PublishPolicy(ctx, v)
			if err != nil {
				return err
			}
			results, err := e.scoreStore(ctx, s, []*policy.Program{prg}, time.Now(), created)
			if err != nil {
				return fmt.Errorf("published %s, but scoring under it failed (run credo score --policy %s): %w", v.ID(), v.Jurisdiction, err)
			}
			if e.json {
				return writeJSON(e.stdout, map[string]any{"jurisdiction": v.Jurisdiction, "version": v.Version,
					"digest": v.Digest, "published_at": v.PublishedAt, "created": created, "score": results[0]})
			}
			if created {
				fmt.Fprintf(e.stdout, "published %s (sha256 %s)\n", v.ID(), v.Digest)
			} else {
				fmt.Fprintf(e.stdout, "%s was already published with this content on %s\n", v.ID(), v.PublishedAt.Format(time.RFC3339))
			}
			printScoreResults(e, results)
			return nil
		},
	}, e)
}

func newPolicyListCmd(e *env) *cobra.Command {
	return addJSON(&cobra.Command{
		Use:   "list",
		Short: "List the published policy versions",
		Args:  cobra.NoArgs,
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			type row struct {
				Jurisdiction string    `json:"jurisdiction"`
				Version      string    `json:"version"`
				Name         string    `json:"name,omitempty"`
				PublishedAt  time.Time `json:"published_at"`
				Digest       string    `json:"digest"`
			}
			rows := []row{}
			for v, err := range s.PolicyVersions(ctx) {
				if err != nil {
					return err
				}
				rows = append(rows, row{v.Jurisdiction, v.Version, v.Name, v.PublishedAt, v.Digest})
			}
			if e.json {
				return writeJSON(e.stdout, rows)
			}
			if len(rows) == 0 {
				fmt.Fprintln(e.stdout, "no policy published (credo policy publish FILE)")
				return nil
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "JURISDICTION\tVERSION\tPUBLISHED\tDIGEST\tNAME")
			for _, r := range rows {
				fmt.Fprintf(w, "%s\t%s\t%s\t%.16s\t%s\n", r.Jurisdiction, r.Version, r.PublishedAt.Format(time.RFC3339), r.Digest, r.Name)
			}
			return w.Flush()
		}),
	}, e)
}

// policySource finds a policy for diff and impact: a file, a shipped pack,
// or a published version "jurisdiction@version" (opening the store only
// then).
func (e *env) policySource(ctx context.Context, arg string) (path string, data []byte, err error) {
	path, data, err = readPolicy(arg)
	if err == nil || !strings.Contains(arg, "@") {
		return path, data, err
	}
	j, ver, _ := strings.Cut(arg, "@")
	s, err := e.openStore(ctx)
	if err != nil {
		return arg, nil, err
	}
	defer s.Close()
	v, err := s.PolicyVersion(ctx, j, ver)
	if err != nil {
		return arg, nil, err
	}
	return arg, []byte(v.Source), nil
}

// policyChange is one difference between two policies.
type policyChange struct {
	Section string   `json:"section"` // rules, grades, direct_grades, lists, measures, tests, or policy (top-level settings)
	Name    string   `json:"name"`
	Change  string   `json:"change"`           // added, removed, changed
	Fields  []string `json:"fields,omitempty"` // for changed: which of its keys differ
}

// diffSections are the named items a diff compares, with the key naming each.
var diffSections = []struct{ section, key string }{
	{"grades", "grade"}, {"direct_grades", "name"}, {"rules", "name"},
	{"lists", "name"}, {"measures", "action"}, {"tests", "name"},
}

// diffPolicies compares two policy documents item by item.
func diffPolicies(a, b map[string]any) []policyChange {
	var out []policyChange
	// top-level settings
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	named := map[string]bool{}
	for _, s := range diffSections {
		named[s.section] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if named[k] || k == "description" {
			continue
		}
		av, aok := a[k]
		bv, bok := b[k]
		switch {
		case !aok:
			out = append(out, policyChange{"policy", k, "added", nil})
		case !bok:
			out = append(out, policyChange{"policy", k, "removed", nil})
		case !reflect.DeepEqual(av, bv):
			out = append(out, policyChange{"policy", k, "changed", changedFields(av, bv)})
		}
	}
	for _, s := range diffSections {
		am, aorder := itemsByKey(a[s.section], s.key)
		bm, border := itemsByKey(b[s.section], s.key)
		for _, n := range aorder {
			if _, ok := bm[n]; !ok {
				out = append(out, policyChange{s.section, n, "removed", nil})
			} else if !reflect.DeepEqual(am[n], bm[n]) {
				out = append(out, policyChange{s.section, n, "changed", changedFields(am[n], bm[n])})
			}
		}
		for _, n := range border {
			if _, ok := am[n]; !ok {
				out = append(out, policyChange{s.section, n, "added", nil})
			}
		}
	}
	return out
}

func itemsByKey(v any, key string) (map[string]any, []string) {
	m := map[string]any{}
	var order []string
	items, _ := v.([]any)
	for i, it := range items {
		name := fmt.Sprintf("#%d", i+1)
		if mm, ok := it.(map[string]any); ok && mm[key] != nil {
			name = fmt.Sprint(mm[key])
		}
		if _, dup := m[name]; !dup {
			order = append(order, name)
		}
		m[name] = it
	}
	return m, order
}

// changedFields names the keys of two mappings that differ.
func changedFields(a, b any) []string {
	am, ok1 := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if !ok1 || !ok2 {
		return nil
	}
	var out []string
	for k := range am {
		if !reflect.DeepEqual(am[k], bm[k]) {
			out = append(out, k)
		}
	}
	for k := range bm {
		if _, ok := am[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func newPolicyDiffCmd(e *env) *cobra.Command {
	return addJSON(&cobra.Command{
		Use:   "diff A B",
		Short: "What changed from policy A to B: rules, grades, lists, measures added, removed, changed",
		Long: `diff compares two policies item by item (rules, direct grades and lists by
name, grade bands by grade, measures by action, tests by name, and the
top-level settings). A and B are files, shipped packs, or published versions
written jurisdiction@version.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var docs [2]map[string]any
			for i, arg := range args {
				path, data, err := e.policySource(cmd.Context(), arg)
				if err != nil {
					return err
				}
				if _, err := policy.Parse(path, data); err != nil {
					return err
				}
				if err := yaml.Unmarshal(data, &docs[i]); err != nil {
					return fmt.Errorf("policy %s: %w", path, err)
				}
			}
			changes := diffPolicies(docs[0], docs[1])
			if changes == nil {
				changes = []policyChange{}
			}
			if e.json {
				return writeJSON(e.stdout, map[string]any{"from": args[0], "to": args[1], "changes": changes})
			}
			if len(changes) == 0 {
				fmt.Fprintf(e.stdout, "%s and %s do not differ\n", args[0], args[1])
				return nil
			}
			sign := map[string]string{"added": "+", "removed": "-", "changed": "~"}
			for _, c := range changes {
				fmt.Fprintf(e.stdout, "%s %s %s %s", sign[c.Change], c.Section, c.Name, c.Change)
				if len(c.Fields) > 0 {
					fmt.Fprintf(e.stdout, " (%s)", strings.Join(c.Fields, ", "))
				}
				fmt.Fprintln(e.stdout)
			}
			return nil
		},
	}, e)
}

// gradeDistribution is what one policy makes of the city: subjects per
// grade and list sizes.
type gradeDistribution struct {
	Jurisdiction  string           `json:"jurisdiction"`
	PolicyVersion string           `json:"policy_version"`
	Subjects      int64            `json:"subjects"`
	Grades        map[string]int64 `json:"grades"`
	Lists         map[string]int64 `json:"lists"`
	order         []string
}

// printDistributions prints each policy's grades, best first, and its list sizes.
func printDistributions(e *env, dists []*gradeDistribution, took time.Duration) {
	var subjects int64
	for _, d := range dists {
		subjects += d.Subjects
	}
	fmt.Fprintf(e.stdout, "\nstandings today under the shipped packs (%d standings in %s):\n", subjects, took.Round(time.Millisecond))
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, d := range dists {
		var grades []string
		for _, g := range d.order {
			grades = append(grades, fmt.Sprintf("%s %d (%.1f%%)", g, d.Grades[g], 100*float64(d.Grades[g])/float64(max(d.Subjects, 1))))
		}
		fmt.Fprintf(w, "%s\t%d subjects\t%s\n", d.PolicyVersion, d.Subjects, strings.Join(grades, ", "))
		if len(d.Lists) > 0 {
			var lists []string
			for _, l := range slices.Sorted(maps.Keys(d.Lists)) {
				lists = append(lists, fmt.Sprintf("%s %d", l, d.Lists[l]))
			}
			fmt.Fprintf(w, "\tlists\t%s\n", strings.Join(lists, ", "))
		}
	}
	w.Flush()
}

// cityRecords groups the ledger's records about resolved subjects by subject.
func cityRecords(ctx context.Context, l credo.Ledger) (map[credo.SubjectRef][]*credo.Record, []credo.SubjectRef, error) {
	bySubject := map[credo.SubjectRef][]*credo.Record{}
	for r, err := range l.Scan(ctx, 0) {
		if err != nil {
			return nil, nil, err
		}
		if r.Subject.Resolved() {
			bySubject[r.Subject] = append(bySubject[r.Subject], r)
		}
	}
	subjects := slices.SortedFunc(maps.Keys(bySubject), func(a, b credo.SubjectRef) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), strings.Compare(a.ID, b.ID))
	})
	return bySubject, subjects, nil
}

// impactChange is one subject whose standing a new version changes.
type impactChange struct {
	Subject     credo.SubjectRef `json:"subject"`
	ScoreBefore float64          `json:"score_before"`
	ScoreAfter  float64          `json:"score_after"`
	GradeBefore string           `json:"grade_before"`
	GradeAfter  string           `json:"grade_after"`
	ListsBefore []string         `json:"lists_before"`
	ListsAfter  []string         `json:"lists_after"`
}

func listNames(st *credo.Standing) []string {
	out := []string{}
	for _, m := range st.Lists {
		out = append(out, m.List)
	}
	slices.Sort(out)
	return out
}

func newPolicyImpactCmd(e *env) *cobra.Command {
	var examples int
	c := &cobra.Command{
		Use:   "impact FILE",
		Short: "Before publishing: how many subjects a policy would move in grade and list membership",
		Long: `impact scores every subject in the ledger today under FILE and under the
latest published version of its jurisdiction, and reports how many change
score, grade and list membership, with examples.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			next, _, err := loadPolicy(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			s, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			var cur *credo.PolicyVersion
			for v, err := range s.PolicyVersions(ctx) {
				if err != nil {
					return err
				}
				if v.Jurisdiction == next.Jurisdiction {
					cur = v
				}
			}
			if cur == nil {
				return fmt.Errorf("impact: no version of %s is published to compare with (credo policy publish)", next.Jurisdiction)
			}
			prev, err := policy.Load(cur.ID(), []byte(cur.Source))
			if err != nil {
				return err
			}
			bySubject, subjects, err := cityRecords(ctx, s)
			if err != nil {
				return err
			}
			asOf := time.Now()
			var scored, scoreChanged, gradeChanged, listChanged int
			var ex []impactChange
			for _, ref := range subjects {
				if !next.Scores(ref.Kind) && !prev.Scores(ref.Kind) {
					continue
				}
				scored++
				a := prev.Standing(ref, bySubject[ref], asOf)
				b := next.Standing(ref, bySubject[ref], asOf)
				la, lb := listNames(&a), listNames(&b)
				ch := false
				if a.Score != b.Score {
					scoreChanged++
					ch = true
				}
				if a.Grade != b.Grade {
					gradeChanged++
					ch = true
				}
				if !slices.Equal(la, lb) {
					listChanged++
					ch = true
				}
				if ch && len(ex) < examples && (a.Grade != b.Grade || !slices.Equal(la, lb) || len(ex) < examples/2) {
					ex = append(ex, impactChange{ref, a.Score, b.Score, a.Grade, b.Grade, la, lb})
				}
			}
			if ex == nil {
				ex = []impactChange{}
			}
			if e.json {
				return writeJSON(e.stdout, map[string]any{"from": cur.ID(), "to": next.VersionID(), "subjects": scored,
					"score_changed": scoreChanged, "grade_changed": gradeChanged, "lists_changed": listChanged, "examples": ex})
			}
			fmt.Fprintf(e.stdout, "%s → %s over %d subjects: %d change score, %d change grade, %d change list membership\n",
				cur.ID(), next.VersionID(), scored, scoreChanged, gradeChanged, listChanged)
			for _, x := range ex {
				fmt.Fprintf(e.stdout, "  %s: %g %s %v → %g %s %v\n", x.Subject, x.ScoreBefore, x.GradeBefore, x.ListsBefore, x.ScoreAfter, x.GradeAfter, x.ListsAfter)
			}
			return nil
		},
	}
	c.Flags().IntVar(&examples, "examples", 10, "how many changed subjects to show")
	return addJSON(c, e)
}
