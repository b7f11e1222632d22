package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/decide"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/server"
)

// loadResult is what a load run measured.
type loadResult struct {
	requests int64
	errors   int64
	elapsed  time.Duration
	lat      []time.Duration // a sample of latencies, sorted
	cpu      time.Duration   // the process's CPU time (user and system) during the run: server and generator
}

// cpuPer is the CPU time per request (or per item of n a request), in µs.
func (r loadResult) cpuPer(n int) float64 {
	return float64(r.cpu.Nanoseconds()) / 1000 / float64(r.requests*int64(n))
}

func (r loadResult) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r loadResult) p(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(q*float64(len(r.lat))))]
}

// loadgen posts bodies (chosen at random) to url over conns keep-alive
// connections for dur, and measures throughput and latency. It is the load
// generator of bench/decide.sh too (see TestLoadGen), for credo and OPA
// alike.
//
// It is kept lean so that the server, not the generator, is measured on a
// machine they share: each connection is a raw TCP connection with one
// request in flight at a time (HTTP/1.1 keep-alive, no pipelining); every
// request is made once, in full, before the run (request line, headers,
// Content-Length and body), and written in one call; each response is read
// through its headers and its body (by Content-Length, or chunked) into a
// reused buffer, and any status but 200 counts as an error.
func loadgen(ctx context.Context, url string, header http.Header, bodies [][]byte, conns int, dur time.Duration) loadResult {
	host, path, ok := strings.Cut(strings.TrimPrefix(url, "http://"), "/")
	if !ok {
		path = ""
	}
	reqs := make([][]byte, len(bodies))
	for i, body := range bodies {
		var b bytes.Buffer
		fmt.Fprintf(&b, "POST /%s HTTP/1.1\r\nHost: %s\r\n", path, host)
		header.Write(&b)
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
		b.Write(body)
		reqs[i] = b.Bytes()
	}
	var (
		wg       sync.WaitGroup
		requests atomic.Int64
		errs     atomic.Int64
		mu       sync.Mutex
		lat      []time.Duration
	)
	ctx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	start, cpu0 := time.Now(), cpuTime()
	for w := range conns {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			var mine []time.Duration
			var c net.Conn
			var br *bufio.Reader
			for n := 0; ctx.Err() == nil; n++ {
				if c == nil {
					var err error
					if c, err = net.Dial("tcp", host); err != nil {
						errs.Add(1)
						time.Sleep(10 * time.Millisecond)
						continue
					}
					br = bufio.NewReaderSize(c, 64<<10)
				}
				t0 := time.Now()
				c.SetDeadline(t0.Add(5 * time.Second))
				status, err := roundTrip(c, br, reqs[rng.IntN(len(reqs))])
				if err != nil {
					if ctx.Err() == nil {
						errs.Add(1)
					}
					c.Close()
					c = nil
					continue
				}
				if status != 200 {
					errs.Add(1)
				}
				requests.Add(1)
				if n%8 == 0 {
					mine = append(mine, time.Since(t0))
				}
			}
			if c != nil {
				c.Close()
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(lat)
	return loadResult{requests: requests.Load(), errors: errs.Load(), elapsed: time.Since(start), lat: lat, cpu: cpuTime() - cpu0}
}

// roundTrip writes req on c and reads the response from br, returning its
// status. The body is read and dropped.
func roundTrip(c net.Conn, br *bufio.Reader, req []byte) (int, error) {
	if _, err := c.Write(req); err != nil {
		return 0, err
	}
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length, chunked := -1, false
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		k, v, _ := bytes.Cut(line, []byte(":"))
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(v)); err != nil {
				return 0, fmt.Errorf("bad Content-Length %q", v)
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		}
	}
	switch {
	case chunked:
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return 0, err
			}
			n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
			if err != nil {
				return 0, fmt.Errorf("bad chunk size %q", line)
			}
			if _, err := br.Discard(int(n) + 2); err != nil {
				return 0, err
			}
			if n == 0 {
				return status, nil
			}
		}
	case length >= 0:
		_, err := br.Discard(length)
		return status, err
	default:
		return 0, fmt.Errorf("a response without a length: the generator keeps connections alive")
	}
}

