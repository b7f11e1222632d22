package resolve

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// pinyinOf maps a Han character to its toneless pinyin.
var pinyinOf = func() map[rune]string {
	m := make(map[rune]string, 900)
	for _, e := range strings.Fields(pinyinTable) {
		r, n := utf8.DecodeRuneInString(e)
		m[r] = foldU(e[n:])
	}
	return m
}()

// compoundSurnames are the two-character surnames: 司马光 is Sima Guang.
var compoundSurnames = map[string]bool{
	"司马": true, "欧阳": true, "诸葛": true, "上官": true, "夏侯": true, "东方": true,
	"皇甫": true, "令狐": true, "司徒": true, "慕容": true, "尉迟": true, "公孙": true,
	"长孙": true, "宇文": true, "端木": true, "南宫": true, "西门": true, "独孤": true,
}

// Pinyin returns the toneless pinyin of each Han character of s, lower
// case, in order; characters that are not Han, or that the table does not
// know, are returned as they are.
func Pinyin(s string) []string {
	var out []string
	for _, r := range s {
		if p, ok := pinyinOf[r]; ok {
			out = append(out, p)
		} else if !unicode.IsSpace(r) {
			out = append(out, string(r))
		}
	}
	return out
}

// foldU writes ü as v, the way ID cards and keyboards do (Lü, Lyu, Lv → lv).
func foldU(s string) string {
	if strings.Contains(s, "ü") {
		s = strings.ReplaceAll(s, "ü", "v")
	}
	if strings.HasPrefix(s, "lyu") || strings.HasPrefix(s, "nyu") {
		s = s[:1] + "v" + s[3:]
	}
	return s
}

// NamePart says which part of a name a name field holds; it matters only
// for Han names, which carry no spaces: 张建国 as a full name is
// "zhang jianguo", as a given name "zhangjianguo".
type NamePart uint8

const (
	FullName NamePart = iota
	GivenName
	Surname
)

// nameTokens normalises a name, Han or latin, to lower-case toneless pinyin
// tokens: 张建国 → [zhang jianguo]; "ZHANG Jian-Guo" → [zhang jianguo];
// "Xi'an" → [xian]. Full-width forms are folded and diacritics dropped.
func nameTokens(s string, part NamePart) []string {
	s = norm.NFKC.String(s)
	var toks []string
	var han []rune
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, foldU(cur.String()))
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			flush()
			han = append(han, r)
		case r == '·' || r == '•' || r == '・':
			// 阿依古丽·买买提: a name in parts, not a surname and a given name.
			flush()
			if len(han) > 0 {
				toks = append(toks, hanSyllables(han))
				han = han[:0]
			}
			part = GivenName
		case r == '\'' || r == '’' || r == '-' || r == '‐':
			// Xi'an, Jian-Guo: one token.
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if r == 'ü' || r == 'Ü' {
				cur.WriteByte('v')
				continue
			}
			cur.WriteString(string(unicode.ToLower(stripMark(r))))
		default: // spaces, commas, dots, the middle dot of minority names
			flush()
		}
	}
	flush()
	if len(han) == 0 {
		return toks
	}
	// A Han name: the surname, then the given name as one token.
	if part != FullName || len(han) < 2 {
		return append(toks, hanSyllables(han))
	}
	n := 1
	if len(han) >= 3 && compoundSurnames[string(han[:2])] {
		n = 2
	}
	return append(toks, hanSyllables(han[:n]), hanSyllables(han[n:]))
}

// hanSyllables writes Han characters in pinyin, joined; a character the
// table does not know is kept as it is.
func hanSyllables(han []rune) string {
	var b strings.Builder
	for _, r := range han {
		if p, ok := pinyinOf[r]; ok {
			b.WriteString(p)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// stripMark folds the accented latin letters to their base letter.
func stripMark(r rune) rune {
	if r < 0x80 {
		return r
	}
	d := norm.NFD.String(string(r))
	b, _ := utf8.DecodeRuneInString(d)
	return b
}
