package pebble

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

func auditSamples() []*credo.Inquiry {
	return []*credo.Inquiry{
		{Time: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC), RequestID: "r-1", Consumer: "airline",
			Subject: credo.SubjectRef{Kind: credo.Person, ID: "11010519491231002X"}, Action: "flight.book", Purpose: "ticketing",
			Decision: true, Known: true, Reasons: []string{"national:not_listed"}, PolicyVersions: []string{"national@2024.1"}},
		{Time: time.Date(2025, 1, 2, 3, 4, 4, 0, time.UTC), Consumer: "bank", Subject: credo.SubjectRef{Kind: credo.Organization, ID: "91350100M000100Y43"},
			Action: "a\"b\\c\n\x01\u2028é中", Purpose: "\xff\xfe", Reasons: []string{}, NoticeID: "aan_1"},
		{Time: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC), RequestID: "r-1", Consumer: "airline",
			Subject: credo.SubjectRef{Kind: credo.Person, ID: "110105194912310021"}, Action: "flight.book",
			Reasons: []string{"national:dishonest_debtor", "city:x"}, PolicyVersions: []string{"national@2024.1", "city@1"}, NoticeID: "aan_2"},
	}
}

// auditNotices are the notices auditSamples name.
func auditNotices(in []*credo.Inquiry) []*credo.AdverseNotice {
	var out []*credo.AdverseNotice
	since := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for i, q := range in {
		if q.NoticeID == "" {
			continue
		}
		n := &credo.AdverseNotice{ID: q.NoticeID, Time: q.Time, RequestID: q.RequestID, Consumer: q.Consumer,
			Subject: q.Subject, Action: q.Action, Object: "write to <the operator> & ask",
			Measures: []credo.NoticeMeasure{{Jurisdiction: "national", Reason: "dishonest_debtor", Records: []string{"court:1"}}}}
		if i%2 == 0 { // every field, lists empty and nil, times zero and not
			n.Measures = append(n.Measures, credo.NoticeMeasure{Jurisdiction: "city", PolicyVersion: "city@1", Rule: "rules[2]",
				When: `"blacklist" in lists && grade in ["D"]`, Reason: "blacklisted", Grade: "D",
				GradeReason: &credo.GradeReason{By: "direct", Band: "0–599", Banded: "C", Rule: "direct[0]", Record: "court:1", List: "blacklist",
					Until: since.AddDate(3, 0, 0).Add(123)},
				Lists: []credo.Membership{{List: "blacklist", Type: "blacklist", Since: since, EarliestExit: since.AddDate(1, 0, 0),
					Record: "court:1", Published: true}, {List: "x", Type: "redlist"}},
				Records: []string{}}, credo.NoticeMeasure{Lists: []credo.Membership{}})
		}
		out = append(out, n)
	}
	return out
}

// encodeVersion2 is the block of inqs and notices as format 6 and 7
// wrote it: version 2, each notice as JSON.
func encodeVersion2(t testing.TB, inqs []*credo.Inquiry, notices []*credo.AdverseNotice) []byte {
	var enc auditEncoder
	b := bytes.Clone(enc.encode(inqs, nil))
	b[0] = 2
	b = binary.AppendUvarint(b[:len(b)-1], uint64(len(notices)))
	for _, n := range notices {
		js, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		b = binary.AppendUvarint(binary.AppendUvarint(b, enc.strs[n.ID]), uint64(len(js)))
		b = append(b, js...)
	}
	return b
}

// encodeVersion1 is the block of inqs as format 5 wrote it: version 1,
// without the notices' section (then their count, 0, at the end).
func encodeVersion1(inqs []*credo.Inquiry) []byte {
	var enc auditEncoder
	b := bytes.Clone(enc.encode(inqs, nil))
	b[0] = 1
	return b[:len(b)-1]
}

