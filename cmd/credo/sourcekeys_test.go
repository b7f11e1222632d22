package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/pebble"
)

// credoIn runs credo on the data directory dir.
func credoIn(t *testing.T, dir string, args ...string) (stdout string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), append([]string{"--data", dir}, args...), strings.NewReader(""), &out, &errOut)
	return out.String(), err
}

const courtSpec = "../../server/testdata/court.yaml"

func TestSourceAddPrintsKeyOnceAndStoresItsHash(t *testing.T) {
	dir := t.TempDir()
	out, err := credoIn(t, dir, "source", "add", "court", "--spec", courtSpec, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var added struct{ Name, Key string }
	if err := json.Unmarshal([]byte(out), &added); err != nil || added.Name != "court" || !credo.LooksLikeSourceKey(added.Key) {
		t.Fatalf("add --json: %q (%v)", out, err)
	}

	// Nothing on disk holds the key; the hash is there, which shows the
	// search would find what is stored.
	hash := credo.HashKey(added.Key)
	hexHash, _ := hash.MarshalText()
	var sawHash bool
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(added.Key)) || bytes.Contains(b, []byte(strings.TrimPrefix(added.Key, credo.SourceKeyPrefix))) {
			t.Errorf("%s holds the key", path)
		}
		sawHash = sawHash || bytes.Contains(b, hexHash) || bytes.Contains(b, hash[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sawHash {
		t.Fatal("the key's hash is nowhere in the data directory: the search cannot be trusted")
	}

	s, err := pebble.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	src, err := s.Source(context.Background(), "court")
	s.Close()
	if err != nil || src.KeyHash != hash || !strings.Contains(src.Spec, "source: court") || src.Agency == "" {
		t.Fatalf("stored source %+v, %v", src, err)
	}

	// The list never shows it either.
	for _, args := range [][]string{{"source", "list"}, {"source", "list", "--json"}} {
		out, err := credoIn(t, dir, args...)
		if err != nil || !strings.Contains(out, "court") || strings.Contains(out, added.Key) || strings.Contains(out, hex.EncodeToString(hash[:])) {
			t.Fatalf("%v: %q, %v", args, out, err)
		}
	}
}

func TestSourceAddText(t *testing.T) {
	dir := t.TempDir()
	out, err := credoIn(t, dir, "source", "add", "court", "--spec", courtSpec)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, credo.SourceKeyPrefix) {
			keys = append(keys, f)
		}
	}
	if len(keys) != 1 || !credo.LooksLikeSourceKey(keys[0]) {
		t.Fatalf("want the key printed once:\n%s", out)
	}
}

func TestSourceAddRotateRevoke(t *testing.T) {
	dir := t.TempDir()
	key := func(out string) string {
		var k struct{ Key string }
		if err := json.Unmarshal([]byte(out), &k); err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		return k.Key
	}
	out, err := credoIn(t, dir, "source", "add", "court", "--spec", courtSpec, "--json")
	if err != nil {
		t.Fatal(err)
	}
	first := key(out)
	if _, err := credoIn(t, dir, "source", "add", "court", "--spec", courtSpec); err == nil || !strings.Contains(err.Error(), "--rotate") {
		t.Fatalf("re-adding: %v, want an error pointing at --rotate", err)
	}
	if _, err := credoIn(t, dir, "source", "revoke", "court"); err != nil {
		t.Fatal(err)
	}
	out, err = credoIn(t, dir, "source", "list", "--json")
	var list []sourceListing
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].Revoked.IsZero() {
		t.Fatalf("list after revoke: %q, %v", out, err)
	}
	out, err = credoIn(t, dir, "source", "add", "court", "--spec", courtSpec, "--rotate", "--json")
	if err != nil {
		t.Fatal(err)
	}
	second := key(out)
	s, err := pebble.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.SourceByKey(ctx, credo.HashKey(first)); !errors.Is(err, credo.ErrNotFound) {
		t.Fatalf("the first key still works: %v", err)
	}
	src, err := s.SourceByKey(ctx, credo.HashKey(second))
	if err != nil || !src.Active() || src.Rotated.IsZero() || !src.Created.Before(src.Rotated) && !src.Created.Equal(src.Rotated) {
		t.Fatalf("after rotation: %+v, %v", src, err)
	}
}

func TestSourceAddErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"source", "add", "tax", "--spec", courtSpec}, `for source "court", not "tax"`},
		{[]string{"source", "add", "court", "--spec", "nonexistent.yaml"}, "nonexistent.yaml"},
		{[]string{"source", "add", "court"}, "spec"},
		{[]string{"source", "revoke", "nosuch"}, "not found"},
	} {
		if _, err := credoIn(t, dir, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error saying %q", c.args, err, c.want)
		}
	}
}
