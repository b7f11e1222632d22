package credo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"iter"
	"time"
)

// PolicyVersion is one published version of a jurisdiction's policy: its
// YAML as published, and the digest that makes it immutable. A standing
// names it as Jurisdiction@Version.
type PolicyVersion struct {
	Jurisdiction string    `json:"jurisdiction"`
	Version      string    `json:"version"`
	Name         string    `json:"name,omitempty"`
	Digest       string    `json:"digest"` // PolicyDigest of Source
	Source       string    `json:"source"` // the YAML, byte for byte
	PublishedAt  time.Time `json:"published_at"`
}

// ID is "jurisdiction@version".
func (v *PolicyVersion) ID() string { return v.Jurisdiction + "@" + v.Version }

// PolicyDigest is the hex SHA-256 of a policy's YAML.
func PolicyDigest(source []byte) string {
	h := sha256.Sum256(source)
	return hex.EncodeToString(h[:])
}

// Policies keeps the published policy versions. A version, once published,
// is immutable.
type Policies interface {
	// PublishPolicy stores v (its Digest filled in from Source when empty).
	// When the jurisdiction already has the version with the same digest,
	// nothing is written and it returns false and the existing version's
	// publication time in v.PublishedAt; with another digest it returns an
	// error wrapping ErrConflict naming the version. A new version returns
	// true.
	PublishPolicy(ctx context.Context, v *PolicyVersion) (bool, error)
	// PolicyVersion returns one version, or an error wrapping ErrNotFound.
	PolicyVersion(ctx context.Context, jurisdiction, version string) (*PolicyVersion, error)
	// PolicyVersions yields every published version, by jurisdiction and
	// then by time of publication.
	PolicyVersions(ctx context.Context) iter.Seq2[*PolicyVersion, error]
}
