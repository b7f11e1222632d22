package bench

// The ingest benchmarks: a traffic police export (bench/testdata/traffic_*.yaml)
// through the whole ingest pipeline — reader, mapper with every transform and
// check, ledger append with idempotency, synced — into a fresh store.
//
//	go test ./bench -run '^$' -bench 'Ingest' -benchtime 300000x -cpuprofile cpu.out
//
// One op is one row: -benchtime Nx ingests a file of N rows. bench/ingest.sh
// measures the same files end to end with the credo binary, beside
// PostgreSQL's COPY; it generates them with TestIngestFiles.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
	"github.com/credo-org/credo/ingest"
	"github.com/credo-org/credo/pebble"
)

var trafficHeader = []string{"决定书编号", "当事人", "身份证号", "性别", "联系电话", "车牌号", "违法时间", "违法地点", "违法代码", "违法行为", "罚款金额", "记分"}

// trafficSheet is the XLSX file's sheet, as traffic_xlsx.yaml names it.
const trafficSheet = "违法处理"

var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "欧阳", "司马"}
	given    = []string{"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建国", "海燕"}
	places   = []string{
		"荣成市成山大道与石岛路口", "荣成市观海路与青山路交叉口", "荣成市石岛镇黄海中路", "荣成市崖头街道府新路88号",
		"荣成市龙须岛镇海湾路", "荣成市人和镇文化路与樱花路口", "荣成市港湾街道蓝海路", "国道G228线荣成段K2356+300",
		"荣成市宁津街道东山路与兴业路口", "荣成市好运角旅游度假区成山头景区停车场",
	}
	// Every code the spec maps, with what it is, its fine and its points.
	violations = []struct {
		code, what string
		fine       int
		points     int
	}{
		{"1625", "驾驶机动车违反道路交通信号灯通行", 200, 6},
		{"1352", "驾驶中型以上载客载货汽车超过规定时速20%以上未达到50%", 200, 6},
		{"1039", "机动车违反规定停放、临时停车", 100, 0},
		{"1240", "驾驶人未按规定使用安全带", 50, 1},
		{"1223", "驾驶机动车时拨打接听手持电话", 100, 3},
		{"1345", "机动车不按导向车道行驶", 100, 2},
	}
	plateLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	trafficT0    = time.Date(2023, 1, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
)

// mix is a bijection on 64-bit numbers that looks random.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb93fe53a87ed
	x ^= x >> 33
	return x
}

// trafficRow is row i of the export: the values of trafficHeader. Rows
// belong to 300,000 drivers (a few rows each); ids are valid.
type trafficRow struct {
	decision, name, id, sex, phone, plate string
	at                                    time.Time
	place, code, what                     string
	fine, points                          int
}

func makeTrafficRow(i int, idbuf []byte) trafficRow {
	h := mix(uint64(i) + 1)
	p := int(mix(uint64(i)*0x9e3779b97f4a7c15) % 300000) // the driver
	q := mix(uint64(p) + 7)
	areas := [...]int{371082, 371002, 371003, 371081, 370202, 370102, 110101, 310104}
	seq := p % 1000
	idbuf = ident.AppendPersonID(idbuf[:0], areas[q%uint64(len(areas))], 1955+int(q>>8%50), 1+int(q>>16%12), 1+int(q>>24%28), seq)
	sex := "女"
	if seq%2 == 1 {
		sex = "男"
	}
	v := violations[h%uint64(len(violations))]
	var plate [5]byte
	for k := range plate {
		plate[k] = plateLetters[(q>>(32+5*k))%uint64(len(plateLetters))]
	}
	return trafficRow{
		decision: "3710823" + pad(uint64(i)+1, 11),
		name:     surnames[q%uint64(len(surnames))] + given[(q>>20)%uint64(len(given))],
		id:       string(idbuf),
		sex:      sex,
		phone:    "13" + pad(q%1000000000, 9),
		plate:    "鲁K" + string(plate[:]),
		// Two years of decisions, whatever the number of rows.
		at:     trafficT0.Add(time.Duration(uint64(i)*61%(730*86400)) * time.Second),
		place:  places[(h>>16)%uint64(len(places))],
		code:   v.code,
		what:   v.what,
		fine:   v.fine,
		points: v.points,
	}
}

