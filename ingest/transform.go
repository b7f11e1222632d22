package ingest

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/credo-org/credo"
)

// The transforms run on every field of every row: they allocate nothing on
// success for ASCII input, use no regular expressions, and report a failure
// with a message naming the value.

// isSpace reports whether r is white space for TrimSpace: Unicode white
// space (which includes the ideographic space U+3000 and the no-break space
// U+00A0), the byte-order mark and the zero-width spaces spreadsheets leave
// behind.
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', '\u3000', '\u00a0', '\ufeff', '\u200b', '\u200c', '\u200d', '\u2060':
		return true
	}
	return r >= 0x80 && unicode.IsSpace(r)
}

// TrimSpace strips white space around s: ASCII and Unicode white space,
// including the full-width (ideographic) space U+3000, the no-break space,
// the byte-order mark and zero-width spaces.
func TrimSpace(s string) string {
	if len(s) == 0 || !maySpaceStart(s[0]) && !maySpaceEnd(s) {
		return s
	}
	for len(s) > 0 {
		c := s[0]
		if c < utf8.RuneSelf {
			if c != ' ' && (c < '\t' || c > '\r') {
				break
			}
			s = s[1:]
			continue
		}
		r, n := utf8.DecodeRuneInString(s)
		if !isSpace(r) {
			break
		}
		s = s[n:]
	}
	for len(s) > 0 {
		c := s[len(s)-1]
		if c < utf8.RuneSelf {
			if c != ' ' && (c < '\t' || c > '\r') {
				break
			}
			s = s[:len(s)-1]
			continue
		}
		r, n := utf8.DecodeLastRuneInString(s)
		if !isSpace(r) {
			break
		}
		s = s[:len(s)-n]
	}
	return s
}

// maySpaceStart reports whether a character starting with byte c may be
// white space for isSpace: ASCII white space, or a lead byte of one of the
// non-ASCII spaces (U+0085 and U+00A0 start with C2, U+1680 with E1,
// U+2000–U+2060 with E2, U+3000 with E3, U+FEFF with EF). Chinese text
// (E4–E9) is not.
func maySpaceStart(c byte) bool {
	if c < utf8.RuneSelf {
		return c == ' ' || c >= '\t' && c <= '\r'
	}
	return c == 0xc2 || c == 0xe1 || c == 0xe2 || c == 0xe3 || c == 0xef
}

// maySpaceEnd reports whether the last character of s (not empty) may be
// white space: an ASCII space, or a character whose next-to-last byte is
// that of one of the non-ASCII spaces (C2 for U+0085 and U+00A0, 9A for
// U+1680, 80 or 81 for U+2000–U+2060 and U+3000, BB for U+FEFF). Chinese
// text mostly is not.
func maySpaceEnd(s string) bool {
	e := s[len(s)-1]
	if e < utf8.RuneSelf || len(s) < 2 {
		return maySpaceStart(e)
	}
	m := s[len(s)-2]
	return m == 0xc2 || m == 0x9a || m == 0x80 || m == 0x81 || m == 0xbb
}

// foldWidth maps full-width ASCII forms (ＡＢＣ，２０２４．５) to ASCII and
// the ideographic space to a space. ASCII input is returned as is.
func foldWidth(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return s
	}
	// Is there anything to fold at all?
	need := false
	for _, r := range s[i:] {
		if r >= 0xFF01 && r <= 0xFF5E || r == '\u3000' {
			need = true
			break
		}
	}
	if !need {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			b.WriteByte(byte(r - 0xFEE0))
		case r == '\u3000':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// normalize folds full-width forms and trims white space.
func normalize(s string) string { return TrimSpace(foldWidth(s)) }

// Special date layouts, besides Go layouts.
const (
	// LayoutChinese reads 2024年3月5日, 2024年03月05日, 二〇二四年三月五日,
	// optionally followed by a time: 14时30分, 14点30分15秒, 14:30, 下午2时.
	LayoutChinese = "chinese"
	// LayoutExcel reads Excel serial day numbers (1900 date system):
	// 45356 is 2024-03-05, the fraction is the time of day.
	LayoutExcel = "excel"
)

// shanghai is used when ParseDate is given no location.
var shanghai = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}()

// ParseDate parses s with the first of layouts that fits. A layout is a Go
// layout ("2006-01-02", "2006/1/2" — which also reads 2024/03/05 —,
// "20060102", "2006-01-02 15:04:05"), or one of the special layouts
// "chinese" and "excel" (see LayoutChinese and LayoutExcel). Full-width
// digits and punctuation are folded to ASCII and surrounding white space is
// trimmed first. Dates without a zone are in loc (Asia/Shanghai when loc is
// nil). Impossible dates (2023-02-30) are rejected; the error names the
// value and every layout tried, with why each did not fit.
func ParseDate(s string, layouts []string, loc *time.Location) (time.Time, error) {
	return parseDate(s, nil, layouts, loc)
}

// dateLayouts is a list of date layouts compiled once, for parsing many
// values.
type dateLayouts struct {
	names []string
	progs []dateProg
}

