// Package ident validates and generates the identifiers credo ties records
// to: the 18-character resident identity number of GB 11643-1999 for natural
// persons and the 18-character unified social credit code of GB 32100-2015
// for organisations.
//
// Validation sits at the very front of the data flow: every identifier that
// arrives from an agency passes through Check before a record may name it as
// its subject, and an invalid one is never silently accepted. Check does not
// allocate, so it can run on every field of every row.
package ident

import (
	"encoding/binary"
	"fmt"
	"time"
	"unicode/utf8"
)

// Kind says which scheme an identifier belongs to.
type Kind uint8

const (
	Unknown      Kind = iota
	Person            // GB 11643-1999 resident identity number
	Organization      // GB 32100-2015 unified social credit code
)

func (k Kind) String() string {
	switch k {
	case Person:
		return "person"
	case Organization:
		return "organization"
	}
	return "unknown"
}

// Reason says why an identifier is invalid; OK means it is valid.
type Reason uint8

const (
	OK        Reason = iota
	Empty            // nothing left after stripping spaces and hyphens
	Length           // not 18 characters
	Character        // a character outside the scheme's alphabet
	Province         // the first two digits are no province-level code
	Date             // the birth date is not a real date, before 1900 or in the future
	CheckChar        // the check character does not match
	Authority        // the registering authority is not one that issues codes
	OrgCode          // the embedded GB 11714 organisation code fails its own check
)

var reasonText = [...]string{
	OK:        "valid",
	Empty:     "empty identifier",
	Length:    "length must be 18 characters",
	Character: "invalid character",
	Province:  "unknown province code",
	Date:      "invalid birth date",
	CheckChar: "check character mismatch",
	Authority: "unknown registering authority",
	OrgCode:   "organisation code check character mismatch",
}

var reasonCode = [...]string{
	OK:        "ok",
	Empty:     "empty",
	Length:    "length",
	Character: "character",
	Province:  "province",
	Date:      "date",
	CheckChar: "check",
	Authority: "authority",
	OrgCode:   "org_code",
}

// Code is a short, stable, machine-readable name for the reason ("length",
// "check", "org_code", …), for reports that scripts read.
func (r Reason) Code() string {
	if int(r) < len(reasonCode) {
		return reasonCode[r]
	}
	return fmt.Sprintf("reason_%d", uint8(r))
}

func (r Reason) String() string {
	if int(r) < len(reasonText) {
		return reasonText[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Result is the outcome of checking one identifier. Kind is the scheme the
// identifier was judged under (the most plausible one when it is invalid).
type Result struct {
	Kind   Kind
	Reason Reason
	// Pos is the 1-based position of the offending character for Character
	// (counted in characters, after spaces and hyphens are removed), or 0.
	Pos int
}

// Valid reports whether the identifier passed.
func (r Result) Valid() bool { return r.Reason == OK }

func (r Result) String() string {
	if r.Reason == Character && r.Pos > 0 {
		return fmt.Sprintf("%s at position %d", r.Reason, r.Pos)
	}
	return r.Reason.String()
}

// personWeights are GB 11643's weights 2^(17-i) mod 11 for the first 17 digits.
var personWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// usccAlphabet is GB 32100's 31-character alphabet (no I, O, S, V, Z).
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are 3^(i-1) mod 31 for i = 1..17.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// orgWeights are GB 11714's weights for the 8-character organisation body.
var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// usccValue maps a byte to its value in usccAlphabet, or -1. Lower-case
// letters map like their upper-case forms.
var usccValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(usccAlphabet); i++ {
		c := usccAlphabet[i]
		t[c] = int8(i)
		if c >= 'A' && c <= 'Z' {
			t[c+'a'-'A'] = int8(i)
		}
	}
	return t
}()

// orgValue maps a byte to its GB 11714 value (0-9 and A=10 … Z=35, either
// case), or -1.
var orgValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = int8(c - '0')
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = int8(c-'A') + 10
		t[c+'a'-'A'] = int8(c-'A') + 10
	}
	return t
}()

// provinces marks the valid province-level codes (first two digits).
var provinces = func() (t [100]bool) {
	for _, r := range [][2]int{{11, 15}, {21, 23}, {31, 37}, {41, 46}, {50, 54}, {61, 65}, {71, 71}, {81, 83}} {
		for c := r[0]; c <= r[1]; c++ {
			t[c] = true
		}
	}
	return t
}()

// IsProvince reports whether code is a province-level region code.
func IsProvince(code int) bool { return code >= 0 && code < 100 && provinces[code] }

