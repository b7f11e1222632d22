package resolve

import (
	"context"
	"math"
	"strings"
	"testing"
)

// pairLevel compares two values of a one-field linker.
func pairLevel(t *testing.T, f Field, a, b string) string {
	t.Helper()
	l, err := New(Config{Fields: []Field{f}})
	if err != nil {
		t.Fatal(err)
	}
	l.Add(0, []string{a})
	l.Add(0, []string{b})
	l.prepare(context.Background())
	lv := level(l.levels(0, 1), 0)
	if lv == Null {
		return "null"
	}
	return f.Kind.Levels()[lv-1]
}

func TestComparisonLevels(t *testing.T) {
	name := Field{Name: "n", Kind: Name}
	date := Field{Name: "d", Kind: Date, Layout: "2006-01-02"}
	compact := Field{Name: "d", Kind: Date, Layout: "20060102"}
	tests := []struct {
		f    Field
		a, b string
		want string
	}{
		// Names: Han and pinyin meet; typos; word order; missing.
		{name, "张伟", "张伟", "exact"},
		{name, "Zhang Wei", " zhang  wei ", "exact"},
		{name, "张伟", "Zhang Wei", "same pinyin"},
		{name, "张伟", "ZHANG WEI", "same pinyin"},
		{name, "张伟", "章伟", "same pinyin"}, // homophones: the Han differs
		{name, "Wei Zhang", "张伟", "same pinyin"},
		{name, "王秀英", "Wang Xiuying", "same pinyin"},
		{name, "王秀英", "Wang Xiu-Ying", "same pinyin"},
		{name, "吕丽", "Lü Li", "same pinyin"},
		{name, "吕丽", "Lyu Li", "same pinyin"},
		{name, "司马光", "Sima Guang", "same pinyin"},
		{name, "Wang Xiuying", "Wang Xiuyign", "jaro-winkler >= 0.92"},
		{name, "张伟", "Zhang Wie", "jaro-winkler >= 0.92"},
		{name, "michaela", "micheala", "jaro-winkler >= 0.92"},
		{name, "jonathan", "jonothon", "jaro-winkler >= 0.80"},
		{name, "张伟", "李娜", "different"},
		{name, "smith", "", "null"},
		{name, "", "", "null"},
		{name, "unknown", "smith", "null"},
		// Dates.
		{date, "1985-03-07", "1985-03-07", "exact"},
		{date, "1985-03-07", "1985-3-7", "exact"},
		{date, "1985-03-07", "1985-07-03", "day and month swapped"},
		{date, "1985-03-07", "1986-03-07", "one digit off"},
		{date, "1985-03-07", "1985-03-17", "one digit off"},
		{date, "1985-03-07", "1985-11-21", "same year"},
		{date, "1985-03-07", "1985", "same year"},
		{date, "1985-03-07", "1962-11-21", "different"},
		{date, "1985-03-07", "", "null"},
		{compact, "19850307", "19850307", "exact"},
		{compact, "19850307", "19850703", "day and month swapped"},
		{compact, "19851342", "19851343", "one digit off"}, // not a date, still compared
		{compact, "19850307", "1985-03-07", "exact"},
		// Sex.
		{Field{Name: "s", Kind: Sex}, "男", "M", "exact"},
		{Field{Name: "s", Kind: Sex}, "female", "2", "exact"},
		{Field{Name: "s", Kind: Sex}, "男", "女", "different"},
		{Field{Name: "s", Kind: Sex}, "男", "unknown", "null"},
		// Phones.
		{Field{Name: "p", Kind: Phone}, "13812345678", "138-1234-5678", "exact"},
		{Field{Name: "p", Kind: Phone}, "13812345678", "+86 138 1234 5678", "exact"},
		{Field{Name: "p", Kind: Phone}, "13812345678", "13912345678", "same last 8 digits"},
		{Field{Name: "p", Kind: Phone}, "13812345678", "13812345679", "one digit off"},
		{Field{Name: "p", Kind: Phone}, "13812345678", "15900001111", "different"},
		// Text.
		{Field{Name: "t", Kind: Text}, "12 Stanley Street", "12 stanley st", "exact"},
		{Field{Name: "t", Kind: Text}, "light street", "light setreet", "token overlap >= 0.8"},
		{Field{Name: "t", Kind: Text}, "荣城市东山区建设路12号幸福小区3号楼2单元301室", "荣城市东山区建设路12号幸福小区3栋2单元301室", "exact"},
		{Field{Name: "t", Kind: Text}, "荣城市东山区建设路12号幸福小区3号楼2单元301室", "荣城市东山区建设路12号幸福小区", "token overlap >= 0.8"},
		{Field{Name: "t", Kind: Text}, "荣城市东山区建设路12号幸福小区3号楼2单元301室", "荣城市东山区建设路12号", "token overlap >= 0.5"},
		{Field{Name: "t", Kind: Text}, "荣城市东山区建设路12号", "荣城市西湖区人民路8号", "different"},
		// Identifiers.
		{Field{Name: "i", Kind: ID}, "11010519491231002X", "11010519491231002x", "exact"},
		{Field{Name: "i", Kind: ID}, "11010519491231002X", "110105-19491231-002X", "exact"},
		{Field{Name: "i", Kind: ID}, "11010519491231002X", "11010519491231003X", "one substitution or transposition"},
		{Field{Name: "i", Kind: ID}, "11010519491231002X", "11010519492131002X", "one substitution or transposition"},
		{Field{Name: "i", Kind: ID}, "11010519491231002X", "11010519491231012Y", "different"},
		{Field{Name: "i", Kind: ID}, "5304218", "5340218", "one substitution or transposition"},
		// Exact.
		{Field{Name: "e", Kind: Exact}, "NSW", "nsw", "exact"},
		{Field{Name: "e", Kind: Exact}, "nsw", "vic", "different"},
	}
	covered := map[string]bool{"name swapped with another name field": true} // TestSwappedNames
	for _, tt := range tests {
		if got := pairLevel(t, tt.f, tt.a, tt.b); got != tt.want {
			t.Errorf("%s %q vs %q: %s, want %s", tt.f.Kind, tt.a, tt.b, got, tt.want)
		}
		covered[tt.f.Kind.String()+" "+tt.want] = true
	}
	// Every level of every comparison has a labelled pair.
	for k := range numKinds {
		for _, lv := range k.Levels() {
			if !covered[k.String()+" "+lv] {
				t.Errorf("no fixture for %s at level %q", k, lv)
			}
		}
	}
}

