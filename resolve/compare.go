package resolve

import (
	"encoding/binary"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// value is one distinct value of a field, prepared for comparison once
// however many records carry it.
type value struct {
	s    string // the normalised form compared (Text: unused)
	key  uint32 // the blocking and term-frequency key
	aux  uint32 // Name: the index of its alt form; Text: where its tokens are in the arena
	ntok uint8  // Name: the number of tokens
	ok   bool   // Date: read under the layout
}

// surface is the form a value is interned under: trimmed, folded to NFKC
// and lower case, inner white space collapsed. Two values with the same
// surface agree exactly.
func surface(raw string) string {
	s := strings.TrimSpace(raw)
	if !isASCII(s) && needsNFKC(s) {
		s = norm.NFKC.String(s)
	}
	s = toLower(s)
	if strings.Contains(s, "  ") || strings.ContainsAny(s, "\t\n\r") {
		s = strings.Join(strings.Fields(s), " ")
	}
	return s
}

// toLower is strings.ToLower without the cost for Han text, which has no
// case: only a string with an upper-case letter is rewritten.
func toLower(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
		if c >= 0x80 {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r < 0x3000 && unicode.IsUpper(r) {
				return strings.ToLower(s)
			}
			i += n - 1
		}
	}
	return s
}

// needsNFKC reports whether s holds a character NFKC changes that agency
// data carries: the full-width forms (ＡＢＣ１２３), the ideographic space,
// letters with marks to compose. Han text without them is left alone, which
// is most of it and much faster.
func needsNFKC(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 0xEF && i+1 < len(s) && s[i+1] >= 0xBC && s[i+1] <= 0xBF: // U+FF00–U+FFFF
			return true
		case c == 0xE3 && i+2 < len(s) && s[i+1] == 0x80 && s[i+2] == 0x80: // U+3000
			return true
		case c >= 0xC3 && c <= 0xCD: // Latin-1 and the combining marks
			return true
		case c == 0xE2: // U+2000–U+2FFF: punctuation, Kangxi radicals
			return true
		}
	}
	return false
}

// missing reports whether a surface value stands for "not known".
func missing(s string) bool {
	switch s {
	case "", "-", "--", "?", "n/a", "na", "null", "none", "unknown", "无", "不详", "未知":
		return true
	}
	return false
}

// prepare normalises a surface value for the column's kind and returns it
// with its key string; ok is false when nothing usable is left.
func (c *column) prepare(s string) (v value, key string, ok bool) {
	switch c.Kind {
	case Name:
		toks := nameTokens(s, c.Part)
		if len(toks) == 0 {
			return v, "", false
		}
		sorted := slices.Clone(toks)
		slices.Sort(sorted)
		v.ntok = uint8(min(len(toks), 255))
		v.s = strings.Join(toks, "")
		v.aux = uint32(len(c.alts))
		c.alts = append(c.alts, strings.Join(sorted, ""))
		return v, strings.Join(sorted, " "), true
	case Date:
		v.s, v.ok = c.layout.normDate(s)
		if v.s == "" {
			return v, "", false
		}
		return v, v.s, true
	case Sex:
		switch s {
		case "m", "male", "man", "男", "1", "男性":
			v.s = "m"
		case "f", "female", "woman", "女", "2", "女性":
			v.s = "f"
		case "u", "x", "0", "9", "o", "other":
			return v, "", false
		default:
			v.s = s
		}
		return v, v.s, true
	case Phone:
		d := onlyDigits(s)
		if (len(d) == 13 && strings.HasPrefix(d, "86")) || (len(d) == 15 && strings.HasPrefix(d, "0086")) {
			d = d[len(d)-11:]
		}
		if d == "" || strings.Trim(d, "0") == "" {
			return v, "", false
		}
		v.s = d
		return v, d, true
	case ID:
		if plainID(s) {
			v.s = strings.ToUpper(s) // only the letters, if any, are rewritten
			if strings.Trim(v.s, "0") == "" {
				return v, "", false
			}
			return v, v.s, true
		}
		var b strings.Builder
		for _, r := range s {
			if r < 0x80 && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z') {
				b.WriteRune(unicode.ToUpper(r))
			} else if r >= 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
				b.WriteRune(r)
			}
		}
		v.s = b.String()
		if v.s == "" || strings.Trim(v.s, "0") == "" {
			return v, "", false
		}
		return v, v.s, true
	case Text:
		// In the arena: the number of tokens, then the tokens. They are
		// written past the arena's end (when it has room): appending them
		// in place copies nothing.
		off := len(c.arena)
		c.arena = append(c.arena, 0)
		tids := c.textTokens(s, c.arena[len(c.arena):])
		if len(tids) == 0 {
			c.arena = c.arena[:off]
			return v, "", false
		}
		c.arena[off] = uint32(len(tids))
		v.aux = uint32(off)
		c.arena = append(c.arena, tids...)
		// The key is a hash of the tokens: Chinese addresses make many
		// tokens, and a million of them should not be kept as strings twice.
		h := uint64(14695981039346656037)
		for _, t := range tids {
			h = (h ^ uint64(t)) * 1099511628211
		}
		var k [8]byte
		binary.LittleEndian.PutUint64(k[:], h)
		return v, string(k[:]), true
	}
	v.s = s
	return v, s, true
}

