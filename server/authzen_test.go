package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/decide"
	"github.com/credo-org/credo/ident"
	"github.com/credo-org/credo/policies"
	"github.com/credo-org/credo/policy"
	"github.com/credo-org/credo/server"
)

const (
	debtor = personOK  // on the dishonest-debtor list
	clean  = person2OK // in the ledger, on no list
)

var stranger = ident.NewPersonID(110101, 1990, 3, 7, 411) // in no record

// azFixture is a server with the decision API over a real store: a ledger
// holding a judgment default against debtor, a traffic fine of clean's and
// a serious penalty against orgOK; the decision table loaded from it
// under the shipped packs; and a key of every role.
type azFixture struct {
	*fixture
	table *decide.Table
	audit *server.AuditLog
}

func shippedPrograms(t testing.TB) []*policy.Program {
	prgs, err := policies.Programs()
	if err != nil {
		t.Fatal(err)
	}
	return prgs
}

func ledgerRecord(subject credo.SubjectRef, source, kind, srcID string, at time.Time, attrs map[string]credo.Value) *credo.Record {
	r := &credo.Record{Subject: subject, Source: source, SourceRecordID: srcID, Kind: kind, Polarity: credo.Negative,
		OccurredAt: at, LegalBasis: "test", Evidence: srcID, Provenance: credo.Provenance{File: "f00d", Row: 1}}
	for k, v := range attrs {
		r.Attributes.Set(k, v)
	}
	return r
}

func newAZFixture(t testing.TB) *azFixture { return newAZFixtureOn(t, netHTTP) }

// newAZFixtureOn is newAZFixture served over transport.
func newAZFixtureOn(t testing.TB, transport string) *azFixture {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now().UTC()
	recs := []*credo.Record{
		ledgerRecord(credo.SubjectRef{Kind: credo.Person, ID: debtor}, "court", "court.judgment_default", "J-1", now.AddDate(0, -2, 0),
			map[string]credo.Value{"amount": credo.Number(50000)}),
		ledgerRecord(credo.SubjectRef{Kind: credo.Person, ID: clean}, "traffic_police", "traffic.red_light", "T-1", now.AddDate(0, -1, 0), nil),
		ledgerRecord(credo.SubjectRef{Kind: credo.Organization, ID: orgOK}, "market_regulator", "enterprise.admin_penalty", "P-1", now.AddDate(0, -1, 0),
			map[string]credo.Value{"severity": credo.String("serious"), "amount": credo.Number(200000)}),
	}
	res, err := f.store.Append(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != credo.Appended {
			t.Fatalf("append: %v %v", r.Status, r.Err)
		}
	}
	prgs := shippedPrograms(t)
	table, err := decide.New(prgs)
	if err != nil {
		t.Fatal(err)
	}
	if err := table.Load(ctx, decide.FromLedger(ctx, f.store, prgs, now), 0); err != nil {
		t.Fatal(err)
	}
	add := func(name string, role credo.Role, subject credo.SubjectRef, revoked bool, actions ...string) {
		key := credo.NewConsumerKey()
		c := &credo.Consumer{Name: name, Role: role, Actions: actions, Subject: subject, KeyHash: credo.HashKey(key), Created: now}
		if revoked {
			c.Revoked = now
		}
		if err := f.store.PutConsumer(ctx, c); err != nil {
			t.Fatal(err)
		}
		f.keys[name] = key
	}
	add("airline", credo.RoleConsumer, credo.SubjectRef{}, false, "flight.book", "rail.g_train")
	add("bank", credo.RoleConsumer, credo.SubjectRef{}, false, "loan.apply")
	add("employer", credo.RoleConsumer, credo.SubjectRef{}, false, "employment.screening")
	add("gone", credo.RoleConsumer, credo.SubjectRef{}, true, "flight.book")
	add("ops", credo.RoleOperator, credo.SubjectRef{}, false)
	add("audit", credo.RoleAuditor, credo.SubjectRef{}, false)
	add("me", credo.RoleSubject, credo.SubjectRef{Kind: credo.Person, ID: debtor}, false)
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	al := server.NewAuditLog(logger, f.store, f.store, prgs)
	f.srv.Close()
	t.Cleanup(func() { al.Close() }) // after the server's cleanup, which runs first
	f.srv = serveOn(t, transport, logger, server.NewServer(logger, f.store, server.Config{MaxBodyBytes: maxBody, Decisions: table, Audit: al, CheckBurst: 1000}))
	return &azFixture{fixture: f, table: table, audit: al}
}

// ask posts body to path with the key of name ("" : none).
func (f *azFixture) ask(t testing.TB, name, path, body string, headers ...string) response {
	t.Helper()
	h := append([]string{"Content-Type", "application/json"}, headers...)
	if name != "" {
		h = append(h, "Authorization", "Bearer "+f.keys[name])
	}
	return f.do(t, "POST", path, strings.NewReader(body), h...)
}

func evalBody(kind, id, action string) string {
	return fmt.Sprintf(`{"subject": {"type": %q, "id": %q}, "action": {"name": %q}, "context": {"purpose": "ticketing"}}`, kind, id, action)
}