func compileDateLayouts(layouts []string) *dateLayouts {
	d := &dateLayouts{names: layouts, progs: make([]dateProg, len(layouts))}
	for i, l := range layouts {
		d.progs[i] = compileDate(l)
	}
	return d
}

// parse is ParseDate with these layouts.
func (d *dateLayouts) parse(s string, loc *time.Location) (time.Time, error) {
	return parseDate(s, d.progs, d.names, loc)
}

// parseDate parses s with the first of layouts that fits; progs, when not
// nil, are the layouts compiled.
func parseDate(s string, progs []dateProg, layouts []string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = shanghai
	}
	v := normalize(s)
	if v == "" {
		return time.Time{}, errors.New("empty date")
	}
	for i, l := range layouts {
		var p *dateProg
		if progs != nil {
			p = &progs[i]
		} else {
			c := compileDate(l)
			p = &c
		}
		var ok bool
		var t time.Time
		switch p.kind {
		case dateChinese:
			t, ok = parseChineseDate(v, loc)
		case dateExcel:
			t, ok = parseExcelDate(v, loc)
		default:
			var handled bool
			if t, ok, handled = p.parse(v, loc); !handled {
				var err error
				t, err = time.ParseInLocation(l, v, loc)
				ok = err == nil
			}
		}
		if ok {
			return t, nil
		}
	}
	if len(layouts) == 0 {
		return time.Time{}, fmt.Errorf("date %q: no layouts to try", s)
	}
	// Say why each layout failed; this is the slow path.
	reasons := make([]string, len(layouts))
	for i, l := range layouts {
		var reason string
		switch l {
		case LayoutChinese:
			reason = chineseDateReason(v)
		case LayoutExcel:
			reason = excelDateReason(v)
		default:
			_, err := time.ParseInLocation(l, v, loc)
			reason = goParseReason(err)
		}
		reasons[i] = l + ": " + reason
	}
	return time.Time{}, fmt.Errorf("date %q fits none of the layouts tried (%s)", s, strings.Join(reasons, "; "))
}

// A dateProg is one date layout, compiled: for a Go layout made only of the
// numeric elements 2006 01 1 02 2 15 04 05 and literal text, the list of
// its elements, which parse reads without going back to the layout.
type dateProg struct {
	kind  uint8 // dateGo, dateChinese, dateExcel
	quick bool  // elems holds the layout: parse can read it
	n     uint8
	elems [maxDateElems]dateElem

	// The layout with every number at its full width (2006-01-02 15:04:05)
	// when that is how most values are written: a value of that length is
	// read at fixed offsets. tmpl has the literal bytes, and 0 where a
	// digit goes; at holds the offset of the year, month, day, hour,
	// minute and second (-1 when absent).
	tmpl [maxDateTmpl]byte
	tlen uint8 // 0: no template
	at   [6]int8
}

const maxDateTmpl = 40

const (
	dateGo = iota
	dateChinese
	dateExcel
)

const maxDateElems = 32

// A dateElem is a literal byte or a numeric element of a Go layout.
type dateElem struct {
	op  uint8 // elemLit, elemYear …
	lit byte
}

const (
	elemLit    = iota
	elemYear   // 2006
	elemMonth  // 01 (two digits) or 1 (one or two)
	elemDay    // 02 or 2
	elemHour   // 15 (one or two digits)
	elemMinute // 04
	elemSecond // 05
)

// elemFixed marks an element that must have two digits.
const elemFixed = 0x80

// compileDate compiles layout. quick is false for a layout parse cannot
// read (month names, zones, fractions, 12-hour clocks, two-digit years, no
// year at all), which time.Parse then reads.
func compileDate(layout string) (p dateProg) {
	switch layout {
	case LayoutChinese:
		p.kind = dateChinese
		return p
	case LayoutExcel:
		p.kind = dateExcel
		return p
	}
	haveYear := false
	for i := 0; i < len(layout); {
		c := layout[i]
		var c1 byte
		if i+1 < len(layout) {
			c1 = layout[i+1]
		}
		e := dateElem{op: elemLit, lit: c}
		size := 1
		switch {
		case c == '2' && strings.HasPrefix(layout[i:], "2006"):
			e, size, haveYear = dateElem{op: elemYear}, 4, true
		case c == '0' && c1 == '1':
			e, size = dateElem{op: elemMonth | elemFixed}, 2
		case c == '0' && c1 == '2':
			e, size = dateElem{op: elemDay | elemFixed}, 2
		case c == '0' && c1 == '4':
			e, size = dateElem{op: elemMinute | elemFixed}, 2
		case c == '0' && c1 == '5':
			e, size = dateElem{op: elemSecond | elemFixed}, 2
		case c == '1' && c1 == '5':
			e, size = dateElem{op: elemHour}, 2
		case c == '1':
			e = dateElem{op: elemMonth}
		case c == '2':
			e = dateElem{op: elemDay}
		case c >= '0' && c <= '9', c >= 'A' && c <= 'Z' && c != 'T', c >= 'a' && c <= 'z', c == '_', c == '+':
			return p
		case c == '-' && strings.HasPrefix(layout[i:], "-07"):
			return p // zone offset
		case (c == '.' || c == ',') && (c1 == '0' || c1 == '9'):
			k := i + 1
			for k < len(layout) && layout[k] == c1 {
				k++
			}
			if k == len(layout) || !isDigit(layout[k]) {
				return p // fractional seconds
			}
		}
		if int(p.n) == maxDateElems {
			return p
		}
		p.elems[p.n] = e
		p.n++
		i += size
	}
	p.quick = haveYear
	if p.quick {
		p.compileFixed()
	}
	return p
}

