package resolve

import (
	"context"
	"encoding/csv"
	"os"
	"strings"
	"testing"
)

// febrlSpec is testdata/febrl/febrl.yaml.
func febrlSpec(t testing.TB) *Spec {
	t.Helper()
	data, err := os.ReadFile("../testdata/febrl/febrl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSpec(data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readFebrl returns the ids and the spec's columns of a Febrl file.
func readFebrl(t testing.TB, path string, spec *Spec) (ids []string, rows [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.TrimLeadingSpace = true
	all, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	at := map[string]int{}
	for i, h := range all[0] {
		at[strings.TrimSpace(h)] = i
	}
	for _, rec := range all[1:] {
		ids = append(ids, strings.TrimSpace(rec[at[spec.ID]]))
		var row []string
		for _, f := range spec.Fields {
			row = append(row, strings.TrimSpace(rec[at[f.Column]]))
		}
		rows = append(rows, row)
	}
	return ids, rows
}

// entity is the person a Febrl rec_id stands for: rec-12-dup-0 → 12.
func entity(id string) string { return strings.Split(id, "-")[1] }

// score counts the pairs the clusters make against the truth.
func score(ids []string, res *Result, truePairs int) (p, r, f1 float64) {
	members := map[uint32][]string{}
	for k, c := range res.Cluster {
		members[c] = append(members[c], ids[k])
	}
	pred, tp := 0, 0
	for _, m := range members {
		for i := range m {
			for j := i + 1; j < len(m); j++ {
				pred++
				if entity(m[i]) == entity(m[j]) {
					tp++
				}
			}
		}
	}
	if pred == 0 {
		return 0, 0, 0
	}
	p, r = float64(tp)/float64(pred), float64(tp)/float64(truePairs)
	return p, r, 2 * p * r / (p + r)
}

func febrlRun(t testing.TB, files ...string) ([]string, *Result) {
	spec := febrlSpec(t)
	cfg, err := spec.Config()
	if err != nil {
		t.Fatal(err)
	}
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for src, file := range files {
		ids, rows := readFebrl(t, file, spec)
		all = append(all, ids...)
		for _, row := range rows {
			if len(files) == 1 {
				src = 0
			}
			if _, err := l.Add(src, row); err != nil {
				t.Fatal(err)
			}
		}
	}
	res, err := l.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return all, res
}

// TestFebrlLink links Febrl 4a to 4b and scores the clusters against the
// rec_id truth — the labels score, they fit nothing.
func TestFebrlLink(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ids, res := febrlRun(t, "../testdata/febrl/dataset4a.csv", "../testdata/febrl/dataset4b.csv")
	p, r, f1 := score(ids, res, 5000)
	t.Logf("4a×4b: %d pairs compared; precision %.4f recall %.4f F1 %.4f; thresholds %+v; λ %.4f",
		res.Pairs, p, r, f1, res.Thresholds, res.Model.Lambda)
	if p < 0.995 || f1 < 0.99 {
		t.Errorf("precision %.4f (want ≥ 0.995), F1 %.4f (want ≥ 0.99)", p, f1)
	}
	if res.Pairs > 25_000_000/50 {
		t.Errorf("%d pairs compared: blocking should keep it far below n²", res.Pairs)
	}
}

// TestFebrlDedup deduplicates 4a ∪ 4b as one file.
func TestFebrlDedup(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	spec := febrlSpec(t)
	idsA, rowsA := readFebrl(t, "../testdata/febrl/dataset4a.csv", spec)
	idsB, rowsB := readFebrl(t, "../testdata/febrl/dataset4b.csv", spec)
	cfg, _ := spec.Config()
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range append(rowsA, rowsB...) {
		l.Add(0, row)
	}
	res, err := l.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, r, f1 := score(append(idsA, idsB...), res, 5000)
	t.Logf("4a∪4b: %d pairs compared; precision %.4f recall %.4f F1 %.4f; %d review", res.Pairs, p, r, f1, len(res.Reviews))
	if p < 0.995 || f1 < 0.99 {
		t.Errorf("precision %.4f (want ≥ 0.995), F1 %.4f (want ≥ 0.99)", p, f1)
	}
}

func BenchmarkFebrlEstimateU(b *testing.B) {
	spec := febrlSpec(b)
	cfg, _ := spec.Config()
	l, _ := New(cfg)
	_, rows := readFebrl(b, "../testdata/febrl/dataset4a.csv", spec)
	for _, row := range rows {
		l.Add(0, row)
	}
	l.cfg.RandomPairs = 200_000
	b.ResetTimer()
	for b.Loop() {
		l.estimateU(context.Background())
	}
}
