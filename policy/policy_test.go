package policy

import (
	"os"
	"path/filepath"
	"testing"
)

// TestShippedPacks checks, compiles and runs the table tests of every pack
// in policies/.
func TestShippedPacks(t *testing.T) {
	files, _ := filepath.Glob("../policies/*.yaml")
	if len(files) == 0 {
		t.Fatal("no packs in ../policies")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			prg := mustLoad(t, f)
			results := RunTests(prg)
			if len(results) == 0 {
				t.Errorf("%s has no tests", f)
			}
			for _, r := range results {
				if !r.Pass {
					t.Error(r.String())
				}
			}
		})
	}
}

func mustLoad(t testing.TB, path string) *Program {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	prg, err := Load(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return prg
}
