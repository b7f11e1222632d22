//go:build !linux

package pebble

import "os"

// syncData makes f's data durable: where there is no fdatasync, fsync.
func syncData(f *os.File) error { return f.Sync() }
