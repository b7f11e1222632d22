package ident

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// now is the fixed "today" of the tests: 1 June 2025, UTC.
var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// person17 completes 17 digits with their GB 11643 check character, for
// numbers NewPersonID will not build (an address below 110000).
func person17(first17 string) string {
	return first17 + string(personCheck([]byte(first17)))
}

// withOrgCheck replaces the GB 11714 check character (position 17) of a
// valid code and recomputes the final check character, so that the code
// fails only on the organisation code.
func withOrgCheck(code string, c byte) string {
	b := []byte(code)
	b[16] = c
	var v [17]int
	for i := range v {
		v[i] = int(usccValue[b[i]])
	}
	b[17] = usccAlphabet[usccCheckValue(v[:])]
	return string(b)
}

// withLast replaces the last character of s.
func withLast(s string, c byte) string { return s[:len(s)-1] + string(c) }

// The GB 11643-1999 standard's own example, checked by hand:
// digits 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 times weights
// 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 sum to
// 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2;
// (12-2) mod 11 = 10, written X.
const stdExample = "11010519491231002X"

// The standard's second example, 440524188001010014: the sum is
// 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195; 195 mod 11 = 8;
// (12-8) mod 11 = 4. Its check character is right, but its holder was born
// in 1880, before the 1900 that credo accepts.
const stdExample1880 = "440524188001010014"

// A widely quoted GB 32100 sample, checked by hand: values
// 9 1 3 5 0 1 0 0 M=21 0 0 0 1 0 0 Y=30 4 times weights 3^(i-1) mod 31
// (1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28) sum to 1640;
// 1640 mod 31 = 28; 31-28 = 3. Its organisation code M000100Y-4: GB 11714
// values M=22, Y=34 times 3 7 9 10 5 8 4 2 sum to 66+5+68 = 139;
// 139 mod 11 = 7; 11-7 = 4.
const usccExample = "91350100M000100Y43"

// An all-digit code (about a third of real codes have no letter), which the
// first version of CheckAt took for a resident identity number with a bad
// province: the sum is 584, 584 mod 31 = 26, 31-26 = 5; the organisation code
// 10001288-5: 3+5+16+32+16 = 72, 72 mod 11 = 6, 11-6 = 5.
const usccDigits = "911100001000128855"

func TestHandComputedExamples(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want Result
	}{
		{stdExample, Result{Kind: Person}},
		{stdExample1880, Result{Kind: Person, Reason: Date}},
		{usccExample, Result{Kind: Organization}},
		{usccDigits, Result{Kind: Organization}},
	} {
		if got := CheckAt(tc.id, now); got != tc.want {
			t.Errorf("CheckAt(%q) = %+v, want %+v", tc.id, got, tc.want)
		}
	}
	// The hand sums above, recomputed.
	if c := personCheck([]byte(stdExample1880[:17])); c != '4' {
		t.Errorf("check of %s = %c, want 4", stdExample1880, c)
	}
	if got := NewPersonID(110105, 1949, 12, 31, 2); got != stdExample {
		t.Errorf("NewPersonID = %s, want %s", got, stdExample)
	}
	if got := orgCheck([]byte("M000100Y")); got != '4' {
		t.Errorf("orgCheck(M000100Y) = %c, want 4", got)
	}
}

