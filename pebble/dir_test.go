package pebble

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	pebbledb "github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

func fill(t *testing.T, s *Store, n int) {
	t.Helper()
	var batch []*credo.Record
	for i := 1; i <= n; i++ {
		batch = append(batch, crashRecord(uint64(i)))
	}
	if _, err := s.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
}

// TestTamper alters stored records behind the store's back, the way someone
// with access to the disk might, and checks that Verify names the record.
func TestTamper(t *testing.T) {
	tests := []struct {
		name   string
		alter  func(t *testing.T, db *pebbledb.DB)
		broken uint64
	}{
		{"payload byte changed", func(t *testing.T, db *pebbledb.DB) {
			v := get(t, db, recordKey(nil, 42))
			i := strings.Index(string(v), "traffic.fine")
			v[i] = 'T' // a different kind, same length
			set(t, db, recordKey(nil, 42), v)
		}, 42},
		{"payload and its hash rewritten", func(t *testing.T, db *pebbledb.DB) {
			// The forger recomputes record 10's hash; record 11 still
			// chains from the original, so the break shows there.
			prev := get(t, db, recordKey(nil, 9))
			r := crashRecord(10)
			r.Attributes.Set("amount", credo.Number(1))
			enc := r.AppendCanonical(nil)
			var ph [32]byte
			copy(ph[:], prev[:32])
			h := credo.ChainHash(ph, 10, enc)
			set(t, db, recordKey(nil, 10), append(h[:], enc...))
		}, 11},
		{"record deleted", func(t *testing.T, db *pebbledb.DB) {
			if err := db.Delete(recordKey(nil, 77), pebbledb.Sync); err != nil {
				t.Fatal(err)
			}
		}, 77},
		{"last record rewritten with hash", func(t *testing.T, db *pebbledb.DB) {
			prev := get(t, db, recordKey(nil, 99))
			r := crashRecord(100)
			r.Kind = "charity.blood_donation"
			enc := r.AppendCanonical(nil)
			var ph [32]byte
			copy(ph[:], prev[:32])
			h := credo.ChainHash(ph, 100, enc)
			set(t, db, recordKey(nil, 100), append(h[:], enc...))
		}, 100}, // caught by the stored head
		{"garbage value", func(t *testing.T, db *pebbledb.DB) {
			set(t, db, recordKey(nil, 5), []byte("not a record"))
		}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			fill(t, s, 100)
			rep, err := credo.Verify(context.Background(), s, nil)
			if err != nil || !rep.OK {
				t.Fatalf("before tampering: %+v %v", rep, err)
			}
			s.Close()

			db, err := pebbledb.Open(filepath.Join(dir, "ledger"), &pebbledb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			tc.alter(t, db)
			db.Close()

			s, err = Open(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rep, err = credo.Verify(context.Background(), s, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.BrokenAt != tc.broken {
				t.Fatalf("Verify = %+v, want broken at %d", rep, tc.broken)
			}
			t.Log(rep.Reason)
		})
	}
}

func get(t *testing.T, db *pebbledb.DB, k []byte) []byte {
	t.Helper()
	v, c, err := db.Get(k)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return append([]byte(nil), v...)
}

func set(t *testing.T, db *pebbledb.DB, k, v []byte) {
	t.Helper()
	if err := db.Set(k, v, pebbledb.Sync); err != nil {
		t.Fatal(err)
	}
}

func TestDataDirectory(t *testing.T) {
	t.Run("not credo's", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "thesis.docx"), []byte("x"), 0o600)
		_, err := Open(dir, nil)
		if err == nil || !strings.Contains(err.Error(), "not a credo data directory") || !strings.Contains(err.Error(), dir) {
			t.Fatalf("err = %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "ledger")); err == nil {
			t.Fatal("wrote into a foreign directory")
		}
	})
	t.Run("newer version", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, markerName), []byte("credo data directory\nformat 99\n"), 0o600)
		_, err := Open(dir, nil)
		if err == nil || !strings.Contains(err.Error(), "newer credo") || !strings.Contains(err.Error(), dir) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("bad marker", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, markerName), []byte("hello"), 0o600)
		if _, err := Open(dir, nil); err == nil || !strings.Contains(err.Error(), dir) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("created when missing", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "a", "b")
		s, err := Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		if _, err := os.Stat(filepath.Join(dir, markerName)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("locked by another process", func(t *testing.T) {
		dir := t.TempDir()
		s, err := Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		// Another process: this test binary again, opening the same directory.
		cmd := exec.Command(os.Args[0], "-test.run=^TestOpenChild$")
		cmd.Env = append(os.Environ(), "CREDO_OPEN_CHILD="+dir)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), "in use by another process") || !strings.Contains(string(out), dir) {
			t.Fatalf("second process said: %s", out)
		}
	})
}

// TestOpenChild is the other process of the lock test.
func TestOpenChild(t *testing.T) {
	dir := os.Getenv("CREDO_OPEN_CHILD")
	if dir == "" {
		t.Skip("child process of TestDataDirectory; runs only when started by it")
	}
	_, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Fatal("opened a locked directory")
}