type evalResponse struct {
	Decision bool `json:"decision"`
	Context  struct {
		ReasonCodes   []string       `json:"reason_codes"`
		PolicyVersion string         `json:"policy_version"`
		Known         *bool          `json:"subject_known"`
		NoticeID      string         `json:"notice_id"`
		Obligations   map[string]any `json:"obligations"`
		Error         *struct {
			Status int    `json:"status"`
			Field  string `json:"field"`
		} `json:"error"`
	} `json:"context"`
}

func TestEvaluation(t *testing.T) {
	f := newAZFixture(t)
	tests := []struct {
		name, who, kind, id, action string
		decision, known             bool
		reason                      string
	}{
		{"listed debtor may not fly", "airline", "person", debtor, "flight.book", false, true, "national:dishonest_debtor"},
		{"clean subject may fly", "airline", "person", clean, "flight.book", true, true, "national:not_listed"},
		{"unknown subject: the policy's default", "airline", "person", stranger, "flight.book", true, false, "national:not_listed"},
		{"bank: debtor denied a loan", "bank", "person", debtor, "loan.apply", false, true, "national:dishonest_debtor"},
		{"employer without consent", "employer", "person", clean, "employment.screening", false, true, "national:consent_required"},
		{"operator may ask any action", "ops", "person", debtor, "rail.g_train", false, true, "national:dishonest_debtor"},
		{"organisation", "ops", "organization", orgOK, "procurement.bid", false, true, "rongcheng_enterprise:serious_penalty"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.ask(t, tt.who, "/access/v1/evaluation", evalBody(tt.kind, tt.id, tt.action), "X-Request-ID", fmt.Sprintf("req-%d", i))
			if res.status != http.StatusOK {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			if got := res.header.Get("X-Request-ID"); !strings.HasPrefix(got, "req-") {
				t.Errorf("X-Request-ID %q not echoed", got)
			}
			var r evalResponse
			res.json(t, &r)
			if r.Decision != tt.decision || r.Context.Known == nil || *r.Context.Known != tt.known || !slices.Contains(r.Context.ReasonCodes, tt.reason) {
				t.Fatalf("got %s", res.body)
			}
			if r.Context.PolicyVersion == "" {
				t.Errorf("no policy version: %s", res.body)
			}
			if !tt.decision && r.Context.NoticeID == "" {
				t.Errorf("a denial without a notice id: %s", res.body)
			}
		})
	}
	// obligations travel in the context
	res := f.ask(t, "ops", "/access/v1/evaluation", evalBody("person", clean, "loan.apply"))
	var r evalResponse
	res.json(t, &r)
	if !r.Decision {
		t.Fatalf("loan for clean: %s", res.body)
	}
}

func TestEvaluationBadRequests(t *testing.T) {
	f := newAZFixture(t)
	nested := strings.Repeat(`{"a":`, 10_001) + "1" + strings.Repeat("}", 10_001)
	tests := []struct {
		name, body string
		ctype      string
		status     int
		field      string
	}{
		{"empty", "", "", 400, "body"},
		{"not JSON", "subject=1", "", 400, "body"},
		{"not an object", `[1, 2]`, "", 400, "body"},
		{"no subject", `{"action": {"name": "flight.book"}}`, "", 400, "subject"},
		{"no subject id", `{"subject": {"type": "person"}, "action": {"name": "flight.book"}}`, "", 400, "subject.id"},
		{"no subject type", `{"subject": {"id": "` + debtor + `"}, "action": {"name": "flight.book"}}`, "", 400, "subject.type"},
		{"other subject type", `{"subject": {"type": "user", "id": "` + debtor + `"}, "action": {"name": "flight.book"}}`, "", 400, "subject.type"},
		{"bad check character", evalBody("person", personBad, "flight.book"), "", 400, "subject.id"},
		{"organisation id as a person", evalBody("person", orgOK, "flight.book"), "", 400, "subject.id"},
		{"no action", `{"subject": {"type": "person", "id": "` + debtor + `"}}`, "", 400, "action"},
		{"no action name", `{"subject": {"type": "person", "id": "` + debtor + `"}, "action": {}}`, "", 400, "action.name"},
		{"subject a string", `{"subject": "x", "action": {"name": "flight.book"}}`, "", 400, "subject"},
		{"id a number", `{"subject": {"type": "person", "id": 42}, "action": {"name": "flight.book"}}`, "", 400, "subject.id"},
		{"context an array", `{"subject": {"type": "person", "id": "` + debtor + `"}, "action": {"name": "flight.book"}, "context": []}`, "", 400, "context"},
		{"deeply nested", nested, "", 400, "body"},
		{"10 MB", `{"context": {"x": "` + strings.Repeat("a", 10<<20) + `"}}`, "", 413, "body"},
		{"XML", `<subject/>`, "application/xml", 415, "Content-Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := []string{"Authorization", "Bearer " + f.keys["airline"]}
			if tt.ctype != "" {
				h = append(h, "Content-Type", tt.ctype)
			}
			res := f.do(t, "POST", "/access/v1/evaluation", strings.NewReader(tt.body), h...)
			var e struct{ Error, Field string }
			res.json(t, &e)
			if res.status != tt.status || e.Field != tt.field {
				t.Fatalf("status %d field %q, want %d %q: %s", res.status, e.Field, tt.status, tt.field, res.body)
			}
		})
	}
	// unknown fields are ignored
	res := f.ask(t, "airline", "/access/v1/evaluation", `{"subject": {"type": "person", "id": "`+clean+`", "nick": "x"}, "action": {"name": "flight.book"}, "extra": [1]}`)
	if res.status != 200 {
		t.Errorf("unknown fields: %d %s", res.status, res.body)
	}
}

