package credo

import (
	"context"
	"iter"
	"strconv"
	"time"
)

// ReviewStatus is where a review item stands.
type ReviewStatus string

const (
	ReviewOpen     ReviewStatus = "open"
	ReviewAccepted ReviewStatus = "accepted" // linked to the chosen candidate
	ReviewRejected ReviewStatus = "rejected" // none of the candidates: the record stays unresolved
)

// ReviewCandidate is a subject a record under review may be about.
type ReviewCandidate struct {
	Subject     SubjectRef `json:"subject"`
	Weight      float64    `json:"weight"`    // match weight, in bits
	Posterior   float64    `json:"posterior"` // probability the record is about this subject
	Explanation string     `json:"explanation,omitempty"`
}

// ReviewItem is a record the resolver could not decide alone: its
// candidates wait for an operator, who accepts one (a link, made as a
// Resolution) or rejects them all. Every decision says who, when and why.
type ReviewItem struct {
	ID         string            `json:"id"`
	Record     string            `json:"record"`
	Candidates []ReviewCandidate `json:"candidates"`
	Status     ReviewStatus      `json:"status"`
	Created    time.Time         `json:"created"`
	Chosen     SubjectRef        `json:"chosen,omitzero"`
	DecidedBy  string            `json:"decided_by,omitempty"`
	DecidedAt  time.Time         `json:"decided_at,omitzero"`
	Why        string            `json:"why,omitempty"`
}

// Reviews is the review queue.
type Reviews interface {
	// PutReviews adds items, one per record: an open item for the same
	// record is replaced, a decided one is kept (the new item is then
	// dropped). It returns how many were added or replaced.
	PutReviews(ctx context.Context, items []*ReviewItem) (int, error)
	// ReviewItem returns one item, or an error wrapping ErrNotFound.
	ReviewItem(ctx context.Context, id string) (*ReviewItem, error)
	// ReviewItems yields the items with status (all when empty), oldest
	// first.
	ReviewItems(ctx context.Context, status ReviewStatus) iter.Seq2[*ReviewItem, error]
	// DecideReview records an operator's decision on an open item.
	DecideReview(ctx context.Context, id string, status ReviewStatus, chosen SubjectRef, by, why string) (*ReviewItem, error)
}

// ReviewID is the id of the review item about the record with sequence
// number seq.
func ReviewID(seq uint64) string { return "rv-" + strconv.FormatUint(seq, 10) }
