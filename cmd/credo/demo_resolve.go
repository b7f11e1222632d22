package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/synth"
)

// resolveQuality is how well resolution did on the synthetic city, whose
// truth the generator wrote down.
type resolveQuality struct {
	*resolveReport
	// Linkable is the records without a valid identifier whose true
	// subject the ledger knows (from other records): those a resolver can
	// link at all.
	Linkable  int     `json:"linkable"`
	Correct   int     `json:"correct_links"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
}

// demoResolve resolves the city's unresolved records and measures the
// links against truth.csv in the exports directory dir.
func demoResolve(ctx context.Context, s *pebble.Store, dir string) (*resolveQuality, error) {
	truth, err := readTruth(filepath.Join(dir, "truth.csv"))
	if err != nil {
		return nil, err
	}
	q := &resolveQuality{}
	if q.resolveReport, err = runResolve(ctx, s, resolveOptions{Link: 0.99, Review: 0.05, By: "resolver"}); err != nil {
		return nil, err
	}
	// The records whose true subject the ledger knew when they were
	// resolved: those a resolver can link at all.
	for _, r := range q.tried {
		if q.known[truth[r.ID]] {
			q.Linkable++
		}
	}
	for _, l := range q.LinkedTo {
		if truth[l.Record.ID] == l.Subject.ID {
			q.Correct++
		}
	}
	if q.Linked > 0 {
		q.Precision = float64(q.Correct) / float64(q.Linked)
	}
	if q.Linkable > 0 {
		q.Recall = float64(q.Correct) / float64(q.Linkable)
	}
	return q, nil
}

func (q *resolveQuality) print(e *env) {
	fmt.Fprintf(e.stdout, "resolution: %d records without a valid id; linked %d, to review %d, left unresolved %d (%s)\n",
		q.Pending, q.Linked, q.Review, q.Unresolved, q.Took.Round(1e6))
	fmt.Fprintf(e.stdout, "  against the city's truth: precision %.4f (%d of %d links right), recall %.4f (of %d records whose subject the ledger knows)\n",
		q.Precision, q.Correct, q.Linked, q.Recall, q.Linkable)
}

// readTruth maps each record id of truth.csv to the identifier of the
// subject it is really about.
func readTruth(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, need := range []string{"source", "source_record_id", "subject_id"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%s: no column %s (want the header %v)", path, need, synth.TruthHeader)
		}
	}
	out := map[string]string{}
	for line := 2; ; line++ {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		out[credo.RecordID(row[col["source"]], row[col["source_record_id"]])] = row[col["subject_id"]]
	}
}
