package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/server"
)

// TestGracefulShutdown: a request in flight when the server is told to stop
// is finished and answered; then Serve returns and the port is closed. Serve
// is given NewServer's *Server (as credo serve does), and an http.Handler
// wrapping it (which Serve serves through net/http's interface alone).
func TestGracefulShutdown(t *testing.T) {
	for _, wrap := range []bool{false, true} {
		t.Run(fmt.Sprintf("wrapped=%v", wrap), func(t *testing.T) { testGracefulShutdown(t, wrap) })
	}
}

func testGracefulShutdown(t *testing.T, wrap bool) {
	fx := newFixture(t) // for its store and keys; served here by Serve instead
	reg := prometheus.NewRegistry()
	s := server.NewServer(slog.New(slog.DiscardHandler), fx.store, server.Config{Registry: reg})
	started := make(chan struct{}, 1)
	var h http.Handler = s
	if wrap {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "POST" {
				started <- struct{}{}
			}
			s.ServeHTTP(w, r)
		})
	} else {
		go func() { // the request is in flight once the server counts it so
			for inFlight(t, reg) == 0 {
				time.Sleep(time.Millisecond)
			}
			started <- struct{}{}
		}()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- server.Serve(ctx, slog.New(slog.DiscardHandler), ln, h, time.Minute) }()

	body, w := io.Pipe()
	req, err := http.NewRequest("POST", "http://"+ln.Addr().String()+"/v1/sources/court/records", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+fx.keys["court"])
	type result struct {
		res *http.Response
		err error
	}
	done := make(chan result, 1)
	client := &http.Client{Transport: &http.Transport{}}
	go func() {
		res, err := client.Do(req)
		done <- result{res, err}
	}()
	io.WriteString(w, courtLine("(2024)鲁10执1号", "default", "2024-03-05", personOK, "1")+"\n")
	<-started
	cancel() // SIGINT, as far as Serve can tell
	io.WriteString(w, courtLine("(2024)鲁10执2号", "default", "2024-03-06", personOK, "2")+"\n")
	w.Close()

	r := <-done
	if r.err != nil {
		t.Fatalf("the request in flight failed: %v", r.err)
	}
	defer r.res.Body.Close()
	var got postResult
	if err := json.NewDecoder(r.res.Body).Decode(&got); err != nil || r.res.StatusCode != 200 || got.Appended != 2 {
		t.Fatalf("in-flight request: %d %+v %v", r.res.StatusCode, got, err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Fatal("the port still accepts connections after Serve returned")
	}
	if c, _ := fx.store.Counts(context.Background()); c.Records != 2 {
		t.Fatalf("records = %d", c.Records)
	}
}

// inFlight reads the server's gauge of requests in flight.
func inFlight(t *testing.T, reg *prometheus.Registry) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		t.Error(err)
		return 0
	}
	for _, mf := range mfs {
		if mf.GetName() == "credo_http_requests_in_flight" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return 0
}

// FuzzPostRecords: whatever the body, the answer is never a server error,
// and every line is accounted for.
func FuzzPostRecords(f *testing.F) {
	fx := newFixtureOpts(f, &pebble.Options{NoSync: true}) // durability is not under test: speed is
	for _, seed := range []string{
		mixedBody, "", "\n", "{}", "{}\n{}\n", "[", "[]", "null\n", "\"x\"\n", "{\"case_no\":1}",
		"\xff\xfe{}", "\ufeff" + courtLine("a", "default", "2024-03-05", personOK, "1"),
		courtLine("dup", "default", "2024-03-05", personOK, "1") + "\n" + courtLine("dup", "default", "2024-03-05", personOK, "2"),
		courtLine("future", "default", "2999-03-05", personOK, "1"),
		courtLine("neg", "default", "2024-03-05", personOK, "-1e999"),
		`{"case_no":"x\u0000y","type":"default","date":"2024-03-05"}`,
		`{"case_no":{"a":[1,2,{"b":null}]},"type":["default"],"date":true}`,
		strings.Repeat("{}\n", 200),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res := fx.do(t, "POST", "/v1/sources/court/records", strings.NewReader(string(body)),
			"Content-Type", "application/x-ndjson", "Authorization", "Bearer "+fx.keys["court"])
		if res.status >= 500 {
			t.Fatalf("status %d for body %q: %s", res.status, body, res.body)
		}
		if res.status != 200 {
			var e errorResult
			res.json(t, &e)
			if e.Error == "" {
				t.Fatalf("status %d without an error message: %s", res.status, res.body)
			}
			return
		}
		var r postResult
		res.json(t, &r)
		if r.Appended+r.Duplicates+r.Quarantined != r.LineCount || int64(len(r.Lines)) != r.LineCount {
			t.Fatalf("lines unaccounted for: %+v", r)
		}
	})
}
