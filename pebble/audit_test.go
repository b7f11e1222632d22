package pebble

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/credo-org/credo"
)

// TestAppendInquiryIsJSON checks the hand-written encoding against
// encoding/json's reading of it.
func TestAppendInquiryIsJSON(t *testing.T) {
	tests := []*credo.Inquiry{
		{Time: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC), RequestID: "r-1", Consumer: "airline",
			Subject: credo.SubjectRef{Kind: credo.Person, ID: "11010519491231002X"}, Action: "flight.book", Purpose: "ticketing",
			Decision: true, Known: true, Reasons: []string{"national:not_listed"}, PolicyVersions: []string{"national@2024.1"}},
		{Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("CST", 8*3600)), Consumer: "bank", Subject: credo.SubjectRef{Kind: credo.Organization, ID: "91350100M000100Y43"},
			Action: "a\"b\\c\n\x01\u2028é中", Purpose: "\xff\xfe", Reasons: []string{}, NoticeID: "aan_1"},
	}
	for _, q := range tests {
		var got, want credo.Inquiry
		if err := json.Unmarshal(appendInquiry(nil, q), &got); err != nil {
			t.Fatalf("%s: %v", appendInquiry(nil, q), err)
		}
		std, _ := json.Marshal(q)
		json.Unmarshal(std, &want)
		if !reflect.DeepEqual(got, want) || !got.Time.Equal(q.Time) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
	}
}