// TestAuditBlockRoundTrip checks that a block gives back every field of
// its inquiries and notices, nil and empty lists apart, and filters by
// subject; that it gives a notice to the subject of the inquiry that names
// it, and to no one else; and that blocks of versions 1 (without notices)
// and 2 (notices as JSON) still read.
func TestAuditBlockRoundTrip(t *testing.T) {
	in := auditSamples()
	var enc auditEncoder
	notices := auditNotices(in)
	block := enc.encode(in, notices)
	var dec auditDecoder
	v2 := encodeVersion2(t, in, notices)
	for _, n := range notices {
		got, err := dec.notice(block, &n.Subject, n.ID)
		if err != nil || !reflect.DeepEqual(got, n) {
			t.Errorf("notice %s: %+v, %v; want %+v", n.ID, got, err, n)
		}
		if got, err := dec.notice(block, &in[0].Subject, n.ID); got != nil || err != nil {
			t.Errorf("notice %s given to another subject: %+v, %v", n.ID, got, err)
		}
		// JSON drops empty lists marked omitempty: compare with what it keeps
		js, _ := json.Marshal(n)
		var want credo.AdverseNotice
		json.Unmarshal(js, &want)
		if got, err := dec.notice(v2, &n.Subject, n.ID); err != nil || !reflect.DeepEqual(got, &want) {
			t.Errorf("notice %s in a block of version 2: %+v, %v", n.ID, got, err)
		}
	}
	var v1 []*credo.Inquiry
	if err := dec.decode(encodeVersion1(in), nil, func(q *credo.Inquiry) { v1 = append(v1, q) }); err != nil || !reflect.DeepEqual(v1, in) {
		t.Errorf("version 1: %+v, %v", v1, err)
	}
	if got, err := dec.notice(encodeVersion1(in), &in[2].Subject, in[2].NoticeID); got != nil || err != nil {
		t.Errorf("a notice in a block of version 1: %+v, %v", got, err)
	}
	var got []*credo.Inquiry
	if err := dec.decode(block, nil, func(q *credo.Inquiry) { got = append(got, q) }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Errorf("got %+v\nwant %+v", got, in)
	}
	got = nil
	if err := dec.decode(block, &in[2].Subject, func(q *credo.Inquiry) { got = append(got, q) }); err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], in[2]) {
		t.Errorf("filtered: %+v, %v", got, err)
	}
	var subjects []credo.SubjectRef
	if err := dec.subjects(block, func(k credo.SubjectKind, id []byte) {
		subjects = append(subjects, credo.SubjectRef{Kind: k, ID: string(id)})
	}); err != nil || len(subjects) != 3 || subjects[1] != in[1].Subject {
		t.Errorf("subjects: %v, %v", subjects, err)
	}
	// The encoder serves again (AppendAudit keeps one): a block of other
	// inquiries, then the first ones again, as a new encoder makes them.
	first := bytes.Clone(block)
	if other := enc.encode(in[1:2], notices[:1]); bytes.Equal(other, first) {
		t.Fatal("another block encoded the same")
	}
	if again := enc.encode(in, notices); !bytes.Equal(again, first) {
		t.Errorf("encoded again by the same encoder:\n%x\nwant\n%x", again, first)
	}
}

// TestAuditBlockRepeatedLists encodes inquiries that share their lists
// (the very slices, equal copies, a list and a longer one over the same
// array) beside others: each reads back as it was.
func TestAuditBlockRepeatedLists(t *testing.T) {
	base := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	shared := []string{"national@1", "city@2", "xiamen@3", "fujian@4"}
	reasons := []string{"national:not_listed"}
	lists := [][2][]string{
		{reasons, shared},
		{reasons, shared}, // the same slices
		{{"national:not_listed"}, slices.Clone(shared)}, // equal copies
		{reasons, shared[:2]},                           // a shorter one over the same array
		{{"national:dishonest_debtor"}, shared},
		{{}, nil},
		{reasons, shared},
	}
	var in []*credo.Inquiry
	for i, l := range lists {
		in = append(in, &credo.Inquiry{Time: base.Add(time.Duration(i)), RequestID: "r", Consumer: "airline",
			Subject: credo.SubjectRef{Kind: credo.Person, ID: "11010519491231002X"}, Action: "flight.book", Reasons: l[0], PolicyVersions: l[1]})
	}
	var enc auditEncoder
	for range 2 { // and again, by the same encoder
		var got []*credo.Inquiry
		var dec auditDecoder
		if err := dec.decode(enc.encode(in, nil), nil, func(q *credo.Inquiry) { got = append(got, q) }); err != nil || !reflect.DeepEqual(got, in) {
			t.Fatalf("got %+v, %v", got, err)
		}
	}
}