func pad(n uint64, width int) string {
	s := strconv.FormatUint(n, 10)
	for len(s) < width {
		s = "0000000000"[:min(10, width-len(s))] + s
	}
	return s
}

// appendTrafficCSV appends row i as a CSV line.
func appendTrafficCSV(b []byte, i int, idbuf []byte) []byte {
	r := makeTrafficRow(i, idbuf)
	b = append(b, r.decision...)
	b = append(b, ',')
	b = append(b, r.name...)
	b = append(b, ',')
	b = append(b, r.id...)
	b = append(b, ',')
	b = append(b, r.sex...)
	b = append(b, ',')
	b = append(b, r.phone...)
	b = append(b, ',')
	b = append(b, r.plate...)
	b = append(b, ',')
	b = r.at.AppendFormat(b, time.DateTime)
	b = append(b, ',')
	b = append(b, r.place...)
	b = append(b, ',')
	b = append(b, r.code...)
	b = append(b, ',')
	b = append(b, r.what...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.fine), 10)
	b = append(b, ".00,"...)
	b = strconv.AppendInt(b, int64(r.points), 10)
	b = append(b, '\n')
	return b
}

// writeTrafficCSV writes the export's rows [0, n) as UTF-8 CSV (GB18030
// when gb), or, when n < 0, as many rows as fit in -n bytes.
func writeTrafficCSV(w io.Writer, n int64, gb bool) (rows int64, err error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	var out io.Writer = bw
	var tw io.WriteCloser
	if gb {
		tw = transform.NewWriter(bw, simplifiedchinese.GB18030.NewEncoder())
		out = tw
	}
	var line, idbuf []byte
	for k, h := range trafficHeader {
		if k > 0 {
			line = append(line, ',')
		}
		line = append(line, h...)
	}
	line = append(line, '\n')
	size := int64(len(line))
	if _, err := out.Write(line); err != nil {
		return 0, err
	}
	for i := int64(0); n < 0 || i < n; i++ {
		line = appendTrafficCSV(line[:0], int(i), idbuf)
		if n < 0 && size+int64(len(line)) > -n {
			break
		}
		size += int64(len(line))
		if _, err := out.Write(line); err != nil {
			return rows, err
		}
		rows++
	}
	if tw != nil {
		if err := tw.Close(); err != nil {
			return rows, err
		}
	}
	return rows, bw.Flush()
}

