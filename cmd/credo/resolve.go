package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/resolve"
)

// resolveReport is what credo resolve prints.
type resolveReport struct {
	Pending     int              `json:"pending"`
	Held        int              `json:"held_for_operators"` // split or unlinked by an operator: not linked again automatically
	Linked      int              `json:"linked"`
	Review      int              `json:"review"`
	Unresolved  int              `json:"unresolved"`
	Subjects    int              `json:"known_subjects"`
	Identities  int              `json:"known_identities"`
	Pairs       int64            `json:"pairs_compared"`
	Stages      []resolve.Stage  `json:"stages"`
	Took        time.Duration    `json:"took_ns"`
	LinkedTo    []resolvedRecord `json:"-"` // what was linked, for the demo's measure
	ReviewItems []string         `json:"-"`
	// What the run resolved against, for the demo's measure: the records
	// it tried to place and the identifiers of the subjects it knew.
	tried []*credo.Record
	known map[string]bool
}

type resolvedRecord struct {
	Record  *credo.Record
	Subject credo.SubjectRef
}

type resolveOptions struct {
	Link, Review float64 // posterior thresholds (resolve.BatchConfig)
	By           string
}

func newResolveCmd(e *env) *cobra.Command {
	var o resolveOptions
	c := &cobra.Command{
		Use:   "resolve",
		Short: "Tie unresolved records to subjects: link the sure ones, queue the doubtful for review",
		Long: `resolve compares every record that belongs to no subject (sent without a
valid identifier, or split off a subject) with the identities of the known
subjects — name (Han and pinyin), birth date, sex, phone, address, a
mistyped identifier — and, for each, links it to a subject when the
evidence is strong (each link is a record of the ledger, with its match
weight and breakdown), queues it for an operator's review when it is not
(credo review), or leaves it unresolved. The standings of the subjects
linked to are brought up to date.`,
		Args: cobra.NoArgs,
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			rep, err := runResolve(ctx, s, o)
			if err != nil {
				return err
			}
			if e.json {
				return writeJSON(e.stdout, rep)
			}
			printResolveReport(e, rep)
			if rep.Linked > 0 {
				return e.scoreAfterIngest(ctx, s)
			}
			return nil
		}),
	}
	c.Flags().Float64Var(&o.Link, "link", 0.99, "posterior probability from which a record is linked")
	c.Flags().Float64Var(&o.Review, "review", 0.05, "posterior probability from which a record goes to review")
	c.Flags().StringVar(&o.By, "by", "resolver", "who the links are recorded as made by")
	return addJSON(c, e)
}

func printResolveReport(e *env, rep *resolveReport) {
	fmt.Fprintf(e.stdout, "records without a subject: %d (against %d known subjects, %d identities; %d pairs compared)\n",
		rep.Pending, rep.Subjects, rep.Identities, rep.Pairs)
	fmt.Fprintf(e.stdout, "linked %d, sent to review %d, left unresolved %d, in %s\n",
		rep.Linked, rep.Review, rep.Unresolved, rep.Took.Round(time.Millisecond))
	if rep.Held > 0 {
		fmt.Fprintf(e.stdout, "%d records split off or unlinked by an operator left as they are (link them by hand: credo subject link)\n", rep.Held)
	}
	if rep.Review > 0 {
		fmt.Fprintln(e.stdout, "review them: credo review list")
	}
}

// subjectKey is how a subject is named to the resolve package.
func subjectKey(ref credo.SubjectRef) string { return ref.Kind.String() + ":" + ref.ID }

func parseSubjectKey(k string) (credo.SubjectRef, error) {
	kind, id, _ := strings.Cut(k, ":")
	sk, err := credo.ParseSubjectKind(kind)
	return credo.SubjectRef{Kind: sk, ID: id}, err
}

