package ingest

// The worksheet and shared-strings readers of the XLSX reader, on the
// streaming tokenizer of read_xlsx_scan.go. A cell's value is
//
//	t="s"          the shared string (rich text runs concatenated)
//	t="inlineStr"  the text of <is> (runs concatenated), else of <v>
//	t="str"        the text of <v> (a formula's string result), as it is
//	t="b"          TRUE or FALSE
//	t="e"          the error's text (#N/A, #DIV/0!, …)
//	t="d"          an ISO 8601 date, as an Excel serial number
//	otherwise      a number: the text of <v> as written, unless the cell's
//	               style has a number format other than General or a date
//	               format, which is then applied (by excelize, see
//	               read_xlsx_format.go)
//
// Phonetic runs (<rPh>) are not part of a string; _xHHHH_ escapes in
// strings are decoded, as excelize does.

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The kinds of cell styles.
const (
	styleGeneral   = iota // General number format (or none): values as written
	styleDate             // a date or time format: the serial number as written
	styleFormatted        // another number format, applied by excelize
)

// The cell types (the t attribute).
const (
	cellNumber = iota
	cellShared
	cellInline
	cellStr
	cellBool
	cellError
	cellDate
)

const xlsxMaxRows = 1 << 20 // rows in a sheet
const xlsxMaxCols = 16384   // columns in a sheet (XFD)

// sstTable is the shared strings, in one string.
type sstTable struct {
	data string
	offs []int // item i is data[offs[i]:offs[i+1]]
}

func (t *sstTable) get(i int) string {
	if t == nil || i < 0 || i+1 >= len(t.offs) {
		return ""
	}
	return t.data[t.offs[i]:t.offs[i+1]]
}

func (t *sstTable) len() int {
	if t == nil {
		return 0
	}
	return len(t.offs) - 1
}

// readSST reads a shared strings part.
func readSST(r io.Reader) (*sstTable, error) {
	s := newXScan(r)
	var (
		t     xtag
		sb    strings.Builder
		item  []byte
		tmp   []byte
		in    bool
		phon  int
		offs  = []int{0}
		count int
	)
	finish := func() error {
		if bytes.Contains(item, []byte("_x")) {
			tmp = appendBstr(tmp[:0], item)
			item, tmp = tmp, item
		}
		if !utf8.Valid(item) {
			return fmt.Errorf("%w: shared string %d is not valid UTF-8", ErrFormat, len(offs)-1)
		}
		sb.Write(item)
		offs = append(offs, sb.Len())
		return nil
	}
	for s.tag(&t) {
		switch string(t.name) {
		case "sst":
			if !t.end && count == 0 {
				for a := t.attrs; ; {
					name, val, rest, ok := nextAttr(a)
					if !ok {
						break
					}
					a = rest
					if string(name) == "uniqueCount" {
						if n, ok := parseDigits(val); ok {
							count = n
							offs = make([]int, 1, min(n, 1<<22)+1)
						}
					}
				}
			}
		case "si":
			switch {
			case t.self && !t.end:
				offs = append(offs, sb.Len())
			case t.end:
				if in {
					if err := finish(); err != nil {
						return nil, err
					}
				}
				in = false
			default:
				in, phon, item = true, 0, item[:0]
			}
		case "rPh":
			if !t.self {
				if t.end {
					phon = max(phon-1, 0)
				} else {
					phon++
				}
			}
		case "t":
			if in && !t.end && !t.self && phon == 0 {
				item, _ = s.text(item)
			}
		}
	}
	if err := s.failed(); err != nil {
		return nil, err
	}
	return &sstTable{data: sb.String(), offs: offs}, nil
}

// sheetCell is one cell of the row being read. It holds no pointers, so
// that appending it costs no write barrier.
type sheetCell struct {
	col, off, n int32 // the value is buf[off:off+n], unless str is set
	str         int32 // the value is strs[str-1]; 0: in buf
	formula     bool
}

// sheetParser reads the rows of a worksheet.
type sheetParser struct {
	s         *xscan
	sst       *sstTable
	styles    []uint8 // the kind of each cellXfs style
	format    *xlsxFormatter
	in        bool // inside <sheetData>
	done      bool
	num       int // the last row's number
	cells     []sheetCell
	buf       []byte   // the text values of the row's cells
	strs      []string // the values of the row's cells that are not in buf
	unchecked bool     // buf holds text not yet checked for valid UTF-8
	rowErr    string
	t         xtag
	vals      []string // a block of values for the next rows
}