// compileFixed sets tmpl and at, unless a second is followed by more
// layout (where Go reads a fraction the layout does not have).
func (p *dateProg) compileFixed() {
	n := 0
	at := [6]int8{-1, -1, -1, -1, -1, -1}
	for i, e := range p.elems[:p.n] {
		w := 1
		if e.op == elemYear {
			w = 4
		} else if e.op != elemLit {
			w = 2
		}
		if e.op == elemLit && e.lit == 0 || n+w > maxDateTmpl {
			return
		}
		if e.op == elemLit {
			p.tmpl[n] = e.lit
			n++
			continue
		}
		k := e.op&^elemFixed - elemYear
		if at[k] >= 0 || e.op&^elemFixed == elemSecond && i != int(p.n)-1 {
			return
		}
		at[k] = int8(n)
		for range w {
			p.tmpl[n] = 0
			n++
		}
	}
	p.tlen, p.at = uint8(n), at
}

// num2 reads the two digits of v at i (i < 0: absent, def).
func num2(v string, i int8, def int) int {
	if i < 0 {
		return def
	}
	return int(v[i]-'0')*10 + int(v[i+1]-'0')
}

// quickParse parses v with a Go layout as time.ParseInLocation would,
// without allocating when v does not fit. handled is false for a layout
// compileDate cannot compile or input it does not read (fractional
// seconds), which the caller gives to time.Parse.
func quickParse(layout, v string, loc *time.Location) (t time.Time, ok, handled bool) {
	p := compileDate(layout)
	if p.kind != dateGo {
		return t, false, false
	}
	return p.parse(v, loc)
}

func (p *dateProg) parse(v string, loc *time.Location) (t time.Time, ok, handled bool) {
	if !p.quick {
		return t, false, false
	}
	if p.tlen != 0 && len(v) == int(p.tlen) {
		// Every number at its full width: check the literals and the
		// digits, then read the numbers at their offsets.
		for i, c := range p.tmpl[:p.tlen] {
			if c == 0 && !isDigit(v[i]) || c != 0 && c != v[i] {
				return t, false, true
			}
		}
		y := num2(v, p.at[0], 0)*100 + num2(v, p.at[0]+2, 0)
		mo, d := num2(v, p.at[1], 1), num2(v, p.at[2], 1)
		h, mi, sec := num2(v, p.at[3], 0), num2(v, p.at[4], 0), num2(v, p.at[5], 0)
		if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, time.Month(mo)) || h > 23 || mi > 59 || sec > 59 {
			return t, false, true
		}
		return time.Date(y, time.Month(mo), d, h, mi, sec, 0, loc), true, true
	}
	year, month, day, hour, min, sec := 0, 1, 1, 0, 0, 0
	j := 0 // in v
	for _, e := range p.elems[:p.n] {
		if e.op == elemLit {
			if j >= len(v) || v[j] != e.lit {
				return t, false, true
			}
			j++
			continue
		}
		var n int
		if e.op == elemYear {
			if len(v)-j < 4 || !isDigit(v[j]) || !isDigit(v[j+1]) || !isDigit(v[j+2]) || !isDigit(v[j+3]) {
				return t, false, true
			}
			year = int(v[j]-'0')*1000 + int(v[j+1]-'0')*100 + int(v[j+2]-'0')*10 + int(v[j+3]-'0')
			j += 4
			continue
		}
		if j >= len(v) || !isDigit(v[j]) {
			return t, false, true
		}
		if j+1 >= len(v) || !isDigit(v[j+1]) {
			if e.op&elemFixed != 0 {
				return t, false, true
			}
			n = int(v[j] - '0')
			j++
		} else {
			n = int(v[j]-'0')*10 + int(v[j+1]-'0')
			j += 2
		}
		switch e.op &^ elemFixed {
		case elemMonth:
			if n < 1 || n > 12 {
				return t, false, true
			}
			month = n
		case elemDay:
			if n < 1 || n > 31 {
				return t, false, true
			}
			day = n
		case elemHour:
			if n > 23 {
				return t, false, true
			}
			hour = n
		case elemMinute:
			if n > 59 {
				return t, false, true
			}
			min = n
		case elemSecond:
			if n > 59 {
				return t, false, true
			}
			if len(v)-j >= 2 && (v[j] == '.' || v[j] == ',') && isDigit(v[j+1]) {
				return t, false, false // fractional seconds: Go accepts them
			}
			sec = n
		}
	}
	if j != len(v) || day > daysIn(year, time.Month(month)) {
		return t, false, true
	}
	return time.Date(year, time.Month(month), day, hour, min, sec, 0, loc), true, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// goParseReason shortens a *time.ParseError to its reason.
