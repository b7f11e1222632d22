package bench

// The record-linkage benchmarks (credo link, package resolve):
//
//   - BenchmarkLinkFebrl links Febrl 4a to 4b (testdata/febrl) and reports
//     precision, recall and F1 against the rec_id truth;
//   - BenchmarkLinkDedup deduplicates synthetic person records: people of
//     the synthetic city, and noisy duplicates of some of them (Han names
//     written in pinyin with typos, day and month swapped, one digit of the
//     id changed, fields missing …). 20,000 records by default; set
//     CREDO_LINK_RECORDS=1000000 for the figure (≤ 60 s on two
//     cores; Splink reports about a minute for a million on a laptop):
//
//	CREDO_LINK_RECORDS=1000000 go test ./bench -run XXX -bench LinkDedup -benchtime 1x -v
//
// Each reports pairs compared, seconds per stage and peak memory (peak RSS
// from getrusage).

import (
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
	"github.com/credo-org/credo/resolve"
	"github.com/credo-org/credo/synth"
)

func BenchmarkLinkFebrl(b *testing.B) {
	data, err := os.ReadFile("../testdata/febrl/febrl.yaml")
	if err != nil {
		b.Fatal(err)
	}
	spec, err := resolve.ParseSpec(data)
	if err != nil {
		b.Fatal(err)
	}
	cfg, _ := spec.Config()
	var ids [2][]string
	var rows [2][][]string
	for f, name := range []string{"dataset4a.csv", "dataset4b.csv"} {
		ids[f], rows[f] = readCSVColumns(b, "../testdata/febrl/"+name, spec.Columns())
	}
	for b.Loop() {
		l, err := resolve.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		for f := range 2 {
			for _, r := range rows[f] {
				l.Add(f, r)
			}
		}
		load := time.Since(t0)
		res, err := l.Run(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		truth := func(x, y int) bool {
			return strings.Split(idAt(ids, x), "-")[1] == strings.Split(idAt(ids, y), "-")[1]
		}
		p, r, f1 := pairScore(res, truth, 5000)
		reportLink(b, res, load, p, r, f1)
	}
}

func idAt(ids [2][]string, k int) string {
	if k < len(ids[0]) {
		return ids[0][k]
	}
	return ids[1][k-len(ids[0])]
}

// readCSVColumns reads a CSV file's id column and the other given columns.
func readCSVColumns(b *testing.B, path string, cols []string) (ids []string, rows [][]string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.TrimLeadingSpace = true
	all, err := r.ReadAll()
	if err != nil {
		b.Fatal(err)
	}
	at := map[string]int{}
	for i, h := range all[0] {
		at[strings.TrimSpace(h)] = i
	}
	for _, rec := range all[1:] {
		ids = append(ids, strings.TrimSpace(rec[at[cols[0]]]))
		var row []string
		for _, c := range cols[1:] {
			row = append(row, strings.TrimSpace(rec[at[c]]))
		}
		rows = append(rows, row)
	}
	return ids, rows
}

// clusterPairs calls f for every pair of records in one cluster.
func clusterPairs(res *resolve.Result, f func(x, y int)) {
	members := map[uint32][]int{}
	for k, c := range res.Cluster {
		members[c] = append(members[c], k)
	}
	for _, m := range members {
		for i := range m {
			for j := i + 1; j < len(m); j++ {
				f(m[i], m[j])
			}
		}
	}
}

// pairScore scores the clusters as pairs against the truth.
func pairScore(res *resolve.Result, same func(x, y int) bool, truePairs int) (p, r, f1 float64) {
	pred, tp := 0, 0
	clusterPairs(res, func(x, y int) {
		pred++
		if same(x, y) {
			tp++
		}
	})
	if pred > 0 {
		p = float64(tp) / float64(pred)
	}
	if truePairs > 0 {
		r = float64(tp) / float64(truePairs)
	}
	if p+r > 0 {
		f1 = 2 * p * r / (p + r)
	}
	return
}

func reportLink(b *testing.B, res *resolve.Result, load time.Duration, p, r, f1 float64) {
	b.ReportMetric(float64(res.Records), "records")
	b.ReportMetric(float64(res.Pairs), "pairs")
	b.ReportMetric(p, "precision")
	b.ReportMetric(r, "recall")
	b.ReportMetric(f1, "F1")
	b.ReportMetric(float64(resolve.PeakRSS())/(1<<20), "peak-MB")
	var sb strings.Builder
	total := load
	fmt.Fprintf(&sb, "load %.2fs", load.Seconds())
	for _, s := range res.Stages {
		fmt.Fprintf(&sb, ", %s %.2fs (cpu %.2fs)", s.Name, s.Duration.Seconds(), s.CPU)
		total += s.Duration
	}
	b.Logf("%d records, %d pairs compared (%v per rule), %d random pairs; links %d, review %d, refused %d; "+
		"precision %.4f recall %.4f F1 %.4f; %s; total %.2fs; peak RSS %.0f MB; GOMAXPROCS %d",
		res.Records, res.Pairs, res.RulePairs, res.RandomPairs, len(res.Links), len(res.Reviews), res.Refused,
		p, r, f1, sb.String(), total.Seconds(), float64(resolve.PeakRSS())/(1<<20), runtime.GOMAXPROCS(0))
}

// dedupFields are the synthetic person records' fields.
var dedupFields = []resolve.Field{
	{Name: "name", Kind: resolve.Name, TF: true},
	{Name: "birth_date", Kind: resolve.Date, Layout: "2006-01-02"},
	{Name: "sex", Kind: resolve.Sex},
	{Name: "phone", Kind: resolve.Phone, TF: true},
	{Name: "address", Kind: resolve.Text, TF: true},
	{Name: "id_number", Kind: resolve.ID, TF: true},
}

// dedupBlocking are the batch resolver's rules but the two that compare
// many pairs of records each with its own valid id (the region and birth
// date in the id; the name and birth year): cheap across two sources,
// costly within one.
var dedupBlocking = [][]string{
	{"id_number"},
	{"id_number:last9"},
	{"birth_date", "id_number:last4"},
	{"name", "id_number:last4"},
	{"phone"},
	{"name", "birth_date"},
	{"birth_date", "address"},
	{"name", "address"},
	{"birth_date", "name:first3"},
}

// synthRecords makes n person records: about 80% people of the synthetic
// city each once, the rest noisy duplicates of some of them. who[k] is
// the person record k is about.
func synthRecords(tb testing.TB, n int) (rows [][]string, who []int32) {
	people := max(1, n*8/10)
	city, err := synth.New(synth.Config{Seed: 7, People: people})
	if err != nil {
		tb.Fatal(err)
	}
	rows = make([][]string, 0, n)
	who = make([]int32, 0, n)
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range people {
		p := city.Person(i)
		row := []string{p.Name, p.BirthDate, sexString(p.Sex), p.Phone, p.Address, p.IDNumber}
		if rng.Float64() < 0.1 {
			row[3] = "" // no phone on file
		}
		rows = append(rows, row)
		who = append(who, int32(i))
	}
	for len(rows) < n {
		i := rng.IntN(people)
		p := city.Person(i)
		rows = append(rows, noisy(rng, &p, city))
		who = append(who, int32(i))
	}
	return rows, who
}

func sexString(s interface{ String() string }) string { return s.String() }

// noisy is a record of p as a careless agency writes it.
func noisy(rng *rand.Rand, p *synth.Person, city *synth.City) []string {
	name := p.Name
	if rng.Float64() < 0.35 {
		name = p.Pinyin
		if rng.Float64() < 0.25 {
			name = typo(rng, name)
		}
		if rng.Float64() < 0.08 {
			if s, g, ok := strings.Cut(name, " "); ok {
				name = g + " " + s
			}
		}
		if rng.Float64() < 0.3 {
			name = strings.ToUpper(name)
		}
	}
	birth := p.BirthDate
	switch x := rng.Float64(); {
	case x < 0.05:
		if birth[8:10] <= "12" {
			birth = birth[:5] + birth[8:10] + "-" + birth[5:7] // day and month swapped
		}
	case x < 0.10:
		birth = changeDigit(rng, birth, []int{2, 3, 6, 9})
	case x < 0.13:
		birth = strings.ReplaceAll(birth, "-", "") // another layout's digits
	case x < 0.17:
		birth = ""
	}
	sex := sexString(p.Sex)
	if rng.Float64() < 0.05 {
		sex = ""
	}
	phone := p.Phone
	switch x := rng.Float64(); {
	case x < 0.40:
		phone = ""
	case x < 0.45:
		phone = changeDigit(rng, phone, []int{3, 5, 7, 9})
	case x < 0.50:
		phone = "+86 " + phone
	}
	addr := p.Address
	switch x := rng.Float64(); {
	case x < 0.25:
		addr = ""
	case x < 0.35:
		addr = city.Person(rng.IntN(city.People())).Address // moved
	case x < 0.45:
		if k := strings.LastIndex(addr, "号"); k > 0 {
			addr = addr[:k+len("号")] // only the street number
		}
	}
	id := p.IDNumber
	switch x := rng.Float64(); {
	case x < 0.40:
		id = ""
	case x < 0.55:
		id = changeDigit(rng, id, []int{0, 3, 8, 11, 14, 16})
	case x < 0.60:
		k := 6 + rng.IntN(10)
		b := []byte(id)
		b[k], b[k+1] = b[k+1], b[k]
		id = string(b)
	}
	return []string{name, birth, sex, phone, addr, id}
}

func changeDigit(rng *rand.Rand, s string, at []int) string {
	b := []byte(s)
	k := at[rng.IntN(len(at))]
	if k >= len(b) || b[k] < '0' || b[k] > '9' {
		return s
	}
	b[k] = '0' + (b[k]-'0'+1+byte(rng.IntN(8)))%10
	return string(b)
}

// typo changes one letter of a latin name: a substitution, a deletion or
// two neighbours swapped.
func typo(rng *rand.Rand, s string) string {
	b := []byte(s)
	for range 5 {
		k := 1 + rng.IntN(len(b)-2)
		if b[k] == ' ' || b[k+1] == ' ' {
			continue
		}
		switch rng.IntN(3) {
		case 0:
			b[k] = 'a' + byte(rng.IntN(26))
		case 1:
			return string(append(b[:k:k], b[k+1:]...))
		default:
			b[k], b[k+1] = b[k+1], b[k]
		}
		return string(b)
	}
	return s
}

func BenchmarkLinkDedup(b *testing.B) {
	n := linkRecords(b)
	t0 := time.Now()
	rows, who := synthRecords(b, n)
	b.Logf("generated %d records in %.1fs; peak RSS so far (the benchmark's own copy) %.0f MB",
		len(rows), time.Since(t0).Seconds(), float64(resolve.PeakRSS())/(1<<20))
	perPerson := map[int32]int{}
	for _, w := range who {
		perPerson[w]++
	}
	truePairs := 0
	for _, k := range perPerson {
		truePairs += k * (k - 1) / 2
	}
	b.ResetTimer()
	for b.Loop() {
		l, err := resolve.New(resolve.Config{Fields: dedupFields, Blocking: dedupBlocking, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		l.Grow(len(rows))
		for _, r := range rows {
			l.Add(0, r)
		}
		load := time.Since(t0)
		res, err := l.Run(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		p, r, f1 := pairScore(res, func(x, y int) bool { return who[x] == who[y] }, truePairs)
		reportLink(b, res, load, p, r, f1)
		reportNoID(b, res, rows, who)
	}
}

// validID reports whether a record's identity number passes its check.
func validID(s string) bool {
	return ident.CheckPersonAt(s, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).Valid()
}

// reportNoID scores the pairs with at least one record whose id is
// missing or fails its check — the records credo resolves by probability —
// and takes the missed ones apart: how many the weights put below review,
// in review, or at link weight but kept apart by clustering, and their
// commonest patterns of levels.
func reportNoID(b *testing.B, res *resolve.Result, rows [][]string, who []int32) {
	noID := make([]bool, len(rows))
	byPerson := map[int32][]int{}
	for k, r := range rows {
		noID[k] = !validID(r[5])
		byPerson[who[k]] = append(byPerson[who[k]], k)
	}
	members := map[uint32][]int{}
	for k, c := range res.Cluster {
		members[c] = append(members[c], k)
	}
	pred, tp := 0, 0
	clusterPairs(res, func(x, y int) {
		if noID[x] || noID[y] {
			pred++
			if who[x] == who[y] {
				tp++
			}
		}
	})
	truth, below, inReview, atLink := 0, 0, 0, 0
	patterns := map[string]int{}
	for _, m := range byPerson {
		for i := range m {
			for j := i + 1; j < len(m); j++ {
				x, y := m[i], m[j]
				if !noID[x] && !noID[y] {
					continue
				}
				truth++
				if res.Cluster[x] == res.Cluster[y] {
					continue
				}
				e := res.Explain(x, y)
				switch {
				case e.Weight >= res.Thresholds.Link:
					atLink++
					if os.Getenv("CREDO_LINK_DEBUG") != "" && atLink < 15 {
						cx, cy := members[res.Cluster[x]], members[res.Cluster[y]]
						var ws []string
						for _, a := range cx {
							for _, c := range cy {
								ws = append(ws, fmt.Sprintf("%d-%d(%v):%.1f", a, c, who[a] == who[c], res.Explain(a, c).Weight))
							}
						}
						b.Logf("GUARD %d %d w=%.1f sizes %d %d: %v", x, y, e.Weight, len(cx), len(cy), ws)
					}
				case e.Weight >= res.Thresholds.Review:
					inReview++
				default:
					below++
				}
				var sb strings.Builder
				for _, f := range e.Fields {
					fmt.Fprintf(&sb, "%s=%s ", f.Field, f.Level)
				}
				patterns[sb.String()]++
				if os.Getenv("CREDO_LINK_DEBUG") != "" && len(patterns) < 30 && patterns[sb.String()] == 1 {
					b.Logf("DEBUG %v | %v | %+v", rows[x], rows[y], e)
				}
			}
		}
	}
	p, r := 0.0, 0.0
	if pred > 0 {
		p = float64(tp) / float64(pred)
	}
	if truth > 0 {
		r = float64(tp) / float64(truth)
	}
	b.ReportMetric(p, "noid-precision")
	b.ReportMetric(r, "noid-recall")
	b.Logf("records lacking a valid id: %d true pairs, %d linked pairs; precision %.4f recall %.4f; missed: %d below review, %d in review, %d at link weight kept apart",
		truth, pred, p, r, below, inReview, atLink)
	type pc struct {
		p string
		n int
	}
	var top []pc
	for k, v := range patterns {
		top = append(top, pc{k, v})
	}
	slices.SortFunc(top, func(a, b pc) int { return b.n - a.n })
	for _, t := range top[:min(len(top), 12)] {
		b.Logf("  missed %6d  %s", t.n, t.p)
	}
}

// BenchmarkResolveNoID resolves the synthetic records lacking a valid id
// (missing, or failing its check) against the subjects the others make —
// credo's resolution, the deterministic step done — and scores the
// decisions against the truth: precision is the share of links to the
// right person, recall the share of records linked to the right person.
// Same records as BenchmarkLinkDedup; CREDO_LINK_RECORDS sets how many.
//
//	CREDO_LINK_RECORDS=1000000 go test ./bench -run XXX -bench ResolveNoID -benchtime 1x -v
func BenchmarkResolveNoID(b *testing.B) {
	n := linkRecords(b)
	rows, who := synthRecords(b, n)
	var known []resolve.Known
	var batch []credo.Identity
	var batchWho []int32
	personOf := map[string]int32{}
	for k, r := range rows {
		id := credo.Identity{Name: r[0], BirthDate: r[1], Phone: r[3], Address: r[4], IDNumber: r[5]}
		switch r[2] {
		case "M":
			id.Sex = credo.Male
		case "F":
			id.Sex = credo.Female
		}
		if validID(r[5]) {
			known = append(known, resolve.Known{Subject: r[5], Identity: id})
			personOf[r[5]] = who[k]
			continue
		}
		batch = append(batch, id)
		batchWho = append(batchWho, who[k])
	}
	b.ResetTimer()
	for b.Loop() {
		scoreBatch(b, known, batch, batchWho, personOf)
	}
}

// scoreBatch resolves the batch against the known subjects and scores the
// decisions: precision is the share of links to the right person, recall
// the share of the records about a known subject linked to the right
// person (a record about someone no valid id made known can only be left
// unresolved, or wrongly linked: that counts against precision).
func scoreBatch(b *testing.B, known []resolve.Known, batch []credo.Identity, batchWho []int32, personOf map[string]int32) {
	{
		t0 := time.Now()
		res, err := resolve.ResolveBatch(context.Background(), known, batch, resolve.BatchConfig{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(t0)
		isKnown := map[int32]bool{}
		for _, w := range personOf {
			isKnown[w] = true
		}
		right, wrong, reviewRight, reviewOther, linkable, strangers := 0, 0, 0, 0, 0, 0
		for k, d := range res.Decisions {
			if isKnown[batchWho[k]] {
				linkable++
			} else if d.Status == resolve.Unlinked {
				strangers++
			}
			switch d.Status {
			case resolve.Linked:
				if personOf[d.Subject] == batchWho[k] {
					right++
				} else {
					wrong++
				}
			case resolve.Review:
				found := false
				for _, c := range d.Candidates {
					found = found || personOf[c.Subject] == batchWho[k]
				}
				if found {
					reviewRight++
				} else {
					reviewOther++
				}
			}
		}
		p := float64(right) / float64(max(1, right+wrong))
		r := float64(right) / float64(max(1, linkable))
		b.Logf("%d records of known subjects, %d of people no record with a valid id makes known (%d of them left unresolved, as they should)",
			linkable, len(batch)-linkable, strangers)
		b.ReportMetric(p, "precision")
		b.ReportMetric(r, "recall")
		b.ReportMetric(float64(res.Pairs), "pairs")
		b.ReportMetric(float64(resolve.PeakRSS())/(1<<20), "peak-MB")
		var sb strings.Builder
		for _, s := range res.Stages {
			fmt.Fprintf(&sb, "%s %.2fs (cpu %.2fs), ", s.Name, s.Seconds, s.CPU)
		}
		b.Logf("%d known identities of %d subjects, %d records lacking a valid id: %d pairs compared %v; prior %.3f; "+
			"linked %d (%d right, %d wrong), review %d (%d with the right subject among the candidates), unlinked %d; "+
			"precision %.4f recall %.4f; %stotal %.2fs; peak RSS %.0f MB",
			len(known), res.Subjects, len(batch), res.Pairs, res.RulePairs, res.Prior, res.Linked, right, wrong,
			res.Review, reviewRight, res.Unlinked, p, r, sb.String(), took.Seconds(), float64(resolve.PeakRSS())/(1<<20))
		if os.Getenv("CREDO_LINK_DEBUG") != "" {
			for _, f := range res.Model.Fields {
				b.Logf("MODEL %s %+v", f.Field, f.Levels)
			}
			phone := map[string]int{}
			for _, d := range res.Decisions {
				if d.Status == resolve.Linked {
					phone[d.Candidates[0].Explain.Fields[3].Level+"/"+d.Candidates[0].Explain.Fields[4].Level]++
				}
			}
			b.Logf("MODEL links by phone/address level: %v", phone)
			shown := 0
			for k, d := range res.Decisions {
				wrongLink := d.Status == resolve.Linked && personOf[d.Subject] != batchWho[k]
				if os.Getenv("CREDO_LINK_DEBUG") == "wrong" && !wrongLink ||
					d.Status == resolve.Linked && !wrongLink || shown > 20 {
					continue
				}
				shown++
				b.Logf("DEBUG %v %v: %+v", batch[k], d.Status, d.Candidates)
			}
		}
	}
}

// linkRecords is the number of records CREDO_LINK_RECORDS asks for;
// 20,000 by default.
func linkRecords(b *testing.B) int {
	n := 20_000
	if s := os.Getenv("CREDO_LINK_RECORDS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 2 {
			b.Fatalf("CREDO_LINK_RECORDS=%q: want a number of records", s)
		}
		n = v
	}
	return n
}

// BenchmarkResolveCity resolves the synthetic city's records as its
// agencies send them (docs/synth.md, "The agencies' exports") at
// synth.DefaultNoise: each person's records carry the identity exactly,
// but for the share whose id is missing (the phone dropped in a quarter of
// them) or mistyped (one substitution or one adjacent transposition, failing
// the check). The records with a valid id make the known subjects (the
// deterministic step); the others go to ResolveBatch, scored against the
// truth. CREDO_LINK_RECORDS sets the people (20,000 by default):
//
//	CREDO_LINK_RECORDS=1000000 go test ./bench -run XXX -bench ResolveCity -benchtime 1x -v
func BenchmarkResolveCity(b *testing.B) {
	people := linkRecords(b)
	city, err := synth.New(synth.Config{Seed: 7, People: people})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	noise := synth.DefaultNoise
	rng := rand.New(rand.NewPCG(7, 13))
	personOf := map[string]int32{} // a known subject's person
	var known []resolve.Known
	var batch []credo.Identity
	var batchWho []int32
	events := 0
	for ev := range city.Events() {
		if ev.Subject != credo.Person {
			continue
		}
		events++
		id := ev.Record.Identity
		switch u := rng.Float64(); {
		case u < noise.Mistyped:
			id.IDNumber = mistype(rng, id.IDNumber)
		case u < noise.Mistyped+noise.Missing:
			id.IDNumber = ""
			if rng.IntN(4) == 0 {
				id.Phone = ""
			}
		default:
			if _, ok := personOf[id.IDNumber]; !ok {
				personOf[id.IDNumber] = int32(ev.Index)
				known = append(known, resolve.Known{Subject: id.IDNumber, Identity: id})
			}
			continue
		}
		batch = append(batch, id)
		batchWho = append(batchWho, int32(ev.Index))
	}
	b.Logf("%d person records of %d people in %.1fs: %d subjects known, %d records lacking a valid id",
		events, people, time.Since(t0).Seconds(), len(known), len(batch))
	b.ResetTimer()
	for b.Loop() {
		scoreBatch(b, known, batch, batchWho, personOf)
	}
}

// mistype changes one digit of an id, or swaps two adjacent different
// characters, so that it fails its check (as synth's exports do).
func mistype(rng *rand.Rand, id string) string {
	for range 100 {
		b := []byte(id)
		i := rng.IntN(len(b) - 1)
		if rng.IntN(2) == 0 && b[i] != b[i+1] {
			b[i], b[i+1] = b[i+1], b[i]
		} else if b[i] >= '0' && b[i] <= '9' {
			b[i] = '0' + (b[i]-'0'+1+byte(rng.IntN(9)))%10
		}
		if s := string(b); !validID(s) {
			return s
		}
	}
	return ""
}