// httpFixture is credo's server over a table of subjects, on loopback.
type httpFixture struct {
	url   string
	key   string
	ids   []string
	close func()
}

func newHTTPFixture(b testing.TB, subjects int) *httpFixture {
	prgs := shippedPacks(b)
	ids := benchIDs(subjects)
	tb, err := decide.New(prgs)
	if err != nil {
		b.Fatal(err)
	}
	if err := tb.Load(context.Background(), benchStandings(prgs, ids), len(ids)); err != nil {
		b.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "credo-bench-http")
	if err != nil {
		b.Fatal(err)
	}
	s, err := pebble.Open(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	key := credo.NewConsumerKey()
	if err := s.PutConsumer(context.Background(), &credo.Consumer{Name: "airline", Role: credo.RoleConsumer,
		Actions: []string{"flight.book", "rail.g_train"}, KeyHash: credo.HashKey(key)}); err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil)) // formatted as in production, then dropped
	audit := server.NewAuditLog(logger, s, s, prgs)
	cfg := server.Config{Decisions: tb, Audit: audit}
	if os.Getenv("CREDO_BENCH_NO_AUDIT") != "" { // to see what the audit trail costs: never the figure reported
		cfg.Audit = nil
	}
	h := server.NewServer(logger, s, cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		server.Serve(ctx, logger, ln, h, 5*time.Second)
		close(done)
	}()
	return &httpFixture{url: "http://" + ln.Addr().String(), key: key, ids: ids, close: func() {
		cancel()
		<-done
		audit.Close()
		s.Close()
		os.RemoveAll(dir)
	}}
}

func evalBodies(ids []string, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"subject":{"type":"person","id":%q},"action":{"name":"flight.book"},"context":{"purpose":"ticketing"}}`, ids[(i*104729)%len(ids)])
	}
	return out
}

func batchBodies(ids []string, n, items int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		var b strings.Builder
		b.WriteString(`{"action":{"name":"flight.book"},"evaluations":[`)
		for k := range items {
			if k > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"subject":{"type":"person","id":%q}}`, ids[(i*items+k)*7919%len(ids)])
		}
		b.WriteString(`]}`)
		out[i] = []byte(b.String())
	}
	return out
}

