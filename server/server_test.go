package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/server"
)

const (
	personOK  = "11010519491231002X" // GB 11643's own example
	person2OK = "110101198504120019"
	orgOK     = "91350100M000100Y43"
	personBad = "110105194912310021" // check character wrong
)

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixture is a server over a real store with three registered sources:
// court and tax (active) and fines (revoked).
type fixture struct {
	store *pebble.Store
	srv   *testServer
	keys  map[string]string
	logs  *syncBuffer
}

const maxBody = 64 << 10

func newFixture(t testing.TB) *fixture { return newFixtureOpts(t, nil) }

func newFixtureOpts(t testing.TB, o *pebble.Options) *fixture {
	t.Helper()
	store, err := pebble.Open(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &fixture{store: store, keys: map[string]string{}, logs: &syncBuffer{}}
	f.register(t, "court", "testdata/court.yaml", false)
	f.register(t, "tax", "testdata/tax.yaml", false)
	f.register(t, "fines", "testdata/tax.yaml", true)
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.srv = serveOn(t, netHTTP, logger, server.NewServer(logger, store, server.Config{MaxBodyBytes: maxBody}))
	return f
}

// The transports a server is tested over: net/http (httptest over
// NewServer's handler) and fasthttp (the real Serve, as credo serve
// runs it).
const (
	netHTTP  = "net/http"
	fastHTTP = "fasthttp"
)

var transports = []string{netHTTP, fastHTTP}

// testServer is a server under test on a loopback port of its own.
type testServer struct {
	URL    string
	client *http.Client
	close  func()
	once   sync.Once
}

func (s *testServer) Client() *http.Client { return s.client }

// Close stops the server (once; the test's cleanup closes it too).
func (s *testServer) Close() { s.once.Do(s.close) }

// serveOn serves h over transport until the test ends.
func serveOn(t testing.TB, transport string, logger *slog.Logger, h http.Handler) *testServer {
	t.Helper()
	var s *testServer
	switch transport {
	case netHTTP:
		hs := httptest.NewServer(h)
		s = &testServer{URL: hs.URL, client: hs.Client(), close: hs.Close}
	case fastHTTP:
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- server.Serve(ctx, logger, ln, h, 10*time.Second) }()
		tr := &http.Transport{}
		s = &testServer{URL: "http://" + ln.Addr().String(), client: &http.Client{Transport: tr}, close: func() {
			tr.CloseIdleConnections()
			cancel()
			if err := <-served; err != nil {
				t.Errorf("Serve: %v", err)
			}
		}}
	default:
		t.Fatalf("no transport %q", transport)
	}
	t.Cleanup(s.Close)
	return s
}

// register stores a source from a spec file (renamed to name) with a new key.
func (f *fixture) register(t testing.TB, name, specPath string, revoked bool) {
	t.Helper()
	b, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	spec := strings.Replace(string(b), "source: tax\n", "source: "+name+"\n", 1)
	key := credo.NewSourceKey()
	src := &credo.Source{Name: name, Spec: spec, KeyHash: credo.HashKey(key), Created: time.Now()}
	if revoked {
		src.Revoked = time.Now()
	}
	if err := f.store.PutSource(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	f.keys[name] = key
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %d is not JSON: %v\n%s", r.status, err, r.body)
	}
}

// do sends a request; headers are name, value pairs.
func (f *fixture) do(t testing.TB, method, path string, body io.Reader, headers ...string) response {
	t.Helper()
	return doOn(t, f.srv, method, path, body, headers...)
}

