package ident

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// This file checks the package against the rules themselves: generated
// identifiers validate, every single-character error is caught, and a plain
// reference implementation written straight from the standards agrees with
// the fast one.

var provinceList = []int{11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
	41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}

// randPerson makes a valid resident identity number born between 1900-01-01
// and now.
func randPerson(r *rand.Rand) string {
	first := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(now.Sub(first).Hours() / 24)
	born := first.AddDate(0, 0, r.IntN(days+1))
	address := provinceList[r.IntN(len(provinceList))]*10000 + r.IntN(10000)
	return NewPersonID(address, born.Year(), int(born.Month()), born.Day(), r.IntN(1000))
}

// randUSCC makes a valid unified social credit code.
func randUSCC(r *rand.Rand) string {
	authority := "159Y"[r.IntN(4)]
	category := usccAlphabet[r.IntN(len(usccAlphabet))]
	region := provinceList[r.IntN(len(provinceList))]*10000 + r.IntN(10000)
	var n uint64
	if r.IntN(3) == 0 {
		n = r.Uint64N(100000000) // digits only in base 31 is rarer; make some
		var body uint64
		for i, m := 0, uint64(1); i < 8; i, m = i+1, m*31 {
			body += (n % 10) * m
			n /= 10
		}
		n = body
	} else {
		n = r.Uint64N(852891037441) // 31^8
	}
	return NewUSCC(authority, category, region, n)
}

func TestGeneratedIDsValidate(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const count = 200000
	both := 0
	for range count {
		id := randPerson(r)
		if got := CheckAt(id, now); got != (Result{Kind: Person}) {
			t.Fatalf("CheckAt(%s) = %+v", id, got)
		}
		if got := CheckPersonAt(id, now); !got.Valid() {
			t.Fatalf("CheckPersonAt(%s) = %+v", id, got)
		}
		if !refPerson(id, now).Valid() {
			t.Fatalf("reference rejects %s", id)
		}
		if !strings.HasSuffix(id, "X") && strings.ToLower(id) != id {
			t.Fatalf("unexpected letters in %s", id)
		}
	}
	for range count {
		id := randUSCC(r)
		got := CheckAt(id, now)
		switch {
		case !got.Valid():
			t.Fatalf("CheckAt(%s) = %+v", id, got)
		case got.Kind == Person:
			// Possible: an all-digit code that is also a person's number.
			if !CheckPersonAt(id, now).Valid() {
				t.Fatalf("CheckAt(%s) = %+v but it is no person", id, got)
			}
			both++
		case got.Kind != Organization:
			t.Fatalf("CheckAt(%s) = %+v", id, got)
		}
		if got := CheckOrganization(id); !got.Valid() {
			t.Fatalf("CheckOrganization(%s) = %+v", id, got)
		}
		if !refUSCC(id).Valid() {
			t.Fatalf("reference rejects %s", id)
		}
	}
	t.Logf("%d of %d generated codes are also resident identity numbers", both, count)
}

// mutations calls f with every single-character substitution of id (every
// byte value but the character itself and its other case, which is the same
// identifier) and every adjacent transposition of two different characters.
func mutations(id string, f func(kind string, m string)) {
	b := []byte(id)
	for i := range b {
		orig := b[i]
		for c := 0; c < 256; c++ {
			if byte(c) == orig || upper(byte(c)) == upper(orig) {
				continue
			}
			b[i] = byte(c)
			f("substitution", string(b))
		}
		b[i] = orig
	}
	for i := 0; i+1 < len(b); i++ {
		if upper(b[i]) == upper(b[i+1]) {
			continue
		}
		b[i], b[i+1] = b[i+1], b[i]
		f("transposition", string(b))
		b[i], b[i+1] = b[i+1], b[i]
	}
}

// TestSingleErrorsCaught: both check characters catch every single
// substitution and every adjacent transposition. Under its own scheme a
// mutated identifier is always invalid; CheckAt may rarely find that the
// mutation made a valid identifier of the other scheme, which is no miss.
func TestSingleErrorsCaught(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const ids = 300
	var checked, crossed int
	ps := []string{stdExample, NewPersonID(440524, 1980, 1, 1, 1)}
	for len(ps) < ids {
		ps = append(ps, randPerson(r))
	}
	for _, id := range ps {
		mutations(id, func(kind, m string) {
			checked++
			if got := CheckPersonAt(m, now); got.Valid() {
				t.Errorf("%s of %s: %q passes as a person", kind, id, m)
			}
			if got := CheckAt(m, now); got.Valid() {
				if got.Kind != Organization || !CheckOrganization(m).Valid() {
					t.Errorf("%s of %s: CheckAt(%q) = %+v", kind, id, m, got)
				}
				crossed++
			}
		})
	}
	us := []string{usccExample, usccDigits}
	for len(us) < ids {
		us = append(us, randUSCC(r))
	}
	for _, id := range us {
		mutations(id, func(kind, m string) {
			checked++
			if got := CheckOrganization(m); got.Valid() {
				t.Errorf("%s of %s: %q passes as an organisation", kind, id, m)
			}
			if got := CheckAt(m, now); got.Valid() {
				if got.Kind != Person || !CheckPersonAt(m, now).Valid() {
					t.Errorf("%s of %s: CheckAt(%q) = %+v", kind, id, m, got)
				}
				crossed++
			}
		})
	}
	t.Logf("%d mutations checked; %d became a valid identifier of the other scheme", checked, crossed)
}