// writeTrafficXLSX writes the export's rows [0, n) as a workbook, as a
// spreadsheet program would: amounts and points are numbers, the time a
// date cell.
func writeTrafficXLSX(path string, n int) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", trafficSheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(trafficSheet)
	if err != nil {
		return err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 22}) // m/d/yy h:mm
	if err != nil {
		return err
	}
	head := make([]any, len(trafficHeader))
	for k, h := range trafficHeader {
		head[k] = h
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	var idbuf []byte
	cells := make([]any, len(trafficHeader))
	for i := range n {
		r := makeTrafficRow(i, idbuf)
		cells[0], cells[1], cells[2], cells[3], cells[4], cells[5] = r.decision, r.name, r.id, r.sex, r.phone, r.plate
		cells[6] = excelize.Cell{StyleID: dateStyle, Value: r.at.In(time.UTC).Add(8 * time.Hour)}
		cells[7], cells[8], cells[9], cells[10], cells[11] = r.place, r.code, r.what, float64(r.fine), r.points
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(path)
}

// TestIngestFiles writes bench/ingest.sh's input files when
// CREDO_INGEST_OUT names a directory: traffic.csv (CREDO_INGEST_ROWS rows,
// 1,000,000 by default), traffic_gb18030.csv (the same in GB18030),
// traffic.xlsx (CREDO_INGEST_XLSX_ROWS, 200,000 by default); or, with
// CREDO_INGEST_BIG_BYTES, only big.csv of about that many bytes. Each
// file's row count is printed as "rows FILE N".
func TestIngestFiles(t *testing.T) {
	dir := os.Getenv("CREDO_INGEST_OUT")
	if dir == "" {
		t.Skip("CREDO_INGEST_OUT is not set: nothing to generate")
	}
	num := func(name string, def int64) int64 {
		if s := os.Getenv(name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return n
		}
		return def
	}
	csvFile := func(name string, n int64, gb bool) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := writeTrafficCSV(f, n, gb)
		if err == nil {
			err = f.Close()
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("rows %s %d\n", name, rows)
	}
	if big := num("CREDO_INGEST_BIG_BYTES", 0); big > 0 {
		csvFile("big.csv", -big, false)
		return
	}
	rows := num("CREDO_INGEST_ROWS", 1_000_000)
	csvFile("traffic.csv", rows, false)
	csvFile("traffic_gb18030.csv", rows, true)
	xrows := num("CREDO_INGEST_XLSX_ROWS", 200_000)
	if err := writeTrafficXLSX(filepath.Join(dir, "traffic.xlsx"), int(xrows)); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("rows traffic.xlsx %d\n", xrows)
}

// TestIngestTrafficSpecs checks that every row of the benchmark's files is
// appended, in each format: a benchmark that quarantined rows would measure
// the wrong path.
func TestIngestTrafficSpecs(t *testing.T) {
	const n = 3000
	for _, format := range []string{"csv", "gb18030", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			rep := ingestTraffic(t, format, n, 1)
			if rep.Appended != n || rep.Rows != n || rep.Quarantined != 0 || rep.Unresolved != 0 {
				t.Fatalf("report: %+v", rep.Run)
			}
		})
	}
}

func BenchmarkIngestCSV(b *testing.B)     { benchIngest(b, "csv", 1) }
func BenchmarkIngestGB18030(b *testing.B) { benchIngest(b, "gb18030", 1) }
func BenchmarkIngestXLSX(b *testing.B)    { benchIngest(b, "xlsx", 1) }

// BenchmarkIngestCSVDuplicates ingests the file a second time: every row
// is already in the ledger (the idempotency path); only the second run is
// timed.
func BenchmarkIngestCSVDuplicates(b *testing.B) { benchIngest(b, "csv", 2) }

