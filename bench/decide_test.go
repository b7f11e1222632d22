package bench

import (
	"context"
	"fmt"
	"iter"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/decide"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/policies"
	"github.com/credo-org/credo/policy"
)

// shippedPacks compiles the shipped policy packs.
func shippedPacks(b testing.TB) []*policy.Program {
	prgs, err := policies.Programs()
	if err != nil {
		b.Fatal(err)
	}
	return prgs
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
		var list [1]credo.Membership
		packs := benchPacks(prgs)
		for i, id := range ids {
			for _, pk := range packs {
				pk.fill(&st, i, id, &list)
				if !yield(&st, nil) {
					return
				}
			}
		}
	}
}

// benchPack is what benchStandings reads of a pack that scores persons.
type benchPack struct {
	jurisdiction, version string
	grades, lists         []string
}

func benchPacks(prgs []*policy.Program) []*benchPack {
	var packs []*benchPack
	for _, p := range prgs {
		if !p.Scores(credo.Person) {
			continue
		}
		pk := &benchPack{jurisdiction: p.Jurisdiction, version: p.VersionID()}
		for _, g := range p.Policy().Grades {
			pk.grades = append(pk.grades, g.Grade)
		}
		for _, l := range p.Policy().Lists {
			pk.lists = append(pk.lists, l.Name)
		}
		packs = append(packs, pk)
	}
	return packs
}

