package credo

import (
	"crypto/sha256"
	"encoding/hex"
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

// RecordID derives a record's id from its key, (source, source record id).
// Because the id is a function of the key, appending the same record twice
// meets the same id, which is what makes the ledger idempotent.
func RecordID(source, sourceRecordID string) string {
	k := RecordKey(source, sourceRecordID)
	return hex.EncodeToString(k[:])
}

// RecordKey is the 16-byte binary form of RecordID.
func RecordKey(source, sourceRecordID string) (k [16]byte) {
	h := sha256.New()
	h.Write([]byte(source))
	h.Write([]byte{0})
	h.Write([]byte(sourceRecordID))
	var sum [32]byte
	h.Sum(sum[:0])
	copy(k[:], sum[:16])
	return k
}

// ParseRecordID is the inverse of RecordID.
func ParseRecordID(id string) (k [16]byte, err error) {
	if len(id) != 32 {
		return k, fmt.Errorf("record id %q: want 32 hex digits", id)
	}
	if _, err := hex.Decode(k[:], []byte(id)); err != nil {
		return k, fmt.Errorf("record id %q: %w", id, err)
	}
	return k, nil
}

// Validate reports what is missing or malformed before a record may be
// appended. It checks shape only; identifiers are checked by package ident
// where records are made.
func (r *Record) Validate() error {
	var problems []string
	if r.Source == "" {
		problems = append(problems, "source is empty")
	}
	if r.SourceRecordID == "" {
		problems = append(problems, "source_record_id is empty")
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
	if strings.IndexByte(r.Source, 0) >= 0 || strings.IndexByte(r.Subject.ID, 0) >= 0 {
		problems = append(problems, "NUL byte in source or subject id")
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
	x, y := *a, *b
	for _, r := range []*Record{&x, &y} {
		r.Seq, r.ID, r.Hash = 0, "", [32]byte{}
		r.RecordedAt = time.Time{}
		r.Provenance = Provenance{}
	}
	return string(x.AppendCanonical(nil)) == string(y.AppendCanonical(nil))
}
