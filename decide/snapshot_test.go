package decide_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/decide"
	"github.com/credo-org/credo/policy"
)

// snapshotStandings are standings of people and organisations under
// every shipped policy that scores them, and the subjects.
func snapshotStandings(prgs []*policy.Program, n int) ([]credo.Standing, []credo.SubjectRef) {
	var sts []credo.Standing
	var refs []credo.SubjectRef
	for i := range n {
		ref := credo.SubjectRef{Kind: credo.Person, ID: fmt.Sprintf("110101%012dX", i)}
		if i%3 == 0 {
			ref = credo.SubjectRef{Kind: credo.Organization, ID: fmt.Sprintf("91350200%09dX", i)}
		}
		refs = append(refs, ref)
		for _, p := range prgs {
			if !p.Scores(ref.Kind) {
				continue
			}
			pol := p.Policy()
			st := credo.Standing{Subject: ref, Jurisdiction: p.Jurisdiction, PolicyVersion: p.VersionID(),
				Score: float64(400 + i%800), Grade: pol.Grades[i%len(pol.Grades)].Grade}
			if i%29 == 0 && len(pol.Lists) > 0 {
				st.Lists = []credo.Membership{{List: pol.Lists[i%len(pol.Lists)].Name}}
			}
			if i%53 == 0 {
				st.GradeReason.By = "direct"
			}
			sts = append(sts, st)
		}
	}
	return sts, append(refs, credo.SubjectRef{Kind: credo.Organization, ID: "913502009999999999"})
}

// snapshotted is a table of snapshotStandings' n subjects, its snapshot as
// of standings version "v1", and the subjects.
func snapshotted(t testing.TB, prgs []*policy.Program, n int) (*decide.Table, []byte, []credo.SubjectRef) {
	sts, refs := snapshotStandings(prgs, n)
	tb := load(t, prgs, sts)
	var buf bytes.Buffer
	if err := tb.WriteSnapshot(&buf, "v1"); err != nil {
		t.Fatal(err)
	}
	return tb, buf.Bytes(), refs
}

// TestSnapshotRoundTrip writes a table's snapshot and reads it into
// another table, which then answers as the first for every subject —
// organisations too, keyed under the first table's seed — takes updates
// as the first does, and costs as many bytes a subject.
func TestSnapshotRoundTrip(t *testing.T) {
	prgs := shipped(t, nil)
	tb, snap, refs := snapshotted(t, prgs, 20_000)
	got, err := decide.New(prgs)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.ReadSnapshot(bytes.NewReader(snap), "v1"); err != nil {
		t.Fatal(err)
	}
	if got.Len() != tb.Len() || got.Profiles() != tb.Profiles() || got.BytesPerSubject() != tb.BytesPerSubject() {
		t.Fatalf("read: %d subjects, %d profiles, %.2f bytes each; written: %d, %d, %.2f",
			got.Len(), got.Profiles(), got.BytesPerSubject(), tb.Len(), tb.Profiles(), tb.BytesPerSubject())
	}
	sameLookups(t, got, tb, refs)
	for _, r := range refs[:500] {
		if got.Key(r) != tb.Key(r) {
			t.Fatalf("%s: key %x, written %x", r, got.Key(r), tb.Key(r))
		}
		for _, a := range tb.Actions() {
			if g, w := got.Decide(r, a, nil), tb.Decide(r, a, nil); g.Effect != w.Effect || g.Known != w.Known || !slices.Equal(g.Reasons(), w.Reasons()) {
				t.Fatalf("%s %s: %v %v, written %v %v", r, a, g.Effect, g.Reasons(), w.Effect, w.Reasons())
			}
		}
	}
	// updated alike: a subject changed, one new
	more, moreRefs := snapshotStandings(prgs, 20_002)
	for _, st := range append(more[len(more)-8:], more[0]) {
		st.Score, st.Grade = 123, prgs[0].Policy().Grades[0].Grade
		tb.Update(&st)
		got.Update(&st)
	}
	sameLookups(t, got, tb, moreRefs)
}