func TestEvaluationForbiddenAndUnauthorized(t *testing.T) {
	f := newAZFixture(t)
	body := evalBody("person", clean, "loan.apply")
	if res := f.ask(t, "airline", "/access/v1/evaluation", body); res.status != http.StatusForbidden {
		t.Errorf("airline asking the bank's action: %d", res.status)
	}
	if !strings.Contains(f.logs.String(), "decision refused") {
		t.Error("the refused attempt is not logged")
	}
	if res := f.ask(t, "gone", "/access/v1/evaluation", evalBody("person", clean, "flight.book")); res.status != http.StatusUnauthorized {
		t.Errorf("revoked key: %d", res.status)
	}
	if res := f.ask(t, "", "/access/v1/evaluation", body); res.status != http.StatusUnauthorized || res.header.Get("WWW-Authenticate") == "" {
		t.Errorf("no key: %d", res.status)
	}
	f.keys["forged"] = credo.NewConsumerKey()
	if res := f.ask(t, "forged", "/access/v1/evaluation", body); res.status != http.StatusUnauthorized {
		t.Errorf("unknown key: %d", res.status)
	}
	if strings.Contains(f.logs.String(), f.keys["airline"]) {
		t.Error("a key is in the logs")
	}
}

func TestEvaluations(t *testing.T) {
	f := newAZFixture(t)
	items := `[
		{},
		{"subject": {"type": "person", "id": "` + debtor + `"}},
		{"action": {"name": "loan.apply"}},
		{"subject": {"type": "person", "id": "` + personBad + `"}},
		{"action": {"name": "rail.g_train"}}
	]`
	body := func(semantic string) string {
		opt := ""
		if semantic != "" {
			opt = `, "options": {"evaluations_semantic": "` + semantic + `"}`
		}
		return `{"subject": {"type": "person", "id": "` + clean + `"}, "action": {"name": "flight.book"}, "evaluations": ` + items + opt + `}`
	}
	tests := []struct {
		semantic string
		want     []bool
	}{
		{"", []bool{true, false, false, false, true}},
		{"execute_all", []bool{true, false, false, false, true}},
		{"deny_on_first_deny", []bool{true, false}},
		{"permit_on_first_permit", []bool{true}},
	}
	for _, tt := range tests {
		res := f.ask(t, "airline", "/access/v1/evaluations", body(tt.semantic))
		var out struct{ Evaluations []evalResponse }
		res.json(t, &out)
		var got []bool
		for _, e := range out.Evaluations {
			got = append(got, e.Decision)
		}
		if res.status != 200 || !slices.Equal(got, tt.want) {
			t.Fatalf("%s: %d %v, want %v: %s", tt.semantic, res.status, got, tt.want, res.body)
		}
		if tt.semantic == "execute_all" {
			if e := out.Evaluations[2].Context.Error; e == nil || e.Status != 403 {
				t.Errorf("another consumer's action in a batch: %s", res.body)
			}
			if e := out.Evaluations[3].Context.Error; e == nil || e.Status != 400 || e.Field != "subject.id" {
				t.Errorf("a bad id in a batch: %s", res.body)
			}
		}
	}
	if res := f.ask(t, "airline", "/access/v1/evaluations", body("first_wins")); res.status != 400 || !strings.Contains(string(res.body), "options.evaluations_semantic") {
		t.Errorf("unknown semantic: %d %s", res.status, res.body)
	}
	// an item of the wrong type fails alone
	res := f.ask(t, "airline", "/access/v1/evaluations", `{"action": {"name": "flight.book"}, "evaluations": [{"subject": 7}, {"subject": {"type": "person", "id": "`+clean+`"}}]}`)
	var out struct{ Evaluations []evalResponse }
	res.json(t, &out)
	if res.status != 200 || len(out.Evaluations) != 2 || out.Evaluations[0].Decision || out.Evaluations[0].Context.Error == nil || !out.Evaluations[1].Decision {
		t.Errorf("wrong-typed item: %d %s", res.status, res.body)
	}
	// no array: the defaults are one evaluation
	res = f.ask(t, "airline", "/access/v1/evaluations", evalBody("person", clean, "flight.book"))
	res.json(t, &out)
	if res.status != 200 || len(out.Evaluations) != 1 || !out.Evaluations[0].Decision {
		t.Errorf("defaults only: %d %s", res.status, res.body)
	}
}