// BenchmarkDecideHTTP drives credo's decision API over loopback with the
// load generator sharing the machine, for a few seconds each: single
// evaluations and batches of 100, beside the references: a native fasthttp
// handler answering a constant decision (the ceiling of HTTP itself here,
// on the stack credo serves with) and the same over net/http.
// Targets: ≥ 50,000 single evaluations/s with p99 ≤ 2 ms; batches ≥
// 1,000,000 decisions/s.
//
// CREDO_BENCH_HTTP_DURATION sets each run's length (3s), CREDO_BENCH_HTTP_CONNS
// the connections of single evaluations (32), CREDO_BENCH_HTTP_BATCH_CONNS
// those of batches (3: here, two leave the cores idle between round trips,
// and more than four queue), CREDO_BENCH_HTTP_SUBJECTS the table's size
// (1,000,000).
func BenchmarkDecideHTTP(b *testing.B) {
	subjects := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("CREDO_BENCH_HTTP_SUBJECTS")); err == nil && n > 0 {
		subjects = n
	}
	dur := 3 * time.Second
	if d, err := time.ParseDuration(os.Getenv("CREDO_BENCH_HTTP_DURATION")); err == nil {
		dur = d
	}
	conns := 32 // CREDO_BENCH_HTTP_CONNS: 10 is wrk's default
	if n, err := strconv.Atoi(os.Getenv("CREDO_BENCH_HTTP_CONNS")); err == nil && n > 0 {
		conns = n
	}
	batchConns := 3
	if n, err := strconv.Atoi(os.Getenv("CREDO_BENCH_HTTP_BATCH_CONNS")); err == nil && n > 0 {
		batchConns = n
	}
	f := newHTTPFixture(b, subjects)
	defer f.close()
	hdr := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + f.key}}

	// the references: a constant answer over each HTTP stack
	constant := []byte(`{"decision":true}`)
	fln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	fref := &fasthttp.Server{Handler: func(rc *fasthttp.RequestCtx) {
		_ = rc.PostBody()
		rc.SetContentType("application/json")
		rc.Write(constant)
	}}
	go fref.Serve(fln)
	defer fref.Shutdown()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ref := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(constant)
	})}
	go ref.Serve(ln)
	defer ref.Close()

	single, batch := evalBodies(f.ids, 4096), batchBodies(f.ids, 256, 100)
	// The server holds no list of ids: neither does the benchmark while it
	// runs (a million strings would be scanned at every collection).
	f.ids = nil
	runtime.GC()
	b.Run("single", func(b *testing.B) {
		for b.Loop() {
			refRes := loadgen(context.Background(), "http://"+fln.Addr().String()+"/", hdr, single, conns, dur)
			stdRes := loadgen(context.Background(), "http://"+ln.Addr().String()+"/", hdr, single, conns, dur)
			res := loadgen(context.Background(), f.url+"/access/v1/evaluation", hdr, single, conns, dur)
			if res.errors > 0 {
				b.Fatalf("%d errors", res.errors)
			}
			b.ReportMetric(res.rate(), "evals/s")
			b.ReportMetric(float64(res.p(0.50).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(res.p(0.90).Microseconds())/1000, "p90-ms")
			b.ReportMetric(float64(res.p(0.99).Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(res.p(0.999).Microseconds())/1000, "p99.9-ms")
			b.ReportMetric(refRes.rate(), "ref-req/s")
			b.ReportMetric(float64(refRes.p(0.99).Microseconds())/1000, "ref-p99-ms")
			b.ReportMetric(res.rate()/refRes.rate(), "ratio-to-ref")
			b.ReportMetric(stdRes.rate(), "nethttp-req/s")
			// CPU time a request, server and generator: steadier than
			// rates on a shared machine
			b.ReportMetric(res.cpuPer(1), "cpu-µs/eval")
			b.ReportMetric(res.cpuPer(1)/refRes.cpuPer(1), "cpu-ratio-to-ref")
			b.ReportMetric(stdRes.cpuPer(1), "nethttp-cpu-µs/req")
		}
	})
	b.Run("batch100", func(b *testing.B) {
		for b.Loop() {
			res := loadgen(context.Background(), f.url+"/access/v1/evaluations", hdr, batch, batchConns, dur)
			if res.errors > 0 {
				b.Fatalf("%d errors", res.errors)
			}
			b.ReportMetric(res.rate()*100, "decisions/s")
			b.ReportMetric(float64(res.p(0.99).Microseconds())/1000, "p99-ms")
			b.ReportMetric(res.cpuPer(100), "cpu-µs/decision")
		}
	})
}

// TestLoadGen is the load generator of bench/decide.sh, run only when
// CREDO_LOADGEN_URL is set: it posts the bodies of CREDO_LOADGEN_BODIES
// (one JSON body a line) with the headers of CREDO_LOADGEN_HEADERS
// ("Name: value" pairs separated by "|") over CREDO_LOADGEN_CONNS
// connections for CREDO_LOADGEN_DURATION, and prints requests/s and the
// latency percentiles.
func TestLoadGen(t *testing.T) {
	url := os.Getenv("CREDO_LOADGEN_URL")
	if url == "" {
		t.Skip("CREDO_LOADGEN_URL not set: run by bench/decide.sh")
	}
	data, err := os.ReadFile(os.Getenv("CREDO_LOADGEN_BODIES"))
	if err != nil {
		t.Fatal(err)
	}
	var bodies [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			bodies = append(bodies, l)
		}
	}
	hdr := http.Header{"Content-Type": {"application/json"}}
	for _, h := range strings.Split(os.Getenv("CREDO_LOADGEN_HEADERS"), "|") {
		if k, v, ok := strings.Cut(h, ":"); ok {
			hdr.Set(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	conns, _ := strconv.Atoi(os.Getenv("CREDO_LOADGEN_CONNS"))
	if conns <= 0 {
		conns = 32
	}
	dur, err := time.ParseDuration(os.Getenv("CREDO_LOADGEN_DURATION"))
	if err != nil {
		dur = 10 * time.Second
	}
	res := loadgen(context.Background(), url, hdr, bodies, conns, dur)
	fmt.Printf("requests/s %.0f p50-ms %.3f p99-ms %.3f errors %d\n", res.rate(),
		float64(res.p(0.5).Microseconds())/1000, float64(res.p(0.99).Microseconds())/1000, res.errors)
}

// TestDecideFixture is bench/decide.sh's credo side, run only when
// CREDO_FIXTURE_DIR is set: it writes to that directory the bodies the load
// generator sends (credo.ndjson for credo, opa.ndjson for OPA), the same
// standings as OPA data (data.json) and credo's consumer key (key), then
// serves credo over CREDO_BENCH_HTTP_SUBJECTS subjects on
// CREDO_FIXTURE_ADDR until the file stop appears in the directory.
func TestDecideFixture(t *testing.T) {
	dir := os.Getenv("CREDO_FIXTURE_DIR")
	if dir == "" {
		t.Skip("CREDO_FIXTURE_DIR not set: run by bench/decide.sh")
	}
	subjects := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("CREDO_BENCH_HTTP_SUBJECTS")); err == nil && n > 0 {
		subjects = n
	}
	f := newHTTPFixture(t, subjects)
	defer f.close()
	write := func(name string, fill func(w io.Writer)) {
		out, err := os.Create(dir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		bw := bufio.NewWriterSize(out, 1<<20)
		fill(bw)
		if err := bw.Flush(); err != nil {
			t.Fatal(err)
		}
		out.Close()
	}
	bodies := evalBodies(f.ids, 4096)
	write("credo.ndjson", func(w io.Writer) {
		for _, b := range bodies {
			w.Write(b)
			w.Write([]byte("\n"))
		}
	})
	write("opa.ndjson", func(w io.Writer) {
		for _, b := range bodies {
			fmt.Fprintf(w, `{"input":%s}`+"\n", b)
		}
	})
	prgs := shippedPacks(t)
	write("data.json", func(w io.Writer) {
		io.WriteString(w, `{"standings":{`)
		first, cur := true, ""
		for st := range benchStandings(prgs, f.ids) {
			if st.Jurisdiction != "national" {
				continue // the Rego reads the national standing alone: OPA holds what it reads
			}
			if st.Subject.ID != cur {
				if cur != "" {
					io.WriteString(w, "}")
				}
				if !first {
					io.WriteString(w, ",")
				}
				first = false
				cur = st.Subject.ID
				fmt.Fprintf(w, "%q:{", cur)
			} else {
				io.WriteString(w, ",")
			}
			lists := []string{}
			for _, m := range st.Lists {
				lists = append(lists, strconv.Quote(m.List))
			}
			fmt.Fprintf(w, `%q:{"grade":%q,"score":%g,"lists":[%s]}`, st.Jurisdiction, st.Grade, st.Score, strings.Join(lists, ","))
		}
		if cur != "" {
			io.WriteString(w, "}")
		}
		io.WriteString(w, "}}")
	})
	// The server needs none of what made the bodies and the data: the
	// resident memory bench/decide.sh reads is the server's, as credo
	// serve holds it once the table is loaded (it frees the load's
	// working memory the same way).
	f.ids, bodies = nil, nil
	debug.FreeOSMemory()
	if err := server.ReleaseExecutablePages(); err != nil { // as credo serve does once loaded
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/key", []byte(f.key), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/url", []byte(f.url), 0o600); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(dir + "/stop"); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}