func TestCheckAtPerson(t *testing.T) {
	p := NewPersonID
	valid := p(440305, 1990, 7, 15, 123)
	badCheck := withLast(valid, personCheck([]byte(valid[:17]))^1)
	if valid[17] == 'X' {
		t.Fatal("pick another example")
	}
	for _, tc := range []struct {
		name string
		id   string
		want Result
	}{
		{"standard example", stdExample, Result{Kind: Person}},
		{"generated", valid, Result{Kind: Person}},
		{"lower-case x", "11010519491231002x", Result{Kind: Person}},
		{"spaces", " 110105 19491231 002X ", Result{Kind: Person}},
		{"hyphens", "110105-1949-1231-002-X", Result{Kind: Person}},
		{"spaces and hyphens and x", "110105 - 19491231 - 002x", Result{Kind: Person}},

		{"empty", "", Result{Reason: Empty}},
		{"only separators", " - -  ", Result{Reason: Empty}},
		{"17 digits", "11010519491231002", Result{Kind: Person, Reason: Length}},
		{"19 characters", "11010519491231002X1", Result{Kind: Person, Reason: Length}},
		{"15-digit first generation", "110105491231002", Result{Kind: Person, Reason: Length}},
		{"19 with a space is 18", "11010519491231 002X", Result{Kind: Person}},

		{"letter inside", "1101051949123100AX", Result{Kind: Person, Reason: Character, Pos: 17}},
		{"letter O for zero", "110105194912310O2X", Result{Kind: Person, Reason: Character, Pos: 16}},
		{"Y for X", "11010519491231002Y", Result{Kind: Person, Reason: Character, Pos: 18}},
		{"NUL inside", "11010519491231\x0002X", Result{Kind: Person, Reason: Character, Pos: 15}},
		{"tab inside", "1101051949\t231002X", Result{Kind: Person, Reason: Character, Pos: 11}},
		{"position after separators", "110105 1949 1231 0A2X", Result{Kind: Person, Reason: Character, Pos: 16}},
		{"full-width digit", "110105１9491231002X", Result{Kind: Person, Reason: Character, Pos: 7}},
		{"all full-width", "１１０１０５１９４９１２３１００２Ｘ", Result{Kind: Person, Reason: Character, Pos: 1}},
		{"full-width X", "11010519491231002Ｘ", Result{Kind: Person, Reason: Character, Pos: 18}},
		{"full-width, 17 characters", "１１０１０５１９４９１２３１００２", Result{Kind: Person, Reason: Length}},

		{"province 00", person17("00010519491231002"), Result{Kind: Person, Reason: Province}},
		{"province 20", person17("20010519491231002"), Result{Kind: Person, Reason: Province}},
		{"province 72", p(720105, 1949, 12, 31, 2), Result{Kind: Person, Reason: Province}},
		{"province 84", p(840105, 1949, 12, 31, 2), Result{Kind: Person, Reason: Province}},
		// 16 and 59 start with a registering authority, but the birth date
		// says resident identity number.
		{"province 16", p(160105, 1949, 12, 31, 2), Result{Kind: Person, Reason: Province}},
		{"province 59", p(590105, 1949, 12, 31, 2), Result{Kind: Person, Reason: Province}},
		{"province 99", p(990105, 1949, 12, 31, 2), Result{Kind: Person, Reason: Province}},
		{"province 71 Taiwan", p(710105, 1949, 12, 31, 2), Result{Kind: Person}},
		{"province 83", p(830105, 1949, 12, 31, 2), Result{Kind: Person}},

		{"Feb 29 in 2000 (divisible by 400)", p(110105, 2000, 2, 29, 2), Result{Kind: Person}},
		{"Feb 29 in 2024", p(110105, 2024, 2, 29, 2), Result{Kind: Person}},
		{"Feb 29 in 2023", p(110105, 2023, 2, 29, 2), Result{Kind: Person, Reason: Date}},
		{"Feb 29 in 1900 (not leap)", p(110105, 1900, 2, 29, 2), Result{Kind: Person, Reason: Date}},
		{"Feb 28 in 1900", p(110105, 1900, 2, 28, 2), Result{Kind: Person}},
		{"Feb 30", p(110105, 2000, 2, 30, 2), Result{Kind: Person, Reason: Date}},
		{"Apr 30", p(110105, 1980, 4, 30, 2), Result{Kind: Person}},
		{"Apr 31", p(110105, 1980, 4, 31, 2), Result{Kind: Person, Reason: Date}},
		{"Dec 31", p(110105, 1980, 12, 31, 2), Result{Kind: Person}},
		{"month 00", p(110105, 1980, 0, 10, 2), Result{Kind: Person, Reason: Date}},
		{"month 13", p(110105, 1980, 13, 10, 2), Result{Kind: Person, Reason: Date}},
		{"day 00", p(110105, 1980, 1, 0, 2), Result{Kind: Person, Reason: Date}},
		{"day 32", p(110105, 1980, 1, 32, 2), Result{Kind: Person, Reason: Date}},
		{"1900-01-01", p(110105, 1900, 1, 1, 2), Result{Kind: Person}},
		{"1899-12-31", p(110105, 1899, 12, 31, 2), Result{Kind: Person, Reason: Date}},
		{"year 0000", p(110105, 0, 1, 1, 2), Result{Kind: Person, Reason: Date}},
		{"born today", p(110105, 2025, 6, 1, 2), Result{Kind: Person}},
		{"born tomorrow", p(110105, 2025, 6, 2, 2), Result{Kind: Person, Reason: Date}},
		{"born next year", p(110105, 2026, 1, 1, 2), Result{Kind: Person, Reason: Date}},
		{"born 2099", p(110105, 2099, 12, 31, 2), Result{Kind: Person, Reason: Date}},
		{"born 9999", p(110105, 9999, 12, 31, 2), Result{Kind: Person, Reason: Date}},

		{"check off by one", badCheck, Result{Kind: Person, Reason: CheckChar}},
		{"X where a digit belongs", withLast(valid, 'X'), Result{Kind: Person, Reason: CheckChar}},
		{"digit where X belongs", withLast(stdExample, '0'), Result{Kind: Person, Reason: CheckChar}},
		{"x where a digit belongs", withLast(valid, 'x'), Result{Kind: Person, Reason: CheckChar}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckAt(tc.id, now); got != tc.want {
				t.Errorf("CheckAt(%q) = %+v (%v), want %+v (%v)", tc.id, got, got, tc.want, tc.want)
			}
			// The person-only check agrees wherever CheckAt judged a person.
			if tc.want.Kind == Person {
				if got := CheckPersonAt(tc.id, now); got != tc.want {
					t.Errorf("CheckPersonAt(%q) = %+v, want %+v", tc.id, got, tc.want)
				}
			}
		})
	}
}

