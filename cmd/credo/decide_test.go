package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/policy"
)

const (
	listedPerson = "11010519491231002X"
	cleanPerson  = "110101198504120019"
)

// decisionData is a data directory whose ledger holds a judgment default
// against listedPerson and a traffic fine of cleanPerson's.
func decisionData(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := pebble.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().AddDate(0, -1, 0)
	recs := []*credo.Record{
		{Subject: credo.SubjectRef{Kind: credo.Person, ID: listedPerson}, Source: "court", SourceRecordID: "J-1", Kind: "court.judgment_default",
			Polarity: credo.Negative, OccurredAt: at, Evidence: "J-1", Provenance: credo.Provenance{File: "f", Row: 1}},
		{Subject: credo.SubjectRef{Kind: credo.Person, ID: cleanPerson}, Source: "traffic_police", SourceRecordID: "T-1", Kind: "traffic.red_light",
			Polarity: credo.Negative, OccurredAt: at, Evidence: "T-1", Provenance: credo.Provenance{File: "f", Row: 2}},
	}
	if _, err := s.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestConsumerAddListRevoke(t *testing.T) {
	dir := decisionData(t)
	out, errOut, status := runCLI(t, "consumer", "add", "airline", "--actions", "flight.book,rail.g_train", "--json", "--data", dir)
	if status != 0 {
		t.Fatalf("consumer add: %d %s", status, errOut)
	}
	var added struct {
		Name, Key string
		Actions   []string
	}
	if err := json.Unmarshal([]byte(out), &added); err != nil || added.Name != "airline" || !credo.LooksLikeConsumerKey(added.Key) || len(added.Actions) != 2 {
		t.Fatalf("consumer add --json: %q %v", out, err)
	}
	if _, errOut, status := runCLI(t, "consumer", "add", "airline", "--actions", "flight.book", "--data", dir); status == 0 || !strings.Contains(errOut, "already registered") {
		t.Errorf("adding twice: %d %s", status, errOut)
	}
	if _, errOut, status := runCLI(t, "consumer", "add", "spaceline", "--actions", "moon.book", "--data", dir); status == 0 || !strings.Contains(errOut, "no measure covers") {
		t.Errorf("an action no measure covers: %d %s", status, errOut)
	}
	out, _, _ = runCLI(t, "consumer", "list", "--data", dir)
	if !strings.Contains(out, "airline") || strings.Contains(out, added.Key) {
		t.Errorf("consumer list: %s", out)
	}
	// keys of the other roles
	out, errOut, status = runCLI(t, "key", "add", "--role", "subject", "--subject", listedPerson, "me", "--json", "--data", dir)
	if status != 0 || !strings.Contains(out, `"role": "subject"`) {
		t.Errorf("key add --role subject: %d %s %s", status, out, errOut)
	}
	if _, errOut, status := runCLI(t, "key", "add", "--role", "root", "x", "--data", dir); status == 0 {
		t.Errorf("key add --role root: %s", errOut)
	}
	if _, errOut, status := runCLI(t, "key", "add", "--role", "operator", "ops", "--data", dir); status != 0 {
		t.Errorf("key add --role operator: %s", errOut)
	}
	out, _, _ = runCLI(t, "key", "list", "--data", dir)
	for _, w := range []string{"ops", "operator", "me", "subject", "airline"} {
		if !strings.Contains(out, w) {
			t.Errorf("key list lacks %s: %s", w, out)
		}
	}
	if out, _, status := runCLI(t, "consumer", "revoke", "airline", "--data", dir); status != 0 || !strings.Contains(out, "revoked") {
		t.Errorf("revoke: %s", out)
	}
	if _, errOut, status := runCLI(t, "decide", "--consumer", "airline", "--action", "flight.book", cleanPerson, "--data", dir); status == 0 || !strings.Contains(errOut, "revoked") {
		t.Errorf("decide as a revoked consumer: %d %s", status, errOut)
	}
}

func TestDecideAndInquiries(t *testing.T) {
	dir := decisionData(t)
	if _, errOut, status := runCLI(t, "consumer", "add", "airline", "--actions", "flight.book", "--data", dir); status != 0 {
		t.Fatal(errOut)
	}
	out, errOut, status := runCLI(t, "decide", "--consumer", "airline", "--action", "flight.book", listedPerson, "--json", "--data", dir)
	var d struct {
		Decision bool
		Context  struct {
			ReasonCodes []string `json:"reason_codes"`
			NoticeID    string   `json:"notice_id"`
			Known       bool     `json:"subject_known"`
		}
	}
	if status != 0 || json.Unmarshal([]byte(out), &d) != nil || d.Decision || d.Context.NoticeID == "" || !d.Context.Known {
		t.Fatalf("decide listed: %d %s %s", status, out, errOut)
	}
	out, _, status = runCLI(t, "decide", "--consumer", "airline", "--action", "flight.book", "--context", `{"purpose": "ticketing"}`, cleanPerson, "--data", dir)
	if status != 0 || !strings.HasPrefix(out, "PERMIT") {
		t.Errorf("decide clean: %s", out)
	}
	if _, errOut, status := runCLI(t, "decide", "--consumer", "airline", "--action", "loan.apply", cleanPerson, "--data", dir); status == 0 || !strings.Contains(errOut, "may not ask") {
		t.Errorf("an action not the consumer's: %d %s", status, errOut)
	}
	if _, errOut, status := runCLI(t, "decide", "--consumer", "airline", "--action", "flight.book", "110105194912310021", "--data", dir); status == 0 || !strings.Contains(errOut, "not a valid identifier") {
		t.Errorf("a bad id: %d %s", status, errOut)
	}
	// credo subject inquiries
	var buf, errBuf bytes.Buffer
	e := &env{stdout: &buf, stderr: &errBuf, data: dir, getenv: func(string) string { return "" }}
	c := newSubjectInquiriesCmd(e)
	c.SetArgs([]string{listedPerson, "--json"})
	if err := c.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	var inqs []credo.Inquiry
	if err := json.Unmarshal(buf.Bytes(), &inqs); err != nil || len(inqs) != 1 || inqs[0].Consumer != "airline" || inqs[0].NoticeID != d.Context.NoticeID {
		t.Fatalf("inquiries: %v %s", err, buf.String())
	}
	// credo subject notice: the notice the denial named
	out, errOut, status = runCLI(t, "subject", "notice", listedPerson, d.Context.NoticeID, "--json", "--data", dir)
	var n credo.AdverseNotice
	if status != 0 || json.Unmarshal([]byte(out), &n) != nil || n.ID != d.Context.NoticeID || n.Subject.ID != listedPerson ||
		len(n.Measures) == 0 || len(n.Measures[0].Records) == 0 || n.Object == "" {
		t.Fatalf("subject notice --json: %d %s %s", status, out, errOut)
	}
	out, errOut, status = runCLI(t, "subject", "notice", listedPerson, d.Context.NoticeID, "--data", dir)
	if status != 0 || !strings.Contains(out, n.Measures[0].Reason) || !strings.Contains(out, n.Measures[0].Records[0]) || !strings.Contains(out, "how to object: "+n.Object) {
		t.Errorf("subject notice: %d %s %s", status, out, errOut)
	}
	if _, errOut, status := runCLI(t, "subject", "notice", cleanPerson, d.Context.NoticeID, "--data", dir); status == 0 || !strings.Contains(errOut, "has no adverse-action notice") {
		t.Errorf("another subject's notice: %d %s", status, errOut)
	}
}

// lockedBuffer is written by the command and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDemoServes runs plain demo with --serve on a free port, asks the
// first example's decision with the printed key, and stops it.
func TestDemoServes(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--clean", "--people", "1000", "--serve", "--addr", "127.0.0.1:0", "--data", data}, strings.NewReader(""), out, &lockedBuffer{})
	}()
	deadline := time.After(2 * time.Minute)
	for !strings.Contains(out.String(), "serving on") {
		select {
		case err := <-done:
			t.Fatalf("demo ended: %v\n%s", err, out)
		case <-deadline:
			t.Fatalf("demo did not serve:\n%s", out)
		case <-time.After(50 * time.Millisecond):
		}
	}
	m := regexp.MustCompile(`curl -s (\S+/access/v1/evaluation) -H 'Authorization: Bearer (\S+)' -H 'Content-Type: application/json' \\\n    -d '([^']+)'`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no curl example:\n%s", out)
	}
	req, _ := http.NewRequest("POST", m[1], strings.NewReader(m[3]))
	req.Header.Set("Authorization", "Bearer "+m[2])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Decision *bool
		Context  struct {
			NoticeID string `json:"notice_id"`
		}
	}
	json.NewDecoder(res.Body).Decode(&d)
	res.Body.Close()
	if res.StatusCode != 200 || d.Decision == nil || *d.Decision || d.Context.NoticeID == "" {
		t.Fatalf("the first example (a listed person: a denial with its notice): %d %+v", res.StatusCode, d)
	}
	// the notice's example reads that denial's notice (once the audit
	// writer has its batch written: within 50 ms)
	m = regexp.MustCompile(`curl -s (\S+/notices/)NOTICE -H 'Authorization: Bearer (\S+)'`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no notice example:\n%s", out)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		req, _ := http.NewRequest("GET", m[1]+d.Context.NoticeID, nil)
		req.Header.Set("Authorization", "Bearer "+m[2])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var n credo.AdverseNotice
		json.NewDecoder(res.Body).Decode(&n)
		res.Body.Close()
		if res.StatusCode == 200 && n.ID == d.Context.NoticeID && len(n.Measures) > 0 {
			break
		}
		if res.StatusCode != 404 || time.Now().After(deadline) {
			t.Fatalf("the notice example: %d %+v", res.StatusCode, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// the consumer registry's example registers a consumer while serving
	m = regexp.MustCompile(`curl -s -X POST (\S+/v1/consumers) -H 'Authorization: Bearer (\S+)' -H 'Content-Type: application/json' \\\n    -d '([^']+)'`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no registry example:\n%s", out)
	}
	req, _ = http.NewRequest("POST", m[1], strings.NewReader(m[3]))
	req.Header.Set("Authorization", "Bearer "+m[2])
	if res, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	var added struct{ Key string }
	json.NewDecoder(res.Body).Decode(&added)
	res.Body.Close()
	if res.StatusCode != 201 || !credo.LooksLikeConsumerKey(added.Key) {
		t.Fatalf("the registry example: %d %+v", res.StatusCode, added)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo after interrupt: %v", err)
	}
}

// publishedDecisionData is decisionData with the national policy published
// (every subject's standing stored under it), opened; the store closes
// when the test ends.
func publishedDecisionData(t *testing.T) (*pebble.Store, []*policy.Program) {
	t.Helper()
	dir := decisionData(t)
	if _, errOut, status := runCLI(t, "policy", "publish", "../../policies/national.yaml", "--data", dir); status != 0 {
		t.Fatalf("publish: %s", errOut)
	}
	s, err := pebble.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	prgs, err := decisionPrograms(context.Background(), s)
	if err != nil || len(prgs) != 1 {
		t.Fatalf("programs: %d %v", len(prgs), err)
	}
	return s, prgs
}

// TestDecisionTableFromStoredStandings publishes a policy (which stores
// every subject's standing under it, and saves the table's snapshot) and
// loads the table: from its snapshot, and from the standings when the
// snapshot is missing, damaged or of other standings, saving it again.
func TestDecisionTableFromStoredStandings(t *testing.T) {
	ctx := context.Background()
	s, prgs := publishedDecisionData(t)
	path := tableSnapshotPath(s)
	load := func(what, from, why string) {
		t.Helper()
		var logs bytes.Buffer
		table, _, err := loadDecisionTable(ctx, slog.New(slog.NewTextHandler(&logs, nil)), s, prgs)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), `from="`+from+`"`) || !strings.Contains(logs.String(), why) || table.Len() != 2 {
			t.Fatalf("%s: %d subjects; %s", what, table.Len(), logs.String())
		}
		if r := table.Decide(credo.SubjectRef{Kind: credo.Person, ID: listedPerson}, "flight.book", nil); r.Effect != credo.Deny {
			t.Errorf("%s: listed person: %v", what, r.Effect)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("%s: no snapshot after: %v", what, err)
		}
	}
	load("after publishing", "its snapshot", "read from its snapshot")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	load("without a snapshot", "stored standings", "no snapshot")
	load("again", "its snapshot", "read from its snapshot")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-9] ^= 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	load("damaged", "stored standings", "damaged")
	var st *credo.Standing
	for x, err := range s.ListStandings(ctx, credo.StandingFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		st = x
	}
	if err := s.PutStandings(ctx, []*credo.Standing{st}); err != nil {
		t.Fatal(err)
	}
	load("standings stored since", "stored standings", "not of the stored standings")
	load("and again", "its snapshot", "read from its snapshot")
}