// doOn sends a request to srv; headers are name, value pairs.
func doOn(t testing.TB, srv *testServer, method, path string, body io.Reader, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// post sends NDJSON lines to source's records endpoint with key.
func (f *fixture) post(t testing.TB, source, key, body string, headers ...string) response {
	t.Helper()
	h := []string{"Content-Type", "application/x-ndjson"}
	if key != "" {
		h = append(h, "Authorization", "Bearer "+key)
	}
	return f.do(t, "POST", "/v1/sources/"+source+"/records", strings.NewReader(body), append(h, headers...)...)
}

type outcome struct {
	Line       int64    `json:"line"`
	Status     string   `json:"status"`
	ID         string   `json:"id"`
	Unresolved string   `json:"unresolved"`
	Reasons    []string `json:"reasons"`
}

type postResult struct {
	RequestID   string    `json:"request_id"`
	Run         string    `json:"run"`
	Status      string    `json:"status"`
	Error       string    `json:"error"`
	LineCount   int64     `json:"line_count"`
	Appended    int64     `json:"appended"`
	Duplicates  int64     `json:"duplicates"`
	Quarantined int64     `json:"quarantined"`
	Unresolved  int64     `json:"unresolved"`
	Lines       []outcome `json:"lines"`
}

type errorResult struct {
	Error string `json:"error"`
	Field string `json:"field"`
}

func courtLine(caseNo, typ, date, id, amount string) string {
	return fmt.Sprintf(`{"case_no":%q,"type":%q,"date":%q,"id_number":%q,"name":"王伟","amount":%q,"cause":"借款合同纠纷"}`, caseNo, typ, date, id, amount)
}

// mixedBody has, line by line: a good record, a bad date, an invalid id,
// a code missing from the enum map, a line that is not JSON, a good record.
var mixedBody = strings.Join([]string{
	courtLine("(2024)鲁10执1号", "default", "2024-03-05", personOK, "12000"),
	courtLine("(2024)鲁10执2号", "default", "2024-02-30", personOK, "500"),
	courtLine("(2024)鲁10执3号", "default", "2024-03-06", personBad, "800"),
	courtLine("(2024)鲁10执4号", "appeal", "2024-03-07", person2OK, "100"),
	`{"case_no": "(2024)鲁10执5号", "type": "default", `,
	courtLine("(2024)鲁10执6号", "performed", "2024-03-08", person2OK, "100"),
}, "\n") + "\n"

func TestHealthz(t *testing.T) {
	f := newFixture(t)
	res := f.do(t, "GET", "/healthz", nil)
	var body map[string]string
	res.json(t, &body)
	if res.status != 200 || body["status"] != "ok" {
		t.Fatalf("healthz: %d %s", res.status, res.body)
	}
}

func TestReadyz(t *testing.T) {
	f := newFixture(t)
	res := f.do(t, "GET", "/readyz", nil)
	var body struct {
		Status string `json:"status"`
	}
	res.json(t, &body)
	if res.status != 200 || body.Status != "ready" {
		t.Fatalf("readyz: %d %s", res.status, res.body)
	}
}

func TestReadyzStoreClosed(t *testing.T) {
	f := newFixture(t)
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	if res := f.do(t, "GET", "/readyz", nil); res.status != http.StatusServiceUnavailable {
		t.Fatalf("readyz over a closed store: %d %s", res.status, res.body)
	}
}

// TestAuthorization runs every endpoint for every role there is so far.
func TestAuthorization(t *testing.T) {
	f := newFixture(t)
	unknownKey := credo.NewSourceKey()
	roles := []struct {
		name   string
		header string // the Authorization header; "" sends none
	}{
		{"anonymous", ""},
		{"court", "Bearer " + f.keys["court"]},
		{"court lower-case scheme", "bearer " + f.keys["court"]},
		{"another source", "Bearer " + f.keys["tax"]},
		{"revoked", "Bearer " + f.keys["fines"]},
		{"unknown key", "Bearer " + unknownKey},
		{"malformed: basic", "Basic Y291cnQ6c2VjcmV0"},
		{"malformed: no token", "Bearer"},
		{"malformed: two tokens", "Bearer " + f.keys["court"] + " extra"},
		{"malformed: bare key", f.keys["court"]},
		{"malformed: not a key", "Bearer hunter2"},
	}
	type endpoint struct {
		method, path string
		want         map[string]int // by role; default 200
	}
	open := map[string]int{}
	records := map[string]int{
		"anonymous": 401, "court": 200, "court lower-case scheme": 200, "another source": 403, "revoked": 401,
		"unknown key": 401, "malformed: basic": 401, "malformed: no token": 401, "malformed: two tokens": 401,
		"malformed: bare key": 401, "malformed: not a key": 401,
	}
	noSuchSource := map[string]int{}
	for k, v := range records {
		noSuchSource[k] = v
	}
	noSuchSource["court"], noSuchSource["court lower-case scheme"] = 403, 403
	endpoints := []endpoint{
		{"GET", "/healthz", open},
		{"GET", "/readyz", open},
		{"POST", "/v1/sources/court/records", records},
		{"POST", "/v1/sources/nosuch/records", noSuchSource},
	}
	line := courtLine("(2024)鲁10执100号", "default", "2024-03-05", personOK, "1") + "\n"
	for _, ep := range endpoints {
		for _, role := range roles {
			t.Run(ep.method+" "+ep.path+" as "+role.name, func(t *testing.T) {
				want, ok := ep.want[role.name]
				if !ok {
					want = 200
				}
				h := []string{"Content-Type", "application/x-ndjson"}
				if role.header != "" {
					h = append(h, "Authorization", role.header)
				}
				var body io.Reader
				if ep.method == "POST" {
					body = strings.NewReader(line)
				}
				res := f.do(t, ep.method, ep.path, body, h...)
				if res.status != want {
					t.Fatalf("status %d, want %d: %s", res.status, want, res.body)
				}
				switch res.status {
				case 401:
					var e errorResult
					res.json(t, &e)
					if e.Field != "Authorization" || e.Error == "" || !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
						t.Fatalf("401 body %s, WWW-Authenticate %q", res.body, res.header.Get("WWW-Authenticate"))
					}
				case 403:
					var e errorResult
					res.json(t, &e)
					if e.Field != "source" || !strings.Contains(e.Error, "/v1/sources/") {
						t.Fatalf("403 body %s", res.body)
					}
				}
			})
		}
	}
	// Only the court's own requests wrote anything.
	c, err := f.store.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Records != 1 || c.BySource["court"] != 1 {
		t.Fatalf("counts after the matrix: %+v", c)
	}
}

