package policy

import (
	"os"
	"strings"
	"testing"
)

// TestQuickOK: the packs the quick aggregation takes, and the edits that
// take a policy out of it (a measure counting standing.kinds) or a kind
// (an act reading more than the record's tuple).
func TestQuickOK(t *testing.T) {
	for _, tc := range []struct {
		pack  string
		edit  func(string) string
		quick bool
		kind  string // a kind, and whether it is Projectable
		proj  bool
	}{
		{"rongcheng", nil, true, "contract.breach", true},
		{"national", nil, true, "court.judgment_default", true},
		{"enterprise", nil, false, "", false}, // a redlist decided on the standing
		{"xiamen", nil, false, "", false},
		{"rongcheng", func(s string) string {
			return strings.Replace(s, `when: standing.grade in ["AAA", "AA"]`, `when: standing.grade in ["AAA", "AA"] && standing.kinds.size() >= 0`, 1)
		}, false, "", false},
		{"rongcheng", func(s string) string {
			return strings.ReplaceAll(s, `act: '"contract:" + record.attributes.counterparty'`, `act: '"contract:" + record.source'`)
		}, true, "contract.breach", false},
	} {
		path := "../policies/" + tc.pack + ".yaml"
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		if tc.edit != nil {
			if src = tc.edit(src); src == string(data) {
				t.Fatalf("%s: the edit changed nothing", tc.pack)
			}
		}
		p, err := Load(path, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if p.QuickOK() != tc.quick {
			t.Errorf("%s (edited: %v): QuickOK = %v", tc.pack, tc.edit != nil, !tc.quick)
		}
		if tc.kind != "" && p.Projectable(tc.kind) != tc.proj {
			t.Errorf("%s (edited: %v): Projectable(%s) = %v", tc.pack, tc.edit != nil, tc.kind, !tc.proj)
		}
	}
}
