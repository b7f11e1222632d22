package server

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ReleaseExecutablePages gives back the pages of the executable's code and
// read-only data that the process has mapped, and asks the kernel to map
// them again a small page at a time as they are used.
//
// The kernel keeps a large executable in the page cache in large folios
// (up to 2 MiB, as readahead made them) and maps a whole folio on a fault:
// then every function touched once, at start or never again (flag parsing,
// the store's recovery, the table's load), and every stretch of type data
// and line tables the runtime reads, keeps its folio resident, and a
// server whose working set is a few hundred kilobytes of code shows tens
// of megabytes. Called once the server is ready, it unmaps those pages,
// turns readahead off for the mappings (so a page read again is read alone,
// in a small folio) and drops the file's cached folios that nothing maps,
// so that what comes back is the code that serving uses. The pages are the
// file's, shared and clean: nothing is lost, a page used again is read
// back from the file — from the disk, the first time, a page at a time, so
// the first request down a path not taken since start waits for those
// reads (here 10–25 ms for the first decision, and for the first refusal).
func ReleaseExecutablePages() error {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return fmt.Errorf("release executable pages: %w", err)
	}
	maps, err := executableMappings(exe)
	if err != nil {
		return fmt.Errorf("release executable pages: %w", err)
	}
	for _, m := range maps {
		for _, advice := range []int{unix.MADV_NOHUGEPAGE, unix.MADV_RANDOM, unix.MADV_DONTNEED} {
			if err := m.advise(advice); err != nil {
				return fmt.Errorf("release executable pages: madvise %d: %w", advice, err)
			}
		}
	}
	// The file's cached folios are still large; dropping those nobody maps
	// makes the next fault read a small one. Another process running the
	// same executable keeps the folios it maps, and so do these few lines,
	// which run from folios mapped again since the madvise.
	if f, err := os.Open(exe); err == nil {
		// A file written a moment ago (a freshly built binary) still has
		// dirty folios, which stay cached until written back. Where a file
		// system refuses to sync a file opened for reading, they stay.
		_ = f.Sync()
		err = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		f.Close()
		if err != nil {
			return fmt.Errorf("release executable pages: drop %s from the page cache: %w", exe, err)
		}
	}
	// Those last folios go too where the kernel lets this process page
	// out the file (it owns it or may write it); elsewhere they stay.
	for _, m := range maps {
		if err := m.advise(unix.MADV_PAGEOUT); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EPERM) {
			return fmt.Errorf("release executable pages: madvise pageout: %w", err)
		}
	}
	return nil
}

// executableMappings returns the mappings of exe's code and read-only data
// none of whose pages is the process's own copy (Anonymous: 0 kB): a page
// relocated at start (a position-independent build's read-only data) must
// not go back to the file's bytes.
func executableMappings(exe string) ([]mapping, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		maps    []mapping
		cur     string // the header of the mapping being read, if it is a candidate
		private bool   // it has pages of its own
	)
	done := func() {
		if cur == "" || private {
			return
		}
		lo, hi, _ := strings.Cut(strings.Fields(cur)[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			return
		}
		maps = append(maps, mapping{uintptr(start), uintptr(end - start)})
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 2 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			// 00400000-00c5e000 r-xp 00000000 fd:00 1234 /path/to/exe
			done()
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
		return nil, err
	}
	done()
	return maps, nil
}

// A mapping is a range of the process's address space, as smaps lists it.
type mapping struct{ start, length uintptr }

// advise is madvise(2) on the mapping, by address: the range is not Go
// memory, so it is never made a slice.
func (m mapping) advise(advice int) error {
	if _, _, errno := unix.Syscall(unix.SYS_MADVISE, m.start, m.length, uintptr(advice)); errno != 0 {
		return errno
	}
	return nil
}
