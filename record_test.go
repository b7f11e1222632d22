package credo

import (
	"testing"
	"time"
)

// TestSamePayload: bookkeeping and provenance do not count, anything else
// does; and comparing a typical record allocates nothing (a re-ingest
// compares every row).
func TestSamePayload(t *testing.T) {
	r := &Record{Subject: SubjectRef{Kind: Person, ID: "11010519491231002X"}, Source: "court", SourceRecordID: "J1",
		Kind: "court.judgment_default", OccurredAt: time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC),
		Attributes: Attributes{{Key: "amount", Value: Number(3)}}}
	same := *r
	same.Seq, same.ID, same.RecordedAt, same.Provenance = 9, "court:J1", time.Now(), Provenance{File: "ab", Row: 3}
	if !SamePayload(r, &same) {
		t.Fatal("a record and its copy with other bookkeeping differ")
	}
	other := *r
	other.Attributes = Attributes{{Key: "amount", Value: Number(4)}}
	if SamePayload(r, &other) {
		t.Fatal("records with different amounts are the same")
	}
	if n := testing.AllocsPerRun(100, func() { SamePayload(r, &same) }); n != 0 {
		t.Fatalf("%v allocations a comparison", n)
	}
}

// TestSameEncodedPayload: records that differ in one field each are the
// same payload when the field is bookkeeping and only then, encoded or not;
// and comparing allocates nothing.
func TestSameEncodedPayload(t *testing.T) {
	base := func() *Record {
		return &Record{Subject: SubjectRef{Kind: Person, ID: "11010519491231002X"}, Source: "court", SourceRecordID: "J1",
			Kind: "court.judgment_default", Polarity: Negative, OccurredAt: time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC),
			RecordedAt: time.Date(2024, 3, 7, 0, 0, 0, 0, time.UTC), LegalBasis: "民事诉讼法", Evidence: "(2024)京0105执1号",
			Identity:   Identity{Name: "王伟", Phone: "13800000000"},
			Attributes: Attributes{{Key: "amount", Value: Number(3)}, {Key: "paid", Value: Bool(false)}, {Key: "place", Value: String("北京")}},
			Provenance: Provenance{File: "ab12", Row: 7}}
	}
	// Bookkeeping (recorded_at, provenance) does not count; every other
	// field does.
	changes := map[string]struct {
		change func(r *Record)
		same   bool
	}{
		"nothing":            {func(r *Record) {}, true},
		"recorded_at":        {func(r *Record) { r.RecordedAt = r.RecordedAt.Add(time.Hour) }, true},
		"no recorded_at":     {func(r *Record) { r.RecordedAt = time.Time{} }, true},
		"provenance":         {func(r *Record) { r.Provenance = Provenance{Request: "req-9"} }, true},
		"subject":            {func(r *Record) { r.Subject.ID = "110105194912310029" }, false},
		"kind":               {func(r *Record) { r.Kind = "court.judgment" }, false},
		"occurred_at":        {func(r *Record) { r.OccurredAt = r.OccurredAt.Add(time.Second) }, false},
		"legal basis":        {func(r *Record) { r.LegalBasis = "" }, false},
		"identity":           {func(r *Record) { r.Identity.Phone = "13900000000" }, false},
		"attribute value":    {func(r *Record) { r.Attributes[0].Value = Number(4) }, false},
		"attribute type":     {func(r *Record) { r.Attributes[0].Value = Int(3) }, false},
		"one attribute less": {func(r *Record) { r.Attributes = r.Attributes[:2] }, false},
		"polarity":           {func(r *Record) { r.Polarity = Positive }, false},
	}
	a := base()
	ea := a.AppendCanonical(nil)
	for name, c := range changes {
		b := base()
		c.change(b)
		got, err := SameEncodedPayload(ea, b.AppendCanonical(nil))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != c.same || SamePayload(a, b) != c.same {
			t.Errorf("%s: SameEncodedPayload %v, SamePayload %v, want %v", name, got, SamePayload(a, b), c.same)
		}
	}
	if _, err := SameEncodedPayload(ea, ea[:len(ea)-3]); err == nil {
		t.Error("a cut encoding compared without error")
	}
	if n := testing.AllocsPerRun(100, func() { SameEncodedPayload(ea, ea) }); n != 0 {
		t.Errorf("%v allocations a comparison", n)
	}
}
