// Package credo holds the domain of the credo platform: subjects, records,
// the ledger they are appended to, and the small interfaces between the
// stages of the data flow
//
//	agency files ─▶ ingest ─▶ resolve ─▶ ledger ─▶ standings ─▶ decisions
//
// Every stage lives in a package of its own (ident, synth, pebble, …) and
// meets the others only through the types declared here. This package
// depends on nothing beyond the standard library.
package credo

import (
	"errors"
	"fmt"
)

// SubjectKind says whether a subject is a natural person or an organisation.
type SubjectKind uint8

const (
	// Unresolved marks a record whose subject is not yet known: it carries
	// identifying attributes instead of a valid identifier.
	Unresolved   SubjectKind = iota
	Person                   // identified by a GB 11643 resident identity number
	Organization             // identified by a GB 32100 unified social credit code
)

func (k SubjectKind) String() string {
	switch k {
	case Person:
		return "person"
	case Organization:
		return "organization"
	}
	return "unresolved"
}

// ParseSubjectKind is the inverse of SubjectKind.String.
func ParseSubjectKind(s string) (SubjectKind, error) {
	switch s {
	case "person":
		return Person, nil
	case "organization", "organisation":
		return Organization, nil
	case "unresolved", "":
		return Unresolved, nil
	}
	return 0, fmt.Errorf("unknown subject kind %q (want person or organization)", s)
}

// SubjectRef names a subject: its kind and its normalised identifier.
type SubjectRef struct {
	Kind SubjectKind `json:"kind"`
	ID   string      `json:"id,omitempty"`
}

// Resolved reports whether the reference names a subject.
func (s SubjectRef) Resolved() bool { return s.Kind != Unresolved && s.ID != "" }

func (s SubjectRef) String() string {
	if !s.Resolved() {
		return "unresolved"
	}
	return s.Kind.String() + ":" + s.ID
}

// Sex of a natural person as an agency reported it.
type Sex uint8

const (
	SexUnknown Sex = iota
	Male
	Female
)

func (s Sex) String() string {
	switch s {
	case Male:
		return "M"
	case Female:
		return "F"
	}
	return ""
}

// Identity holds the identifying attributes an agency sent with a record.
// They are kept for every record, and are all there is to go on when the
// identifier is missing or fails its check.
type Identity struct {
	IDNumber  string `json:"id_number,omitempty"`  // as given, even when invalid
	Name      string `json:"name,omitempty"`       // as written by the agency (Han or pinyin)
	BirthDate string `json:"birth_date,omitempty"` // YYYY-MM-DD, or partial as given
	Sex       Sex    `json:"sex,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Address   string `json:"address,omitempty"`
}

// IsZero reports whether no attribute is set.
func (id Identity) IsZero() bool { return id == Identity{} }

// Errors the stores return; callers test them with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict means a record arrived under a (source, source record id)
	// already in the ledger with a different payload. The ledger never
	// overwrites: a correction is a new record that points at the old one.
	ErrConflict = errors.New("conflicting record under an existing key")
	// ErrInvalid means a record cannot be appended as it stands.
	ErrInvalid = errors.New("invalid record")
)

// MarshalText writes the kind by name ("person"), as JSON shows it.
func (k SubjectKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind by name.
func (k *SubjectKind) UnmarshalText(b []byte) error {
	v, err := ParseSubjectKind(string(b))
	*k = v
	return err
}

// MarshalText writes M, F or nothing.
func (s Sex) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads M, F or nothing.
func (s *Sex) UnmarshalText(b []byte) error {
	switch string(b) {
	case "M", "m":
		*s = Male
	case "F", "f":
		*s = Female
	case "":
		*s = SexUnknown
	default:
		return fmt.Errorf("sex %q: want M, F or empty", b)
	}
	return nil
}
