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
