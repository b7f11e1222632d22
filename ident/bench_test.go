package ident

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// benchIDs are 1024 identifiers of one kind, so that a benchmark does not
// check the same string over and over.
func benchIDs(gen func(*rand.Rand) string) []string {
	r := rand.New(rand.NewPCG(9, 10))
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = gen(r)
	}
	return ids
}

var sink Result

// BenchmarkCheck measures CheckAt on valid ids of each kind (one op is one
// id) and on a mix of invalid ones.
func BenchmarkCheck(b *testing.B) {
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	invalid := func(r *rand.Rand) string {
		id := randPerson(r)
		if r.IntN(2) == 0 {
			id = randUSCC(r)
		}
		return edit(r, id)
	}
	spaced := func(r *rand.Rand) string {
		id := randPerson(r)
		return strings.ToLower(id[:6] + " " + id[6:14] + " " + id[14:])
	}
	for _, bc := range []struct {
		name string
		ids  []string
	}{
		{"person", benchIDs(randPerson)},
		{"organization", benchIDs(randUSCC)},
		{"person-spaced", benchIDs(spaced)},
		{"invalid", benchIDs(invalid)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				sink = CheckAt(bc.ids[i&1023], at)
				i++
			}
		})
	}
}

// TestCheckAtDoesNotAllocate: CheckAt, CheckPersonAt and CheckOrganization
// allocate nothing, whatever the input.
func TestCheckAtDoesNotAllocate(t *testing.T) {
	inputs := []string{stdExample, "11010519491231002x", "110105 19491231 002X", usccExample,
		usccDigits, "91350100m000100y43", "", "123", strings.Repeat("9", 1000),
		"１１０１０５１９４９１２３１００２Ｘ", "统一社会信用代码", "\xff\x00", withLast(stdExample, '1'),
		NewPersonID(110105, 2030, 1, 1, 1)}
	for _, s := range inputs {
		allocs := testing.AllocsPerRun(100, func() {
			sink = CheckAt(s, now)
			sink = CheckPersonAt(s, now)
			sink = CheckOrganization(s)
		})
		if allocs != 0 {
			t.Errorf("checking %q: %v allocations", s, allocs)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { _ = Normalize(stdExample) }); allocs != 0 {
		t.Errorf("Normalize of a normal id: %v allocations", allocs)
	}
}
