package synth

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
)

func newCity(t testing.TB, cfg Config) *City {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewValidates(t *testing.T) {
	start := time.Date(2021, 1, 1, 0, 0, 0, 0, China)
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"smallest", Config{People: 1}, true},
		{"largest", Config{People: MaxPeople}, true},
		{"no people", Config{People: 0}, false},
		{"too many people", Config{People: MaxPeople + 1}, false},
		{"negative orgs", Config{People: 100, Orgs: -1}, false},
		{"more orgs than people", Config{People: 100, Orgs: 101}, false},
		{"end before start", Config{People: 100, Start: start, End: start.AddDate(0, 0, -1)}, false},
		{"empty span", Config{People: 100, Start: start, End: start}, false},
		{"too long", Config{People: 100, Start: start, End: start.AddDate(MaxYears+1, 0, 0)}, false},
		{"too early", Config{People: 100, Start: time.Date(1980, 1, 1, 0, 0, 0, 0, China)}, false},
		{"one day", Config{People: 100, Start: start, End: start.AddDate(0, 0, 1)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.cfg)
			if (err == nil) != tc.ok {
				t.Fatalf("New(%+v) error = %v, want ok = %v", tc.cfg, err, tc.ok)
			}
			if err == nil && tc.cfg.Orgs == 0 && c.Orgs() != tc.cfg.People/20 {
				t.Errorf("default orgs = %d, want %d", c.Orgs(), tc.cfg.People/20)
			}
		})
	}
	c := newCity(t, Config{People: 1000})
	if got := c.Config(); !got.Start.Equal(DefaultStart) || !got.End.Equal(DefaultStart.AddDate(5, 0, 0)) {
		t.Errorf("default span %v..%v", got.Start, got.End)
	}
}

