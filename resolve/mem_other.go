//go:build !unix

package resolve

import (
	"runtime"
	"time"
)

// PeakRSS is the most memory the Go runtime has obtained from the system
// (getrusage is not available here).
func PeakRSS() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Sys
}

// CPUTime is not known here: 0.
func CPUTime() time.Duration { return 0 }