func goParseReason(err error) string {
	var pe *time.ParseError
	if errors.As(err, &pe) {
		if pe.Message != "" {
			return strings.TrimPrefix(pe.Message, ": ")
		}
		if pe.ValueElem == "" {
			return fmt.Sprintf("too short, expected %q", pe.LayoutElem)
		}
		return fmt.Sprintf("cannot read %q as %q", pe.ValueElem, pe.LayoutElem)
	}
	return err.Error()
}

// daysIn is the number of days of month m of year y.
func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// Chinese digits, for dates and amounts. 〇 and 零 are 0, 两 is 2; the
// financial capitals (大写) are included.
func chineseDigit(r rune) (int, bool) {
	switch r {
	case '〇', '零', 'Ｏ', '○':
		return 0, true
	case '一', '壹', '幺':
		return 1, true
	case '二', '贰', '貳', '两', '兩':
		return 2, true
	case '三', '叁', '參', '叄':
		return 3, true
	case '四', '肆':
		return 4, true
	case '五', '伍':
		return 5, true
	case '六', '陆', '陸':
		return 6, true
	case '七', '柒':
		return 7, true
	case '八', '捌':
		return 8, true
	case '九', '玖':
		return 9, true
	}
	return 0, false
}

// dateNum reads a number of a date at s[i:]: 1 to max ASCII digits, max
// Chinese digits (二〇二四), or a Chinese number under 100 with 十 (十二,
// 二十五, 三十一). It returns the value and the index after it, or ok=false.
func dateNum(s string, i, max int) (n, j int, ok bool) {
	j = i
	for j < len(s) && j-i < max && s[j] >= '0' && s[j] <= '9' {
		n = n*10 + int(s[j]-'0')
		j++
	}
	if j > i {
		return n, j, true
	}
	// Chinese.
	digits, tens, sawTen := 0, 0, false
	for j < len(s) {
		r, w := utf8.DecodeRuneInString(s[j:])
		if r == '十' || r == '拾' {
			if sawTen || digits > 1 {
				return 0, i, false
			}
			sawTen = true
			tens = n
			if digits == 0 {
				tens = 1
			}
			n, digits = 0, 0
			j += w
			continue
		}
		d, isDigit := chineseDigit(r)
		if !isDigit || r == '两' || r == '兩' || r == '幺' {
			break
		}
		if sawTen && digits == 1 {
			return 0, i, false
		}
		n = n*10 + d
		digits++
		j += w
		if !sawTen && digits == max {
			break
		}
	}
	if j == i {
		return 0, i, false
	}
	if sawTen {
		if tens > 9 {
			return 0, i, false
		}
		n += tens * 10
	}
	return n, j, true
}