// Stand-ins for non-ASCII characters in the compacted identifier. None is in
// any alphabet, so each fails wherever it stands; full-width digits and X are
// told apart only to judge which scheme a malformed identifier was meant for.
const (
	wideOther = 0x80 // any other non-ASCII character, or a byte that is not UTF-8
	wideDigit = 0xF0 // full-width digits ０-９ are wideDigit+0 … wideDigit+9
	wideX     = 0xFA // full-width Ｘ or ｘ
)

// compact copies s into buf without spaces and hyphens, one byte per
// character (non-ASCII characters become the stand-ins above). It returns the
// number of characters kept, stopping early once it is past 18: the caller
// then knows the length is wrong without looking further.
func compact(s string, buf *[18]byte) int {
	if len(s) == 18 {
		// The common case: exactly 18 bytes, none of them a space, a
		// hyphen or part of a multi-byte character.
		copy(buf[:], s)
		if plain18(buf) {
			return 18
		}
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return compactWide(s, buf)
		}
		if c == ' ' || c == '-' {
			continue
		}
		if n == len(buf) {
			return n + 1
		}
		buf[n] = c
		n++
	}
	return n
}

// Eight bytes at a time: lo has 0x01 in every byte, hi 0x80.
const (
	lo = 0x0101010101010101
	hi = 0x8080808080808080
)

// hasByte reports whether some byte of x equals the byte repeated in rep.
func hasByte(x, rep uint64) bool {
	v := x ^ rep
	return (v-lo)&^v&hi != 0
}

// plain18 reports whether b holds only ASCII characters other than space
// and hyphen.
func plain18(b *[18]byte) bool {
	x := binary.LittleEndian.Uint64(b[0:8])
	y := binary.LittleEndian.Uint64(b[8:16])
	z := uint64(binary.LittleEndian.Uint16(b[16:18]))
	if (x|y|z)&hi != 0 {
		return false
	}
	// z's six empty bytes are zero, which matches neither space nor hyphen.
	const sp, hy = ' ' * lo, '-' * lo
	return !hasByte(x, sp) && !hasByte(y, sp) && !hasByte(z, sp) &&
		!hasByte(x, hy) && !hasByte(y, hy) && !hasByte(z, hy)
}

// digits8 reports whether all eight bytes of x, known to be ASCII, are
// digits: no byte borrows when '0' is taken from it, and none reaches the high
// bit when 0x7F-'9' is added to it.
func digits8(x uint64) bool {
	return ((x|hi)-'0'*lo)&hi == hi && (x+(0x7F-'9')*lo)&hi == 0
}

// compactWide is compact for a string that is not all ASCII: it counts
// characters rather than bytes, so that an identifier typed in full-width
// digits is reported as a bad character, not a bad length.
func compactWide(s string, buf *[18]byte) int {
	n := 0
	for _, r := range s {
		if r == ' ' || r == '-' {
			continue
		}
		if n == len(buf) {
			return n + 1
		}
		switch {
		case r < utf8.RuneSelf:
			buf[n] = byte(r)
		case r >= '０' && r <= '９':
			buf[n] = wideDigit + byte(r-'０')
		case r == 'Ｘ' || r == 'ｘ':
			buf[n] = wideX
		default:
			buf[n] = wideOther
		}
		n++
	}
	return n
}

// Check validates s against both schemes at the current date.
func Check(s string) Result { return CheckAt(s, time.Now()) }

// CheckAt validates s as of now (the date bounds a person's birth date).
// Spaces and hyphens are ignored; letters may be in either case.
//
// An identifier valid under either scheme is valid; one valid under both
// (possible, if rare, for an all-digit code) is reported as a person. An
// invalid one is judged under the scheme it most plausibly belongs to, so
// that the reason is the useful one:
//   - seventeen digits followed by a digit or X read as a resident identity
//     number, unless the first two digits are no province, the first is a
//     registering authority (1, 5 or 9, as in an all-digit unified social
//     credit code) and the birth-date field holds no date from 1900 to 2099;
//   - 18 characters one character away from that shape, starting with a
//     province and with a birth year from 1900 to 2099, read as a resident
//     identity number with a bad character;
//   - anything else of 18 characters reads as a unified social credit code.
//
// CheckAt does not allocate.
func CheckAt(s string, now time.Time) Result {
	var b [18]byte
	switch n := compact(s, &b); {
	case n == 0:
		return Result{Reason: Empty}
	case n != 18:
		return Result{Kind: guessKind(s), Reason: Length}
	}
	if personShape(&b) {
		rp := checkPerson(&b, now)
		if rp == OK {
			return Result{Kind: Person}
		}
		ro, pos := checkUSCC(&b)
		if ro == OK || (rp == Province && isAuthority(b[0]) && !plausibleDate(&b)) {
			return Result{Kind: Organization, Reason: ro, Pos: pos}
		}
		return Result{Kind: Person, Reason: rp}
	}
	ro, pos := checkUSCC(&b)
	if ro != OK {
		if p, ok := personLike(&b); ok {
			return Result{Kind: Person, Reason: Character, Pos: p}
		}
	}
	return Result{Kind: Organization, Reason: ro, Pos: pos}
}