func TestSearchAction(t *testing.T) {
	f := newAZFixture(t)
	body := `{"subject": {"type": "person", "id": "` + debtor + `"}, "resource": {"type": "service", "id": "any"}}`
	for _, who := range []string{"me", "ops"} {
		res := f.ask(t, who, "/access/v1/search/action", body)
		var out struct{ Results []struct{ Name string } }
		res.json(t, &out)
		var names []string
		for _, r := range out.Results {
			names = append(names, r.Name)
		}
		if res.status != 200 || slices.Contains(names, "flight.book") || !slices.Contains(names, "library.borrow") {
			t.Errorf("%s: %d %v", who, res.status, names)
		}
	}
	other := `{"subject": {"type": "person", "id": "` + clean + `"}}`
	if res := f.ask(t, "me", "/access/v1/search/action", other); res.status != 403 {
		t.Errorf("a subject searching another's actions: %d", res.status)
	}
}

// TestEveryEndpointEveryRole is the access matrix.
func TestEveryEndpointEveryRole(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) { testEveryEndpointEveryRole(t, tr) })
	}
}

func testEveryEndpointEveryRole(t *testing.T, transport string) {
	f := newAZFixtureOn(t, transport)
	f.keys["source"] = f.keys["court"]
	eval := evalBody("person", debtor, "flight.book")
	batch := `{"subject": {"type": "person", "id": "` + debtor + `"}, "action": {"name": "flight.book"}, "evaluations": [{}]}`
	search := `{"subject": {"type": "person", "id": "` + debtor + `"}}`
	line := courtLine("(2024)京0105执1号", "dishonest_debtor", "2024-03-01", debtor, "1000")
	endpoints := []struct {
		method, path, body string
		want               map[string]int // by role: operator, auditor, source, consumer, subject, anonymous
	}{
		{"POST", "/access/v1/evaluation", eval, map[string]int{"ops": 200, "audit": 403, "source": 403, "airline": 200, "me": 403, "": 401}},
		{"POST", "/access/v1/evaluations", batch, map[string]int{"ops": 200, "audit": 403, "source": 403, "airline": 200, "me": 403, "": 401}},
		{"POST", "/access/v1/search/action", search, map[string]int{"ops": 200, "audit": 403, "source": 403, "airline": 403, "me": 200, "": 401}},
		{"POST", "/access/v1/search/subject", `{"subject": {"type": "person"}, "action": {"name": "flight.book"}}`, map[string]int{"ops": 501, "audit": 403, "source": 403, "airline": 403, "me": 403, "": 401}},
		{"GET", "/.well-known/authzen-configuration", "", map[string]int{"ops": 200, "audit": 200, "source": 200, "airline": 200, "me": 200, "": 200}},
		{"GET", "/v1/organizations/" + orgOK + "/check", "", map[string]int{"ops": 200, "audit": 200, "source": 200, "airline": 200, "me": 200, "": 200}},
		{"GET", "/v1/subjects/person/" + debtor + "/inquiries", "", map[string]int{"ops": 200, "audit": 200, "source": 403, "airline": 403, "me": 200, "": 401}},
		// no such notice: those who may read find that out
		{"GET", "/v1/subjects/person/" + debtor + "/notices/aan_none", "", map[string]int{"ops": 404, "audit": 404, "source": 403, "airline": 403, "me": 404, "": 401}},
		{"POST", "/v1/sources/court/records", line, map[string]int{"ops": 401, "audit": 401, "source": 200, "airline": 401, "me": 401, "": 401}},
		{"GET", "/healthz", "", map[string]int{"ops": 200, "audit": 200, "source": 200, "airline": 200, "me": 200, "": 200}},
		{"GET", "/readyz", "", map[string]int{"ops": 200, "audit": 200, "source": 200, "airline": 200, "me": 200, "": 200}},
		{"GET", "/metrics", "", map[string]int{"ops": 200, "audit": 200, "source": 403, "airline": 403, "me": 403, "": 401}},
		{"POST", "/v1/consumers", `{"name": "hotel", "actions": ["rail.g_train"]}`, map[string]int{"ops": 201, "audit": 403, "source": 403, "airline": 403, "me": 403, "": 401}},
		{"GET", "/v1/consumers", "", map[string]int{"ops": 200, "audit": 200, "source": 403, "airline": 403, "me": 403, "": 401}},
		{"DELETE", "/v1/consumers/employer", "", map[string]int{"ops": 200, "audit": 403, "source": 403, "airline": 403, "me": 403, "": 401}},
		{"POST", "/v1/subject-keys", `{"name": "citizen", "subject": {"type": "person", "id": "` + clean + `"}}`, map[string]int{"ops": 201, "audit": 403, "source": 403, "airline": 403, "me": 403, "": 401}},
		{"GET", "/v1/subject-keys", "", map[string]int{"ops": 200, "audit": 200, "source": 403, "airline": 403, "me": 403, "": 401}},
		{"DELETE", "/v1/subject-keys/citizen", "", map[string]int{"ops": 200, "audit": 403, "source": 403, "airline": 403, "me": 403, "": 401}},
	}
	for _, ep := range endpoints {
		for who, want := range ep.want {
			h := []string{"Content-Type", "application/json"}
			if strings.Contains(ep.path, "/records") {
				h = []string{"Content-Type", "application/x-ndjson"}
			}
			if who != "" {
				h = append(h, "Authorization", "Bearer "+f.keys[who])
			}
			var res response
			if ep.method == "GET" {
				res = f.do(t, "GET", ep.path, nil, h...)
			} else {
				res = f.do(t, ep.method, ep.path, strings.NewReader(ep.body), h...)
			}
			if res.status != want {
				t.Errorf("%s %s as %q: %d, want %d: %s", ep.method, ep.path, who, res.status, want, res.body)
			}
		}
	}
}