// plainID reports whether s holds only ASCII digits and letters: an
// identifier written as it should be, with nothing to strip.
func plainID(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return s != ""
}

// textWords writes the common street abbreviations in full, so that a typo
// in the full word ("setreet") still meets it.
var textWords = map[string]string{
	"st": "street", "str": "street", "rd": "road", "ave": "avenue", "av": "avenue", "cres": "crescent",
	"pl": "place", "dr": "drive", "ct": "court", "cct": "circuit", "cl": "close", "pde": "parade",
	"tce": "terrace", "hwy": "highway", "ln": "lane", "blvd": "boulevard", "sq": "square",
	"mt": "mount", "apt": "apartment", "bldg": "building", "no": "number",
}

// hanBit marks the token id of a Han bigram: the id is the bigram's hash,
// with no table (a Chinese address makes some twenty bigrams, and a table
// lookup for each is most of the cost of preparing a million addresses).
// Two bigrams sharing a hash would only count as one token.
const hanBit = 1 << 31

// textTokens splits a text into its distinct tokens, as the column's token
// ids, sorted: latin words (street abbreviations written in full), digit
// runs, and for Han text the character bigrams — Chinese addresses have no
// spaces, and bigrams make 建设路12号 and 建设路12号院 overlap. The common
// Chinese address words are written one way: 号楼 and 幢 as 栋, 號 as 号.
func (c *column) textTokens(s string, out []uint32) []uint32 {
	word := func(w []byte) {
		if a, ok := textWords[string(w)]; ok {
			w = []byte(a)
		}
		id, ok := c.tokIntern[string(w)]
		if !ok {
			id = uint32(len(c.tokStr))
			c.tokIntern[string(w)] = id
			c.tokStr = append(c.tokStr, string(w))
		}
		out = append(out, id)
	}
	han := func(a, b rune) {
		h := (uint64(a)<<32 | uint64(b)) * 0x9e3779b97f4a7c15
		out = append(out, hanBit|uint32(h>>33))
	}
	var buf [64]byte
	cur := buf[:0]
	digit := false
	var prev rune // the last Han character of a run, or 0
	single := false
	flush := func() {
		if len(cur) > 0 {
			word(cur)
			cur = cur[:0]
		}
	}
	endHan := func() {
		if prev != 0 && single {
			han(prev, 0)
		}
		prev, single = 0, false
	}
	for i, r := range s {
		switch r {
		case '幢':
			r = '栋'
		case '號':
			r = '号'
		case '楼':
			if i >= len("号") && s[i-len("号"):i] == "号" {
				continue // 号楼: the 号 was taken as 栋
			}
		case '号':
			if strings.HasPrefix(s[i+len("号"):], "楼") {
				r = '栋'
			}
		}
		switch {
		case r >= 0x2e80 && unicode.Is(unicode.Han, r):
			flush()
			if prev == 0 {
				single = true
			} else {
				han(prev, r)
				single = false
			}
			prev = r
		case unicode.IsDigit(r) || unicode.IsLetter(r):
			endHan()
			d := unicode.IsDigit(r)
			if len(cur) > 0 && d != digit {
				flush() // 12b → 12 b; unit3 → unit 3
			}
			digit = d
			cur = utf8.AppendRune(cur, stripMark(r))
		case r == '\'':
		default:
			flush()
			endHan()
		}
	}
	flush()
	endHan()
	slices.Sort(out)
	return slices.Compact(out)
}

