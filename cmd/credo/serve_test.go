package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/decide"
	"github.com/credo-org/credo/ident"
	"github.com/credo-org/credo/pebble"
)

// TestServerKeepsStandingsScored serves a data directory whose national
// policy is published and scored, appends a judgment default against a
// person the ledger has not seen (as a source's post would), and finds the
// person's stored standing, on the list, without credo score (which cannot
// open the directory while the server holds it); subject search, which
// reads those standings, answers; stopped, the server leaves the table's
// snapshot of them.
func TestServerKeepsStandingsScored(t *testing.T) {
	ctx := context.Background()
	dir := decisionData(t)
	if _, errOut, status := runCLI(t, "policy", "publish", "national", "--data", dir); status != 0 {
		t.Fatalf("policy publish: %d %s", status, errOut)
	}
	s, err := pebble.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	opKey := credo.NewConsumerKey()
	if err := s.PutConsumer(ctx, &credo.Consumer{Name: "ops", Role: credo.RoleOperator, KeyHash: credo.HashKey(opKey), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	prgs, err := decisionPrograms(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	table, seq, err := loadDecisionTable(ctx, logger, s, prgs)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		served <- serveLinked(sctx, logger, s, ln, table, prgs, nil, seq, time.Second, 1<<20, 50*time.Millisecond)
	}()
	shutdown := sync.OnceValue(func() error { stop(); return <-served })
	defer shutdown()

	who := credo.SubjectRef{Kind: credo.Person, ID: ident.NewPersonID(110105, 1990, 6, 1, 7)}
	if _, err := s.Standing(ctx, who, "national"); err == nil {
		t.Fatalf("%s has a standing before any record", who)
	}
	if _, err := s.Append(ctx, []*credo.Record{{Subject: who, Source: "court", SourceRecordID: "J-9", Kind: "court.judgment_default",
		Polarity: credo.Negative, OccurredAt: time.Now().UTC().AddDate(0, -1, 0), Evidence: "J-9", Provenance: credo.Provenance{File: "f", Row: 9}}}); err != nil {
		t.Fatal(err)
	}
	var st *credo.Standing
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if st, err = s.Standing(ctx, who, "national"); err == nil {
			break
		}
	}
	if st == nil {
		t.Fatalf("no stored standing for %s while serving: %v", who, err)
	}
	onList := false
	for _, m := range st.Lists {
		onList = onList || m.List == "dishonest_debtor"
	}
	if !onList {
		t.Errorf("stored standing of %s: lists %+v, want dishonest_debtor", who, st.Lists)
	}
	// the standings are stored before the watermark moves past their records
	head, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wm uint64
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && wm != head.Seq; time.Sleep(20 * time.Millisecond) {
		if wm, err = s.Watermark(ctx, prgs[0].VersionID()); err != nil {
			t.Fatal(err)
		}
	}
	if wm != head.Seq {
		t.Errorf("watermark %d, head %d", wm, head.Seq)
	}
	// the search decides each stored subject from the table, which follows
	// the ledger within a second: the person, once there, may not fly
	var status int
	var body []byte
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/access/v1/search/subject",
			strings.NewReader(`{"subject": {"type": "person"}, "action": {"name": "flight.book"}}`))
		req.Header.Set("Authorization", "Bearer "+opKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if status = res.StatusCode; status != 200 || !strings.Contains(string(body), who.ID) {
			break
		}
	}
	if status != 200 || !strings.Contains(string(body), cleanPerson) || strings.Contains(string(body), who.ID) {
		t.Errorf("subject search: %d %s; want %s, not %s", status, body, cleanPerson, who.ID)
	}
	// stopped, the server leaves the table's snapshot of the standings it
	// stored, which the next start reads
	if err := shutdown(); err != nil {
		t.Fatal(err)
	}
	version, err := s.StandingsVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := decide.New(prgs)
	if err != nil {
		t.Fatal(err)
	}
	if !fresh.SnapshotCurrent(tableSnapshotPath(s), version) {
		t.Error("after the server stopped, the table's snapshot is not of the stored standings")
	}
}
