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
	"fmt"
	"time"
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
	// Pos is the 1-based position of the offending character for Character,
	// or 0.
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

// usccValue maps a byte to its value in usccAlphabet, or -1.
var usccValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(usccAlphabet); i++ {
		t[usccAlphabet[i]] = int8(i)
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

// compact copies s into buf without spaces and hyphens. It reports the
// number of bytes kept (which may exceed len(buf): the caller then knows the
// length is wrong without looking further).
func compact(s string, buf *[18]byte) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '-' {
			continue
		}
		if n < len(buf) {
			buf[n] = c
		}
		n++
	}
	return n
}

// Check validates s against both schemes at the current date.
func Check(s string) Result { return CheckAt(s, time.Now()) }

// CheckAt validates s as of now (the date bounds a person's birth date). It
// decides the scheme from the shape of s: seventeen digits followed by a
// digit or X is a resident identity number, anything else of 18 characters
// is judged as a unified social credit code. It does not allocate.
func CheckAt(s string, now time.Time) Result {
	var b [18]byte
	n := compact(s, &b)
	switch {
	case n == 0:
		return Result{Reason: Empty}
	case n != 18:
		// Guess the kind for the message: mostly digits reads as a person.
		return Result{Kind: guessKind(s), Reason: Length}
	}
	if looksLikePerson(&b) {
		y, m, d := now.Date()
		return Result{Kind: Person, Reason: checkPerson(&b, y*10000+int(m)*100+d)}
	}
	r, pos := checkUSCC(&b)
	return Result{Kind: Organization, Reason: r, Pos: pos}
}

// CheckPersonAt validates s as a resident identity number only.
func CheckPersonAt(s string, now time.Time) Result {
	var b [18]byte
	n := compact(s, &b)
	switch {
	case n == 0:
		return Result{Kind: Person, Reason: Empty}
	case n != 18:
		return Result{Kind: Person, Reason: Length}
	}
	for i := 0; i < 17; i++ {
		if b[i] < '0' || b[i] > '9' {
			return Result{Kind: Person, Reason: Character, Pos: i + 1}
		}
	}
	if c := b[17]; (c < '0' || c > '9') && c != 'X' && c != 'x' {
		return Result{Kind: Person, Reason: Character, Pos: 18}
	}
	y, m, d := now.Date()
	return Result{Kind: Person, Reason: checkPerson(&b, y*10000+int(m)*100+d)}
}

// CheckOrganization validates s as a unified social credit code only.
func CheckOrganization(s string) Result {
	var b [18]byte
	n := compact(s, &b)
	switch {
	case n == 0:
		return Result{Kind: Organization, Reason: Empty}
	case n != 18:
		return Result{Kind: Organization, Reason: Length}
	}
	r, pos := checkUSCC(&b)
	return Result{Kind: Organization, Reason: r, Pos: pos}
}

func guessKind(s string) Kind {
	digits, other := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == ' ' || c == '-' || c == 'X' || c == 'x':
		default:
			other++
		}
	}
	if digits > 0 && other == 0 {
		return Person
	}
	if other > 0 {
		return Organization
	}
	return Unknown
}

func looksLikePerson(b *[18]byte) bool {
	for i := 0; i < 17; i++ {
		if b[i] < '0' || b[i] > '9' {
			return false
		}
	}
	c := b[17]
	return (c >= '0' && c <= '9') || c == 'X' || c == 'x'
}

// checkPerson assumes the shape test passed.
func checkPerson(b *[18]byte, today int) Reason {
	if !provinces[int(b[0]-'0')*10+int(b[1]-'0')] {
		return Province
	}
	y := int(b[6]-'0')*1000 + int(b[7]-'0')*100 + int(b[8]-'0')*10 + int(b[9]-'0')
	m := int(b[10]-'0')*10 + int(b[11]-'0')
	d := int(b[12]-'0')*10 + int(b[13]-'0')
	if y < 1900 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) || y*10000+m*100+d > today {
		return Date
	}
	if personCheck(b[:17]) != upper(b[17]) {
		return CheckChar
	}
	return OK
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

func checkUSCC(b *[18]byte) (Reason, int) {
	var v [18]int
	for i := 0; i < 18; i++ {
		x := usccValue[upper(b[i])]
		if x < 0 {
			return Character, i + 1
		}
		v[i] = int(x)
	}
	switch b[0] {
	case '1', '5', '9', 'Y', 'y':
	default:
		return Authority, 0
	}
	if usccCheckValue(v[:17]) != v[17] {
		return CheckChar, 0
	}
	// Characters 9-17 are the GB 11714 organisation code: 8 body characters
	// over 0-9A-Z and a check character.
	if orgCheck(b[8:16]) != upper(b[16]) {
		return OrgCode, 0
	}
	return OK, 0
}

func usccCheckValue(v []int) int {
	sum := 0
	for i, w := range usccWeights {
		sum += v[i] * w
	}
	return (31 - sum%31) % 31
}

// orgCheck computes the GB 11714 check character of an 8-character body;
// letters count A=10 … Z=35.
func orgCheck(body []byte) byte {
	sum := 0
	for i, w := range orgWeights {
		c := upper(body[i])
		var x int
		if c >= '0' && c <= '9' {
			x = int(c - '0')
		} else {
			x = int(c-'A') + 10
		}
		sum += x * w
	}
	c := (11 - sum%11) % 11
	switch c {
	case 10:
		return 'X'
	}
	return byte('0' + c)
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
