package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/server"
)

// The decision routes are served natively by fasthttp in Serve and by
// net/http through NewServer's handler. These tests ask both the same
// requests and check each answer, and that the two transports answer
// alike, byte for byte but for what is random (notice ids, new request
// ids), so that they cannot drift apart.

// serverOn serves the fixture's store under cfg over transport, logging
// to the fixture's logs.
func (f *azFixture) serverOn(t testing.TB, transport string, cfg server.Config) *testServer {
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return serveOn(t, transport, logger, server.NewServer(logger, f.store, cfg))
}

// bothTransports is the fixture's decision server over each transport.
func (f *azFixture) bothTransports(t testing.TB, cfg server.Config) map[string]*testServer {
	out := map[string]*testServer{}
	for _, tr := range transports {
		out[tr] = f.serverOn(t, tr, cfg)
	}
	return out
}

// unsized hides a body's length, so that the client sends it chunked.
type unsized struct{ io.Reader }

var random = regexp.MustCompile(`aan_[0-9a-f]+|\(request [0-9a-f]{24}\)`)

// same reports how a and b differ as a client sees them, "" if not.
func same(a, b response) string {
	if a.status != b.status {
		return fmt.Sprintf("status %d vs %d", a.status, b.status)
	}
	for _, h := range []string{"Content-Type", "X-Content-Type-Options", "WWW-Authenticate", "Allow"} {
		if a.header.Get(h) != b.header.Get(h) {
			return fmt.Sprintf("%s %q vs %q", h, a.header.Get(h), b.header.Get(h))
		}
	}
	if x, y := random.ReplaceAllString(string(a.body), "…"), random.ReplaceAllString(string(b.body), "…"); x != y {
		return fmt.Sprintf("body\n%s\nvs\n%s", x, y)
	}
	return ""
}

