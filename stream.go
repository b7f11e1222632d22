package credo

import (
	"context"
	"iter"
	"time"
)

// StreamReport counts what AppendStream did.
type StreamReport struct {
	Read       int64         `json:"read"`
	Appended   int64         `json:"appended"`
	Duplicates int64         `json:"duplicates"`
	Conflicts  int64         `json:"conflicts"`
	Rejected   int64         `json:"rejected"`
	Elapsed    time.Duration `json:"elapsed_ns"`
	// Problems holds the results of conflicting and rejected records, up to
	// MaxProblems, with the record they concern.
	Problems []StreamProblem `json:"problems,omitempty"`
}

// StreamProblem is one record the ledger refused.
type StreamProblem struct {
	Record *Record
	Result AppendResult
}

// StreamOptions tune AppendStream.
type StreamOptions struct {
	BatchSize   int                     // records per Append; 1000 when 0
	MaxProblems int                     // problems kept in the report; 100 when 0
	Progress    func(done StreamReport) // called after every batch, when set
}

// AppendStream appends every record recs yields, in batches, producing the
// next batch while the ledger writes the last one, so that a generator or
// parser on one core overlaps the ledger on the other. recs must yield a
// record the caller no longer touches. It stops at the first error of the
// ledger or of ctx; records already acknowledged stay appended, and running
// it again over the same records appends only what is missing.
func AppendStream(ctx context.Context, l Ledger, recs iter.Seq[*Record], o StreamOptions) (StreamReport, error) {
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.MaxProblems <= 0 {
		o.MaxProblems = 100
	}
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []*Record, 2)
	var rep StreamReport
	done := make(chan error, 1)
	go func() {
		var err error
		for b := range batches {
			if err != nil {
				continue // drain
			}
			var res []AppendResult
			res, err = l.Append(ctx, b)
			if err != nil {
				cancel()
				continue
			}
			for i, r := range res {
				switch r.Status {
				case Appended:
					rep.Appended++
				case Duplicate:
					rep.Duplicates++
				case Conflict:
					rep.Conflicts++
				case Rejected:
					rep.Rejected++
				}
				if (r.Status == Conflict || r.Status == Rejected) && len(rep.Problems) < o.MaxProblems {
					rep.Problems = append(rep.Problems, StreamProblem{b[i], r})
				}
			}
			rep.Read += int64(len(b))
			if o.Progress != nil {
				snap := rep
				snap.Elapsed = time.Since(start)
				o.Progress(snap)
			}
		}
		done <- err
	}()
	batch := make([]*Record, 0, o.BatchSize)
	for r := range recs {
		batch = append(batch, r)
		if len(batch) == o.BatchSize {
			select {
			case batches <- batch:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
			batch = make([]*Record, 0, o.BatchSize)
		}
	}
	if len(batch) > 0 && ctx.Err() == nil {
		batches <- batch
	}
	close(batches)
	err := <-done
	rep.Elapsed = time.Since(start)
	if err == nil {
		err = ctx.Err()
	}
	return rep, err
}
