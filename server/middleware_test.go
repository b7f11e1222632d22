package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRecoverPanics(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	m := newMetrics(prometheus.NewRegistry(), logger, nil)
	mux := http.NewServeMux()
	mux.Handle("GET /boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	srv := httptest.NewServer(observe(logger, m, recoverPanics(logger, mux)))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var e errorBody
	if res.StatusCode != 500 || json.Unmarshal(b, &e) != nil || !strings.Contains(e.Error, res.Header.Get("X-Request-ID")) {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
	for _, want := range []string{`"msg":"panic serving request"`, `"panic":"boom"`, `"stack":`, `"status":500`, `"route":"GET /boom"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
}

func TestBearerToken(t *testing.T) {
	for _, c := range []struct {
		h, token    string
		present, ok bool
	}{
		{"", "", false, false},
		{"Bearer abc", "abc", true, true},
		{"bearer  abc ", "abc", true, true},
		{"Bearer", "", true, false},
		{"Bearer ", "", true, false},
		{"Basic abc", "", true, false},
		{"Bearer a b", "", true, false},
		{"abc", "", true, false},
	} {
		token, present, ok := bearerToken(c.h)
		if token != c.token || present != c.present || ok != c.ok {
			t.Errorf("bearerToken(%q) = %q, %v, %v", c.h, token, present, ok)
		}
	}
}