// runResolve resolves the store's pending records.
func runResolve(ctx context.Context, s *pebble.Store, o resolveOptions) (*resolveReport, error) {
	start := time.Now()
	rep := &resolveReport{}
	var pending []*credo.Record
	for r, err := range s.Pending(ctx) {
		if err != nil {
			return nil, err
		}
		if r.Identity.IsZero() {
			continue
		}
		// A record an operator split off or unlinked is theirs to place:
		// the resolver would only tie it back where it was.
		if _, placed, err := s.Assignment(ctx, r); err != nil {
			return nil, err
		} else if placed {
			rep.Held++
			continue
		}
		pending = append(pending, r)
	}
	rep.Pending, rep.tried = len(pending), pending
	if len(pending) == 0 {
		rep.Took = time.Since(start)
		return rep, nil
	}
	// The known subjects: each identity a subject's records were sent
	// with, once, with the subject's own identifier (the record's id field
	// may be empty when the agency put the id only in the subject column).
	seen := map[resolve.Known]bool{}
	var known []resolve.Known
	rep.known = map[string]bool{}
	for r, err := range s.Scan(ctx, 1) {
		if err != nil {
			return nil, err
		}
		if !r.Subject.Resolved() || r.Source == credo.ResolutionSource || r.Identity.IsZero() {
			continue
		}
		id := r.Identity
		id.IDNumber = r.Subject.ID
		k := resolve.Known{Subject: subjectKey(r.Subject), Identity: id}
		if !seen[k] {
			seen[k] = true
			known = append(known, k)
			rep.known[r.Subject.ID] = true
		}
	}
	rep.Subjects, rep.Identities = len(rep.known), len(known)
	ids := make([]credo.Identity, len(pending))
	for i, r := range pending {
		ids[i] = r.Identity
	}
	res, err := resolve.ResolveBatch(ctx, known, ids, resolve.BatchConfig{Link: o.Link, Review: o.Review})
	if err != nil {
		return nil, fmt.Errorf("resolve: %w", err)
	}
	rep.Pairs, rep.Stages = res.Pairs, res.Stages
	var links []credo.Resolution
	var items []*credo.ReviewItem
	for i, d := range res.Decisions {
		switch d.Status {
		case resolve.Linked:
			ref, err := parseSubjectKey(d.Subject)
			if err != nil {
				return nil, err
			}
			c := d.Candidates[0]
			links = append(links, credo.Resolution{Action: credo.Link, Record: pending[i].ID, Subject: ref,
				Weight: c.Weight, Explanation: explain(c), By: o.By,
				Why: fmt.Sprintf("posterior %.4f ≥ %.4f", c.Posterior, o.Link)})
			rep.LinkedTo = append(rep.LinkedTo, resolvedRecord{pending[i], ref})
		case resolve.Review:
			it := &credo.ReviewItem{Record: pending[i].ID}
			for _, c := range d.Candidates {
				ref, err := parseSubjectKey(c.Subject)
				if err != nil {
					return nil, err
				}
				it.Candidates = append(it.Candidates, credo.ReviewCandidate{Subject: ref, Weight: c.Weight, Posterior: c.Posterior, Explanation: explain(c)})
			}
			items = append(items, it)
		default:
			rep.Unresolved++
		}
	}
	// Links in chunks: each chunk one atomic batch of the ledger.
	for lo := 0; lo < len(links); lo += 1000 {
		if _, err := s.Resolve(ctx, links[lo:min(lo+1000, len(links))]); err != nil {
			return nil, err
		}
	}
	rep.Linked = len(links)
	if _, err := s.PutReviews(ctx, items); err != nil {
		return nil, err
	}
	rep.Review = len(items)
	for _, it := range items {
		rep.ReviewItems = append(rep.ReviewItems, it.ID)
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// explain writes a candidate's match weight field by field.
func explain(c resolve.Candidate) string {
	var b strings.Builder
	fmt.Fprintf(&b, "weight %.2f, posterior %.4f:", c.Weight, c.Posterior)
	for _, f := range c.Explain.Fields {
		fmt.Fprintf(&b, " %s %s %+.2f", f.Field, f.Level, f.Weight+f.TF)
		b.WriteByte(';')
	}
	return strings.TrimSuffix(b.String(), ";")
}