// skipSpaces skips ASCII spaces at s[i:].
func skipSpaces(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

// hasAt reports whether s[i:] starts with p, and the index after it.
func hasAt(s string, i int, p string) (int, bool) {
	if strings.HasPrefix(s[i:], p) {
		return i + len(p), true
	}
	return i, false
}

func parseChineseDate(s string, loc *time.Location) (time.Time, bool) {
	t, reason := chineseDate(s, loc)
	return t, reason == ""
}

func chineseDateReason(s string) string {
	_, reason := chineseDate(s, time.UTC)
	return reason
}

// chineseDate reads 2024年3月5日 with an optional time. It returns a reason
// when s does not fit.
func chineseDate(s string, loc *time.Location) (time.Time, string) {
	const notChinese = "not a 年月日 date"
	y, i, ok := dateNum(s, 0, 4)
	if !ok || i == 0 {
		return time.Time{}, notChinese
	}
	if (s[0] < utf8.RuneSelf && i != 4) || y < 1000 {
		return time.Time{}, "year must have 4 digits"
	}
	if i, ok = hasAt(s, skipSpaces(s, i), "年"); !ok {
		return time.Time{}, notChinese
	}
	m, i, ok := dateNum(s, skipSpaces(s, i), 2)
	if !ok {
		return time.Time{}, notChinese
	}
	if i, ok = hasAt(s, skipSpaces(s, i), "月"); !ok {
		return time.Time{}, notChinese
	}
	d, i, ok := dateNum(s, skipSpaces(s, i), 2)
	if !ok {
		return time.Time{}, notChinese
	}
	i = skipSpaces(s, i)
	if j, ok := hasAt(s, i, "日"); ok {
		i = j
	} else if j, ok := hasAt(s, i, "号"); ok {
		i = j
	} else {
		return time.Time{}, notChinese
	}
	if m < 1 || m > 12 {
		return time.Time{}, "month out of range"
	}
	if d < 1 || d > daysIn(y, time.Month(m)) {
		return time.Time{}, "day out of range"
	}
	var hh, mm, ss int
	i = skipSpaces(s, i)
	if i < len(s) {
		pm := false
		if j, ok := hasAt(s, i, "上午"); ok {
			i = skipSpaces(s, j)
		} else if j, ok := hasAt(s, i, "下午"); ok {
			i, pm = skipSpaces(s, j), true
		}
		const badTime = "cannot read the time after the date (want 14时30分 or 14:30)"
		if hh, i, ok = dateNum(s, i, 2); !ok {
			return time.Time{}, badTime
		}
		colon := false
		switch {
		case strings.HasPrefix(s[i:], ":"):
			i, colon = i+1, true
		case strings.HasPrefix(s[i:], "时"), strings.HasPrefix(s[i:], "点"), strings.HasPrefix(s[i:], "時"):
			i += len("时")
		default:
			return time.Time{}, badTime
		}
		if i < len(s) {
			if mm, i, ok = dateNum(s, i, 2); !ok {
				return time.Time{}, badTime
			}
			if colon {
				if i < len(s) && s[i] == ':' {
					if ss, i, ok = dateNum(s, i+1, 2); !ok {
						return time.Time{}, badTime
					}
				}
			} else {
				if i < len(s) {
					if i, ok = hasAt(s, i, "分"); !ok {
						return time.Time{}, badTime
					}
				}
				if i < len(s) {
					if ss, i, ok = dateNum(s, i, 2); !ok {
						return time.Time{}, badTime
					}
					if i, ok = hasAt(s, i, "秒"); !ok {
						return time.Time{}, badTime
					}
				}
			}
		}
		if i != len(s) {
			return time.Time{}, fmt.Sprintf("extra text %q after the time", s[i:])
		}
		if pm {
			if hh < 1 || hh > 12 {
				return time.Time{}, "hour out of range"
			}
			if hh < 12 {
				hh += 12
			}
		}
		if hh > 23 {
			return time.Time{}, "hour out of range"
		}
		if mm > 59 {
			return time.Time{}, "minute out of range"
		}
		if ss > 59 {
			return time.Time{}, "second out of range"
		}
	}
	return time.Date(y, time.Month(m), d, hh, mm, ss, 0, loc), ""
}

func parseExcelDate(s string, loc *time.Location) (time.Time, bool) {
	t, reason := excelDate(s, loc)
	return t, reason == ""
}

func excelDateReason(s string) string {
	_, reason := excelDate(s, time.UTC)
	return reason
}

// excelMaxSerial is 9999-12-31, the last day Excel knows.
const excelMaxSerial = 2958465

// parseExcelDate reads an Excel serial date in the 1900 date system. Excel
// counts 1900-01-01 as day 1 and, copying a Lotus 1-2-3 bug, believes in
// 1900-02-29 (day 60); days from 61 on are therefore one more than the
// count from 1899-12-31. Day 60 does not exist and is rejected.
func excelDate(s string, loc *time.Location) (time.Time, string) {
	var days int
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if i >= 8 {
			return time.Time{}, "serial day out of range"
		}
		days = days*10 + int(s[i]-'0')
		i++
	}
	if i == 0 {
		return time.Time{}, "not a serial day number"
	}
	var frac float64
	if i < len(s) {
		if s[i] != '.' || i+1 == len(s) {
			return time.Time{}, "not a serial day number"
		}
		scale := 0.1
		for j := i + 1; j < len(s); j++ {
			c := s[j]
			if c < '0' || c > '9' {
				return time.Time{}, "not a serial day number"
			}
			frac += float64(c-'0') * scale
			scale /= 10
		}
	}
	switch {
	case days < 1 || days > excelMaxSerial:
		return time.Time{}, "serial day out of range (1 to 2958465)"
	case days == 60:
		return time.Time{}, "serial day 60 is 1900-02-29, which does not exist (a bug Excel keeps for Lotus 1-2-3)"
	}
	d := days
	if days > 60 {
		d--
	}
	sec := int(math.Round(frac * 86400))
	return time.Date(1899, 12, 31+d, 0, 0, sec, 0, loc), ""
}

// decimal is an exact decimal number m × 10^e, for amounts.
type decimal struct {
	m uint64
	e int
}

var errOverflow = errors.New("too many digits")

func (a decimal) isZero() bool { return a.m == 0 }

// scale returns a × 10^k.
func (a decimal) scale(k int) decimal { a.e += k; return a }

func mul10(m uint64, k int) (uint64, bool) {
	for ; k > 0; k-- {
		if m > math.MaxUint64/10 {
			return 0, false
		}
		m *= 10
	}
	return m, true
}

func (a decimal) add(b decimal) (decimal, error) {
	if a.m == 0 {
		return b, nil
	}
	if b.m == 0 {
		return a, nil
	}
	if a.e < b.e {
		a, b = b, a
	}
	m, ok := mul10(a.m, a.e-b.e)
	if !ok || m > math.MaxUint64-b.m {
		return decimal{}, errOverflow
	}
	return decimal{m + b.m, b.e}, nil
}

// fen rounds a to a whole number of fen (0.01), half away from zero.
func (a decimal) fen() (uint64, bool) {
	k := a.e + 2
	if k >= 0 {
		return mul10(a.m, k)
	}
	k = -k
	if k > 19 {
		return 0, true
	}
	div := uint64(1)
	for ; k > 0; k-- {
		div *= 10
	}
	q, r := a.m/div, a.m%div
	if r >= div-r {
		q++
	}
	return q, true
}