// TestSnapshotRefused: a snapshot of other standings, or of a table made
// for other policies, is stale; one cut, changed or lengthened anywhere is
// damaged; either way the table reading it is left as it was.
func TestSnapshotRefused(t *testing.T) {
	prgs := shipped(t, nil)
	tb, snap, refs := snapshotted(t, prgs, 3000)
	other, _ := snapshotStandings(prgs, 10)
	reader := load(t, prgs, other)
	read := func(what string, b []byte, version string, want error) {
		t.Helper()
		if err := reader.ReadSnapshot(bytes.NewReader(b), version); !errors.Is(err, want) {
			t.Fatalf("%s: %v, want %v", what, err, want)
		}
		if reader.Len() != 10 {
			t.Fatalf("%s: the table holds %d subjects, want the 10 it held", what, reader.Len())
		}
	}
	read("of other standings", snap, "v2", decide.ErrStaleSnapshot)
	fewer := load(t, prgs[:len(prgs)-1], nil)
	if err := fewer.ReadSnapshot(bytes.NewReader(snap), "v1"); !errors.Is(err, decide.ErrStaleSnapshot) {
		t.Fatalf("made for other policies: %v", err)
	}
	read("empty", nil, "v1", decide.ErrDamagedSnapshot)
	for _, n := range []int{1, 8, 15, 16, 40, len(snap) / 2, len(snap) - 4, len(snap) - 1} {
		read(fmt.Sprintf("cut to %d bytes", n), snap[:n], "v1", decide.ErrDamagedSnapshot)
	}
	read("lengthened", append(bytes.Clone(snap), 0), "v1", decide.ErrDamagedSnapshot)
	for _, at := range []int{0, 7, 16, 20, 30, 60, len(snap) / 3, len(snap) / 2, len(snap) - 20, len(snap) - 1} {
		b := bytes.Clone(snap)
		b[at] ^= 0x10
		read(fmt.Sprintf("byte %d changed", at), b, "v1", decide.ErrDamagedSnapshot)
	}
	b := bytes.Clone(snap)
	b[8]++ // the format
	read("of another format", b, "v1", decide.ErrStaleSnapshot)
	// and read whole, it still answers
	if err := reader.ReadSnapshot(bytes.NewReader(snap), "v1"); err != nil {
		t.Fatal(err)
	}
	sameLookups(t, reader, tb, refs)
}

// FuzzReadSnapshot: whatever the bytes, reading them as a snapshot ends
// in the table read or in an error, never in a panic.
func FuzzReadSnapshot(f *testing.F) {
	prgs := shipped(f, nil)
	_, snap, _ := snapshotted(f, prgs, 50)
	f.Add(snap)
	f.Add(snap[:60])
	got, err := decide.New(prgs)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := got.ReadSnapshot(bytes.NewReader(b), "v1"); err == nil {
			got.Lookup(credo.SubjectRef{Kind: credo.Person, ID: "110101000000000003X"})
		}
	})
}

// TestLoadStandingsSnapshot loads a table from a real store's standings
// as `credo serve` does at start: the first time built from the standings
// and saved, then read from the snapshot; built again, and saved again,
// when a standing was stored since, when the snapshot is damaged and when
// it is missing; every time answering as a table built one Update at a
// time.
func TestLoadStandingsSnapshot(t *testing.T) {
	ctx := context.Background()
	prgs := shipped(t, nil)
	s := openStore(t)
	sts, refs := snapshotStandings(prgs, 4000)
	for _, p := range prgs {
		var mine []*credo.Standing
		for i := range sts {
			if sts[i].Jurisdiction == p.Jurisdiction {
				mine = append(mine, &sts[i])
			}
		}
		slices.SortFunc(mine, func(a, b *credo.Standing) int {
			return cmp.Or(cmp.Compare(a.Subject.Kind, b.Subject.Kind), strings.Compare(a.Subject.ID, b.Subject.ID))
		})
		if err := s.ReplaceStandings(ctx, p.Jurisdiction, mine); err != nil {
			t.Fatal(err)
		}
	}
	ref := updated(t, prgs, sts)
	path := filepath.Join(t.TempDir(), "decision-table")
	start := func(what string, fromSnapshot bool, says string) {
		t.Helper()
		var logs bytes.Buffer
		tb, err := decide.New(prgs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tb.LoadStandingsSnapshot(ctx, slog.New(slog.NewTextHandler(&logs, nil)), s, path)
		if err != nil {
			t.Fatal(err)
		}
		if got != fromSnapshot || !strings.Contains(logs.String(), says) {
			t.Fatalf("%s: from the snapshot %v, want %v; log:\n%s", what, got, fromSnapshot, logs.String())
		}
		sameLookups(t, tb, ref, refs)
	}
	start("the first time", false, "no snapshot")
	start("the second", true, "read from its snapshot")
	changed := sts[1]
	changed.Grade, changed.Score = prgs[0].Policy().Grades[0].Grade, 5
	changed.Jurisdiction, changed.PolicyVersion = prgs[0].Jurisdiction, prgs[0].VersionID()
	if err := s.PutStandings(ctx, []*credo.Standing{&changed}); err != nil {
		t.Fatal(err)
	}
	ref.Update(&changed)
	start("a standing stored since", false, "not of the stored standings")
	start("then", true, "read from its snapshot")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	start("cut in half", false, "cut short")
	start("then", true, "read from its snapshot")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	start("removed", false, "no snapshot")
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	tb, err := decide.New(prgs)
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.LoadSnapshot(filepath.Join(t.TempDir(), "none"), "v"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a missing snapshot: %v", err)
	}
}

// TestSnapshotCurrent: the header alone tells a snapshot of these
// standings and policies from one of others, or none.
func TestSnapshotCurrent(t *testing.T) {
	tb, _, _ := snapshotted(t, shipped(t, nil), 1000)
	path := filepath.Join(t.TempDir(), "decision-table")
	if tb.SnapshotCurrent(path, "v1") {
		t.Fatal("no snapshot is current")
	}
	if err := tb.SaveSnapshot(path, "v1"); err != nil {
		t.Fatal(err)
	}
	if !tb.SnapshotCurrent(path, "v1") {
		t.Error("the snapshot just saved is not current")
	}
	if tb.SnapshotCurrent(path, "v2") {
		t.Error("a snapshot of other standings is current")
	}
}
