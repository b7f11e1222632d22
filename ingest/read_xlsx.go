package ingest

// The XLSX reader. It reads the workbook's ZIP archive itself: the workbook
// and its relationships to find the sheet, the styles to know which cells
// are dates, the shared strings into memory (one string), and then streams
// the worksheet's XML out of its ZIP entry through a hand-written tokenizer
// (read_xlsx_scan.go, read_xlsx_sheet.go), so memory stays bounded whatever
// the sheet's size, apart from the shared strings.
//
//   - Sheet: xlsx.sheet by name, or the first sheet of the workbook.
//   - Header: row xlsx.header_row (default 1); the rows above it (a merged
//     title, notes, blank rows) are skipped. A missing or blank header row is
//     a *FileError.
//   - Row.Num is the sheet's row number. Blank rows are skipped, and counted.
//   - Values are the cells' text. Numbers are kept as written in the file
//     ("1234.5", "45356.604166666664"), except in cells whose number format
//     is neither General nor a date or time format: those show as Excel
//     would ("1,234.50", "15%", leading zeros of a "000000" format), through
//     excelize (read_xlsx_format.go). Dates and times give their underlying
//     serial number ("45356" for 2024-03-05, "45356.5" for noon that day), so
//     that every date in every workbook reads the same way; map it with the
//     "excel" date layout.
//   - A row shorter than the header is padded with empty values; a row with
//     values right of the header's last column is a *RowError keeping them,
//     and so is a row with a malformed cell reference or invalid UTF-8
//     (replaced by U+FFFD).
//   - A file that is not a ZIP archive (a CSV saved as .xlsx, an old .xls) or
//     not a workbook is a *FileError wrapping ErrFormat.
//   - Offset is the position in the file of the worksheet's compressed data
//     read so far, then the file's size at the end.

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/klauspost/compress/flate"
	"github.com/xuri/excelize/v2"
)

type xlsxReader struct {
	name   string
	closer io.Closer // the file, if the reader opened it
	tmp    string    // a temporary copy, removed by Close
	sheet  string
	header []string
	p      *sheetParser
	entry  *zipEntry
	size   int64
	done   bool
}

// newXLSXFromStream reads r in place if it has random access (a
// *bytes.Reader, an *os.File on a regular file), else copies it to a
// temporary file and opens that.
func newXLSXFromStream(r io.Reader, name string, spec *Spec) (Reader, error) {
	if ra, ok := r.(io.ReaderAt); ok {
		if sk, ok := r.(io.Seeker); ok {
			if cur, err := sk.Seek(0, io.SeekCurrent); err == nil {
				if end, err := sk.Seek(0, io.SeekEnd); err == nil && end >= cur {
					return openXLSXAt(io.NewSectionReader(ra, cur, end-cur), end-cur, nil, name, "", spec)
				}
				if _, err := sk.Seek(cur, io.SeekStart); err != nil {
					return nil, &FileError{File: name, Err: err}
				}
			}
		}
	}
	tmp, err := os.CreateTemp("", "credo-ingest-*.xlsx")
	if err != nil {
		return nil, &FileError{File: name, Err: err}
	}
	path := tmp.Name()
	fail := func(err error) (Reader, error) {
		tmp.Close()
		os.Remove(path)
		return nil, &FileError{File: name, Err: err}
	}
	size, err := io.Copy(tmp, r)
	if err != nil {
		return fail(err)
	}
	rd, err := openXLSXAt(tmp, size, tmp, name, path, spec)
	if err != nil {
		tmp.Close()
		os.Remove(path)
		return nil, err
	}
	return rd, nil
}

// openXLSX opens the workbook at path (f, its content, is closed by the
// caller); name names it in messages; tmp, if set, is removed by Close.
func openXLSX(f *os.File, path, name, tmp string, spec *Spec) (Reader, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, &FileError{File: name, Err: err}
	}
	fi, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, &FileError{File: name, Err: err}
	}
	r, err := openXLSXAt(fh, fi.Size(), fh, name, tmp, spec)
	if err != nil {
		fh.Close()
		return nil, err
	}
	return r, nil
}

// openXLSXAt opens the workbook in ra, of size bytes. Close closes closer.
func openXLSXAt(ra io.ReaderAt, size int64, closer io.Closer, name, tmp string, spec *Spec) (Reader, error) {
	fail := func(err error) (Reader, error) { return nil, &FileError{File: name, Err: err} }
	var head [8]byte
	n, err := ra.ReadAt(head[:], 0)
	if err != nil && err != io.EOF {
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
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return fail(fmt.Errorf("%w: not a readable XLSX workbook: %v", ErrFormat, err))
	}
	r := &xlsxReader{name: name, closer: closer, tmp: tmp, size: size}
	if err := r.start(ra, zr, spec); err != nil {
		r.closer = nil // the caller closes it
		r.tmp = ""
		r.Close()
		return fail(err)
	}
	return r, nil
}

