package server_test

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/credo-org/credo/server"
)

// TestReleaseExecutablePagesShrinks reads how much of the executable is
// resident (smaps) before the release and after it and a request served:
// the code serving used comes back, not what starting used.
func TestReleaseExecutablePagesShrinks(t *testing.T) {
	before := executableResident(t)
	if before == 0 {
		t.Fatal("smaps shows none of the executable resident before the release")
	}
	if err := server.ReleaseExecutablePages(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.NewServer(nil, nil, server.Config{}))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	after := executableResident(t)
	t.Logf("executable resident: %d kB before the release, %d kB after it and a request", before, after)
	if after >= before {
		t.Errorf("executable resident: %d kB before the release, %d kB after: nothing was given back", before, after)
	}
}

// executableResident sums the Rss (kB) of the executable's read-only
// mappings, code and data, as /proc/self/smaps lists them.
func executableResident(t *testing.T) int {
	t.Helper()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, in := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) >= 2 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":"):
			in = len(fields) >= 6 && fields[5] == exe && (fields[1] == "r-xp" || fields[1] == "r--p")
		case in && len(fields) >= 2 && fields[0] == "Rss:":
			kb, err := strconv.Atoi(fields[1])
			if err != nil {
				t.Fatalf("smaps: %q: %v", sc.Text(), err)
			}
			sum += kb
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sum
}
