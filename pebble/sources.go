package pebble

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"

	"github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

// The source registry, beside the ledger like quarantine and runs:
//
//	A name       → source (JSON; the key's hash, never the key)
//	a key hash   → name   (authentication: which source a key belongs to)
//
// The index is only a pointer: SourceByKey checks the hash against the
// source it finds, so an index entry left behind by a replaced key can
// never authenticate anyone.
const (
	tagSourceReg   = 'A'
	tagSourceByKey = 'a'
)

func sourceRegKey(name string) []byte { return append([]byte{tagSourceReg}, name...) }

func sourceByKeyKey(h credo.KeyHash) []byte { return append([]byte{tagSourceByKey}, h[:]...) }

// PutSource implements credo.Sources.
func (s *Store) PutSource(ctx context.Context, src *credo.Source) error {
	if !credo.ValidSourceName(src.Name) {
		return fmt.Errorf("source %q: %w: not a source name (lower-case letters, digits, _ - .)", src.Name, credo.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	v, err := json.Marshal(src)
	if err != nil {
		return fmt.Errorf("source %s: %w", src.Name, err)
	}
	old, err := s.Source(ctx, src.Name)
	if err != nil && !errors.Is(err, credo.ErrNotFound) {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	if old != nil && old.KeyHash != src.KeyHash {
		if err := b.Delete(sourceByKeyKey(old.KeyHash), nil); err != nil {
			return err
		}
	}
	if err := b.Set(sourceRegKey(src.Name), v, nil); err != nil {
		return err
	}
	if err := b.Set(sourceByKeyKey(src.KeyHash), []byte(src.Name), nil); err != nil {
		return err
	}
	if err := commit(b, s.wo); err != nil {
		return fmt.Errorf("register source %s in %s: %w", src.Name, s.dir, err)
	}
	return nil
}

// Source implements credo.Sources.
func (s *Store) Source(ctx context.Context, name string) (*credo.Source, error) {
	if name == "" {
		return nil, fmt.Errorf("source %q: %w", name, credo.ErrNotFound)
	}
	v, closer, err := s.db.Get(sourceRegKey(name))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("source %s: %w", name, credo.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", name, err)
	}
	defer closer.Close()
	var src credo.Source
	if err := json.Unmarshal(v, &src); err != nil {
		return nil, fmt.Errorf("source %s: corrupt entry: %w", name, err)
	}
	return &src, nil
}

// SourceByKey implements credo.Sources.
func (s *Store) SourceByKey(ctx context.Context, h credo.KeyHash) (*credo.Source, error) {
	v, closer, err := s.db.Get(sourceByKeyKey(h))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("source key: %w", credo.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("source key: %w", err)
	}
	name := string(v)
	closer.Close()
	src, err := s.Source(ctx, name)
	if err != nil {
		return nil, err
	}
	if !src.KeyHash.Equal(h) {
		return nil, fmt.Errorf("source key: %w", credo.ErrNotFound)
	}
	return src, nil
}

// Sources implements credo.Sources.
func (s *Store) Sources(ctx context.Context) iter.Seq2[*credo.Source, error] {
	return scanJSON[credo.Source](ctx, s, []byte{tagSourceReg}, []byte{tagSourceReg + 1})
}
