//go:build !linux

package server

// ReleaseExecutablePages does nothing here: the mapping of an executable
// in large pages it undoes is Linux's.
func ReleaseExecutablePages() error { return nil }