func TestSwappedNames(t *testing.T) {
	fields := []Field{
		{Name: "given", Kind: Name, Part: GivenName, Swap: "surname"},
		{Name: "surname", Kind: Name, Part: Surname, Swap: "given"},
	}
	l, err := New(Config{Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	l.Add(0, []string{"michaela", "neumann"})
	l.Add(0, []string{"neumann", "michaela"})
	l.prepare(context.Background())
	pat := l.levels(0, 1)
	for f := range fields {
		if got := level(pat, f); got != 5 {
			t.Errorf("field %s: level %d, want 5 (swapped)", fields[f].Name, got)
		}
	}
}

func TestNameTokens(t *testing.T) {
	tests := []struct {
		in   string
		part NamePart
		want string
	}{
		{"张建国", FullName, "zhang jianguo"},
		{"张建国", GivenName, "zhangjianguo"},
		{"建国", GivenName, "jianguo"},
		{"欧阳娜娜", FullName, "ouyang nana"},
		{"ＺＨＡＮＧ　Ｗｅｉ", FullName, "zhang wei"},
		{"Xi'an Li", FullName, "xian li"},
		{"José", FullName, "jose"},
		{"阿依古丽·买买提", FullName, "阿yiguli 买买提"}, // in parts; unknown characters kept
	}
	for _, tt := range tests {
		if got := strings.Join(nameTokens(tt.in, tt.part), " "); got != tt.want {
			t.Errorf("nameTokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestJaroWinkler(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"martha", "marhta", 0.961},
		{"dwayne", "duane", 0.84},
		{"dixon", "dicksonx", 0.813},
		{"abc", "abc", 1},
		{"abc", "xyz", 0},
		{"", "abc", 0},
		{"张伟", "张伟", 1},
	}
	for _, tt := range tests {
		if got := jaroWinkler(tt.a, tt.b); math.Abs(got-tt.want) > 0.001 {
			t.Errorf("jaroWinkler(%q, %q) = %.4f, want %.3f", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestOneEdit(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"1234", "1234", false},
		{"1234", "1235", true},
		{"1234", "1324", true},
		{"1234", "124", true},
		{"1234", "12345", true},
		{"1234", "4321", false},
		{"1234", "1256", false},
		{"", "1", true},
	}
	for _, tt := range tests {
		if got := oneEdit(tt.a, tt.b); got != tt.want {
			t.Errorf("oneEdit(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

func TestDateLayouts(t *testing.T) {
	for _, bad := range []string{"yyyymmdd", "2006", "01/02", "hello", "2006-01-02-02"} {
		if _, err := parseLayout(bad); err == nil {
			t.Errorf("layout %q accepted", bad)
		}
	}
	tests := []struct{ layout, in, want string }{
		{"02/01/2006", "07/03/1985", "19850307"},
		{"02/01/2006", "7/3/1985", "19850307"},
		{"01/02/2006", "03/07/1985", "19850307"},
		{"2006年1月2日", "1985年3月7日", "19850307"},
		{"2 Jan 2006", "7 Mar 1985", "19850307"},
		{"2006-01-02", "19850307", "19850307"},
		{"2006-01-02", "1985", "1985????"},
	}
	for _, tt := range tests {
		d, err := parseLayout(tt.layout)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := d.normDate(tt.in); got != tt.want {
			t.Errorf("%s: %q → %q, want %q", tt.layout, tt.in, got, tt.want)
		}
	}
}

// toy is a small population: three people each written twice with small
// differences, and others who share nothing in particular.
func toy() [][]string {
	return [][]string{
		{"王秀英", "1960-04-12", "13812345678", "110105196004120028"},
		{"Wang Xiuying", "1960-04-12", "", "110105196004120028"},
		{"李建国", "1955-10-01", "13900001111", "110105195510010015"},
		{"Li Jianguo", "1955-01-10", "13900001111", ""},
		{"陈静", "1990-06-30", "15012341234", "110105199006300046"},
		{"陈静", "1990-06-30", "15012341234", "110105199006300064"},
		{"赵磊", "1988-02-14", "13611112222", "110105198802140011"},
		{"孙丽", "1972-09-09", "13733334444", "110105197209090026"},
		{"周强", "1981-12-01", "13855556666", "110105198112010017"},
		{"吴敏", "1995-07-21", "13177778888", "110105199507210022"},
		{"郑伟", "1966-03-03", "13299990000", "110105196603030034"},
		{"冯娜", "2000-01-05", "13512121212", "110105200001050028"},
	}
}

var toyFields = []Field{
	{Name: "name", Kind: Name, TF: true},
	{Name: "birth", Kind: Date, Layout: "2006-01-02"},
	{Name: "phone", Kind: Phone, TF: true},
	{Name: "id", Kind: ID, TF: true},
}

func TestEMConvergesOnToy(t *testing.T) {
	// Twelve records are too few for the default thresholds (the prior of
	// a match is high, u is estimated from pairs that include the matches):
	// the thresholds are given.
	l, err := New(Config{Fields: toyFields, Thresholds: &Thresholds{Link: 8, Review: 0}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range toy() {
		l.Add(0, r)
	}
	res, err := l.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Model.Converged {
		t.Errorf("EM did not converge in %d iterations", res.Model.Iterations)
	}
	for _, fm := range res.Model.Fields {
		top, last := fm.Levels[0], fm.Levels[len(fm.Levels)-1]
		if top.Weight <= 0 || last.Weight >= 0 {
			t.Errorf("%s: exact weighs %.2f, different %.2f: want agreement for, disagreement against", fm.Field, top.Weight, last.Weight)
		}
		if top.M < top.U {
			t.Errorf("%s: m %.3f < u %.3f at exact", fm.Field, top.M, top.U)
		}
	}
	for _, pair := range [][2]int{{0, 1}, {2, 3}, {4, 5}} {
		if res.Cluster[pair[0]] != res.Cluster[pair[1]] {
			t.Errorf("records %d and %d not linked: %+v", pair[0], pair[1], res.Explain(pair[0], pair[1]))
		}
	}
	if res.Linked != 6 {
		t.Errorf("%d records linked, want 6", res.Linked)
	}
	if p := res.Model.Prior; p < 0.01 || p > 0.1 {
		t.Errorf("prior %.3f, want about 3 matches in 66 pairs", p)
	}
}

func TestTermFrequency(t *testing.T) {
	// 王伟 is on many records, 诸葛亮 on two: agreeing on the rare name
	// must weigh more.
	l, err := New(Config{Fields: []Field{{Name: "name", Kind: Name, TF: true}, {Name: "city", Kind: Exact}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		l.Add(0, []string{"王伟", []string{"a", "b", "c", "d"}[i%4]})
	}
	l.Add(0, []string{"诸葛亮", "a"})
	l.Add(0, []string{"诸葛亮", "a"})
	for i := range 40 {
		l.Add(0, []string{"name" + strings.Repeat("x", i%7) + string(rune('a'+i%26)), "e"})
	}
	res, err := l.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	common := res.Explain(0, 4) // 王伟, city a and a
	rare := res.Explain(40, 41)
	if rare.Fields[0].Weight != common.Fields[0].Weight {
		t.Fatalf("the level weights differ: %+v %+v", rare, common)
	}
	if !(rare.Fields[0].TF > 0 && common.Fields[0].TF < 0) {
		t.Errorf("TF adjustment: rare %+.2f (want > 0), common %+.2f (want < 0)", rare.Fields[0].TF, common.Fields[0].TF)
	}
	if rare.Weight <= common.Weight {
		t.Errorf("rare name weighs %.2f, common %.2f", rare.Weight, common.Weight)
	}
}

// TestClusterGuard: A~B and B~C are strong, A and C clearly differ. The
// chain must not make one cluster of the three. The model is set by hand
// so that the test is about clustering alone.
func TestClusterGuard(t *testing.T) {
	fields := []Field{
		{Name: "name", Kind: Name},
		{Name: "birth", Kind: Date, Layout: "2006-01-02"},
		{Name: "phone", Kind: Phone},
		{Name: "id", Kind: ID},
	}
	l, err := New(Config{Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	// B shares id and birth date with A, and the phone with C; A and C
	// differ on all three.
	l.Add(0, []string{"张伟", "1980-05-05", "13811112222", "110105198005050011"}) // A
	l.Add(0, []string{"张伟", "1980-05-05", "13933334444", "110105198005050011"}) // B
	l.Add(0, []string{"张伟", "1992-11-23", "13933334444", ""})                   // C
	l.prepare(context.Background())
	// log2(m/u) by level: agreement +, disagreement −.
	l.bits = [][]float32{
		{0, 4, 3, 2, 1, 0, -4},
		{0, 8, 4, 3, 1, -6},
		{0, 12, 6, 3, -3},
		{0, 16, 8, -8},
	}
	th := Thresholds{Link: 10, Review: 0}
	ab, bc, ac := l.Weight(0, 1), l.Weight(1, 2), l.Weight(0, 2)
	if ab < 10 || bc < 10 || ac >= 0 {
		t.Fatalf("fixture: want A~B and B~C ≥ link, A~C < review; got %.1f %.1f %.1f", ab, bc, ac)
	}
	res := &Result{Records: 3, Thresholds: th, Cluster: make([]uint32, 3), Status: make([]Status, 3), l: l}
	cands := []Pair{{0, 1, ab}, {1, 2, bc}}
	if err := l.cluster(context.Background(), res, cands); err != nil {
		t.Fatal(err)
	}
	if res.Cluster[0] == res.Cluster[2] {
		t.Errorf("A and C in one cluster: the chain merged")
	}
	if res.Cluster[0] != res.Cluster[1] {
		t.Errorf("A and B, the stronger pair, not linked: %v", res.Cluster)
	}
	if res.Refused != 1 || len(res.Reviews) != 1 || res.Status[2] != Review {
		t.Errorf("refused %d, reviews %v, C %v: want B~C refused and sent to review", res.Refused, res.Reviews, res.Status[2])
	}

	// Without the clear disagreement (A~C only unsure), the third record
	// joins when it holds against half the cluster.
	l.bits[3] = []float32{0, 16, 8, 0}
	l.bits[1] = []float32{0, 8, 4, 3, 1, 0}
	res = &Result{Records: 3, Thresholds: th, Cluster: make([]uint32, 3), Status: make([]Status, 3), l: l}
	if err := l.cluster(context.Background(), res, []Pair{{0, 1, l.Weight(0, 1)}, {1, 2, l.Weight(1, 2)}}); err != nil {
		t.Fatal(err)
	}
	if res.Cluster[0] != res.Cluster[2] {
		t.Errorf("A~C %.1f is not a disagreement, yet C was kept out: %v", l.Weight(0, 2), res.Cluster)
	}

	// C joins when the cross pairs (B~C 16, A~C 1) reach the review
	// threshold on average, and not when they fall short of it.
	for _, tt := range []struct {
		review float64
		joins  bool
	}{{5, true}, {8.5, true}, {9, false}} {
		res = &Result{Records: 3, Thresholds: Thresholds{Link: 10, Review: tt.review}, Cluster: make([]uint32, 3), Status: make([]Status, 3), l: l}
		if err := l.cluster(context.Background(), res, []Pair{{0, 1, l.Weight(0, 1)}, {1, 2, l.Weight(1, 2)}}); err != nil {
			t.Fatal(err)
		}
		if joined := res.Cluster[0] == res.Cluster[2]; joined != tt.joins || res.Cluster[0] != res.Cluster[1] {
			t.Errorf("review %v: clusters %v, want C joining %v (A~C %.1f, B~C %.1f)", tt.review, res.Cluster, tt.joins, l.Weight(0, 2), l.Weight(1, 2))
		}
	}
}

func TestOneToOne(t *testing.T) {
	l, err := New(Config{Fields: toyFields, OneToOne: true, Thresholds: &Thresholds{Link: 0, Review: 0}})
	if err != nil {
		t.Fatal(err)
	}
	// Two records in file 2 both look like the one in file 1: only the
	// better links.
	l.Add(0, []string{"王秀英", "1960-04-12", "13812345678", "110105196004120028"})
	l.Add(1, []string{"王秀英", "1960-04-12", "13812345678", "110105196004120028"})
	l.Add(1, []string{"王秀英", "1960-04-12", "", ""})
	res, err := l.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Cluster[0] != res.Cluster[1] || res.Cluster[0] == res.Cluster[2] {
		t.Errorf("clusters %v: want the first two together, the third alone", res.Cluster)
	}
}

func TestDefaultBlocking(t *testing.T) {
	got := DefaultBlocking(toyFields)
	want := "[[phone] [id] [birth name]]"
	if s := strings.Join(strings.Fields(strings.Trim(strings.ReplaceAll(fmtRules(got), "  ", " "), " ")), " "); s != want {
		t.Errorf("DefaultBlocking = %s, want %s", s, want)
	}
}

func fmtRules(r [][]string) string {
	var parts []string
	for _, x := range r {
		parts = append(parts, "["+strings.Join(x, " ")+"]")
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestEmpty(t *testing.T) {
	l, err := New(Config{Fields: toyFields})
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != 0 || res.Pairs != 0 {
		t.Errorf("%+v", res)
	}
	if _, err := l.Add(0, toy()[0]); err == nil {
		t.Error("Add after Run accepted")
	}
}
