package server

import (
	"bytes"
	"context"
	"iter"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/decide"
	"github.com/credo-org/credo/policies"
)

// oneConsumer is a key store of one consumer.
type oneConsumer struct{ c *credo.Consumer }

func (o oneConsumer) PutConsumer(context.Context, *credo.Consumer) error { return nil }
func (o oneConsumer) Consumer(context.Context, string) (*credo.Consumer, error) {
	return o.c, nil
}
func (o oneConsumer) ConsumerByKey(_ context.Context, h credo.KeyHash) (*credo.Consumer, error) {
	if h != o.c.KeyHash {
		return nil, credo.ErrNotFound
	}
	return o.c, nil
}
func (o oneConsumer) Consumers(context.Context) iter.Seq2[*credo.Consumer, error] {
	return func(yield func(*credo.Consumer, error) bool) { yield(o.c, nil) }
}

// BenchmarkFastDecision is one single evaluation through the handler Serve
// runs, without the connection (fasthttp's reading and writing) and the
// audit trail's writer: what credo itself does with a request, and its
// allocations. The subject is unknown to the table: the default answer,
// decided as any other.
func BenchmarkFastDecision(b *testing.B) {
	prgs, err := policies.Programs()
	if err != nil {
		b.Fatal(err)
	}
	table, err := decide.New(prgs)
	if err != nil {
		b.Fatal(err)
	}
	if err := table.Load(context.Background(), func(func(*credo.Standing, error) bool) {}, 0); err != nil {
		b.Fatal(err)
	}
	key := credo.NewConsumerKey()
	c := &credo.Consumer{Name: "airline", Role: credo.RoleConsumer, Actions: []string{"flight.book"}, KeyHash: credo.HashKey(key)}
	s := NewServer(nil, nil, Config{Decisions: table, Consumers: oneConsumer{c}})
	h := s.fastHandler(context.Background())
	body := []byte(`{"subject":{"type":"person","id":"11010519491231002X"},"action":{"name":"flight.book"},"context":{"purpose":"ticketing"}}`)
	var rc fasthttp.RequestCtx
	rc.Init(&fasthttp.Request{}, nil, nil)
	var br bytes.Reader
	b.ReportAllocs()
	for b.Loop() {
		rc.Request.Reset()
		rc.Response.Reset()
		rc.Request.Header.SetMethod("POST")
		rc.Request.Header.SetRequestURI("/access/v1/evaluation")
		rc.Request.Header.SetHost("127.0.0.1")
		rc.Request.Header.Set("Authorization", "Bearer "+key)
		rc.Request.Header.SetContentType("application/json")
		br.Reset(body)
		rc.Request.SetBodyStream(&br, len(body))
		h(&rc)
		if rc.Response.StatusCode() != 200 {
			b.Fatalf("%d %s", rc.Response.StatusCode(), rc.Response.Body())
		}
	}
}
