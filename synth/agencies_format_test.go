package synth

import (
	"strings"
	"testing"
	"time"

	"github.com/credo-org/credo/ident"
	"github.com/credo-org/credo/ingest"
)

// The agencies' amounts read back, through ingest's transforms, as what
// they were.
func TestAgencyAmountsRoundTrip(t *testing.T) {
	for _, n := range []int64{1, 5, 10, 11, 15, 20, 99, 100, 101, 110, 960, 1000, 1001, 1010, 1200, 1234,
		9999, 10000, 10001, 10015, 10500, 12000, 15000, 60800, 65200, 100000, 105000, 150000, 1000001, 12345678, 99999999} {
		got := formatAmount(asChinese, float64(n))
		v, err := ingest.ParseAmount(got)
		if err != nil || v != float64(n) {
			t.Errorf("%d: written %q, read %v, %v", n, got, v, err)
		}
	}
	if got := formatAmount(asChinese, 1200); got != "一千二百元" {
		t.Errorf("1200: %q", got)
	}
	if got := formatAmount(asChinese, 60800); got != "六万零八百元" {
		t.Errorf("60800: %q", got)
	}
	for _, f := range []float64{0, 0.5, 12.34, 960, 1234.5, 12000, 37000, 312900, 4360900, 8715000, 297137.04, 1e7} {
		for _, style := range []int{asPlain, asFixed, asYuan, asSign, asWan, asChinese} {
			got := formatAmount(style, f)
			v, err := ingest.ParseAmount(got)
			if err != nil || v != f {
				t.Errorf("%v in style %d: written %q, read %v, %v", f, style, got, v, err)
			}
		}
	}
	if got := formatAmount(asSign, 12500); got != "¥12,500.00" {
		t.Errorf("asSign: %q", got)
	}
	if got := formatAmount(asWan, 312900); got != "31.29万元" {
		t.Errorf("asWan: %q", got)
	}
	for _, bad := range badAmounts {
		if _, err := ingest.ParseAmount(bad); err == nil {
			t.Errorf("bad amount %q reads", bad)
		}
	}
}

// Every date style reads back with the layouts its specs give, and the
// impossible dates of broken rows do not.
func TestAgencyDatesRoundTrip(t *testing.T) {
	layouts := map[int][]string{
		dsISO: {"2006-01-02"}, dsSlash: {"2006/1/2"}, dsSlashPad: {"2006/1/2"}, dsCompact: {"20060102"},
		dsDot: {"2006.01.02"}, dsChinese: {"chinese"}, dsChinesePad: {"chinese"}, dsChineseNum: {"chinese"},
		dsExcel: {"excel"}, dsRFC3339: {"2006-01-02T15:04:05Z07:00"}, dsDateTime: {"2006-01-02 15:04:05"},
		dsMinute: {"2006-01-02 15:04"}, dsLocalT: {"2006-01-02T15:04:05"},
	}
	for style, l := range layouts {
		for _, d := range [][3]int{{2024, 3, 5}, {2021, 12, 31}, {1950, 10, 1}, {2000, 2, 29}, {2023, 11, 20}} {
			s := formatDate(style, d[0], d[1], d[2], 8, 12, 9)
			got, err := ingest.ParseDate(s, l, China)
			if err != nil {
				t.Errorf("style %d: %q: %v", style, s, err)
				continue
			}
			if y, m, dd := got.Date(); y != d[0] || int(m) != d[1] || dd != d[2] {
				t.Errorf("style %d: %q read as %s", style, s, got)
			}
		}
		for _, d := range [][2]int{{2, 30}, {4, 31}, {11, 31}} {
			s := formatDate(style, 2023, d[0], d[1], 8, 12, 9)
			if style == dsExcel {
				s = formatDate(dsISO, 2023, d[0], d[1], 0, 0, 0)
			}
			if _, err := ingest.ParseDate(s, l, China); err == nil {
				t.Errorf("style %d: impossible %q reads", style, s)
			}
		}
	}
	if got := formatDate(dsChineseNum, 2024, 3, 5, 0, 0, 0); got != "二〇二四年三月五日" {
		t.Errorf("dsChineseNum: %q", got)
	}
	if got := formatDate(dsChineseNum, 2021, 12, 31, 0, 0, 0); got != "二〇二一年十二月三十一日" {
		t.Errorf("dsChineseNum: %q", got)
	}
	if got := formatDate(dsExcel, 2024, 3, 5, 0, 0, 0); got != "45356" {
		t.Errorf("dsExcel: %q", got)
	}
}

func TestMistype(t *testing.T) {
	c, err := New(Config{Seed: 3, People: 500})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, China)
	r := newRNG(1)
	for i := range 500 {
		p := c.Person(i)
		m := mistype(p.IDNumber, &r, true, now)
		if m == p.IDNumber || len(m) != 18 || ident.CheckPersonAt(m, now).Valid() || diff(m, p.IDNumber) > 2 {
			t.Errorf("%s mistyped as %s", p.IDNumber, m)
		}
		if i < 200 {
			o := c.Org(i % c.Orgs())
			m := mistype(o.USCC, &r, false, now)
			if m == o.USCC || ident.CheckOrganization(m).Valid() || diff(m, o.USCC) > 2 {
				t.Errorf("%s mistyped as %s", o.USCC, m)
			}
		}
	}
}

func diff(a, b string) int {
	n := 0
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

func TestAgencySpecsParse(t *testing.T) {
	names := map[string]bool{}
	for _, a := range agencies {
		if names[a.name] {
			t.Errorf("two agencies named %s", a.name)
		}
		names[a.name] = true
		s, err := ingest.ParseSpec(a.name+".yaml", []byte(a.spec))
		if err != nil {
			t.Errorf("%s: %v", a.name, err)
			continue
		}
		if s.Source != a.name || !strings.EqualFold(s.Format, a.format) {
			t.Errorf("%s: spec says source %s format %s", a.name, s.Source, s.Format)
		}
		if a.tabular() {
			m, err := ingest.NewMapper(s, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.CheckHeader(a.header); err != nil {
				t.Errorf("%s: %v", a.name, err)
			}
		}
	}
}
