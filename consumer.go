package credo

import (
	"context"
	"errors"
	"fmt"
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

// ErrRegistered is RegisterKey's error when the name is registered and
// rotation was not asked for.
var ErrRegistered = errors.New("already registered")

// RegisterKey registers name in reg for role (a consumer's actions, a
// subject key's subject) with a new key, or, with rotate, gives the entry
// registered under name a new key, role, actions and subject, and lifts its
// revocation; refuse, when not nil, may refuse to rotate the entry found.
// It returns the key, to be shown once, and the entry as stored. A name
// already registered without rotate is an error wrapping ErrRegistered.
// The CLI's `consumer add` and `key add` and the server's POST
// /v1/consumers all register through it.
func RegisterKey(ctx context.Context, reg Consumers, name string, role Role, actions []string, subject SubjectRef,
	rotate bool, refuse func(existing *Consumer) error, now time.Time) (key string, stored *Consumer, err error) {
	c, err := reg.Consumer(ctx, name)
	switch {
	case errors.Is(err, ErrNotFound):
		c = &Consumer{Name: name, Created: now}
	case err != nil:
		return "", nil, err
	case !rotate:
		return "", nil, fmt.Errorf("%s is %w (a %s, since %s)", name, ErrRegistered, c.Role, c.Created.Local().Format(time.DateTime))
	case refuse != nil:
		if err := refuse(c); err != nil {
			return "", nil, err
		}
		fallthrough
	default:
		c.Revoked = time.Time{}
	}
	key = NewConsumerKey()
	c.Role, c.Actions, c.Subject, c.KeyHash = role, actions, subject, HashKey(key)
	if err := reg.PutConsumer(ctx, c); err != nil {
		return "", nil, err
	}
	if stored, err = reg.Consumer(ctx, name); err != nil {
		return "", nil, err
	}
	return key, stored, nil
}

// ConsumerListing is a registry entry as listed: never its key or the
// key's hash.
type ConsumerListing struct {
	Name    string     `json:"name"`
	Role    Role       `json:"role"`
	Actions []string   `json:"actions,omitempty"`
	Subject SubjectRef `json:"subject,omitzero"`
	Created time.Time  `json:"created"`
	Revoked time.Time  `json:"revoked,omitzero"`
}

// Listing is c as listed.
func (c *Consumer) Listing() ConsumerListing {
	return ConsumerListing{Name: c.Name, Role: c.Role, Actions: c.Actions, Subject: c.Subject, Created: c.Created, Revoked: c.Revoked}
}
