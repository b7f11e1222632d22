package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/credo-org/credo"
)

func testPolicies(t *testing.T, b Backend) {
	s := b.New(t)
	ctx := context.Background()
	if _, err := s.PolicyVersion(ctx, "rongcheng", "2024.1"); !errors.Is(err, credo.ErrNotFound) {
		t.Fatalf("PolicyVersion in an empty store: %v, want ErrNotFound", err)
	}
	v1 := &credo.PolicyVersion{Jurisdiction: "rongcheng", Version: "2024.1", Name: "荣成", Source: "jurisdiction: rongcheng\nversion: \"2024.1\"\n", PublishedAt: base}
	v2 := &credo.PolicyVersion{Jurisdiction: "rongcheng", Version: "2023.9", Source: "jurisdiction: rongcheng\nversion: \"2023.9\"\n", PublishedAt: base.Add(time.Hour)}
	x1 := &credo.PolicyVersion{Jurisdiction: "xiamen", Version: "1", Source: "jurisdiction: xiamen\n", PublishedAt: base.Add(-time.Hour)}
	for _, v := range []*credo.PolicyVersion{x1, v1, v2} {
		created, err := s.PublishPolicy(ctx, v)
		if err != nil || !created {
			t.Fatalf("PublishPolicy(%s) = %v, %v", v.ID(), created, err)
		}
	}
	if v1.Digest != credo.PolicyDigest([]byte(v1.Source)) {
		t.Errorf("digest %q not filled in", v1.Digest)
	}

	// The same content again: a no-op that reports the first publication.
	again := &credo.PolicyVersion{Jurisdiction: "rongcheng", Version: "2024.1", Source: v1.Source, PublishedAt: base.Add(99 * time.Hour)}
	if created, err := s.PublishPolicy(ctx, again); err != nil || created || !again.PublishedAt.Equal(base) {
		t.Fatalf("republishing the same content = %v, %v (published at %v)", created, err, again.PublishedAt)
	}
	// Other content under a published version: refused, naming it.
	changed := &credo.PolicyVersion{Jurisdiction: "rongcheng", Version: "2024.1", Source: v1.Source + "# changed\n"}
	_, err := s.PublishPolicy(ctx, changed)
	if !errors.Is(err, credo.ErrConflict) || !strings.Contains(err.Error(), "rongcheng@2024.1") {
		t.Fatalf("publishing other content under rongcheng@2024.1: %v, want ErrConflict naming it", err)
	}
	if got, err := s.PolicyVersion(ctx, "rongcheng", "2024.1"); err != nil || got.Source != v1.Source || got.Digest != v1.Digest || got.Name != "荣成" || !got.PublishedAt.Equal(base) {
		t.Fatalf("after the refused publication: %+v, %v", got, err)
	}
	for _, bad := range []*credo.PolicyVersion{{Version: "1", Source: "x"}, {Jurisdiction: "j", Source: "x"}} {
		if _, err := s.PublishPolicy(ctx, bad); !errors.Is(err, credo.ErrInvalid) {
			t.Errorf("PublishPolicy(%q@%q): %v, want ErrInvalid", bad.Jurisdiction, bad.Version, err)
		}
	}
	for _, jv := range [][2]string{{"rongcheng", "2024"}, {"rongcheng2", "2024.1"}, {"", ""}} {
		if _, err := s.PolicyVersion(ctx, jv[0], jv[1]); !errors.Is(err, credo.ErrNotFound) {
			t.Errorf("PolicyVersion(%q, %q): %v, want ErrNotFound", jv[0], jv[1], err)
		}
	}

	s = b.Reopen(t, s)
	defer s.Close()
	var ids []string
	for v, err := range s.PolicyVersions(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID())
	}
	// by jurisdiction, then by publication: 2024.1 was published before 2023.9
	if want := "rongcheng@2024.1 rongcheng@2023.9 xiamen@1"; strings.Join(ids, " ") != want {
		t.Fatalf("PolicyVersions = %v, want %s", ids, want)
	}
}
