package credo

import (
	"context"
	"iter"
)

// AppendStatus is what the ledger did with one record of an Append call.
type AppendStatus uint8

const (
	Appended  AppendStatus = iota // new: given a sequence number and chained
	Duplicate                     // the same payload is already in the ledger under this key: nothing written
	Conflict                      // a different payload is in the ledger under this key: refused
	Rejected                      // the record failed validation: refused
)

func (s AppendStatus) String() string {
	return [...]string{"appended", "duplicate", "conflict", "rejected"}[s]
}

// AppendResult reports one record of an Append call.
type AppendResult struct {
	Status AppendStatus
	ID     string // the record's id (the existing record's for duplicates and conflicts)
	Seq    uint64 // its sequence number in the ledger (0 for rejected)
	Err    error  // for Conflict and Rejected: why (wraps ErrConflict or ErrInvalid)
}

// Counts summarises what a store holds.
type Counts struct {
	Subjects    int64            `json:"subjects"`
	Records     int64            `json:"records"`
	Unresolved  int64            `json:"unresolved"`
	Quarantined int64            `json:"quarantined"`
	BySource    map[string]int64 `json:"by_source"`
	ByKind      map[string]int64 `json:"by_kind"`
}

// Head is the end of the ledger's hash chain. Publishing it elsewhere (a
// newspaper, another operator) anchors the chain: no one can then rewrite
// the ledger up to it without the change showing.
type Head struct {
	Seq  uint64   `json:"seq"`
	Hash [32]byte `json:"-"`
}

// Ledger is the append-only, hash-chained record of every fact credo holds.
//
// Append is idempotent on (Source, SourceRecordID): a record already present
// with the same payload is reported Duplicate and nothing is written; one
// with a different payload is reported Conflict and refused. The records of
// one call that are appended are written atomically and durably before
// Append returns. Append fills in Seq, ID, Hash (and RecordedAt when zero)
// on the records it appends.
type Ledger interface {
	Append(ctx context.Context, recs []*Record) ([]AppendResult, error)
	// Record returns one record by id, or an error wrapping ErrNotFound.
	Record(ctx context.Context, id string) (*Record, error)
	// SubjectRecords yields a subject's records by time of occurrence.
	SubjectRecords(ctx context.Context, s SubjectRef) iter.Seq2[*Record, error]
	// SourceRecords yields a source's records in ledger order.
	SourceRecords(ctx context.Context, source string) iter.Seq2[*Record, error]
	// Scan yields every record from sequence number from on, in ledger
	// order, with the hash stored for it.
	Scan(ctx context.Context, from uint64) iter.Seq2[*Record, error]
	Counts(ctx context.Context) (Counts, error)
	Head(ctx context.Context) (Head, error)
}

// AsyncAppender is a Ledger that takes the next batch while the last one
// is being made durable. AppendAsync returns once the batch has its place
// in the ledger (a later call comes after it); the function it returns
// waits until the batch is durable and gives what Append would. Every such
// function must be called. A loader keeps one batch in flight this way
// and builds the next during the sync.
type AsyncAppender interface {
	AppendAsync(ctx context.Context, recs []*Record) (wait func() ([]AppendResult, error))
}

// Store is everything credo keeps. Each backend (the embedded one in package
// pebble, PostgreSQL later) implements it and passes package storetest.
type Store interface {
	Ledger
	Resolutions
	Reviews
	Quarantine
	Runs
	Sources
	Policies
	Standings
	Consumers
	Audit
	Close() error
}
