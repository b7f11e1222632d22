package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// rdWorkbook makes a workbook: sheet "说明" first (notes), then "数据" with a
// merged title on row 1, a blank row 2, the header on row 3, and data rows
// with dates, number formats, a blank row and malformed rows.
func rdWorkbook(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", "说明")
	f.SetCellValue("说明", "A1", "notes")
	if _, err := f.NewSheet("数据"); err != nil {
		t.Fatal(err)
	}
	s := "数据"
	f.SetCellValue(s, "A1", "2024年交通违法记录")
	f.MergeCell(s, "A1", "F1")
	f.SetSheetRow(s, "A3", &[]any{"姓名", "日期", "时间", "金额", "比例", "编号"})
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	cnDate := "yyyy\"年\"m\"月\"d\"日\""
	cnStyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &cnDate})
	dtFmt := "yyyy-mm-dd hh:mm"
	dtStyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &dtFmt})
	money, _ := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	pct, _ := f.NewStyle(&excelize.Style{NumFmt: 10})  // 0.00%
	zeros := "000000"
	zeroStyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &zeros})
	f.SetSheetRow(s, "A4", &[]any{"张三", time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC), 1234.5, 0.15, 10})
	f.SetCellStyle(s, "B4", "B4", dateStyle)
	f.SetCellStyle(s, "C4", "C4", dtStyle)
	f.SetCellStyle(s, "D4", "D4", money)
	f.SetCellStyle(s, "E4", "E4", pct)
	f.SetCellStyle(s, "F4", "F4", zeroStyle)
	f.SetSheetRow(s, "A5", &[]any{"李四", 45357})
	f.SetCellStyle(s, "B5", "B5", cnStyle)
	// row 6 blank
	f.SetSheetRow(s, "A7", &[]any{"王五", "", "", "", "", "x", "extra"})
	f.SetSheetRow(s, "A8", &[]any{"赵六", "0010"})
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadXLSX(t *testing.T) {
	book := rdWorkbook(t)
	spec := &Spec{Format: "xlsx", XLSX: &XLSXOptions{Sheet: "数据", HeaderRow: 3}}
	r, err := NewReader(bytes.NewReader(book), "x.xlsx", spec)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if h := strings.Join(r.Header(), "|"); h != "姓名|日期|时间|金额|比例|编号" {
		t.Fatalf("header %s", h)
	}
	got := rdTranscript(t, r)
	want := "4:张三|45356|45356.5|1,234.50|15.00%|000010\n" +
		"5:李四|45357||||\n" +
		"7!a value in column G, right of the header's last column F:王五|||||x|extra\n" +
		"8:赵六|0010||||\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if r.Offset() != int64(len(book)) {
		t.Errorf("offset %d at the end, want %d", r.Offset(), len(book))
	}
}

func TestReadXLSXOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.xlsx")
	if err := os.WriteFile(path, rdWorkbook(t), 0o644); err != nil {
		t.Fatal(err)
	}
	// The first sheet by default; header row 1.
	r, err := Open(path, rdSpec("xlsx", ""))
	if err != nil {
		t.Fatal(err)
	}
	if got := rdTranscript(t, r); got != "" || r.Header()[0] != "notes" {
		t.Errorf("got %q, header %q", got, r.Header())
	}
	r.Close()
}

func TestReadXLSXBad(t *testing.T) {
	var zipNoBook bytes.Buffer
	zw := zip.NewWriter(&zipNoBook)
	w, _ := zw.Create("hello.txt")
	w.Write([]byte("hi"))
	zw.Close()
	book := rdWorkbook(t)
	cases := []struct {
		name string
		in   []byte
		spec *Spec
		want string
		is   error
	}{
		{"a CSV", []byte("a,b\n1,2\n"), rdSpec("xlsx", ""), "is it a CSV?", ErrFormat},
		{"0-byte", nil, rdSpec("xlsx", ""), "the file is empty", ErrFormat},
		{"old xls", []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}, rdSpec("xlsx", ""), "old Excel", ErrFormat},
		{"zip, not a workbook", zipNoBook.Bytes(), rdSpec("xlsx", ""), "", ErrFormat},
		{"truncated", book[:len(book)/2], rdSpec("xlsx", ""), "not a readable XLSX", ErrFormat},
		{"no such sheet", book, &Spec{Format: "xlsx", XLSX: &XLSXOptions{Sheet: "nope"}}, "no sheet \"nope\" (it has 说明, 数据)", nil},
		{"blank header row", book, &Spec{Format: "xlsx", XLSX: &XLSXOptions{Sheet: "数据", HeaderRow: 2}}, "the header is missing: row 2", nil},
		{"header row past the end", book, &Spec{Format: "xlsx", XLSX: &XLSXOptions{Sheet: "数据", HeaderRow: 50}}, "the header is missing", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(c.in), "x.xlsx", c.spec)
			if err == nil {
				r.Close()
				t.Fatal("no error")
			}
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%T %v, want a file error with %q", err, err, c.want)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("%v does not wrap %v", err, c.is)
			}
		})
	}
}

func TestIsDateFormat(t *testing.T) {
	for code, want := range map[string]bool{
		"yyyy-mm-dd": true, `yyyy"年"m"月"d"日"`: true, "[$-F800]dddd": true, "[h]:mm": true, "h:mm AM/PM": true,
		"General": false, "#,##0.00": false, "0.00%": false, `"day"0`: false, "[Red]0.00": false, `0.00\d`: false,
		"0.00E+00": false, "000000": false, `#,##0 "元";[Red]-#,##0`: false,
	} {
		if got := isDateFormat(code); got != want {
			t.Errorf("isDateFormat(%q) = %v", code, got)
		}
	}
}
