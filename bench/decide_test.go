package bench

import (
	"context"
	"fmt"
	"iter"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/decide"
	"github.com/credo-org/credo/policies"
	"github.com/credo-org/credo/policy"
)

// shippedPacks compiles the shipped policy packs.
func shippedPacks(b testing.TB) []*policy.Program {
	var out []*policy.Program
	for _, n := range policies.Names() {
		path, data, err := policies.Read(n)
		if err != nil {
			b.Fatal(err)
		}
		p, err := policy.Load(path, data)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// decideSubjects is how many subjects the decision benchmarks hold:
// 1,000,000, or $CREDO_BENCH_SUBJECTS (10000000 for the target).
func decideSubjects() int {
	if n, err := strconv.Atoi(os.Getenv("CREDO_BENCH_SUBJECTS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// benchIDs are n distinct, valid resident identity numbers: address
// 110101, a thousand a birth date from 1 January 1940 on, and their check
// characters.
func benchIDs(n int) []string {
	out := make([]string, n)
	buf := []byte("110101000000000000")
	day := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC)
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	for i := range out {
		if i > 0 && i%1000 == 0 {
			day = day.AddDate(0, 0, 1)
		}
		if i%1000 == 0 {
			copy(buf[6:14], day.Format("20060102"))
		}
		seq := i % 1000
		buf[14], buf[15], buf[16] = byte('0'+seq/100), byte('0'+seq/10%10), byte('0'+seq%10)
		sum := 0
		for k, w := range weights {
			sum += int(buf[k]-'0') * w
		}
		buf[17] = "10X98765432"[sum%11]
		out[i] = string(buf)
	}
	return out
}

// benchStandings yields each subject's standing under every pack that
// scores persons, reusing one standing: a spread of grades and about 1 in
// 50 on a list, as in a city.
func benchStandings(prgs []*policy.Program, ids []string) func(func(*credo.Standing, error) bool) {
	return func(yield func(*credo.Standing, error) bool) {
		var st credo.Standing
		var lists [1]credo.Membership
		type pack struct {
			jurisdiction, version string
			grades, lists         []string
		}
		var packs []pack
		for _, p := range prgs {
			if !p.Scores(credo.Person) {
				continue
			}
			pk := pack{jurisdiction: p.Jurisdiction, version: p.VersionID()}
			for _, g := range p.Policy().Grades {
				pk.grades = append(pk.grades, g.Grade)
			}
			for _, l := range p.Policy().Lists {
				pk.lists = append(pk.lists, l.Name)
			}
			packs = append(packs, pk)
		}
		st.Subject.Kind = credo.Person
		for i, id := range ids {
			st.Subject.ID = id
			st.Score = float64(600 + i%500)
			for _, pk := range packs {
				st.Jurisdiction, st.PolicyVersion = pk.jurisdiction, pk.version
				st.Grade = pk.grades[i%len(pk.grades)]
				st.Lists = nil
				if i%50 == 0 && len(pk.lists) > 0 {
					lists[0] = credo.Membership{List: pk.lists[i/50%len(pk.lists)]}
					st.Lists = lists[:]
				}
				if !yield(&st, nil) {
					return
				}
			}
		}
	}
}

// BenchmarkDecide is one decision in process over a table of
// decideSubjects() subjects, beside the reference: package policy's Decide
// (CEL over the full standing) for the same action. Target: ≤ 200 ns and 0
// allocations a decision.
func BenchmarkDecide(b *testing.B) {
	prgs := shippedPacks(b)
	ids := benchIDs(decideSubjects())
	tb, err := decide.New(prgs)
	if err != nil {
		b.Fatal(err)
	}
	if err := tb.Load(context.Background(), benchStandings(prgs, ids), len(ids)); err != nil {
		b.Fatal(err)
	}
	for _, action := range []string{"flight.book", "loan.apply", "library.borrow"} {
		b.Run(action, func(b *testing.B) {
			refs := make([]credo.SubjectRef, 4096)
			for i := range refs {
				refs[i] = credo.SubjectRef{Kind: credo.Person, ID: ids[(i*104729)%len(ids)]}
			}
			b.ReportAllocs()
			i := 0
			denied := 0
			for b.Loop() {
				r := tb.Decide(refs[i&4095], action, nil)
				if r.Effect == credo.Deny {
					denied++
				}
				i++
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			// the reference, in the same run: policy.Program.Decide over full standings
			var st credo.Standing
			var sts []credo.Standing
			for s := range benchStandings(prgs, ids[:64]) {
				st = *s
				st.Lists = append([]credo.Membership(nil), s.Lists...)
				sts = append(sts, st)
			}
			byJ := map[string]*policy.Program{}
			for _, p := range prgs {
				byJ[p.Jurisdiction] = p
			}
			const refN = 20000
			t0 := time.Now()
			for k := range refN {
				s := &sts[k%len(sts)]
				byJ[s.Jurisdiction].Decide(s, action, nil)
			}
			refNs := float64(time.Since(t0).Nanoseconds()) / refN
			b.ReportMetric(ns, "ns/decision")
			b.ReportMetric(refNs, "ref-ns/measure")
			b.ReportMetric(refNs/ns, "x-faster-than-policy.Decide")
			_ = denied
		})
	}
}

var decideSink float64

// BenchmarkTableLoad loads the table from decideSubjects() subjects'
// standings (three jurisdictions each), read in as many parts as there are
// cores (LoadParts: the subjects split in ranges, as a store's key ranges
// would be), and reports the time scaled to 10,000,000 subjects (target ≤
// 2 s) and the bytes a subject costs, beside the time from one sequence
// (Load) and the reference: a Go map from the same 8-byte keys to 4-byte
// values.
func BenchmarkTableLoad(b *testing.B) {
	prgs := shippedPacks(b)
	ids := benchIDs(decideSubjects())
	tb, err := decide.New(prgs)
	if err != nil {
		b.Fatal(err)
	}
	P := runtime.GOMAXPROCS(0)
	cpu0 := cpuTime()
	for b.Loop() {
		var parts []iter.Seq2[*credo.Standing, error]
		for i := range P {
			parts = append(parts, benchStandings(prgs, ids[i*len(ids)/P:(i+1)*len(ids)/P]))
		}
		if err := tb.LoadParts(context.Background(), parts, len(ids)); err != nil {
			b.Fatal(err)
		}
	}
	per := b.Elapsed().Seconds() / float64(b.N) / float64(len(ids))
	cpuPer := (cpuTime() - cpu0).Seconds() / float64(b.N) / float64(len(ids))
	s0 := time.Now()
	if err := tb.Load(context.Background(), benchStandings(prgs, ids), len(ids)); err != nil {
		b.Fatal(err)
	}
	onePer := time.Since(s0).Seconds() / float64(len(ids))
	if tb.Len() != len(ids) {
		b.Fatalf("table holds %d subjects, want %d", tb.Len(), len(ids))
	}
	// the generator alone, to take out of the table's figure
	g0 := cpuTime()
	var gn float64
	for st := range benchStandings(prgs, ids) {
		gn += st.Score + float64(len(st.Subject.ID)+len(st.Grade)+len(st.Jurisdiction)+len(st.PolicyVersion)+len(st.Lists))
	}
	decideSink = gn
	genPer := (cpuTime() - g0).Seconds() / float64(len(ids))
	t0 := time.Now()
	m := make(map[uint64]uint32, len(ids))
	for i, id := range ids {
		m[tb.Key(credo.SubjectRef{Kind: credo.Person, ID: id})] = uint32(i)
	}
	ref := time.Since(t0).Seconds() / float64(len(ids))
	b.ReportMetric(per*1e7, "s/10M-subjects")
	b.ReportMetric(cpuPer*1e7, "cpu-s/10M-subjects")
	b.ReportMetric(onePer*1e7, "one-sequence-s/10M-subjects")
	b.ReportMetric((cpuPer-genPer)*1e7, "table-cpu-s/10M-subjects")
	b.ReportMetric(tb.BytesPerSubject(), "bytes/subject")
	b.ReportMetric(float64(tb.Profiles()), "profiles")
	b.ReportMetric(ref/per, "ratio-vs-map-insert")
	if testing.Verbose() {
		fmt.Printf("table: %d subjects, %.1f bytes each, %d profiles\n", tb.Len(), tb.BytesPerSubject(), tb.Profiles())
	}
}
