package synth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

// The golden digests pin the bytes a seed makes. They were computed before
// the generator was tuned for speed, so that any change to its internals
// is shown to leave every city as it was. A change that means to alter the
// output must say so and update them.

func TestGoldenCity(t *testing.T) {
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, China)
	for _, tc := range []struct {
		name                 string
		cfg                  Config
		people, orgs, events int
		want                 string
	}{
		{"seed 42", Config{Seed: 42, People: 5000}, 5000, 250, 20000,
			"69070c2156aaea711340de25352cb14480a173c1dadf1f002ae2864c88a617de"},
		{"seed 3, every event", Config{Seed: 3, People: 20000}, 0, 0, -1,
			"9fa67739a9e3fd98ef4ca5b8ed7c4aa93576e4f4f3ebb2dfcb8b19208ec9f28c"},
		{"seed 9, two years from 2023", Config{Seed: 9, People: 3000, Orgs: 400, Start: start, End: start.AddDate(2, 0, 0)}, 3000, 400, -1,
			"8807d01a67d52d80e1ca29fa27f8d9675d94e7cf31d14d684a825b5d2c78eebe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, procs := range []int{1, 2} {
				prev := runtime.GOMAXPROCS(procs)
				sum := digest(t, newCity(t, tc.cfg), tc.people, tc.orgs, tc.events)
				runtime.GOMAXPROCS(prev)
				if got := hex.EncodeToString(sum[:]); got != tc.want {
					t.Errorf("GOMAXPROCS %d: digest %s, want %s", procs, got, tc.want)
				}
			}
		})
	}
}

func TestGoldenAgencies(t *testing.T) {
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, China)
	c := newCity(t, Config{Seed: 5, People: 4000, Start: start, End: start.AddDate(3, 0, 0)})
	dir := t.TempDir()
	m, err := WriteAgencies(context.Background(), c, dir, AgencyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	m.Dir = ""
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(b)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.Name() != "manifest.json" {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(name))
		h.Write(b)
	}
	const want = "dbdf8367061d120aeefd5a1646e6a72874e9920eb2c6c5af9c61532a5a1b621f"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("digest %s, want %s", got, want)
	}
}
