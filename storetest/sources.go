package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/credo-org/credo"
)

func testSources(t *testing.T, b Backend) {
	s := b.New(t)
	ctx := context.Background()
	courtKey, taxKey := credo.NewSourceKey(), credo.NewSourceKey()
	if courtKey == taxKey || !credo.LooksLikeSourceKey(courtKey) {
		t.Fatalf("keys %q and %q", courtKey, taxKey)
	}
	court := &credo.Source{Name: "court", Agency: "中级人民法院", Spec: "source: court\n", KeyHash: credo.HashKey(courtKey), Created: base}
	tax := &credo.Source{Name: "tax", Agency: "税务局", Spec: "source: tax\n", KeyHash: credo.HashKey(taxKey), Created: base}
	for _, src := range []*credo.Source{tax, court} {
		if err := s.PutSource(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Source(ctx, "court")
	if err != nil || got.Agency != court.Agency || got.Spec != court.Spec || got.KeyHash != court.KeyHash || !got.Created.Equal(base) || !got.Active() {
		t.Fatalf("Source(court) = %+v, %v", got, err)
	}
	for _, name := range []string{"cour", "courts", ""} {
		if _, err := s.Source(ctx, name); !errors.Is(err, credo.ErrNotFound) {
			t.Errorf("Source(%q): %v, want ErrNotFound", name, err)
		}
	}
	if got, err := s.SourceByKey(ctx, credo.HashKey(taxKey)); err != nil || got.Name != "tax" {
		t.Fatalf("SourceByKey(tax key) = %+v, %v", got, err)
	}
	if _, err := s.SourceByKey(ctx, credo.HashKey(credo.NewSourceKey())); !errors.Is(err, credo.ErrNotFound) {
		t.Fatalf("SourceByKey(unknown key): %v, want ErrNotFound", err)
	}

	// Rotation: the old key stops finding the source, the new one finds it.
	rotated := credo.NewSourceKey()
	court.KeyHash, court.Rotated = credo.HashKey(rotated), base.Add(1)
	if err := s.PutSource(ctx, court); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SourceByKey(ctx, credo.HashKey(courtKey)); !errors.Is(err, credo.ErrNotFound) {
		t.Fatalf("the replaced key still finds a source: %v", err)
	}
	if got, err := s.SourceByKey(ctx, credo.HashKey(rotated)); err != nil || got.Name != "court" {
		t.Fatalf("SourceByKey(new key) = %+v, %v", got, err)
	}

	// Revocation is the caller's to enforce: the source is still found, marked.
	tax.Revoked = base.Add(2)
	if err := s.PutSource(ctx, tax); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SourceByKey(ctx, credo.HashKey(taxKey)); err != nil || got.Active() {
		t.Fatalf("revoked source by key = %+v, %v", got, err)
	}

	if err := s.PutSource(ctx, &credo.Source{Name: "Not A Name", KeyHash: credo.HashKey("x")}); !errors.Is(err, credo.ErrInvalid) {
		t.Fatalf("PutSource(bad name): %v, want ErrInvalid", err)
	}

	s = b.Reopen(t, s)
	defer s.Close()
	var names []string
	for src, err := range s.Sources(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, src.Name)
		if src.Name == "tax" && src.Active() {
			t.Error("revocation lost on reopen")
		}
	}
	if len(names) != 2 || names[0] != "court" || names[1] != "tax" {
		t.Fatalf("Sources = %v, want [court tax]", names)
	}
	if got, err := s.SourceByKey(ctx, credo.HashKey(rotated)); err != nil || got.Name != "court" {
		t.Fatalf("after reopen: SourceByKey = %+v, %v", got, err)
	}
}
