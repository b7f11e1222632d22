package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// keepAliveConns is how many keep-alive connections the server must hold
// (issue 6: 10,000 concurrent keep-alive connections do not exhaust it).
const keepAliveConns = 10000

// TestTenThousandKeepAliveConnections holds 10,000 keep-alive connections
// open, each having asked a decision, and checks that the server still
// answers a new connection and the held ones. The client ends live in a
// child process (this test binary again, TestKeepAliveClient): each
// process then stays under this machine's limit of 20,000 open files.
func TestTenThousandKeepAliveConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) { testTenThousandKeepAliveConnections(t, tr) })
	}
}

func testTenThousandKeepAliveConnections(t *testing.T, transport string) {
	f := newAZFixtureOn(t, transport)
	body := evalBody("person", clean, "flight.book")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKeepAliveClient$")
	cmd.Env = append(os.Environ(),
		"CREDO_KEEPALIVE_ADDR="+strings.TrimPrefix(f.srv.URL, "http://"),
		"CREDO_KEEPALIVE_KEY="+f.keys["airline"],
		"CREDO_KEEPALIVE_BODY="+body,
		"CREDO_KEEPALIVE_N="+strconv.Itoa(keepAliveConns))
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewReader(outPipe)
	var said strings.Builder
	// The child says "holding N" once every connection has asked once.
	for {
		line, err := out.ReadString('\n')
		said.WriteString(line)
		if strings.HasPrefix(line, "holding ") {
			break
		}
		if err != nil {
			in.Close()
			cmd.Wait()
			t.Fatalf("the client process did not get to hold its connections:\n%s", said.String())
		}
	}
	if res := f.ask(t, "airline", "/access/v1/evaluation", body); res.status != 200 {
		t.Errorf("a new connection beside %d held ones: %d", keepAliveConns, res.status)
	}
	in.Close() // the child asks again on some held connections, then exits
	rest, _ := io.ReadAll(out)
	said.Write(rest)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("client process: %v\n%s", err, said.String())
	}
}

// TestKeepAliveClient is the client process of
// TestTenThousandKeepAliveConnections: it opens the connections, asks a
// decision on each, says so, waits for its stdin to close, asks again on
// every 97th, and exits 0 if every answer was 200.
func TestKeepAliveClient(t *testing.T) {
	addr := os.Getenv("CREDO_KEEPALIVE_ADDR")
	if addr == "" {
		t.Skip("client process of TestTenThousandKeepAliveConnections; runs only when started by it")
	}
	n, _ := strconv.Atoi(os.Getenv("CREDO_KEEPALIVE_N"))
	body := os.Getenv("CREDO_KEEPALIVE_BODY")
	req := "POST /access/v1/evaluation HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer " + os.Getenv("CREDO_KEEPALIVE_KEY") +
		"\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	ask := func(c net.Conn, r *bufio.Reader) error {
		if _, err := io.WriteString(c, req); err != nil {
			return err
		}
		res, err := http.ReadResponse(r, nil)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		return nil
	}
	conns := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 50 {
		wg.Go(func() {
			for i := w; i < n; i += 50 {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					errs <- fmt.Errorf("connection %d: %w", i, err)
					return
				}
				conns[i], readers[i] = c, bufio.NewReader(c)
				if err := ask(c, readers[i]); err != nil {
					errs <- fmt.Errorf("connection %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("with %d connections: %v", n, err)
	}
	fmt.Printf("holding %d\n", n)
	io.Copy(io.Discard, os.Stdin)
	for i := 0; i < n; i += 97 {
		if err := ask(conns[i], readers[i]); err != nil {
			t.Fatalf("held connection %d asked again: %v", i, err)
		}
	}
}
