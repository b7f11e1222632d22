package ingest

// The XLSX reader, on excelize's streaming Rows iterator. Worksheets larger
// than 16 MB are unzipped to a temporary file by excelize, so memory stays
// bounded whatever the workbook's size.
//
//   - Sheet: xlsx.sheet by name, or the first sheet of the workbook.
//   - Header: row xlsx.header_row (default 1); the rows above it (a merged
//     title, notes, blank rows) are skipped. A missing or blank header row is
//     a *FileError.
//   - Row.Num is the sheet's row number. Blank rows are skipped, and counted.
//   - Values are the cells' displayed text (number formats applied: "1,234.50",
//     "15%", leading zeros of a "000000" format), except dates and times:
//     a cell whose number format is a date or time format gives its
//     underlying serial number, as General would show it ("45356" for
//     2024-03-05, "45356.5" for noon that day), so that every date in every
//     workbook reads the same way; map it with the "excel" date layout.
//   - A row shorter than the header is padded with empty values; a row with
//     values right of the header's last column is a *RowError keeping them.
//   - A file that is not a ZIP archive (a CSV saved as .xlsx, an old .xls) is
//     a *FileError wrapping ErrFormat.
//   - Offset is 0 until the end of the sheet, then the file's size: the
//     iterator does not tell how far it is.

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

type xlsxReader struct {
	name   string
	f      *excelize.File
	rows   *excelize.Rows
	sheet  string
	header []string
	num    int64
	size   int64
	done   bool
	tmp    string
}

// newXLSXFromStream copies r to a temporary file and opens that.
func newXLSXFromStream(r io.Reader, name string, spec *Spec) (Reader, error) {
	tmp, err := os.CreateTemp("", "credo-ingest-*.xlsx")
	if err != nil {
		return nil, &FileError{File: name, Err: err}
	}
	path := tmp.Name()
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		os.Remove(path)
		return nil, &FileError{File: name, Err: err}
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		tmp.Close()
		os.Remove(path)
		return nil, &FileError{File: name, Err: err}
	}
	rd, err := openXLSX(tmp, path, name, path, spec)
	tmp.Close()
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return rd, nil
}

// openXLSX opens the workbook at path, whose content f is (for sniffing);
// name names it in messages; tmp, if set, is removed by Close.
func openXLSX(f *os.File, path, name, tmp string, spec *Spec) (Reader, error) {
	fail := func(err error) (Reader, error) { return nil, &FileError{File: name, Err: err} }
	var head [8]byte
	n, err := io.ReadFull(f, head[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return fail(err)
	}
	if !bytes.HasPrefix(head[:n], []byte("PK\x03\x04")) {
		switch {
		case n == 0:
			return fail(fmt.Errorf("%w: the file is empty, not an XLSX workbook", ErrFormat))
		case bytes.HasPrefix(head[:n], []byte{0xd0, 0xcf, 0x11, 0xe0}):
			return fail(fmt.Errorf("%w: this is an old Excel (.xls) or encrypted workbook, not XLSX; save it as .xlsx without a password", ErrFormat))
		default:
			return fail(fmt.Errorf("%w: not an XLSX workbook (not a ZIP archive); is it a CSV? (set format: csv)", ErrFormat))
		}
	}
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	x, err := excelize.OpenFile(path)
	if err != nil {
		return fail(fmt.Errorf("%w: not a readable XLSX workbook: %v", ErrFormat, err))
	}
	r := &xlsxReader{name: name, f: x, size: size, tmp: tmp}
	if err := r.start(spec); err != nil {
		r.Close()
		return fail(err)
	}
	return r, nil
}

func (r *xlsxReader) start(spec *Spec) error {
	sheets := r.f.GetSheetList()
	if len(sheets) == 0 {
		return fmt.Errorf("%w: the workbook has no sheets", ErrFormat)
	}
	r.sheet = sheets[0]
	headerRow := 1
	if o := spec.XLSX; o != nil {
		if o.Sheet != "" {
			found := false
			for _, s := range sheets {
				if s == o.Sheet {
					found = true
				}
			}
			if !found {
				return fmt.Errorf("the workbook has no sheet %q (it has %s)", o.Sheet, strings.Join(sheets, ", "))
			}
			r.sheet = o.Sheet
		}
		if o.HeaderRow > 1 {
			headerRow = o.HeaderRow
		}
	}
	serialDates(r.f)
	rows, err := r.f.Rows(r.sheet)
	if err != nil {
		return fmt.Errorf("%w: sheet %q: %v", ErrFormat, r.sheet, err)
	}
	r.rows = rows
	for r.num < int64(headerRow) {
		if !rows.Next() {
			if err := rows.Error(); err != nil {
				return fmt.Errorf("sheet %q: %v", r.sheet, err)
			}
			return fmt.Errorf("the header is missing: sheet %q ends before row %d", r.sheet, headerRow)
		}
		r.num++
	}
	h, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("sheet %q row %d: %v", r.sheet, r.num, err)
	}
	if blank(h) {
		return fmt.Errorf("the header is missing: row %d of sheet %q is blank", headerRow, r.sheet)
	}
	r.header = h
	return nil
}

