package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/decide"
	"github.com/credo-org/credo/ident"
)

// The decision API: OpenID AuthZEN Authorization API 1.0 over the decision
// table. A deny is 200 with decision false; a request the API cannot
// evaluate is 400 naming the field at fault; unknown fields are ignored.

// Limits on AuthZEN bodies.
const (
	maxEvaluationBody  = 64 << 10
	maxEvaluationsBody = 4 << 20
	maxEvaluations     = 10_000
)

type azEntity struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Properties map[string]any `json:"properties,omitempty"`
}

type azAction struct {
	Name       string         `json:"name"`
	Properties map[string]any `json:"properties,omitempty"`
}

// azEvaluation is one access evaluation request, or one item of a batch.
type azEvaluation struct {
	Subject  *azEntity      `json:"subject"`
	Action   *azAction      `json:"action"`
	Resource *azEntity      `json:"resource"`
	Context  map[string]any `json:"context"`
}

type azOptions struct {
	Semantic *string `json:"evaluations_semantic"`
}

// azEvaluations is a batch whose items are decoded one by one, so that an
// item of the wrong types fails alone.
type azEvaluations struct {
	azEvaluation
	Evaluations []json.RawMessage `json:"evaluations"`
	Options     *azOptions        `json:"options"`
}

// azEvaluationsTyped is a batch decoded in one pass: the common case,
// where every item is well typed.
type azEvaluationsTyped struct {
	azEvaluation
	Evaluations []azEvaluation `json:"evaluations"`
	Options     *azOptions     `json:"options"`
}

// decodeBatch decodes a batch in one pass when it can (in sc's memory,
// when not nil), and item by item when an item is of the wrong types:
// items[i] is then nil and errs[i] says why (errs is nil when no item
// failed).
func decodeBatch(body []byte, sc *scanScratch) (req azEvaluationsTyped, errs []*requestError, err *requestError) {
	if scanEvaluations(body, &req, sc) {
		return req, nil, nil // no item failed
	}
	req = azEvaluationsTyped{}
	err = decodeJSON(body, &req)
	if err == nil || !strings.HasPrefix(err.field, "evaluations") {
		return req, make([]*requestError, len(req.Evaluations)), err
	}
	var raw azEvaluations
	if err := decodeJSON(body, &raw); err != nil {
		return req, nil, err
	}
	req = azEvaluationsTyped{azEvaluation: raw.azEvaluation, Options: raw.Options, Evaluations: make([]azEvaluation, len(raw.Evaluations))}
	errs = make([]*requestError, len(raw.Evaluations))
	for i, item := range raw.Evaluations {
		if err := decodeJSON(item, &req.Evaluations[i]); err != nil {
			err.field = fmt.Sprintf("evaluations[%d].%s", i, err.field)
			errs[i] = err
		}
	}
	return req, errs, nil
}

// azResponse is an evaluation's answer.
type azResponse struct {
	Decision bool             `json:"decision"`
	Context  *DecisionContext `json:"context,omitempty"`
}

// DecisionContext is the context of an evaluation's answer: for a decision,
// the reason codes, the policy versions, whether credo knows the subject,
// the obligations of a permit and the notice id of a denial; for an item
// that could not be evaluated, the error.
type DecisionContext struct {
	ReasonCodes   []string       `json:"reason_codes,omitempty"`
	PolicyVersion string         `json:"policy_version,omitempty"`
	SubjectKnown  *bool          `json:"subject_known,omitempty"`
	Obligations   map[string]any `json:"obligations,omitempty"`
	NoticeID      string         `json:"notice_id,omitempty"`
	Error         *DecisionError `json:"error,omitempty"`

	known bool // what SubjectKnown points to
}

