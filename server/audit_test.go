package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/server"
)

// TestAuditLogWritesEverything records more decisions than the queue holds
// and than the store indexes at once, from many goroutines, and reads every
// subject's inquiries back after Close: none lost, none twice, whether the
// index or the log's tail holds them.
func TestAuditLogWritesEverything(t *testing.T) {
	s, err := pebble.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	al := server.NewAuditLog(nil, s, s, nil)
	subjects := make([]credo.SubjectRef, 50)
	for i := range subjects {
		subjects[i] = credo.SubjectRef{Kind: credo.Person, ID: ident.NewPersonID(110101, 1980, 1, 1+i%28, 100+i)}
	}
	const workers, each = 8, 10_000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				n := w*each + i
				al.Record(context.Background(), &credo.Inquiry{Time: time.Now().UTC(), RequestID: fmt.Sprintf("r%d", n), Consumer: "airline",
					Subject: subjects[n%len(subjects)], Action: "flight.book", Decision: true, Reasons: []string{"national:not_listed"}}, nil)
			}
		})
	}
	wg.Wait()
	if err := al.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ref := range subjects {
		for q, err := range s.SubjectInquiries(context.Background(), ref) {
			if err != nil {
				t.Fatal(err)
			}
			if q.Subject != ref || seen[q.RequestID] {
				t.Fatalf("inquiry %s about %s, read for %s (seen before: %v)", q.RequestID, q.Subject, ref, seen[q.RequestID])
			}
			seen[q.RequestID] = true
		}
	}
	if len(seen) != workers*each {
		t.Errorf("%d inquiries read back, want %d", len(seen), workers*each)
	}
}

// TestBatchInquiriesWhole posts batches from several connections at once
// and reads every subject's inquiry back after shutdown: each names the
// request that asked it and its own subject. A batch's answers and
// inquiries live in a slab reused once both the request and the audit
// writer are done with it: a slab reused too early would show here as
// inquiries of other requests, or lost ones.
func TestBatchInquiriesWhole(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			f := newAZFixtureOn(t, tr)
			const workers, batches, items = 4, 20, 25
			id := func(n int) string { return ident.NewPersonID(110101, 1980, 1, 1+n%28, n/28) }
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for b := range batches {
						var body strings.Builder
						body.WriteString(`{"action": {"name": "flight.book"}, "evaluations": [`)
						for k := range items {
							if k > 0 {
								body.WriteByte(',')
							}
							fmt.Fprintf(&body, `{"subject": {"type": "person", "id": %q}}`, id((w*batches+b)*items+k))
						}
						body.WriteString(`]}`)
						res := f.ask(t, "airline", "/access/v1/evaluations", body.String(), "X-Request-ID", fmt.Sprintf("w%d-b%d", w, b))
						if res.status != 200 {
							t.Errorf("batch %d of %d: %d %s", b, w, res.status, res.body)
						}
					}
				})
			}
			wg.Wait()
			f.srv.Close()
			if err := f.audit.Close(); err != nil {
				t.Fatal(err)
			}
			for n := range workers * batches * items {
				ref := credo.SubjectRef{Kind: credo.Person, ID: id(n)}
				want := fmt.Sprintf("w%d-b%d", n/items/batches, n/items%batches)
				var got []*credo.Inquiry
				for q, err := range f.store.SubjectInquiries(context.Background(), ref) {
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, q)
				}
				if len(got) != 1 || got[0].RequestID != want || got[0].Subject != ref || got[0].Consumer != "airline" || got[0].Action != "flight.book" {
					t.Fatalf("%s: %d inquiries %+v; want one, of request %s", ref.ID, len(got), got, want)
				}
			}
		})
	}
}