// workbook is what the reader needs of a workbook's parts.
type workbook struct {
	ra     io.ReaderAt
	files  map[string]*zip.File
	lower  map[string]*zip.File
	sheets []string // names, in the workbook's order
	paths  []string // the sheets' parts
	sst    string   // the shared strings part
	styles string   // the styles part
}

func (w *workbook) file(name string) *zip.File {
	if f := w.files[name]; f != nil {
		return f
	}
	return w.lower[strings.ToLower(name)]
}

// readPart reads a small part of the workbook (at most 64 MiB).
func (w *workbook) readPart(name string) ([]byte, error) {
	zf := w.file(name)
	if zf == nil {
		return nil, nil
	}
	e, err := openZipEntry(w.ra, zf)
	if err != nil {
		return nil, err
	}
	const limit = 64 << 20
	b, err := io.ReadAll(io.LimitReader(e, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, name, err)
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%w: %s is larger than 64 MiB", ErrFormat, name)
	}
	return b, nil
}

// xmlElements calls fn for each start element of doc, with its parent's
// local name, until fn returns false.
func xmlElements(doc []byte, fn func(parent string, e xml.StartElement) bool) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = false
	stack := []string{""}
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if !fn(stack[len(stack)-1], e) {
				return nil
			}
			stack = append(stack, e.Name.Local)
		case xml.EndElement:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		}
	}
}

