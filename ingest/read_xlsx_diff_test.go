package ingest

// The XLSX reader against excelize (the reader it replaced), and on
// hand-written worksheet XML.

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// excelizeTranscript reads a workbook as the excelize-based reader did
// (Rows/Columns, date formats shown as General), in rdTranscript's format.
func excelizeTranscript(t testing.TB, book []byte, spec *Spec) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(book))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	headerRow := 1
	if o := spec.XLSX; o != nil {
		if o.Sheet != "" {
			sheet = o.Sheet
		}
		headerRow = max(o.HeaderRow, 1)
	}
	if st := f.Styles; st != nil && st.CellXfs != nil { // as serialDates did
		custom := map[int]string{}
		if st.NumFmts != nil {
			for _, nf := range st.NumFmts.NumFmt {
				custom[nf.NumFmtID] = nf.FormatCode
			}
		}
		general := 0
		for i := range st.CellXfs.Xf {
			xf := &st.CellXfs.Xf[i]
			if xf.NumFmtID == nil {
				continue
			}
			code, ok := custom[*xf.NumFmtID]
			if ok && isDateFormat(code) || !ok && builtinDate(*xf.NumFmtID) {
				xf.NumFmtID = &general
			}
		}
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	num := 0
	var header []string
	for rows.Next() {
		num++
		v, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		if num < headerRow {
			continue
		}
		if num == headerRow {
			header = v
			fmt.Fprintf(&b, "H:%s\n", diffJoin(v))
			continue
		}
		if blank(v) {
			continue
		}
		if len(v) > len(header) {
			fmt.Fprintf(&b, "%d!%s:%s\n", num, fmt.Sprintf("a value in column %s, right of the header's last column %s", colName(len(v)), colName(len(header))), diffJoin(v))
			continue
		}
		for len(v) < len(header) {
			v = append(v, "")
		}
		fmt.Fprintf(&b, "%d:%s\n", num, diffJoin(v))
	}
	return b.String()
}

// diffJoin joins values for a transcript line, quoted.
func diffJoin(v []string) string {
	q := make([]string, len(v))
	for i, s := range v {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, "|")
}

func blank(v []string) bool {
	for _, s := range v {
		if s != "" {
			return false
		}
	}
	return true
}

func ourTranscript(t testing.TB, book []byte, spec *Spec) string {
	t.Helper()
	r, err := NewReader(bytes.NewReader(book), "x.xlsx", spec)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "H:%s\n", diffJoin(r.Header()))
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var re *RowError
		if errors.As(err, &re) {
			fmt.Fprintf(&b, "%d!%s:%s\n", re.Row.Num, re.Reason, diffJoin(re.Row.Values))
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d:%s\n", row.Num, diffJoin(row.Values))
	}
	return b.String()
}

