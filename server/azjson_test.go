package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var scanBodies = []string{
	`{"subject":{"type":"person","id":"110101199003070011"},"action":{"name":"flight.book"},"context":{"purpose":"ticketing"}}`,
	` { "subject" : { "type" : "organization" , "id" : "x" , "properties" : {"a":[1,{"b":null}]} } , "action":{"name":"a","properties":null}, "resource":{"type":"seat","id":"1"}, "context":{"n":-1.5e3,"t":true,"f":false,"z":null,"s":""} } `,
	`{"subject":{"type":"person","id":"1"},"extra":[1,2,{"x":"y"}],"action":{"name":"a"}}`,
	`{"subject":null,"action":null,"context":null}`,
	`{}`,
	``,
	`   `,
	`[]`,
	`{"subject":{"type":1}}`,
	`{"Subject":{"type":"person"}}`,
	`{"subject":{"TYPE":"person"}}`,
	`{"subject":{"type":"person"},"subject":{"id":"1"}}`,
	`{"subject":{"type":"per\u0073on","id":"1"}}`,
	`{"subject":{"type":"person","id":"1"}} x`,
	`{"subject":{"type":"person","id":"1"},}`,
	`{"context":{"a":{"b":1}}}`,
	`{"context":{"a":01}}`,
	`{"context":{"a":1.}}`,
	`{"context":{"a":"b","a":"c"}}`,
	`{"action":{"name":"é"}}`,
	`{"subject":{"properties":"x"}}`,
	`{"x":tru}`,
	`{"x":[1,]}`,
	`{"x":[1 2]}`,
	`{"evaluations":[{"subject":{"type":"person","id":"1"}},{"action":{"name":"b"}}],"options":{"evaluations_semantic":"deny_on_first_deny"},"action":{"name":"a"}}`,
	`{"evaluations":[]}`,
	`{"evaluations":null,"options":null}`,
	`{"evaluations":[1]}`,
	`{"evaluations":[{"subject":{"type":2}}]}`,
	`{"Evaluations":[]}`,
	`{"options":{"evaluations_semantic":3}}`,
	`{"options":{"evaluations_semantic":null,"other":1}}`,
}

// TestScanAgreesWithEncodingJSON checks that whatever the scanner takes it
// reads as encoding/json does; what it leaves, encoding/json answers.
func TestScanAgreesWithEncodingJSON(t *testing.T) {
	took := 0
	for _, body := range scanBodies {
		var got, want azEvaluation
		if scanEvaluation([]byte(body), &got) {
			took++
			if err := json.Unmarshal([]byte(body), &want); err != nil {
				t.Errorf("%s: scanned, but encoding/json says %v", body, err)
			} else if !reflect.DeepEqual(stripProps(got), stripProps(want)) {
				t.Errorf("%s: scanned %+v, encoding/json %+v", body, got, want)
			}
		}
		var gotB, wantB azEvaluationsTyped
		if scanEvaluations([]byte(body), &gotB, nil) {
			took++
			if err := json.Unmarshal([]byte(body), &wantB); err != nil {
				t.Errorf("%s: scanned as a batch, but encoding/json says %v", body, err)
			} else {
				gotB.azEvaluation, wantB.azEvaluation = stripProps(gotB.azEvaluation), stripProps(wantB.azEvaluation)
				for i := range wantB.Evaluations {
					gotB.Evaluations[i], wantB.Evaluations[i] = stripProps(gotB.Evaluations[i]), stripProps(wantB.Evaluations[i])
				}
				if !reflect.DeepEqual(gotB, wantB) {
					t.Errorf("%s: scanned %+v, encoding/json %+v", body, gotB, wantB)
				}
			}
		}
	}
	if took < 10 {
		t.Errorf("the scanner took %d bodies: it is never the fast path", took)
	}
}

// stripProps drops the properties, which the scanner checks but never
// keeps (nothing reads them).
func stripProps(e azEvaluation) azEvaluation {
	if e.Subject != nil {
		s := *e.Subject
		s.Properties = nil
		e.Subject = &s
	}
	if e.Resource != nil {
		r := *e.Resource
		r.Properties = nil
		e.Resource = &r
	}
	if e.Action != nil {
		a := *e.Action
		a.Properties = nil
		e.Action = &a
	}
	return e
}

func FuzzScanEvaluation(f *testing.F) {
	for _, b := range scanBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got, want azEvaluation
		if scanEvaluation(body, &got) {
			if err := json.Unmarshal(body, &want); err != nil {
				t.Fatalf("%q: scanned, but encoding/json says %v", body, err)
			}
			if !reflect.DeepEqual(stripProps(got), stripProps(want)) {
				t.Fatalf("%q: scanned %+v, encoding/json %+v", body, got, want)
			}
		}
		var gotB, wantB azEvaluationsTyped
		if scanEvaluations(body, &gotB, nil) {
			if err := json.Unmarshal(body, &wantB); err != nil {
				t.Fatalf("%q: scanned as a batch, but encoding/json says %v", body, err)
			}
		}
	})
}

