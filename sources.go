package credo

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"iter"
	"strings"
	"time"
)

// Source is an agency registered to send records over the stream API: its
// mapping spec and the hash of its API key. The key itself is shown once,
// when it is made, and never stored.
type Source struct {
	Name    string    `json:"name"`
	Agency  string    `json:"agency,omitempty"`
	Spec    string    `json:"spec"`     // the source spec, YAML, as registered
	KeyHash KeyHash   `json:"key_hash"` // SHA-256 of the API key
	Created time.Time `json:"created"`
	Rotated time.Time `json:"rotated,omitzero"` // when the key was last replaced
	Revoked time.Time `json:"revoked,omitzero"` // when the key was revoked; zero while it works
}

// Active reports whether the source's key is accepted.
func (s *Source) Active() bool { return s.Revoked.IsZero() }

// KeyHash is the SHA-256 of an API key. API keys are 32 random bytes, so a
// fast unsalted hash is enough: there is nothing to guess that a slow hash
// would protect.
type KeyHash [32]byte

// HashKey returns the hash stored for key.
func HashKey(key string) KeyHash { return sha256.Sum256([]byte(key)) }

// Equal compares two hashes in constant time.
func (h KeyHash) Equal(o KeyHash) bool { return subtle.ConstantTimeCompare(h[:], o[:]) == 1 }

// MarshalText writes the hash as hex.
func (h KeyHash) MarshalText() ([]byte, error) {
	const digits = "0123456789abcdef"
	b := make([]byte, 2*len(h))
	for i, c := range h {
		b[2*i], b[2*i+1] = digits[c>>4], digits[c&0xf]
	}
	return b, nil
}

// UnmarshalText reads the hex written by MarshalText.
func (h *KeyHash) UnmarshalText(b []byte) error {
	if len(b) != 2*len(h) {
		return errBadKeyHash
	}
	for i := range h {
		hi, ok1 := unhex(b[2*i])
		lo, ok2 := unhex(b[2*i+1])
		if !ok1 || !ok2 {
			return errBadKeyHash
		}
		h[i] = hi<<4 | lo
	}
	return nil
}

var errBadKeyHash = &invalidError{"key hash: want 64 hex digits"}

type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }
func (e *invalidError) Unwrap() error { return ErrInvalid }

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// SourceKeyPrefix starts every source API key, so that a leaked key is
// recognisable (by secret scanners, and by people).
const SourceKeyPrefix = "credo_src_"

var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewSourceKey returns a new random API key: SourceKeyPrefix and 32 bytes
// from crypto/rand in lower-case base32.
func NewSourceKey() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand crashes the program rather)
	return SourceKeyPrefix + keyEncoding.EncodeToString(b[:])
}

// LooksLikeSourceKey reports whether key has the shape NewSourceKey gives.
func LooksLikeSourceKey(key string) bool {
	rest, ok := strings.CutPrefix(key, SourceKeyPrefix)
	if !ok || len(rest) != keyEncoding.EncodedLen(32) {
		return false
	}
	_, err := keyEncoding.DecodeString(rest)
	return err == nil
}

// Sources keeps the registered sources.
type Sources interface {
	// PutSource stores src, replacing the source of the same name; a key
	// hash it replaces stops finding it.
	PutSource(ctx context.Context, src *Source) error
	// Source returns the source named name, or an error wrapping ErrNotFound.
	Source(ctx context.Context, name string) (*Source, error)
	// SourceByKey returns the source whose current key hash is h (revoked
	// or not: the caller decides), or an error wrapping ErrNotFound.
	SourceByKey(ctx context.Context, h KeyHash) (*Source, error)
	// Sources yields every source in name order.
	Sources(ctx context.Context) iter.Seq2[*Source, error]
}