// TestReasonsOfMutations: a substitution that leaves the shape alone is
// reported for the right reason under each scheme's own check.
func TestReasonsOfMutations(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		id := randPerson(r)
		b := []byte(id)
		// Another digit in the sequence or the check: the check character.
		i := 14 + r.IntN(4)
		b[i] = byte('0' + (int(b[i]-'0'+1+uint8(r.IntN(8))) % 10))
		if b[i] == id[i] {
			continue
		}
		if got := CheckPersonAt(string(b), now); got.Reason != CheckChar {
			t.Errorf("%s → %s: %v, want %v", id, b, got, CheckChar)
		}
		// A letter: the character, at its position.
		b = []byte(id)
		i = r.IntN(17)
		b[i] = 'A' + byte(r.IntN(26))
		if got := CheckPersonAt(string(b), now); got.Reason != Character || got.Pos != i+1 {
			t.Errorf("%s → %s: %+v, want a character at %d", id, b, got, i+1)
		}
		if got := CheckAt(string(b), now); got.Kind == Person && (got.Reason != Character || got.Pos != i+1) {
			t.Errorf("%s → %s: CheckAt %+v, want a character at %d", id, b, got, i+1)
		}
	}
	for range 300 {
		id := randUSCC(r)
		b := []byte(id)
		i := r.IntN(18)
		b[i] = "IOSVZ"[r.IntN(5)]
		if got := CheckOrganization(string(b)); got.Reason != Character || got.Pos != i+1 {
			t.Errorf("%s → %s: %+v, want a character at %d", id, b, got, i+1)
		}
	}
}

// TestAgainstReference compares the fast checks with the reference on
// random near-identifiers: valid ones put through a few random edits.
func TestAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 300000 {
		var s string
		switch i % 3 {
		case 0:
			s = randPerson(r)
		case 1:
			s = randUSCC(r)
		default:
			s = randomString(r)
		}
		for n := r.IntN(3); n > 0; n-- {
			s = edit(r, s)
		}
		compareWithReference(t, s, now)
		if t.Failed() {
			return
		}
	}
}

// compareWithReference fails t when the package and the reference disagree
// about s.
func compareWithReference(t *testing.T, s string, at time.Time) {
	t.Helper()
	rp, ro := refPerson(s, at), refUSCC(s)
	if got := CheckPersonAt(s, at); got != rp {
		t.Errorf("CheckPersonAt(%q) = %+v, reference %+v", s, got, rp)
	}
	if got := CheckOrganization(s); got != ro {
		t.Errorf("CheckOrganization(%q) = %+v, reference %+v", s, got, ro)
	}
	got := CheckAt(s, at)
	switch {
	case got.Valid() != (rp.Valid() || ro.Valid()):
		t.Errorf("CheckAt(%q) = %+v, reference person %+v organisation %+v", s, got, rp, ro)
	case got.Valid() && got.Kind == Person && !rp.Valid(), got.Valid() && got.Kind == Organization && rp.Valid():
		t.Errorf("CheckAt(%q) = %+v, reference person %+v organisation %+v", s, got, rp, ro)
	case !got.Valid() && got.Kind == Person && got != rp && got.Reason != Character:
		// Judged a person: the reason is the person's (a bad character
		// may be reported for a string the person check rejects on it).
		t.Errorf("CheckAt(%q) = %+v, reference person %+v", s, got, rp)
	case !got.Valid() && got.Kind == Organization && got.Reason != Length && got != ro:
		t.Errorf("CheckAt(%q) = %+v, reference organisation %+v", s, got, ro)
	case got.Reason == Empty && (rp.Reason != Empty || got.Kind != Unknown):
		t.Errorf("CheckAt(%q) = %+v, reference person %+v", s, got, rp)
	}
}

var palette = []string{"0", "1", "5", "9", "X", "x", "Y", "y", "A", "I", "O", "S", "V", "Z", "a", "i",
	" ", "-", "\x00", "\t", "\n", ".", "０", "９", "Ｘ", "中", "\u3000", "é", "\xff", "\xe4"}

