package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeFiles writes name → content under a temporary directory and
// returns the directory.
func writeFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readOut(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

const peopleSpec = `id: id
fields:
  - {column: name, compare: name}
  - {column: dob, compare: date, layout: "2006-01-02"}
  - {column: phone, compare: phone}
  - {column: idno, compare: id}
blocking:
  - [name]
  - [dob]
thresholds: {link: 10, review: 2}
`

const peopleCSV = `id, name, dob, phone, idno
p1, 王秀英, 1960-04-12, 13812345678, 110105196004120028
p2, Wang Xiuying, 1960-04-12, , 110105196004120028
p3, 李建国, 1955-10-01, 13900001111, 110105195510010015
p4, 陈静, 1990-06-30, 15012341234, 110105199006300046
p5, 赵磊, 1988-02-14, 13611112222, 110105198802140011
p6, 孙丽, 1972-09-09, 13733334444, 110105197209090026
`

func TestLinkDedupCLI(t *testing.T) {
	dir := writeFiles(t, map[string]string{"spec.yaml": peopleSpec, "people.csv": peopleCSV})
	out := filepath.Join(dir, "out.csv")
	pairs := filepath.Join(dir, "pairs.csv")
	stdout, stderr, status := runCLI(t, "link", "--spec", filepath.Join(dir, "spec.yaml"), filepath.Join(dir, "people.csv"),
		"--out", out, "--pairs", pairs)
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout: %q", stdout)
	}
	for _, want := range []string{"6 records", "pairs compared", "links", "review", "peak memory", "time"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
	rows := readOut(t, out)
	if got := strings.Join(rows[0], ","); got != "id,cluster,weight,match,status" {
		t.Errorf("header %s", got)
	}
	if len(rows) != 7 {
		t.Fatalf("%d rows, want a header and 6", len(rows))
	}
	cluster := map[string]string{}
	for _, r := range rows[1:] {
		cluster[r[0]] = r[1]
	}
	if cluster["p1"] != cluster["p2"] {
		t.Errorf("p1 and p2 (王秀英 / Wang Xiuying) not linked: %v", rows)
	}
	if cluster["p3"] == cluster["p1"] || cluster["p4"] == cluster["p5"] {
		t.Errorf("different people linked: %v", rows)
	}
	pr := readOut(t, pairs)
	if len(pr) < 2 || pr[1][3] != "link" || !strings.Contains(pr[1][4], "same pinyin") {
		t.Errorf("pairs: %v", pr)
	}
}

// background writes n people, different from each other and from the
// test's own, so that u has non-matching pairs to learn from.
func background(prefix string, n, from int) string {
	surnames := []rune("赵钱孙周吴郑冯褚卫蒋沈韩朱秦尤许何吕施张")
	given := []rune("一二三四五六七八九十甲乙丙丁戊己庚辛壬癸")
	var b strings.Builder
	for i := from; i < from+n; i++ {
		name := string(surnames[i%len(surnames)]) + string(given[(i/len(surnames))%len(given)]) + string(given[(i*7)%len(given)])
		fmt.Fprintf(&b, "%s-%d,%s,%d-%02d-%02d,139%08d,%s\n", prefix, i, name, 1930+i%60, 1+i%12, 1+i%28, i*7919, "")
	}
	return b.String()
}

func TestLinkTwoFilesJSON(t *testing.T) {
	a := "id,name,dob,phone,idno\na1,王秀英,1960-04-12,13812345678,110105196004120028\na2,李建国,1955-10-01,13900001111,\n" + background("a", 60, 0)
	b := "id,name,dob,phone,idno\nb1,Wang Xiuying,1960-04-12,,110105196004120028\nb2,Li Jianguo,1955-01-10,13900001111,\n" + background("b", 60, 60)
	dir := writeFiles(t, map[string]string{"spec.yaml": peopleSpec, "a.csv": a, "b.csv": b})
	out := filepath.Join(dir, "out.csv")
	stdout, stderr, status := runCLI(t, "link", "--json", "--spec", filepath.Join(dir, "spec.yaml"),
		filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv"), "--out", out)
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	var sum struct {
		Records int     `json:"records"`
		Pairs   int64   `json:"pairs_compared"`
		Links   int     `json:"links"`
		Peak    float64 `json:"peak_memory_mb"`
		Stages  []struct {
			Name string `json:"name"`
		} `json:"stages"`
		Model struct {
			Fields []any `json:"fields"`
		} `json:"model"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if sum.Records != 124 || sum.Links != 2 || sum.Pairs == 0 || sum.Peak <= 0 || len(sum.Stages) < 5 || len(sum.Model.Fields) != 4 {
		t.Errorf("summary %+v", sum)
	}
	rows := readOut(t, out)
	if got := strings.Join(rows[0], ","); got != "file,id,cluster,weight,match,status" {
		t.Errorf("header %s", got)
	}
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[1]] = r
	}
	if byID["a1"][2] != byID["b1"][2] || byID["a2"][2] != byID["b2"][2] || byID["a1"][2] == byID["a2"][2] {
		t.Errorf("clusters: %v", rows)
	}
	if byID["b1"][0] != "2" || byID["a1"][4] != "b1" {
		t.Errorf("file or match column: %v", rows)
	}
}

func TestLinkEmptyFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{"spec.yaml": peopleSpec, "empty.csv": "", "header.csv": "id,name,dob,phone,idno\n"})
	for _, in := range []string{"empty.csv", "header.csv"} {
		out := filepath.Join(dir, in+".out")
		_, stderr, status := runCLI(t, "link", "--spec", filepath.Join(dir, "spec.yaml"), filepath.Join(dir, in), "--out", out)
		if status != 0 {
			t.Fatalf("%s: status %d: %s", in, status, stderr)
		}
		rows := readOut(t, out)
		if len(rows) != 1 || strings.Join(rows[0], ",") != "id,cluster,weight,match,status" {
			t.Errorf("%s: %v, want the header alone", in, rows)
		}
	}
}

func TestLinkBadSpecs(t *testing.T) {
	tests := []struct{ name, spec, want string }{
		{"missing column", strings.Replace(peopleSpec, "column: phone", "column: mobile", 1), `no column "mobile"`},
		{"unknown comparison", strings.Replace(peopleSpec, "compare: phone", "compare: soundex", 1), `unknown comparison "soundex"`},
		{"bad layout", strings.Replace(peopleSpec, `"2006-01-02"`, `"yyyy-mm-dd"`, 1), `date layout "yyyy-mm-dd"`},
		{"layout on a name", strings.Replace(peopleSpec, "compare: name}", "compare: name, layout: x}", 1), "layout applies to compare: date only"},
		{"blocking on an uncompared column", strings.Replace(peopleSpec, "  - [dob]\n", "  - [dob]\n  - [town]\n", 1), `"town" is not a compared column`},
		{"bad transform", strings.Replace(peopleSpec, "- [dob]", "- [dob:month]", 1), `unknown transform "month"`},
		{"unknown key", peopleSpec + "treshold: 3\n", "field treshold not found"},
		{"no id", strings.Replace(peopleSpec, "id: id", "id: ''", 1), "id: name the column"},
		{"thresholds the wrong way", strings.Replace(peopleSpec, "{link: 10, review: 2}", "{link: 2, review: 10}", 1), "review 10 is above link 2"},
		{"empty", "", "spec is empty"},
		{"not yaml", "id: [", "spec:"},
		{"swap to a non-name", strings.Replace(peopleSpec, "compare: name}", "compare: name, swap: dob}", 1), "swap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"spec.yaml": tt.spec, "people.csv": peopleCSV})
			out := filepath.Join(dir, "out.csv")
			_, stderr, status := runCLI(t, "link", "--spec", filepath.Join(dir, "spec.yaml"), filepath.Join(dir, "people.csv"), "--out", out)
			if status == 0 || !strings.Contains(stderr, tt.want) {
				t.Errorf("status %d, stderr %q; want an error with %q", status, stderr, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("an output was written")
			}
		})
	}
}

func TestLinkBadRows(t *testing.T) {
	bad := peopleCSV + "p7, 周强\n, 吴敏, 1995-07-21, 13177778888, \np3, 李建国, 1955-10-01, 13900001111, \np8, \"broken, 1990-01-01, , \n"
	dir := writeFiles(t, map[string]string{"spec.yaml": peopleSpec, "people.csv": bad})
	out := filepath.Join(dir, "out.csv")
	args := []string{"link", "--spec", filepath.Join(dir, "spec.yaml"), filepath.Join(dir, "people.csv"), "--out", out}
	_, stderr, status := runCLI(t, args...)
	if status != 1 {
		t.Fatalf("status %d, want 1: %s", status, stderr)
	}
	for _, want := range []string{
		"people.csv:8: 2 columns, the header has 5",
		`people.csv:9: column "id": empty id`,
		`people.csv:10: column "id": id "p3" already on line 4`,
		"people.csv:11:",
		"--skip-bad",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an output was written")
	}
	_, stderr, status = runCLI(t, append(args, "--skip-bad")...)
	if status != 0 {
		t.Fatalf("--skip-bad: status %d: %s", status, stderr)
	}
	if rows := readOut(t, out); len(rows) != 7 {
		t.Errorf("--skip-bad: %d rows, want the header and the 6 good records", len(rows))
	}
	if !strings.Contains(stderr, "bad rows left out") {
		t.Errorf("stderr: %s", stderr)
	}
}

// TestLinkFebrlCLI runs the docs' command on Febrl 4a × 4b.
func TestLinkFebrlCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	out := filepath.Join(t.TempDir(), "out.csv")
	_, stderr, status := runCLI(t, "link", "--spec", "../../testdata/febrl/febrl.yaml",
		"../../testdata/febrl/dataset4a.csv", "../../testdata/febrl/dataset4b.csv", "--out", out)
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	rows := readOut(t, out)
	if len(rows) != 10001 {
		t.Fatalf("%d rows", len(rows))
	}
	members := map[string][]string{}
	for _, r := range rows[1:] {
		members[r[2]] = append(members[r[2]], r[1])
	}
	pred, tp := 0, 0
	for _, m := range members {
		for i := range m {
			for j := i + 1; j < len(m); j++ {
				pred++
				if strings.Split(m[i], "-")[1] == strings.Split(m[j], "-")[1] {
					tp++
				}
			}
		}
	}
	p, r := float64(tp)/float64(pred), float64(tp)/5000
	f1 := 2 * p * r / (p + r)
	t.Logf("precision %.4f recall %.4f F1 %.4f", p, r, f1)
	if p < 0.995 || f1 < 0.99 {
		t.Errorf("precision %.4f, F1 %.4f", p, f1)
	}
}

// FuzzLinkSpec feeds the spec parser and the CSV path arbitrary input: an
// error is fine, a panic is not.
func FuzzLinkSpec(f *testing.F) {
	f.Add(peopleSpec, peopleCSV)
	f.Add("id: id\nfields: [{column: name, compare: name, part: given, swap: name}]\n", "id,name\n1,a\n2,a\n")
	f.Add("id: x\nfields: [{column: d, compare: date, layout: '02/01/2006'}]\nblocking: [[d:year]]\n", "x,d\n1,01/02/1999\n2,1999\n3,\n")
	f.Add("id: x\nfields: [{column: t, compare: text}, {column: p, compare: phone}]\nthresholds: {link: 1}\n", "x,t,p\n1,\"a, b\",+86 1\n")
	f.Add(peopleSpec, "id,name\n\"unterminated\n")
	f.Fuzz(func(t *testing.T, spec, data string) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "s.yaml"), []byte(spec), 0o644)
		os.WriteFile(filepath.Join(dir, "d.csv"), []byte(data), 0o644)
		var out, errOut bytes.Buffer
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = run(context.Background(), []string{"link", "--skip-bad", "--spec", filepath.Join(dir, "s.yaml"),
				filepath.Join(dir, "d.csv"), "--out", filepath.Join(dir, "o.csv")}, strings.NewReader(""), &out, &errOut)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("link hangs on spec %q, data %q", spec, data)
		}
	})
}
