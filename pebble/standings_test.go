package pebble

import (
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/storetest"
)

func standingsBackend() storetest.Backend {
	return storetest.Backend{
		New: func(t *testing.T) credo.Store {
			s, err := Open(t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		Reopen: func(t *testing.T, s credo.Store) credo.Store {
			dir := s.(*Store).Dir()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2, err := Open(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			return s2
		},
	}
}

func TestStandingsConformance(t *testing.T) { storetest.RunStandings(t, standingsBackend()) }

// FuzzDecodeStanding: whatever the bytes, decoding returns a standing or
// an error, never panics, and a standing it returns survives encoding and
// decoding again unchanged. (Bytes need not re-encode to themselves: a
// uvarint may be written overlong.)
func FuzzDecodeStanding(f *testing.F) {
	at := time.Date(2024, 3, 5, 9, 30, 0, 0, time.UTC)
	f.Add(appendStanding(nil, &credo.Standing{PolicyVersion: "rongcheng@2024.1", AsOf: at, Score: 985, Grade: "B",
		GradeReason:   credo.GradeReason{By: "band", Band: "960–1029", Until: at},
		Lists:         []credo.Membership{{List: "dishonest_debtor", Type: "blacklist", Since: at, Record: "court:1", Published: true}},
		Contributions: []credo.Contribution{{Record: "police:1", Kind: "traffic.fine", Rule: "fine", Points: -15, RulePoints: -15, OccurredAt: at, Note: "n"}},
		NextChange:    at.AddDate(1, 0, 0)}))
	f.Add([]byte{1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeStanding(b)
		if err != nil {
			return
		}
		once := appendStanding(nil, st)
		st2, err := decodeStanding(once)
		if err != nil {
			t.Fatalf("decode(%x) re-encodes as %x, which does not decode: %v", b, once, err)
		}
		if twice := appendStanding(nil, st2); string(twice) != string(once) {
			t.Fatalf("decode(%x) re-encodes as %x, then as %x", b, once, twice)
		}
	})
}

func FuzzDecodeChange(f *testing.F) {
	st := &credo.Standing{PolicyVersion: "x@1", AsOf: time.Unix(1e9, 5), Score: 1, Grade: "A", Lists: []credo.Membership{{List: "a"}, {List: "b"}}}
	f.Add(appendChange(nil, st))
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeChange(b) // must not panic
	})
}
