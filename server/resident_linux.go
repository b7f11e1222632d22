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
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return fmt.Errorf("release executable pages: %w", err)
	}
	defer f.Close()
	// A mapping's header line, then its counters; a mapping is released
	// once its counters are read, and only if none of its pages is the
	// process's own copy (Anonymous: 0 kB) — a page relocated at start
	// (a position-independent build's read-only data) must not go back
	// to the file's bytes.
	var (
		cur     string // the header of the mapping being read, if it is a candidate
		private bool   // it has pages of its own
	)
	release := func() error {
		if cur == "" || private {
			return nil
		}
		lo, hi, _ := strings.Cut(strings.Fields(cur)[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			return nil
		}
		for _, advice := range []uintptr{syscall.MADV_NOHUGEPAGE, syscall.MADV_DONTNEED} {
			if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, uintptr(start), uintptr(end-start), advice); errno != 0 {
				return fmt.Errorf("release executable pages %s: madvise: %w", cur, errno)
			}
		}
		return nil
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 2 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			// 00400000-00c5e000 r-xp 00000000 fd:00 1234 /path/to/exe
			if err := release(); err != nil {
				return err
			}
			cur, private = "", false
			if len(fields) >= 6 && fields[5] == exe && (fields[1] == "r-xp" || fields[1] == "r--p") {
				cur = line // only code and read-only data: never pages the process wrote
			}
			continue
		}
		if cur != "" && len(fields) >= 2 && fields[0] == "Anonymous:" && fields[1] != "0" {
			private = true
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("release executable pages: %w", err)
	}
	return release()
}
