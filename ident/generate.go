package ident

import "fmt"

// NewPersonID builds a valid resident identity number from a six-digit
// address code, a birth date and a three-digit sequence (odd for men, even
// for women), computing the check character. It panics on arguments out of
// range (each field must fit its digits); the date itself is not checked, so
// that tests can build numbers that fail only on it. It is meant for
// generators, which control their inputs.
func NewPersonID(address int, year, month, day, seq int) string {
	var b [18]byte
	putPerson(&b, address, year, month, day, seq)
	return string(b[:])
}

// AppendPersonID is NewPersonID appending to dst, for generators that must
// not allocate.
func AppendPersonID(dst []byte, address int, year, month, day, seq int) []byte {
	var b [18]byte
	putPerson(&b, address, year, month, day, seq)
	return append(dst, b[:]...)
}

func putPerson(b *[18]byte, address int, year, month, day, seq int) {
	if address < 110000 || address > 999999 || year < 0 || year > 9999 ||
		month < 0 || month > 99 || day < 0 || day > 99 || seq < 0 || seq > 999 {
		panic(fmt.Sprintf("ident.NewPersonID: address %d date %d-%d-%d seq %d out of range",
			address, year, month, day, seq))
	}
	putDigits(b[0:6], address)
	putDigits(b[6:10], year)
	putDigits(b[10:12], month)
	putDigits(b[12:14], day)
	putDigits(b[14:17], seq)
	b[17] = personCheck(b[:17])
}

// NewUSCC builds a valid unified social credit code from the registering
// authority, the category character, a six-digit region code and an
// organisation number n, written in base 31 over the USCC alphabet as the
// eight-character GB 11714 body (so 0 ≤ n < 31^8). Both check characters are
// computed. The authority is not required to be one that issues codes (1, 5,
// 9 or Y), so that tests can build codes that fail only on it; authority and
// category must be upper-case characters of the USCC alphabet. It panics on
// arguments out of range.
func NewUSCC(authority, category byte, region int, n uint64) string {
	const max = 31 * 31 * 31 * 31 * 31 * 31 * 31 * 31
	if usccValue[authority] < 0 || usccValue[category] < 0 || upper(authority) != authority ||
		upper(category) != category || region < 0 || region > 999999 || n >= max {
		panic(fmt.Sprintf("ident.NewUSCC: authority %q category %q region %d n %d out of range",
			authority, category, region, n))
	}
	var b [18]byte
	b[0], b[1] = authority, category
	putDigits(b[2:8], region)
	// The body must stay inside the USCC alphabet too, so it is written in
	// base 31 over that alphabet (a subset of GB 11714's 0-9A-Z).
	for i := 15; i >= 8; i-- {
		b[i] = usccAlphabet[n%31]
		n /= 31
	}
	b[16] = orgCheck(b[8:16])
	var v [17]int
	for i := 0; i < 17; i++ {
		v[i] = int(usccValue[b[i]])
	}
	b[17] = usccAlphabet[usccCheckValue(v[:])]
	return string(b[:])
}

func putDigits(b []byte, n int) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
}