func TestCheckAtOrganization(t *testing.T) {
	valid := NewUSCC('9', '1', 440300, 123456789)
	letters := NewUSCC('Y', 'A', 110108, 852891037441-1) // the largest body, YYYYYYYY
	if !strings.Contains(letters, "YYYYYYYY") {
		t.Fatalf("NewUSCC max body = %s", letters)
	}
	var otherOrg byte = '0'
	if valid[16] == '0' {
		otherOrg = '1'
	}
	for _, tc := range []struct {
		name string
		id   string
		want Result
	}{
		{"sample", usccExample, Result{Kind: Organization}},
		{"all digits", usccDigits, Result{Kind: Organization}},
		{"generated", valid, Result{Kind: Organization}},
		{"largest body", letters, Result{Kind: Organization}},
		{"authority 1", NewUSCC('1', '1', 110000, 42), Result{Kind: Organization}},
		{"authority 5", NewUSCC('5', '3', 530100, 4242), Result{Kind: Organization}},
		{"authority Y", NewUSCC('Y', '1', 310000, 424242), Result{Kind: Organization}},
		{"lower case", "91350100m000100y43", Result{Kind: Organization}},
		{"spaces", "9135 0100 M000 100Y 43", Result{Kind: Organization}},
		{"hyphens", "91350100-M000100Y-4-3", Result{Kind: Organization}},
		{"lower-case authority y", strings.ToLower(NewUSCC('Y', '1', 310000, 424242)), Result{Kind: Organization}},

		{"17 characters", usccExample[:17], Result{Kind: Organization, Reason: Length}},
		{"19 characters", usccExample + "0", Result{Kind: Organization, Reason: Length}},

		{"I", "91350100M000100I43", Result{Kind: Organization, Reason: Character, Pos: 16}},
		{"O", "91350100MO00100Y43", Result{Kind: Organization, Reason: Character, Pos: 10}},
		{"S", "91350100M000100Y4S", Result{Kind: Organization, Reason: Character, Pos: 18}},
		{"V", "9V350100M000100Y43", Result{Kind: Organization, Reason: Character, Pos: 2}},
		{"Z", "91350100Z000100Y43", Result{Kind: Organization, Reason: Character, Pos: 9}},
		{"lower-case i", "91350100M000100i43", Result{Kind: Organization, Reason: Character, Pos: 16}},
		{"first bad one wins", "9135O100M000100I43", Result{Kind: Organization, Reason: Character, Pos: 5}},
		{"punctuation", "91350100M000100Y4.", Result{Kind: Organization, Reason: Character, Pos: 18}},
		{"Chinese", "统一社会信用代码九一三五零一零零号码", Result{Kind: Organization, Reason: Character, Pos: 1}},
		{"Chinese, short", "统一社会信用代码", Result{Kind: Organization, Reason: Length}},

		{"authority 2", NewUSCC('2', '1', 110000, 42), Result{Kind: Organization, Reason: Authority}},
		{"authority A", NewUSCC('A', '1', 110000, 42), Result{Kind: Organization, Reason: Authority}},
		{"authority N", NewUSCC('N', '1', 110000, 42), Result{Kind: Organization, Reason: Authority}},
		{"authority 0, all digits", NewUSCC('0', '1', 110000, 42), Result{Kind: Organization, Reason: Authority}},

		{"check", withLast(valid, usccAlphabet[(usccValue[valid[17]]+1)%31]), Result{Kind: Organization, Reason: CheckChar}},
		{"check of sample", withLast(usccExample, '4'), Result{Kind: Organization, Reason: CheckChar}},
		{"all digits, bad check", withLast(usccDigits, '6'), Result{Kind: Organization, Reason: CheckChar}},
		{"organisation code", withOrgCheck(valid, otherOrg), Result{Kind: Organization, Reason: OrgCode}},
		{"organisation code of sample", withOrgCheck(usccExample, '5'), Result{Kind: Organization, Reason: OrgCode}},
		{"organisation check X", withOrgCheck(usccExample, 'X'), Result{Kind: Organization, Reason: OrgCode}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckAt(tc.id, now); got != tc.want {
				t.Errorf("CheckAt(%q) = %+v (%v), want %+v (%v)", tc.id, got, got, tc.want, tc.want)
			}
			if got := CheckOrganization(tc.id); got != tc.want {
				t.Errorf("CheckOrganization(%q) = %+v, want %+v", tc.id, got, tc.want)
			}
		})
	}
}