// maxFen bounds amounts: 10^13 yuan, far above any real fine or debt, and
// low enough that every fen is exact in a float64.
const maxFen = 1e15

// ParseAmount parses a sum of money in yuan. It reads
//
//   - Arabic numbers with an optional sign, decimal point and thousands
//     separators in groups of three: -12.5, 1,234.50;
//   - a currency mark before (¥ ￥ RMB CNY 人民币) or a unit after (元 圆 块,
//     元整, 万元 …): ¥1,234.50, RMB 1234.5, 1234.5元;
//   - scales 十 百 千 万 亿 after a number: 1.2万 is 12000, 3亿 is 300000000;
//   - Chinese numerals, ordinary or financial capitals (大写), with
//     元/角/分: 一千二百, 两千, 十五, 一万零五百, 一千二百三十四元五角六分,
//     壹仟贰佰元整;
//   - full-width digits and punctuation (１２３４．５).
//
// The result is rounded to the fen (2 decimals), half away from zero, from
// the exact decimal value (1.005 → 1.01). Ambiguous colloquial forms
// (一万五, which could mean 15000 or 10005) and anything else are rejected
// with a message naming the value, as are amounts of 10^13 yuan or more.
func ParseAmount(s string) (float64, error) {
	if d, ok := plainAmount(s); ok {
		if f, ok := d.fen(); ok && f < maxFen {
			return float64(f) / 100, nil
		}
	}
	return parseAmount(s)
}

// parseAmount is ParseAmount without its fast path.
func parseAmount(s string) (float64, error) {
	v := normalize(s)
	neg := false
	if v != "" && (v[0] == '-' || v[0] == '+') {
		neg, v = v[0] == '-', TrimSpace(v[1:])
	} else if strings.HasPrefix(v, "−") { // U+2212 minus sign
		neg, v = true, TrimSpace(v[len("−"):])
	} else if strings.HasPrefix(v, "负") {
		neg, v = true, TrimSpace(v[len("负"):])
	}
	v = trimCurrency(v)
	if !neg && v != "" && v[0] == '-' { // ¥-12.5
		neg, v = true, TrimSpace(v[1:])
	}
	d, reason := parseChineseAmount(v)
	if reason != "" {
		return 0, fmt.Errorf("amount %q: %s", s, reason)
	}
	f, ok := d.fen()
	if !ok || f >= maxFen {
		return 0, fmt.Errorf("amount %q is too large", s)
	}
	x := float64(f) / 100
	if neg && f != 0 {
		x = -x
	}
	return x, nil
}

// trimCurrency strips a leading currency mark.
func trimCurrency(v string) string {
	for _, p := range [...]string{"¥", "￥", "人民币", "RMB", "rmb", "Rmb", "CNY", "cny"} {
		if strings.HasPrefix(v, p) {
			return TrimSpace(v[len(p):])
		}
	}
	return v
}

// arabic reads an Arabic number at v[i:]: digits with optional thousands
// separators in groups of three and an optional decimal point.
func arabic(v string, i int) (d decimal, j int, reason string) {
	j = i
	digits, group, commas, frac := 0, 0, false, -1
	for j < len(v) {
		c := v[j]
		switch {
		case c >= '0' && c <= '9':
			if d.m > (math.MaxUint64-9)/10 {
				return d, j, "too many digits"
			}
			d.m = d.m*10 + uint64(c-'0')
			digits++
			group++
			if frac >= 0 {
				frac++
			}
		case c == ',' && frac < 0:
			if digits == 0 || (commas && group != 3) || (!commas && group > 3) {
				return d, j, "misplaced thousands separator"
			}
			commas, group = true, 0
		case c == '.' && frac < 0:
			if digits == 0 || (commas && group != 3) {
				return d, j, "not a number"
			}
			frac = 0
		case c == '.':
			return d, j, "more than one decimal point"
		default:
			goto end
		}
		j++
	}
end:
	if commas && frac < 0 && group != 3 {
		return d, j, "misplaced thousands separator"
	}
	if frac == 0 || digits == 0 {
		return d, j, "not a number"
	}
	if frac > 0 {
		d.e = -frac
	}
	return d, j, ""
}

// plainAmount reads s when it is only ASCII digits with at most one
// decimal point between them (1234, 1234.50), as parseAmount would: the
// common case, read without normalizing first. ok is false for anything
// else, left to parseAmount.
func plainAmount(s string) (d decimal, ok bool) {
	if len(s) == 0 || len(s) > 19 {
		return d, false
	}
	frac := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			d.m = d.m*10 + uint64(c-'0')
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0 && i > 0:
			frac = 0
		default:
			return d, false
		}
	}
	if frac == 0 {
		return d, false // "12.": the slow path says why not
	}
	if frac > 0 {
		d.e = -frac
	}
	return d, true
}