func TestConfiguration(t *testing.T) {
	f := newAZFixture(t)
	res := f.do(t, "GET", "/.well-known/authzen-configuration", nil)
	var c map[string]any
	res.json(t, &c)
	for _, k := range []string{"policy_decision_point", "access_evaluation_endpoint", "access_evaluations_endpoint", "search_action_endpoint", "capabilities"} {
		if c[k] == nil {
			t.Errorf("no %s: %s", k, res.body)
		}
	}
	if c["search_subject_endpoint"] != nil {
		t.Error("subject search is not offered")
	}
}

func TestAuditTrailAndNotices(t *testing.T) {
	f := newAZFixture(t)
	ctx := context.Background()
	var notice string
	for i := range 5 {
		res := f.ask(t, "airline", "/access/v1/evaluation", evalBody("person", debtor, "flight.book"), "X-Request-ID", fmt.Sprintf("audit-%d", i))
		var r evalResponse
		res.json(t, &r)
		notice = r.Context.NoticeID
	}
	f.ask(t, "airline", "/access/v1/evaluation", evalBody("person", clean, "flight.book"))
	f.srv.Close()
	if err := f.audit.Close(); err != nil { // a clean shutdown: everything written
		t.Fatal(err)
	}
	var got []*credo.Inquiry
	for q, err := range f.store.SubjectInquiries(ctx, credo.SubjectRef{Kind: credo.Person, ID: debtor}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, q)
	}
	if len(got) != 5 || got[0].Consumer != "airline" || got[0].Action != "flight.book" || got[0].Purpose != "ticketing" || got[0].Decision ||
		got[0].NoticeID == "" || len(got[0].Reasons) == 0 || len(got[0].PolicyVersions) == 0 || !strings.HasPrefix(got[0].RequestID, "audit-") {
		t.Fatalf("inquiries: %d, first %+v", len(got), got[0])
	}
	n, err := f.store.Notice(ctx, credo.SubjectRef{Kind: credo.Person, ID: debtor}, notice)
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Measures) == 0 || n.Measures[0].Reason != "dishonest_debtor" || len(n.Measures[0].Records) == 0 || n.Object == "" || n.Measures[0].When == "" {
		t.Fatalf("notice %+v", n)
	}
	rec := n.Measures[0].Records[0]
	if !strings.HasPrefix(rec, "court") {
		t.Errorf("the record behind the notice: %s", rec)
	}
	// completing the notices read the debtor's records: logged, a line a batch
	var read bool
	for _, l := range strings.Split(f.logs.String(), "\n") {
		read = read || strings.Contains(l, `"msg":"read subject records"`) && strings.Contains(l, "adverse-action notices") &&
			strings.Contains(l, debtor) && strings.Contains(l, notice)
	}
	if !read {
		t.Errorf("the read of the records behind the notices is not logged:\n%s", f.logs)
	}
}

// TestNoticeAPI reads a denial's adverse-action notice over the API: the
// subject and those who oversee the trail may, no one else; it is found
// only under its own subject; each read is logged.
func TestNoticeAPI(t *testing.T) {
	f := newAZFixture(t)
	var r evalResponse
	f.ask(t, "airline", "/access/v1/evaluation", evalBody("person", debtor, "flight.book")).json(t, &r)
	if r.Decision || r.Context.NoticeID == "" {
		t.Fatalf("no denial with a notice: %+v", r)
	}
	path := "/v1/subjects/person/" + debtor + "/notices/" + r.Context.NoticeID
	get := func(who, path string) response {
		var h []string
		if who != "" {
			h = []string{"Authorization", "Bearer " + f.keys[who]}
		}
		return f.do(t, "GET", path, nil, h...)
	}
	// the trail is written in batches, off the decision path: wait for it
	res := get("me", path)
	for deadline := time.Now().Add(10 * time.Second); res.status == 404 && time.Now().Before(deadline); res = get("me", path) {
		time.Sleep(20 * time.Millisecond)
	}
	var n credo.AdverseNotice
	res.json(t, &n)
	if res.status != 200 || n.ID != r.Context.NoticeID || n.Subject.ID != debtor || n.Consumer != "airline" || n.Action != "flight.book" ||
		len(n.Measures) == 0 || n.Measures[0].Reason == "" || len(n.Measures[0].Records) == 0 || n.Object == "" {
		t.Fatalf("the subject's notice: %d %s", res.status, res.body)
	}
	for who, want := range map[string]int{"ops": 200, "audit": 200, "court": 403, "airline": 403, "": 401} {
		if res := get(who, path); res.status != want || (want == 200 && !bytes.Equal(res.body, get("me", path).body)) {
			t.Errorf("as %q: %d, want %d: %s", who, res.status, want, res.body)
		}
	}
	other := "/v1/subjects/person/" + clean + "/notices/" + r.Context.NoticeID
	if res := get("ops", other); res.status != 404 {
		t.Errorf("the notice under another subject: %d %s", res.status, res.body)
	}
	if res := get("me", other); res.status != 403 {
		t.Errorf("a subject reading another's notices: %d %s", res.status, res.body)
	}
	if res := get("ops", "/v1/subjects/person/110105194912310020/notices/"+r.Context.NoticeID); res.status != 400 || !strings.Contains(string(res.body), `"field":"id"`) {
		t.Errorf("a bad subject id: %d %s", res.status, res.body)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "read adverse-action notice") || !strings.Contains(logs, r.Context.NoticeID) {
		t.Errorf("the reads are not logged:\n%s", logs)
	}
}

