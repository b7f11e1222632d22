package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
	type frames map[uint64][]byte // the chain's payloads (hash ‖ canonical) by sequence number
	tests := []struct {
		name   string
		alter  func(t *testing.T, dir string, f frames)
		broken uint64
	}{
		{"payload byte changed", func(t *testing.T, dir string, f frames) {
			// In place, in the file: the frame's checksum no longer holds.
			log := filepath.Join(dir, chainDirName, segmentName(1)+".log")
			b, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			i := bytes.Index(b, []byte("c-000000042"))
			b[i+bytes.Index(b[i:], []byte("traffic.fine"))] = 'T' // a different kind, same length
			if err := os.WriteFile(log, b, 0o640); err != nil {
				t.Fatal(err)
			}
		}, 42},
		{"payload and its hash rewritten", func(t *testing.T, dir string, f frames) {
			// The forger recomputes record 10's hash and its frame's
			// checksum; record 11 still chains from the original, so the
			// break shows there.
			r := crashRecord(10)
			r.Attributes.Set("amount", credo.Number(1))
			enc := r.AppendCanonical(nil)
			var ph [32]byte
			copy(ph[:], f[9][:32])
			h := credo.ChainHash(ph, 10, enc)
			f[10] = append(h[:], enc...)
			writeChain(t, dir, f)
		}, 11},
		{"record deleted", func(t *testing.T, dir string, f frames) {
			delete(f, 77)
			writeChain(t, dir, f)
		}, 77},
		{"last record rewritten with hash", func(t *testing.T, dir string, f frames) {
			r := crashRecord(100)
			r.Kind = "charity.blood_donation"
			enc := r.AppendCanonical(nil)
			var ph [32]byte
			copy(ph[:], f[99][:32])
			h := credo.ChainHash(ph, 100, enc)
			f[100] = append(h[:], enc...)
			writeChain(t, dir, f)
		}, 100}, // caught by the stored head
		{"garbage value", func(t *testing.T, dir string, f frames) {
			f[5] = []byte("not a record")
			writeChain(t, dir, f)
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
			f := frames{}
			if _, err := s.chain.scan(1, 100, func(seq uint64, p []byte) error {
				f[seq] = bytes.Clone(p)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			s.Close()

			tc.alter(t, dir, f)

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

// writeChain writes the chain of dir anew, one segment holding the frames
// of f in sequence order (each its own append), as a forger would.
func writeChain(t *testing.T, dir string, f map[uint64][]byte) {
	t.Helper()
	chain := filepath.Join(dir, chainDirName)
	if err := os.RemoveAll(chain); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(chain, 0o750); err != nil {
		t.Fatal(err)
	}
	var log, idx []byte
	for _, seq := range slices.Sorted(maps.Keys(f)) {
		idx = binary.BigEndian.AppendUint32(idx, uint32(len(log)))
		log = appendFrame(log, seq, f[seq], true)
	}
	base := filepath.Join(chain, segmentName(1))
	if err := errors.Join(os.WriteFile(base+".log", log, 0o640), os.WriteFile(base+".idx", idx, 0o640)); err != nil {
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
