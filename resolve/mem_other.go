//go:build !unix

package resolve

import "runtime"

// PeakRSS is the most memory the Go runtime has obtained from the system
// (getrusage is not available here).
func PeakRSS() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Sys
}
