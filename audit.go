package credo

import (
	"context"
	"iter"
	"time"
)

// Inquiry is one decision on the record: who asked what about whom, and
// what credo answered. Every decision is one, and the subject sees them
// all.
type Inquiry struct {
	Time           time.Time  `json:"time"`
	RequestID      string     `json:"request_id"`
	Consumer       string     `json:"consumer"`
	Subject        SubjectRef `json:"subject"`
	Action         string     `json:"action"`
	Purpose        string     `json:"purpose,omitempty"`
	Decision       bool       `json:"decision"`
	Known          bool       `json:"subject_known"`
	Reasons        []string   `json:"reason_codes"`
	PolicyVersions []string   `json:"policy_versions"`
	NoticeID       string     `json:"notice_id,omitempty"` // the adverse-action notice of a denial
}

// AdverseNotice tells a subject that a decision went against it: which
// measure, the standing and records behind it, and how to object.
type AdverseNotice struct {
	ID        string          `json:"id"`
	Time      time.Time       `json:"time"`
	RequestID string          `json:"request_id"`
	Consumer  string          `json:"consumer"`
	Subject   SubjectRef      `json:"subject"`
	Action    string          `json:"action"`
	Measures  []NoticeMeasure `json:"measures"`
	Object    string          `json:"how_to_object"`
}

// NoticeMeasure is one jurisdiction's measure that denied, and why.
type NoticeMeasure struct {
	Jurisdiction  string       `json:"jurisdiction"`
	PolicyVersion string       `json:"policy_version"`
	Rule          string       `json:"rule"`           // "rules[0]", "purpose", "default"
	When          string       `json:"when,omitempty"` // the rule's condition as published
	Reason        string       `json:"reason"`
	Grade         string       `json:"grade,omitempty"`
	GradeReason   *GradeReason `json:"grade_reason,omitempty"`
	Lists         []Membership `json:"lists,omitempty"`
	Records       []string     `json:"records,omitempty"` // the records behind the grade and lists
}

// Audit is the append-only trail of decisions and the adverse-action
// notices they made.
type Audit interface {
	// AppendAudit writes a batch of inquiries and notices durably, in one
	// write. The notices are those the inquiries name, in their order,
	// each of its inquiry's subject; anything else is ErrInvalid. Nothing
	// is ever overwritten or deleted.
	AppendAudit(ctx context.Context, inqs []*Inquiry, notices []*AdverseNotice) error
	// SubjectInquiries yields a subject's inquiries, oldest first.
	SubjectInquiries(ctx context.Context, s SubjectRef) iter.Seq2[*Inquiry, error]
	// Notice returns one of the subject's notices by id, or an error
	// wrapping ErrNotFound (another subject's notice is not found).
	Notice(ctx context.Context, subject SubjectRef, id string) (*AdverseNotice, error)
}
