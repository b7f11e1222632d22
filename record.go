package credo

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"
)

// Polarity says whether a record counts against its subject or for it.
type Polarity int8

const (
	Neutral  Polarity = 0
	Negative Polarity = -1
	Positive Polarity = 1
)

func (p Polarity) String() string {
	switch p {
	case Negative:
		return "negative"
	case Positive:
		return "positive"
	}
	return "neutral"
}

// ParsePolarity is the inverse of Polarity.String.
func ParsePolarity(s string) (Polarity, error) {
	switch s {
	case "negative", "-":
		return Negative, nil
	case "positive", "+":
		return Positive, nil
	case "neutral", "":
		return Neutral, nil
	}
	return 0, fmt.Errorf("unknown polarity %q (want negative, positive or neutral)", s)
}

// Provenance says where a record came from: a row of a file, or a request.
type Provenance struct {
	File    string `json:"file,omitempty"` // SHA-256 of the file, hex
	Row     int64  `json:"row,omitempty"`  // 1-based row (or line, or element) in that file
	Request string `json:"request,omitempty"`
}

// Record is one immutable fact about one subject from one source. Records are
// never edited or deleted: a correction or retraction is a new record whose
// Corrects or Retracts names the old one.
type Record struct {
	// Set by the ledger on append.
	Seq  uint64   `json:"seq"`
	ID   string   `json:"id"`
	Hash [32]byte `json:"-"`

	Subject        SubjectRef `json:"subject"`
	Identity       Identity   `json:"identity,omitzero"`
	Source         string     `json:"source"`
	SourceRecordID string     `json:"source_record_id"`
	Kind           string     `json:"kind"` // dotted: court.judgment_default
	Polarity       Polarity   `json:"polarity"`
	OccurredAt     time.Time  `json:"occurred_at"`
	RecordedAt     time.Time  `json:"recorded_at"` // set to the append time when zero
	Attributes     Attributes `json:"attributes,omitempty"`
	LegalBasis     string     `json:"legal_basis,omitempty"`
	Evidence       string     `json:"evidence,omitempty"`
	Corrects       string     `json:"corrects,omitempty"` // record id
	Retracts       string     `json:"retracts,omitempty"` // record id
	Provenance     Provenance `json:"provenance,omitzero"`
}

// RecordID is a record's id: its source and the source's own record id,
// "court:(2024)鲁1082执123号". The id is a function of the key the ledger is
// idempotent on, so the same fact gets the same id in every credo instance
// whatever order it arrived in, and a subject reading the id can tell which
// agency's case it is.
func RecordID(source, sourceRecordID string) string {
	return source + ":" + sourceRecordID
}

// ParseRecordID is the inverse of RecordID.
func ParseRecordID(id string) (source, sourceRecordID string, err error) {
	source, sourceRecordID, ok := strings.Cut(id, ":")
	if !ok || !ValidSourceName(source) || sourceRecordID == "" {
		return "", "", fmt.Errorf("record id %q: want SOURCE:SOURCE_RECORD_ID", id)
	}
	return source, sourceRecordID, nil
}

// ValidSourceName reports whether s can name a source: lower-case ASCII
// letters, digits, '_', '-' and '.', starting with a letter.
func ValidSourceName(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Validate reports what is missing or malformed before a record may be
// appended. It checks shape only; identifiers are checked by package ident
// where records are made.
func (r *Record) Validate() error {
	var problems []string
	if !ValidSourceName(r.Source) {
		problems = append(problems, fmt.Sprintf("source %q is not a source name (lower-case letters, digits, _ - .)", r.Source))
	}
	if r.SourceRecordID == "" {
		problems = append(problems, "source_record_id is empty")
	}
	if strings.IndexByte(r.SourceRecordID, 0) >= 0 {
		problems = append(problems, "NUL byte in source_record_id")
	}
	if r.Kind == "" || strings.ContainsAny(r.Kind, " \t\n") || !strings.Contains(r.Kind, ".") {
		problems = append(problems, fmt.Sprintf("kind %q is not a dotted name", r.Kind))
	}
	if r.OccurredAt.IsZero() {
		problems = append(problems, "occurred_at is not set")
	}
	if r.Subject.Kind != Unresolved && r.Subject.ID == "" {
		problems = append(problems, "subject id is empty")
	}
	if r.Subject.Kind == Unresolved && r.Subject.ID != "" {
		problems = append(problems, "unresolved subject has an id")
	}
	if strings.IndexByte(r.Subject.ID, 0) >= 0 {
		problems = append(problems, "NUL byte in subject id")
	}
	if r.Subject.Kind > Organization {
		problems = append(problems, "subject kind out of range")
	}
	for i, a := range r.Attributes {
		if a.Key == "" {
			problems = append(problems, "attribute with an empty name")
		}
		if i > 0 && r.Attributes[i-1].Key >= a.Key {
			problems = append(problems, fmt.Sprintf("attribute %q out of order or repeated", a.Key))
		}
		if a.Value.kind == KindNumber && !finite(a.Value.Float()) {
			problems = append(problems, fmt.Sprintf("attribute %q is not a finite number", a.Key))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

// ChainHash extends the ledger's hash chain: the hash of a record is
// SHA-256 over the previous record's hash, the record's sequence number and
// its canonical encoding.
func ChainHash(prev [32]byte, seq uint64, canonical []byte) [32]byte {
	var buf [40]byte
	copy(buf[:32], prev[:])
	putUint64(buf[32:], seq)
	h := sha256.New()
	h.Write(buf[:])
	h.Write(canonical)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// SamePayload reports whether two records under the same key say the same
// thing. Ledger bookkeeping (sequence, hash, recorded time) and provenance
// are not part of the payload: the same row re-sent in another file is a
// duplicate, not a conflict.
func SamePayload(a, b *Record) bool {
	// One definition of what is bookkeeping: SameEncodedPayload's. On the
	// stack for a typical record: re-ingesting a file compares every row.
	var bx, by [1024]byte
	same, err := SameEncodedPayload(a.AppendCanonical(bx[:0]), b.AppendCanonical(by[:0]))
	return same && err == nil
}

// MarshalText writes the polarity by name ("negative"), as JSON shows it.
func (p Polarity) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads a polarity by name.
func (p *Polarity) UnmarshalText(b []byte) error {
	v, err := ParsePolarity(string(b))
	*p = v
	return err
}