// TestJudgement pins down which scheme an invalid identifier is judged
// under, so that its reason is the useful one.
func TestJudgement(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   string
		want Kind
	}{
		// Person-shaped, a province but a bad date: a person (a typo in the
		// birth date), even though 1 is an authority.
		{"person, bad date", NewPersonID(110105, 1949, 13, 31, 2), Person},
		// Person-shaped, first digit an authority, no province, no date: an
		// all-digit code with a typo.
		{"all-digit code, typo", withLast(usccDigits, '6'), Organization},
		{"all-digit code, 5", withLast(NewUSCC('5', '1', 110000, 42), 'X'), Organization},
		// Person-shaped, no province and no authority.
		{"no province, no authority", person17("30010519491231002"), Person},
		// One letter, a province and a birth year: a person with a typo.
		{"one letter", "11010519A91231002X", Person},
		{"one letter in the year", "1101051A491231002X", Person},
		{"one letter in the province", "1A010519491231002X", Person},
		// One letter but no plausible year: a code with a typo.
		{"one letter, year 0040", withLast(NewUSCC('1', '2', 100000, 400000624), 'D'), Organization},
		{"one letter, no province", "9111000010001288A5", Organization},
		// Two letters: a code.
		{"two letters", "11010519A91231B02X", Organization},
		{"sample code, typo", withLast(usccExample, 'Q'), Organization},
		// Wrong length: digits read as a person, anything else as an
		// organisation, nothing as unknown.
		{"short digits", "1101051949", Person},
		{"short digits and X", "1101051949X", Person},
		{"short with letters", "91350100M0", Organization},
		{"only X", "XX", Unknown},
		{"full-width digits, short", "１２３", Person},
		{"Chinese, short", "张三", Organization},
	} {
		if got := CheckAt(tc.id, now); got.Kind != tc.want || got.Valid() {
			t.Errorf("%s: CheckAt(%q) = %+v, want an invalid %v", tc.name, tc.id, got, tc.want)
		}
	}
}

