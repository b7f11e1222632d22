package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/credo-org/credo/server"
)

// TestReleaseExecutablePages gives back the executable's mapped pages and
// serves a request afterwards: the code comes back as it is used.
func TestReleaseExecutablePages(t *testing.T) {
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
}
