//go:build !linux

package decide

// adviseHugePages does nothing here: the advice it gives is Linux's.
func adviseHugePages[T any](s []T) {}
