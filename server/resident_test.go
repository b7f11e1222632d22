package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/credo-org/credo/server"
)

// TestReleaseExecutablePages gives back the executable's mapped pages and
// serves a request afterwards: the code comes back as it is used. Where
// the system says how much of the executable is resident (smaps), what
// comes back is less than what was: the code serving used, not what
// starting used.
func TestReleaseExecutablePages(t *testing.T) {
	before := executableResident(t)
	if before == 0 {
		t.Fatal("none of the executable is resident before the release")
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
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz after the release: %s", res.Status)
	}
	if before < 0 {
		return // not measured here
	}
	after := executableResident(t)
	t.Logf("executable resident: %d kB before the release, %d kB after it and a request", before, after)
	if after >= before {
		t.Errorf("executable resident: %d kB before the release, %d kB after: nothing was given back", before, after)
	}
}