// trafficFile writes a file of n rows in format (csv, gb18030, xlsx) in
// dir and returns its path and spec.
func trafficFile(tb testing.TB, dir, format string, n int) (string, *ingest.Spec) {
	tb.Helper()
	path := filepath.Join(dir, "traffic."+format)
	var err error
	if format == "xlsx" {
		err = writeTrafficXLSX(path, n)
	} else {
		var f *os.File
		if f, err = os.Create(path); err == nil {
			if _, err = writeTrafficCSV(f, int64(n), format == "gb18030"); err == nil {
				err = f.Close()
			}
		}
	}
	if err != nil {
		tb.Fatal(err)
	}
	spec, err := ingest.LoadSpec(filepath.Join("testdata", "traffic_"+format+".yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	return path, spec
}

// ingestTraffic ingests a file of n rows into a fresh store runs times and
// returns the last report; for a benchmark, only the last run is timed.
func ingestTraffic(tb testing.TB, format string, n, runs int) *ingest.Report {
	dir := tb.TempDir()
	path, spec := trafficFile(tb, dir, format, n)
	s, err := pebble.Open(filepath.Join(dir, "data"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	in := &ingest.Ingester{Store: s}
	// For trying batch sizes: CREDO_BENCH_BATCH=1000 CREDO_BENCH_MAXBATCH=16000.
	in.BatchSize, _ = strconv.Atoi(os.Getenv("CREDO_BENCH_BATCH"))
	in.MaxBatch, _ = strconv.Atoi(os.Getenv("CREDO_BENCH_MAXBATCH"))
	var rep *ingest.Report
	var cpu0 time.Duration
	for run := range runs {
		if b, ok := tb.(*testing.B); ok && run == runs-1 {
			b.ResetTimer()
			cpu0 = cpuTime()
		}
		rep, err = in.IngestFile(context.Background(), spec, path, nil)
		if err != nil {
			tb.Fatal(err)
		}
		if rep.Status != "done" {
			tb.Fatalf("run %d: %s: %s", run, rep.Status, rep.Error)
		}
	}
	if b, ok := tb.(*testing.B); ok {
		b.StopTimer()
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(n), "cpu-ns/row")
	}
	return rep
}

func benchIngest(b *testing.B, format string, runs int) {
	n := b.N
	if format == "xlsx" {
		n = max(n, 1)
	}
	rep := ingestTraffic(b, format, n, runs)
	want := int64(n)
	if runs > 1 {
		if rep.Duplicates != want {
			b.Fatalf("%d duplicates, want %d", rep.Duplicates, want)
		}
	} else if rep.Appended != want {
		b.Fatalf("%d appended, want %d", rep.Appended, want)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
}

// The two sides of BenchmarkIngestCSV apart, on the same file and spec:
// BenchmarkIngestParse* is the reading side alone (reader and mapper, no
// ledger), BenchmarkIngestAppendCSV the writing side alone (the records
// appended, no reading). Ingest overlaps the two on two cores, so its rate
// is at best the slower side's.
//
// BenchmarkIngestParseCSV is the reading side of BenchmarkIngestCSV alone:
// the reader and the mapper, no ledger.
func BenchmarkIngestParseCSV(b *testing.B)     { benchParse(b, "csv") }
func BenchmarkIngestParseGB18030(b *testing.B) { benchParse(b, "gb18030") }
func BenchmarkIngestParseXLSX(b *testing.B)    { benchParse(b, "xlsx") }

func benchParse(b *testing.B, format string) {
	path, spec := trafficFile(b, b.TempDir(), format, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	n := 0
	mapRows(b, path, spec, func(*credo.Record) { n++ })
	if n != b.N {
		b.Fatalf("%d rows, want %d", n, b.N)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(n), "cpu-ns/row")
}

// BenchmarkIngestAppendCSV is the writing side of BenchmarkIngestCSV alone:
// the file's records, mapped beforehand (untimed; all of them are held in
// memory, about 1.1 KB each), appended to a fresh store as the pipeline
// appends them when the ledger is the slower side (merged batches of 4 ×
// 1000 records, each synced), in file order.
func BenchmarkIngestAppendCSV(b *testing.B) {
	dir := b.TempDir()
	path, spec := trafficFile(b, dir, "csv", b.N)
	recs := make([]*credo.Record, 0, b.N)
	mapRows(b, path, spec, func(r *credo.Record) { recs = append(recs, r) })
	s, err := pebble.Open(filepath.Join(dir, "data"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	b.ResetTimer()
	cpu0 := cpuTime()
	for len(recs) > 0 {
		n := min(len(recs), 4000)
		res, err := s.Append(ctx, recs[:n])
		if err != nil {
			b.Fatal(err)
		}
		for _, x := range res {
			if x.Status != credo.Appended {
				b.Fatalf("%v: %v", x.Status, x.Err)
			}
		}
		recs = recs[n:]
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/row")
}

// mapRows reads the file at path as spec says, maps every row and hands
// each record to each, failing b on a row that does not map.
func mapRows(b *testing.B, path string, spec *ingest.Spec, each func(*credo.Record)) {
	r, err := ingest.Open(path, spec)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	m, err := ingest.NewMapper(spec, nil)
	if err != nil {
		b.Fatal(err)
	}
	m.SetHeader(r.Header())
	for {
		row, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			b.Fatal(err)
		}
		res := m.Map(&row, credo.Provenance{File: "9f86d081884c7d659a2feaa0c55ad015", Row: row.Num})
		if res.Record == nil {
			b.Fatalf("row %d: %v", row.Num, res.Problems)
		}
		each(res.Record)
	}
}
