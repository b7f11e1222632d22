package ingest

// Reader benchmarks. Each generates its input (rows of about 190 bytes, like
// a traffic-police export: ids, a Chinese name and place, dates, amounts)
// and reports rows/s and MB/s. Run with
//
//	go test ./ingest -run '^$' -bench 'BenchmarkRead' -benchtime 3x -cpu 1

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

const benchRows = 200_000

var benchNames = []string{"张三", "李四", "王五", "赵六", "欧阳娜娜", "陈", "司马光明"}

func benchRecord(i int) []string {
	return []string{
		fmt.Sprintf("JT%010d", i),
		fmt.Sprintf("1101011990%04d%03d%d", i%10000, i%1000, i%10),
		benchNames[i%len(benchNames)],
		"京A" + fmt.Sprintf("%05d", i%100000),
		"2024-03-05 14:30:00",
		"1625",
		"机动车违反禁令标志指示",
		"北京市朝阳区建国路88号",
		fmt.Sprintf("%d.00", 50+i%200),
		"3",
		"已处理",
		"现场处罚，当事人无异议",
	}
}

var benchHeader = []string{"record_id", "id_no", "name", "plate", "time", "code", "act", "place", "fine", "points", "status", "note"}

func benchCSV(n int) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(benchHeader)
	for i := 0; i < n; i++ {
		w.Write(benchRecord(i))
	}
	w.Flush()
	return b.Bytes()
}

func benchRead(b *testing.B, data []byte, spec *Spec, wantRows int) {
	b.Helper()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := rdCPUTime()
	rows := 0
	for i := 0; i < b.N; i++ {
		r, err := NewReader(bytes.NewReader(data), "bench", spec)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		r.Close()
		if n != wantRows {
			b.Fatalf("%d rows, want %d", n, wantRows)
		}
		rows += n
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	// rows per second of this process's CPU time: the figure that does not
	// depend on what else the machine is running (run with -cpu 1).
	if cpu := rdCPUTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(rows)/cpu.Seconds(), "rows/cpu-s")
	}
	b.ReportMetric(float64(len(data))/float64(wantRows), "B/row")
}

func rdCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkReadCSV(b *testing.B) {
	benchRead(b, benchCSV(benchRows), rdSpec("csv", ""), benchRows)
}

func BenchmarkReadCSVQuoted(b *testing.B) {
	// Every row has a quoted field with a comma: the slow path.
	data := benchCSV(benchRows)
	data = bytes.ReplaceAll(data, []byte("北京市朝阳区建国路88号"), []byte(`"北京市朝阳区,建国路88号"`))
	benchRead(b, data, rdSpec("csv", ""), benchRows)
}

func BenchmarkReadCSVGB18030(b *testing.B) {
	benchRead(b, []byte(gb(string(benchCSV(benchRows)))), rdSpec("csv", "gb18030"), benchRows)
}

// BenchmarkReadCSVStdlib is the reference: encoding/csv with ReuseRecord,
// copying the record as a Row would.
func BenchmarkReadCSVStdlib(b *testing.B) {
	data := benchCSV(benchRows)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	rows := 0
	for i := 0; i < b.N; i++ {
		r := csv.NewReader(bytes.NewReader(data))
		r.ReuseRecord = true
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			_ = append([]string(nil), rec...)
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkReadNDJSON(b *testing.B) {
	var buf bytes.Buffer
	for i := 0; i < benchRows/4; i++ {
		buf.WriteString("{")
		for j, v := range benchRecord(i) {
			if j > 0 {
				buf.WriteString(",")
			}
			fmt.Fprintf(&buf, "%q:%q", benchHeader[j], v)
		}
		buf.WriteString("}\n")
	}
	benchRead(b, buf.Bytes(), rdSpec("ndjson", ""), benchRows/4)
}

func BenchmarkReadJSON(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"data":{"items":[`)
	for i := 0; i < benchRows/4; i++ {
		if i > 0 {
			buf.WriteString(",\n")
		}
		buf.WriteString("{")
		for j, v := range benchRecord(i) {
			if j > 0 {
				buf.WriteString(",")
			}
			fmt.Fprintf(&buf, "%q:%q", benchHeader[j], v)
		}
		buf.WriteString("}")
	}
	buf.WriteString("]}}")
	benchRead(b, buf.Bytes(), &Spec{Format: "json", JSON: &JSONOptions{Records: "data.items"}}, benchRows/4)
}

func BenchmarkReadXML(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("<export><records>\n")
	for i := 0; i < benchRows/4; i++ {
		buf.WriteString("<record>")
		for j, v := range benchRecord(i) {
			fmt.Fprintf(&buf, "<%s>%s</%s>", benchHeader[j], v, benchHeader[j])
		}
		buf.WriteString("</record>\n")
	}
	buf.WriteString("</records></export>\n")
	benchRead(b, buf.Bytes(), &Spec{Format: "xml", XML: &XMLOptions{Record: "export/records/record"}}, benchRows/4)
}

// BenchmarkReadXLSX reads a 12-column sheet written by excelize's
// StreamWriter: inline strings, and a number column.
func BenchmarkReadXLSX(b *testing.B) {
	n := benchRows / 4
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	row := make([]any, len(benchHeader))
	for i, h := range benchHeader {
		row[i] = h
	}
	sw.SetRow("A1", row)
	for i := 0; i < n; i++ {
		for j, v := range benchRecord(i) {
			row[j] = v
		}
		row[8] = 50 + i%200 // a number
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		sw.SetRow(cell, row)
	}
	sw.Flush()
	var buf bytes.Buffer
	f.Write(&buf)
	f.Close()
	benchRead(b, buf.Bytes(), rdSpec("xlsx", ""), n)
}

// BenchmarkReadXLSXShared reads the same rows as Excel writes them: shared
// strings (t="s"), a number column, and a date-time column as serials in a
// date style.
func BenchmarkReadXLSXShared(b *testing.B) {
	n := benchRows / 4
	index := map[string]int{}
	var sst, sheet strings.Builder
	cellRef := func(col, r int) string { c, _ := excelize.CoordinatesToCellName(col, r); return c }
	str := func(s string) int {
		i, ok := index[s]
		if !ok {
			i = len(index)
			index[s] = i
			sst.WriteString("<si><t>")
			xml.EscapeText(&sst, []byte(s))
			sst.WriteString("</t></si>")
		}
		return i
	}
	sheet.WriteString(`<row r="1">`)
	for j, h := range benchHeader {
		fmt.Fprintf(&sheet, `<c r="%s" t="s"><v>%d</v></c>`, cellRef(j+1, 1), str(h))
	}
	sheet.WriteString(`</row>`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sheet, `<row r="%d" spans="1:12">`, i+2)
		for j, v := range benchRecord(i) {
			switch j {
			case 4:
				fmt.Fprintf(&sheet, `<c r="%s" s="1"><v>%s</v></c>`, cellRef(j+1, i+2), "45356.604166666664")
			case 8:
				fmt.Fprintf(&sheet, `<c r="%s"><v>%d</v></c>`, cellRef(j+1, i+2), 50+i%200)
			default:
				fmt.Fprintf(&sheet, `<c r="%s" t="s"><v>%d</v></c>`, cellRef(j+1, i+2), str(v))
			}
		}
		sheet.WriteString(`</row>`)
	}
	book := rawBook(b, sheet.String(), sst.String(), `<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="22" applyNumberFormat="1"/></cellXfs>`)
	benchRead(b, book, rdSpec("xlsx", ""), n)
}
