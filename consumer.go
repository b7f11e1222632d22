package credo

import (
	"context"
	"iter"
	"slices"
	"strings"
	"time"
)

// Role is what a credential lets its holder do. Sources have credentials
// of their own (Source); every other role's key is a Consumer entry.
type Role string

const (
	// RoleConsumer asks decisions for its own actions only.
	RoleConsumer Role = "consumer"
	// RoleOperator runs credo: every decision, every subject's actions.
	RoleOperator Role = "operator"
	// RoleAuditor reads the audit trail; asks no decisions.
	RoleAuditor Role = "auditor"
	// RoleSubject is a person or an organisation looking at itself.
	RoleSubject Role = "subject"
)

// ValidRole reports whether r is one of the roles a key may have.
func ValidRole(r Role) bool {
	switch r {
	case RoleConsumer, RoleOperator, RoleAuditor, RoleSubject:
		return true
	}
	return false
}

// Consumer is a registered holder of an API key other than a source's: a
// consuming service bound to the actions it may ask about (an airline:
// flight.book), or an operator's, auditor's or subject's key. The key
// itself is shown once, when it is made, and never stored.
type Consumer struct {
	Name    string     `json:"name"`
	Role    Role       `json:"role"`
	Actions []string   `json:"actions,omitempty"` // a consumer's actions, sorted
	Subject SubjectRef `json:"subject,omitzero"`  // a subject key's subject
	KeyHash KeyHash    `json:"key_hash"`
	Created time.Time  `json:"created"`
	Revoked time.Time  `json:"revoked,omitzero"` // zero while the key works
}

// Active reports whether the key is accepted.
func (c *Consumer) Active() bool { return c.Revoked.IsZero() }

// May reports whether the holder may ask a decision about action: a
// consumer its own actions, an operator any.
func (c *Consumer) May(action string) bool {
	switch c.Role {
	case RoleOperator:
		return true
	case RoleConsumer:
		_, found := slices.BinarySearch(c.Actions, action)
		return found
	}
	return false
}

// ConsumerKeyPrefix starts every API key that is not a source's.
const ConsumerKeyPrefix = "credo_key_"

// NewConsumerKey returns a new random API key: ConsumerKeyPrefix and 32
// bytes from crypto/rand in lower-case base32.
func NewConsumerKey() string {
	return ConsumerKeyPrefix + strings.TrimPrefix(NewSourceKey(), SourceKeyPrefix)
}

// LooksLikeConsumerKey reports whether key has the shape NewConsumerKey gives.
func LooksLikeConsumerKey(key string) bool {
	rest, ok := strings.CutPrefix(key, ConsumerKeyPrefix)
	return ok && LooksLikeSourceKey(SourceKeyPrefix+rest)
}

// Consumers keeps the registered consumers and the other non-source keys.
type Consumers interface {
	// PutConsumer stores c, replacing the entry of the same name; a key
	// hash it replaces stops finding it.
	PutConsumer(ctx context.Context, c *Consumer) error
	// Consumer returns the entry named name, or an error wrapping ErrNotFound.
	Consumer(ctx context.Context, name string) (*Consumer, error)
	// ConsumerByKey returns the entry whose key hash is h (revoked or not:
	// the caller decides), or an error wrapping ErrNotFound.
	ConsumerByKey(ctx context.Context, h KeyHash) (*Consumer, error)
	// Consumers yields every entry in name order.
	Consumers(ctx context.Context) iter.Seq2[*Consumer, error]
}
