package server

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ReleaseExecutablePages gives back the pages of the executable's code and
// read-only data that the process has mapped, and asks the kernel to map
// them again a small page at a time as they are used.
//
// The kernel may map a large executable's pages in 2 MiB pieces
// (transparent huge pages of the page cache): then every function touched
// once, at start or never again (flag parsing, the store's recovery, the
// table's load), keeps 2 MiB resident, and a server whose working set is
// a few hundred kilobytes of code shows tens of megabytes. Called once the
// server is ready, it leaves resident the code that serving uses. The
// pages are the file's, shared and clean: nothing is lost, a page used
// again is read back from the page cache.
func ReleaseExecutablePages() error {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return fmt.Errorf("release executable pages: %w", err)
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return fmt.Errorf("release executable pages: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 00400000-00c5e000 r-xp 00000000 fd:00 1234 /path/to/exe
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != exe || (fields[1] != "r-xp" && fields[1] != "r--p") {
			continue // only code and read-only data: never pages the process wrote
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		for _, advice := range []uintptr{syscall.MADV_NOHUGEPAGE, syscall.MADV_DONTNEED} {
			if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, uintptr(start), uintptr(end-start), advice); errno != 0 {
				return fmt.Errorf("release executable pages %s: madvise: %w", fields[0], errno)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("release executable pages: %w", err)
	}
	return nil
}