// CheckPersonAt validates s as a resident identity number only.
func CheckPersonAt(s string, now time.Time) Result {
	var b [18]byte
	switch n := compact(s, &b); {
	case n == 0:
		return Result{Kind: Person, Reason: Empty}
	case n != 18:
		return Result{Kind: Person, Reason: Length}
	}
	for i := 0; i < 17; i++ {
		if b[i]-'0' > 9 {
			return Result{Kind: Person, Reason: Character, Pos: i + 1}
		}
	}
	if c := b[17]; c-'0' > 9 && c|0x20 != 'x' {
		return Result{Kind: Person, Reason: Character, Pos: 18}
	}
	return Result{Kind: Person, Reason: checkPerson(&b, now)}
}

// CheckOrganization validates s as a unified social credit code only.
func CheckOrganization(s string) Result {
	var b [18]byte
	switch n := compact(s, &b); {
	case n == 0:
		return Result{Kind: Organization, Reason: Empty}
	case n != 18:
		return Result{Kind: Organization, Reason: Length}
	}
	r, pos := checkUSCC(&b)
	return Result{Kind: Organization, Reason: r, Pos: pos}
}

// guessKind names the scheme a string of the wrong length was probably meant
// for: digits (and X) only read as a person, anything else as an
// organisation.
func guessKind(s string) Kind {
	// ASCII, byte by byte: any character but a digit, space, hyphen or X
	// settles it.
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return guessKindWide(s)
		case c-'0' <= 9:
			digits++
		case c == ' ', c == '-', c|0x20 == 'x':
		default:
			return Organization
		}
	}
	if digits > 0 {
		return Person
	}
	return Unknown
}

// guessKindWide is guessKind for a string that is not all ASCII.
func guessKindWide(s string) Kind {
	digits, other := 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= '０' && r <= '９':
			digits++
		case r == ' ', r == '-', r == 'X', r == 'x', r == 'Ｘ', r == 'ｘ':
		default:
			other++
		}
	}
	if other > 0 {
		return Organization
	}
	if digits > 0 {
		return Person
	}
	return Unknown
}

// personShape reports whether b is seventeen digits and a digit or X.
func personShape(b *[18]byte) bool {
	c := b[17]
	if b[16]-'0' > 9 || (c-'0' > 9 && c|0x20 != 'x') {
		return false
	}
	x := binary.LittleEndian.Uint64(b[0:8])
	y := binary.LittleEndian.Uint64(b[8:16])
	if (x|y)&hi != 0 {
		return false
	}
	return digits8(x) && digits8(y)
}

// personLike reports whether b, which is not person-shaped and not a valid
// unified social credit code, is still most plausibly a resident identity
// number with one bad character: at most one character is not a digit (or
// the final X) even counting full-width ones, the first two digits are a
// province and the birth year is in 1900-2099 (where they are digits). It
// returns the first character that is not a valid ASCII one.
func personLike(b *[18]byte) (int, bool) {
	var d [18]int
	first, off := 0, 0
	for i, c := range b {
		v := -1
		switch {
		case c-'0' <= 9:
			v = int(c - '0')
		case c-wideDigit <= 9:
			v = int(c - wideDigit)
		case i == 17 && (c|0x20 == 'x' || c == wideX):
			v = 10
		}
		if first == 0 && c-'0' > 9 && (i < 17 || c|0x20 != 'x') {
			first = i + 1
		}
		if v < 0 {
			off++
		}
		d[i] = v
	}
	if off > 1 {
		return 0, false
	}
	if d[0] >= 0 && d[1] >= 0 && !provinces[d[0]*10+d[1]] {
		return 0, false
	}
	if d[6] >= 0 && d[7] >= 0 && d[8] >= 0 && d[9] >= 0 {
		if y := d[6]*1000 + d[7]*100 + d[8]*10 + d[9]; y < 1900 || y > 2099 {
			return 0, false
		}
	}
	return first, true
}

// plausibleDate reports whether the birth-date field of a person-shaped b
// is a real date from 1900 to 2099, the sign that a number whose province is
// wrong is still a resident identity number.
func plausibleDate(b *[18]byte) bool {
	y := int(b[6]-'0')*1000 + int(b[7]-'0')*100 + int(b[8]-'0')*10 + int(b[9]-'0')
	m := int(b[10]-'0')*10 + int(b[11]-'0')
	d := int(b[12]-'0')*10 + int(b[13]-'0')
	return y >= 1900 && y <= 2099 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m)
}

