package ingest

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credo-org/credo"
)

func TestTrimSpace(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"  a b  ", "a b"},
		{"\t\r\na\n", "a"},
		{"\u3000\u3000张三\u3000", "张三"},
		{"\u00a0100\u00a0", "100"},
		{"\ufeff姓名", "姓名"},
		{"\u200b12\u200b", "12"},
		{"\u2003x\u2002", "x"},
		{"  \u3000 ", ""},
		{"a\u3000b", "a\u3000b"},
	} {
		if got := TrimSpace(c.in); got != c.want {
			t.Errorf("TrimSpace(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFoldWidth(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"2024", "2024"},
		{"２０２４－０３－０５", "2024-03-05"},
		{"１，２３４．５元", "1,234.5元"},
		{"张三", "张三"},
		{"Ａ\u3000ｂ", "A b"},
	} {
		if got := foldWidth(c.in); got != c.want {
			t.Errorf("foldWidth(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	d := func(y, m, dd, h, mi, s int) time.Time { return time.Date(y, time.Month(m), dd, h, mi, s, 0, loc) }
	iso := []string{"2006-01-02"}
	for _, c := range []struct {
		in      string
		layouts []string
		want    time.Time
	}{
		{"2024-03-05", iso, d(2024, 3, 5, 0, 0, 0)},
		{" 2024-03-05\u3000", iso, d(2024, 3, 5, 0, 0, 0)},
		{"２０２４－０３－０５", iso, d(2024, 3, 5, 0, 0, 0)},
		{"2024/3/5", []string{"2006-01-02", "2006/1/2"}, d(2024, 3, 5, 0, 0, 0)},
		{"2024/03/05", []string{"2006/1/2"}, d(2024, 3, 5, 0, 0, 0)},
		{"20240305", []string{"excel", "20060102"}, d(2024, 3, 5, 0, 0, 0)},
		{"2024-03-05 14:30:15", []string{"2006-01-02", "2006-01-02 15:04:05"}, d(2024, 3, 5, 14, 30, 15)},
		{"2024-02-29", iso, d(2024, 2, 29, 0, 0, 0)},
		// chinese
		{"2024年3月5日", []string{"chinese"}, d(2024, 3, 5, 0, 0, 0)},
		{"2024年03月05日", []string{"chinese"}, d(2024, 3, 5, 0, 0, 0)},
		{"2024 年 3 月 5 日", []string{"chinese"}, d(2024, 3, 5, 0, 0, 0)},
		{"２０２４年３月５日", []string{"chinese"}, d(2024, 3, 5, 0, 0, 0)},
		{"2024年3月5号", []string{"chinese"}, d(2024, 3, 5, 0, 0, 0)},
		{"2024年3月5日 14时30分", []string{"chinese"}, d(2024, 3, 5, 14, 30, 0)},
		{"2024年3月5日14时30分15秒", []string{"chinese"}, d(2024, 3, 5, 14, 30, 15)},
		{"2024年3月5日 14:30", []string{"chinese"}, d(2024, 3, 5, 14, 30, 0)},
		{"2024年3月5日 14:30:09", []string{"chinese"}, d(2024, 3, 5, 14, 30, 9)},
		{"2024年3月5日 14点30分", []string{"chinese"}, d(2024, 3, 5, 14, 30, 0)},
		{"2024年3月5日 14时", []string{"chinese"}, d(2024, 3, 5, 14, 0, 0)},
		{"2024年3月5日 下午2时30分", []string{"chinese"}, d(2024, 3, 5, 14, 30, 0)},
		{"2024年3月5日 上午9:05", []string{"chinese"}, d(2024, 3, 5, 9, 5, 0)},
		{"二〇二四年三月五日", []string{"chinese"}, d(2024, 3, 5, 0, 0, 0)},
		{"二〇二三年十二月三十一日", []string{"chinese"}, d(2023, 12, 31, 0, 0, 0)},
		{"二○二四年十月二十日", []string{"chinese"}, d(2024, 10, 20, 0, 0, 0)},
		// excel
		{"45356", []string{"excel"}, d(2024, 3, 5, 0, 0, 0)},
		{"45356.0", []string{"excel"}, d(2024, 3, 5, 0, 0, 0)},
		{"45356.604166666664", []string{"excel"}, d(2024, 3, 5, 14, 30, 0)},
		{"45356.5", []string{"excel"}, d(2024, 3, 5, 12, 0, 0)},
		{"1", []string{"excel"}, d(1900, 1, 1, 0, 0, 0)},
		{"59", []string{"excel"}, d(1900, 2, 28, 0, 0, 0)},
		{"61", []string{"excel"}, d(1900, 3, 1, 0, 0, 0)},
		{"2958465", []string{"excel"}, d(9999, 12, 31, 0, 0, 0)},
		{"2024-03-05", []string{"excel", "2006-01-02"}, d(2024, 3, 5, 0, 0, 0)},
		{"2024年3月5日", []string{"2006-01-02", "excel", "chinese"}, d(2024, 3, 5, 0, 0, 0)},
	} {
		got, err := ParseDate(c.in, c.layouts, loc)
		if err != nil {
			t.Errorf("ParseDate(%q, %q): %v", c.in, c.layouts, err)
			continue
		}
		if !got.Equal(c.want) || got.Location() != loc {
			t.Errorf("ParseDate(%q, %q) = %v, want %v", c.in, c.layouts, got, c.want)
		}
	}
}

func TestParseDateDefaultLocation(t *testing.T) {
	got, err := ParseDate("2024-03-05", []string{"2006-01-02"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, off := got.Zone(); off != 8*3600 {
		t.Errorf("offset %d, want +8h", off)
	}
}

func TestParseDateErrors(t *testing.T) {
	for _, c := range []struct {
		in      string
		layouts []string
		want    []string // substrings of the message
	}{
		{"2023-02-30", []string{"2006-01-02"}, []string{`"2023-02-30"`, "2006-01-02", "day out of range"}},
		{"2023-13-01", []string{"2006-01-02"}, []string{"month out of range"}},
		{"", []string{"2006-01-02"}, []string{"empty"}},
		{"   ", []string{"2006-01-02"}, []string{"empty"}},
		{"yesterday", []string{"2006-01-02", "chinese", "excel"}, []string{`"yesterday"`, "2006-01-02", "chinese", "excel"}},
		{"2023年2月29日", []string{"chinese"}, []string{"day out of range"}},
		{"2024年13月1日", []string{"chinese"}, []string{"month out of range"}},
		{"2024年0月1日", []string{"chinese"}, []string{"month out of range"}},
		{"2024年3月", []string{"chinese"}, []string{"not a 年月日 date"}},
		{"24年3月5日", []string{"chinese"}, []string{"4 digits"}},
		{"2024年3月5日 25时", []string{"chinese"}, []string{"hour out of range"}},
		{"2024年3月5日 14时61分", []string{"chinese"}, []string{"minute out of range"}},
		{"2024年3月5日 14时30分 前后", []string{"chinese"}, []string{"time"}},
		{"2024年3月5日 14:30 前后", []string{"chinese"}, []string{"after the time"}},
		{"2024年3月5日 blah", []string{"chinese"}, []string{"time"}},
		{"60", []string{"excel"}, []string{"1900-02-29"}},
		{"0", []string{"excel"}, []string{"out of range"}},
		{"2958466", []string{"excel"}, []string{"out of range"}},
		{"20240305", []string{"excel"}, []string{"out of range"}},
		{"-5", []string{"excel"}, []string{"not a serial"}},
		{"45356.", []string{"excel"}, []string{"not a serial"}},
		{"4.5e4", []string{"excel"}, []string{"not a serial"}},
		{"2024-03-05", nil, []string{"no layouts"}},
	} {
		_, err := ParseDate(c.in, c.layouts, time.UTC)
		if err == nil {
			t.Errorf("ParseDate(%q, %q): no error", c.in, c.layouts)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ParseDate(%q, %q): %v; want it to mention %q", c.in, c.layouts, err, w)
			}
		}
	}
}

func TestParseAmount(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
	}{
		{"0", 0},
		{"12", 12},
		{"-12.5", -12.5},
		{"+7", 7},
		{"1234.5", 1234.5},
		{"1,234", 1234},
		{"1,234,567.89", 1234567.89},
		{"¥1,234.50", 1234.5},
		{"￥1,234.50", 1234.5},
		{"¥ 1,234.50", 1234.5},
		{"-¥12.5", -12.5},
		{"¥-12.5", -12.5},
		{"1234.5元", 1234.5},
		{"1234.5 元", 1234.5},
		{"1200元整", 1200},
		{"RMB 1234.5", 1234.5},
		{"RMB1234.5", 1234.5},
		{"CNY 88", 88},
		{"人民币500元", 500},
		{"1.2万", 12000},
		{"1.2万元", 12000},
		{"3亿", 300000000},
		{"3亿元", 300000000},
		{"12万3456", 123456},
		{"1万2千", 12000},
		{"２，０００．５０", 2000.5},
		{"１２３４．５元", 1234.5},
		{" 88 ", 88},
		{"1.005", 1.01},
		{"1.004999", 1},
		{"0.125", 0.13},
		{"-0.125", -0.13},
		{"1.2345678万", 12345.68},
		{"一千二百", 1200},
		{"一千二百三十四元五角六分", 1234.56},
		{"壹仟贰佰元整", 1200},
		{"壹万贰仟叁佰肆拾伍元陆角柒分", 12345.67},
		{"叁佰元零伍分", 300.05},
		{"两千", 2000},
		{"十五", 15},
		{"十", 10},
		{"十元", 10},
		{"十万元", 100000},
		{"拾万元整", 100000},
		{"一十五", 15},
		{"二十", 20},
		{"一万零五百", 10500},
		{"一千零五", 1005},
		{"一亿二千万", 120000000},
		{"五角", 0.5},
		{"五元", 5},
		{"五块五毛", 5.5},
		{"零元", 0},
		{"负五百元", -500},
		{"−12", -12},
	} {
		got, err := ParseAmount(c.in)
		if err != nil {
			t.Errorf("ParseAmount(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseAmount(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestParseAmountErrors(t *testing.T) {
	for _, in := range []string{
		"", " ", "abc", "1.2.3", "元", "¥", "RMB", "万", "1,23", "12,3456", ",123", "1.", ".5",
		"1 2", "12-", "--1", "1e5", "NaN", "Inf", "一二", "一万五", "一千五", "五元五", "一千千",
		"百", "千五", "1元2", "五角五角", "整", "一千二百元整整", "1元整5角", "十五角", "1亿亿", "20万亿",
		"99999999999999999999", "(12.50)", "1.2.万",
	} {
		_, err := ParseAmount(in)
		if err == nil {
			t.Errorf("ParseAmount(%q): no error", in)
			continue
		}
		if !strings.Contains(err.Error(), "\""+in+"\"") {
			t.Errorf("ParseAmount(%q): %v does not name the value", in, err)
		}
	}
}

func TestParseInt(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"12", 12}, {"-3", -3}, {"1,234", 1234}, {"１２", 12}, {"十二", 12}, {"一千零五", 1005}, {" 6 ", 6},
	} {
		got, err := ParseInt(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseInt(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "3.0", "1.5", "abc", "12元", "9223372036854775808", "1e3"} {
		if _, err := ParseInt(in); err == nil {
			t.Errorf("ParseInt(%q): no error", in)
		}
	}
}

func TestParseNumber(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
	}{
		{"2.5", 2.5}, {"-0.25", -0.25}, {"1,234.5", 1234.5}, {"１．５", 1.5}, {"十二", 12}, {"1.5万", 15000},
	} {
		got, err := ParseNumber(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseNumber(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "NaN", "Inf", "0x10", "1.2.3", "12元", "abc"} {
		if _, err := ParseNumber(in); err == nil {
			t.Errorf("ParseNumber(%q): no error", in)
		}
	}
}

func TestParseBool(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"1", true}, {"0", false}, {"true", true}, {"FALSE", false}, {"True", true}, {"t", true}, {"F", false},
		{"yes", true}, {"No", false}, {"Y", true}, {"n", false}, {"Ｙ", true}, {"是", true}, {"否", false},
		{"有", true}, {"无", false}, {" 是 ", true},
	} {
		got, err := ParseBool(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseBool(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "2", "maybe", "yess", "是否"} {
		if _, err := ParseBool(in); err == nil || !strings.Contains(err.Error(), "\""+in+"\"") {
			t.Errorf("ParseBool(%q): %v", in, err)
		}
	}
}

func TestParseSex(t *testing.T) {
	for _, c := range []struct {
		in   string
		want credo.Sex
	}{
		{"男", credo.Male}, {"女", credo.Female}, {"M", credo.Male}, {"f", credo.Female}, {"1", credo.Male},
		{"2", credo.Female}, {"male", credo.Male}, {"Female", credo.Female}, {"男性", credo.Male},
		{"Ｆ", credo.Female}, {"", credo.SexUnknown}, {"0", credo.SexUnknown}, {"9", credo.SexUnknown},
		{"未知", credo.SexUnknown},
	} {
		got, err := ParseSex(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSex(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"x", "3", "男女"} {
		if _, err := ParseSex(in); err == nil {
			t.Errorf("ParseSex(%q): no error", in)
		}
	}
}

func TestTransformsDoNotAllocate(t *testing.T) {
	layouts := []string{"2006-01-02"}
	for name, f := range map[string]func(){
		"TrimSpace":        func() { TrimSpace("\u3000abc ") },
		"ParseAmount":      func() { ParseAmount("¥1,234.50") },
		"ParseAmountCJK":   func() { ParseAmount("一千二百三十四元五角六分") },
		"ParseDate":        func() { ParseDate("2024-03-05", layouts, time.UTC) },
		"ParseDateChinese": func() { ParseDate("2024年3月5日", []string{"chinese"}, time.UTC) },
		"ParseDateExcel":   func() { ParseDate("45356.5", []string{"excel"}, time.UTC) },
		"ParseBool":        func() { ParseBool("Yes") },
	} {
		if n := testing.AllocsPerRun(100, f); n > 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
}

// A fuzz target's invariants for ParseAmount: no panic; a result is finite,
// a whole number of fen, and under the bound.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{
		"¥1,234.50", "1234.5元", "RMB 1234.5", "1,234", "1.2万", "3亿", "-12.5", "１２３４", "一千二百",
		"一千二百三十四元五角六分", "壹仟贰佰元整", "两千", "十五", "一万零五百", "abc", "1.2.3", "", "元",
		"99999999999999999999", "1.2345678万", "一亿二千万", "五块五毛", "0.000000000000000000001",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, err := ParseAmount(s)
		if err != nil {
			if !strings.Contains(err.Error(), "amount") {
				t.Errorf("ParseAmount(%q): %v does not say it is an amount", s, err)
			}
			return
		}
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) >= maxFen/100 {
			t.Fatalf("ParseAmount(%q) = %v", s, x)
		}
		if fen := x * 100; math.Abs(fen-math.Round(fen)) > 1e-6*math.Max(1, math.Abs(fen)) {
			t.Fatalf("ParseAmount(%q) = %v, not whole fen", s, x)
		}
		// A plain decimal number reads as strconv reads it, to the fen.
		if plainDecimalString(s) {
			f, err := strconv.ParseFloat(s, 64)
			if err == nil && math.Abs(f-x) > 0.005000001*math.Max(1, math.Abs(f)/1e12) {
				t.Fatalf("ParseAmount(%q) = %v, strconv says %v", s, x, f)
			}
		}
	})
}

func plainDecimalString(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return s != ""
}

// FuzzParseDate: no panic; a parsed date is valid in its layout's sense
// (formats back and parses to the same instant for Go layouts) and within
// Excel's range.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{
		"2024-03-05", "2024/3/5", "20240305", "2024年3月5日", "2024年03月05日 14时30分", "2024年3月5日 14:30",
		"二〇二四年三月五日", "45356", "45356.604166666664", "60", "2023-02-30", "２０２４－０３－０５", "",
		"2024年3月5日 下午2时", "2958465.99999999",
	} {
		f.Add(s)
	}
	layouts := []string{"2006-01-02", "2006/1/2", "20060102", "chinese", "excel"}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s, layouts, time.UTC)
		if err != nil {
			if !strings.Contains(err.Error(), "date") {
				t.Errorf("ParseDate(%q): %v", s, err)
			}
			return
		}
		if y := d.Year(); y < 0 || y > 10000 { // Go layouts read year 0000
			t.Fatalf("ParseDate(%q) = %v", s, d)
		}
	})
}

// quickParse must agree with time.ParseInLocation on every layout it
// handles.
var quickLayouts = []string{
	"2006-01-02", "2006/1/2", "2006-1-2", "20060102", "2006-01-02 15:04:05", "2006/1/2 15:04", "20060102150405",
	"2006年01月02日", "2006.1.2", "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00", "02/01/2006", "Jan 2 2006",
}

func TestQuickParse(t *testing.T) {
	for _, v := range []string{
		"2024-03-05", "2024/3/5", "2024/03/05", "2024-3-5", "20240305", "2024-03-05 14:30:15", "2024/3/5 9:05",
		"20240305143015", "2024年03月05日", "2024.3.5", "2024-03-05T14:30:15", "2024-02-30", "2024/13/1",
		"2024-03-05 24:00:00", "2024-03-05 14:60:00", "2024-03-05 14:30:15.5", "05/03/2024", "", "2024",
		"2024-03-05x", "2024-3-05", "0000-01-01", "2024/0/1", "2024/1/0", "2024/1/32", "2023/2/29",
	} {
		for _, l := range quickLayouts {
			checkQuick(t, l, v)
		}
	}
}

func checkQuick(t *testing.T, layout, v string) {
	got, ok, handled := quickParse(layout, v, time.UTC)
	if !handled {
		return
	}
	want, err := time.ParseInLocation(layout, v, time.UTC)
	if ok != (err == nil) || ok && !got.Equal(want) {
		t.Errorf("quickParse(%q, %q) = %v, %v; time.Parse: %v, %v", layout, v, got, ok, want, err)
	}
}

func FuzzQuickParse(f *testing.F) {
	for _, s := range []string{"2024-03-05", "2024/3/5 9:05", "20240305143015", "2024-02-30"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, l := range quickLayouts {
			checkQuick(t, l, v)
		}
	})
}

var benchSink float64

func BenchmarkParseDate(b *testing.B) {
	for _, c := range []struct {
		name, in string
		layouts  []string
	}{
		{"iso", "2024-03-05", []string{"2006-01-02"}},
		{"second_layout", "2024/3/5", []string{"2006-01-02", "2006/1/2"}},
		{"datetime", "2024-03-05 14:30:15", []string{"2006-01-02 15:04:05"}},
		{"chinese", "2024年3月5日", []string{"chinese"}},
		{"chinese_time", "2024年03月05日 14时30分", []string{"chinese"}},
		{"excel", "45356.604166666664", []string{"excel"}},
		{"fullwidth", "２０２４－０３－０５", []string{"2006-01-02"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				t, err := ParseDate(c.in, c.layouts, time.UTC)
				if err != nil {
					b.Fatal(err)
				}
				benchSink += float64(t.Unix())
			}
		})
	}
}