func TestCheckAtTimeZones(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	samoa := time.FixedZone("+14", 14*3600)
	baker := time.FixedZone("-12", -12*3600)
	// 2025-05-31 20:00 UTC is already 1 June in Shanghai.
	at := time.Date(2025, 5, 31, 20, 0, 0, 0, time.UTC)
	born1June := NewPersonID(310101, 2025, 6, 1, 8)
	born2June := NewPersonID(310101, 2025, 6, 2, 8)
	for _, tc := range []struct {
		now  time.Time
		id   string
		want Reason
	}{
		{at, born1June, Date},
		{at.In(shanghai), born1June, OK},
		{at.In(shanghai), born2June, Date},
		{at.In(samoa), born2June, Date}, // 10:00 on 1 June
		{at.In(samoa).Add(14 * time.Hour), born2June, OK},
		{at.In(baker), born1June, Date}, // 08:00 on 31 May
		{at.In(baker).Add(28 * time.Hour), born1June, OK},
	} {
		if got := CheckAt(tc.id, tc.now); got.Reason != tc.want {
			t.Errorf("CheckAt(%s, %v) = %v, want %v", tc.id, tc.now, got, tc.want)
		}
	}
}

// TestAfter compares the fast future-date test with now.Date() for dates
// around many moments in many zones.
func TestAfter(t *testing.T) {
	zones := []*time.Location{time.UTC, time.Local,
		time.FixedZone("+14", 14*3600), time.FixedZone("-12", -12*3600),
		time.FixedZone("+25:59", 26*3600-60), time.FixedZone("-47", -47*3600),
		time.FixedZone("+47", 47*3600)}
	if sh, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		zones = append(zones, sh)
	}
	base := []time.Time{
		time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 2, 29, 23, 59, 59, 999999999, time.UTC),
		time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), // negative Unix time
		time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2099, 12, 31, 13, 0, 0, 0, time.UTC),
	}
	for _, b := range base {
		for h := -30; h <= 30; h++ {
			for _, z := range zones {
				at := b.Add(time.Duration(h) * time.Hour).In(z)
				ny, nm, nd := at.Date()
				today := ny*10000 + int(nm)*100 + nd
				for dd := -6; dd <= 6; dd++ {
					y, m, d := at.AddDate(0, 0, dd).Date()
					want := y*10000+int(m)*100+d > today
					if got := after(y, int(m), d, at); got != want {
						t.Fatalf("after(%d-%d-%d, %v) = %v, want %v", y, m, d, at, got, want)
					}
				}
			}
		}
	}
}

func TestDaysFromCivil(t *testing.T) {
	for d := time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2201; d = d.AddDate(0, 0, 1) {
		want := d.Unix() / 86400
		if d.Unix() < 0 {
			want = (d.Unix() - 86399) / 86400
		}
		if got := daysFromCivil(d.Year(), int(d.Month()), d.Day()); got != want {
			t.Fatalf("daysFromCivil(%v) = %d, want %d", d, got, want)
		}
	}
}

func TestDaysIn(t *testing.T) {
	for y := 1900; y <= 2100; y++ {
		for m := 1; m <= 12; m++ {
			want := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
			if got := daysIn(y, m); got != want {
				t.Errorf("daysIn(%d, %d) = %d, want %d", y, m, got, want)
			}
		}
	}
}

