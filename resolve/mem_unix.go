//go:build unix

package resolve

import (
	"runtime"
	"syscall"
	"time"
)

// PeakRSS is the process's peak resident set size in bytes, as getrusage
// reports it; where it cannot, the most memory the Go runtime has obtained
// from the system.
func PeakRSS() uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil && ru.Maxrss > 0 {
		if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
			return uint64(ru.Maxrss) // bytes there, kilobytes elsewhere
		}
		return uint64(ru.Maxrss) * 1024
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Sys
}

// CPUTime is the processor time (user and system) the process has used.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
