package credo

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"
)

// ResolutionSource is the source of the records credo itself writes into
// the ledger when it ties a record to a subject, undoes that, or merges two
// subjects. No agency may send records under it.
const ResolutionSource = "credo"

// The kinds of resolution records.
const (
	KindLink    = "credo.link"    // a record tied to a subject
	KindUnlink  = "credo.unlink"  // that undone, or a record split off its subject
	KindMerge   = "credo.merge"   // one subject declared the same as another
	KindUnmerge = "credo.unmerge" // that undone
)

// ResolutionAction is what a Resolution does.
type ResolutionAction string

const (
	Link    ResolutionAction = "link"
	Unlink  ResolutionAction = "unlink"
	Merge   ResolutionAction = "merge"
	Unmerge ResolutionAction = "unmerge"
)

// A Resolution is a decision about which subject records belong to: the
// resolver's or an operator's. Each is kept in the ledger as a record of
// source ResolutionSource — chained and verifiable like every other — and
// is undone only by another that reverses it, so every link can be
// explained and traced to who made it, when and why.
type Resolution struct {
	Action ResolutionAction `json:"action"`
	// Record is the record linked or unlinked (link, unlink).
	Record string `json:"record,omitempty"`
	// Subject is the subject a record is linked to or unlinked from, or
	// that another is merged into.
	Subject SubjectRef `json:"subject"`
	// From is the subject merged into Subject (merge, unmerge).
	From SubjectRef `json:"from,omitzero"`
	// Weight and Explanation say why a link was made: the match weight and
	// its breakdown by field (for the resolver's links).
	Weight      float64 `json:"weight,omitempty"`
	Explanation string  `json:"explanation,omitempty"`
	By          string  `json:"by"`  // the operator, or "resolver"
	Why         string  `json:"why"` // a reason in words
	// Filled in by the store.
	At       time.Time `json:"at"`
	LedgerID string    `json:"ledger_id,omitempty"` // the resolution record's id
}

// Validate checks a Resolution before it is applied.
func (r *Resolution) Validate() error {
	switch r.Action {
	case Link, Unlink:
		if r.Record == "" {
			return fmt.Errorf("%w: %s needs the record", ErrInvalid, r.Action)
		}
	case Merge, Unmerge:
		if !r.From.Resolved() {
			return fmt.Errorf("%w: %s needs the subject merged (from)", ErrInvalid, r.Action)
		}
		if r.From == r.Subject {
			return fmt.Errorf("%w: a subject cannot be merged into itself", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: unknown resolution action %q", ErrInvalid, r.Action)
	}
	if !r.Subject.Resolved() {
		return fmt.Errorf("%w: %s needs a subject", ErrInvalid, r.Action)
	}
	if r.By == "" {
		return fmt.Errorf("%w: a resolution must say who made it", ErrInvalid)
	}
	return nil
}

// ErrResolution is wrapped by the errors of resolutions that do not apply
// to the ledger as it is: linking a record that is already linked,
// unlinking one that is not, merging a subject already merged.
var ErrResolution = errors.New("resolution does not apply")

// Resolutions records and answers which subject each record belongs to,
// beyond the identifier the agency sent. A Store's SubjectRecords honours
// them: a subject's file holds the records linked to it and those of the
// subjects merged into it, and not the records split off it.
type Resolutions interface {
	// Resolve applies resolutions in order, atomically: all or none.
	Resolve(ctx context.Context, rs []Resolution) ([]Resolution, error)
	// Pending yields the records that belong to no subject: unresolved
	// records not linked, and records split off their subject.
	Pending(ctx context.Context) iter.Seq2[*Record, error]
	// Assignment says which subject a record belongs to now (after links,
	// splits and merges), and whether a resolution has placed the record
	// itself (linked, split off, or rejoined to its own subject).
	Assignment(ctx context.Context, rec *Record) (SubjectRef, bool, error)
	// ResolutionHistory yields the resolutions about a record (by its id)
	// or a subject (by its identifier), oldest first.
	ResolutionHistory(ctx context.Context, recordOrSubject string) iter.Seq2[Resolution, error]
	// Assignments yields every record whose subject differs from the one
	// it carries (by sequence number), and every merge (from → into): what
	// a full scan of the ledger applies to know each record's subject.
	Assignments(ctx context.Context) (map[uint64]SubjectRef, map[SubjectRef]SubjectRef, error)
}