func TestCheckUsesTheClock(t *testing.T) {
	if r := Check(stdExample); !r.Valid() || r.Kind != Person {
		t.Errorf("Check(%s) = %v", stdExample, r)
	}
	next := time.Now().AddDate(0, 0, 3)
	id := NewPersonID(110105, next.Year(), int(next.Month()), next.Day(), 1)
	if r := Check(id); r.Reason != Date {
		t.Errorf("Check(%s), born in three days = %v, want %v", id, r, Date)
	}
}

func TestPersonOnlyAndOrganizationOnly(t *testing.T) {
	for _, tc := range []struct {
		id           string
		person, org  Result
		checkAtKind  Kind
		checkAtValid bool
	}{
		{stdExample,
			Result{Kind: Person}, Result{Kind: Organization, Reason: CheckChar}, Person, true},
		{usccExample,
			Result{Kind: Person, Reason: Character, Pos: 9}, Result{Kind: Organization}, Organization, true},
		{usccDigits,
			Result{Kind: Person, Reason: Province}, Result{Kind: Organization}, Organization, true},
		{"",
			Result{Kind: Person, Reason: Empty}, Result{Kind: Organization, Reason: Empty}, Unknown, false},
		{"123",
			Result{Kind: Person, Reason: Length}, Result{Kind: Organization, Reason: Length}, Person, false},
		{"１１０１０５１９４９１２３１００２Ｘ",
			Result{Kind: Person, Reason: Character, Pos: 1}, Result{Kind: Organization, Reason: Character, Pos: 1}, Person, false},
	} {
		if got := CheckPersonAt(tc.id, now); got != tc.person {
			t.Errorf("CheckPersonAt(%q) = %+v, want %+v", tc.id, got, tc.person)
		}
		if got := CheckOrganization(tc.id); got != tc.org {
			t.Errorf("CheckOrganization(%q) = %+v, want %+v", tc.id, got, tc.org)
		}
		if got := CheckAt(tc.id, now); got.Kind != tc.checkAtKind || got.Valid() != tc.checkAtValid {
			t.Errorf("CheckAt(%q) = %+v, want kind %v valid %v", tc.id, got, tc.checkAtKind, tc.checkAtValid)
		}
	}
}

