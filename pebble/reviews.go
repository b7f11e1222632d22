package pebble

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"

	"github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

// The review queue, beside the ledger (working state; the decisions that
// matter are the resolutions it leads to, which are in the chain):
//
//	I seq → review item (JSON), one per record, by the record's sequence number
const tagReview = 'I'

func reviewKey(seq uint64) []byte { return binary.BigEndian.AppendUint64([]byte{tagReview}, seq) }

func reviewSeq(id string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(id, "rv-"), 10, 64)
	if err != nil || !strings.HasPrefix(id, "rv-") {
		return 0, fmt.Errorf("review item %q: %w (ids look like rv-123)", id, credo.ErrNotFound)
	}
	return n, nil
}

func (s *Store) getReview(seq uint64) (*credo.ReviewItem, error) {
	v, closer, err := s.db.Get(reviewKey(seq))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("review item %s: %w", credo.ReviewID(seq), credo.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	var it credo.ReviewItem
	if err := json.Unmarshal(v, &it); err != nil {
		return nil, fmt.Errorf("review item %s: %w", credo.ReviewID(seq), err)
	}
	return &it, nil
}

// PutReviews implements credo.Reviews.
func (s *Store) PutReviews(ctx context.Context, items []*credo.ReviewItem) (int, error) {
	s.reviewMu.Lock()
	defer s.reviewMu.Unlock()
	b := s.db.NewBatch()
	defer b.Close()
	n := 0
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		rec, err := s.Record(ctx, it.Record)
		if err != nil {
			return 0, fmt.Errorf("review item for %s: %w", it.Record, err)
		}
		old, err := s.getReview(rec.Seq)
		switch {
		case errors.Is(err, credo.ErrNotFound):
		case err != nil:
			return 0, err
		case old.Status != credo.ReviewOpen:
			continue
		}
		it.ID = credo.ReviewID(rec.Seq)
		if it.Status == "" {
			it.Status = credo.ReviewOpen
		}
		if it.Created.IsZero() {
			it.Created = s.opts.Now().UTC()
		}
		v, err := json.Marshal(it)
		if err != nil {
			return 0, err
		}
		if err := b.Set(reviewKey(rec.Seq), v, nil); err != nil {
			return 0, err
		}
		n++
	}
	if err := commit(b, pebble.Sync); err != nil {
		return 0, fmt.Errorf("put review items: %w", err)
	}
	return n, nil
}

// ReviewItem implements credo.Reviews.
func (s *Store) ReviewItem(ctx context.Context, id string) (*credo.ReviewItem, error) {
	seq, err := reviewSeq(id)
	if err != nil {
		return nil, err
	}
	return s.getReview(seq)
}

// ReviewItems implements credo.Reviews.
func (s *Store) ReviewItems(ctx context.Context, status credo.ReviewStatus) iter.Seq2[*credo.ReviewItem, error] {
	return func(yield func(*credo.ReviewItem, error) bool) {
		for it, err := range scanJSON[credo.ReviewItem](ctx, s, []byte{tagReview}, []byte{tagReview + 1}) {
			if err == nil && status != "" && it.Status != status {
				continue
			}
			if !yield(it, err) || err != nil {
				return
			}
		}
	}
}

// DecideReview implements credo.Reviews.
func (s *Store) DecideReview(ctx context.Context, id string, status credo.ReviewStatus, chosen credo.SubjectRef, by, why string) (*credo.ReviewItem, error) {
	if status != credo.ReviewAccepted && status != credo.ReviewRejected {
		return nil, fmt.Errorf("review item %s: %w: a decision is accepted or rejected, not %q", id, credo.ErrInvalid, status)
	}
	if by == "" {
		return nil, fmt.Errorf("review item %s: %w: a decision must say who made it", id, credo.ErrInvalid)
	}
	seq, err := reviewSeq(id)
	if err != nil {
		return nil, err
	}
	s.reviewMu.Lock()
	defer s.reviewMu.Unlock()
	it, err := s.getReview(seq)
	if err != nil {
		return nil, err
	}
	if it.Status != credo.ReviewOpen {
		return nil, fmt.Errorf("review item %s was %s by %s on %s: %w", id, it.Status, it.DecidedBy, it.DecidedAt.Format("2006-01-02"), credo.ErrResolution)
	}
	it.Status, it.Chosen, it.DecidedBy, it.Why, it.DecidedAt = status, chosen, by, why, s.opts.Now().UTC()
	v, err := json.Marshal(it)
	if err != nil {
		return nil, err
	}
	if err := guard(func() error { return s.db.Set(reviewKey(seq), v, pebble.Sync) }); err != nil {
		return nil, fmt.Errorf("review item %s: %w", id, err)
	}
	return it, nil
}

var _ credo.Reviews = (*Store)(nil)