func TestOrgCheck(t *testing.T) {
	f := newAZFixture(t)
	res := f.do(t, "GET", "/v1/organizations/"+orgOK+"/check", nil)
	var c struct {
		Known  bool
		Grades []struct{ Grade string }
		Lists  []struct {
			List       string `json:"list"`
			LegalBasis string `json:"legal_basis"`
		}
		Penalties []struct{ Kind string }
	}
	res.json(t, &c)
	if res.status != 200 || !c.Known || len(c.Grades) == 0 || len(c.Lists) == 0 || c.Lists[0].LegalBasis == "" || len(c.Penalties) == 0 || c.Penalties[0].Kind != "enterprise.admin_penalty" {
		t.Fatalf("%d %s", res.status, res.body)
	}
	// persons are never checkable
	for _, id := range []string{debtor, personBad, "x"} {
		if res := f.do(t, "GET", "/v1/organizations/"+id+"/check", nil); res.status != 400 {
			t.Errorf("%s: %d", id, res.status)
		}
	}
}

// TestOrgCheckRateLimited, over both transports: the limit is by the
// client's address (the request's RemoteAddr).
func TestOrgCheckRateLimited(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			f := newFixture(t)
			f.srv.Close()
			f.srv = serveOn(t, tr, slog.New(slog.DiscardHandler), server.NewServer(nil, f.store, server.Config{CheckPerMinute: 1, CheckBurst: 2}))
			statuses := []int{}
			var last response
			for range 3 {
				last = f.do(t, "GET", "/v1/organizations/"+orgOK+"/check", nil)
				statuses = append(statuses, last.status)
			}
			if !slices.Equal(statuses, []int{200, 200, 429}) || last.header.Get("Retry-After") == "" {
				t.Errorf("statuses %v, Retry-After %q", statuses, last.header.Get("Retry-After"))
			}
		})
	}
}

// FuzzDecisionHandlers sends arbitrary bodies to every decision endpoint,
// and to the consumer registry's: never a 5xx.
func FuzzDecisionHandlers(f *testing.F) {
	for _, s := range []string{"", "{}", "[]", "null", `{"subject": {"type": "person", "id": "` + debtor + `"}, "action": {"name": "flight.book"}}`,
		`{"evaluations": [{}, 1, null, "x"]}`, `{"options": {"evaluations_semantic": 5}}`, `{"subject": {"type": "organization", "id": "` + orgOK + `"}, "context": {"consent": 1}}`,
		`{"name": "inn", "actions": ["rail.g_train"], "rotate": true}`, `{"name": 1, "actions": [null]}`} {
		f.Add(s)
	}
	fx := newAZFixture(f)
	f.Fuzz(func(t *testing.T, body string) {
		for _, p := range []string{"/access/v1/evaluation", "/access/v1/evaluations", "/access/v1/search/action", "/v1/consumers", "/v1/subject-keys"} {
			res := fx.ask(t, "ops", p, body)
			if res.status >= 500 {
				t.Fatalf("%s %q: %d %s", p, body, res.status, res.body)
			}
			if res.status == 200 && !json.Valid(res.body) {
				t.Fatalf("%s: not JSON: %s", p, res.body)
			}
		}
	})
}

// TestSearchSubject: operators only; the subjects permitted, from the
// stored standings; 501 while no standings are scored into the store.
func TestSearchSubject(t *testing.T) {
	f := newAZFixture(t)
	ctx := context.Background()
	var sts []*credo.Standing
	for _, p := range f.table.Programs() {
		for _, id := range []string{debtor, clean} {
			ref := credo.SubjectRef{Kind: credo.Person, ID: id}
			var recs []*credo.Record
			for r, err := range f.store.SubjectRecords(ctx, ref) {
				if err != nil {
					t.Fatal(err)
				}
				recs = append(recs, r)
			}
			st := p.Standing(ref, recs, time.Now())
			sts = append(sts, &st)
		}
	}
	if err := f.store.PutStandings(ctx, sts); err != nil {
		t.Fatal(err)
	}
	body := `{"subject": {"type": "person"}, "action": {"name": "flight.book"}}`
	// stored, but no run of credo score has said through where: a table
	// scored from the ledger would have no standings behind it
	if res := f.ask(t, "ops", "/access/v1/search/subject", body); res.status != 501 || !strings.Contains(string(res.body), "credo score") {
		t.Fatalf("standings never scored: %d %s", res.status, res.body)
	}
	for _, p := range f.table.Programs() {
		if err := f.store.SetWatermark(ctx, p.VersionID(), 1); err != nil {
			t.Fatal(err)
		}
	}
	res := f.ask(t, "ops", "/access/v1/search/subject", body)
	var out struct{ Results []struct{ ID string } }
	res.json(t, &out)
	if res.status != 200 || len(out.Results) != 1 || out.Results[0].ID != clean {
		t.Fatalf("%d %s", res.status, res.body)
	}
	if !strings.Contains(f.logs.String(), "subject search") {
		t.Error("the search is not logged")
	}
	for _, who := range []string{"airline", "audit", "me", "court"} {
		if res := f.ask(t, who, "/access/v1/search/subject", body); res.status != 403 {
			t.Errorf("%s: %d", who, res.status)
		}
	}
	if res := f.ask(t, "", "/access/v1/search/subject", body); res.status != 401 {
		t.Errorf("anonymous: %d", res.status)
	}
}

