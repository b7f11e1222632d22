package ingest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TrimSpace strips white space around s, including the full-width space
// U+3000 that Chinese text uses.
func TrimSpace(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u3000' || r == '\u00a0' || r == '\ufeff'
	})
}

// ParseDate parses s with the first of layouts that fits. Dates without a
// zone are in loc.
func ParseDate(s string, layouts []string, loc *time.Location) (time.Time, error) {
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q does not match %s", s, strings.Join(layouts, ", "))
}

// ParseAmount parses a sum of money in yuan.
func ParseAmount(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q is not a number", s)
	}
	return f, nil
}

// ParseBool parses yes/no values.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "y", "是", "t":
		return true, nil
	case "0", "false", "no", "n", "否", "f":
		return false, nil
	}
	return false, fmt.Errorf("%q is not yes or no", s)
}
