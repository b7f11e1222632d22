package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credo-org/credo/ident"
)

const cliSpec = `
source: traffic_police
agency: 荣成市公安局交通警察大队
mandate: 《中华人民共和国道路交通安全法》第五条
format: csv
record_id: 编号
subject:
  kind: person
  id: 身份证号
identity:
  name: 姓名
kind:
  column: 代码
  map:
    "1625": traffic.fine
occurred_at:
  column: 时间
  layouts: ["2006-01-02", chinese]
attributes:
  amount:
    column: 金额
    type: amount
`

func TestIngestCLI(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	spec := filepath.Join(dir, "traffic.yaml")
	os.WriteFile(spec, []byte(cliSpec), 0o600)
	p := ident.NewPersonID(371082, 1985, 4, 12, 31)
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("编号,身份证号,姓名,代码,时间,金额\nA1,"+p+",王伟,1625,2024-03-05,200\nA2,,李娜,1625,2024-03-06,\"¥1,200\"\n"), 0o600)
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("编号,身份证号,姓名,代码,时间,金额\nB1,"+p+",王伟,8888,2024-03-05,200\nB2,"+p+",王伟,1625,2024年3月5日,一千二百\n"), 0o600)

	// source check: the spec alone, then a dry run over a file (nothing written).
	if out, errOut, st := runCLI(t, "source", "check", spec); st != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("source check: %d %s %s", st, out, errOut)
	}
	out, errOut, st := runCLI(t, "source", "check", spec, bad, "--data", data)
	if st != 0 || !strings.Contains(out, "QUARANTINED") || !strings.Contains(out, `"8888"`) {
		t.Fatalf("source check with a file: %d\n%s%s", st, out, errOut)
	}

	// A clean file: exit 0, JSON report.
	out, errOut, st = runCLI(t, "ingest", "--source", spec, good, "--json", "--data", data)
	var reps []map[string]any
	if err := json.Unmarshal([]byte(out), &reps); err != nil || st != 0 {
		t.Fatalf("ingest good: %d %v\n%s%s", st, err, out, errOut)
	}
	if reps[0]["appended"].(float64) != 2 || reps[0]["unresolved"].(float64) != 1 {
		t.Fatalf("report: %v", reps[0])
	}
	// Rows quarantined: exit 3, the text report names the reasons.
	out, _, st = runCLI(t, "ingest", "--source", spec, bad, "--data", data)
	if st != 3 || !strings.Contains(out, "quarantined") || !strings.Contains(out, `code "8888" is not in the spec's map`) {
		t.Fatalf("ingest bad: %d\n%s", st, out)
	}
	// Unreadable file: exit 1, naming the file.
	_, errOut, st = runCLI(t, "ingest", "--source", spec, filepath.Join(dir, "missing.csv"), "--data", data)
	if st != 1 || !strings.Contains(errOut, "missing.csv") {
		t.Fatalf("ingest missing file: %d %s", st, errOut)
	}

	// Quarantine: list, show, export in the source's format.
	out, _, st = runCLI(t, "quarantine", "list", "--json", "--data", data)
	var rows []struct {
		ID      string   `json:"id"`
		Row     int64    `json:"row"`
		Reasons []string `json:"reasons"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil || st != 0 || len(rows) != 1 || rows[0].Row != 2 {
		t.Fatalf("quarantine list: %d %v %s", st, err, out)
	}
	out, _, st = runCLI(t, "quarantine", "show", rows[0].ID, "--data", data)
	if st != 0 || !strings.Contains(out, "8888") || !strings.Contains(out, "bad.csv") {
		t.Fatalf("quarantine show: %d %s", st, out)
	}
	export := filepath.Join(dir, "fix-me.csv")
	if _, errOut, st := runCLI(t, "quarantine", "export", "--source", spec, "--out", export, "--data", data); st != 0 {
		t.Fatalf("quarantine export: %d %s", st, errOut)
	}
	b, _ := os.ReadFile(export)
	if !strings.HasPrefix(string(b), "编号,身份证号,姓名,代码,时间,金额") || !strings.Contains(string(b), "B1,"+p+",王伟,8888") {
		t.Fatalf("exported:\n%s", b)
	}
	// The agency fixes the row and resends the exported file: released.
	os.WriteFile(export, []byte(strings.Replace(string(b), "8888", "1625", 1)), 0o600)
	out, _, st = runCLI(t, "ingest", "--source", spec, export, "--data", data)
	if st != 0 || !strings.Contains(out, "released from quarantine") {
		t.Fatalf("resend: %d\n%s", st, out)
	}
	out, _, _ = runCLI(t, "stats", "--json", "--data", data)
	if !strings.Contains(out, `"quarantined": 0`) || !strings.Contains(out, `"records": 4`) || !strings.Contains(out, `"unresolved": 1`) {
		t.Fatalf("stats after the resend:\n%s", out)
	}

	// Runs: every ingest, failed ones included.
	out, _, st = runCLI(t, "runs", "--json", "--data", data)
	var runs []map[string]any
	if err := json.Unmarshal([]byte(out), &runs); err != nil || st != 0 || len(runs) != 4 {
		t.Fatalf("runs: %d %v %s", st, err, out)
	}
	out, _, _ = runCLI(t, "runs", "--data", data)
	if !strings.Contains(out, "failed") || !strings.Contains(out, "quarantined") {
		t.Fatalf("runs text:\n%s", out)
	}
}