func attr(e xml.StartElement, local string) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// rels reads a relationships part: Id → (Target resolved against dir, Type).
func (w *workbook) rels(name, dir string) (map[string][2]string, error) {
	b, err := w.readPart(name)
	if err != nil || b == nil {
		return nil, err
	}
	m := map[string][2]string{}
	err = xmlElements(b, func(_ string, e xml.StartElement) bool {
		if e.Name.Local == "Relationship" {
			id, _ := attr(e, "Id")
			target, _ := attr(e, "Target")
			typ, _ := attr(e, "Type")
			target = strings.ReplaceAll(target, `\`, "/")
			if strings.HasPrefix(target, "/") {
				target = strings.TrimPrefix(target, "/")
			} else {
				target = path.Join(dir, target)
			}
			m[id] = [2]string{target, typ}
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, name, err)
	}
	return m, nil
}

func readWorkbook(ra io.ReaderAt, zr *zip.Reader) (*workbook, error) {
	w := &workbook{ra: ra, files: map[string]*zip.File{}, lower: map[string]*zip.File{}}
	for _, f := range zr.File {
		name := strings.TrimPrefix(strings.ReplaceAll(f.Name, `\`, "/"), "/")
		w.files[name] = f
		w.lower[strings.ToLower(name)] = f
	}
	book := "xl/workbook.xml"
	root, err := w.rels("_rels/.rels", "")
	if err != nil {
		return nil, err
	}
	for _, r := range root {
		if strings.HasSuffix(r[1], "/officeDocument") && w.file(r[0]) != nil {
			book = r[0]
		}
	}
	b, err := w.readPart(book)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("%w: not an XLSX workbook: the archive has no %s", ErrFormat, book)
	}
	dir := path.Dir(book)
	rels, err := w.rels(path.Join(dir, "_rels", path.Base(book)+".rels"), dir)
	if err != nil {
		return nil, err
	}
	var ids []string
	err = xmlElements(b, func(_ string, e xml.StartElement) bool {
		if e.Name.Local == "sheet" {
			name, _ := attr(e, "name")
			id := ""
			for _, a := range e.Attr {
				if a.Name.Local == "id" && a.Name.Space != "" {
					id = a.Value
				}
			}
			w.sheets = append(w.sheets, name)
			ids = append(ids, id)
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, book, err)
	}
	for i, id := range ids {
		p := rels[id][0]
		if p == "" {
			p = path.Join(dir, "worksheets", "sheet"+strconv.Itoa(i+1)+".xml")
		}
		w.paths = append(w.paths, p)
	}
	w.sst, w.styles = path.Join(dir, "sharedStrings.xml"), path.Join(dir, "styles.xml")
	for _, r := range rels {
		switch {
		case strings.HasSuffix(r[1], "/sharedStrings") && w.file(r[0]) != nil:
			w.sst = r[0]
		case strings.HasSuffix(r[1], "/styles") && w.file(r[0]) != nil:
			w.styles = r[0]
		}
	}
	return w, nil
}

// readStyles returns the kind of each cell style (cellXfs), and the styles
// part if any style has a number format the formatter must apply.
func (w *workbook) readStyles() ([]uint8, []byte, error) {
	b, err := w.readPart(w.styles)
	if err != nil || b == nil {
		return nil, nil, err
	}
	custom := map[int]string{}
	var xfs []int
	err = xmlElements(b, func(parent string, e xml.StartElement) bool {
		switch {
		case e.Name.Local == "numFmt" && parent == "numFmts":
			id, _ := attr(e, "numFmtId")
			n, err := strconv.Atoi(id)
			if err != nil {
				return true
			}
			code, _ := attr(e, "formatCode")
			if c16, _ := attr(e, "formatCode16"); c16 != "" {
				code = c16
			}
			custom[n] = code
		case e.Name.Local == "xf" && parent == "cellXfs":
			id, _ := attr(e, "numFmtId")
			n, _ := strconv.Atoi(id)
			xfs = append(xfs, n)
		}
		return true
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrFormat, w.styles, err)
	}
	kinds := make([]uint8, len(xfs))
	formatted := false
	for i, id := range xfs {
		code, ok := custom[id]
		switch {
		case ok && strings.EqualFold(code, "general"), !ok && id == 0:
			kinds[i] = styleGeneral
		case ok && isDateFormat(code), !ok && builtinDate(id):
			kinds[i] = styleDate
		default:
			kinds[i] = styleFormatted
			formatted = true
		}
	}
	if !formatted {
		b = nil
	}
	return kinds, b, nil
}

func (r *xlsxReader) start(ra io.ReaderAt, zr *zip.Reader, spec *Spec) error {
	w, err := readWorkbook(ra, zr)
	if err != nil {
		return err
	}
	if len(w.sheets) == 0 {
		return fmt.Errorf("%w: the workbook has no sheets", ErrFormat)
	}
	idx := 0
	headerRow := 1
	if o := spec.XLSX; o != nil {
		if o.Sheet != "" {
			idx = -1
			for i, s := range w.sheets {
				if s == o.Sheet {
					idx = i
					break
				}
			}
			if idx < 0 {
				return fmt.Errorf("the workbook has no sheet %q (it has %s)", o.Sheet, strings.Join(w.sheets, ", "))
			}
		}
		if o.HeaderRow > 1 {
			headerRow = o.HeaderRow
		}
	}
	r.sheet = w.sheets[idx]
	zf := w.file(w.paths[idx])
	if zf == nil {
		return fmt.Errorf("%w: sheet %q: the archive has no %s", ErrFormat, r.sheet, w.paths[idx])
	}
	kinds, styles, err := w.readStyles()
	if err != nil {
		return err
	}
	p := &sheetParser{styles: kinds}
	if styles != nil {
		p.format = newXLSXFormatter(styles)
	}
	if f := w.file(w.sst); f != nil {
		e, err := openZipEntry(ra, f)
		if err != nil {
			return err
		}
		if p.sst, err = readSST(e); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrFormat, w.sst, err)
		}
	}
	if r.entry, err = openZipEntry(ra, zf); err != nil {
		return err
	}
	p.s = newXScan(r.entry)
	r.p = p
	for {
		ok, err := p.readRow()
		if err != nil {
			return fmt.Errorf("sheet %q: %w", r.sheet, err)
		}
		if !ok {
			return fmt.Errorf("the header is missing: sheet %q ends before row %d", r.sheet, headerRow)
		}
		if p.num < headerRow {
			continue
		}
		if p.num > headerRow {
			return fmt.Errorf("the header is missing: row %d of sheet %q is blank", headerRow, r.sheet)
		}
		row, width := p.values(0)
		if p.rowErr != "" {
			return fmt.Errorf("sheet %q row %d: %s", r.sheet, p.num, p.rowErr)
		}
		if width == 0 {
			return fmt.Errorf("the header is missing: row %d of sheet %q is blank", headerRow, r.sheet)
		}
		r.header = row
		return nil
	}
}

// values makes the values of the row read: at least n, more if there are
// values right of the n-th column; width is the column of the last cell
// with a value (or a formula), 0 for a blank row.
func (p *sheetParser) values(n int) ([]string, int) {
	width, any := 0, false
	for i := range p.cells {
		c := &p.cells[i]
		if c.n > 0 || c.str > 0 && p.strs[c.str-1] != "" {
			any = true
			width = max(width, int(c.col))
		} else if c.formula {
			width = max(width, int(c.col))
		}
	}
	if !any {
		return nil, 0
	}
	if p.unchecked && !validUTF8(p.buf) {
		if p.rowErr == "" {
			p.rowErr = "invalid UTF-8 in the worksheet, replaced by U+FFFD"
		}
		return p.valuesInvalid(n, width), width
	}
	// Values are cut from blocks of 4096: one allocation for many rows.
	w := max(n, width)
	if len(p.vals) < w {
		p.vals = make([]string, max(w, 4096))
	}
	vals := p.vals[:w:w]
	p.vals = p.vals[w:]
	s := string(p.buf)
	for i := range p.cells {
		c := &p.cells[i]
		if int(c.col) > w {
			continue // empty
		}
		if c.str > 0 {
			vals[c.col-1] = p.strs[c.str-1]
		} else {
			vals[c.col-1] = s[c.off : c.off+c.n]
		}
	}
	return vals, width
}

// valuesInvalid is values for a row whose text is not valid UTF-8: each
// value is made valid on its own.
func (p *sheetParser) valuesInvalid(n, width int) []string {
	vals := make([]string, max(n, width))
	for i := range p.cells {
		c := &p.cells[i]
		if int(c.col) > len(vals) {
			continue // empty
		}
		if c.str > 0 {
			vals[c.col-1] = strings.ToValidUTF8(p.strs[c.str-1], "\uFFFD")
		} else {
			vals[c.col-1] = strings.ToValidUTF8(string(p.buf[c.off:c.off+c.n]), "\uFFFD")
		}
	}
	return vals
}

func (r *xlsxReader) Header() []string { return r.header }

func (r *xlsxReader) Offset() int64 {
	if r.done {
		return r.size
	}
	if r.entry == nil {
		return 0
	}
	return min(r.entry.offset+r.entry.raw.n, r.size)
}

func (r *xlsxReader) Close() error {
	var err error
	if r.p != nil {
		r.p.format.close()
		r.p = nil
	}
	if r.closer != nil {
		err = r.closer.Close()
		r.closer = nil
	}
	if r.tmp != "" {
		os.Remove(r.tmp)
		r.tmp = ""
	}
	r.done = true
	return err
}

func (r *xlsxReader) Next() (Row, error) {
	for {
		if r.done || r.p == nil {
			return Row{}, io.EOF
		}
		last := r.p.num
		ok, err := r.p.readRow()
		if err != nil {
			r.done = true
			return Row{}, &FileError{File: r.name, Err: fmt.Errorf("sheet %q after row %d: %w", r.sheet, last, err)}
		}
		if !ok {
			r.done = true
			return Row{}, io.EOF
		}
		v, width := r.p.values(len(r.header))
		if width == 0 {
			continue
		}
		row := Row{Num: int64(r.p.num), Names: r.header, Values: v}
		if r.p.rowErr != "" {
			return row, &RowError{Row: row, Reason: r.p.rowErr}
		}
		if width > len(r.header) {
			return row, &RowError{Row: row, Reason: fmt.Sprintf("a value in column %s, right of the header's last column %s", colName(width), colName(len(r.header)))}
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

// zipEntry streams one member of the archive, counting the compressed bytes
// read (for Offset) and checking its size and CRC-32 at the end.
type zipEntry struct {
	zf     *zip.File
	offset int64 // of the compressed data in the file
	raw    *countingReader
	dec    io.Reader
	crc    uint32
	n      uint64
	err    error
}

var errChecksum = errors.New("checksum error")

func openZipEntry(ra io.ReaderAt, zf *zip.File) (*zipEntry, error) {
	if zf.Flags&1 != 0 {
		return nil, fmt.Errorf("%w: %s is encrypted; save the workbook without a password", ErrFormat, zf.Name)
	}
	off, err := zf.DataOffset()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, zf.Name, err)
	}
	e := &zipEntry{zf: zf, offset: off, raw: &countingReader{r: io.NewSectionReader(ra, off, int64(zf.CompressedSize64))}}
	switch zf.Method {
	case zip.Store:
		e.dec = e.raw
	case zip.Deflate:
		e.dec = flate.NewReader(bufio.NewReaderSize(e.raw, 64<<10))
	default:
		return nil, fmt.Errorf("%w: %s: unsupported compression method %d", ErrFormat, zf.Name, zf.Method)
	}
	return e, nil
}

func (e *zipEntry) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.dec.Read(p)
	e.crc = crc32.Update(e.crc, crc32.IEEETable, p[:n])
	e.n += uint64(n)
	if e.n > e.zf.UncompressedSize64 {
		err = fmt.Errorf("%w: %s is longer than its size in the archive", ErrFormat, e.zf.Name)
	} else if err == io.EOF {
		if e.n != e.zf.UncompressedSize64 {
			err = fmt.Errorf("%w: %s is shorter than its size in the archive (truncated?)", ErrFormat, e.zf.Name)
		} else if e.zf.CRC32 != 0 && e.crc != e.zf.CRC32 {
			err = fmt.Errorf("%w: %s: %v", ErrFormat, e.zf.Name, errChecksum)
		}
	} else if err != nil {
		err = fmt.Errorf("%w: %s: %v", ErrFormat, e.zf.Name, err)
	}
	e.err = err
	return n, err
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