// digest hashes a city's people, organisations and events as NDJSON.
func digest(t testing.TB, c *City, people, orgs, events int) [32]byte {
	h := sha256.New()
	var b []byte
	for i := range min(people, c.People()) {
		p := c.Person(i)
		b = AppendPersonJSON(b[:0], &p)
		h.Write(b)
	}
	for j := range min(orgs, c.Orgs()) {
		o := c.Org(j)
		b = AppendOrgJSON(b[:0], &o)
		h.Write(b)
	}
	n := 0
	for ev := range c.Events() {
		b = AppendEventJSON(b[:0], ev, true)
		h.Write(b)
		if n++; n == events {
			break
		}
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

func TestDeterminism(t *testing.T) {
	cfg := Config{Seed: 42, People: 5000}
	a := digest(t, newCity(t, cfg), 5000, 250, 20000)
	c := newCity(t, cfg)
	if b := digest(t, c, 5000, 250, 20000); a != b {
		t.Error("same seed, different city")
	}
	if b := digest(t, c, 5000, 250, 20000); a != b {
		t.Error("same city, second stream differs")
	}
	// One processor or several: the same stream.
	procs := runtime.GOMAXPROCS(1)
	b := digest(t, c, 5000, 250, 20000)
	runtime.GOMAXPROCS(max(procs, 2))
	if a != b {
		t.Error("one processor made a different city")
	}
	runtime.GOMAXPROCS(procs)
	cfg.Seed = 43
	if b := digest(t, newCity(t, cfg), 5000, 250, 20000); a == b {
		t.Error("different seeds, same city")
	}
	// Person i does not depend on the size of the city.
	small, large := newCity(t, Config{Seed: 7, People: 1000}), newCity(t, Config{Seed: 7, People: 1_000_000})
	for i := range 1000 {
		if a, b := small.Person(i), large.Person(i); a != b {
			t.Fatalf("person %d: %+v in the small city, %+v in the large", i, a, b)
		}
	}
}

// Breaking out of Events stops its planning goroutine.
func TestEventsStopsPlanner(t *testing.T) {
	c := newCity(t, Config{People: 10000})
	before := runtime.NumGoroutine()
	for range 20 {
		n := 0
		for range c.Events() {
			if n++; n == 1000 {
				break
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after breaking out of 20 streams, %d before", n, before)
	}
}

func TestPeople(t *testing.T) {
	const n = 200_000
	c := newCity(t, Config{Seed: 1, People: n})
	start := c.Config().Start
	now := c.Config().End
	ids := make(map[string]int, n)
	phones := make(map[string]int, n)
	var males, locals, drivers int
	ages := map[int]int{}
	for i := range n {
		p := c.Person(i)
		if r := ident.CheckAt(p.IDNumber, now); !r.Valid() || r.Kind != ident.Person {
			t.Fatalf("person %d: id %s: %v", i, p.IDNumber, r)
		}
		if j, dup := ids[p.IDNumber]; dup {
			t.Fatalf("persons %d and %d share id %s", j, i, p.IDNumber)
		}
		ids[p.IDNumber] = i
		if j, dup := phones[p.Phone]; dup {
			t.Fatalf("persons %d and %d share phone %s", j, i, p.Phone)
		}
		phones[p.Phone] = i
		seq := int(p.IDNumber[16] - '0')
		if (seq%2 == 1) != (p.Sex == credo.Male) || (p.Sex != credo.Male && p.Sex != credo.Female) {
			t.Fatalf("person %d: sex %v but id %s", i, p.Sex, p.IDNumber)
		}
		if p.IDNumber[14:17] == "000" {
			t.Fatalf("person %d: sequence 000", i)
		}
		if strings.ReplaceAll(p.BirthDate, "-", "") != p.IDNumber[6:14] {
			t.Fatalf("person %d: birth %s but id %s", i, p.BirthDate, p.IDNumber)
		}
		if fmt.Sprint(p.Origin) != p.IDNumber[:6] || !ident.IsProvince(p.Origin/10000) {
			t.Fatalf("person %d: origin %d but id %s", i, p.Origin, p.IDNumber)
		}
		age := p.Age(start.Year(), int(start.Month()), start.Day())
		if age < 18 || age > 90 {
			t.Fatalf("person %d: born %s, %d at the start", i, p.BirthDate, age)
		}
		ages[age/10]++
		if n := utf8.RuneCountInString(p.Name); n < 2 || n > 4 {
			t.Fatalf("person %d: name %q", i, p.Name)
		}
		if f := strings.Fields(p.Pinyin); len(f) != 2 || f[0][0] < 'A' || f[0][0] > 'Z' || f[1][0] < 'A' || f[1][0] > 'Z' {
			t.Fatalf("person %d: pinyin %q", i, p.Pinyin)
		}
		if len(p.Phone) != 11 || p.Phone[0] != '1' || strings.Trim(p.Phone, "0123456789") != "" {
			t.Fatalf("person %d: phone %q", i, p.Phone)
		}
		if !strings.HasPrefix(p.Address, cityPrefix+p.District) {
			t.Fatalf("person %d: address %q in %q", i, p.Address, p.District)
		}
		if p.Driver != (p.Plate != "") || (p.Driver && (!strings.HasPrefix(p.Plate, plateCode) || len(p.Plate) != len(plateCode)+5)) {
			t.Fatalf("person %d: driver %v plate %q", i, p.Driver, p.Plate)
		}
		if p.Sex == credo.Male {
			males++
		}
		if p.Origin/100 == 3710 {
			locals++
		}
		if p.Driver {
			drivers++
		}
	}
	for _, tc := range []struct {
		what   string
		got    int
		lo, hi float64
	}{
		{"men", males, 0.48, 0.52},
		{"locals", locals, 0.55, 0.70},
		{"drivers", drivers, 0.45, 0.65},
		{"aged 50-59", ages[5], 0.15, 0.30},
		{"aged 80-90", ages[8] + ages[9], 0.01, 0.08},
	} {
		if f := float64(tc.got) / n; f < tc.lo || f > tc.hi {
			t.Errorf("%s: %.3f of the people, want %.2f..%.2f", tc.what, f, tc.lo, tc.hi)
		}
	}
	// The most common surname is 王 or 张 or 于 in Jiaodong, and there are many.
	sur := map[string]int{}
	for i := range 20000 {
		p := c.Person(i)
		sur[strings.Fields(p.Pinyin)[0]]++
	}
	if len(sur) < 100 {
		t.Errorf("only %d distinct surnames among 20000 people", len(sur))
	}
}

// The far end of the largest city: valid, distinct, and O(1) to reach.
func TestPeopleOfTenMillion(t *testing.T) {
	c := newCity(t, Config{Seed: 99, People: MaxPeople})
	ids, phones := map[string]bool{}, map[string]bool{}
	for k := range 50_000 {
		i := MaxPeople - 1 - k*197 // spread over the upper tenth
		p := c.Person(i)
		if r := ident.CheckAt(p.IDNumber, c.Config().End); !r.Valid() {
			t.Fatalf("person %d: %s: %v", i, p.IDNumber, r)
		}
		if ids[p.IDNumber] || phones[p.Phone] {
			t.Fatalf("person %d: id %s or phone %s seen before", i, p.IDNumber, p.Phone)
		}
		ids[p.IDNumber], phones[p.Phone] = true, true
	}
}

func TestPersonIndexRange(t *testing.T) {
	c := newCity(t, Config{People: 10})
	for _, i := range []int{-1, 10} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Person(%d) did not panic", i)
				}
			}()
			c.Person(i)
		}()
	}
}