func TestDecisionRoutesBothTransports(t *testing.T) {
	f := newAZFixture(t)
	f.keys["source"] = f.keys["court"]
	f.keys["forged"] = credo.NewConsumerKey()
	srvs := f.bothTransports(t, server.Config{MaxBodyBytes: maxBody, Decisions: f.table, Audit: f.audit})

	eval := func(id, action string) string { return evalBody("person", id, action) }
	batch := `{"action": {"name": "flight.book"}, "context": {"purpose": "ticketing"}, "evaluations": [` +
		`{"subject": {"type": "person", "id": "` + clean + `"}}, {"subject": {"type": "person", "id": "` + debtor + `"}}, ` +
		`{"subject": {"type": "person", "id": "` + clean + `"}}]}`
	big := func(n int) string { return `{"pad": "` + strings.Repeat("x", n) + `"}` }
	type check func(t *testing.T, r response)
	field := func(want string) check {
		return func(t *testing.T, r response) {
			var e errorResult
			r.json(t, &e)
			if e.Field != want || e.Error == "" {
				t.Errorf("error %+v, want field %q", e, want)
			}
		}
	}
	challenge := func(want string) check {
		return func(t *testing.T, r response) {
			if got := r.header.Get("WWW-Authenticate"); got != want {
				t.Errorf("WWW-Authenticate %q, want %q", got, want)
			}
			field("Authorization")(t, r)
		}
	}
	decision := func(want bool) check {
		return func(t *testing.T, r response) {
			var e evalResponse
			r.json(t, &e)
			if e.Decision != want || e.Context.PolicyVersion == "" || (!want && e.Context.NoticeID == "") {
				t.Errorf("answer %s", r.body)
			}
		}
	}
	cases := []struct {
		name, who, method, path string
		body                    string
		chunked                 bool
		headers                 []string // beyond Content-Type: application/json, unless they set it
		status                  int
		check                   check
		audited                 int // decisions on the trail under the case's request id
	}{
		{name: "consumer permit", who: "airline", path: "/access/v1/evaluation", body: eval(clean, "flight.book"), status: 200, check: decision(true), audited: 1},
		{name: "consumer deny", who: "airline", path: "/access/v1/evaluation", body: eval(debtor, "flight.book"), status: 200, check: decision(false), audited: 1},
		{name: "operator", who: "ops", path: "/access/v1/evaluation", body: eval(clean, "flight.book"), status: 200, check: decision(true), audited: 1},
		{name: "subject key", who: "me", path: "/access/v1/evaluation", body: eval(debtor, "flight.book"), status: 403, check: field("Authorization")},
		{name: "auditor key", who: "audit", path: "/access/v1/evaluation", body: eval(debtor, "flight.book"), status: 403, check: field("Authorization")},
		{name: "source key", who: "source", path: "/access/v1/evaluation", body: eval(debtor, "flight.book"), status: 403, check: field("Authorization")},
		{name: "no key", path: "/access/v1/evaluation", body: eval(clean, "flight.book"), status: 401, check: challenge(`Bearer realm="credo"`)},
		{name: "unknown key", who: "forged", path: "/access/v1/evaluation", body: eval(clean, "flight.book"), status: 401,
			check: challenge(`Bearer realm="credo", error="invalid_token"`)},
		{name: "revoked key", who: "gone", path: "/access/v1/evaluation", body: eval(clean, "flight.book"), status: 401,
			check: challenge(`Bearer realm="credo", error="invalid_token"`)},
		{name: "malformed Authorization", path: "/access/v1/evaluation", body: eval(clean, "flight.book"), headers: []string{"Authorization", "Basic abc"},
			status: 401, check: challenge(`Bearer realm="credo", error="invalid_request"`)},
		{name: "another consumer's action", who: "airline", path: "/access/v1/evaluation", body: eval(clean, "loan.apply"), status: 403, check: field("action.name")},
		{name: "bad request id", who: "airline", path: "/access/v1/evaluation", body: eval(clean, "flight.book"), headers: []string{"X-Request-ID", "bad id!"},
			status: 400, check: field("X-Request-ID")},
		{name: "body too large", who: "airline", path: "/access/v1/evaluation", body: big(64 << 10), status: 413, check: field("body")},
		{name: "body too large, chunked", who: "airline", path: "/access/v1/evaluation", body: big(64 << 10), chunked: true, status: 413, check: field("body")},
		{name: "batch too large", who: "airline", path: "/access/v1/evaluations", body: big(4 << 20), status: 413, check: field("body")},
		{name: "body far too large", who: "airline", path: "/access/v1/evaluation", body: big(3 << 20), status: 413, check: field("body")},
		{name: "batch far too large", who: "airline", path: "/access/v1/evaluations", body: big(12 << 20), status: 413, check: field("body")},
		{name: "content type", who: "airline", path: "/access/v1/evaluation", body: eval(clean, "flight.book"), headers: []string{"Content-Type", "application/xml"},
			status: 415, check: field("Content-Type")},
		{name: "content type malformed", who: "airline", path: "/access/v1/evaluation", body: eval(clean, "flight.book"), headers: []string{"Content-Type", "application/json; x"},
			status: 415, check: field("Content-Type")},
		{name: "curl's content type", who: "airline", path: "/access/v1/evaluation", body: eval(clean, "flight.book"),
			headers: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 200, check: decision(true), audited: 1},
		{name: "wrong type", who: "airline", path: "/access/v1/evaluation", body: `{"subject": {"type": "person", "id": 12}, "action": {"name": "flight.book"}}`,
			status: 400, check: field("subject.id")},
		{name: "invalid id", who: "airline", path: "/access/v1/evaluation", body: eval(personBad, "flight.book"), status: 400, check: field("subject.id")},
		{name: "no action", who: "airline", path: "/access/v1/evaluation", body: `{"subject": {"type": "person", "id": "` + clean + `"}}`, status: 400, check: field("action")},
		{name: "not JSON", who: "airline", path: "/access/v1/evaluation", body: `{"subject":`, status: 400, check: field("body")},
		{name: "empty", who: "airline", path: "/access/v1/evaluation", body: "", status: 400, check: field("body")},
		{name: "chunked", who: "airline", path: "/access/v1/evaluation", body: eval(clean, "flight.book"), chunked: true, status: 200, check: decision(true), audited: 1},
		{name: "batch", who: "airline", path: "/access/v1/evaluations", body: batch, status: 200, audited: 3, check: func(t *testing.T, r response) {
			var b struct{ Evaluations []evalResponse }
			r.json(t, &b)
			if len(b.Evaluations) != 3 || !b.Evaluations[0].Decision || b.Evaluations[1].Decision || !b.Evaluations[2].Decision {
				t.Errorf("batch: %s", r.body)
			}
		}},
		{name: "batch deny on first deny", who: "airline", path: "/access/v1/evaluations",
			body: strings.Replace(batch, `"evaluations"`, `"options": {"evaluations_semantic": "deny_on_first_deny"}, "evaluations"`, 1), status: 200, audited: 2,
			check: func(t *testing.T, r response) {
				var b struct{ Evaluations []evalResponse }
				r.json(t, &b)
				if len(b.Evaluations) != 2 {
					t.Errorf("batch: %s", r.body)
				}
			}},
		{name: "batch item of the wrong types", who: "airline", path: "/access/v1/evaluations",
			body: `{"action": {"name": "flight.book"}, "evaluations": [{"subject": {"type": "person", "id": "` + clean + `"}}, {"subject": 5}]}`, status: 200, audited: 1,
			check: func(t *testing.T, r response) {
				if !strings.Contains(string(r.body), `"field":"evaluations[1].subject"`) {
					t.Errorf("batch: %s", r.body)
				}
			}},
		{name: "batch semantic", who: "airline", path: "/access/v1/evaluations", body: `{"options": {"evaluations_semantic": "any"}, "evaluations": []}`,
			status: 400, check: field("options.evaluations_semantic")},
		// Not the exact path: the net/http handler's mux answers, over fasthttp too.
		{name: "query", who: "airline", path: "/access/v1/evaluation?x=1", body: eval(clean, "flight.book"), status: 200, check: decision(true), audited: 1},
		{name: "GET", who: "airline", method: "GET", path: "/access/v1/evaluation", status: 405, check: field("")},
	}
	sent := map[string]int{} // request id: decisions
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := map[string]response{}
			for _, tr := range transports {
				id := fmt.Sprintf("case-%d-%s", i, strings.ReplaceAll(tr, "/", "."))
				h := []string{"Content-Type", "application/json", "X-Request-ID", id}
				h = append(h, c.headers...)
				if c.who != "" {
					h = append(h, "Authorization", "Bearer "+f.keys[c.who])
				}
				method := c.method
				if method == "" {
					method = "POST"
				}
				var body io.Reader = strings.NewReader(c.body)
				if c.chunked {
					body = unsized{body}
				}
				if method == "GET" {
					body = nil
				}
				r := doOn(t, srvs[tr], method, c.path, body, h...)
				got[tr] = r
				if r.status != c.status {
					t.Fatalf("%s: %d, want %d: %s", tr, r.status, c.status, r.body)
				}
				c.check(t, r)
				wantID := id
				if slicesContain(c.headers, "X-Request-ID") {
					wantID = "" // a new one
				}
				if gotID := r.header.Get("X-Request-ID"); (wantID != "" && gotID != wantID) || gotID == "" {
					t.Errorf("%s: X-Request-ID %q, want %q", tr, gotID, wantID)
				}
				if c.audited > 0 {
					sent[id] = c.audited
				}
			}
			if d := same(got[netHTTP], got[fastHTTP]); d != "" {
				t.Errorf("the transports answer differently: %s", d)
			}
		})
	}

	// Every decision is on the record, under its request id, whichever
	// the transport.
	for _, s := range srvs {
		s.Close()
	}
	f.srv.Close()
	if err := f.audit.Close(); err != nil {
		t.Fatal(err)
	}
	found := map[string]int{}
	for _, id := range []string{clean, debtor} {
		for q, err := range f.store.SubjectInquiries(context.Background(), credo.SubjectRef{Kind: credo.Person, ID: id}) {
			if err != nil {
				t.Fatal(err)
			}
			found[q.RequestID]++
		}
	}
	for id, n := range sent {
		if found[id] != n {
			t.Errorf("request %s: %d decisions on the record, want %d", id, found[id], n)
		}
	}
	for name, key := range f.keys {
		if strings.Contains(f.logs.String(), key) {
			t.Errorf("%s's key is in the logs", name)
		}
	}
}

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestDecisionRoutesWithoutTable: 503 before anything else, over both
// transports.
func TestDecisionRoutesWithoutTable(t *testing.T) {
	f := newAZFixture(t)
	srvs := f.bothTransports(t, server.Config{MaxBodyBytes: maxBody})
	got := map[string]response{}
	for _, tr := range transports {
		for _, who := range []string{"airline", ""} {
			h := []string{"Content-Type", "application/json"}
			if who != "" {
				h = append(h, "Authorization", "Bearer "+f.keys[who])
			}
			for _, p := range []string{"/access/v1/evaluation", "/access/v1/evaluations"} {
				r := doOn(t, srvs[tr], "POST", p, strings.NewReader(evalBody("person", clean, "flight.book")), h...)
				var e errorResult
				r.json(t, &e)
				if r.status != 503 || !strings.Contains(e.Error, "no decision table") {
					t.Errorf("%s %s as %q: %d %s", tr, p, who, r.status, r.body)
				}
				got[tr] = r
			}
		}
	}
	if d := same(got[netHTTP], got[fastHTTP]); d != "" {
		t.Errorf("the transports answer differently: %s", d)
	}
}