func TestPostRecords(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res := f.post(t, "court", f.keys["court"], mixedBody, "X-Request-ID", "req-0001")
	if res.status != 200 {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	if got := res.header.Get("X-Request-ID"); got != "req-0001" {
		t.Fatalf("X-Request-ID echoed as %q", got)
	}
	var r postResult
	res.json(t, &r)
	if r.RequestID != "req-0001" || r.LineCount != 6 || r.Appended != 3 || r.Unresolved != 1 || r.Quarantined != 3 || r.Duplicates != 0 || r.Status != "quarantined" {
		t.Fatalf("result %+v", r)
	}
	if len(r.Lines) != 6 {
		t.Fatalf("%d line outcomes: %+v", len(r.Lines), r.Lines)
	}
	for i, o := range r.Lines {
		if o.Line != int64(i+1) {
			t.Fatalf("outcome %d is for line %d", i, o.Line)
		}
	}
	want := []struct {
		status string
		has    string // in the reasons (quarantined) or the unresolved reason
	}{
		{"appended", ""},
		{"quarantined", "2024-02-30"},
		{"appended", "check"},
		{"quarantined", `"appeal"`},
		{"quarantined", "not JSON"},
		{"appended", ""},
	}
	for i, w := range want {
		o := r.Lines[i]
		if o.Status != w.status {
			t.Errorf("line %d: %s, want %s (%+v)", i+1, o.Status, w.status, o)
			continue
		}
		switch {
		case w.status == "quarantined":
			if !strings.Contains(strings.Join(o.Reasons, "; "), w.has) || !strings.HasPrefix(o.ID, "court:") {
				t.Errorf("line %d: reasons %q, want one naming %s; id %q", i+1, o.Reasons, w.has, o.ID)
			}
		case w.has != "":
			if !strings.Contains(o.Unresolved, w.has) {
				t.Errorf("line %d: unresolved %q, want it to say %q", i+1, o.Unresolved, w.has)
			}
		default:
			if o.Unresolved != "" || o.ID == "" {
				t.Errorf("line %d: %+v", i+1, o)
			}
		}
	}
	if !strings.Contains(r.Lines[1].Reasons[0], "occurred_at") {
		t.Errorf("bad date reason does not name the field: %q", r.Lines[1].Reasons)
	}

	// The records carry the request as their provenance; the quarantined
	// lines are in quarantine with their raw text.
	rec, err := f.store.Record(ctx, r.Lines[0].ID)
	if err != nil || rec.Provenance.Request != "req-0001" || rec.Source != "court" || rec.Subject.ID != personOK {
		t.Fatalf("record %+v, %v", rec, err)
	}
	q, err := f.store.QuarantinedRow(ctx, r.Lines[4].ID)
	if err != nil || q.File != "stream" || q.Digest != "req-0001" || !strings.Contains(q.Raw, "鲁10执5号") {
		t.Fatalf("quarantined line 5: %+v, %v", q, err)
	}

	// The same lines again, under the same request id: nothing new.
	res = f.post(t, "court", f.keys["court"], mixedBody, "X-Request-ID", "req-0001")
	var again postResult
	res.json(t, &again)
	if res.status != 200 || again.Appended != 0 || again.Duplicates != 3 || again.Quarantined != 3 {
		t.Fatalf("re-post: %d %+v", res.status, again)
	}
	c, _ := f.store.Counts(ctx)
	if c.Records != 3 || c.Quarantined != 3 {
		t.Fatalf("after re-post: %d records, %d quarantined", c.Records, c.Quarantined)
	}
	// And under a generated request id: still no new record.
	res = f.post(t, "court", f.keys["court"], mixedBody)
	var third postResult
	res.json(t, &third)
	if res.status != 200 || third.Appended != 0 || third.Duplicates != 3 || third.RequestID == "" || third.RequestID == "req-0001" || res.header.Get("X-Request-ID") != third.RequestID {
		t.Fatalf("re-post with a new request id: %d %+v", res.status, third)
	}
	if c, _ := f.store.Counts(ctx); c.Records != 3 {
		t.Fatalf("records = %d", c.Records)
	}
}

func TestPostRecordsReleasesFixedLines(t *testing.T) {
	f := newFixture(t)
	bad := courtLine("(2024)鲁10执9号", "default", "2024-02-30", personOK, "1") + "\n"
	var r postResult
	f.post(t, "court", f.keys["court"], bad).json(t, &r)
	if r.Quarantined != 1 {
		t.Fatalf("%+v", r)
	}
	fixed := courtLine("(2024)鲁10执9号", "default", "2024-02-28", personOK, "1") + "\n"
	f.post(t, "court", f.keys["court"], fixed).json(t, &r)
	if r.Appended != 1 {
		t.Fatalf("%+v", r)
	}
	if c, _ := f.store.Counts(context.Background()); c.Quarantined != 0 {
		t.Fatalf("the fixed line is still in quarantine: %d rows", c.Quarantined)
	}
}

// The stream takes a source's field names whatever the format of its files.
func TestPostRecordsCSVSource(t *testing.T) {
	f := newFixture(t)
	line := fmt.Sprintf(`{"notice_no":"WH-2024-1","uscc":%q,"taxpayer":"威海某公司","due_date":"2024-01-15","amount":"1,234.50","tax":"增值税"}`, orgOK)
	var r postResult
	res := f.post(t, "tax", f.keys["tax"], line)
	res.json(t, &r)
	if res.status != 200 || r.Appended != 1 || r.Unresolved != 0 {
		t.Fatalf("%d %s", res.status, res.body)
	}
}

func TestPostRecordsBodyTooLarge(t *testing.T) {
	f := newFixture(t)
	var b strings.Builder
	for i := 0; b.Len() <= maxBody; i++ {
		b.WriteString(courtLine(fmt.Sprintf("(2024)鲁10执%d号", i), "default", "2024-03-05", personOK, "1"))
		b.WriteByte('\n')
	}
	check := func(name string, res response) {
		t.Helper()
		var e errorResult
		res.json(t, &e)
		if res.status != http.StatusRequestEntityTooLarge || e.Field != "body" || !strings.Contains(e.Error, fmt.Sprint(maxBody)) {
			t.Fatalf("%s: %d %s", name, res.status, res.body)
		}
	}
	check("with Content-Length", f.post(t, "court", f.keys["court"], b.String()))
	// Chunked: the length is only found out by reading.
	h := []string{"Content-Type", "application/x-ndjson", "Authorization", "Bearer " + f.keys["court"]}
	check("chunked", f.do(t, "POST", "/v1/sources/court/records", struct{ io.Reader }{strings.NewReader(b.String())}, h...))
	if c, _ := f.store.Counts(context.Background()); c.Records != 0 {
		t.Fatalf("a refused body wrote %d records", c.Records)
	}
}

func TestPostRecordsContentType(t *testing.T) {
	f := newFixture(t)
	line := courtLine("(2024)鲁10执1号", "default", "2024-03-05", personOK, "1")
	for _, c := range []struct {
		ct   string
		want int
	}{
		{"application/x-ndjson", 200},
		{"application/json; charset=utf-8", 200},
		{"text/plain", 200},
		{"", 415},
		{"text/csv", 415},
		{"application/x-www-form-urlencoded", 415},
		{"multipart/form-data; boundary=x", 415},
		{"application/x-ndjson; charset=gbk", 415},
		{"this is not a media type", 415},
	} {
		h := []string{"Authorization", "Bearer " + f.keys["court"]}
		if c.ct != "" {
			h = append(h, "Content-Type", c.ct)
		}
		res := f.do(t, "POST", "/v1/sources/court/records", strings.NewReader(line), h...)
		if res.status != c.want {
			t.Errorf("Content-Type %q: %d, want %d: %s", c.ct, res.status, c.want, res.body)
			continue
		}
		if c.want == 415 {
			var e errorResult
			res.json(t, &e)
			if e.Field != "Content-Type" || !strings.Contains(e.Error, "application/x-ndjson") && !strings.Contains(e.Error, "UTF-8") {
				t.Errorf("Content-Type %q: error %s", c.ct, res.body)
			}
		}
	}
}

func TestPostRecordsBadBodies(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		name, body string
		want       int
		field      string
	}{
		{"empty", "", 400, "body"},
		{"blank lines", "\n \n\n", 400, "body"},
		{"not UTF-8", "{\"case_no\":\"\xff\xfe\"}\n", 400, ""},
		{"a JSON document", "[\n" + courtLine("x", "default", "2024-03-05", personOK, "1") + "\n]\n", 400, ""},
	} {
		res := f.post(t, "court", f.keys["court"], c.body)
		if res.status != c.want {
			t.Errorf("%s: %d, want %d: %s", c.name, res.status, c.want, res.body)
			continue
		}
		var e errorResult
		res.json(t, &e)
		if e.Error == "" || e.Field != c.field {
			t.Errorf("%s: error %s", c.name, res.body)
		}
	}
}