func randomString(r *rand.Rand) string {
	var b strings.Builder
	n := 16 + r.IntN(5)
	for range n {
		if r.IntN(3) == 0 {
			b.WriteString(palette[r.IntN(len(palette))])
		} else {
			b.WriteByte(usccAlphabet[r.IntN(len(usccAlphabet))])
		}
	}
	return b.String()
}

// edit makes one random change: substitute, delete, insert, transpose,
// change case.
func edit(r *rand.Rand, s string) string {
	if s == "" {
		return palette[r.IntN(len(palette))]
	}
	i := r.IntN(len(s))
	switch r.IntN(6) {
	case 0:
		return s[:i] + palette[r.IntN(len(palette))] + s[i+1:]
	case 1:
		return s[:i] + string(usccAlphabet[r.IntN(len(usccAlphabet))]) + s[i+1:]
	case 2:
		return s[:i] + s[i+1:]
	case 3:
		return s[:i] + palette[r.IntN(len(palette))] + s[i:]
	case 4:
		if i+1 < len(s) {
			return s[:i] + s[i+1:i+2] + s[i:i+1] + s[i+2:]
		}
		return s
	default:
		return strings.ToLower(s)
	}
}

// The reference implementation: slow, plain, written from the rules.

// refChars splits s into characters without spaces and hyphens; as in
// Go's range over a string, each byte that is not UTF-8 is one character.
func refChars(s string) []rune {
	var out []rune
	for _, r := range s {
		if r != ' ' && r != '-' {
			out = append(out, r)
		}
	}
	return out
}

func refUpper(r rune) rune {
	if r >= 'a' && r <= 'z' {
		return r - 'a' + 'A'
	}
	return r
}

func refPerson(s string, at time.Time) Result {
	return refPersonRunes(refChars(s), at)
}

func refPersonRunes(c []rune, at time.Time) Result {
	res := func(r Reason, pos int) Result { return Result{Kind: Person, Reason: r, Pos: pos} }
	switch {
	case len(c) == 0:
		return res(Empty, 0)
	case len(c) != 18:
		return res(Length, 0)
	}
	for i, r := range c {
		ok := r >= '0' && r <= '9' || i == 17 && refUpper(r) == 'X'
		if !ok {
			return res(Character, i+1)
		}
	}
	digits := string(c[:17])
	province, _ := strconv.Atoi(digits[:2])
	found := false
	for _, p := range provinceList {
		found = found || p == province
	}
	if !found {
		return res(Province, 0)
	}
	y, _ := strconv.Atoi(digits[6:10])
	m, _ := strconv.Atoi(digits[10:12])
	d, _ := strconv.Atoi(digits[12:14])
	born := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if born.Year() != y || int(born.Month()) != m || born.Day() != d || y < 1900 ||
		digits[6:14] > at.Format("20060102") {
		return res(Date, 0)
	}
	sum := 0
	for i := 0; i < 17; i++ {
		w := 1
		for range 17 - i {
			w = w * 2 % 11
		}
		sum += int(digits[i]-'0') * w
	}
	want := "10X98765432"[sum%11] // the ISO 7064 MOD 11-2 table
	if byte(refUpper(c[17])) != want {
		return res(CheckChar, 0)
	}
	return res(OK, 0)
}

func refUSCC(s string) Result {
	c := refChars(s)
	res := func(r Reason, pos int) Result { return Result{Kind: Organization, Reason: r, Pos: pos} }
	switch {
	case len(c) == 0:
		return res(Empty, 0)
	case len(c) != 18:
		return res(Length, 0)
	}
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	v := make([]int, 18)
	for i, r := range c {
		v[i] = strings.IndexRune(alphabet, refUpper(r))
		if v[i] < 0 || r >= utf8.RuneSelf {
			return res(Character, i+1)
		}
	}
	if !strings.ContainsRune("159Y", refUpper(c[0])) {
		return res(Authority, 0)
	}
	sum := 0
	for i := 0; i < 17; i++ {
		w := 1
		for range i {
			w = w * 3 % 31
		}
		sum += v[i] * w
	}
	if alphabet[(31-sum%31)%31] != byte(refUpper(c[17])) {
		return res(CheckChar, 0)
	}
	sum = 0
	for i, w := range []int{3, 7, 9, 10, 5, 8, 4, 2} {
		x, _ := strconv.ParseInt(string(c[8+i]), 36, 0)
		sum += int(x) * w
	}
	if "0123456789X"[(11-sum%11)%11] != byte(refUpper(c[16])) {
		return res(OrgCode, 0)
	}
	return res(OK, 0)
}