func isAuthority(c byte) bool { return c == '1' || c == '5' || c == '9' || c|0x20 == 'y' }

// checkPerson assumes the shape test passed.
func checkPerson(b *[18]byte, now time.Time) Reason {
	if !provinces[(b[0]-'0')*10+(b[1]-'0')] {
		return Province
	}
	y := int(b[6]-'0')*1000 + int(b[7]-'0')*100 + int(b[8]-'0')*10 + int(b[9]-'0')
	m := int(b[10]-'0')*10 + int(b[11]-'0')
	d := int(b[12]-'0')*10 + int(b[13]-'0')
	if y < 1900 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) || after(y, m, d, now) {
		return Date
	}
	sum := 0
	for i, w := range personWeights {
		sum += int(b[i]-'0') * w
	}
	c := (12 - sum%11) % 11
	if c == 10 {
		if b[17]|0x20 != 'x' {
			return CheckChar
		}
	} else if int(b[17]) != '0'+c {
		return CheckChar
	}
	return OK
}

// after reports whether the date y-m-d is later than now's date in now's
// location. Calling now.Date costs as much as the rest of a check, so it is
// called only when the answer is close: a location's offset from UTC is less
// than two days (real ones are within ±26 hours), so a date more than two days
// from now's UTC date is decided by the UTC day count alone.
func after(y, m, d int, now time.Time) bool {
	days := daysFromCivil(y, m, d)
	u := now.Unix()
	today := u / 86400
	if u%86400 < 0 {
		today--
	}
	switch {
	case days < today-2:
		return false
	case days > today+2:
		return true
	}
	ny, nm, nd := now.Date()
	return y*10000+m*100+d > ny*10000+int(nm)*100+nd
}

// daysFromCivil counts the days from 1970-01-01 to y-m-d in the proleptic
// Gregorian calendar (y ≥ 1).
func daysFromCivil(y, m, d int) int64 {
	// Unsigned, so that the divisions by constants are plain multiplications.
	uy, um, ud := uint64(y), uint64(m), uint64(d)
	if um <= 2 {
		uy--
		um += 12
	}
	era := uy / 400
	yoe := uy - era*400
	doy := (153*(um-3)+2)/5 + ud - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097+doe) - 719468
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// personCheck computes the check character for 17 digits.
func personCheck(b []byte) byte {
	sum := 0
	for i, w := range personWeights {
		sum += int(b[i]-'0') * w
	}
	c := (12 - sum%11) % 11
	if c == 10 {
		return 'X'
	}
	return byte('0' + c)
}

// checkUSCC checks b as a unified social credit code: characters, then the
// registering authority, then the check character, then the embedded GB 11714
// organisation code.
func checkUSCC(b *[18]byte) (Reason, int) {
	// No branch per character: bad ones (-1) are spotted in acc afterwards.
	sum, acc := 0, int8(0)
	for i, w := range usccWeights {
		x := usccValue[b[i]]
		acc |= x
		sum += int(x) * w
	}
	c := usccValue[b[17]]
	if acc|c < 0 {
		for i := range b {
			if usccValue[b[i]] < 0 {
				return Character, i + 1
			}
		}
	}
	if !isAuthority(b[0]) {
		return Authority, 0
	}
	if m := sum % 31; int(c) != 31-m && (m != 0 || c != 0) {
		return CheckChar, 0
	}
	// Characters 9-17 are the GB 11714 organisation code: 8 body characters
	// over 0-9A-Z and a check character. Every character of the USCC
	// alphabet is in GB 11714's, so orgValue is never -1 here.
	sum = 0
	for i, w := range orgWeights {
		sum += int(orgValue[b[8+i]]) * w
	}
	if orgCheckChars[(11-sum%11)%11] != upper(b[16]) {
		return OrgCode, 0
	}
	return OK, 0
}

const orgCheckChars = "0123456789X"

func usccCheckValue(v []int) int {
	sum := 0
	for i, w := range usccWeights {
		sum += v[i] * w
	}
	return (31 - sum%31) % 31
}

// orgCheck computes the GB 11714 check character of an 8-character body over
// 0-9A-Z; letters count A=10 … Z=35.
func orgCheck(body []byte) byte {
	sum := 0
	for i, w := range orgWeights {
		sum += int(orgValue[body[i]]) * w
	}
	return orgCheckChars[(11-sum%11)%11]
}

// Normalize returns the canonical form of an identifier: spaces and hyphens
// removed, letters upper-cased. It allocates only when s changes.
func Normalize(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ' ' || c == '-' || (c >= 'a' && c <= 'z') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '-' {
			continue
		}
		out = append(out, upper(c))
	}
	return string(out)
}