// An identifier can be valid under both schemes; CheckAt then calls it a
// person.
func TestValidUnderBoth(t *testing.T) {
	// Search deterministically for an all-digit code that is also a
	// resident identity number: authority 1, category 1 (province 11), a
	// region ending in 19 and a body that starts with a date.
	for n := uint64(0); n < 31*31*31*31*31*31*31*31; n += 7 {
		id := NewUSCC('1', '1', 110119, n)
		if !personShape((*[18]byte)([]byte(id))) || !CheckPersonAt(id, now).Valid() {
			if n > 1e8 {
				t.Fatal("no code found that is also a resident identity number")
			}
			continue
		}
		t.Logf("%s is both a resident identity number and a unified social credit code", id)
		if r := CheckAt(id, now); r != (Result{Kind: Person}) {
			t.Errorf("CheckAt(%s) = %+v, want a valid person", id, r)
		}
		if r := CheckOrganization(id); !r.Valid() {
			t.Errorf("CheckOrganization(%s) = %+v", id, r)
		}
		return
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{stdExample, stdExample},
		{"11010519491231002x", stdExample},
		{" 110105-19491231-002x ", stdExample},
		{"9135 0100-m000 100y 43", usccExample},
		{"", ""},
		{" - ", ""},
		{"１２３", "１２３"},
		{"a\x00b", "A\x00B"},
	} {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestReasonAndResultText(t *testing.T) {
	seen := map[string]bool{}
	for r := OK; r <= OrgCode; r++ {
		s, c := r.String(), r.Code()
		if s == "" || c == "" || strings.HasPrefix(s, "reason(") || seen[c] {
			t.Errorf("reason %d: text %q, code %q", r, s, c)
		}
		seen[c] = true
	}
	if got := Reason(200).String(); got != "reason(200)" {
		t.Errorf("Reason(200).String() = %q", got)
	}
	if got := Reason(200).Code(); got != "reason_200" {
		t.Errorf("Reason(200).Code() = %q", got)
	}
	for _, tc := range []struct {
		r    Result
		want string
	}{
		{Result{Kind: Person}, "valid"},
		{Result{Kind: Person, Reason: Date}, "invalid birth date"},
		{Result{Kind: Organization, Reason: Character, Pos: 16}, "invalid character at position 16"},
		{Result{Kind: Person, Reason: CheckChar}, "check character mismatch"},
		{Result{Kind: Organization, Reason: OrgCode}, "organisation code check character mismatch"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.r, got, tc.want)
		}
	}
	for k, want := range map[Kind]string{Unknown: "unknown", Person: "person", Organization: "organization", 9: "unknown"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

func TestIsProvince(t *testing.T) {
	want := map[int]bool{}
	for _, c := range []int{11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
		41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83} {
		want[c] = true
	}
	for c := -5; c < 105; c++ {
		if IsProvince(c) != want[c] {
			t.Errorf("IsProvince(%d) = %v", c, !want[c])
		}
	}
}

func TestGeneratorsPanicOutOfRange(t *testing.T) {
	for _, f := range []func(){
		func() { NewPersonID(100000, 1990, 1, 1, 1) },
		func() { NewPersonID(1000000, 1990, 1, 1, 1) },
		func() { NewPersonID(110105, 10000, 1, 1, 1) },
		func() { NewPersonID(110105, 1990, -1, 1, 1) },
		func() { NewPersonID(110105, 1990, 1, 100, 1) },
		func() { NewPersonID(110105, 1990, 1, 1, 1000) },
		func() { AppendPersonID(nil, 110105, 1990, 1, 1, -1) },
		func() { NewUSCC('I', '1', 110000, 1) },
		func() { NewUSCC('9', 'O', 110000, 1) },
		func() { NewUSCC('y', '1', 110000, 1) },
		func() { NewUSCC('9', '1', 1000000, 1) },
		func() { NewUSCC('9', '1', -1, 1) },
		func() { NewUSCC('9', '1', 110000, 852891037441) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		}()
	}
	if got := string(AppendPersonID([]byte("id:"), 110105, 1949, 12, 31, 2)); got != "id:"+stdExample {
		t.Errorf("AppendPersonID = %q", got)
	}
}

func ExampleCheckAt() {
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, id := range []string{
		"11010519491231002x",
		"110105-19491231-0021",
		"91350100M000100Y43",
		"91350100M000100I43",
		"1101051949",
	} {
		r := CheckAt(id, at)
		fmt.Printf("%-22s %-12v %v\n", id, r.Kind, r)
	}
	// Output:
	// 11010519491231002x     person       valid
	// 110105-19491231-0021   person       check character mismatch
	// 91350100M000100Y43     organization valid
	// 91350100M000100I43     organization invalid character at position 16
	// 1101051949             person       length must be 18 characters
}

// TestWordAtATime compares the eight-bytes-at-a-time helpers with plain
// loops for every byte value at every position.
func TestWordAtATime(t *testing.T) {
	simpleShape := func(b *[18]byte) bool {
		for i := 0; i < 17; i++ {
			if b[i] < '0' || b[i] > '9' {
				return false
			}
		}
		return b[17] >= '0' && b[17] <= '9' || b[17] == 'X' || b[17] == 'x'
	}
	simplePlain := func(b *[18]byte) bool {
		for _, c := range b {
			if c == ' ' || c == '-' || c >= 0x80 {
				return false
			}
		}
		return true
	}
	for _, id := range []string{stdExample, "110105194912310021", usccExample, "000000000000000000", "999999999999999999"} {
		var b [18]byte
		copy(b[:], id)
		for i := range b {
			orig := b[i]
			for c := 0; c < 256; c++ {
				b[i] = byte(c)
				if got, want := personShape(&b), simpleShape(&b); got != want {
					t.Fatalf("personShape(%q) = %v", b[:], got)
				}
				if got, want := plain18(&b), simplePlain(&b); got != want {
					t.Fatalf("plain18(%q) = %v", b[:], got)
				}
			}
			b[i] = orig
		}
	}
}
