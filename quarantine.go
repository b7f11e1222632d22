package credo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"iter"
	"time"
)

// QuarantinedRow is a row of a source's file (or a line of a stream) that
// could not become a record, kept with everything needed to fix and resend
// it: its raw content, where it was, and every reason it was refused.
// Quarantine is not the ledger: a row leaves it when a later ingest (with a
// fixed spec, or a fixed row resent) turns it into a record.
type QuarantinedRow struct {
	ID             string    `json:"id"` // source:digest12:row — stable across re-ingests of the same file
	Source         string    `json:"source"`
	File           string    `json:"file"`   // the file's name as given to ingest, or "stream"
	Digest         string    `json:"digest"` // SHA-256 of the file (hex), or the request id
	Row            int64     `json:"row"`
	SourceRecordID string    `json:"source_record_id,omitempty"` // when it could be read
	Names          []string  `json:"names,omitempty"`
	Values         []string  `json:"values,omitempty"`
	Raw            string    `json:"raw,omitempty"`
	Reasons        []string  `json:"reasons"`
	Run            string    `json:"run,omitempty"`
	At             time.Time `json:"at"`
}

// QuarantineID is the id of the row at row of the file with digest from
// source.
// A file's digest is SHA-256 already and gives its first 12 hex digits; any
// other origin (a stream's request id, chosen by the client) is hashed
// first, so that two origins sharing a prefix never share ids.
func QuarantineID(source, digest string, row int64) string {
	if !isHexDigest(digest) {
		sum := sha256.Sum256([]byte(digest))
		digest = hex.EncodeToString(sum[:6])
	}
	return source + ":" + digest[:12] + ":" + itoa(row)
}

func isHexDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Quarantine keeps the rows that could not become records.
type Quarantine interface {
	// PutQuarantined stores rows, replacing any with the same id.
	PutQuarantined(ctx context.Context, rows []*QuarantinedRow) error
	// ReleaseQuarantined removes rows that have since become records:
	// those with the given ids, and those of source whose source record id
	// is among srcIDs.
	ReleaseQuarantined(ctx context.Context, source string, ids, srcIDs []string) (int, error)
	// Quarantined yields the rows of source (all sources when empty) in id order.
	Quarantined(ctx context.Context, source string) iter.Seq2[*QuarantinedRow, error]
	// QuarantinedRow returns one row, or an error wrapping ErrNotFound.
	QuarantinedRow(ctx context.Context, id string) (*QuarantinedRow, error)
}

// Run is one ingest of one file (or one stream request): what came in and
// what became of it.
type Run struct {
	ID          string           `json:"id"`
	Source      string           `json:"source"`
	File        string           `json:"file"`
	Digest      string           `json:"digest"`
	Bytes       int64            `json:"bytes"`
	Started     time.Time        `json:"started"`
	Ended       time.Time        `json:"ended,omitzero"`
	Status      string           `json:"status"` // running, done, quarantined (done with rows quarantined), failed
	Error       string           `json:"error,omitempty"`
	Rows        int64            `json:"rows"`
	Appended    int64            `json:"appended"`
	Duplicates  int64            `json:"duplicates"`
	Unresolved  int64            `json:"unresolved"`
	Quarantined int64            `json:"quarantined"`
	Released    int64            `json:"released"`
	Reasons     map[string]int64 `json:"reasons,omitempty"` // quarantined rows by reason
}

// Runs keeps the history of ingests.
type Runs interface {
	// PutRun stores r, replacing the run with the same id.
	PutRun(ctx context.Context, r *Run) error
	// Runs yields every run, oldest first.
	Runs(ctx context.Context) iter.Seq2[*Run, error]
}
