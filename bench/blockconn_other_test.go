//go:build !linux

package bench

import (
	"io"
	"time"
)

// dialBlocking is dialDeadline here.
func dialBlocking(addr string, timeout time.Duration) (io.ReadWriteCloser, error) {
	return dialDeadline(addr, timeout)
}
