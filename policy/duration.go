package policy

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a calendar duration as policies write it: "2y", "6m", "90d",
// "3wd" (working days, Monday to Friday), or a sum such as "1y6m". Years
// and months are calendar years and months, added with time.AddDate.
type Duration struct {
	Years, Months, Days, WorkingDays int
	text                             string
}

// ParseDuration reads a policy duration.
func ParseDuration(s string) (Duration, error) {
	var d Duration
	d.text = s
	rest := strings.TrimSpace(s)
	if rest == "" {
		return d, fmt.Errorf("empty duration")
	}
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return d, fmt.Errorf("duration %q: want a number before each unit (2y, 6m, 90d, 3wd)", s)
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n > 100000 {
			return d, fmt.Errorf("duration %q: number out of range", s)
		}
		rest = rest[i:]
		switch {
		case strings.HasPrefix(rest, "wd"):
			d.WorkingDays += n
			rest = rest[2:]
		case strings.HasPrefix(rest, "y"):
			d.Years += n
			rest = rest[1:]
		case strings.HasPrefix(rest, "m"):
			d.Months += n
			rest = rest[1:]
		case strings.HasPrefix(rest, "w"):
			d.Days += 7 * n
			rest = rest[1:]
		case strings.HasPrefix(rest, "d"):
			d.Days += n
			rest = rest[1:]
		default:
			return d, fmt.Errorf("duration %q: unknown unit (want y, m, w, d or wd)", s)
		}
	}
	return d, nil
}

// IsZero reports whether the duration is empty (not set).
func (d Duration) IsZero() bool {
	return d.Years == 0 && d.Months == 0 && d.Days == 0 && d.WorkingDays == 0
}

func (d Duration) String() string {
	if d.text != "" {
		return d.text
	}
	var b strings.Builder
	for _, p := range []struct {
		n int
		u string
	}{{d.Years, "y"}, {d.Months, "m"}, {d.Days, "d"}, {d.WorkingDays, "wd"}} {
		if p.n != 0 {
			b.WriteString(strconv.Itoa(p.n) + p.u)
		}
	}
	return b.String()
}

// After returns t plus the duration.
func (d Duration) After(t time.Time) time.Time {
	t = t.AddDate(d.Years, d.Months, d.Days)
	for n := d.WorkingDays; n > 0; {
		t = t.AddDate(0, 0, 1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return t
}

// approxDays is the duration in days, for comparing against a maximum.
func (d Duration) approxDays() float64 {
	return float64(d.Years)*365.25 + float64(d.Months)*30.44 + float64(d.Days) + float64(d.WorkingDays)*7/5
}