var errSheetEnds = fmt.Errorf("%w: the worksheet XML ends inside a row (truncated?)", ErrFormat)

// readRow reads the next <row>: its number into num, its cells into cells
// and buf, and a reason it is malformed into rowErr. It returns false at
// the end of the sheet.
func (p *sheetParser) readRow() (bool, error) {
	t := &p.t
	for !p.done {
		if !p.s.tag(t) {
			p.done = true
			if err := p.s.failed(); err != nil {
				return false, err
			}
			return false, nil
		}
		if !p.in {
			if !t.end && string(t.name) == "sheetData" {
				if t.self {
					p.done = true
					return false, nil
				}
				p.in = true
			}
			continue
		}
		switch {
		case t.end && string(t.name) == "sheetData":
			p.done = true
			return false, nil
		case !t.end && string(t.name) == "row":
			if err := p.row(); err != nil {
				p.done = true
				return false, err
			}
			return true, nil
		}
	}
	return false, nil
}

func (p *sheetParser) row() error {
	t := &p.t
	num := p.num + 1
	for a := t.attrs; ; {
		name, val, rest, ok := nextAttr(a)
		if !ok {
			break
		}
		a = rest
		if string(name) == "r" {
			if n, ok := parseDigits(val); ok && n > 0 {
				num = n
			}
		}
	}
	if num > xlsxMaxRows {
		return fmt.Errorf("%w: row %d is past the last row of a sheet (%d)", ErrFormat, num, xlsxMaxRows)
	}
	if num <= p.num {
		return fmt.Errorf("%w: row %d comes after row %d", ErrFormat, num, p.num)
	}
	p.num = num
	p.cells = p.cells[:0]
	p.buf = p.buf[:0]
	p.strs = p.strs[:0]
	p.unchecked = false
	p.rowErr = ""
	if t.self {
		return nil
	}
	col := 0
	for {
		if b := p.s.buf[p.s.pos:p.s.end]; len(b) > 3 && b[0] == '<' && b[1] == 'c' && b[2] == ' ' {
			if c, typ, style, self, ok := p.fastCellTag(col); ok {
				var err error
				if col, err = p.cell(c, typ, style, self); err != nil {
					return err
				}
				continue
			}
		}
		if !p.s.tag(t) {
			if err := p.s.failed(); err != nil {
				return err
			}
			return errSheetEnds
		}
		switch string(t.name) {
		case "c":
			if t.end {
				continue
			}
			c, typ, style := p.cellTag(col)
			var err error
			if col, err = p.cell(c, typ, style, t.self); err != nil {
				return err
			}
		case "row":
			if t.end {
				return nil
			}
			return fmt.Errorf("%w: row %d is not closed", ErrFormat, num)
		case "sheetData":
			if t.end {
				p.done = true
				return nil
			}
		}
	}
}

// fastCellTag reads the start tag of a cell right of column prev when it is
// all in the buffer and plain (unprefixed attributes, no spaces around
// '='); else it returns false and consumes nothing.
func (p *sheetParser) fastCellTag(prev int) (col, typ, style int, self, ok bool) {
	b := p.s.buf[p.s.pos:p.s.end]
	col, typ = prev+1, cellNumber
	for i := 2; ; {
		for i < len(b) && b[i] <= ' ' {
			i++
		}
		if i >= len(b) {
			return
		}
		switch b[i] {
		case '>':
			p.s.pos += i + 1
			return col, typ, style, false, true
		case '/':
			if i+1 < len(b) && b[i+1] == '>' {
				p.s.pos += i + 2
				return col, typ, style, true, true
			}
			return
		}
		n0 := i
		for i < len(b) && b[i] != '=' && b[i] > ' ' {
			i++
		}
		name := b[n0:i]
		if i+1 >= len(b) || b[i] != '=' || b[i+1] != '"' && b[i+1] != '\'' {
			return
		}
		q := b[i+1]
		i += 2
		v0 := i
		for i < len(b) && b[i] != q {
			i++
		}
		if i >= len(b) {
			return
		}
		val := b[v0:i]
		i++
		if len(name) != 1 {
			if bytes.IndexByte(name, ':') >= 0 {
				return
			}
			continue
		}
		p.cellAttr(name[0], val, &col, &typ, &style)
	}
}

