package pebble

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/credo-org/credo"
)

// mountSmallDisk mounts a tmpfs of the given size (as root) and returns its
// path and a function that resizes it. Without root the test cannot run; CI
// runs as root and sets CREDO_REQUIRE_ROOT_TESTS so that a skip there fails.
func mountSmallDisk(t *testing.T, size string) (string, func(size string)) {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CREDO_REQUIRE_ROOT_TESTS") != "" {
			t.Fatalf("mount tmpfs: %v: %s", err, out)
		}
		t.Skipf("needs root to mount a small disk (%v: %s)", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir, func(size string) {
		if out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
			t.Fatalf("remount: %v: %s", err, out)
		}
	}
}

// TestDiskFull appends until the disk is full. The append that meets the
// full disk returns an error (no panic, no acknowledgement), later appends
// are refused, and once space is freed the ledger reopens, verifies and
// holds every acknowledged record.
func TestDiskFull(t *testing.T) {
	mnt, resize := mountSmallDisk(t, "12m")
	dir := filepath.Join(mnt, "data")
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var acked, next uint64 = 0, 1
	var appendErr error
	var lastBatch int
	for i := 0; i < 10000 && appendErr == nil; i++ {
		lastBatch = 200
		batch := make([]*credo.Record, lastBatch)
		for j := range batch {
			batch[j] = crashRecord(next + uint64(j))
		}
		if _, appendErr = s.Append(ctx, batch); appendErr == nil {
			next += uint64(lastBatch)
			acked = next - 1
		}
	}
	if appendErr == nil {
		t.Fatal("the disk never filled up")
	}
	t.Logf("after %d acknowledged records: %v", acked, appendErr)
	if _, err := s.Append(ctx, []*credo.Record{crashRecord(next)}); err == nil {
		t.Fatal("append after a failed write succeeded; the store must refuse until reopened")
	}
	s.Close() // may fail: the disk is full

	resize("256m")
	s, err = Open(dir, nil)
	if err != nil {
		t.Fatalf("reopen after freeing space: %v", err)
	}
	defer s.Close()
	head, _ := s.Head(ctx)
	if head.Seq != acked && head.Seq != acked+uint64(lastBatch) {
		t.Fatalf("ledger holds %d records; %d were acknowledged", head.Seq, acked)
	}
	rep, err := credo.Verify(ctx, s, nil)
	if err != nil || !rep.OK {
		t.Fatalf("verify after disk full: %+v %v", rep, err)
	}
	// And it takes appends again.
	res, err := s.Append(ctx, []*credo.Record{crashRecord(head.Seq + 1)})
	if err != nil || res[0].Status != credo.Appended {
		t.Fatalf("append after freeing space: %+v %v", res, errors.Unwrap(err))
	}
}