// TestConsumerRegistry registers, lists, re-keys and revokes a consumer
// over the operator's API while the server serves: each change holds at
// its next request, and no key is ever listed or logged.
// TestSubjectKeyRegistry gives a subject its key while serving: it reads
// its own subject's inquiries and no one else's; a bad subject is 400
// naming the field; the key is listed without its secret, revoked at once,
// and never logged.
func TestSubjectKeyRegistry(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) { testSubjectKeyRegistry(t, tr) })
	}
}

func testSubjectKeyRegistry(t *testing.T, transport string) {
	f := newAZFixtureOn(t, transport)
	body := `{"name": "citizen-1", "subject": {"type": "person", "id": "` + debtor + `"}}`
	res := f.ask(t, "ops", "/v1/subject-keys", body)
	var added struct {
		Name    string
		Key     string
		Subject credo.SubjectRef
	}
	res.json(t, &added)
	if res.status != 201 || added.Name != "citizen-1" || !credo.LooksLikeConsumerKey(added.Key) || added.Subject.ID != debtor {
		t.Fatalf("register: %d %s", res.status, res.body)
	}
	get := func(key, path string) int {
		t.Helper()
		return f.do(t, "GET", path, nil, "Authorization", "Bearer "+key).status
	}
	if got := get(added.Key, "/v1/subjects/person/"+debtor+"/inquiries"); got != 200 {
		t.Fatalf("its own inquiries: %d", got)
	}
	if got := get(added.Key, "/v1/subjects/person/"+clean+"/inquiries"); got != 403 {
		t.Fatalf("another subject's inquiries: %d, want 403", got)
	}
	if got := f.do(t, "POST", "/access/v1/evaluation", strings.NewReader(evalBody("person", debtor, "flight.book")),
		"Content-Type", "application/json", "Authorization", "Bearer "+added.Key).status; got != 403 {
		t.Fatalf("a subject key asking a decision: %d, want 403", got)
	}
	for body, field := range map[string]string{
		`{"name": "citizen-2", "subject": {"type": "person", "id": "110105194912310021"}}`: "subject.id",
		`{"name": "citizen-2"}`: "subject",
		`{"name": "citizen-2", "subject": {"type": "alien", "id": "x"}}`:               "subject.type",
		`{"name": "Citizen 2", "subject": {"type": "person", "id": "` + debtor + `"}}`: "name",
	} {
		res := f.ask(t, "ops", "/v1/subject-keys", body)
		var e errorResult
		res.json(t, &e)
		if res.status != 400 || e.Field != field {
			t.Errorf("register %s: %d %s, want 400 naming %s", body, res.status, res.body, field)
		}
	}
	if res := f.ask(t, "ops", "/v1/subject-keys", body); res.status != 409 {
		t.Errorf("registered twice: %d %s", res.status, res.body)
	}
	// a consumer's or an operator's entry is not re-keyed into a subject's
	for _, name := range []string{"airline", "ops"} {
		if res := f.ask(t, "ops", "/v1/subject-keys", `{"name": "`+name+`", "subject": {"type": "person", "id": "`+debtor+`"}, "rotate": true}`); res.status != 409 {
			t.Errorf("re-keying %s as a subject key: %d %s", name, res.status, res.body)
		}
	}
	res = f.do(t, "GET", "/v1/subject-keys", nil, "Authorization", "Bearer "+f.keys["audit"])
	if res.status != 200 || !strings.Contains(string(res.body), `"citizen-1"`) || !strings.Contains(string(res.body), debtor) ||
		strings.Contains(string(res.body), "airline") || strings.Contains(string(res.body), added.Key) {
		t.Fatalf("list: %d %s", res.status, res.body)
	}
	if res := f.do(t, "DELETE", "/v1/subject-keys/airline", nil, "Authorization", "Bearer "+f.keys["ops"]); res.status != 404 {
		t.Errorf("revoking a consumer as a subject key: %d, want 404", res.status)
	}
	if res := f.do(t, "DELETE", "/v1/subject-keys/citizen-1", nil, "Authorization", "Bearer "+f.keys["ops"]); res.status != 200 {
		t.Fatalf("revoke: %d %s", res.status, res.body)
	}
	if got := get(added.Key, "/v1/subjects/person/"+debtor+"/inquiries"); got != 401 {
		t.Fatalf("a revoked subject key: %d, want 401", got)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, `"msg":"subject key registered"`) || !strings.Contains(logs, `"msg":"subject key revoked"`) || strings.Contains(logs, added.Key) {
		t.Errorf("the registry's changes are not logged, or a key is:\n%s", logs)
	}
}