// cellAttr applies a cell's r, t or s attribute (named by its one letter).
func (p *sheetParser) cellAttr(name byte, val []byte, col, typ, style *int) {
	switch name {
	case 'r':
		if c, err := cellColumn(val); err == nil {
			*col = c
		} else if p.rowErr == "" {
			p.rowErr = err.Error()
		}
	case 't':
		*typ = cellType(val)
	case 's':
		if n, ok := parseDigits(val); ok {
			*style = n
		}
	}
}

// cellTag reads the attributes of the cell start tag in p.t, right of
// column prev.
func (p *sheetParser) cellTag(prev int) (col, typ, style int) {
	t := &p.t
	col, typ = prev+1, cellNumber
	for a := t.attrs; ; {
		name, val, rest, ok := nextAttr(a)
		if !ok {
			break
		}
		a = rest
		if len(name) == 1 {
			p.cellAttr(name[0], val, &col, &typ, &style)
		}
	}
	return col, typ, style
}

// cell reads the content of a cell in column col (after its start tag) and
// adds it to the row.
func (p *sheetParser) cell(col, typ, style int, self bool) (int, error) {
	t := &p.t
	c := sheetCell{col: int32(col)}
	if self {
		p.emptyCell(&c, style)
		return col, nil
	}
	vOff, vEnd, isOff, isEnd := -1, -1, -1, -1
	// Fast paths for the usual shapes, <v>…</v></c> and <is><t>…</t></is></c>,
	// when they are in the buffer.
	if b := p.s.buf[p.s.pos:p.s.end]; len(b) > 8 && b[0] == '<' {
		if b[1] == 'v' && b[2] == '>' {
			if j, plain := plainText(b[3:]); j >= 0 && bytes.HasPrefix(b[3+j:], []byte("</v></c>")) {
				vOff = len(p.buf)
				p.appendText(b[3:3+j], plain)
				vEnd = len(p.buf)
				p.s.pos += 3 + j + 8
				return col, p.value(&c, typ, style, vOff, vEnd, isOff, isEnd, !plain)
			}
		} else if bytes.HasPrefix(b, []byte("<is><t>")) {
			if j, plain := plainText(b[7:]); j >= 0 && bytes.HasPrefix(b[7+j:], []byte("</t></is></c>")) {
				isOff = len(p.buf)
				p.appendText(b[7:7+j], plain)
				isEnd = len(p.buf)
				p.s.pos += 7 + j + 13
				return col, p.value(&c, typ, style, vOff, vEnd, isOff, isEnd, !plain)
			}
		}
	}
	inIS, phon := false, 0
	for {
		if !p.s.tag(t) {
			if err := p.s.failed(); err != nil {
				return col, err
			}
			return col, errSheetEnds
		}
		switch string(t.name) {
		case "v":
			if !t.end && !t.self {
				vOff = len(p.buf)
				p.buf, _ = p.s.text(p.buf)
				vEnd = len(p.buf)
				p.unchecked = true
			}
		case "f":
			if !t.end {
				c.formula = true
			}
		case "is":
			inIS = !t.end && !t.self
		case "rPh":
			if !t.self {
				if t.end {
					phon = max(phon-1, 0)
				} else {
					phon++
				}
			}
		case "t":
			if inIS && phon == 0 && !t.end && !t.self {
				if isOff < 0 {
					isOff = len(p.buf)
				}
				p.buf, _ = p.s.text(p.buf)
				isEnd = len(p.buf)
				p.unchecked = true
			}
		case "c":
			if t.end {
				return col, p.value(&c, typ, style, vOff, vEnd, isOff, isEnd, true)
			}
			return col, fmt.Errorf("%w: row %d: cell %s is not closed", ErrFormat, p.num, colName(col))
		case "row", "sheetData":
			return col, fmt.Errorf("%w: row %d: cell %s is not closed", ErrFormat, p.num, colName(col))
		}
	}
}

// appendText appends a cell's text, checked by plainText, to buf.
func (p *sheetParser) appendText(b []byte, plain bool) {
	if plain {
		p.buf = append(p.buf, b...)
		return
	}
	p.buf = appendXMLText(p.buf, b)
	p.unchecked = true
}

