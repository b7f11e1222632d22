package policy

import (
	"testing"
	"time"

	"github.com/credo-org/credo"
)

func benchRecords() (credo.SubjectRef, []*credo.Record) {
	subj := credo.SubjectRef{Kind: credo.Person, ID: "371082199001010011"}
	at := func(m int) time.Time { return time.Date(2024, time.Month(m), 10, 9, 0, 0, 0, shanghai) }
	mk := func(id, kind string, m int, attrs ...credo.Attribute) *credo.Record {
		info, _ := credo.LookupKind(kind)
		r := &credo.Record{ID: id, Subject: subj, Source: info.Source, SourceRecordID: id, Kind: kind, Polarity: info.Polarity, OccurredAt: at(m)}
		for _, a := range attrs {
			r.Attributes.Set(a.Key, a.Value)
		}
		return r
	}
	return subj, []*credo.Record{
		mk("t:1", "traffic.fine", 1, credo.Attribute{Key: "amount", Value: credo.Number(200)}, credo.Attribute{Key: "points", Value: credo.Int(3)}),
		mk("t:2", "traffic.fine", 3, credo.Attribute{Key: "amount", Value: credo.Number(50)}, credo.Attribute{Key: "points", Value: credo.Int(1)}),
		mk("b:1", "finance.card_arrears", 2, credo.Attribute{Key: "amount", Value: credo.Number(3200)}, credo.Attribute{Key: "cycles", Value: credo.Int(2)}),
		mk("r:1", "charity.blood_donation", 4, credo.Attribute{Key: "component", Value: credo.String("whole_blood")}, credo.Attribute{Key: "ml", Value: credo.Int(400)}),
		mk("c:1", "court.judgment", 5, credo.Attribute{Key: "amount", Value: credo.Number(3000)}, credo.Attribute{Key: "cause", Value: credo.String("物业服务合同纠纷")}),
	}
}

// BenchmarkStanding: one subject with five records → standing, under the
// rongcheng pack (fast paths, and all in CEL).
func BenchmarkStanding(b *testing.B) {
	subj, recs := benchRecords()
	asOf := time.Date(2024, 12, 31, 0, 0, 0, 0, shanghai)
	for _, mode := range []struct {
		name string
		slow bool
	}{{"fast", false}, {"cel", true}} {
		noFastPaths = mode.slow
		prg := mustLoad(b, "../policies/rongcheng.yaml")
		noFastPaths = false
		b.Run(mode.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = prg.Standing(subj, recs, asOf)
			}
		})
	}
}

// BenchmarkStandingFromHits: the same with each record's hits computed
// before (kept per policy version): aggregation alone.
func BenchmarkStandingFromHits(b *testing.B) {
	subj, recs := benchRecords()
	asOf := time.Date(2024, 12, 31, 0, 0, 0, 0, shanghai)
	prg := mustLoad(b, "../policies/rongcheng.yaml")
	hits := make([][]Hit, len(recs))
	for i, r := range recs {
		hits[i] = prg.Match(subj, r, nil)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = prg.StandingFrom(subj, recs, hits, asOf)
	}
}

// BenchmarkRuleEval: one record against the clauses of its kind — ns per
// rule evaluation is ns/op divided by rules/op.
func BenchmarkRuleEval(b *testing.B) {
	subj, recs := benchRecords()
	r := recs[0] // a traffic fine: four rules of its kind
	for _, mode := range []struct {
		name string
		slow bool
	}{{"fast", false}, {"cel", true}} {
		noFastPaths = mode.slow
		prg := mustLoad(b, "../policies/rongcheng.yaml")
		noFastPaths = false
		n := len(prg.byKind[r.Kind]) + len(prg.anyKind)
		b.Run(mode.name, func(b *testing.B) {
			b.ReportAllocs()
			var dst []Hit
			for b.Loop() {
				dst = prg.Match(subj, r, dst[:0])
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/rule")
		})
	}
}

// BenchmarkMatchCity: every record of a synthetic city against the
// rongcheng pack — the per-record half of a full recompute.
func BenchmarkMatchCity(b *testing.B) {
	order, by := cityRecords(b, 2000, 0)
	var recs []*credo.Record
	var subs []credo.SubjectRef
	for _, s := range order {
		for _, r := range by[s] {
			recs = append(recs, r)
			subs = append(subs, s)
		}
	}
	prg := mustLoad(b, "../policies/rongcheng.yaml")
	b.ReportAllocs()
	b.ResetTimer()
	var dst []Hit
	for b.Loop() {
		for i, r := range recs {
			dst = prg.Match(subs[i], r, dst[:0])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(recs)), "ns/record")
}

// BenchmarkDecide: one measure evaluation in CEL.
func BenchmarkDecide(b *testing.B) {
	subj, recs := benchRecords()
	prg := mustLoad(b, "../policies/rongcheng.yaml")
	st := prg.Standing(subj, recs, time.Date(2024, 12, 31, 0, 0, 0, 0, shanghai))
	b.ReportAllocs()
	for b.Loop() {
		_ = prg.Decide(&st, "loan.apply", nil)
	}
}
