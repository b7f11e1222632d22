package ident

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheck: Check never panics, its Result is consistent with itself, with
// Normalize, with the single-scheme checks and with the reference.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"", " ", "-", " - ", "X", "x",
		stdExample, "11010519491231002x", "110105 19491231 002X", "110105-19491231-002X",
		stdExample1880, usccExample, usccDigits, "91350100m000100y43", "9135-0100 M000-100Y 43",
		stdExample[:17], stdExample + "1", usccExample[:17], usccExample + "0",
		"１２３", "１１０１０５１９４９１２３１００２Ｘ", "110105１9491231002X", "11010519491231002Ｘ",
		"张三", "统一社会信用代码九一三五零一零零号码", "北京市朝阳区",
		"11010519491231\x0002X", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
		"11010519;91231002X", "91350100M000100I43", "\xff\xfe", "\xe4 \xb8\xad",
		strings.Repeat("1", 1000), strings.Repeat("中", 18), strings.Repeat(" ", 100) + stdExample,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := CheckAt(s, now)
		if r.Reason > OrgCode || r.Kind > Organization {
			t.Fatalf("CheckAt(%q) = %+v: out of range", s, r)
		}
		if (r.Pos > 0) != (r.Reason == Character) || r.Pos < 0 || r.Pos > 18 {
			t.Fatalf("CheckAt(%q) = %+v: position", s, r)
		}
		if r.String() == "" || r.Kind.String() == "" {
			t.Fatalf("CheckAt(%q) = %+v: no text", s, r)
		}
		chars := len(refChars(s))
		if (r.Reason == Empty) != (chars == 0) || (r.Reason == Empty) != (r.Kind == Unknown && r.Reason != Length) {
			t.Fatalf("CheckAt(%q) = %+v with %d characters", s, r, chars)
		}
		if (r.Reason == Length) != (chars != 0 && chars != 18) {
			t.Fatalf("CheckAt(%q) = %+v with %d characters", s, r, chars)
		}
		n := Normalize(s)
		if r.Valid() {
			if r.Kind == Unknown || len(n) != 18 || n != strings.ToUpper(n) || !utf8.ValidString(n) {
				t.Fatalf("CheckAt(%q) valid, Normalize = %q", s, n)
			}
			if r2 := CheckAt(n, now); r2 != r {
				t.Fatalf("CheckAt(%q) = %+v but CheckAt(Normalize) = %+v", s, r, r2)
			}
			if Normalize(n) != n {
				t.Fatalf("Normalize(%q) = %q is not idempotent", n, Normalize(n))
			}
		}
		if utf8.ValidString(s) {
			// Normalising changes nothing the checks look at. (Stripping a
			// space from between two bytes that are not UTF-8 can make
			// them a character, so only for UTF-8.)
			if r2 := CheckAt(n, now); r2 != r {
				t.Fatalf("CheckAt(%q) = %+v but CheckAt(%q) = %+v", s, r, n, r2)
			}
		}
		p, o := CheckPersonAt(s, now), CheckOrganization(s)
		if p.Kind != Person || o.Kind != Organization {
			t.Fatalf("%q: kinds %v %v", s, p.Kind, o.Kind)
		}
		if r.Valid() != (p.Valid() || o.Valid()) ||
			r.Valid() && r.Kind == Person && !p.Valid() ||
			r.Valid() && r.Kind == Organization && (!o.Valid() || p.Valid()) {
			t.Fatalf("%q: CheckAt %+v, person %+v, organisation %+v", s, r, p, o)
		}
		if !r.Valid() && r.Kind == Person && r.Reason != Character && r != p {
			t.Fatalf("%q: CheckAt %+v, person %+v", s, r, p)
		}
		if !r.Valid() && r.Kind == Organization && r.Reason != Length && r != o {
			t.Fatalf("%q: CheckAt %+v, organisation %+v", s, r, o)
		}
		compareWithReference(t, s, now)
	})
}