// TestDecisionTableCatchesUpFromStandings: records appended after the
// standings were scored (as the stream API appends them while a server
// runs, scoring them in its table alone) are caught up on by the next
// server, which follows the ledger from the standings' watermark rather
// than from its head.
func TestDecisionTableCatchesUpFromStandings(t *testing.T) {
	ctx := context.Background()
	s, prgs := publishedDecisionData(t)
	scored, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clean := credo.SubjectRef{Kind: credo.Person, ID: cleanPerson}
	at := time.Now().UTC().AddDate(0, 0, -7)
	if _, err := s.Append(ctx, []*credo.Record{{Subject: clean, Source: "court", SourceRecordID: "J-2", Kind: "court.judgment_default",
		Polarity: credo.Negative, OccurredAt: at, Evidence: "J-2", Provenance: credo.Provenance{Request: "r1"}}}); err != nil {
		t.Fatal(err)
	}
	table, from, err := loadDecisionTable(ctx, slog.New(slog.DiscardHandler), s, prgs)
	if err != nil {
		t.Fatal(err)
	}
	if from != scored.Seq {
		t.Fatalf("follows from %d, want the standings' watermark %d", from, scored.Seq)
	}
	if r := table.Decide(clean, "flight.book", nil); r.Effect == credo.Deny {
		t.Fatalf("the stored standings already deny: the test shows nothing")
	}
	if n, _, err := table.CatchUp(ctx, s, prgs, from); err != nil || n == 0 {
		t.Fatalf("catch up: %d records, %v", n, err)
	}
	if r := table.Decide(clean, "flight.book", nil); r.Effect != credo.Deny {
		t.Errorf("after catching up on a judgment default: %v, want deny", r.Effect)
	}
}

// TestConsumerWhileServing: while another process (credo serve) holds the
// data directory, the consumer and key commands say so and point to the
// server's registry API.
func TestConsumerWhileServing(t *testing.T) {
	dir := decisionData(t)
	s, err := pebble.Open(dir, nil) // as credo serve holds it
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		args []string
		api  string
	}{
		{[]string{"consumer", "add", "hotel", "--actions", "rail.g_train"}, "POST /v1/consumers"},
		{[]string{"consumer", "list"}, "POST /v1/consumers"},
		{[]string{"consumer", "revoke", "hotel"}, "POST /v1/consumers"},
		{[]string{"key", "add", "--role", "subject", "--subject", listedPerson, "me"}, "POST /v1/subject-keys"},
		{[]string{"key", "list"}, "POST /v1/subject-keys"},
		{[]string{"key", "revoke", "me"}, "POST /v1/subject-keys"},
	} {
		_, errOut, status := runCLI(t, append(c.args, "--data", dir)...)
		if status == 0 || !strings.Contains(errOut, "in use by another process") || !strings.Contains(errOut, c.api) {
			t.Errorf("%v while the directory is held: %d %s", c.args, status, errOut)
		}
	}
}