func blank(v []string) bool {
	for _, s := range v {
		if s != "" {
			return false
		}
	}
	return true
}

func (r *xlsxReader) Header() []string { return r.header }

func (r *xlsxReader) Offset() int64 {
	if r.done {
		return r.size
	}
	return 0
}

func (r *xlsxReader) Close() error {
	var err error
	if r.rows != nil {
		r.rows.Close()
		r.rows = nil
	}
	if r.f != nil {
		err = r.f.Close()
		r.f = nil
	}
	if r.tmp != "" {
		os.Remove(r.tmp)
		r.tmp = ""
	}
	return err
}

func (r *xlsxReader) Next() (Row, error) {
	for {
		if r.done || r.rows == nil {
			return Row{}, io.EOF
		}
		if !r.rows.Next() {
			r.done = true
			if err := r.rows.Error(); err != nil {
				return Row{}, &FileError{File: r.name, Err: fmt.Errorf("sheet %q after row %d: %v", r.sheet, r.num, err)}
			}
			return Row{}, io.EOF
		}
		r.num++
		v, err := r.rows.Columns()
		row := Row{Num: r.num, Names: r.header, Values: v}
		if err != nil {
			return row, &RowError{Row: row, Reason: err.Error()}
		}
		if blank(v) {
			continue
		}
		if len(v) > len(r.header) {
			return row, &RowError{Row: row, Reason: fmt.Sprintf("a value in column %s, right of the header's last column %s", colName(len(v)), colName(len(r.header)))}
		}
		for len(row.Values) < len(r.header) {
			row.Values = append(row.Values, "")
		}
		return row, nil
	}
}

func colName(n int) string {
	s, err := excelize.ColumnNumberToName(n)
	if err != nil {
		return strconv.Itoa(n)
	}
	return s
}

// serialDates makes every cell style with a date or time number format show
// the General format instead, so that date cells read as their serial
// number.
func serialDates(f *excelize.File) {
	st := f.Styles
	if st == nil || st.CellXfs == nil {
		return
	}
	custom := map[int]string{}
	if st.NumFmts != nil {
		for _, nf := range st.NumFmts.NumFmt {
			code := nf.FormatCode
			if nf.FormatCode16 != "" {
				code = nf.FormatCode16
			}
			custom[nf.NumFmtID] = code
		}
	}
	general := 0
	for i := range st.CellXfs.Xf {
		xf := &st.CellXfs.Xf[i]
		if xf.NumFmtID == nil {
			continue
		}
		id := *xf.NumFmtID
		date := false
		if code, ok := custom[id]; ok {
			date = isDateFormat(code)
		} else {
			date = builtinDate(id)
		}
		if date {
			xf.NumFmtID = &general
		}
	}
}

// builtinDate reports whether a built-in number format id is a date or time
// format (including the CJK locale ones, 27–36 and 50–58).
func builtinDate(id int) bool {
	return id >= 14 && id <= 22 || id >= 27 && id <= 36 || id >= 45 && id <= 47 || id >= 50 && id <= 58
}

// isDateFormat reports whether a custom number format code shows a date or
// a time: it has y, m, d, h or s outside quoted text, escapes and [colour]
// or [$-locale] brackets ([h], [mm], [ss] elapsed times count).
func isDateFormat(code string) bool {
	if strings.EqualFold(code, "general") {
		return false
	}
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return false
			}
			i += j + 1
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(code[i+1:], ']')
			if j < 0 {
				return false
			}
			in := strings.ToLower(code[i+1 : i+1+j])
			if in != "" && strings.Trim(in, "hms") == "" {
				return true
			}
			i += j + 1
		case ';':
			return false // only the first section decides
		default:
			switch c | 0x20 {
			case 'y', 'm', 'd', 'h', 's':
				return true
			}
		}
	}
	return false
}
