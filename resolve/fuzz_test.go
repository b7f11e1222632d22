package resolve

import (
	"context"
	"testing"
)

// FuzzParseSpec: any bytes give a spec or an error, never a panic, and a
// spec that parses makes a linker.
func FuzzParseSpec(f *testing.F) {
	f.Add([]byte("id: rec_id\nfields:\n  - {column: given_name, compare: name, part: given, swap: surname}\n  - {column: surname, compare: name}\n  - {column: dob, compare: date, layout: \"20060102\"}\nblocking: [[surname], [dob:year, surname:first3]]\nthresholds: {link: 20, review: 10}\n"))
	f.Add([]byte("id: x\nfields: [{column: p, compare: phone}, {column: t, compare: text, tf: false}]\none_to_one: false\nmax_block: 5\n"))
	f.Add([]byte("id: x\nfields: [{column: d, compare: date, layout: '2 Jan 2006'}]\nblocking: [[d:last2]]\n"))
	f.Add([]byte("id: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSpec(data)
		if err != nil {
			return
		}
		cfg, err := s.Config()
		if err != nil {
			t.Fatalf("ParseSpec accepted a spec Config refuses: %v", err)
		}
		if _, err := New(cfg); err != nil {
			t.Fatalf("ParseSpec accepted a spec New refuses: %v", err)
		}
	})
}

// FuzzLevels compares two arbitrary values under every comparison: a
// level in range, the same both ways round, never a panic.
func FuzzLevels(f *testing.F) {
	for _, s := range [][2]string{
		{"张伟", "Zhang Wei"}, {"1985-03-07", "1985-07-03"}, {"+86 138 1234 5678", "13812345679"},
		{"荣城市东山区建设路12号", "12 stanley st"}, {"11010519491231002X", "11010519491231003x"},
		{"ｚｈａｎｇ　ｗｅｉ", "不详"}, {"欧阳娜娜", "Ouyang Nana"}, {"\xff\xfe", "1985"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for k := range numKinds {
			fields := []Field{{Name: "f", Kind: k, Layout: "2006-01-02"}}
			if k != Date {
				fields[0].Layout = ""
			}
			l, err := New(Config{Fields: fields})
			if err != nil {
				t.Fatal(err)
			}
			l.Add(0, []string{a})
			l.Add(0, []string{b})
			if err := l.prepare(context.Background()); err != nil {
				t.Fatal(err)
			}
			ab, ba := level(l.levels(0, 1), 0), level(l.levels(1, 0), 0)
			if int(ab) > len(k.Levels()) {
				t.Fatalf("%s %q %q: level %d of %d", k, a, b, ab, len(k.Levels()))
			}
			if ab != ba && k != Text {
				t.Errorf("%s %q %q: level %d one way, %d the other", k, a, b, ab, ba)
			}
		}
	})
}