// FuzzAuditBlock checks that a damaged block is an error, never a panic.
func FuzzAuditBlock(f *testing.F) {
	var enc auditEncoder
	in := auditSamples()
	f.Add(bytes.Clone(enc.encode(in, auditNotices(in))))
	f.Add(encodeVersion1(in))
	f.Add(encodeVersion2(f, in, auditNotices(in)))
	f.Add([]byte{auditBlockVersion, 1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var dec auditDecoder
		dec.decode(b, nil, func(*credo.Inquiry) {})
		dec.subjects(b, func(credo.SubjectKind, []byte) {})
		for _, q := range in {
			dec.notice(b, &q.Subject, q.NoticeID)
		}
	})
}

// TestAuditIndex writes the trail in many batches, some indexed and some
// not, beside an inquiry of the trail as written before the log, and
// reads each subject's inquiries back, in time order, before and after
// reopening.
func TestAuditIndex(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	subjects := []credo.SubjectRef{{Kind: credo.Person, ID: "11010519491231002X"}, {Kind: credo.Person, ID: "110105194912310021"},
		{Kind: credo.Organization, ID: "91350100M000100Y43"}}
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	want := map[credo.SubjectRef]int{}
	// an inquiry as the trail kept it before the log: by subject, as JSON
	old := &credo.Inquiry{Time: base.Add(-time.Hour), RequestID: "old", Consumer: "bank", Subject: subjects[0], Action: "loan.apply",
		Reasons: []string{}, PolicyVersions: []string{"national@1"}}
	v, _ := json.Marshal(old)
	k := binary.BigEndian.AppendUint64(inquiryPrefix(old.Subject), uint64(old.Time.UnixNano()))
	if err := s.db.Set(binary.BigEndian.AppendUint64(k, 1), v, nil); err != nil {
		t.Fatal(err)
	}
	want[subjects[0]]++
	n := 0
	for batch := range 12 {
		var inqs []*credo.Inquiry
		for i := range 50 {
			ref := subjects[(batch+i)%len(subjects)]
			// times go back and forth: the read puts them in order
			inqs = append(inqs, &credo.Inquiry{Time: base.Add(time.Duration((n*7919)%1000) * time.Second), RequestID: fmt.Sprintf("r%d", batch),
				Consumer: "airline", Subject: ref, Action: "flight.book", Reasons: []string{"national:ok"}, PolicyVersions: []string{"national@1"}})
			want[ref]++
			n++
		}
		if err := s.AppendAudit(ctx, inqs, nil); err != nil {
			t.Fatal(err)
		}
		if batch == 3 || batch == 6 || batch == 8 { // the rest stays above the watermark
			if err := s.indexAudit(ctx, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(s *Store) {
		t.Helper()
		for _, ref := range subjects {
			var got []*credo.Inquiry
			for q, err := range s.SubjectInquiries(ctx, ref) {
				if err != nil {
					t.Fatal(err)
				}
				if q.Subject != ref {
					t.Fatalf("%s: an inquiry about %s", ref, q.Subject)
				}
				got = append(got, q)
			}
			if len(got) != want[ref] {
				t.Errorf("%s: %d inquiries, want %d", ref, len(got), want[ref])
			}
			for i := 1; i < len(got); i++ {
				if got[i].Time.Before(got[i-1].Time) {
					t.Errorf("%s: out of time order at %d", ref, i)
				}
			}
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check(s)
	if err := s.indexAudit(ctx, true); err != nil {
		t.Fatal(err)
	}
	check(s)
}

// TestAuditSegments checks that segments are merged in tiers, every
// inquiry read once before and after, and that the merged segments' files
// are removed.
func TestAuditSegments(t *testing.T) {
	s, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	ref := func(i int) credo.SubjectRef {
		return credo.SubjectRef{Kind: credo.Person, ID: fmt.Sprintf("1101051949%07d1", i)}
	}
	want := map[credo.SubjectRef]int{}
	check := func(when string) {
		t.Helper()
		for i := range 50 {
			n := 0
			for q, err := range s.SubjectInquiries(ctx, ref(i)) {
				if err != nil {
					t.Fatal(err)
				}
				if q.Subject != ref(i) {
					t.Fatalf("an inquiry about %s", q.Subject)
				}
				n++
			}
			if n != want[ref(i)] {
				t.Fatalf("%s: %s: %d inquiries, want %d", when, ref(i), n, want[ref(i)])
			}
		}
	}
	const segments = 2*auditMergeFan + 3 // two merges, and some left
	for seg := range segments {
		var inqs []*credo.Inquiry
		for i := range 200 {
			r := ref((i*7 + seg) % 50)
			want[r]++
			inqs = append(inqs, &credo.Inquiry{Time: time.Now(), RequestID: fmt.Sprint(seg), Consumer: "airline", Subject: r, Action: "flight.book"})
		}
		if err := s.AppendAudit(ctx, inqs, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.indexAudit(ctx, true); err != nil {
			t.Fatal(err)
		}
		if seg == auditMergeFan-2 || seg == auditMergeFan-1 {
			check(fmt.Sprintf("after segment %d", seg))
		}
	}
	check("at the end")
	tiers := map[uint8]int{}
	var names []string
	for _, l := range s.auditIdx.segs {
		tiers[l.tier]++
		names = append(names, filepath.Base(segPath("", l.num)))
	}
	if len(s.auditIdx.segs) != 5 || tiers[1] != 2 || tiers[0] != 3 {
		t.Errorf("live segments %v: want two of tier 1 and three of tier 0", tiers)
	}
	// the merged segments' files are gone
	entries, err := os.ReadDir(s.auditIdx.dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	if !slices.Equal(files, names) {
		t.Errorf("files %v, want the live segments' %v", files, names)
	}
}

// TestAuditMoveFromEngine opens a directory of format 4, whose audit
// trail is blocks in the ledger engine indexed by subject alone: the blocks
// move to the audit log, are indexed anew, and every inquiry reads as
// before; a move cut short is done again whole.
func TestAuditMoveFromEngine(t *testing.T) {
	for _, cut := range []bool{false, true} {
		t.Run(fmt.Sprintf("cut short %v", cut), func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			subjects := []credo.SubjectRef{{Kind: credo.Person, ID: "11010519491231002X"}, {Kind: credo.Organization, ID: "91350100M000100Y43"}}
			want := map[credo.SubjectRef]int{}
			// as format 4 wrote it: blocks under 'l' time r, an index 'L'
			// kind id 0x00 block key in the index engine, a watermark of
			// the last block key indexed
			base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
			var last []byte
			for blk := range 5 {
				var inqs []*credo.Inquiry
				for i := range 30 {
					ref := subjects[(blk+i)%2]
					inqs = append(inqs, &credo.Inquiry{Time: base.Add(time.Duration(blk*30+i) * time.Second), Consumer: "airline", Subject: ref, Action: "flight.book"})
					want[ref]++
				}
				k := binary.BigEndian.AppendUint64([]byte{tagAuditLog}, uint64(inqs[0].Time.UnixNano())^(1<<63))
				k = binary.BigEndian.AppendUint32(k, uint32(blk))
				if err := s.db.Set(k, encodeVersion1(inqs), pebble.Sync); err != nil {
					t.Fatal(err)
				}
				if blk < 3 {
					for _, ref := range subjects {
						if err := s.idx.Set(append(inquiryPrefix(ref), k[1:]...), nil, pebble.Sync); err != nil {
							t.Fatal(err)
						}
					}
					last = k
				}
			}
			if err := s.idx.Set(metaAudit, last, pebble.Sync); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, markerName), []byte("credo data directory\nformat 4\n"), 0o640); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(filepath.Join(dir, auditDirName)); err != nil {
				t.Fatal(err)
			}
			if cut { // an earlier move wrote some of the blocks, then stopped
				l, err := openChainLog(filepath.Join(dir, auditDirName), "audit log", 0)
				if err != nil {
					t.Fatal(err)
				}
				if err := l.write(1, appendFrame(nil, 1, []byte{auditBlockVersion, 0, 0, 0}, true), []uint32{0}); err != nil {
					t.Fatal(err)
				}
				l.close()
			}
			if s, err = Open(dir, nil); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if n := s.auditLog.last(); n != 5 {
				t.Errorf("the audit log holds %d blocks, want 5", n)
			}
			if err := scanEach(ctx, s.db, auditLogPrefix, prefixEnd(auditLogPrefix), func(k, _ []byte) error {
				return fmt.Errorf("block %x left in the engine", k)
			}); err != nil {
				t.Error(err)
			}
			check := func() {
				t.Helper()
				for _, ref := range subjects {
					n := 0
					for q, err := range s.SubjectInquiries(ctx, ref) {
						if err != nil {
							t.Fatal(err)
						}
						if q.Subject != ref {
							t.Fatalf("%s: an inquiry about %s", ref, q.Subject)
						}
						n++
					}
					if n != want[ref] {
						t.Errorf("%s: %d inquiries, want %d", ref, n, want[ref])
					}
				}
			}
			check()
			if err := s.indexAudit(ctx, true); err != nil {
				t.Fatal(err)
			}
			if w, segments := s.auditWatermark(); w != 5 || segments != 1 {
				t.Errorf("indexed through block %d in %d segments, want 5 in 1", w, segments)
			}
			check()
		})
	}
}

// TestIDOrder checks that the numbers of ids compare as their bytes do.
func TestIDOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	id := func() []byte {
		b := make([]byte, 18)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		if rng.IntN(3) == 0 {
			b[17] = 'X'
		}
		if rng.IntN(2) == 0 { // a shared prefix, as ids of one region and year
			copy(b, "1101051949")
		}
		return b
	}
	for range 100_000 {
		a, b := id(), id()
		va, oka := idOrder(a)
		vb, okb := idOrder(b)
		if !oka || !okb {
			t.Fatalf("idOrder(%s), idOrder(%s): not numbers", a, b)
		}
		if got, want := cmp.Compare(va, vb), bytes.Compare(a, b); got != want {
			t.Fatalf("%s vs %s: numbers compare %d, bytes %d", a, b, got, want)
		}
	}
	for _, bad := range []string{"11010519491231002", "1101051949123100Y2", "11010519491231002x", "110105194912310021X"} {
		if _, ok := idOrder([]byte(bad)); ok {
			t.Errorf("idOrder(%q) is a number", bad)
		}
	}
}

// TestRadixSort checks the radix sort against a stable sort by number.
func TestRadixSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 100, 5000} {
		es := make([]numEntry, n)
		for i := range es {
			es[i] = numEntry{v: rng.Uint64() >> (rng.IntN(8) * 8) & ^uint64(0xff00), blk: uint32(i)} // some bytes shared
			if i > 0 && rng.IntN(4) == 0 {
				es[i].v = es[i-1].v // ties keep their order
			}
		}
		want := slices.Clone(es)
		slices.SortStableFunc(want, func(x, y numEntry) int { return cmp.Compare(x.v, y.v) })
		if got := radixSort(es); !slices.Equal(got, want) {
			t.Errorf("%d entries: radix sort differs", n)
		}
	}
}

// TestAuditIndexPendingAsReadBack checks that the index AppendAudit's
// pending entries make is the one reading the blocks back makes.
func TestAuditIndexPendingAsReadBack(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	ctx := context.Background()
	if err := s.indexAudit(ctx, false); err != nil { // anchors the pending entries at the (empty) watermark
		t.Fatal(err)
	}
	subjects := []credo.SubjectRef{{Kind: credo.Person, ID: "11010519491231002X"}, {Kind: credo.Person, ID: "110105194912310021"},
		{Kind: credo.Person, ID: "11010519491231002"}, // not of the usual shape: keyed by its bytes
		{Kind: credo.Organization, ID: "91350100M000100Y43"}, {Kind: credo.Person, ID: "650105200001010013"}}
	rng := rand.New(rand.NewPCG(5, 6))
	for batch := range 20 {
		var inqs []*credo.Inquiry
		for range 100 {
			inqs = append(inqs, &credo.Inquiry{Time: time.Now(), RequestID: fmt.Sprint(batch), Consumer: "airline",
				Subject: subjects[rng.IntN(len(subjects))], Action: "flight.book"})
		}
		if err := s.AppendAudit(ctx, inqs, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.audit.pending.inquiries; n != 2000 {
		t.Fatalf("%d inquiries pending, want 2000", n)
	}
	if err := s.indexAudit(ctx, true); err != nil {
		t.Fatal(err)
	}
	entries := func() []string {
		var out []string
		for _, g := range s.auditIdx.segs {
			es, err := segEntries(g.segFile)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, es...)
		}
		return out
	}
	pending := entries()
	// Forget the index, and index again from the blocks, read back.
	if err := s.dropAuditIndex(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	if len(s.auditIdx.segs) != 0 {
		t.Fatalf("%d segments after the index was dropped", len(s.auditIdx.segs))
	}
	if err := s.indexAudit(ctx, true); err != nil {
		t.Fatal(err)
	}
	back := entries()
	if len(pending) == 0 || !slices.Equal(pending, back) {
		t.Errorf("index from the pending entries (%d) differs from the index read back (%d)", len(pending), len(back))
	}
}

// TestAuditIndexBesideAppends indexes the trail again and again while it
// is written: every inquiry is found once, in whichever segment.
func TestAuditIndexBesideAppends(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// some blocks written before: read back by the first index, beside the appends
	first := []*credo.Inquiry{{Time: time.Now(), Consumer: "bank", Subject: credo.SubjectRef{Kind: credo.Person, ID: "110105194912310021"}, Action: "loan.apply"}}
	if err := s.AppendAudit(ctx, first, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[string]int{"110105194912310021": 1}
	done := make(chan error)
	go func() {
		for b := range 300 {
			var inqs []*credo.Inquiry
			for i := range 10 {
				id := fmt.Sprintf("1101051949%07d1", (b*10+i)%37)
				want[id]++
				inqs = append(inqs, &credo.Inquiry{Time: time.Now(), Consumer: "airline", Subject: credo.SubjectRef{Kind: credo.Person, ID: id}, Action: "flight.book"})
			}
			if err := s.AppendAudit(ctx, inqs, nil); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	segments := 0
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		default:
		}
		if err := s.indexAudit(ctx, true); err != nil {
			t.Fatal(err)
		}
		segments++
	}
	if _, n := s.auditWatermark(); n < 2 {
		t.Fatalf("%d segments written in %d calls: want several", n, segments)
	}
	for id, n := range want {
		got := 0
		for q, err := range s.SubjectInquiries(ctx, credo.SubjectRef{Kind: credo.Person, ID: id}) {
			if err != nil {
				t.Fatal(err)
			}
			if q.Subject.ID != id {
				t.Fatalf("%s: an inquiry about %s", id, q.Subject)
			}
			got++
		}
		if got != n {
			t.Errorf("%s: %d inquiries, want %d", id, got, n)
		}
	}
}

// TestAuditIndexPastTheLog opens a directory whose audit log lost its end
// (here: all of it): the index, which names blocks the log no longer
// holds, is dropped, and the inquiries written since are read, once.
func TestAuditIndexPastTheLog(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ref := credo.SubjectRef{Kind: credo.Person, ID: "11010519491231002X"}
	batch := func(n int, req string) []*credo.Inquiry {
		var out []*credo.Inquiry
		for range n {
			out = append(out, &credo.Inquiry{Time: time.Now(), RequestID: req, Consumer: "airline", Subject: ref, Action: "flight.book"})
		}
		return out
	}
	for range 3 {
		if err := s.AppendAudit(ctx, batch(10, "old"), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.indexAudit(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, auditDirName)); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if w, _ := s.auditWatermark(); w != 0 {
		t.Fatalf("watermark %d, want the index dropped", w)
	}
	if err := s.AppendAudit(ctx, batch(4, "new"), nil); err != nil {
		t.Fatal(err)
	}
	n := 0
	for q, err := range s.SubjectInquiries(ctx, ref) {
		if err != nil {
			t.Fatal(err)
		}
		if q.RequestID != "new" {
			t.Fatalf("an inquiry of the lost log: %+v", q)
		}
		n++
	}
	if n != 4 {
		t.Errorf("%d inquiries, want the 4 written since", n)
	}
}

// TestNoticeInEngine reads a notice as format 5 and older wrote it, into
// the ledger engine by id, beside its inquiry in a block of version 1: it
// is found under its subject only.
func TestNoticeInEngine(t *testing.T) {
	s, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	in := auditSamples()
	n := auditNotices(in)[1]
	js, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Set(noticeKey(n.ID), js, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := s.auditLog.write(1, appendFrame(nil, 1, encodeVersion1(in), true), []uint32{0}); err != nil {
		t.Fatal(err)
	}
	var want credo.AdverseNotice // as JSON keeps it
	if err := json.Unmarshal(js, &want); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Notice(ctx, n.Subject, n.ID); err != nil || !reflect.DeepEqual(got, &want) {
		t.Errorf("Notice = %+v, %v; want %+v", got, err, &want)
	}
	if _, err := s.Notice(ctx, in[0].Subject, n.ID); !errors.Is(err, credo.ErrNotFound) {
		t.Errorf("under another subject: %v", err)
	}
}

// TestAuditIndexFromFormat6 opens a directory of format 6, whose audit
// index's segments are tables of the index engine: they and the watermark
// are deleted, and the index is built again from the log.
func TestAuditIndexFromFormat6(t *testing.T) {
	ctx := context.Background()
	ref := credo.SubjectRef{Kind: credo.Person, ID: "11010519491231002X"}
	dir, s := storeAsked(t, ref, 3)
	// as format 6 wrote it: segment 0's keys, i seg kind id 0x00 block, a
	// watermark and the list; here naming block 2 twice, which a read of
	// the old index would show
	b := s.idx.NewBatch()
	for _, blk := range []uint64{1, 2, 2, 3} {
		k := binary.BigEndian.AppendUint64([]byte{tagInquiryIndex}, 0)
		k = append(append(append(k, byte(ref.Kind)), ref.ID...), 0)
		b.Set(binary.BigEndian.AppendUint64(k, blk), nil, nil)
	}
	b.Set(metaAudit, auditMeta(3, 1), nil)
	b.Set(metaAuditSegments, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0}, nil)
	if err := b.Commit(pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(os.RemoveAll(filepath.Join(dir, auditIndexDirName)),
		os.WriteFile(filepath.Join(dir, markerName), []byte("credo data directory\nformat 6\n"), 0o640)); err != nil {
		t.Fatal(err)
	}
	var err error
	if s, err = Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if w, n := s.auditWatermark(); w != 0 || n != 0 {
		t.Errorf("watermark %d, next segment %d: want the old index dropped", w, n)
	}
	if err := scanEach(ctx, s.idx, []byte{tagInquiryIndex}, []byte{tagInquiryIndex + 1}, func(k, _ []byte) error {
		return fmt.Errorf("old index key %x left", k)
	}); err != nil {
		t.Error(err)
	}
	if n := countInquiries(t, s, ref); n != 3 {
		t.Errorf("%d inquiries, want 3", n)
	}
	if err := s.indexAudit(ctx, true); err != nil {
		t.Fatal(err)
	}
	if w, n := s.auditWatermark(); w != 3 || n != 1 {
		t.Errorf("indexed through block %d in %d segments, want 3 in 1", w, n)
	}
	if n := countInquiries(t, s, ref); n != 3 {
		t.Errorf("%d inquiries once indexed, want 3", n)
	}
}

// TestAuditIndexUnreadableSegment opens a directory whose live segment's
// file was damaged: the index is dropped, and built again from the log.
func TestAuditIndexUnreadableSegment(t *testing.T) {
	ctx := context.Background()
	ref := credo.SubjectRef{Kind: credo.Organization, ID: "91350100M000100Y43"}
	dir, s := storeAsked(t, ref, 1)
	if err := s.indexAudit(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := segPath(filepath.Join(dir, auditIndexDirName), 0)
	if err := os.Truncate(path, 20); err != nil {
		t.Fatal(err)
	}
	var err error
	if s, err = Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if w, _ := s.auditWatermark(); w != 0 {
		t.Errorf("watermark %d: want the index dropped", w)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the damaged segment's file is still there: %v", err)
	}
	if n := countInquiries(t, s, ref); n != 1 {
		t.Errorf("%d inquiries, want 1", n)
	}
}

// storeAsked is a store in a new directory whose trail has n inquiries
// about ref, a block each.
func storeAsked(t *testing.T, ref credo.SubjectRef, n int) (string, *Store) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := s.AppendAudit(context.Background(), []*credo.Inquiry{{Time: time.Now(), Consumer: "airline", Subject: ref, Action: "flight.book"}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	return dir, s
}

// countInquiries is how many inquiries of ref s reads.
func countInquiries(t *testing.T, s *Store, ref credo.SubjectRef) int {
	t.Helper()
	n := 0
	for _, err := range s.SubjectInquiries(context.Background(), ref) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}