// panicking is a key store whose look-ups by key panic.
type panicking struct{ *pebble.Store }

func (panicking) ConsumerByKey(context.Context, credo.KeyHash) (*credo.Consumer, error) {
	panic("boom")
}

// TestDecisionRoutePanics: a panic in a decision route is a 500 naming the
// request, logged with its stack, and the server goes on, over both
// transports.
func TestDecisionRoutePanics(t *testing.T) {
	f := newAZFixture(t)
	srvs := f.bothTransports(t, server.Config{Decisions: f.table, Consumers: panicking{f.store}})
	got := map[string]response{}
	for _, tr := range transports {
		for _, p := range []string{"/access/v1/evaluation", "/access/v1/evaluations"} {
			r := doOn(t, srvs[tr], "POST", p, strings.NewReader(evalBody("person", clean, "flight.book")),
				"Content-Type", "application/json", "Authorization", "Bearer "+f.keys["airline"])
			var e errorResult
			r.json(t, &e)
			if r.status != 500 || !strings.Contains(e.Error, r.header.Get("X-Request-ID")) {
				t.Errorf("%s %s: %d %s", tr, p, r.status, r.body)
			}
			got[tr] = r
		}
		if r := doOn(t, srvs[tr], "GET", "/healthz", nil); r.status != 200 {
			t.Errorf("%s: after the panic, /healthz %d", tr, r.status)
		}
	}
	if d := same(got[netHTTP], got[fastHTTP]); d != "" {
		t.Errorf("the transports answer differently: %s", d)
	}
	for _, want := range []string{`"msg":"panic serving request"`, `"panic":"boom"`, `"stack":`, `"route":"POST /access/v1/evaluations"`, `"status":500`} {
		if strings.Count(f.logs.String(), want) < 2 {
			t.Errorf("the logs lack %s twice:\n%s", want, f.logs.String())
		}
	}
}

