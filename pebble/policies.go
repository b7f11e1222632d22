package pebble

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

// The published policy versions, beside the ledger like sources:
//
//	P jurisdiction 0x00 version → policy version (JSON, with its YAML)
const tagPolicy = 'P'

func policyKey(jurisdiction, version string) []byte {
	k := append([]byte{tagPolicy}, jurisdiction...)
	k = append(k, 0)
	return append(k, version...)
}

// publishMu makes PublishPolicy's look-then-write atomic: one process
// holds a data directory at a time, so a process-wide lock is enough.
var publishMu sync.Mutex

// PublishPolicy implements credo.Policies.
func (s *Store) PublishPolicy(ctx context.Context, v *credo.PolicyVersion) (bool, error) {
	if v.Jurisdiction == "" || v.Version == "" || strings.ContainsRune(v.Jurisdiction, 0) || strings.ContainsRune(v.Version, 0) {
		return false, fmt.Errorf("policy %q@%q: %w: want a jurisdiction and a version", v.Jurisdiction, v.Version, credo.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if v.Digest == "" {
		v.Digest = credo.PolicyDigest([]byte(v.Source))
	}
	if v.PublishedAt.IsZero() {
		v.PublishedAt = time.Now().UTC()
	}
	publishMu.Lock()
	defer publishMu.Unlock()
	old, err := s.PolicyVersion(ctx, v.Jurisdiction, v.Version)
	switch {
	case err == nil && old.Digest == v.Digest:
		v.PublishedAt = old.PublishedAt
		return false, nil
	case err == nil:
		return false, fmt.Errorf("policy %s is already published with other content (digest %.12s, this is %.12s): %w; publish it under a new version",
			v.ID(), old.Digest, v.Digest, credo.ErrConflict)
	case !errors.Is(err, credo.ErrNotFound):
		return false, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return false, fmt.Errorf("policy %s: %w", v.ID(), err)
	}
	if err := s.db.Set(policyKey(v.Jurisdiction, v.Version), b, s.wo); err != nil {
		return false, fmt.Errorf("publish policy %s in %s: %w", v.ID(), s.dir, err)
	}
	return true, nil
}

// PolicyVersion implements credo.Policies.
func (s *Store) PolicyVersion(ctx context.Context, jurisdiction, version string) (*credo.PolicyVersion, error) {
	id := jurisdiction + "@" + version
	if jurisdiction == "" || version == "" {
		return nil, fmt.Errorf("policy %s: %w", id, credo.ErrNotFound)
	}
	b, closer, err := s.db.Get(policyKey(jurisdiction, version))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("policy %s: %w", id, credo.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", id, err)
	}
	defer closer.Close()
	var v credo.PolicyVersion
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("policy %s: corrupt entry: %w", id, err)
	}
	return &v, nil
}

// PolicyVersions implements credo.Policies.
func (s *Store) PolicyVersions(ctx context.Context) iter.Seq2[*credo.PolicyVersion, error] {
	return func(yield func(*credo.PolicyVersion, error) bool) {
		var all []*credo.PolicyVersion
		for v, err := range scanJSON[credo.PolicyVersion](ctx, s, []byte{tagPolicy}, []byte{tagPolicy + 1}) {
			if err != nil {
				yield(nil, err)
				return
			}
			all = append(all, v)
		}
		slices.SortStableFunc(all, func(a, b *credo.PolicyVersion) int {
			return cmp.Or(strings.Compare(a.Jurisdiction, b.Jurisdiction), a.PublishedAt.Compare(b.PublishedAt), strings.Compare(a.Version, b.Version))
		})
		for _, v := range all {
			if !yield(v, nil) {
				return
			}
		}
	}
}
