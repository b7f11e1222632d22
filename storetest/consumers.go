package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/credo-org/credo"
)

// RunConsumers runs the conformance suite of credo.Consumers and
// credo.Audit against b, whose stores must implement them.
func RunConsumers(t *testing.T, b Backend) {
	t.Run("Consumers", func(t *testing.T) { testConsumers(t, b) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, b) })
}

type consumerStore interface {
	credo.Store
	credo.Consumers
	credo.Audit
}

func newConsumers(t *testing.T, b Backend) consumerStore {
	s := b.New(t)
	cs, ok := s.(consumerStore)
	if !ok {
		s.Close()
		t.Fatalf("%T does not implement credo.Consumers and credo.Audit", s)
	}
	return cs
}

func testConsumers(t *testing.T, b Backend) {
	s := newConsumers(t, b)
	defer func() { s.Close() }()
	ctx := context.Background()
	airKey, bankKey := credo.NewConsumerKey(), credo.NewConsumerKey()
	if airKey == bankKey || !credo.LooksLikeConsumerKey(airKey) || credo.LooksLikeSourceKey(airKey) {
		t.Fatalf("keys %q and %q", airKey, bankKey)
	}
	air := &credo.Consumer{Name: "airline", Role: credo.RoleConsumer, Actions: []string{"rail.g_train", "flight.book", "flight.book"}, KeyHash: credo.HashKey(airKey), Created: base}
	bank := &credo.Consumer{Name: "bank", Role: credo.RoleConsumer, Actions: []string{"loan.apply"}, KeyHash: credo.HashKey(bankKey), Created: base}
	for _, c := range []*credo.Consumer{bank, air} {
		if err := s.PutConsumer(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Consumer(ctx, "airline")
	if err != nil || got.KeyHash != air.KeyHash || !got.Active() || len(got.Actions) != 2 || got.Actions[0] != "flight.book" {
		t.Fatalf("Consumer(airline) = %+v, %v (want actions sorted, deduplicated)", got, err)
	}
	if !got.May("flight.book") || got.May("loan.apply") {
		t.Errorf("airline may: flight.book %v, loan.apply %v", got.May("flight.book"), got.May("loan.apply"))
	}
	if _, err := s.Consumer(ctx, "air"); !errors.Is(err, credo.ErrNotFound) {
		t.Errorf("Consumer(air): %v, want ErrNotFound", err)
	}
	if got, err := s.ConsumerByKey(ctx, credo.HashKey(bankKey)); err != nil || got.Name != "bank" {
		t.Fatalf("ConsumerByKey(bank) = %+v, %v", got, err)
	}
	if _, err := s.ConsumerByKey(ctx, credo.HashKey(credo.NewConsumerKey())); !errors.Is(err, credo.ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
	// a new key replaces the old one
	newKey := credo.NewConsumerKey()
	air.KeyHash = credo.HashKey(newKey)
	if err := s.PutConsumer(ctx, air); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumerByKey(ctx, credo.HashKey(airKey)); !errors.Is(err, credo.ErrNotFound) {
		t.Fatalf("the replaced key still finds a consumer: %v", err)
	}
	// revocation is kept, and survives reopening
	bank.Revoked = base.Add(time.Hour)
	if err := s.PutConsumer(ctx, bank); err != nil {
		t.Fatal(err)
	}
	s = b.Reopen(t, s).(consumerStore)
	if got, err := s.ConsumerByKey(ctx, credo.HashKey(bankKey)); err != nil || got.Active() {
		t.Fatalf("revoked bank = %+v, %v", got, err)
	}
	var names []string
	for c, err := range s.Consumers(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, c.Name)
	}
	if len(names) != 2 || names[0] != "airline" || names[1] != "bank" {
		t.Errorf("Consumers = %v", names)
	}
	// roles
	op := &credo.Consumer{Name: "ops", Role: credo.RoleOperator, KeyHash: credo.HashKey(credo.NewConsumerKey())}
	if err := s.PutConsumer(ctx, op); err != nil || !op.May("anything.at_all") {
		t.Fatalf("operator: %v", err)
	}
	for _, bad := range []*credo.Consumer{
		{Name: "Bad Name", Role: credo.RoleConsumer},
		{Name: "x", Role: "root"},
		{Name: "me", Role: credo.RoleSubject},
	} {
		if err := s.PutConsumer(ctx, bad); !errors.Is(err, credo.ErrInvalid) {
			t.Errorf("PutConsumer(%+v): %v, want ErrInvalid", bad, err)
		}
	}
}

func testAudit(t *testing.T, b Backend) {
	s := newConsumers(t, b)
	defer func() { s.Close() }()
	ctx := context.Background()
	who := credo.SubjectRef{Kind: credo.Person, ID: "11010119900307001X"}
	other := credo.SubjectRef{Kind: credo.Person, ID: "110101199003070028"}
	var inqs []*credo.Inquiry
	for i := range 5 {
		inqs = append(inqs, &credo.Inquiry{Time: base.Add(time.Duration(i) * time.Second), RequestID: "r", Consumer: "airline", Subject: who, Action: "flight.book", Decision: i%2 == 0})
	}
	inqs = append(inqs, &credo.Inquiry{Time: base, Consumer: "bank", Subject: other, Action: "loan.apply"})
	// the same time twice: both kept
	inqs = append(inqs, &credo.Inquiry{Time: base, RequestID: "same", Consumer: "bank", Subject: who, Action: "loan.apply", NoticeID: "n1"})
	notice := &credo.AdverseNotice{ID: "n1", Time: base, Subject: who, Action: "loan.apply", Object: "write to the operator",
		Measures: []credo.NoticeMeasure{{Jurisdiction: "national", Reason: "dishonest_debtor", Records: []string{"court:1"}}}}
	if err := s.AppendAudit(ctx, inqs, []*credo.AdverseNotice{notice}); err != nil {
		t.Fatal(err)
	}
	// a later batch with an earlier inquiry, every field set: read back
	// whole, and in time order with the rest
	full := &credo.Inquiry{Time: base.Add(-time.Minute), RequestID: "full", Consumer: "airline", Subject: who, Action: "flight.book",
		Purpose: "ticketing", Decision: false, Known: true, Reasons: []string{"national:dishonest_debtor", "xiamen:blacklist"},
		PolicyVersions: []string{"national@1", "xiamen@2"}, NoticeID: "n0"}
	n0 := &credo.AdverseNotice{ID: "n0", Time: full.Time, RequestID: "full", Consumer: "airline", Subject: who, Action: "flight.book",
		Object: "object <here> & there", Measures: []credo.NoticeMeasure{{Jurisdiction: "national", PolicyVersion: "national@1",
			Rule: "rules[0]", When: "blacklisted", Reason: "dishonest_debtor", Grade: "D", GradeReason: &credo.GradeReason{Rule: "grades[3]"},
			Lists: []credo.Membership{{List: "blacklist", Record: "court:1"}}, Records: []string{"court:1", "tax:2"}}}}
	if err := s.AppendAudit(ctx, []*credo.Inquiry{full}, []*credo.AdverseNotice{n0}); err != nil {
		t.Fatal(err)
	}
	s = b.Reopen(t, s).(consumerStore)
	got, err := collectInquiries(s, who)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 7 {
		t.Fatalf("%d inquiries, want 7", len(got))
	}
	if g := got[0]; !g.Time.Equal(full.Time) || g.RequestID != full.RequestID || g.Consumer != full.Consumer || g.Subject != full.Subject ||
		g.Action != full.Action || g.Purpose != full.Purpose || g.Decision != full.Decision || g.Known != full.Known ||
		!slices.Equal(g.Reasons, full.Reasons) || !slices.Equal(g.PolicyVersions, full.PolicyVersions) || g.NoticeID != full.NoticeID {
		t.Errorf("first inquiry %+v, want %+v", g, full)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Time.Before(got[i-1].Time) {
			t.Errorf("inquiries out of time order: %v before %v", got[i-1].Time, got[i].Time)
		}
	}
	n, err := s.Notice(ctx, who, "n1")
	if err != nil || n.Measures[0].Records[0] != "court:1" || n.Object == "" {
		t.Fatalf("Notice = %+v, %v", n, err)
	}
	if n, err := s.Notice(ctx, who, "n0"); err != nil || !reflect.DeepEqual(n, n0) {
		t.Errorf("Notice(n0) = %+v, %v; want %+v", n, err, n0)
	}
	if _, err := s.Notice(ctx, who, "n2"); !errors.Is(err, credo.ErrNotFound) {
		t.Errorf("Notice(n2): %v", err)
	}
	if _, err := s.Notice(ctx, other, "n1"); !errors.Is(err, credo.ErrNotFound) {
		t.Errorf("another subject's notice: %v", err)
	}
	if err := s.AppendAudit(ctx, []*credo.Inquiry{{Action: "x"}}, nil); !errors.Is(err, credo.ErrInvalid) {
		t.Errorf("an inquiry without subject: %v", err)
	}
	// the notices must be those the inquiries name, in order, each of its
	// inquiry's subject
	named := func(id string, ref credo.SubjectRef) *credo.Inquiry {
		return &credo.Inquiry{Time: base, RequestID: "bad-" + id, Consumer: "bank", Subject: ref, Action: "loan.apply", NoticeID: id}
	}
	nt := func(id string, ref credo.SubjectRef) *credo.AdverseNotice {
		return &credo.AdverseNotice{ID: id, Time: base, Subject: ref, Action: "loan.apply"}
	}
	for name, c := range map[string]struct {
		inqs    []*credo.Inquiry
		notices []*credo.AdverseNotice
	}{
		"named, not given":      {[]*credo.Inquiry{named("x1", who)}, nil},
		"given, not named":      {[]*credo.Inquiry{named("", who)}, []*credo.AdverseNotice{nt("x2", who)}},
		"another subject's":     {[]*credo.Inquiry{named("x3", who)}, []*credo.AdverseNotice{nt("x3", other)}},
		"out of order":          {[]*credo.Inquiry{named("x4", who), named("x5", who)}, []*credo.AdverseNotice{nt("x5", who), nt("x4", who)}},
		"notices, no inquiries": {nil, []*credo.AdverseNotice{nt("x6", who)}},
	} {
		if err := s.AppendAudit(ctx, c.inqs, c.notices); !errors.Is(err, credo.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if got, err := collectInquiries(s, who); err != nil || len(got) != 7 {
		t.Errorf("after the refused batches: %d inquiries, %v; want 7", len(got), err)
	}
}

func collectInquiries(s credo.Audit, ref credo.SubjectRef) ([]*credo.Inquiry, error) {
	var out []*credo.Inquiry
	for q, err := range s.SubjectInquiries(context.Background(), ref) {
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}