func TestOrgs(t *testing.T) {
	c := newCity(t, Config{Seed: 3, People: 400_000})
	end := c.Config().End
	seen := map[string]int{}
	types := map[string]int{}
	const n = 20_000
	for j := range n {
		o := c.Org(j)
		if r := ident.CheckAt(o.USCC, end); !r.Valid() || r.Kind != ident.Organization {
			t.Fatalf("org %d: uscc %s: %v", j, o.USCC, r)
		}
		if k, dup := seen[o.USCC]; dup {
			t.Fatalf("orgs %d and %d share code %s", k, j, o.USCC)
		}
		seen[o.USCC] = j
		if o.LegalRep < 0 || o.LegalRep >= c.People() {
			t.Fatalf("org %d: legal rep %d", j, o.LegalRep)
		}
		reg, err := time.ParseInLocation(time.DateOnly, o.Registered, China)
		if err != nil || reg.After(end) || reg.Year() < 1992 {
			t.Fatalf("org %d: registered %q", j, o.Registered)
		}
		rep := c.Person(o.LegalRep)
		if a := rep.Age(reg.Year(), int(reg.Month()), reg.Day()); a < 18 {
			t.Fatalf("org %d registered %s: legal rep %d born %s", j, o.Registered, o.LegalRep, rep.BirthDate)
		}
		if o.Name == "" || o.Industry == "" || !strings.HasPrefix(o.Address, cityPrefix) || !strings.HasPrefix(o.Phone, areaCode+"-") {
			t.Fatalf("org %d: %+v", j, o)
		}
		if (reg.Before(time.Date(2015, 10, 1, 0, 0, 0, 0, China))) == (o.USCC[8:10] == "MA") {
			t.Fatalf("org %d registered %s has code %s", j, o.Registered, o.USCC)
		}
		types[o.Type]++
	}
	if f := float64(types["company"]) / n; f < 0.6 || f > 0.8 {
		t.Errorf("companies are %.2f of the organisations", f)
	}
	for _, ty := range orgTypes {
		if types[ty.name] == 0 {
			t.Errorf("no %s among %d organisations", ty.name, n)
		}
	}
}

// eventStats runs a city's events through every check a single event
// must pass and returns what the city-wide checks need.
type eventStats struct {
	events    int
	perPerson []int
	perOrg    []int
	byKind    map[string]int
	positive  int
}