// excelizeNumber is how excelize showed a number written v: normalised
// ('f' format, or 15 significant digits past 15), and in a styled General
// or date cell at most 11 significant digits.
func excelizeNumber(v string, styled bool) string {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || strings.Contains(v, "_") {
		return v
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	digits := len(s) - strings.Count(s, ".")
	if digits > 15 {
		s = strconv.FormatFloat(f, 'G', 15, 64)
		f, _ = strconv.ParseFloat(s, 64)
		digits = len(strconv.FormatFloat(f, 'f', -1, 64)) - strings.Count(s, ".")
	}
	if styled && digits > 11 {
		s = strconv.FormatFloat(f, 'G', 10, 64)
	}
	return s
}

// sameTranscripts compares our transcript with excelize's, line by line and
// value by value: a value may differ only where ours is a number as written
// and excelize's is that number as it showed it.
func sameTranscripts(t *testing.T, ours, theirs string) {
	t.Helper()
	a, b := strings.Split(ours, "\n"), strings.Split(theirs, "\n")
	if len(a) != len(b) {
		t.Fatalf("%d lines, excelize %d\nours:\n%s\nexcelize:\n%s", len(a), len(b), ours, theirs)
	}
	for i := range a {
		if a[i] == b[i] {
			continue
		}
		ha, va, _ := strings.Cut(a[i], ":")
		hb, vb, _ := strings.Cut(b[i], ":")
		if ha != hb {
			t.Fatalf("line %d: %q, excelize %q", i, a[i], b[i])
		}
		fa, fb := strings.Split(va, "|"), strings.Split(vb, "|")
		if len(fa) != len(fb) {
			t.Fatalf("line %d: %q, excelize %q", i, a[i], b[i])
		}
		for j := range fa {
			ua, _ := strconv.Unquote(fa[j])
			ub, _ := strconv.Unquote(fb[j])
			if ua != ub && excelizeNumber(ua, false) != ub && excelizeNumber(ua, true) != ub {
				t.Errorf("line %d (%s) value %d: %q, excelize %q", i, ha, j, fa[j], fb[j])
			}
		}
	}
}

// diffWorkbook makes a workbook of n random rows on sheet "数据" (a merged
// title, the header on row 3), written with excelize's StreamWriter
// (inline strings) if stream, else with SetSheetRow (shared strings).
func diffWorkbook(t testing.TB, seed uint64, n int, stream bool) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", "数据")
	const s = "数据"
	styles := []int{0}
	for _, st := range []*excelize.Style{
		{NumFmt: 14}, {NumFmt: 22}, {NumFmt: 20}, {NumFmt: 4}, {NumFmt: 10}, {NumFmt: 2}, {NumFmt: 49}, {NumFmt: 1},
	} {
		id, err := f.NewStyle(st)
		if err != nil {
			t.Fatal(err)
		}
		styles = append(styles, id)
	}
	for _, code := range []string{`yyyy"年"m"月"d"日"`, "yyyy-mm-dd hh:mm:ss", "000000", `#,##0.00 "元"`, "[h]:mm", `0.0;[Red]-0.0;"零"`, "@"} {
		id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil {
			t.Fatal(err)
		}
		styles = append(styles, id)
	}
	words := []string{"张三", "李四", "欧阳娜娜", "北京市朝阳区建国路88号", "a&b", "<tag>", `"quoted"`, "it's", " lead", "trail ", "line1\nline2",
		"0010", "1e5", "TRUE", "#N/A", "_x000D_", "𠀀 rare", "é·ü", "x_y", ""}
	value := func() any {
		switch rng.IntN(9) {
		case 0, 1:
			return words[rng.IntN(len(words))]
		case 2:
			return rng.IntN(2000000) - 1000
		case 3:
			return float64(rng.IntN(1000000)) / 100
		case 4:
			return rng.Float64() * 1e6
		case 5:
			return time.Date(1990+rng.IntN(40), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), 0, time.UTC)
		case 6:
			return rng.IntN(2) == 0
		case 7:
			return nil
		}
		return fmt.Sprintf("JT%010d", rng.IntN(1e9))
	}
	header := []any{"编号", "姓名", "日期", "金额", "比例", "备注", "数量", "状态"}
	if stream {
		sw, err := f.NewStreamWriter(s)
		if err != nil {
			t.Fatal(err)
		}
		sw.MergeCell("A1", "H1")
		sw.SetRow("A1", []any{"2024年交通违法记录"})
		sw.SetRow("A3", header)
		for i := 0; i < n; i++ {
			r := 4 + i + i/7 // a gap every 7 rows
			row := make([]any, 1+rng.IntN(len(header)))
			for j := range row {
				v := value()
				if v == nil {
					continue
				}
				st := styles[rng.IntN(len(styles))]
				row[j] = excelize.Cell{StyleID: st, Value: v}
			}
			cell, _ := excelize.CoordinatesToCellName(1+rng.IntN(2), r)
			if err := sw.SetRow(cell, row); err != nil {
				t.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			t.Fatal(err)
		}
	} else {
		f.SetCellValue(s, "A1", "2024年交通违法记录")
		f.MergeCell(s, "A1", "H1")
		f.SetSheetRow(s, "A3", &header)
		for i := 0; i < n; i++ {
			r := 4 + i + i/5
			for j := 0; j < len(header); j++ {
				if rng.IntN(4) == 0 {
					continue // a gap
				}
				v := value()
				if v == nil {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(j+1, r)
				f.SetCellValue(s, cell, v)
				if st := styles[rng.IntN(len(styles))]; st != 0 {
					f.SetCellStyle(s, cell, cell, st)
				}
			}
			if rng.IntN(20) == 0 {
				cell, _ := excelize.CoordinatesToCellName(len(header)+1, r)
				f.SetCellValue(s, cell, "beyond") // right of the header
			}
			if rng.IntN(15) == 0 {
				cell, _ := excelize.CoordinatesToCellName(1+rng.IntN(len(header)), r)
				f.SetCellRichText(s, cell, []excelize.RichTextRun{{Text: "富"}, {Text: "文本", Font: &excelize.Font{Bold: true}}})
			}
			if rng.IntN(15) == 0 {
				cell, _ := excelize.CoordinatesToCellName(1+rng.IntN(len(header)), r)
				f.SetCellFormula(s, cell, "1+1")
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadXLSXAgainstExcelize(t *testing.T) {
	spec := &Spec{Format: "xlsx", XLSX: &XLSXOptions{Sheet: "数据", HeaderRow: 3}}
	for seed := uint64(1); seed <= 6; seed++ {
		for _, stream := range []bool{true, false} {
			t.Run(fmt.Sprintf("seed%d/stream=%v", seed, stream), func(t *testing.T) {
				book := diffWorkbook(t, seed, 300, stream)
				sameTranscripts(t, ourTranscript(t, book, spec), excelizeTranscript(t, book, spec))
			})
		}
	}
	// The reader's own test workbook, both sheets.
	book := rdWorkbook(t)
	sameTranscripts(t, ourTranscript(t, book, spec), excelizeTranscript(t, book, spec))
	sameTranscripts(t, ourTranscript(t, book, rdSpec("xlsx", "")), excelizeTranscript(t, book, rdSpec("xlsx", "")))
}

func TestExcelizeNumber(t *testing.T) {
	for _, c := range []struct {
		v      string
		styled bool
		want   string
	}{
		{"45356.5", true, "45356.5"},
		{"45356.604166666664", true, "45356.60417"},
		{"45356.604166666664", false, "45356.6041666667"},
		{"1.5E-3", false, "0.0015"},
		{"110101199003077777", false, "1.10101199003078E+17"},
	} {
		if got := excelizeNumber(c.v, c.styled); got != c.want {
			t.Errorf("excelizeNumber(%q, %v) = %q, want %q", c.v, c.styled, got, c.want)
		}
	}
}

// rawBook makes a workbook from raw parts: sheet is the worksheet XML (or
// just its sheetData content if it does not start with '<?' or
// '<worksheet'), sst the shared strings' <si> items, styles the
// styles part's content.
func rawBook(t testing.TB, sheet, sst, styles string) []byte {
	t.Helper()
	return rawBookMethod(t, zip.Deflate, sheet, sst, styles)
}

// rawBookMethod is rawBook with the parts compressed by method.
func rawBookMethod(t testing.TB, method uint16, sheet, sst, styles string) []byte {
	t.Helper()
	if !strings.HasPrefix(sheet, "<?") && !strings.HasPrefix(sheet, "<worksheet") && !strings.HasPrefix(sheet, "<x:worksheet") {
		sheet = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1"/><sheetData>` + sheet + `</sheetData><mergeCells count="1"><mergeCell ref="A1:C1"/></mergeCells></worksheet>`
	}
	parts := [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", sheet},
		{"xl/sharedStrings.xml", `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + sst + `</sst>`},
		{"xl/styles.xml", `<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + styles + `</styleSheet>`},
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, p := range parts {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p[0], Method: method})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p[1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const rawSST = `<si><t>名称</t></si><si><t>金额</t></si><si><t>日期</t></si>` +
	`<si><r><rPr><b/></rPr><t>富</t></r><r><t xml:space="preserve"> 文本 </t></r><rPh sb="0" eb="1"><t>フ</t></rPh></si>` +
	`<si><t>a &amp; b &lt;c&gt; &#x4e2d;&#25991;</t></si><si/><si><t>line1&#13;&#10;line2_x000D_</t></si>`

const rawStyles = `<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/><numFmt numFmtId="165" formatCode="#,##0.00"/></numFmts>` +
	`<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="10"/></cellXfs>`

func TestReadXLSXSheetXML(t *testing.T) {
	head := `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>`
	cases := []struct {
		name, sheet, want string
	}{
		{"gaps and blank rows", head +
			`<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c><c r="C2"><v>3</v></c></row>` +
			`<row r="3"/><row r="4"><c r="B4"/></row>` +
			`<row r="6"><c r="B6"><v>1.5</v></c></row>`,
			"2:x||3\n6:|1.5|\n"},
		{"rows and cells without r", head +
			`<row><c t="inlineStr"><is><t>a</t></is></c><c><v>1</v></c><c><v>2</v></c></row><row><c/><c><v>3</v></c></row>`,
			"2:a|1|2\n3:|3|\n"},
		{"shared strings: rich text, phonetic runs, entities, escapes", head +
			`<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>4</v></c><c r="C2" t="s"><v> 6 </v></c></row>` +
			`<row r="3"><c r="A3" t="s"><v>5</v></c><c r="B3" t="s"><v>99</v></c><c r="C3" t="s"><v>0</v></c></row>`,
			"2:富 文本 |a & b <c> 中文|line1\r\nline2\r\n3:||名称\n"}, // character references are not line ends to normalise
		{"types", head +
			`<row r="2"><c r="A2" t="b"><v>1</v></c><c r="B2" t="b"><v>0</v></c><c r="C2" t="e"><v>#DIV/0!</v></c></row>` +
			`<row r="3"><c r="A3" t="str"><f>A1&amp;"x"</f><v>名称x</v></c><c r="B3" t="n"><v>-1.25E-3</v></c><c r="C3" t="d"><v>2024-03-05T12:00:00Z</v></c></row>`,
			"2:TRUE|FALSE|#DIV/0!\n3:名称x|-1.25E-3|45356.5\n"},
		{"inline strings", head +
			`<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve">  sp  </t></is></c><c r="B2" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c><c r="C2" t="inlineStr"><is><t><![CDATA[<raw> & ]]></t></is></c></row>` +
			`<row r="3"><c r="A3" t="inlineStr"><is><t>x_x005F_y</t></is></c><c r="B3" t="inlineStr"><is><t>&#x1F600;&#0;&bogus;&amp</t></is></c></row>`,
			"2:  sp  |ab|<raw> & \n3:x_y|\U0001F600\uFFFD&bogus;&amp|\n"},
		{"dates and formats", head +
			`<row r="2"><c r="A2" s="1"><v>45356</v></c><c r="B2" s="2"><v>45356.604166666664</v></c><c r="C2" s="3"><v>1234.5</v></c></row>` +
			`<row r="3"><c r="A3" s="4"><v>0.15</v></c><c r="B3" s="99"><v>7</v></c><c r="C3" s="1" t="s"><v>0</v></c></row>`,
			"2:45356|45356.604166666664|1,234.50\n3:15.00%|7|名称\n"},
		{"prefixes, comments, processing instructions, whitespace", `<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><!-- <row r="9"> --><x:sheetData>
			<x:row r="1" spans="1:3"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c><x:c r="C1" t="s"><x:v>2</x:v></x:c></x:row>
			<x:row r="2">
			  <x:c r="A2" t='inlineStr'><x:is><x:t>a<!-- no -->b<?pi x?>c</x:t></x:is></x:c>
			  <x:c r = "B2" ><x:v>1</x:v></x:c>
			  <x:c r="C2" x14ac:foo="a>b"><x:v>2</x:v></x:c>
			</x:row></x:sheetData></x:worksheet>`,
			"2:abc|1|2\n"},
		{"values right of the header, formulas", head +
			`<row r="2"><c r="A2"><v>1</v></c><c r="E2"><v>5</v></c></row>` +
			`<row r="3"><c r="A3"><v>1</v></c><c r="D3"><f>SUM(A1)</f></c></row>` +
			`<row r="4"><c r="D4"><f>SUM(A1)</f><v></v></c></row>`,
			"2!a value in column E, right of the header's last column C:1||||5\n3!a value in column D, right of the header's last column C:1|||\n"},
		{"bad cell reference", head +
			`<row r="2"><c r="1A"><v>1</v></c><c r="B2"><v>2</v></c></row><row r="3"><c r="A3"><v>3</v></c></row>`,
			"2!invalid cell reference \"1A\":1|2|\n3:3||\n"},
		{"invalid UTF-8", head +
			"<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>a\xffb</t></is></c></row>",
			"2!invalid UTF-8 in the worksheet, replaced by U+FFFD:a\uFFFDb||\n"},
		{"rows out of order", head +
			`<row r="3"><c r="A3"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>`,
			"3:1||\nFILE: x.xlsx: sheet \"S\" after row 3: not in the declared format: row 2 comes after row 3\n"},
		{"truncated XML", `<worksheet><sheetData>` + head + `<row r="2"><c r="A2"><v>1</v>`,
			"FILE: x.xlsx: sheet \"S\" after row 1: not in the declared format: the worksheet XML ends inside a row (truncated?)\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			book := rawBook(t, c.sheet, rawSST, rawStyles)
			r, err := NewReader(bytes.NewReader(book), "x.xlsx", rdSpec("xlsx", ""))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if h := strings.Join(r.Header(), "|"); h != "名称|金额|日期" {
				t.Fatalf("header %q", h)
			}
			if got := rdTranscript(t, r); got != c.want {
				t.Errorf("got\n%q\nwant\n%q", got, c.want)
			}
		})
	}
}

func TestReadXLSXHeaderRow(t *testing.T) {
	sheet := `<row r="1"><c r="A1" t="inlineStr"><is><t>title</t></is></c></row>` +
		`<row r="4"><c r="A4" t="s"><v>0</v></c><c r="B4" t="s"><v>1</v></c></row>` +
		`<row r="5"><c r="A5"><v>1</v></c></row>`
	book := rawBook(t, sheet, rawSST, rawStyles)
	for _, c := range []struct {
		row  int
		want string
	}{
		{4, "H:名称|金额\n5:1|\n"},
		{2, "the header is missing: row 2 of sheet \"S\" is blank"},
		{6, "the header is missing: sheet \"S\" ends before row 6"},
	} {
		spec := &Spec{Format: "xlsx", XLSX: &XLSXOptions{HeaderRow: c.row}}
		r, err := NewReader(bytes.NewReader(book), "x.xlsx", spec)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("header_row %d: %v, want %q", c.row, err, c.want)
			}
			continue
		}
		got := "H:" + strings.Join(r.Header(), "|") + "\n" + rdTranscript(t, r)
		r.Close()
		if got != c.want {
			t.Errorf("header_row %d: got %q, want %q", c.row, got, c.want)
		}
	}
}

func TestReadXLSXOffset(t *testing.T) {
	book := diffWorkbook(t, 7, 3000, true)
	r, err := NewReader(bytes.NewReader(book), "x.xlsx", &Spec{Format: "xlsx", XLSX: &XLSXOptions{HeaderRow: 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	last := r.Offset()
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if o := r.Offset(); o < last || o > int64(len(book)) {
			t.Fatalf("offset %d after %d (size %d)", o, last, len(book))
		} else {
			last = o
		}
	}
	if r.Offset() != int64(len(book)) {
		t.Errorf("offset %d at the end, want %d", r.Offset(), len(book))
	}
}

func TestReadXLSXCorrupt(t *testing.T) {
	// A worksheet whose compressed data is damaged: a file error, never a
	// panic or rows of garbage without one.
	book := diffWorkbook(t, 8, 2000, true)
	zr, err := zip.NewReader(bytes.NewReader(book), int64(len(book)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name != "xl/worksheets/sheet1.xml" {
			continue
		}
		off, _ := f.DataOffset()
		bad := bytes.Clone(book)
		for i := off + int64(f.CompressedSize64)/2; i < off+int64(f.CompressedSize64)/2+64; i++ {
			bad[i] ^= 0x5a
		}
		r, err := NewReader(bytes.NewReader(bad), "x.xlsx", &Spec{Format: "xlsx", XLSX: &XLSXOptions{HeaderRow: 3}})
		if err != nil {
			t.Fatal(err)
		}
		_, ferr := rdTranscriptErr(t, r)
		r.Close()
		if !errors.Is(ferr, ErrFormat) {
			t.Errorf("damaged worksheet: %v, want a format error", ferr)
		}
	}
}
