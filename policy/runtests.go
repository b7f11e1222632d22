package policy

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/credo-org/credo"
)

// TestResult is the outcome of one of a policy's table tests.
type TestResult struct {
	Name     string
	Pos      Pos
	Pass     bool
	Failures []string
	Standing credo.Standing
}

func (r TestResult) String() string {
	if r.Pass {
		return "PASS " + r.Name
	}
	return fmt.Sprintf("FAIL %s (line %d)\n\t%s", r.Name, r.Pos.Line, strings.Join(r.Failures, "\n\t"))
}

// testSubject is the subject of a table test's records.
func testSubject(kind string) credo.SubjectRef {
	if kind == "organization" {
		return credo.SubjectRef{Kind: credo.Organization, ID: "91371082MA3C000001"}
	}
	return credo.SubjectRef{Kind: credo.Person, ID: "371082199001010011"}
}

// linkedSubject is the organisation a test's linked records are about.
var linkedSubject = credo.SubjectRef{Kind: credo.Organization, ID: "91371082MA3C00000X"}

func attrValue(v any) (credo.Value, error) {
	switch t := v.(type) {
	case string:
		return credo.String(t), nil
	case int64:
		return credo.Int(t), nil
	case int:
		return credo.Int(int64(t)), nil
	case float64:
		return credo.Number(t), nil
	case bool:
		return credo.Bool(t), nil
	case time.Time:
		return credo.Time(t), nil
	case nil:
		return credo.Value{}, nil
	}
	return credo.Value{}, fmt.Errorf("unsupported value %v (%T)", v, v)
}

// TestRecords makes the records of a table test.
func TestRecords(t *Test, subjects []string) (credo.SubjectRef, []*credo.Record) {
	sk := t.Subject
	if sk == "" && len(subjects) > 0 {
		sk = subjects[0]
	}
	subject := testSubject(sk)
	recs := make([]*credo.Record, 0, len(t.Records))
	for i, tr := range t.Records {
		info, _ := credo.LookupKind(tr.Kind)
		id := tr.ID
		if id == "" {
			id = fmt.Sprintf("r%d", i+1)
		}
		r := &credo.Record{
			Seq: uint64(i + 1), ID: id, Subject: subject, Source: info.Source, SourceRecordID: id,
			Kind: tr.Kind, Polarity: info.Polarity, OccurredAt: tr.OccurredAt, RecordedAt: tr.OccurredAt,
			Evidence: tr.Evidence, Corrects: tr.Corrects, Retracts: tr.Retracts,
		}
		if tr.SourceRecordID != "" {
			r.SourceRecordID = tr.SourceRecordID
		}
		if tr.Linked != "" {
			r.Subject = linkedSubject
		}
		for k, v := range tr.Attributes {
			if val, err := attrValue(v); err == nil {
				r.Attributes.Set(k, val)
			}
		}
		recs = append(recs, r)
	}
	return subject, recs
}

// RunTests runs the policy's table tests, like `opa test`: each test's
// records in, its standing and decisions compared with what it expects.
func RunTests(p *Program) []TestResult {
	var out []TestResult
	for i := range p.policy.Tests {
		t := &p.policy.Tests[i]
		subject, recs := TestRecords(t, p.policy.Subjects)
		st := p.Standing(subject, recs, t.AsOf)
		res := TestResult{Name: t.Name, Pos: t.Pos, Standing: st}
		fail := func(format string, args ...any) { res.Failures = append(res.Failures, fmt.Sprintf(format, args...)) }
		e := &t.Expect
		if e.Score != nil && math.Abs(*e.Score-st.Score) > 1e-9 {
			fail("score: got %g, want %g%s", st.Score, *e.Score, explain(&st))
		}
		if e.Grade != "" && e.Grade != st.Grade {
			fail("grade: got %s (%s), want %s%s", st.Grade, reasonString(st.GradeReason), e.Grade, explain(&st))
		}
		if e.GradeBy != "" && e.GradeBy != st.GradeReason.By {
			fail("grade by: got %s, want %s", st.GradeReason.By, e.GradeBy)
		}
		if e.listsSet {
			var got []string
			for _, m := range st.Lists {
				got = append(got, m.List)
			}
			want := slices.Clone(e.Lists)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				fail("lists: got %v, want %v", got, want)
			}
		}
		for _, x := range e.Contributions {
			found := false
			for _, c := range st.Contributions {
				if c.Record == x.Record && c.Rule == x.Rule && math.Abs(c.Points-x.Points) < 1e-9 {
					found = true
				}
			}
			if !found {
				fail("no contribution record %s → rule %s → %g points%s", x.Record, x.Rule, x.Points, explain(&st))
			}
		}
		for _, r := range e.NotFired {
			for _, c := range st.Contributions {
				if c.Rule == r {
					fail("rule %s fired (record %s, %g points), want it not to", r, c.Record, c.Points)
				}
			}
		}
		for _, x := range e.Decisions {
			d := p.Decide(&st, x.Action, x.Context)
			if x.Effect != "" && d.Effect.String() != x.Effect {
				fail("decision %s: got %s (%s), want %s", x.Action, d.Effect, d.Reason, x.Effect)
			}
			if x.Reason != "" && d.Reason != x.Reason {
				fail("decision %s: reason %q, want %q", x.Action, d.Reason, x.Reason)
			}
			if x.Obligations != nil && !sameObligations(d.Obligations, x.Obligations) {
				fail("decision %s: obligations %v, want %v", x.Action, d.Obligations, x.Obligations)
			}
		}
		res.Pass = len(res.Failures) == 0
		out = append(out, res)
	}
	return out
}

func sameObligations(got, want map[string]any) bool {
	if len(got) != len(want) {
		return false
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			return false
		}
		gf, gok := toFloat(g)
		wf, wok := toFloat(w)
		if gok && wok {
			if gf != wf {
				return false
			}
			continue
		}
		if !reflect.DeepEqual(g, w) {
			return false
		}
	}
	return true
}

func toFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case int64:
		return float64(t), true
	case int:
		return float64(t), true
	case float64:
		return t, true
	}
	return 0, false
}

func reasonString(r credo.GradeReason) string {
	if r.By == "direct" {
		s := "direct grade " + r.Rule
		if r.Record != "" {
			s += " by record " + r.Record
		}
		if r.List != "" {
			s += " while on " + r.List
		}
		return s
	}
	return "band " + r.Band
}

func explain(st *credo.Standing) string {
	var b strings.Builder
	for _, c := range st.Contributions {
		fmt.Fprintf(&b, "\n\t\t%s %s → %s: %+g", c.Record, c.Kind, c.Rule, c.Points)
		if c.Note != "" {
			b.WriteString(" (" + c.Note + ")")
		}
	}
	return b.String()
}