// level compares two different present values of the column (value ids
// a ≠ b, both non-zero). Except for names and text, different values have
// different normalised forms: there is no exact level to find here.
func (c *column) level(a, b *value) uint8 {
	if c.Kind != Name && a.key == b.key {
		return 1 // two ways of writing one value: 1985-3-7 and 1985-03-07
	}
	switch c.Kind {
	case Exact, Sex:
		return 2
	case Name:
		if a.key == b.key {
			return 2
		}
		jw := jaroWinkler(a.s, b.s)
		if jw < 0.92 && (a.ntok > 1 || b.ntok > 1) {
			jw = max(jw, jaroWinkler(c.alts[a.aux], c.alts[b.aux])) // word order aside
		}
		switch {
		case jw >= 0.92:
			return 3
		case jw >= 0.80:
			return 4
		}
		return 6
	case Date:
		if a.ok && b.ok && len(a.s) == 8 && len(b.s) == 8 {
			if a.s[:4] == b.s[:4] && a.s[4:6] == b.s[6:8] && a.s[6:8] == b.s[4:6] {
				return 2
			}
			if strings.IndexByte(a.s, '?') < 0 && strings.IndexByte(b.s, '?') < 0 && oneEdit(a.s, b.s) {
				return 3
			}
			if a.s[:4] == b.s[:4] {
				return 4
			}
			return 5
		}
		if oneEdit(a.s, b.s) {
			return 3
		}
		return 5
	case Phone:
		if len(a.s) >= 8 && len(b.s) >= 8 && a.s[len(a.s)-8:] == b.s[len(b.s)-8:] {
			return 2
		}
		if oneEdit(a.s, b.s) {
			return 3
		}
		return 4
	case Text:
		if a.key == b.key {
			return 1
		}
		o := c.overlap(c.tids(a), c.tids(b))
		switch {
		case o >= 0.8:
			return 2
		case o >= 0.5:
			return 3
		}
		return 4
	case ID:
		if oneEdit(a.s, b.s) {
			return 2
		}
		return 3
	}
	return 0
}

// tids are a Text value's token ids.
func (c *column) tids(v *value) []uint32 {
	return c.arena[v.aux+1 : v.aux+1+c.arena[v.aux]]
}

// overlap is the Dice coefficient of two sorted token sets, where two latin
// tokens of four letters or more also meet when their Jaro–Winkler
// similarity is at least 0.9 ("setreet" and "street").
func (c *column) overlap(a, b []uint32) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	var ua, ub [32]uint32
	na, nb := 0, 0
	common := 0
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			common++
			i++
			j++
		case a[i] < b[j]:
			if na < len(ua) {
				ua[na] = a[i]
				na++
			}
			i++
		default:
			if nb < len(ub) {
				ub[nb] = b[j]
				nb++
			}
			j++
		}
	}
	for ; i < len(a) && na < len(ua); i++ {
		ua[na] = a[i]
		na++
	}
	for ; j < len(b) && nb < len(ub); j++ {
		ub[nb] = b[j]
		nb++
	}
	var used [32]bool
	for _, xi := range ua[:na] {
		if xi&hanBit != 0 {
			continue
		}
		x := c.tokStr[xi]
		if len(x) < 4 || !isASCII(x) {
			continue
		}
		for k, yi := range ub[:nb] {
			if yi&hanBit != 0 {
				continue
			}
			y := c.tokStr[yi]
			// Jaro–Winkler ≥ 0.9 needs near lengths; a typo in the first
			// letter is let go for speed.
			if used[k] || len(y) < 4 || y[0] != x[0] || len(y) > len(x)+2 || len(x) > len(y)+2 {
				continue
			}
			if jaroWinkler(x, y) >= 0.9 {
				used[k] = true
				common++
				break
			}
		}
	}
	return 2 * float64(common) / float64(len(a)+len(b))
}