func (p *sheetParser) setStr(c *sheetCell, s string) {
	p.strs = append(p.strs, s)
	c.str = int32(len(p.strs))
}

// emptyCell adds a cell without a value, which a number format may still
// show as text.
func (p *sheetParser) emptyCell(c *sheetCell, style int) {
	if p.styleKind(style) == styleFormatted && !p.format.textSame(style) {
		p.setStr(c, p.format.text(style, ""))
	}
	p.cells = append(p.cells, *c)
}

var errRowTooLong = fmt.Errorf("%w: a row longer than 16 MiB", ErrFormat)

// value sets c's value from the text read for it, and adds it to the row.
// bstr says whether the text may hold _xHHHH_ escapes.
func (p *sheetParser) value(c *sheetCell, typ, style, vOff, vEnd, isOff, isEnd int, bstr bool) error {
	if len(p.buf) > MaxRowBytes {
		return errRowTooLong
	}
	span := func(off, end int) {
		if off < 0 {
			c.off, c.n = int32(len(p.buf)), 0
			return
		}
		c.off, c.n = int32(off), int32(end-off)
	}
	text := func() string { return string(p.buf[c.off : c.off+c.n]) }
	switch typ {
	case cellShared:
		s := ""
		if vOff >= 0 {
			i, ok := parseDigits(bytes.TrimSpace(p.buf[vOff:vEnd]))
			if !ok {
				i = 0 // as excelize does
			}
			s = p.sst.get(i)
			p.buf = p.buf[:vOff]
		}
		p.setStr(c, p.textValue(style, s))
	case cellInline:
		off, end := vOff, vEnd
		if isOff >= 0 {
			off, end = isOff, isEnd
			if bstr && hasBstr(p.buf[off:end]) {
				s := string(appendBstr(nil, p.buf[off:end]))
				p.buf = p.buf[:off]
				if !utf8.ValidString(s) {
					s = strings.ToValidUTF8(s, "\uFFFD")
					if p.rowErr == "" {
						p.rowErr = "invalid UTF-8 in the worksheet, replaced by U+FFFD"
					}
				}
				p.setStr(c, p.textValue(style, s))
				break
			}
		}
		span(off, end)
		p.styleText(c, style)
	case cellStr:
		span(vOff, vEnd)
	case cellBool:
		span(vOff, vEnd)
		switch string(p.buf[c.off : c.off+c.n]) {
		case "1":
			p.setStr(c, "TRUE")
		case "0":
			p.setStr(c, "FALSE")
		default:
			p.styleText(c, style)
		}
	case cellDate:
		span(vOff, vEnd)
		if v, ok := isoToSerial(text()); ok {
			p.buf = p.buf[:c.off]
			p.setStr(c, p.numberValue(style, v))
			break
		}
		p.styleNumber(c, style)
	default:
		span(vOff, vEnd)
		p.styleNumber(c, style)
	}
	p.cells = append(p.cells, *c)
	return nil
}

func (p *sheetParser) styleKind(style int) uint8 {
	if style <= 0 || style >= len(p.styles) {
		return styleGeneral // excelize shows a cell without a style, or with an unknown one, as it is
	}
	return p.styles[style]
}

// textValue is text s in the given style.
func (p *sheetParser) textValue(style int, s string) string {
	if p.styleKind(style) != styleFormatted || p.format.textSame(style) {
		return s
	}
	return p.format.text(style, s)
}

// styleText applies the style to the text value of c, in buf.
func (p *sheetParser) styleText(c *sheetCell, style int) {
	if p.styleKind(style) != styleFormatted || p.format.textSame(style) {
		return
	}
	s := p.format.text(style, string(p.buf[c.off:c.off+c.n]))
	p.buf = p.buf[:c.off]
	p.setStr(c, s)
}

// numberValue is number (or error, or any text in a number cell) v in the
// given style.
func (p *sheetParser) numberValue(style int, v string) string {
	if p.styleKind(style) != styleFormatted {
		return v
	}
	return p.format.number(style, v)
}

