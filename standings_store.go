package credo

import (
	"context"
	"iter"
	"time"
)

// StandingFilter selects stored standings. The zero value selects every
// standing under every jurisdiction.
type StandingFilter struct {
	Jurisdiction string // only under this jurisdiction
	Grade        string // only of this grade
	List         string // only members of this list
}

// StandingChange is one entry of a subject's score history under one
// jurisdiction: the standing as it became at At.
type StandingChange struct {
	At            time.Time `json:"at"` // the as-of time of the standing that changed
	PolicyVersion string    `json:"policy_version"`
	Score         float64   `json:"score"`
	Grade         string    `json:"grade"`
	Lists         []string  `json:"lists"`
}

// Standings keeps each subject's current standing under each jurisdiction,
// the history of its changes, and how far through the ledger each policy
// version has scored. Package score keeps it current.
type Standings interface {
	// PutStandings stores each standing as its subject's current one under
	// its jurisdiction, replacing the one before. A standing whose policy
	// version, score, grade or lists differ from the one it replaces is
	// added to the subject's history. A call holds at most one standing
	// per subject and jurisdiction.
	PutStandings(ctx context.Context, sts []*Standing) error
	// Standing returns a subject's current standing under a jurisdiction,
	// or an error wrapping ErrNotFound.
	Standing(ctx context.Context, ref SubjectRef, jurisdiction string) (*Standing, error)
	// ListStandings yields the current standings f selects, by
	// jurisdiction and subject.
	ListStandings(ctx context.Context, f StandingFilter) iter.Seq2[*Standing, error]
	// History yields a subject's standing changes under a jurisdiction,
	// oldest first.
	History(ctx context.Context, ref SubjectRef, jurisdiction string) iter.Seq2[StandingChange, error]
	// DueStandings yields the subjects whose current standing under a
	// jurisdiction changes by time alone (Standing.NextChange) at or
	// before t.
	DueStandings(ctx context.Context, jurisdiction string, t time.Time) iter.Seq2[SubjectRef, error]
	// Watermark is the ledger sequence number through which the policy
	// version ("jurisdiction@version") has scored every record; 0 when it
	// has scored none.
	Watermark(ctx context.Context, policyVersion string) (uint64, error)
	SetWatermark(ctx context.Context, policyVersion string, seq uint64) error
}

// StandingSummaries is a batch of stored standings as the decision table
// loads them: of each, only what a decision reads (StandingSummary), its
// strings given by number. A store holding many standings reads them so in
// bulk, without a Standing, and its strings, for each.
type StandingSummaries struct {
	// Strings are the strings the summaries name by number:
	// jurisdictions, policy versions, grades, grade reasons' By, list
	// names. In one sequence of batches, each batch's Strings begin with
	// all of the batch before's, so that a reader works out what a string
	// means once.
	Strings []string
	// IDs are the subjects' identifiers, one after another.
	IDs []byte
	// Lists are the summaries' list memberships: list names by number in
	// Strings.
	Lists []uint32
	// Summaries are the standings by subject, a subject's under every
	// jurisdiction one after another, and a subject's all in one batch.
	Summaries []StandingSummary
}

// StandingSummary is what a decision reads of one standing (a summary in
// a batch, StandingSummaries).
type StandingSummary struct {
	Kind SubjectKind
	// The subject's identifier is IDs[IDFrom:IDTo]; the summaries of one
	// subject share it.
	IDFrom, IDTo uint32
	// Numbers in Strings.
	Jurisdiction, PolicyVersion, Grade, GradeBy uint32
	Score                                       float64
	// Its list memberships are Lists[ListsFrom:ListsTo].
	ListsFrom, ListsTo uint32
}
