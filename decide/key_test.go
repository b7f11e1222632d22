package decide

import (
	"strconv"
	"testing"
)

func TestDigits17(t *testing.T) {
	for _, s := range []string{"11010519491231002X", "00000000000000000X", "99999999999999999X", "12345678901234567X"} {
		v, ok := digits17(s)
		want, _ := strconv.ParseUint(s[:17], 10, 64)
		if !ok || v != want {
			t.Errorf("%s: %d %v, want %d", s, v, ok, want)
		}
	}
	for _, s := range []string{"1101051949123100AX", "/10105194912310021", ":10105194912310021"} {
		if _, ok := digits17(s); ok {
			t.Errorf("%s parsed", s)
		}
	}
}

// TestSipHash checks SipHash-2-4 against the reference implementation's
// vectors: key 00 01 … 0f, message 00 01 … of each length.
func TestSipHash(t *testing.T) {
	sd := seed{0x0706050403020100, 0x0f0e0d0c0b0a0908}
	msg := make([]byte, 64)
	for i := range msg {
		msg[i] = byte(i)
	}
	for n, want := range map[int]uint64{
		0: 0x726fdb47dd0e0e31, 1: 0x74f839c593dc67fd, 7: 0xab0200f58b01d137, 8: 0x93f5f5799a932462,
		15: 0xa129ca6149be45e5, 16: 0x3f2acc7f57c29bdb, 17: 0x699ae9f52cbe4794, 18: 0x4bc1b3f0968dd39c,
		63: 0x958a324ceb064572,
	} {
		if got := sipHash(sd, msg[:n]); got != want {
			t.Errorf("%d bytes: %#x, want %#x", n, got, want)
		}
		if got := sipHash(sd, string(msg[:n])); got != want {
			t.Errorf("%d bytes as a string: %#x, want %#x", n, got, want)
		}
	}
}
