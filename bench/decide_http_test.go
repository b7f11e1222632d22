package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
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
	pct      [len(quantiles)]time.Duration // the latency at each of quantiles, of a sample
	cpu      time.Duration                 // CPU time (user and system) during the run: server and generator
	gen      time.Duration                 // of which the generator's, when it ran in a process of its own
}

// quantiles are the latency percentiles a load run reports.
var quantiles = [...]float64{0.50, 0.90, 0.99, 0.999}

// cpuPer is the CPU time per request (or per item of n a request), in µs.
func (r loadResult) cpuPer(n int) float64 {
	return float64(r.cpu.Nanoseconds()) / 1000 / float64(r.requests*int64(n))
}

func (r loadResult) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// ms is the latency at quantiles[i], in ms.
func (r loadResult) ms(i int) float64 { return float64(r.pct[i].Microseconds()) / 1000 }

// String is the result as TestLoadGen prints it, and as bench/decide.sh and
// loadgenProcess read it: names and values, separated by spaces.
func (r loadResult) String() string {
	return fmt.Sprintf("requests/s %.0f p50-ms %.3f p99-ms %.3f errors %d p90-ms %.3f p99.9-ms %.3f requests %d elapsed-ns %d",
		r.rate(), r.ms(0), r.ms(2), r.errors, r.ms(1), r.ms(3), r.requests, r.elapsed.Nanoseconds())
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
//
// With blocking, the connections' reads and writes block their threads
// (dialBlocking), a thread a connection: for a few connections (batches),
// a generator in a process of its own then costs less; in the server's
// process it costs more (a blocked thread is one the server's runtime
// must replace), and with ten connections or more the threads' turns on
// the cores make the latencies' tail twice the poller's (p99 3–3.6 ms
// against 1.4–1.5).
func loadgen(ctx context.Context, url string, header http.Header, bodies [][]byte, conns int, dur time.Duration, blocking bool) loadResult {
	dial := func(addr string) (io.ReadWriteCloser, error) { return dialDeadline(addr, 5*time.Second) }
	if blocking {
		dial = func(addr string) (io.ReadWriteCloser, error) { return dialBlocking(addr, 5*time.Second) }
	}
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
			var c io.ReadWriteCloser
			var br *bufio.Reader
			for n := 0; ctx.Err() == nil; n++ {
				if c == nil {
					var err error
					if c, err = dial(host); err != nil {
						errs.Add(1)
						time.Sleep(10 * time.Millisecond)
						continue
					}
					br = bufio.NewReaderSize(c, 64<<10)
				}
				t0 := time.Now()
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
	res := loadResult{requests: requests.Load(), errors: errs.Load(), elapsed: time.Since(start), cpu: cpuTime() - cpu0}
	if len(lat) > 0 {
		for i, q := range quantiles {
			res.pct[i] = lat[min(len(lat)-1, int(q*float64(len(lat))))]
		}
	}
	return res
}

// loadgenProcess is loadgen in a process of its own (this test binary's
// TestLoadGen), as wrk or bench/decide.sh's generator is: the server's
// runtime then schedules the server alone, and the two share the machine's
// cores through the kernel. The result's CPU time is the server's process
// and the generator's together, as in loadgen.
func loadgenProcess(b testing.TB, url string, header http.Header, bodies [][]byte, conns int, dur time.Duration, blocking bool) loadResult {
	b.Helper()
	file := filepath.Join(b.TempDir(), "bodies.ndjson")
	if err := os.WriteFile(file, append(bytes.Join(bodies, []byte("\n")), '\n'), 0o600); err != nil {
		b.Fatal(err)
	}
	var hdrs []string
	for k, vs := range header {
		for _, v := range vs {
			hdrs = append(hdrs, k+": "+v)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestLoadGen$", "-test.count", "1")
	cmd.Env = append(os.Environ(), "CREDO_LOADGEN_URL="+url, "CREDO_LOADGEN_BODIES="+file,
		"CREDO_LOADGEN_HEADERS="+strings.Join(hdrs, "|"), "CREDO_LOADGEN_CONNS="+strconv.Itoa(conns),
		"CREDO_LOADGEN_DURATION="+dur.String())
	if blocking {
		cmd.Env = append(cmd.Env, "CREDO_LOADGEN_BLOCKING=1")
	}
	cpu0 := cpuTime()
	out, err := cmd.Output()
	server := cpuTime() - cpu0
	if err != nil {
		b.Fatalf("load generator: %v\n%s", err, out)
	}
	res, err := parseLoadResult(out)
	if err != nil {
		b.Fatalf("load generator: %v\n%s", err, out)
	}
	res.gen = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	res.cpu = server + res.gen
	return res
}

// parseLoadResult reads the line loadResult.String wrote in out.
func parseLoadResult(out []byte) (loadResult, error) {
	var line string
	for l := range strings.Lines(string(out)) {
		if strings.HasPrefix(l, "requests/s ") {
			line = l
		}
	}
	f := strings.Fields(line)
	v := map[string]float64{}
	for i := 0; i+1 < len(f); i += 2 {
		x, err := strconv.ParseFloat(f[i+1], 64)
		if err != nil {
			return loadResult{}, fmt.Errorf("%s %q: %w", f[i], f[i+1], err)
		}
		v[f[i]] = x
	}
	if _, ok := v["elapsed-ns"]; !ok {
		return loadResult{}, fmt.Errorf("no result line")
	}
	res := loadResult{requests: int64(v["requests"]), errors: int64(v["errors"]), elapsed: time.Duration(v["elapsed-ns"])}
	for i, k := range []string{"p50-ms", "p90-ms", "p99-ms", "p99.9-ms"} {
		res.pct[i] = time.Duration(math.Round(v[k]*1000)) * time.Microsecond // printed to the µs
	}
	return res, nil
}

// dialDeadline opens a connection of Go's network poller whose reads and
// writes time out after timeout.
func dialDeadline(addr string, timeout time.Duration) (io.ReadWriteCloser, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return deadlineConn{c, timeout}, nil
}

type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (c deadlineConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(p)
}

func (c deadlineConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(p)
}

// roundTrip writes req on c and reads the response from br, returning its
// status. The body is read and dropped.
func roundTrip(c io.Writer, br *bufio.Reader, req []byte) (int, error) {
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
// 1,000,000 decisions/s. The load generator of single evaluations is a
// process of its own (loadgenProcess), that of batches runs in the
// benchmark's (see below).
//
// CREDO_BENCH_HTTP_DURATION sets each run's length (3s), CREDO_BENCH_HTTP_CONNS
// the connections of single evaluations (10, wrk's default: with 32 a
// request waits behind three times as many), CREDO_BENCH_HTTP_BATCH_CONNS
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
	conns := 10
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
	// Each run has the generator that takes the least from the server:
	// single evaluations one in a process of its own, as wrk would be (in
	// the benchmark's process the one runtime queues the generator's
	// goroutines behind the server's, and p99 is about 3 ms where it is
	// 1.1–1.6 ms so); batches one in the benchmark's process (0.1 CPU-µs
	// a decision, against 0.35–0.45 in a process of its own, with its
	// blocking threads: every response wakes a thread of another process).
	// CREDO_BENCH_HTTP_LOADGEN=process or inproc puts both in one place.
	mode := os.Getenv("CREDO_BENCH_HTTP_LOADGEN")
	load := func(url string, bodies [][]byte, conns int, batches bool) loadResult {
		if mode == "inproc" || mode != "process" && batches {
			return loadgen(context.Background(), url, hdr, bodies, conns, dur, false)
		}
		return loadgenProcess(b, url, hdr, bodies, conns, dur, batches)
	}
	b.Run("single", func(b *testing.B) {
		for b.Loop() {
			refRes := load("http://"+fln.Addr().String()+"/", single, conns, false)
			stdRes := load("http://"+ln.Addr().String()+"/", single, conns, false)
			res := load(f.url+"/access/v1/evaluation", single, conns, false)
			if res.errors > 0 {
				b.Fatalf("%d errors", res.errors)
			}
			b.ReportMetric(res.rate(), "evals/s")
			b.ReportMetric(res.ms(0), "p50-ms")
			b.ReportMetric(res.ms(1), "p90-ms")
			b.ReportMetric(res.ms(2), "p99-ms")
			b.ReportMetric(res.ms(3), "p99.9-ms")
			b.ReportMetric(refRes.rate(), "ref-req/s")
			b.ReportMetric(refRes.ms(2), "ref-p99-ms")
			b.ReportMetric(res.rate()/refRes.rate(), "ratio-to-ref")
			b.ReportMetric(stdRes.rate(), "nethttp-req/s")
			// CPU time a request, server and generator: steadier than
			// rates on a shared machine
			b.ReportMetric(res.cpuPer(1), "cpu-µs/eval")
			b.ReportMetric(res.cpuPer(1)/refRes.cpuPer(1), "cpu-ratio-to-ref")
			b.ReportMetric(stdRes.cpuPer(1), "nethttp-cpu-µs/req")
			if res.gen > 0 {
				b.ReportMetric(float64(res.gen.Nanoseconds())/1000/float64(res.requests), "gen-cpu-µs/eval")
			}
		}
	})
	b.Run("batch100", func(b *testing.B) {
		for b.Loop() {
			res := load(f.url+"/access/v1/evaluations", batch, batchConns, true)
			if res.errors > 0 {
				b.Fatalf("%d errors", res.errors)
			}
			b.ReportMetric(res.rate()*100, "decisions/s")
			b.ReportMetric(res.ms(2), "p99-ms")
			b.ReportMetric(res.cpuPer(100), "cpu-µs/decision")
			if res.gen > 0 {
				b.ReportMetric(float64(res.gen.Nanoseconds())/1000/float64(res.requests*100), "gen-cpu-µs/decision")
			}
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
	fmt.Println(loadgen(context.Background(), url, hdr, bodies, conns, dur, os.Getenv("CREDO_LOADGEN_BLOCKING") != ""))
}

// TestDecideFixture is bench/decide.sh's credo side, run only when
// CREDO_FIXTURE_DIR is set: it writes to that directory the bodies the load
// generator sends (credo.ndjson for credo, opa.ndjson for OPA, batch.ndjson
// for credo's batches of 100), the same
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
	write("batch.ndjson", func(w io.Writer) {
		for _, b := range batchBodies(f.ids, 256, 100) {
			w.Write(b)
			w.Write([]byte("\n"))
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

// TestGeneratorRoundTrips runs the load generator, with each kind of
// connection, against a server answering 200 to a request in three and
// 404 to the rest, and reads its result back as TestLoadGen prints it.
func TestGeneratorRoundTrips(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if n.Add(1)%3 != 0 {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"decision":true}`))
	}))
	defer srv.Close()
	for _, blocking := range []bool{false, true} {
		n.Store(0)
		res := loadgen(context.Background(), srv.URL+"/x", http.Header{"A": {"b"}}, [][]byte{[]byte(`{}`)}, 2, 300*time.Millisecond, blocking)
		if res.requests == 0 || res.requests != n.Load() {
			t.Fatalf("blocking %v: %d requests counted, %d served", blocking, res.requests, n.Load())
		}
		if want := res.requests - res.requests/3; res.errors < want-2 || res.errors > want+2 {
			t.Errorf("blocking %v: %d errors of %d requests, want about %d (the 404s)", blocking, res.errors, res.requests, want)
		}
		back, err := parseLoadResult([]byte("=== RUN\n" + res.String() + "\nPASS\n"))
		if err != nil {
			t.Fatal(err)
		}
		if back.requests != res.requests || back.errors != res.errors || back.elapsed != res.elapsed || back.pct[2] != res.pct[2].Truncate(time.Microsecond) {
			t.Errorf("blocking %v: read back %+v, wrote %+v", blocking, back, res)
		}
	}
}