func BenchmarkParseAmount(b *testing.B) {
	for _, c := range []struct{ name, in string }{
		{"plain", "1234.50"},
		{"separators", "¥1,234.50"},
		{"yuan", "1234.5元"},
		{"wan", "1.2万"},
		{"chinese", "一千二百三十四元五角六分"},
		{"capitals", "壹仟贰佰元整"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				x, err := ParseAmount(c.in)
				if err != nil {
					b.Fatal(err)
				}
				benchSink += x
			}
		})
	}
}

// The fast paths of ParseAmount, ParseInt, ParseSex and TrimSpace give what
// the general code gives.
func TestTransformFastPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const chars = "0123456789.,-+ ¥元万"
	for range 100000 {
		var b strings.Builder
		for range rng.IntN(22) {
			if rng.IntN(4) == 0 {
				r := []rune(chars)
				b.WriteRune(r[rng.IntN(len(r))])
			} else {
				b.WriteByte(byte('0' + rng.IntN(10)))
			}
		}
		s := b.String()
		a, aerr := ParseAmount(s)
		w, werr := parseAmount(s)
		if a != w || (aerr == nil) != (werr == nil) || aerr != nil && aerr.Error() != werr.Error() {
			t.Fatalf("ParseAmount(%q) = %v, %v; without the fast path %v, %v", s, a, aerr, w, werr)
		}
		n, nerr := ParseInt(s)
		m, merr := parseInt(s)
		if n != m || (nerr == nil) != (merr == nil) || nerr != nil && nerr.Error() != merr.Error() {
			t.Fatalf("ParseInt(%q) = %v, %v; without the fast path %v, %v", s, n, nerr, m, merr)
		}
	}
	spaces := []string{"", " ", "\t", "\u3000", "\u00a0", "\ufeff", "\u200b", "\u2060", "\u1680", "\u2028", "\u0085", "\u202f", "\u205f"}
	texts := []string{"", "a", "张三", "荣成市", "é", "\u3001", "\uff01", "x\u3000y", "\xff", "\xe4\xb8"}
	for _, l := range spaces {
		for _, m := range texts {
			for _, r := range spaces {
				s := l + m + r
				if got, want := TrimSpace(s), trimSpaceSlow(s); got != want {
					t.Errorf("TrimSpace(%q) = %q, want %q", s, got, want)
				}
			}
		}
	}
	for _, s := range []string{"男", "女", " 男", "男性", "M", "9"} {
		got, err := ParseSex(s)
		want, werr := ParseSex(" " + s + " ") // not the fast path
		if got != want || (err == nil) != (werr == nil) {
			t.Errorf("ParseSex(%q) = %v, %v; with spaces %v, %v", s, got, err, want, werr)
		}
	}
}

// trimSpaceSlow is TrimSpace by its definition: isSpace at both ends.
func trimSpaceSlow(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return isSpace(r) })
}