// DecisionError says why an item of a batch was not evaluated.
type DecisionError struct {
	Status  int    `json:"status"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// requestError is a request the API refuses, with the field at fault.
type requestError struct {
	status    int
	field     string
	msg       string
	challenge string // WWW-Authenticate, for a 401
}

func (e *requestError) Error() string { return e.msg }

func badField(field, format string, args ...any) *requestError {
	return &requestError{status: http.StatusBadRequest, field: field, msg: fmt.Sprintf(format, args...)}
}

func writeRequestError(w http.ResponseWriter, e *requestError) {
	writeRequestErr(&httpExchange{w: w}, e)
}

// readJSON decodes the request's JSON body, of at most limit bytes, into v.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) *requestError {
	body, err := readJSONBody(&httpExchange{w, r}, limit)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

// decodeJSON decodes one JSON object from body into v, naming the field of
// a type error.
func decodeJSON(body []byte, v any) *requestError {
	if len(strings.TrimSpace(string(body))) == 0 {
		return badField("body", "empty body: send a JSON object")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				field = "body"
			}
			return badField(field, "%s: want %s, not a JSON %s", field, te.Type, te.Value)
		}
		return badField("body", "not a JSON object: %v", err)
	}
	return nil
}

// evaluation is a checked evaluation request.
type evaluation struct {
	subject  credo.SubjectRef
	action   string
	context  map[string]any
	resource *azEntity
}

// subjectRef checks an AuthZEN subject: its type, and its id against the
// check character of its scheme (GB 11643 for a person, GB 32100 for an
// organisation).
func subjectRef(s *azEntity, now time.Time) (credo.SubjectRef, *requestError) {
	return subjectRefNamed(s, now, "subject.type", "subject.id")
}

// subjectRefNamed is subjectRef for a subject whose type and id the
// request names typeField and idField (a path's {kind} and {id}).
func subjectRefNamed(s *azEntity, now time.Time, typeField, idField string) (credo.SubjectRef, *requestError) {
	if s == nil {
		return credo.SubjectRef{}, badField("subject", "subject is required: {\"type\": \"person\" or \"organization\", \"id\": …}")
	}
	var kind credo.SubjectKind
	switch s.Type {
	case "person":
		kind = credo.Person
	case "organization", "organisation":
		kind = credo.Organization
	case "":
		return credo.SubjectRef{}, badField(typeField, "%s is required: person or organization", typeField)
	default:
		return credo.SubjectRef{}, badField(typeField, "%s %q: want person or organization", typeField, s.Type)
	}
	if s.ID == "" {
		return credo.SubjectRef{}, badField(idField, "%s is required", idField)
	}
	id := ident.Normalize(s.ID)
	var res ident.Result
	if kind == credo.Person {
		res = ident.CheckPersonAt(id, now)
	} else {
		res = ident.CheckOrganization(id)
	}
	if !res.Valid() {
		return credo.SubjectRef{}, badField(idField, "%s is not a valid %s identifier: %s", idField, kind, res.Reason)
	}
	return credo.SubjectRef{Kind: kind, ID: id}, nil
}

func (e *azEvaluation) check(now time.Time) (evaluation, *requestError) {
	ref, err := subjectRef(e.Subject, now)
	if err != nil {
		return evaluation{}, err
	}
	if e.Action == nil {
		return evaluation{}, badField("action", "action is required: {\"name\": …}")
	}
	if e.Action.Name == "" {
		return evaluation{}, badField("action.name", "action.name is required")
	}
	return evaluation{subject: ref, action: e.Action.Name, context: e.Context, resource: e.Resource}, nil
}

// decider answers evaluations for one request: it decides, puts each
// decision on the record and makes its response.
type decider struct {
	logger *slog.Logger
	table  *decide.Table
	audit  *AuditLog
	slabs  sync.Pool // of *answerSlab
}

// answerSlab holds a batch request's answers, their contexts and
// inquiries, in one allocation. It is reused once the request has written
// its answers and the audit writer every inquiry: refs counts the holds,
// the request's and one an inquiry.
type answerSlab struct {
	answers []answer
	scan    scanScratch // the request's decoding
	refs    atomic.Int32
	pool    *sync.Pool
}

// slab returns a slab from the pool, or a new one.
func (d *decider) slab() *answerSlab {
	if s, _ := d.slabs.Get().(*answerSlab); s != nil {
		return s
	}
	return &answerSlab{pool: &d.slabs}
}

// zeroAnswers makes s hold n zero answers.
func (s *answerSlab) zeroAnswers(n int) []answer {
	if cap(s.answers) < n {
		s.answers = make([]answer, n)
	} else {
		s.answers = s.answers[:n]
		clear(s.answers)
	}
	return s.answers
}

// release drops n holds; the last puts the slab back.
func (s *answerSlab) release(n int32) {
	if s.refs.Add(-n) == 0 {
		s.pool.Put(s)
	}
}

// permitted says whether p may ask about action; a refusal is logged.
func (d *decider) permitted(ctx context.Context, p *principal, ev evaluation) *requestError {
	if p.consumer != nil && p.consumer.May(ev.action) {
		return nil
	}
	d.logger.WarnContext(ctx, "decision refused: action not registered for this key",
		slog.String("principal", p.name), slog.String("role", string(p.role)), slog.String("action", ev.action),
		slog.String("request_id", info(ctx).id))
	return &requestError{status: http.StatusForbidden, field: "action.name", msg: fmt.Sprintf("%s may not ask about %s", p.name, ev.action)}
}

// checked checks an evaluation request and whether p may ask it, at now.
func (d *decider) checked(ctx context.Context, p *principal, e *azEvaluation, now time.Time) (evaluation, *requestError) {
	ev, err := e.check(now)
	if err == nil {
		err = d.permitted(ctx, p, ev)
	}
	return ev, err
}

// answer is where decide puts an answer's context and its inquiry: a
// batch request allocates all of its answers at once.
type answer struct {
	context DecisionContext
	inquiry credo.Inquiry
}

// decide evaluates ev for p at now, filling a with the answer's context
// and inquiry, and returns the answer and what puts it on the record (for
// record).
func (d *decider) decide(ctx context.Context, p *principal, ev evaluation, now time.Time, a *answer) (azResponse, auditItem) {
	r := d.table.Decide(ev.subject, ev.action, ev.context)
	notice := onRecord(&a.inquiry, &r, now, info(ctx).id, p.name, ev.subject, ev.action, ev.context)
	fillContext(&a.context, &r, &a.inquiry)
	return azResponse{Decision: a.inquiry.Decision, Context: &a.context}, auditItem{inq: &a.inquiry, notice: notice}
}

// record puts a request's decisions on the record.
func (d *decider) record(ctx context.Context, items []auditItem) {
	if d.audit == nil {
		done(items)
		return
	}
	if len(items) > 0 {
		d.audit.record(ctx, items)
	}
}

// decideOne evaluates ev for p and records it.
func (d *decider) decideOne(ctx context.Context, p *principal, ev evaluation, now time.Time) azResponse {
	res, it := d.decide(ctx, p, ev, now, new(answer))
	items := [1]auditItem{it}
	d.record(ctx, items[:])
	return res
}

// OnRecord makes the inquiry that puts decision r on the record, and for
// a denial the adverse-action notice (naming the measures; the audit log
// adds the standing and records behind them).
func OnRecord(r *decide.Result, now time.Time, requestID, consumer string, subject credo.SubjectRef, action string, context map[string]any) (*credo.Inquiry, *credo.AdverseNotice) {
	inq := new(credo.Inquiry)
	return inq, onRecord(inq, r, now, requestID, consumer, subject, action, context)
}

// onRecord is OnRecord making the inquiry in inq.
func onRecord(inq *credo.Inquiry, r *decide.Result, now time.Time, requestID, consumer string, subject credo.SubjectRef, action string, context map[string]any) *credo.AdverseNotice {
	reasons := r.Reasons()
	if reasons == nil {
		reasons = []string{}
	}
	if r.Effect == credo.NotApplicable {
		reasons = []string{"no_measure"}
	}
	purpose, _ := context["purpose"].(string)
	*inq = credo.Inquiry{Time: now, RequestID: requestID, Consumer: consumer, Subject: subject, Action: action, Purpose: purpose,
		Decision: r.Effect == credo.Permit, Known: r.Known, Reasons: reasons, PolicyVersions: r.PolicyVersions()}
	if r.Effect != credo.Deny {
		return nil
	}
	notice := &credo.AdverseNotice{ID: newNoticeID(now), Time: now, RequestID: requestID, Consumer: consumer,
		Subject: subject, Action: action, Object: HowToObject}
	for o := range r.Outcomes() {
		if o.Effect == credo.Deny {
			notice.Measures = append(notice.Measures, credo.NoticeMeasure{Jurisdiction: o.Jurisdiction, PolicyVersion: o.PolicyVersion,
				Rule: o.Rule, When: o.When, Reason: o.Reason})
		}
	}
	inq.NoticeID = notice.ID
	return notice
}

// ResponseContext is an evaluation response's context for decision r,
// put on the record as inq.
func ResponseContext(r *decide.Result, inq *credo.Inquiry) *DecisionContext {
	c := new(DecisionContext)
	fillContext(c, r, inq)
	return c
}

// fillContext sets c to the context ResponseContext makes.
func fillContext(c *DecisionContext, r *decide.Result, inq *credo.Inquiry) {
	*c = DecisionContext{ReasonCodes: inq.Reasons, PolicyVersion: r.PolicyVersion(),
		Obligations: r.Obligations(), NoticeID: inq.NoticeID, known: r.Known}
	c.SubjectKnown = &c.known // one allocation for both
}

// newNoticeID returns "aan_", the time in milliseconds (12 hex digits)
// and 96 bits from crypto/rand in hex: a notice's id is what its subject
// names to object, and is not to be guessed; led by the time, the ids of
// notices made one after another grow.
func newNoticeID(now time.Time) string {
	var b [18]byte
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	rand.Read(b[6:])
	return "aan_" + hex.EncodeToString(b[:])
}

// HowToObject is what every adverse-action notice tells the subject.
const HowToObject = "You may object to this decision, or to any record behind it, with the operator of credo within 60 days: " +
	"name the notice id; the operator must answer within 15 working days, and while the objection is open the record is marked disputed."

func errorContext(e *requestError) azResponse {
	return azResponse{Decision: false, Context: &DecisionContext{Error: &DecisionError{Status: e.status, Field: e.field, Message: e.msg}}}
}

// evaluation answers POST /access/v1/evaluation.
func (d *decider) evaluation(ctx context.Context, x exchange, p *principal, body []byte) {
	var req azEvaluation
	if !scanEvaluation(body, &req) {
		req = azEvaluation{}
		if err := decodeJSON(body, &req); err != nil {
			writeRequestErr(x, err)
			return
		}
	}
	now := time.Now().UTC()
	ev, err := d.checked(ctx, p, &req, now)
	if err != nil {
		writeRequestErr(x, err)
		return
	}
	res := d.decideOne(ctx, p, ev, now)
	writeResponse(x, &res)
}

// evaluations answers POST /access/v1/evaluations: the top-level subject,
// action, resource and context are defaults each item may override;
// results come in request order; a failing item is decision false with
// context.error.
func (d *decider) evaluations(ctx context.Context, x exchange, p *principal, body []byte) {
	slab := d.slab()
	held := false // by the request's answers and inquiries: else back to the pool at once
	defer func() {
		if !held {
			d.slabs.Put(slab)
		}
	}()
	req, itemErrs, err := decodeBatch(body, &slab.scan)
	if err != nil {
		writeRequestErr(x, err)
		return
	}
	semantic := "execute_all"
	if req.Options != nil && req.Options.Semantic != nil {
		semantic = *req.Options.Semantic
	}
	switch semantic {
	case "execute_all", "deny_on_first_deny", "permit_on_first_permit":
	default:
		writeRequestErr(x, badField("options.evaluations_semantic",
			"options.evaluations_semantic %q: want execute_all, deny_on_first_deny or permit_on_first_permit", semantic))
		return
	}
	if len(req.Evaluations) > maxEvaluations {
		writeRequestErr(x, badField("evaluations", "%d evaluations: at most %d a request", len(req.Evaluations), maxEvaluations))
		return
	}
	// One time for the request's decisions: they are made within
	// microseconds of one another.
	now := time.Now().UTC()
	if req.Evaluations == nil { // no array: the defaults are one evaluation
		ev, err := d.checked(ctx, p, &req.azEvaluation, now)
		if err != nil {
			writeRequestErr(x, err)
			return
		}
		writeResponses(x, []azResponse{d.decideOne(ctx, p, ev, now)})
		return
	}
	d.warm(&req)
	out := make([]azResponse, 0, len(req.Evaluations))
	answers := slab.zeroAnswers(len(req.Evaluations))
	items := make([]auditItem, 0, len(req.Evaluations))
	for i := range req.Evaluations {
		item := req.azEvaluation // the defaults
		over := &req.Evaluations[i]
		var res azResponse
		if itemErrs != nil && itemErrs[i] != nil {
			res = errorContext(itemErrs[i])
		} else {
			if over.Subject != nil {
				item.Subject = over.Subject
			}
			if over.Action != nil {
				item.Action = over.Action
			}
			if over.Resource != nil {
				item.Resource = over.Resource
			}
			if over.Context != nil {
				item.Context = over.Context
			}
			ev, err := d.checked(ctx, p, &item, now)
			if err != nil {
				res = errorContext(err)
			} else {
				var it auditItem
				res, it = d.decide(ctx, p, ev, now, &answers[i])
				it.slab = slab
				items = append(items, it)
			}
		}
		out = append(out, res)
		if (semantic == "deny_on_first_deny" && !res.Decision) || (semantic == "permit_on_first_permit" && res.Decision) {
			break
		}
	}
	slab.refs.Store(int32(len(items)) + 1)
	held = true
	d.record(ctx, items)
	writeResponses(x, out)
	slab.release(1) // the answers are written out
}

// warm has the table read the index slots of a batch's subjects at once
// (decide.Table.Warm), before they are decided one by one.
func (d *decider) warm(req *azEvaluationsTyped) {
	keys := make([]uint64, 0, len(req.Evaluations))
	for i := range req.Evaluations {
		subj := req.Evaluations[i].Subject
		if subj == nil {
			subj = req.Subject
		}
		if subj == nil {
			continue
		}
		kind := credo.Person
		if subj.Type != "person" {
			kind = credo.Organization
		}
		// the id as sent: one not normalised or invalid warms a slot for
		// nothing, and is checked when decided
		keys = append(keys, d.table.Key(credo.SubjectRef{Kind: kind, ID: subj.ID}))
	}
	d.table.Warm(keys)
}

// handleSearchAction is POST /access/v1/search/action: the actions a
// subject may do. Only the subject themself (a subject key) and operators
// may ask; each action decided is on the record as an inquiry.
func handleSearchAction(d *decider) func(http.ResponseWriter, *http.Request, *principal) {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		ctx := r.Context()
		var req azEvaluation
		if err := readJSON(w, r, maxEvaluationBody, &req); err != nil {
			writeRequestError(w, err)
			return
		}
		now := time.Now().UTC()
		ref, err := subjectRef(req.Subject, now)
		if err != nil {
			writeRequestError(w, err)
			return
		}
		if p.role == credo.RoleSubject && p.consumer.Subject != ref {
			d.logger.WarnContext(ctx, "action search refused: another subject", slog.String("principal", p.name), slog.String("request_id", info(ctx).id))
			writeError(w, http.StatusForbidden, "subject.id", "a subject key may search only its own subject's actions")
			return
		}
		results := []map[string]string{}
		var items []auditItem
		for _, a := range d.table.Actions() {
			res, it := d.decide(ctx, p, evaluation{subject: ref, action: a, context: req.Context}, now, new(answer))
			items = append(items, it)
			if res.Decision {
				results = append(results, map[string]string{"name": a})
			}
		}
		d.record(ctx, items)
		writeJSON(w, http.StatusOK, map[string]any{"results": results, "page": map[string]string{"next_token": ""}})
	}
}

// handleAuthZENConfiguration is GET /.well-known/authzen-configuration:
// the policy decision point's metadata, with its endpoints' absolute URLs.
func handleAuthZENConfiguration() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base := scheme + "://" + r.Host
		writeJSON(w, http.StatusOK, map[string]any{
			"policy_decision_point":       base,
			"access_evaluation_endpoint":  base + "/access/v1/evaluation",
			"access_evaluations_endpoint": base + "/access/v1/evaluations",
			"search_action_endpoint":      base + "/access/v1/search/action",
			"capabilities": []string{
				"urn:credo:authzen:evaluations_semantic:execute_all",
				"urn:credo:authzen:evaluations_semantic:deny_on_first_deny",
				"urn:credo:authzen:evaluations_semantic:permit_on_first_permit",
				"urn:credo:authzen:context:obligations",
				"urn:credo:authzen:context:adverse_action_notice",
			},
		})
	})
}

// errNoDecisions is the answer of the decision routes while the server
// has no decision table.
var errNoDecisions = &requestError{status: http.StatusServiceUnavailable, msg: "this server has no decision table"}

// requireDecisions answers 503 while the server has no decision table.
func requireDecisions(d *decider, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.table == nil {
			writeRequestError(w, errNoDecisions)
			return
		}
		next.ServeHTTP(w, r)
	})
}
