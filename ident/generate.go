package ident

import "fmt"

// NewPersonID builds a valid resident identity number from a six-digit
// address code, a birth date and a three-digit sequence (odd for men, even
// for women), computing the check character. It panics on arguments out of
// range: it is meant for generators, which control their inputs.
func NewPersonID(address int, year, month, day, seq int) string {
	if address < 110000 || address > 999999 || seq < 0 || seq > 999 {
		panic(fmt.Sprintf("ident.NewPersonID: address %d seq %d out of range", address, seq))
	}
	var b [18]byte
	putDigits(b[0:6], address)
	putDigits(b[6:10], year)
	putDigits(b[10:12], month)
	putDigits(b[12:14], day)
	putDigits(b[14:17], seq)
	b[17] = personCheck(b[:17])
	return string(b[:])
}

// AppendPersonID is NewPersonID appending to dst, for generators that must
// not allocate.
func AppendPersonID(dst []byte, address int, year, month, day, seq int) []byte {
	var b [18]byte
	putDigits(b[0:6], address)
	putDigits(b[6:10], year)
	putDigits(b[10:12], month)
	putDigits(b[12:14], day)
	putDigits(b[14:17], seq)
	b[17] = personCheck(b[:17])
	return append(dst, b[:]...)
}

// NewUSCC builds a valid unified social credit code from the registering
// authority ('1', '5', '9' or 'Y'), the category character, a six-digit
// region code and an organisation number (0 ≤ n < 36^8, written in base 36
// as the GB 11714 body). Both check characters are computed.
func NewUSCC(authority, category byte, region int, n uint64) string {
	var b [18]byte
	b[0], b[1] = authority, category
	putDigits(b[2:8], region)
	const digits = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	// The body must stay inside the USCC alphabet too, so it is written in
	// base 31 over that alphabet (a subset of GB 11714's 0-9A-Z).
	for i := 15; i >= 8; i-- {
		b[i] = digits[n%31]
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
