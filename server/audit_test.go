package server_test

import (
	"context"
	"fmt"
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