func TestBadRequestID(t *testing.T) {
	f := newFixture(t)
	line := courtLine("(2024)鲁10执1号", "default", "2024-03-05", personOK, "1")
	for _, id := range []string{"has space", "semi;colon", "court:abc:1", strings.Repeat("x", 129), "汉字"} {
		res := f.post(t, "court", f.keys["court"], line, "X-Request-ID", id)
		var e errorResult
		res.json(t, &e)
		if res.status != 400 || e.Field != "X-Request-ID" {
			t.Errorf("X-Request-ID %q: %d %s", id, res.status, res.body)
		}
	}
	if c, _ := f.store.Counts(context.Background()); c.Records != 0 {
		t.Fatal("a refused request wrote")
	}
}

func TestNotFound(t *testing.T) {
	f := newFixture(t)
	res := f.do(t, "GET", "/v1/nothing", nil)
	var e errorResult
	res.json(t, &e)
	if res.status != 404 || !strings.Contains(e.Error, "/v1/nothing") {
		t.Fatalf("%d %s", res.status, res.body)
	}
	if res := f.do(t, "GET", "/v1/sources/court/records", nil, "Authorization", "Bearer "+f.keys["court"]); res.status != http.StatusMethodNotAllowed {
		t.Fatalf("GET records: %d", res.status)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	if res := f.post(t, "court", f.keys["court"], mixedBody); res.status != 200 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	f.post(t, "court", "", mixedBody)
	key := credo.NewConsumerKey()
	if err := f.store.PutConsumer(context.Background(), &credo.Consumer{Name: "monitoring", Role: credo.RoleAuditor, KeyHash: credo.HashKey(key), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	res := f.do(t, "GET", "/metrics", nil, "Authorization", "Bearer "+key)
	if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics: %d %s", res.status, res.header.Get("Content-Type"))
	}
	text := string(res.body)
	for _, want := range []string{
		`credo_http_requests_total{code="200",route="POST /v1/sources/{source}/records"} 1`,
		`credo_http_requests_total{code="401",route="POST /v1/sources/{source}/records"} 1`,
		`credo_http_request_duration_seconds_count{code="200",route="POST /v1/sources/{source}/records"} 1`,
		`credo_stream_records_total{source="court",status="appended"} 3`,
		`credo_stream_records_total{source="court",status="quarantined"} 3`,
		`credo_stream_records_total{source="court",status="unresolved"} 1`,
		"credo_store_records 3",
		"credo_store_subjects 2",
		"credo_store_unresolved_records 1",
		"credo_store_quarantined_rows 3",
		"credo_http_requests_in_flight 1",
		"go_goroutines",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}

// TestLogs: every request is logged with its route, status, source and
// request id, and no log line holds a key or an Authorization header.
func TestLogs(t *testing.T) {
	f := newFixture(t)
	f.post(t, "court", f.keys["court"], mixedBody, "X-Request-ID", "log-test-1")
	f.post(t, "court", f.keys["tax"], mixedBody)
	f.post(t, "court", f.keys["fines"], mixedBody)
	f.do(t, "GET", "/healthz", nil, "Authorization", "Bearer "+f.keys["court"])
	f.do(t, "GET", "/healthz?key="+f.keys["court"], nil)
	logs := f.logs.String()
	for name, key := range f.keys {
		if strings.Contains(logs, key) || strings.Contains(logs, strings.TrimPrefix(key, credo.SourceKeyPrefix)) {
			t.Errorf("the logs hold %s's key", name)
		}
	}
	if strings.Contains(logs, "Bearer") {
		t.Error("the logs hold an Authorization header")
	}
	var found bool
	for line := range strings.Lines(logs) {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if e["msg"] != "request" {
			continue
		}
		for _, k := range []string{"method", "route", "status", "duration", "source", "request_id"} {
			if _, ok := e[k]; !ok {
				t.Errorf("log line lacks %s: %s", k, line)
			}
		}
		if e["request_id"] == "log-test-1" {
			found = true
			if e["source"] != "court" || e["status"] != float64(200) || e["route"] != "POST /v1/sources/{source}/records" {
				t.Errorf("log line %s", line)
			}
		}
	}
	if !found {
		t.Errorf("no log line for request log-test-1:\n%s", logs)
	}
}