func checkEvents(t *testing.T, c *City) eventStats {
	t.Helper()
	cfg := c.Config()
	st := eventStats{perPerson: make([]int, c.People()), perOrg: make([]int, c.Orgs()), byKind: map[string]int{}}
	srids := map[string]bool{}
	defaults := map[string]bool{}
	var last time.Time
	for ev := range c.Events() {
		r := &ev.Record
		st.events++
		where := fmt.Sprintf("event %d (%s %s)", st.events, r.Kind, r.SourceRecordID)
		if err := r.Validate(); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if r.OccurredAt.Before(last) {
			t.Fatalf("%s: occurred %v before the previous event's %v", where, r.OccurredAt, last)
		}
		last = r.OccurredAt
		if r.OccurredAt.Before(cfg.Start) || !r.OccurredAt.Before(cfg.End) {
			t.Fatalf("%s: occurred %v outside %v..%v", where, r.OccurredAt, cfg.Start, cfg.End)
		}
		if r.RecordedAt.Before(r.OccurredAt) || r.RecordedAt.Sub(r.OccurredAt) > 61*24*time.Hour {
			t.Fatalf("%s: recorded %v, occurred %v", where, r.RecordedAt, r.OccurredAt)
		}
		ki, ok := credo.LookupKind(r.Kind)
		if !ok {
			t.Fatalf("%s: kind not in the catalogue", where)
		}
		if ki.Polarity != r.Polarity || ki.Source != r.Source || !ki.AppliesTo(r.Subject.Kind) || r.Subject.Kind != ev.Subject {
			t.Fatalf("%s: polarity %v source %s subject %v, catalogue says %+v", where, r.Polarity, r.Source, r.Subject.Kind, ki)
		}
		var keys []string
		for _, a := range r.Attributes {
			keys = append(keys, a.Key)
			ai, ok := credo.LookupAttribute(a.Key)
			if !ok || ai.Type != a.Value.Kind() {
				t.Fatalf("%s: attribute %s is a %v, catalogue says %+v", where, a.Key, a.Value.Kind(), ai)
			}
			if a.Value.Kind() == credo.KindNumber && a.Value.Float() < 0 {
				t.Fatalf("%s: %s = %v", where, a.Key, a.Value)
			}
		}
		if !slices.Equal(keys, ki.Attributes) {
			t.Fatalf("%s: attributes %v, catalogue says %v", where, keys, ki.Attributes)
		}
		if r.LegalBasis == "" || r.Evidence == "" || r.SourceRecordID == "" {
			t.Fatalf("%s: legal basis %q evidence %q", where, r.LegalBasis, r.Evidence)
		}
		key := r.Source + "\x00" + r.SourceRecordID
		if srids[key] {
			t.Fatalf("%s: source record id repeated", where)
		}
		srids[key] = true
		if r := ident.CheckAt(r.Subject.ID, cfg.End); !r.Valid() {
			t.Fatalf("%s: subject %v", where, r)
		}
		switch ev.Subject {
		case credo.Person:
			p := c.Person(ev.Index)
			if r.Subject.ID != p.IDNumber || r.Identity != p.Identity() {
				t.Fatalf("%s: subject %v %+v, person %d is %+v", where, r.Subject, r.Identity, ev.Index, p)
			}
			st.perPerson[ev.Index]++
		case credo.Organization:
			o := c.Org(ev.Index)
			if r.Subject.ID != o.USCC || r.Identity != o.Identity() {
				t.Fatalf("%s: subject %v %+v, org %d is %+v", where, r.Subject, r.Identity, ev.Index, o)
			}
			if reg, _ := time.ParseInLocation(time.DateOnly, o.Registered, China); r.OccurredAt.Before(reg) {
				t.Fatalf("%s: org registered %s", where, o.Registered)
			}
			st.perOrg[ev.Index]++
		default:
			t.Fatalf("%s: truth subject %v", where, ev.Subject)
		}
		switch r.Kind {
		case "court.judgment_default":
			defaults[r.SourceRecordID] = true
		case "court.judgment_performed":
			if !defaults[r.Evidence] {
				t.Fatalf("%s: performs %s, which was never a default", where, r.Evidence)
			}
		}
		if r.Polarity == credo.Positive {
			st.positive++
		}
		st.byKind[r.Kind]++
	}
	return st
}

func TestEvents(t *testing.T) {
	const people = 20_000
	c := newCity(t, Config{Seed: 11, People: people})
	st := checkEvents(t, c)
	var personEvents, clean, upTo3, max int
	for _, n := range st.perPerson {
		personEvents += n
		if n == 0 {
			clean++
		}
		if n <= 3 {
			upTo3++
		}
		max = maxInt(max, n)
	}
	mean := float64(personEvents) / people
	t.Logf("%d events; %.2f records a person (max %d), %.0f%% with none, %.0f%% with 0-3, %.0f%% positive",
		st.events, mean, max, 100*float64(clean)/people, 100*float64(upTo3)/people, 100*float64(st.positive)/float64(st.events))
	for _, tc := range []struct {
		what   string
		got    float64
		lo, hi float64
	}{
		{"records per person in 5 years", mean, 2, 6},
		{"share with 0-3 records", float64(upTo3) / people, 0.6, 0.9},
		{"share with no record", float64(clean) / people, 0.2, 0.6},
		{"most records of one person", float64(max), 15, 200},
		{"share of positive records", float64(st.positive) / float64(st.events), 0.15, 0.4},
		{"records per organisation in 5 years", float64(sum(st.perOrg)) / float64(c.Orgs()), 0.5, 5},
	} {
		if tc.got < tc.lo || tc.got > tc.hi {
			t.Errorf("%s: %.3f, want %.2f..%.2f", tc.what, tc.got, tc.lo, tc.hi)
		}
	}
	// Every kind of the city turns up, traffic fines most often.
	for _, k := range KindNames() {
		if st.byKind[k] == 0 && k != "award.national" && k != "charity.bone_marrow_donation" {
			t.Errorf("no %s in %d events", k, st.events)
		}
	}
	for k, n := range st.byKind {
		if n > st.byKind["traffic.fine"] {
			t.Errorf("%s (%d) more common than traffic.fine (%d)", k, n, st.byKind["traffic.fine"])
		}
	}
}

