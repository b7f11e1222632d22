package credo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
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

// LedgerRecord is r as the ledger keeps it: a record of source
// ResolutionSource under sourceRecordID (which the store chooses, so that
// each resolution of a record or subject has its own), of the kind of r's
// action, about r.Subject, at r.At, with what r says as attributes. Every
// store writes resolutions this way, and ResolutionFromRecord reads them
// back.
func (r *Resolution) LedgerRecord(sourceRecordID string) *Record {
	rec := &Record{
		Subject:        r.Subject,
		Source:         ResolutionSource,
		SourceRecordID: sourceRecordID,
		Polarity:       Neutral,
		OccurredAt:     r.At,
		RecordedAt:     r.At,
		Provenance:     Provenance{Request: "resolve"},
	}
	attrs := Attributes{{Key: "by", Value: String(r.By)}}
	if r.Why != "" {
		attrs = append(attrs, Attribute{Key: "why", Value: String(r.Why)})
	}
	switch r.Action {
	case Link, Unlink:
		rec.Kind = KindLink
		if r.Action == Unlink {
			rec.Kind = KindUnlink
		}
		attrs = append(attrs, Attribute{Key: "record", Value: String(r.Record)})
		if r.Action == Link && r.Weight != 0 {
			attrs = append(attrs, Attribute{Key: "weight", Value: Number(r.Weight)})
		}
		if r.Explanation != "" {
			attrs = append(attrs, Attribute{Key: "explanation", Value: String(r.Explanation)})
		}
	case Merge, Unmerge:
		rec.Kind = KindMerge
		if r.Action == Unmerge {
			rec.Kind = KindUnmerge
		}
		attrs = append(attrs,
			Attribute{Key: "from", Value: String(r.From.ID)},
			Attribute{Key: "from_kind", Value: String(r.From.Kind.String())})
	}
	slices.SortFunc(attrs, func(a, b Attribute) int { return cmp.Compare(a.Key, b.Key) })
	rec.Attributes = attrs
	return rec
}

// ResolutionFromRecord reads a resolution back from its ledger record (an
// error for a record that is not one).
func ResolutionFromRecord(rec *Record) (Resolution, error) {
	r := Resolution{Subject: rec.Subject, At: rec.RecordedAt, LedgerID: rec.ID}
	switch rec.Kind {
	case KindLink:
		r.Action = Link
	case KindUnlink:
		r.Action = Unlink
	case KindMerge:
		r.Action = Merge
	case KindUnmerge:
		r.Action = Unmerge
	default:
		return r, fmt.Errorf("record %s is not a resolution (kind %s)", rec.ID, rec.Kind)
	}
	str := func(k string) string {
		if v, ok := rec.Attributes.Get(k); ok {
			return v.String()
		}
		return ""
	}
	r.Record, r.By, r.Why, r.Explanation = str("record"), str("by"), str("why"), str("explanation")
	if v, ok := rec.Attributes.Get("weight"); ok {
		r.Weight = v.Float()
	}
	if from := str("from"); from != "" {
		k, err := ParseSubjectKind(str("from_kind"))
		if err != nil {
			return r, fmt.Errorf("record %s: %w", rec.ID, err)
		}
		r.From = SubjectRef{Kind: k, ID: from}
	}
	return r, nil
}
