package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
	"github.com/credo-org/credo/ingest"
	"github.com/credo-org/credo/pebble"
)

// A traffic police export: UTF-8 CSV with Chinese headers.
const trafficSpec = `
source: traffic_police
agency: 荣成市公安局交通警察大队
mandate: 《中华人民共和国道路交通安全法》第五条
format: csv
record_id: 决定书编号
subject:
  kind: person
  id: 身份证号
identity:
  name: 姓名
  birth_date: 出生日期
  sex: 性别
kind:
  column: 违法代码
  map:
    "1625": traffic.fine
    "1039": traffic.warning
occurred_at:
  column: 违法时间
  layouts: ["2006-01-02 15:04", "2006/1/2"]
attributes:
  amount:
    column: 罚款金额
    type: amount
  place: 违法地点
`

var (
	now    = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	wang   = ident.NewPersonID(371082, 1985, 4, 12, 31)
	li     = ident.NewPersonID(371082, 1990, 1, 2, 42)
	header = "决定书编号,身份证号,姓名,出生日期,性别,违法代码,违法时间,罚款金额,违法地点\n"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func setup(t *testing.T, spec string) (*pebble.Store, *ingest.Spec, *ingest.Ingester, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := pebble.Open(filepath.Join(dir, "data"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sp, err := ingest.LoadSpec(writeFile(t, dir, "spec.yaml", spec))
	if err != nil {
		t.Fatal(err)
	}
	tick := now
	clock := func() time.Time { tick = tick.Add(time.Millisecond); return tick }
	return s, sp, &ingest.Ingester{Store: s, Now: clock}, dir
}

func TestIngestFile(t *testing.T) {
	s, spec, in, dir := setup(t, trafficSpec)
	ctx := context.Background()
	badID := wang[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", wang[17])+1)%11])
	file := writeFile(t, dir, "2025-05.csv", header+
		"JT001,"+wang+",王伟,1985-04-12,男,1625,2025-05-01 08:30,200,成山大道\n"+ // good
		"JT002,,李娜,1990-01-02,女,1039,2025-05-02 09:00,,石岛路\n"+ // no id: unresolved
		"JT003,"+badID+",王伟,1985-04-12,男,1625,2025-05-03 10:00,\"¥1,200\",成山大道\n"+ // mistyped id: unresolved
		"JT004,"+li+",李娜,1990-01-02,女,1625,2025-02-30 10:00,200,石岛路\n"+ // impossible date
		"JT005,"+li+",李娜,1990-01-02,女,9999,2025-05-04 10:00,200,石岛路\n"+ // code not in the map
		"JT006,"+li+",李娜,1990-01-02,女,1625,2031-01-01 10:00,abc,石岛路\n"+ // future date and a bad amount
		",,李娜,1990-01-02,女,1625,2025-05-04 10:00,200,石岛路\n") // no record id

	rep, err := in.IngestFile(ctx, spec, file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 7 || rep.Appended != 3 || rep.Unresolved != 2 || rep.Quarantined != 4 || rep.Status != "quarantined" || rep.ExitStatus() != 3 {
		t.Fatalf("report: %+v", rep.Run)
	}
	if rep.UnresolvedReasons["identifier missing"] != 1 || rep.UnresolvedReasons["identifier invalid: check character mismatch"] != 1 {
		t.Errorf("unresolved reasons: %v", rep.UnresolvedReasons)
	}
	// Every reason of every quarantined row is there, naming the field and column.
	want := map[int64][]string{
		5: {"occurred_at (column 违法时间)"},
		6: {`kind (column 违法代码) "9999": code "9999" is not in the spec's map`},
		7: {"occurred_at (column 违法时间) \"2031-01-01 10:00\": in the future", "attributes.amount (column 罚款金额) \"abc\""},
		8: {"record_id (column 决定书编号): missing"},
	}
	for q, err := range s.Quarantined(ctx, "traffic_police") {
		if err != nil {
			t.Fatal(err)
		}
		reasons := strings.Join(q.Reasons, " | ")
		for _, w := range want[q.Row] {
			if !strings.Contains(reasons, w) {
				t.Errorf("row %d reasons %q lack %q", q.Row, reasons, w)
			}
		}
		if len(want[q.Row]) == 0 {
			t.Errorf("row %d quarantined: %s", q.Row, reasons)
		}
		if q.File != "2025-05.csv" || q.Digest != rep.Digest || len(q.Values) != 9 {
			t.Errorf("quarantined row lacks its content: %+v", q)
		}
		delete(want, q.Row)
	}
	if len(want) > 0 {
		t.Errorf("not quarantined: %v", want)
	}
	if rep.Reasons[`kind (column 违法代码): code "9999" is not in the spec's map`] != 1 {
		t.Errorf("reasons by class: %v", rep.Reasons)
	}
	// The resolved record is on Wang's file, with its provenance.
	var got []*credo.Record
	for r, err := range s.SubjectRecords(ctx, credo.SubjectRef{Kind: credo.Person, ID: wang}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if len(got) != 1 || got[0].Kind != "traffic.fine" || got[0].Provenance.Row != 2 || got[0].Provenance.File != rep.Digest {
		t.Fatalf("wang's records: %+v", got)
	}
	if v, _ := got[0].Attributes.Get("amount"); v.Float() != 200 {
		t.Errorf("amount = %v", v)
	}
	if got[0].Identity.Name != "王伟" || got[0].Identity.BirthDate != "1985-04-12" || got[0].Identity.Sex != credo.Male {
		t.Errorf("identity = %+v", got[0].Identity)
	}
	c, _ := s.Counts(ctx)
	if c.Records != 3 || c.Unresolved != 2 || c.Quarantined != 4 {
		t.Fatalf("counts: %+v", c)
	}

	// The same file again: nothing new, the same rows in quarantine.
	rep, err = in.IngestFile(ctx, spec, file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Appended != 0 || rep.Duplicates != 3 || rep.Quarantined != 4 {
		t.Fatalf("second run: %+v", rep.Run)
	}
	if c, _ := s.Counts(ctx); c.Records != 3 || c.Quarantined != 4 {
		t.Fatalf("counts after the second run: %+v", c)
	}

	// The spec learns code 9999: that row is released into the ledger.
	fixed, err := ingest.ParseSpec("fixed.yaml", []byte(strings.Replace(trafficSpec, `"1039": traffic.warning`, `"1039": traffic.warning
    "9999": traffic.fine`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	rep, err = in.IngestFile(ctx, fixed, file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Appended != 1 || rep.Released != 1 || rep.Quarantined != 3 {
		t.Fatalf("after fixing the spec: %+v", rep.Run)
	}
	if c, _ := s.Counts(ctx); c.Records != 4 || c.Quarantined != 3 {
		t.Fatalf("counts after the fix: %+v", c)
	}

	// The agency resends row JT006 fixed, in a new file: released by its record id.
	resend := writeFile(t, dir, "resend.csv", header+"JT006,"+li+",李娜,1990-01-02,女,1625,2025-05-01 10:00,200,石岛路\n")
	rep, err = in.IngestFile(ctx, spec, resend, nil)
	if err != nil || rep.Appended != 1 || rep.Released != 1 || rep.ExitStatus() != 0 {
		t.Fatalf("resend: %+v %v", rep.Run, err)
	}

	// A changed payload under a known record id is a conflict, quarantined.
	changed := writeFile(t, dir, "changed.csv", header+"JT001,"+wang+",王伟,1985-04-12,男,1625,2025-05-01 08:30,500,成山大道\n")
	rep, err = in.IngestFile(ctx, spec, changed, nil)
	if err != nil || rep.Conflicts != 1 || rep.Quarantined != 1 {
		t.Fatalf("conflict: %+v %v", rep, err)
	}

	// Every run is on record, in order.
	var runs []*credo.Run
	for r, err := range s.Runs(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	if len(runs) != 5 || runs[0].Status != "quarantined" || runs[3].Status != "done" || runs[0].Digest == "" || runs[0].Ended.IsZero() {
		for _, r := range runs {
			t.Logf("%+v", r)
		}
		t.Fatalf("%d runs", len(runs))
	}
	if rep, err := credo.Verify(ctx, s, nil); err != nil || !rep.OK {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func TestIngestFileErrors(t *testing.T) {
	s, spec, in, dir := setup(t, trafficSpec)
	ctx := context.Background()
	tests := []struct {
		name, file, content, want string
	}{
		{"missing file", "nope.csv", "", "no such file"},
		{"header without a mapped column", "short.csv", "决定书编号,身份证号\nJT1," + wang + "\n", `"违法代码" (for kind)`},
		{"not UTF-8", "gbk.csv", string([]byte{0xd6, 0xd0, 0xce, 0xc4, '\n'}), "utf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			if tc.content != "" {
				path = writeFile(t, dir, tc.file, tc.content)
			}
			rep, err := in.IngestFile(ctx, spec, path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status != "failed" || rep.ExitStatus() != 1 || !strings.Contains(strings.ToLower(rep.Error), strings.ToLower(tc.want)) || !strings.Contains(rep.Error, tc.file) {
				t.Fatalf("status %s, error %q; want failed naming %s and %q", rep.Status, rep.Error, tc.file, tc.want)
			}
		})
	}
	if c, _ := s.Counts(ctx); c.Records != 0 {
		t.Fatalf("a failed file appended %d records", c.Records)
	}
}

func TestIngestStream(t *testing.T) {
	s, spec, in, _ := setup(t, trafficSpec)
	ctx := context.Background()
	body := `{"决定书编号":"S1","身份证号":"` + wang + `","违法代码":"1625","违法时间":"2025-05-01 08:30","罚款金额":"200"}
not json
{"决定书编号":"S2","身份证号":"` + li + `","违法代码":"7777","违法时间":"2025-05-01 08:30"}
{"决定书编号":"S3","违法代码":"1039","违法时间":"2025/5/2","姓名":"李娜"}
`
	var outs []ingest.Outcome
	rep, err := in.IngestStream(ctx, spec, strings.NewReader(body), "req-1", func(o ingest.Outcome) { outs = append(outs, o) })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Appended != 2 || rep.Quarantined != 2 || rep.Unresolved != 1 {
		t.Fatalf("report %+v", rep.Run)
	}
	statuses := make([]string, len(outs))
	for i, o := range outs {
		statuses[i] = o.Status
	}
	if !slices.Equal(statuses, []string{"appended", "quarantined", "quarantined", "appended"}) || outs[2].Row != 3 || !strings.Contains(outs[2].Reasons[0], "7777") {
		t.Fatalf("outcomes %+v", outs)
	}
	r, err := s.Record(ctx, credo.RecordID("traffic_police", "S1"))
	if err != nil || r.Provenance.Request != "req-1" || r.Provenance.Row != 1 {
		t.Fatalf("record %+v %v", r, err)
	}
	rep, err = in.IngestStream(ctx, spec, strings.NewReader(body), "req-2", nil)
	if err != nil || rep.Duplicates != 2 || rep.Appended != 0 {
		t.Fatalf("re-post: %+v %v", rep, err)
	}
}