// styleNumber applies the style to the number value of c, in buf.
func (p *sheetParser) styleNumber(c *sheetCell, style int) {
	if p.styleKind(style) != styleFormatted {
		return
	}
	s := p.format.number(style, string(p.buf[c.off:c.off+c.n]))
	p.buf = p.buf[:c.off]
	p.setStr(c, s)
}

// hasBstr reports whether b may hold an _xHHHH_ escape.
func hasBstr(b []byte) bool {
	for {
		i := bytes.IndexByte(b, '_')
		if i < 0 || i+1 == len(b) {
			return false
		}
		if b[i+1] == 'x' {
			return true
		}
		b = b[i+1:]
	}
}

func cellType(b []byte) int {
	switch string(b) {
	case "s":
		return cellShared
	case "inlineStr":
		return cellInline
	case "str":
		return cellStr
	case "b":
		return cellBool
	case "e":
		return cellError
	case "d":
		return cellDate
	}
	return cellNumber
}

// parseDigits parses a decimal number of at most 15 digits.
func parseDigits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// textClass classifies bytes for plainText.
var textClass = func() (t [256]uint8) {
	for c := 0x80; c < 0x100; c++ {
		t[c] = 2 // checked by the standard UTF-8 check
	}
	for c := 0xc2; c <= 0xdf; c++ {
		t[c] = 4 // leads a 2-byte sequence
	}
	for c := 0xe1; c <= 0xef; c++ {
		if c != 0xed {
			t[c] = 3 // leads a 3-byte sequence without special cases
		}
	}
	t['<'] = 1
	t['&'], t['\r'], t['_'] = 2, 2, 2
	return t
}()

// plainText returns the length of the text at the start of b, up to a '<'
// (-1 if there is none), and whether it is plain: valid UTF-8 without
// entities, carriage returns or _xHHHH_ escapes, to be taken as it is. It is
// for the short texts of cells, where one loop beats bytes.IndexByte's
// set-up.
func plainText(b []byte) (int, bool) {
	plain := true
	for i := 0; i < len(b); {
		switch textClass[b[i]] {
		case 0:
			i++
		case 1:
			return i, plain
		case 2:
			plain = false
			i++
		case 3:
			if i+2 < len(b) && b[i+1]&0xc0 == 0x80 && b[i+2]&0xc0 == 0x80 {
				i += 3
			} else {
				plain = false
				i++
			}
		case 4:
			if i+1 < len(b) && b[i+1]&0xc0 == 0x80 {
				i += 2
			} else {
				plain = false
				i++
			}
		}
	}
	return -1, false
}

// cellColumn returns the column of a cell reference ("B12", "$B$12").
func cellColumn(ref []byte) (int, error) {
	i, col := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i]
		switch {
		case c >= 'A' && c <= 'Z':
			col = col*26 + int(c-'A'+1)
		case c >= 'a' && c <= 'z':
			col = col*26 + int(c-'a'+1)
		case c == '$':
			continue
		default:
			goto digits
		}
		if col > xlsxMaxCols {
			return 0, fmt.Errorf("invalid cell reference %q: past the last column XFD", ref)
		}
	}
digits:
	nonzero := false
	for _, c := range ref[i:] {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("invalid cell reference %q", ref)
		}
		nonzero = nonzero || c != '0'
	}
	if col == 0 || !nonzero || len(ref)-i > 7 {
		return 0, fmt.Errorf("invalid cell reference %q", ref)
	}
	return col, nil
}

// isoToSerial converts the ISO 8601 value of a t="d" cell to an Excel
// serial number, as excelize does.
func isoToSerial(v string) (string, bool) {
	layout := "20060102T150405.999"
	if strings.HasSuffix(v, "Z") {
		layout = "20060102T150405Z"
		if strings.Contains(v, "-") {
			layout = "2006-01-02T15:04:05Z"
		}
	} else if strings.Contains(v, "-") {
		layout = "2006-01-02 15:04:05Z"
	}
	t, err := time.Parse(layout, strings.ReplaceAll(v, ",", "."))
	if err != nil {
		return "", false
	}
	epoch := time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
	if t.Before(epoch) {
		return "0", true
	}
	secs := t.Unix() - epoch.Unix()
	days := float64(secs/86400) + (float64(secs%86400)+float64(t.Nanosecond())/1e9)/86400
	if t.After(time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond)) {
		days++
	}
	return strconv.FormatFloat(days, 'G', 15, 64), true
}