// TestRecordsOverBothTransports: the records route, served through
// net/http's interface over fasthttp too, takes its body as it streams and
// refuses one over its limit, known by its length or not.
func TestRecordsOverBothTransports(t *testing.T) {
	f := newAZFixture(t)
	srvs := f.bothTransports(t, server.Config{MaxBodyBytes: maxBody, Decisions: f.table, Audit: f.audit})
	line := courtLine("(2024)京0105执9号", "dishonest_debtor", "2024-03-01", debtor, "1000") + "\n"
	over := strings.Repeat(line, maxBody/len(line)+1)
	for _, c := range []struct {
		name    string
		body    string
		chunked bool
		status  int
	}{
		{"one line", line, false, 200},
		{"one line, chunked", line, true, 200},
		{"over the limit", over, false, 413},
		{"over the limit, chunked", over, true, 413},
		{"far over the limit", strings.Repeat(over, 40), false, 413},
		{"empty", "", false, 400},
	} {
		got := map[string]response{}
		for _, tr := range transports {
			var body io.Reader = strings.NewReader(c.body)
			if c.chunked {
				body = unsized{body}
			}
			r := doOn(t, srvs[tr], "POST", "/v1/sources/court/records", body, "Content-Type", "application/x-ndjson", "Authorization", "Bearer "+f.keys["court"])
			if r.status != c.status {
				t.Errorf("%s %s: %d, want %d: %s", c.name, tr, r.status, c.status, r.body)
			}
			got[tr] = r
		}
		if c.status != 200 { // a 200 names its run, new each time
			if d := same(got[netHTTP], got[fastHTTP]); d != "" {
				t.Errorf("%s: the transports answer differently: %s", c.name, d)
			}
		}
	}
}

// TestServeLimits: what fasthttp refuses before any route, in JSON: a
// request line and headers over the read buffer (431), a request that is
// not HTTP (400).
func TestServeLimits(t *testing.T) {
	f := newAZFixtureOn(t, fastHTTP)
	if r := f.do(t, "GET", "/healthz", nil, "X-Big", strings.Repeat("x", 9<<10)); r.status != http.StatusRequestHeaderFieldsTooLarge ||
		r.header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("headers over 8 KiB: %d %s", r.status, r.body)
	}
	c, err := net.Dial("tcp", strings.TrimPrefix(f.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "NOT HTTP\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 400 || !strings.Contains(string(b), `"error"`) {
		t.Errorf("not HTTP: %d %s", res.StatusCode, b)
	}
}
