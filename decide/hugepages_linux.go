package decide

import (
	"syscall"
	"unsafe"
)

// adviseHugePages asks the kernel to back the 2 MiB pages that s's array
// covers whole with huge pages. The index is read at random, a subject a
// decision: in 4 KiB pages nearly every read also misses the TLB and walks
// the page tables (itself a cache miss or two), in 2 MiB pages the few
// entries stay in the TLB. It is advice: the kernel may refuse (THP set to
// never), and then nothing changes.
func adviseHugePages[T any](s []T) {
	if len(s) == 0 {
		return
	}
	const huge = 2 << 20
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	start := (p + huge - 1) &^ (huge - 1)
	end := (p + uintptr(len(s))*unsafe.Sizeof(s[0])) &^ (huge - 1)
	if end > start {
		syscall.Syscall(syscall.SYS_MADVISE, start, end-start, syscall.MADV_HUGEPAGE)
	}
}