// fill makes st subject i's standing under the pack, its list in *list.
func (pk *benchPack) fill(st *credo.Standing, i int, id string, list *[1]credo.Membership) {
	st.Subject = credo.SubjectRef{Kind: credo.Person, ID: id}
	st.Score = float64(600 + i%500)
	st.Jurisdiction, st.PolicyVersion = pk.jurisdiction, pk.version
	st.Grade = pk.grades[i%len(pk.grades)]
	st.Lists = nil
	if i%50 == 0 && len(pk.lists) > 0 {
		list[0] = credo.Membership{List: pk.lists[i/50%len(pk.lists)]}
		st.Lists = list[:]
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

// BenchmarkTableLoad builds the table the way `credo serve` does when it
// has no snapshot of the standings (decide.Table.LoadStandings) from
// decideSubjects() subjects' standings (four jurisdictions each) stored in
// a real Pebble store as a full recompute stores them, read in a part a
// core as summaries (pebble.StandingSummaryParts), and reports the time
// scaled to 10,000,000 subjects (target ≤ 2 s) and the bytes a subject
// costs, beside the reading alone (the parts drained without a table), the
// same load from a generator instead of the store, and the reference: a
// Go map from the same 8-byte keys to 4-byte values. Then it saves the
// table's snapshot and reads it back, as `credo serve` starts when the
// snapshot is of the stored standings (decide.Table.LoadSnapshot), and
// reports both times and the file's size. CREDO_BENCH_TABLE_DATA keeps
// the store there for the next run. The subjects' ids are let go while the
// store path is timed, as `credo serve` holds none: ten million strings
// would otherwise be scanned by every collection the load triggers.
func BenchmarkTableLoad(b *testing.B) {
	ctx := context.Background()
	prgs := shippedPacks(b)
	n := decideSubjects()
	s := tableStore(b, prgs, benchIDs(n))
	defer s.Close()
	tb, err := decide.New(prgs)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	cpu0 := cpuTime()
	for b.Loop() {
		if err := tb.LoadStandings(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	per := b.Elapsed().Seconds() / float64(b.N) / float64(n)
	cpuPer := (cpuTime() - cpu0).Seconds() / float64(b.N) / float64(n)
	if tb.Len() != n {
		b.Fatalf("table holds %d subjects, want %d", tb.Len(), n)
	}
	// the store's reading alone, in the same parts, as the load reads it
	r0, rc0 := time.Now(), cpuTime()
	parts := s.StandingSummaryParts(ctx, runtime.GOMAXPROCS(0))
	counts := make([]int, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Go(func() {
			for sm, err := range part {
				if err != nil {
					b.Error(err)
					return
				}
				counts[i] += len(sm.Summaries)
			}
		})
	}
	wg.Wait()
	readPer, readCPUPer := time.Since(r0).Seconds()/float64(n), (cpuTime()-rc0).Seconds()/float64(n)
	// the snapshot: saved, then read as a start reads it (best of three),
	// answering as the table built
	version, err := s.StandingsVersion(ctx)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "decision-table")
	w0 := time.Now()
	if err := tb.SaveSnapshot(path, version); err != nil {
		b.Fatal(err)
	}
	writePer := time.Since(w0).Seconds() / float64(n)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	snapPer, snapCPUPer := math.Inf(1), 0.0
	var fromSnap *decide.Table
	for range 3 {
		if fromSnap, err = decide.New(prgs); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		s0, sc0 := time.Now(), cpuTime()
		if err := fromSnap.LoadSnapshot(path, version); err != nil {
			b.Fatal(err)
		}
		if per := time.Since(s0).Seconds() / float64(n); per < snapPer {
			snapPer, snapCPUPer = per, (cpuTime()-sc0).Seconds()/float64(n)
		}
	}
	ids := benchIDs(n)
	for i := 0; i < len(ids); i += max(1, len(ids)/10_000) {
		ref := credo.SubjectRef{Kind: credo.Person, ID: ids[i]}
		got, gok := fromSnap.Lookup(ref)
		want, wok := tb.Lookup(ref)
		if gok != wok || !wok || !reflect.DeepEqual(got, want) {
			b.Fatalf("%s from the snapshot: %v %v, built %v %v", ids[i], gok, got, wok, want)
		}
	}
	fromSnap = nil
	// beside it, the same table loaded from a generator in as many parts
	// (no store: what the load itself costs)
	g0 := time.Now()
	var gparts []iter.Seq2[*credo.Standing, error]
	for i := range len(parts) {
		gparts = append(gparts, benchStandings(prgs, ids[i*len(ids)/len(parts):(i+1)*len(ids)/len(parts)]))
	}
	if err := tb.LoadParts(ctx, gparts, len(ids)); err != nil {
		b.Fatal(err)
	}
	genPer := time.Since(g0).Seconds() / float64(len(ids))
	t0 := time.Now()
	m := make(map[uint64]uint32, len(ids))
	for i, id := range ids {
		m[tb.Key(credo.SubjectRef{Kind: credo.Person, ID: id})] = uint32(i)
	}
	ref := time.Since(t0).Seconds() / float64(len(ids))
	b.ReportMetric(per*1e7, "s/10M-subjects")
	b.ReportMetric(cpuPer*1e7, "cpu-s/10M-subjects")
	b.ReportMetric(readPer*1e7, "read-s/10M-subjects")
	b.ReportMetric(readCPUPer*1e7, "read-cpu-s/10M-subjects")
	b.ReportMetric(genPer*1e7, "from-generator-s/10M-subjects")
	b.ReportMetric(writePer*1e7, "snapshot-save-s/10M-subjects")
	b.ReportMetric(snapPer*1e7, "snapshot-read-s/10M-subjects")
	b.ReportMetric(snapCPUPer*1e7, "snapshot-read-cpu-s/10M-subjects")
	b.ReportMetric(float64(fi.Size())/float64(n), "snapshot-bytes/subject")
	b.ReportMetric(float64(len(parts)), "parts")
	b.ReportMetric(tb.BytesPerSubject(), "bytes/subject")
	b.ReportMetric(float64(tb.Profiles()), "profiles")
	b.ReportMetric(ref/per, "ratio-vs-map-insert")
	if testing.Verbose() {
		fmt.Printf("table: %d subjects, %.1f bytes each, %d profiles\n", tb.Len(), tb.BytesPerSubject(), tb.Profiles())
	}
}

// tableStore is a store holding benchStandings' standings of ids under
// every pack that scores persons, stored as a full recompute stores them
// (ReplaceStandingsFunc), at rest: in CREDO_BENCH_TABLE_DATA when set, and
// then reused when it is there, else in a temporary directory.
func tableStore(b *testing.B, prgs []*policy.Program, ids []string) *pebble.Store {
	ctx := context.Background()
	dir := os.Getenv("CREDO_BENCH_TABLE_DATA")
	if dir == "" {
		dir = b.TempDir()
	} else if _, err := os.Stat(filepath.Join(dir, "ledger")); err == nil {
		s, err := pebble.Open(dir, &pebble.Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	s, err := pebble.Open(dir, &pebble.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	for _, pk := range benchPacks(prgs) {
		err := s.ReplaceStandingsFunc(ctx, pk.jurisdiction, len(ids), func(i int, st *credo.Standing) {
			var list [1]credo.Membership // at runs on several goroutines at once
			pk.fill(st, i, ids[i], &list)
			st.Lists = slices.Clone(st.Lists)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	if s, err = pebble.Open(dir, &pebble.Options{NoSync: true}); err != nil {
		b.Fatal(err)
	}
	return s
}