func TestConsumerRegistry(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) { testConsumerRegistry(t, tr) })
	}
}

func testConsumerRegistry(t *testing.T, transport string) {
	f := newAZFixtureOn(t, transport)
	type added struct {
		Name    string   `json:"name"`
		Key     string   `json:"key"`
		Actions []string `json:"actions"`
	}
	register := func(body string, want int) added {
		t.Helper()
		res := f.ask(t, "ops", "/v1/consumers", body)
		if res.status != want {
			t.Fatalf("register %s: %d, want %d: %s", body, res.status, want, res.body)
		}
		var a added
		if want == http.StatusCreated {
			res.json(t, &a)
		}
		return a
	}
	rail := evalBody("person", clean, "rail.g_train")
	asKey := func(key, body string) int {
		t.Helper()
		return f.do(t, "POST", "/access/v1/evaluation", strings.NewReader(body), "Content-Type", "application/json", "Authorization", "Bearer "+key).status
	}
	a := register(`{"name": "hotel", "actions": ["rail.g_train", "rail.g_train"]}`, http.StatusCreated)
	if a.Name != "hotel" || a.Key == "" || !slices.Equal(a.Actions, []string{"rail.g_train"}) {
		t.Fatalf("registered: %+v", a)
	}
	if got := asKey(a.Key, rail); got != 200 {
		t.Fatalf("the new key asks its action: %d", got)
	}
	if got := asKey(a.Key, evalBody("person", clean, "flight.book")); got != 403 {
		t.Fatalf("the new key asks another action: %d, want 403", got)
	}
	// refused: twice, an unknown action, a bad name, another role's name
	register(`{"name": "hotel", "actions": ["rail.g_train"]}`, http.StatusConflict)
	for body, field := range map[string]string{
		`{"name": "inn", "actions": ["teleport.book"]}`:    "actions",
		`{"name": "inn", "actions": []}`:                   "actions",
		`{"name": "Inn Ltd", "actions": ["rail.g_train"]}`: "name",
		`{"name": "inn", "actions": "rail.g_train"}`:       "actions",
	} {
		res := f.ask(t, "ops", "/v1/consumers", body)
		var e errorResult
		res.json(t, &e)
		if res.status != 400 || e.Field != field {
			t.Errorf("register %s: %d %s, want 400 naming %s", body, res.status, res.body, field)
		}
	}
	register(`{"name": "ops", "actions": ["rail.g_train"], "rotate": true}`, http.StatusConflict)
	// re-keyed: the old key stops at once, the new one works
	b := register(`{"name": "hotel", "actions": ["rail.g_train", "flight.book"], "rotate": true}`, http.StatusCreated)
	if got := asKey(a.Key, rail); got != 401 {
		t.Fatalf("the old key after rotation: %d, want 401", got)
	}
	if got := asKey(b.Key, evalBody("person", clean, "flight.book")); got != 200 {
		t.Fatalf("the rotated key asks its new action: %d", got)
	}
	// listed, without keys
	res := f.do(t, "GET", "/v1/consumers", nil, "Authorization", "Bearer "+f.keys["audit"])
	var list []struct {
		Name    string   `json:"name"`
		Actions []string `json:"actions"`
		Revoked string   `json:"revoked"`
	}
	res.json(t, &list)
	found := false
	for _, c := range list {
		found = found || (c.Name == "hotel" && len(c.Actions) == 2)
		if c.Name == "ops" || c.Name == "me" {
			t.Errorf("listed a %s key as a consumer", c.Name)
		}
	}
	if !found || strings.Contains(string(res.body), "key") {
		t.Fatalf("list: %s", res.body)
	}
	// revoked: its next request is refused
	if res := f.do(t, "DELETE", "/v1/consumers/hotel", nil, "Authorization", "Bearer "+f.keys["ops"]); res.status != 200 {
		t.Fatalf("revoke: %d %s", res.status, res.body)
	}
	if got := asKey(b.Key, rail); got != 401 {
		t.Fatalf("a revoked key: %d, want 401", got)
	}
	if res := f.do(t, "DELETE", "/v1/consumers/nosuch", nil, "Authorization", "Bearer "+f.keys["ops"]); res.status != 404 {
		t.Fatalf("revoke an unknown consumer: %d, want 404", res.status)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, `"msg":"consumer registered"`) || !strings.Contains(logs, `"msg":"consumer revoked"`) || !strings.Contains(logs, `"by":"ops"`) {
		t.Errorf("the registry's changes are not logged with who made them:\n%s", logs)
	}
	for _, key := range []string{a.Key, b.Key} {
		if strings.Contains(logs, key) {
			t.Errorf("the logs hold a key")
		}
	}
}
