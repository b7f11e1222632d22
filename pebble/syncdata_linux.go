package pebble

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncData makes f's data durable, and of its metadata what reading the
// data back needs (its size): fdatasync, which skips the times.
func syncData(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