// A tiny city over a short span still passes every check.
func TestEventsTinyCity(t *testing.T) {
	for _, people := range []int{1, 7, 100} {
		c := newCity(t, Config{Seed: int64(people), People: people, Orgs: min(people, 3)})
		checkEvents(t, c)
	}
	start := time.Date(2024, 2, 28, 15, 0, 0, 0, time.UTC) // a date in UTC: taken as its Chinese date
	c := newCity(t, Config{People: 3000, Start: start, End: start.AddDate(0, 0, 3)})
	checkEvents(t, c)
}

// Every kind in the city is in the root catalogue, and the catalogue has
// nothing the city does not make.
func TestKindsMatchCatalogue(t *testing.T) {
	names := KindNames()
	slices.Sort(names)
	var cat []string
	for _, k := range credo.Kinds() {
		cat = append(cat, k.Name)
	}
	if !slices.Equal(names, cat) {
		t.Errorf("synth kinds %v\ncatalogue %v", names, cat)
	}
}

// Events for a million people run in memory that does not grow with them.
func TestConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("a million people")
	}
	start := DefaultStart
	c := newCity(t, Config{Seed: 5, People: 1_000_000, Start: start, End: start.AddDate(0, 3, 0)})
	var ms runtime.MemStats
	var peak uint64
	n := 0
	for range c.Events() {
		if n++; n%50_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	t.Logf("%d events, peak heap in use %.1f MiB", n, float64(peak)/(1<<20))
	if n < 100_000 {
		t.Errorf("only %d events", n)
	}
	if peak > 48<<20 {
		t.Errorf("heap in use reached %.1f MiB", float64(peak)/(1<<20))
	}
}

func TestJSONMatchesEncodingJSON(t *testing.T) {
	c := newCity(t, Config{Seed: 9, People: 5000})
	n := 0
	for ev := range c.Events() {
		want, err := json.Marshal(&ev.Record)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendRecordJSON(nil, &ev.Record); string(got) != string(want) {
			t.Fatalf("AppendRecordJSON\n got %s\nwant %s", got, want)
		}
		var back credo.Record
		if err := json.Unmarshal(AppendEventJSON(nil, ev, true), &back); err != nil {
			t.Fatal(err)
		}
		if !credo.SamePayload(&back, &ev.Record) && !sameButNumbers(&back, &ev.Record) {
			t.Fatalf("round trip\n got %+v\nwant %+v", back, ev.Record)
		}
		if n++; n == 20000 {
			break
		}
	}
	for i := range 200 {
		p := c.Person(i)
		want, _ := json.Marshal(p)
		if got := AppendPersonJSON(nil, &p); string(got) != string(want) {
			t.Fatalf("AppendPersonJSON\n got %s\nwant %s", got, want)
		}
	}
	for j := range 200 {
		o := c.Org(j)
		want, _ := json.Marshal(o)
		if got := AppendOrgJSON(nil, &o); string(got) != string(want) {
			t.Fatalf("AppendOrgJSON\n got %s\nwant %s", got, want)
		}
	}
	// Records from elsewhere: every field, odd strings, odd values.
	odd := credo.Record{
		Seq: 7, ID: "abc", Subject: credo.SubjectRef{Kind: credo.Unresolved},
		Identity: credo.Identity{Name: "a<b>&c\"d\\e\n\t\r\b\f\x01", Sex: credo.Female},
		Source:   "x\u2028y\u2029z", SourceRecordID: "\xff\xfe invalid 😀 é 荣", Kind: "k.k",
		Polarity:   credo.Neutral,
		OccurredAt: time.Date(2024, 1, 2, 3, 4, 5, 600, time.UTC),
		Corrects:   "c", Retracts: "r",
		Provenance: credo.Provenance{Row: 3, Request: "q"},
	}
	odd.Attributes.Set("f", credo.Number(1e21))
	odd.Attributes.Set("g", credo.Number(1e-7))
	odd.Attributes.Set("h", credo.Number(-0.5))
	odd.Attributes.Set("b", credo.Bool(true))
	odd.Attributes.Set("t", credo.Time(time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)))
	odd.Attributes.Set("i", credo.Int(-12))
	odd.Attributes.Set("n", credo.Value{})
	odd.RecordedAt = time.Date(1999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -(5*3600+30*60)))
	want, err := json.Marshal(&odd)
	if err != nil {
		t.Fatal(err)
	}
	if got := AppendRecordJSON(nil, &odd); string(got) != string(want) {
		t.Errorf("AppendRecordJSON\n got %s\nwant %s", got, want)
	}
}

