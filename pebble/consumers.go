package pebble

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

// The consumer registry (consuming services, and the operator's,
// auditor's and subjects' keys), laid out like the source registry:
//
//	C name       → consumer (JSON; the key's hash, never the key)
//	c key hash   → name     (authentication)
//
// ConsumerByKey checks the hash against the entry it finds, so an index
// entry left behind by a replaced key never authenticates anyone.
const (
	tagConsumer      = 'C'
	tagConsumerByKey = 'c'
)

func consumerKey(name string) []byte { return append([]byte{tagConsumer}, name...) }

func consumerByKeyKey(h credo.KeyHash) []byte { return append([]byte{tagConsumerByKey}, h[:]...) }

// PutConsumer implements credo.Consumers.
func (s *Store) PutConsumer(ctx context.Context, c *credo.Consumer) error {
	if !credo.ValidSourceName(c.Name) {
		return fmt.Errorf("consumer %q: %w: not a name (lower-case letters, digits, _ - .)", c.Name, credo.ErrInvalid)
	}
	if !credo.ValidRole(c.Role) {
		return fmt.Errorf("consumer %s: %w: role %q (want consumer, operator, auditor or subject)", c.Name, credo.ErrInvalid, c.Role)
	}
	if c.Role == credo.RoleSubject && !c.Subject.Resolved() {
		return fmt.Errorf("consumer %s: %w: a subject key needs its subject", c.Name, credo.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cp := *c
	cp.Actions = slices.Clone(c.Actions)
	slices.Sort(cp.Actions)
	cp.Actions = slices.Compact(cp.Actions)
	v, err := json.Marshal(&cp)
	if err != nil {
		return fmt.Errorf("consumer %s: %w", c.Name, err)
	}
	old, err := s.Consumer(ctx, c.Name)
	if err != nil && !errors.Is(err, credo.ErrNotFound) {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	if old != nil && old.KeyHash != c.KeyHash {
		if err := b.Delete(consumerByKeyKey(old.KeyHash), nil); err != nil {
			return err
		}
	}
	if err := b.Set(consumerKey(c.Name), v, nil); err != nil {
		return err
	}
	if err := b.Set(consumerByKeyKey(c.KeyHash), []byte(c.Name), nil); err != nil {
		return err
	}
	if err := commit(b, s.wo); err != nil {
		return fmt.Errorf("register consumer %s in %s: %w", c.Name, s.dir, err)
	}
	return nil
}

// Consumer implements credo.Consumers.
func (s *Store) Consumer(ctx context.Context, name string) (*credo.Consumer, error) {
	if name == "" {
		return nil, fmt.Errorf("consumer %q: %w", name, credo.ErrNotFound)
	}
	v, closer, err := s.db.Get(consumerKey(name))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("consumer %s: %w", name, credo.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", name, err)
	}
	defer closer.Close()
	var c credo.Consumer
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, fmt.Errorf("consumer %s: corrupt entry: %w", name, err)
	}
	return &c, nil
}

// ConsumerByKey implements credo.Consumers.
func (s *Store) ConsumerByKey(ctx context.Context, h credo.KeyHash) (*credo.Consumer, error) {
	v, closer, err := s.db.Get(consumerByKeyKey(h))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("consumer key: %w", credo.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("consumer key: %w", err)
	}
	name := string(v)
	closer.Close()
	c, err := s.Consumer(ctx, name)
	if err != nil {
		return nil, err
	}
	if !c.KeyHash.Equal(h) {
		return nil, fmt.Errorf("consumer key: %w", credo.ErrNotFound)
	}
	return c, nil
}

// Consumers implements credo.Consumers.
func (s *Store) Consumers(ctx context.Context) iter.Seq2[*credo.Consumer, error] {
	return scanJSON[credo.Consumer](ctx, s, []byte{tagConsumer}, []byte{tagConsumer + 1})
}
