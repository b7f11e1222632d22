package resolve

import (
	"fmt"
	"strings"
	"time"
)

// Kind is how a field is compared.
type Kind uint8

const (
	Exact Kind = iota // equal after trimming and case folding
	Name              // personal names, Han or pinyin/latin
	Date              // dates, with a layout
	Sex               // m/f, 男/女, 1/2
	Phone             // phone numbers
	Text              // free text such as addresses
	ID                // identifiers: an id number, a social security number
	numKinds
)

var kindNames = [numKinds]string{"exact", "name", "date", "sex", "phone", "text", "id"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind is the inverse of Kind.String.
func ParseKind(s string) (Kind, error) {
	for i, n := range kindNames {
		if s == n {
			return Kind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown comparison %q (want one of %s)", s, strings.Join(kindNames[:], ", "))
}

// Levels of agreement. Level 0 of every field is Null: one side or both is
// missing, and the field says nothing. The others are numbered from 1, the
// strongest agreement first; the last is disagreement.
const Null = 0

var kindLevels = [numKinds][]string{
	Exact: {"exact", "different"},
	Name:  {"exact", "same pinyin", "jaro-winkler >= 0.92", "jaro-winkler >= 0.80", "swapped with another name field", "different"},
	Date:  {"exact", "day and month swapped", "one digit off", "same year", "different"},
	Sex:   {"exact", "different"},
	Phone: {"exact", "same last 8 digits", "one digit off", "different"},
	Text:  {"exact", "token overlap >= 0.8", "token overlap >= 0.5", "different"},
	ID:    {"exact", "one substitution or transposition", "different"},
}

// Levels returns the names of a kind's levels, from level 1.
func (k Kind) Levels() []string { return kindLevels[k] }

// tfLevels says which levels of a kind take the term-frequency adjustment:
// agreement on the value itself.
func (k Kind) tfLevel(l uint8) bool {
	return l == 1 || (k == Name && l == 2)
}

// DefaultTF says whether a kind's agreement is adjusted for the frequency of
// the value agreed on unless a field says otherwise: yes for names, text,
// identifiers, phones and exact fields; no for dates and sex.
func (k Kind) DefaultTF() bool { return k != Date && k != Sex }

// Field is one compared attribute.
type Field struct {
	Name   string   // a label: the column it comes from
	Kind   Kind     //
	Layout string   // Date: a Go time layout, "20060102" (the default) or "2006-01-02" …
	Part   NamePart // Name: which part of a name the field holds (only Han names care)
	// Swap names another Name field: a value equal to the other record's
	// value of that field agrees at level "swapped" (a surname written as
	// the given name, and the other way round).
	Swap string
	// TF adjusts exact agreement for the frequency of the value agreed on:
	// two records sharing 王伟 say less than two sharing 诸葛亮.
	TF bool
}

// dateLayout is a date layout taken apart: the order and width of year,
// month and day.
type dateLayout struct {
	layout string
	order  [3]byte // 'y', 'm', 'd' in the order they appear
	width  [3]int  // 0 when the width varies
	fixed  bool    // digits only, fixed widths: parse by position
	names  bool    // month names: parse with time.Parse
}

// parseLayout checks a Go date layout and takes it apart.
func parseLayout(layout string) (dateLayout, error) {
	d := dateLayout{layout: layout, fixed: true}
	if layout == "" {
		layout, d.layout = "20060102", "20060102"
	}
	ref := time.Date(1987, 11, 23, 0, 0, 0, 0, time.UTC)
	back, err := time.Parse(layout, ref.Format(layout))
	if err != nil || !back.Equal(ref) {
		return d, fmt.Errorf("date layout %q does not hold a year, a month and a day (write it as Go does: 20060102, 2006-01-02, 02/01/2006, 2 Jan 2006)", layout)
	}
	n := 0
	add := func(c byte, w int) {
		if n < 3 {
			d.order[n], d.width[n] = c, w
		}
		n++
	}
	for i := 0; i < len(layout); {
		rest := layout[i:]
		switch {
		case strings.HasPrefix(rest, "2006"):
			add('y', 4)
			i += 4
		case strings.HasPrefix(rest, "January"):
			add('m', 0)
			d.names, d.fixed = true, false
			i += 7
		case strings.HasPrefix(rest, "Jan"):
			add('m', 0)
			d.names, d.fixed = true, false
			i += 3
		case strings.HasPrefix(rest, "01"):
			add('m', 2)
			i += 2
		case strings.HasPrefix(rest, "02"):
			add('d', 2)
			i += 2
		case strings.HasPrefix(rest, "_2"):
			add('d', 0)
			d.fixed = false
			i += 2
		case strings.HasPrefix(rest, "1"):
			add('m', 0)
			d.fixed = false
			i++
		case strings.HasPrefix(rest, "2"):
			add('d', 0)
			d.fixed = false
			i++
		default:
			d.fixed = false
			i++
		}
	}
	if n != 3 {
		return d, fmt.Errorf("date layout %q: want exactly one year (2006), month (01, 1, Jan) and day (02, 2, _2)", layout)
	}
	return d, nil
}

// normDate writes a date as YYYYMMDD, with ?? for a part that is missing
// ("1985????" when only the year is known). ok is false when the value
// cannot be read under the layout; s is then its digits, compared as they
// are.
func (d *dateLayout) normDate(v string) (s string, ok bool) {
	var y, m, dd string
	set := func(c byte, x string) {
		switch c {
		case 'y':
			y = x
		case 'm':
			m = x
		case 'd':
			dd = x
		}
	}
	digits := onlyDigits(v)
	switch {
	case d.names:
		t, err := time.Parse(d.layout, v)
		if err != nil {
			break
		}
		return t.Format("20060102"), true
	case d.fixed && len(digits) == 8 && len(v) == 8:
		p := 0
		for i := range 3 {
			set(d.order[i], digits[p:p+d.width[i]])
			p += d.width[i]
		}
	default:
		var groups []string
		for f := range strings.FieldsFuncSeq(v, func(r rune) bool { return r < '0' || r > '9' }) {
			groups = append(groups, f)
		}
		if len(groups) == 3 {
			for i := range 3 {
				set(d.order[i], groups[i])
			}
		} else if len(digits) == 8 && d.width[0]*d.width[1]*d.width[2] != 0 {
			p := 0 // 19870123 under 2006-01-02: the widths are known
			for i := range 3 {
				set(d.order[i], digits[p:p+d.width[i]])
				p += d.width[i]
			}
		}
	}
	if y == "" && len(digits) == 4 && digits == strings.TrimSpace(v) {
		return digits + "????", true // a year alone
	}
	if len(y) != 4 || len(m) < 1 || len(m) > 2 || len(dd) < 1 || len(dd) > 2 {
		return digits, false
	}
	return y + pad2(m) + pad2(dd), true
}

func pad2(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

func onlyDigits(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b = append(b, c)
		} else if c >= 0x80 {
			// Full-width digits ０-９ are three bytes: EF BC 90..99.
			if i+2 < len(s) && c == 0xEF && s[i+1] == 0xBC && s[i+2] >= 0x90 && s[i+2] <= 0x99 {
				b = append(b, '0'+s[i+2]-0x90)
				i += 2
			}
		}
	}
	if len(b) == len(s) {
		return s
	}
	return string(b)
}