// appendJSONString agrees with encoding/json on odd and random strings,
// valid UTF-8 or not.
func TestAppendJSONString(t *testing.T) {
	cases := []string{"", "荣", "荣成", "\xe8\x8d", "\xe8\x8d\xa3\xe8", "\xe8A\x80", "\xed\xa0\x80", "\xe0\x80\x80",
		"\xe2\x80\xa8", "a\u2029b", "—…“”", "\xf0\x9f\x98", "😀", "\x00\x1f\x7f", "<a href=\"x\">&amp;</a>", "\xc3\xa9\xc3"}
	r := newRNG(1)
	alphabet := []byte("a\"\\<>&\n\x01\x7f\x80\xbf\xc3\xa9\xe2\x80\xa8\xe8\x8d\xa3\xed\xf0\x9f\x98\x80")
	for range 20000 {
		b := make([]byte, r.intn(12))
		for i := range b {
			b[i] = alphabet[r.intn(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	// Longer, mostly plain ASCII, one odd byte here and there: what the
	// eight-bytes-at-a-time path sees.
	plain := []byte("0123456789ABCXYZabcxyz -_.:/")
	for range 20000 {
		b := make([]byte, r.intn(40))
		for i := range b {
			if r.intn(16) == 0 {
				b[i] = alphabet[r.intn(len(alphabet))]
			} else {
				b[i] = plain[r.intn(len(plain))]
			}
		}
		cases = append(cases, string(b))
	}
	for c := range 256 { // every byte, alone among plain ones
		cases = append(cases, "abcdefg"+string([]byte{byte(c)})+"hijklmnopq")
	}
	for _, s := range cases {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

// sameButNumbers allows the one change a JSON round trip makes: a whole
// number comes back as an Int.
func sameButNumbers(a, b *credo.Record) bool {
	x, y := *a, *b
	x.Attributes, y.Attributes = nil, nil
	if !credo.SamePayload(&x, &y) || len(a.Attributes) != len(b.Attributes) {
		return false
	}
	for i := range a.Attributes {
		if a.Attributes[i].Key != b.Attributes[i].Key || a.Attributes[i].Value.String() != b.Attributes[i].Value.String() {
			return false
		}
	}
	return true
}

func TestPermutations(t *testing.T) {
	for _, n := range []uint64{1, 2, 3, 10, 97, 1000, 4097} {
		f := newFeistel(n, n*31)
		tr := newTiers(n, n*17, riskTiers)
		seen := make([]bool, n)
		for x := range n {
			y := f.perm(x)
			if y >= n || seen[y] {
				t.Fatalf("feistel(%d): %d → %d twice or out of range", n, x, y)
			}
			seen[y] = true
			if f.inv(y) != x {
				t.Fatalf("feistel(%d): inv(perm(%d)) = %d", n, x, f.inv(y))
			}
			if rk := tr.rank(x); rk >= n || tr.index(rk) != x {
				t.Fatalf("tiers(%d): index(rank(%d)) = %d", n, x, tr.index(rk))
			}
		}
	}
}

func TestAppendPadded(t *testing.T) {
	for _, n := range []int{0, 1, 9, 10, 99, 100, 12345, 99999999, 100000000, 1234567890} {
		for _, w := range []int{1, 2, 3, 7, 8, 10} {
			if got, want := string(appendPadded([]byte("x"), n, w)), "x"+fmt.Sprintf("%0*d", w, n); got != want {
				t.Errorf("appendPadded(%d, %d) = %q, want %q", n, w, got, want)
			}
		}
	}
}

func TestCivil(t *testing.T) {
	if civilFirst != unixDay(0, 1, 1) || civilLast != unixDay(9999, 12, 31) {
		t.Fatalf("civil's range [%d, %d], want [%d, %d]", civilFirst, civilLast, unixDay(0, 1, 1), unixDay(9999, 12, 31))
	}
	for d := civilFirst - 1000; d <= civilLast+1000; d++ {
		y, m, dd := civil(d)
		if wy, wm, wd := civilSlow(d); y != wy || m != wm || dd != wd {
			t.Fatalf("civil(%d) = %d-%d-%d, civilSlow %d-%d-%d", d, y, m, dd, wy, wm, wd)
		}
	}
	for d := unixDay(1900, 1, 1); d < unixDay(2101, 1, 1); d += 13 {
		y, m, dd := civil(d)
		want := time.Unix(d*86400, 0).UTC()
		if y != want.Year() || m != int(want.Month()) || dd != want.Day() || unixDay(y, m, dd) != d {
			t.Fatalf("civil(%d) = %d-%d-%d, want %v", d, y, m, dd, want)
		}
	}
}

func sum(x []int) int {
	s := 0
	for _, v := range x {
		s += v
	}
	return s
}

func maxInt(a, b int) int { return max(a, b) }

func BenchmarkEvents(b *testing.B) {
	c := newCity(b, Config{Seed: 1, People: 100_000})
	n := 0
	cpu := cpuTime()
	for b.Loop() {
		for range c.Events() {
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(n), "cpu-ns/event")
}

// cpuTime is the process's user and system time so far: on a shared
// machine a steadier measure than the time elapsed.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkEventsJSON(b *testing.B) {
	c := newCity(b, Config{Seed: 1, People: 100_000})
	n, size := 0, 0
	var buf []byte
	cpu := cpuTime()
	for b.Loop() {
		for ev := range c.Events() {
			buf = AppendEventJSON(buf[:0], ev, false)
			size += len(buf) + 1
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(n), "cpu-ns/event")
	b.ReportMetric(float64(size)/float64(n), "bytes/event")
}

func BenchmarkPerson(b *testing.B) {
	c := newCity(b, Config{Seed: 1, People: MaxPeople})
	i := 0
	for b.Loop() {
		c.Person(i % MaxPeople)
		i += 7919
	}
}

func BenchmarkAppendEventJSON(b *testing.B) {
	c := newCity(b, Config{Seed: 1, People: 10_000})
	var evs []Event
	for ev := range c.Events() {
		evs = append(evs, *ev)
		if len(evs) == 10_000 {
			break
		}
	}
	var buf []byte
	n, size := 0, 0
	cpu := cpuTime()
	for b.Loop() {
		ev := &evs[n%len(evs)]
		buf = AppendEventJSON(buf[:0], ev, true)
		size += len(buf)
		n++
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(n), "cpu-ns/op")
	b.ReportMetric(float64(size)/float64(n), "bytes/event")
	b.ReportMetric(float64(size)/b.Elapsed().Seconds()/1e6, "MB/s")
}

// AppendEventJSON copies the subject fragment the generator wrote only
// while the record holds what it was written from: the bytes are
// encoding/json's either way.
func TestEventJSONFragments(t *testing.T) {
	if !identityPlain {
		t.Fatal("an identity table is not JSON-plain: the fragments are off")
	}
	c := newCity(t, Config{Seed: 11, People: 3000})
	n, used := 0, 0
	for ev := range c.Events() {
		if _, ok := ev.subjectFragment(); ok {
			used++
		}
		check := func(what string, ev *Event) {
			t.Helper()
			want, err := json.Marshal(&ev.Record)
			if err != nil {
				t.Fatal(err)
			}
			if got := AppendEventJSON(nil, ev, false); string(got) != string(want) {
				t.Fatalf("%s: AppendEventJSON\n got %s\nwant %s", what, got, want)
			}
		}
		check("as generated", ev)
		if n%50 == 0 {
			// Changed copies: the fragment no longer applies.
			for i, change := range []func(r *credo.Record){
				func(r *credo.Record) { r.Identity.Name = `王"五"` },
				func(r *credo.Record) { r.Identity.Address = "" },
				func(r *credo.Record) { r.Identity.BirthDate = "1980-01-02" },
				func(r *credo.Record) {
					if r.Identity.Sex == credo.Female {
						r.Identity.Sex = credo.Male
					} else {
						r.Identity.Sex = credo.Female
					}
				},
				func(r *credo.Record) {
					if r.Identity.Sex != credo.SexUnknown {
						r.Identity.Sex = credo.SexUnknown
					} else {
						r.Identity.BirthDate = ""
						r.Identity.Name = ""
					}
				},
				func(r *credo.Record) { r.Identity.Phone = r.Identity.Phone[:3] },
				func(r *credo.Record) { r.Identity.IDNumber = r.Identity.IDNumber[1:] },
				func(r *credo.Record) { r.Subject.ID = "" },
				func(r *credo.Record) { r.Subject.Kind = credo.Unresolved },
				func(r *credo.Record) { r.Identity = credo.Identity{} },
				func(r *credo.Record) { r.Identity.Name = r.Identity.Name + "<&>" },
				// The strings noted plain.
				func(r *credo.Record) { r.Source = "a&b" },
				func(r *credo.Record) { r.Kind = "k<k>" },
				func(r *credo.Record) { r.SourceRecordID = r.SourceRecordID + "\u2028" },
				func(r *credo.Record) { r.LegalBasis = `"` + r.LegalBasis },
				func(r *credo.Record) { r.Evidence = r.Evidence[:1] },
				func(r *credo.Record) {
					attrs := slices.Clone(r.Attributes)
					for i := range attrs {
						if attrs[i].Value.Kind() == credo.KindString {
							attrs[i].Value = credo.String(attrs[i].Value.Str() + "\x01")
						}
					}
					r.Attributes = attrs
				},
				func(r *credo.Record) {
					attrs := slices.Clone(r.Attributes)
					for i := range attrs {
						attrs[i].Key = "<" + attrs[i].Key
					}
					r.Attributes = attrs
				},
			} {
				cp := *ev
				change(&cp.Record)
				if _, ok := cp.subjectFragment(); ok && i <= 10 {
					t.Fatalf("change %d: the fragment still applies", i)
				}
				check(fmt.Sprintf("change %d", i), &cp)
			}
		}
		if n++; n == 20000 {
			break
		}
	}
	if used != n {
		t.Errorf("the fragment applied to %d of %d events", used, n)
	}
}

// The generator writes its records' strings from the package's literals,
// digits and ASCII letters, and the encoder copies them without a scan
// (plainStrings): so every literal the generator may use must be written
// by encoding/json as itself. The files that write JSON or the agencies'
// exports are not the generator's.
func TestGeneratorLiteralsPlain(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || strings.HasPrefix(name, "agencies") || name == "json.go" || name == "prerender.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if _, ok := n.(*ast.Field); ok {
				return false // a struct tag is not a string the generator writes
			}
			l, ok := n.(*ast.BasicLit)
			if !ok || l.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(l.Value)
			if err != nil {
				t.Fatalf("%s: %v", fset.Position(l.Pos()), err)
			}
			if !plainJSON(s) {
				t.Errorf("%s: %q needs escaping in JSON", fset.Position(l.Pos()), s)
			}
			checked++
			return true
		})
	}
	if checked < 500 {
		t.Errorf("only %d literals checked", checked)
	}
}

// appendJSONFloat's whole-cents path writes what strconv does.
func TestAppendJSONFloatCents(t *testing.T) {
	r := newRNG(5)
	check := func(f float64) {
		t.Helper()
		want, _ := json.Marshal(f)
		if got := appendJSONFloat(nil, f); string(got) != string(want) {
			t.Fatalf("appendJSONFloat(%v) = %s, want %s", f, got, want)
		}
	}
	for c := range 100_000 {
		check(float64(c) / 100)
		check(float64(c) / 2)
	}
	for range 300_000 {
		c := r.next() >> (11 + r.intn(53))
		check(float64(c) / 100)
		check(float64(c) / 10)
		check(float64(c))
		check(math.Float64frombits(r.next() >> 2)) // anything positive
	}
	for _, f := range []float64{1e13 - 0.01, 1e13, 1e13 + 0.5, 4.5e13 + 0.01, 0.005, 0.015, 1e-7, math.Nextafter(0.07, 1), math.Copysign(0, -1), -12.34} {
		check(f)
	}
}