// TestAppendResponse checks the hand-written answers against encoding/json.
func TestAppendResponse(t *testing.T) {
	yes, no := true, false
	for _, r := range []azResponse{
		{Decision: true},
		{Decision: false, Context: &DecisionContext{}},
		{Decision: true, Context: &DecisionContext{ReasonCodes: []string{"national:ok", "city:fine"}, PolicyVersion: "national@1,city@2",
			SubjectKnown: &yes, Obligations: map[string]any{"discount": 0.1, "tier": "<b>", "z": []int{1}}}},
		{Decision: false, Context: &DecisionContext{ReasonCodes: []string{"n:\"q\"\n"}, SubjectKnown: &no, NoticeID: "aan_1"}},
		{Decision: false, Context: &DecisionContext{Error: &DecisionError{Status: 400, Field: "subject.id", Message: "bad é"}}},
		{Decision: false, Context: &DecisionContext{Error: &DecisionError{Status: 403, Message: "no"}}},
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.Encode(r)
		got := append(appendResponse(nil, &r), '\n')
		if string(got) != want.String() {
			t.Errorf("got  %s\nwant %s", got, want.String())
		}
	}
}

// TestNoticeIDsGrow checks that notice ids grow with time and never repeat.
func TestNoticeIDsGrow(t *testing.T) {
	base := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	prev := ""
	seen := map[string]bool{}
	for i := range 1000 {
		id := newNoticeID(base.Add(time.Duration(i/10) * time.Millisecond))
		if len(id) != len("aan_")+36 || seen[id] || (i%10 == 0 && id <= prev) {
			t.Fatalf("id %d: %q after %q", i, id, prev)
		}
		seen[id], prev = true, id
	}
}

// BenchmarkScanEvaluations scans a batch of 100 person subjects, as the
// batch benchmark over HTTP sends them: the decoding share of a batch
// decision.
func BenchmarkScanEvaluations(b *testing.B) {
	var body strings.Builder
	body.WriteString(`{"action":{"name":"flight.book"},"evaluations":[`)
	for i := range 100 {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"subject":{"type":"person","id":"1101051949123%04d%d"}}`, i, i%10)
	}
	body.WriteString(`]}`)
	raw := []byte(body.String())
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	var sc scanScratch // as a request's answerSlab brings it
	for b.Loop() {
		var req azEvaluationsTyped
		if !scanEvaluations(raw, &req, &sc) || len(req.Evaluations) != 100 {
			b.Fatal("not scanned")
		}
	}
}

// TestScanScratchReused scans batches one after another in one scratch, as
// pooled slabs bring it to requests: each reads as a fresh scan reads it,
// nothing of the batch before left in it.
func TestScanScratchReused(t *testing.T) {
	bodies := []string{
		`{"subject": {"type": "person", "id": "a", "properties": {"x": 1}}, "action": {"name": "flight.book"}, "resource": {"type": "seat", "id": "1A"},
		  "evaluations": [{"subject": {"type": "person", "id": "b"}, "resource": {"type": "seat", "id": "2B"}, "context": {"purpose": "p"}},
		  {"action": {"name": "rail.g_train"}}, {"subject": {"type": "organization", "id": "c"}}]}`,
		`{"action": {"name": "hotel.star"}, "evaluations": [{"subject": {"type": "person", "id": "d"}}]}`,
		`{"evaluations": []}`,
		`{"subject": {"id": "e"}, "evaluations": [{"subject": {"type": "person"}}, {"resource": {"id": "r"}}]}`,
	}
	var sc scanScratch
	for round := range 3 {
		for _, body := range bodies {
			var fresh, reused azEvaluationsTyped
			if !scanEvaluations([]byte(body), &fresh, nil) || !scanEvaluations([]byte(body), &reused, &sc) {
				t.Fatalf("%s: not scanned", body)
			}
			if !reflect.DeepEqual(stripBatchProps(fresh), stripBatchProps(reused)) {
				t.Errorf("round %d, %s: in a used scratch %+v, fresh %+v", round, body, reused, fresh)
			}
		}
	}
}

func stripBatchProps(r azEvaluationsTyped) azEvaluationsTyped {
	r.azEvaluation = stripProps(r.azEvaluation)
	evs := make([]azEvaluation, len(r.Evaluations))
	for i, e := range r.Evaluations {
		evs[i] = stripProps(e)
	}
	r.Evaluations = evs
	return r
}