// parseChineseAmount parses v, stripped of sign and currency mark: Arabic
// and Chinese numbers with scales and money units. See ParseAmount.
func parseChineseAmount(v string) (decimal, string) {
	if v == "" {
		return decimal{}, "empty"
	}
	// Fast path: a plain Arabic number.
	if d, j, reason := arabic(v, 0); j == len(v) || reason != "" && j > 0 && v[j] < utf8.RuneSelf {
		return d, reason
	}
	var (
		total   decimal // completed 万 and 亿 sections
		section decimal // the current section (below 万)
		num     decimal // the number waiting for its unit
		hasNum  bool
		numCJK  bool // num is a single Chinese digit
		zero    bool // 零 since the last unit
		small   = 10000
		big     = 0 // the last 万 (4) or 亿 (8)
		last    = 0 // exponent of the last unit of any kind
		yuan    decimal
		inYuan  bool // past 元: 角 分 厘 may follow
		sub     = 0  // exponent of the last 角 (-1) / 分 (-2) / 厘 (-3)
		anyNum  bool
		whole   bool // 整 seen: nothing may follow
		err     error
	)
	flushSmall := func() {
		if hasNum {
			section, err = section.add(num)
			hasNum = false
		}
	}
	i := 0
	for i < len(v) {
		if whole {
			return decimal{}, "text after 整"
		}
		c := v[i]
		if c >= '0' && c <= '9' {
			if hasNum {
				return decimal{}, "two numbers without a unit between them"
			}
			d, j, reason := arabic(v, i)
			if reason != "" {
				return decimal{}, reason
			}
			num, hasNum, numCJK, anyNum = d, true, false, true
			i = j
			continue
		}
		if c == ' ' {
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(v[i:])
		i += w
		if d, ok := chineseDigit(r); ok {
			if d == 0 {
				if hasNum {
					return decimal{}, "零 after a digit"
				}
				zero, anyNum = true, true
				continue
			}
			if hasNum {
				return decimal{}, "two digits without a unit between them"
			}
			num, hasNum, numCJK, anyNum = decimal{m: uint64(d)}, true, true, true
			continue
		}
		if inYuan {
			// After 元 only 角 分 厘 (each after a digit) and 整.
			e := 0
			switch r {
			case '角', '毛':
				e = -1
			case '分':
				e = -2
			case '厘':
				e = -3
			case '整', '正':
				if hasNum {
					return decimal{}, "a digit without a unit before 整"
				}
				whole = true
				continue
			default:
				return decimal{}, fmt.Sprintf("unexpected %q", r)
			}
			if !hasNum || e >= sub {
				return decimal{}, fmt.Sprintf("%c without a digit before it", r)
			}
			if num.m > 9 || num.e != 0 {
				return decimal{}, fmt.Sprintf("more than one digit before %c", r)
			}
			if yuan, err = yuan.add(num.scale(e)); err != nil {
				return decimal{}, err.Error()
			}
			hasNum, zero, sub = false, false, e
			continue
		}
		e := 0
		switch r {
		case '十', '拾':
			e = 1
		case '百', '佰':
			e = 2
		case '千', '仟':
			e = 3
		case '万', '萬':
			e = 4
		case '亿', '億':
			e = 8
		case '元', '圆', '圓', '块':
			e = 0
		case '角', '毛', '分', '厘':
			// Jiao or fen without yuan: 五角.
			if last != 0 || !section.isZero() || !total.isZero() {
				return decimal{}, fmt.Sprintf("%c after a scale without 元", r)
			}
			inYuan, sub = true, 0
			i -= w
			continue
		case '整', '正':
			return decimal{}, "整 without 元"
		default:
			return decimal{}, fmt.Sprintf("unexpected %q", r)
		}
		switch {
		case e >= 1 && e <= 3:
			if !hasNum {
				if e == 1 && section.isZero() && !zero {
					num, hasNum, anyNum = decimal{m: 1}, true, true // 十五, 十元
				} else if e == 1 && zero {
					num, hasNum, anyNum = decimal{m: 1}, true, true // 一百零十? rare, accept 零十 as 10
				} else {
					return decimal{}, fmt.Sprintf("%c without a digit before it", r)
				}
			}
			if 1<<e >= small {
				return decimal{}, fmt.Sprintf("%c out of order", r)
			}
			section, err = section.add(num.scale(e))
			hasNum, zero, small, last = false, false, 1<<e, e
		case e == 4 || e == 8:
			flushSmall()
			if section.isZero() && total.isZero() {
				return decimal{}, fmt.Sprintf("%c without a number before it", r)
			}
			if e == 4 && big == 4 || e == 8 && big == 8 {
				return decimal{}, fmt.Sprintf("%c out of order", r)
			}
			if e == 8 {
				total, err = total.add(section)
				total = total.scale(8)
			} else {
				total, err = total.add(section.scale(4))
			}
			section, zero, small, big, last = decimal{}, false, 10000, e, e
		default: // 元
			if hasNum && numCJK && last > 1 && !zero {
				return decimal{}, "ambiguous: a digit after a scale (一万五: write 一万五千 or 一万零五)"
			}
			flushSmall()
			if err == nil {
				yuan, err = total.add(section)
			}
			if !anyNum {
				return decimal{}, "no number"
			}
			inYuan, zero, sub = true, false, 0
		}
		if err != nil {
			return decimal{}, err.Error()
		}
	}
	if !anyNum {
		return decimal{}, "no number"
	}
	if inYuan {
		if hasNum {
			return decimal{}, "ambiguous: a digit after 元 without 角 or 分"
		}
		return yuan, ""
	}
	if hasNum && last > 1 && !zero {
		if numCJK {
			return decimal{}, "ambiguous: a digit after a scale (一万五: write 一万五千 or 一万零五)"
		}
		if num.e < 0 || num.m >= pow10(last) {
			return decimal{}, "a number after a scale too large for its place"
		}
	}
	flushSmall()
	if err != nil {
		return decimal{}, err.Error()
	}
	d, err := total.add(section)
	if err != nil {
		return decimal{}, err.Error()
	}
	return d, ""
}

func pow10(k int) uint64 {
	p := uint64(1)
	for ; k > 0; k-- {
		p *= 10
	}
	return p
}

// ParseNumber parses a decimal number: an optional sign, digits with
// optional thousands separators and decimal point; full-width forms are
// folded first. Chinese numerals are read as by ParseAmount, without money
// units. NaN and infinities are rejected.
func ParseNumber(s string) (float64, error) {
	v := normalize(s)
	if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && !strings.ContainsAny(v, "xXpP_") {
		return f, nil
	}
	neg := false
	if v != "" && (v[0] == '-' || v[0] == '+') {
		neg, v = v[0] == '-', v[1:]
	}
	if strings.ContainsAny(v, "元圆块角分整") {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	d, reason := parseChineseAmount(v)
	if reason != "" {
		return 0, fmt.Errorf("%q is not a number: %s", s, reason)
	}
	f, err := strconv.ParseFloat(fmt.Sprintf("%de%d", d.m, d.e), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if neg {
		f = -f
	}
	return f, nil
}

// ParseInt parses a whole number: an optional sign, digits with optional
// thousands separators (1,234), full-width digits, or Chinese numerals
// (十二, 一千零五). "3.0" is rejected: it is not written as a whole number.
func ParseInt(s string) (int64, error) {
	if len(s) > 0 && len(s) <= 18 {
		n := int64(0)
		i := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			n = n*10 + int64(s[i]-'0')
		}
		if i == len(s) {
			return n, nil
		}
	}
	return parseInt(s)
}

// parseInt is ParseInt without its fast path.
func parseInt(s string) (int64, error) {
	v := normalize(s)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, nil
	}
	neg := false
	w := v
	if w != "" && (w[0] == '-' || w[0] == '+') {
		neg, w = w[0] == '-', w[1:]
	}
	if w == "" || strings.ContainsAny(w, ".元圆块角分整") {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	d, reason := parseChineseAmount(w)
	if reason != "" {
		return 0, fmt.Errorf("%q is not a whole number: %s", s, reason)
	}
	m, ok := mul10(d.m, d.e)
	if !ok || d.e < 0 || m > math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a whole number in range", s)
	}
	if neg {
		return -int64(m), nil
	}
	return int64(m), nil
}

// ParseBool parses yes/no values: 1/0, true/false, t/f, yes/no, y/n (any
// case, full-width too), 是/否, 有/无 (無), 对/错, 真/假.
func ParseBool(s string) (bool, error) {
	v := normalize(s)
	switch v {
	case "1", "是", "有", "对", "對", "真":
		return true, nil
	case "0", "否", "无", "無", "没有", "錯", "错", "假":
		return false, nil
	}
	if len(v) <= 5 {
		for _, t := range [...]string{"true", "t", "yes", "y"} {
			if strings.EqualFold(v, t) {
				return true, nil
			}
		}
		for _, f := range [...]string{"false", "f", "no", "n"} {
			if strings.EqualFold(v, f) {
				return false, nil
			}
		}
	}
	return false, fmt.Errorf("%q is not yes or no", s)
}

// ParseSex reads how agencies write a person's sex: 男/女 (男性/女性),
// M/F, male/female (any case), and the codes of GB/T 2261.1: 1 male, 2
// female. An empty value and the codes for "not known" (0, 9, 未知, 未说明)
// are credo.SexUnknown without an error; anything else is an error.
func ParseSex(s string) (credo.Sex, error) {
	switch s { // the common values, before normalizing
	case "男":
		return credo.Male, nil
	case "女":
		return credo.Female, nil
	}
	v := normalize(s)
	switch v {
	case "男", "男性", "1", "M", "m":
		return credo.Male, nil
	case "女", "女性", "2", "F", "f":
		return credo.Female, nil
	case "", "0", "9", "未知", "未说明", "未知的性别", "未说明的性别":
		return credo.SexUnknown, nil
	}
	if strings.EqualFold(v, "male") {
		return credo.Male, nil
	}
	if strings.EqualFold(v, "female") {
		return credo.Female, nil
	}
	return credo.SexUnknown, fmt.Errorf("sex %q: want 男/女, M/F, male/female or 1/2", s)
}
