package pebble

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/sstable"

	"github.com/credo-org/credo"
)

// The stored standings, beside the ledger (package score keeps them):
//
//	T jurisdiction 0x00 kind id                   → standing (binary, below)
//	G jurisdiction 0x00 grade 0x00 kind id        → ∅       (by grade)
//	B jurisdiction 0x00 list 0x00 kind id         → ∅       (by list)
//	X jurisdiction 0x00 next-change kind id       → ∅       (due by time)
//	H kind id 0x00 jurisdiction 0x00 as-of        → change  (score history)
//	W jurisdiction@version                        → seq     (scored through)
//
// A standing is stored without its subject and jurisdiction, which its key
// holds: strings as uvarint length and bytes, numbers as float64 bits,
// times as a flag byte then varint seconds and uvarint nanoseconds.
const (
	tagStanding  = 'T'
	tagByGrade   = 'G'
	tagByList    = 'B'
	tagDue       = 'X'
	tagHistory   = 'H'
	tagWatermark = 'W'
)

var _ credo.Standings = (*Store)(nil)

func subjectSuffix(dst []byte, ref credo.SubjectRef) []byte {
	dst = append(dst, byte(ref.Kind))
	return append(dst, ref.ID...)
}

func standingKey(dst []byte, jurisdiction string, ref credo.SubjectRef) []byte {
	dst = append(dst, tagStanding)
	dst = append(dst, jurisdiction...)
	dst = append(dst, 0)
	return subjectSuffix(dst, ref)
}

func namedKey(dst []byte, tag byte, jurisdiction, name string, ref credo.SubjectRef) []byte {
	dst = append(dst, tag)
	dst = append(dst, jurisdiction...)
	dst = append(dst, 0)
	dst = append(dst, name...)
	dst = append(dst, 0)
	return subjectSuffix(dst, ref)
}

func dueKey(dst []byte, jurisdiction string, t time.Time, ref credo.SubjectRef) []byte {
	dst = append(dst, tagDue)
	dst = append(dst, jurisdiction...)
	dst = append(dst, 0)
	dst = binary.BigEndian.AppendUint64(dst, uint64(t.UnixNano())^(1<<63))
	return subjectSuffix(dst, ref)
}

func historyPrefix(dst []byte, ref credo.SubjectRef, jurisdiction string) []byte {
	dst = append(dst, tagHistory)
	dst = subjectSuffix(dst, ref)
	dst = append(dst, 0)
	dst = append(dst, jurisdiction...)
	return append(dst, 0)
}

func watermarkKey(policyVersion string) []byte {
	return append([]byte{tagWatermark}, policyVersion...)
}

// parseSubjectSuffix reads kind ‖ id from the end of a key after prefix.
func parseSubjectSuffix(k []byte) (credo.SubjectRef, error) {
	if len(k) < 2 {
		return credo.SubjectRef{}, fmt.Errorf("corrupt standing key %x", k)
	}
	return credo.SubjectRef{Kind: credo.SubjectKind(k[0]), ID: string(k[1:])}, nil
}

func validJurisdiction(j string) error {
	if j == "" || strings.IndexByte(j, 0) >= 0 {
		return fmt.Errorf("jurisdiction %q: %w", j, credo.ErrInvalid)
	}
	return nil
}

// PutStandings implements credo.Standings.
func (s *Store) PutStandings(ctx context.Context, sts []*credo.Standing) error {
	if len(sts) == 0 {
		return ctx.Err()
	}
	b := s.db.NewBatch()
	defer b.Close()
	// The standings a call replaces are read with one iterator (callers
	// pass subjects in order, and successive seeks forward are cheap), or,
	// for a few, one look-up each.
	var it *pebble.Iterator
	if len(sts) > 8 {
		var err error
		if it, err = s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tagStanding}, UpperBound: []byte{tagStanding + 1}}); err != nil {
			return err
		}
		defer it.Close()
	}
	var key, old, val []byte
	for _, st := range sts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := validJurisdiction(st.Jurisdiction); err != nil {
			return err
		}
		if !st.Subject.Resolved() || strings.IndexByte(st.Subject.ID, 0) >= 0 {
			return fmt.Errorf("standing of %s: %w: want a resolved subject", st.Subject, credo.ErrInvalid)
		}
		key = standingKey(key[:0], st.Jurisdiction, st.Subject)
		found, err := s.oldStanding(it, key, &old)
		if err != nil {
			return fmt.Errorf("standing of %s under %s: %w", st.Subject, st.Jurisdiction, err)
		}
		var prev *credo.Standing
		if found {
			if prev, err = decodeSummary(old); err != nil {
				return fmt.Errorf("standing of %s under %s: %w", st.Subject, st.Jurisdiction, err)
			}
			prev.Subject, prev.Jurisdiction = st.Subject, st.Jurisdiction
		}
		if prev != nil {
			if err := s.unindex(b, prev); err != nil {
				return err
			}
		}
		val = appendStanding(val[:0], st)
		if err := b.Set(key, val, nil); err != nil {
			return err
		}
		if err := s.index(b, st); err != nil {
			return err
		}
		if prev == nil || changedStanding(prev, st) {
			hk := historyPrefix(nil, st.Subject, st.Jurisdiction)
			hk = binary.BigEndian.AppendUint64(hk, uint64(st.AsOf.UnixNano())^(1<<63))
			if err := b.Set(hk, appendChange(nil, st), nil); err != nil {
				return err
			}
		}
	}
	if err := b.Commit(s.wo); err != nil {
		return fmt.Errorf("store %d standings in %s: %w", len(sts), s.dir, err)
	}
	return nil
}

// oldStanding copies the value under key into buf, through it when
// given, and reports whether there was one.
func (s *Store) oldStanding(it *pebble.Iterator, key []byte, buf *[]byte) (bool, error) {
	if it != nil {
		if it.SeekGE(key) && bytes.Equal(it.Key(), key) {
			*buf = append((*buf)[:0], it.Value()...)
			return true, nil
		}
		return false, it.Error()
	}
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	*buf = append((*buf)[:0], v...)
	return true, closer.Close()
}

func changedStanding(a, b *credo.Standing) bool {
	if a.PolicyVersion != b.PolicyVersion || a.Score != b.Score || a.Grade != b.Grade || len(a.Lists) != len(b.Lists) {
		return true
	}
	for i := range a.Lists {
		if a.Lists[i].List != b.Lists[i].List {
			return true
		}
	}
	return false
}

func (s *Store) index(b *pebble.Batch, st *credo.Standing) error {
	if err := b.Set(namedKey(nil, tagByGrade, st.Jurisdiction, st.Grade, st.Subject), nil, nil); err != nil {
		return err
	}
	for _, m := range st.Lists {
		if err := b.Set(namedKey(nil, tagByList, st.Jurisdiction, m.List, st.Subject), nil, nil); err != nil {
			return err
		}
	}
	if !st.NextChange.IsZero() {
		return b.Set(dueKey(nil, st.Jurisdiction, st.NextChange, st.Subject), nil, nil)
	}
	return nil
}

func (s *Store) unindex(b *pebble.Batch, st *credo.Standing) error {
	if err := b.Delete(namedKey(nil, tagByGrade, st.Jurisdiction, st.Grade, st.Subject), nil); err != nil {
		return err
	}
	for _, m := range st.Lists {
		if err := b.Delete(namedKey(nil, tagByList, st.Jurisdiction, m.List, st.Subject), nil); err != nil {
			return err
		}
	}
	if !st.NextChange.IsZero() {
		return b.Delete(dueKey(nil, st.Jurisdiction, st.NextChange, st.Subject), nil)
	}
	return nil
}

// getStanding reads the standing under key, or nil when there is none.
func (s *Store) getStanding(key []byte, ref credo.SubjectRef, jurisdiction string, buf *[]byte) (*credo.Standing, error) {
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("standing of %s under %s: %w", ref, jurisdiction, err)
	}
	*buf = append((*buf)[:0], v...)
	closer.Close()
	st, err := decodeStanding(*buf)
	if err != nil {
		return nil, fmt.Errorf("standing of %s under %s: %w", ref, jurisdiction, err)
	}
	st.Subject, st.Jurisdiction = ref, jurisdiction
	return st, nil
}

// Standing implements credo.Standings.
func (s *Store) Standing(ctx context.Context, ref credo.SubjectRef, jurisdiction string) (*credo.Standing, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var buf []byte
	st, err := s.getStanding(standingKey(nil, jurisdiction, ref), ref, jurisdiction, &buf)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, fmt.Errorf("standing of %s under %s: %w", ref, jurisdiction, credo.ErrNotFound)
	}
	return st, nil
}

// ListStandings implements credo.Standings. With a list it walks that
// list's index, with a grade the grade's, else the standings themselves.
func (s *Store) ListStandings(ctx context.Context, f credo.StandingFilter) iter.Seq2[*credo.Standing, error] {
	return func(yield func(*credo.Standing, error) bool) {
		var jurisdictions []string
		if f.Jurisdiction != "" {
			jurisdictions = []string{f.Jurisdiction}
		} else {
			var err error
			if jurisdictions, err = s.standingJurisdictions(); err != nil {
				yield(nil, err)
				return
			}
		}
		for _, j := range jurisdictions {
			if !s.listUnder(ctx, j, f, yield) {
				return
			}
		}
	}
}

// standingJurisdictions lists the jurisdictions with stored standings.
func (s *Store) standingJurisdictions() ([]string, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tagStanding}, UpperBound: []byte{tagStanding + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []string
	for ok := it.First(); ok; {
		k := it.Key()
		j, _, found := bytes.Cut(k[1:], []byte{0})
		if !found {
			return nil, fmt.Errorf("corrupt standing key %x", k)
		}
		out = append(out, string(j))
		next := append(append([]byte{tagStanding}, j...), 1) // past every key of j
		ok = it.SeekGE(next)
	}
	return out, it.Error()
}

func (s *Store) listUnder(ctx context.Context, j string, f credo.StandingFilter, yield func(*credo.Standing, error) bool) bool {
	var prefix []byte
	switch {
	case f.List != "":
		prefix = append(append(append([]byte{tagByList}, j...), 0), f.List...)
		prefix = append(prefix, 0)
	case f.Grade != "":
		prefix = append(append(append([]byte{tagByGrade}, j...), 0), f.Grade...)
		prefix = append(prefix, 0)
	default:
		prefix = append(append([]byte{tagStanding}, j...), 0)
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return yield(nil, err)
	}
	defer it.Close()
	var buf []byte
	for ok := it.First(); ok; ok = it.Next() {
		if err := ctx.Err(); err != nil {
			return yield(nil, err)
		}
		ref, err := parseSubjectSuffix(it.Key()[len(prefix):])
		if err != nil {
			return yield(nil, err)
		}
		var st *credo.Standing
		if prefix[0] == tagStanding {
			buf = append(buf[:0], it.Value()...)
			if st, err = decodeStanding(buf); err != nil {
				return yield(nil, fmt.Errorf("standing of %s under %s: %w", ref, j, err))
			}
			st.Subject, st.Jurisdiction = ref, j
		} else {
			st, err = s.getStanding(standingKey(nil, j, ref), ref, j, &buf)
			if err == nil && st == nil {
				err = fmt.Errorf("standing of %s under %s: indexed but missing", ref, j)
			}
			if err != nil {
				return yield(nil, err)
			}
		}
		if (f.Grade != "" && st.Grade != f.Grade) || (f.List != "" && !st.InList(f.List)) {
			continue
		}
		if !yield(st, nil) {
			return false
		}
	}
	if err := it.Error(); err != nil {
		return yield(nil, err)
	}
	return true
}

// History implements credo.Standings.
func (s *Store) History(ctx context.Context, ref credo.SubjectRef, jurisdiction string) iter.Seq2[credo.StandingChange, error] {
	prefix := historyPrefix(nil, ref, jurisdiction)
	return scan(ctx, s.db, prefix, prefixEnd(prefix), func(_, v []byte) (credo.StandingChange, bool, error) {
		c, err := decodeChange(v)
		if err != nil {
			return c, false, fmt.Errorf("history of %s under %s: %w", ref, jurisdiction, err)
		}
		return c, true, nil
	})
}

// DueStandings implements credo.Standings.
func (s *Store) DueStandings(ctx context.Context, jurisdiction string, t time.Time) iter.Seq2[credo.SubjectRef, error] {
	prefix := append(append([]byte{tagDue}, jurisdiction...), 0)
	upper := binary.BigEndian.AppendUint64(append([]byte(nil), prefix...), uint64(t.UnixNano())^(1<<63))
	upper = append(upper, 0xff)
	return scan(ctx, s.db, prefix, upper, func(key, _ []byte) (credo.SubjectRef, bool, error) {
		k := key[len(prefix):]
		if len(k) < 8 {
			return credo.SubjectRef{}, false, fmt.Errorf("corrupt due key %x", key)
		}
		ref, err := parseSubjectSuffix(k[8:])
		return ref, err == nil, err
	})
}

// Watermark implements credo.Standings.
func (s *Store) Watermark(ctx context.Context, policyVersion string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	v, closer, err := s.db.Get(watermarkKey(policyVersion))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("watermark of %s: %w", policyVersion, err)
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("watermark of %s: corrupt entry %x", policyVersion, v)
	}
	return binary.BigEndian.Uint64(v), nil
}

// SetWatermark implements credo.Standings.
func (s *Store) SetWatermark(ctx context.Context, policyVersion string, seq uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if policyVersion == "" {
		return fmt.Errorf("watermark: %w: want a policy version", credo.ErrInvalid)
	}
	if err := s.db.Set(watermarkKey(policyVersion), binary.BigEndian.AppendUint64(nil, seq), s.wo); err != nil {
		return fmt.Errorf("watermark of %s in %s: %w", policyVersion, s.dir, err)
	}
	return nil
}

// The binary encoding of standings and history entries.

func putStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func putNum(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

func putTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

func appendStanding(b []byte, st *credo.Standing) []byte {
	b = append(b, 1) // encoding version
	b = putStr(b, st.PolicyVersion)
	b = putTime(b, st.AsOf)
	b = putNum(b, st.Score)
	b = putStr(b, st.Grade)
	g := &st.GradeReason
	for _, s := range [...]string{g.By, g.Band, g.Banded, g.Rule, g.Record, g.List} {
		b = putStr(b, s)
	}
	b = putTime(b, g.Until)
	b = binary.AppendUvarint(b, uint64(len(st.Lists)))
	for i := range st.Lists {
		m := &st.Lists[i]
		b = putStr(b, m.List)
		b = putStr(b, m.Type)
		b = putTime(b, m.Since)
		b = putTime(b, m.EarliestExit)
		b = putTime(b, m.Until)
		b = putStr(b, m.Record)
		if m.Published {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(st.Contributions)))
	for i := range st.Contributions {
		c := &st.Contributions[i]
		b = putStr(b, c.Record)
		b = putStr(b, c.Kind)
		b = putStr(b, c.Rule)
		b = putNum(b, c.Points)
		b = putNum(b, c.RulePoints)
		b = putStr(b, c.Note)
		b = putTime(b, c.OccurredAt)
		b = putTime(b, c.Until)
	}
	return putTime(b, st.NextChange)
}

func appendChange(b []byte, st *credo.Standing) []byte {
	b = putStr(b, st.PolicyVersion)
	b = putTime(b, st.AsOf)
	b = putNum(b, st.Score)
	b = putStr(b, st.Grade)
	b = binary.AppendUvarint(b, uint64(len(st.Lists)))
	for i := range st.Lists {
		b = putStr(b, st.Lists[i].List)
	}
	return b
}

// reader decodes what the put functions wrote, remembering the first
// error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("corrupt standing: truncated or malformed %s", what)
	}
	r.b = nil
}

func (r *reader) uvarint(what string) uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) str(what string) string {
	n := r.uvarint(what)
	if n > uint64(len(r.b)) {
		r.fail(what)
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) num(what string) float64 {
	if len(r.b) < 8 {
		r.fail(what)
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return f
}

func (r *reader) byte1(what string) byte {
	if len(r.b) < 1 {
		r.fail(what)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) time(what string) time.Time {
	switch r.byte1(what) {
	case 0:
		return time.Time{}
	case 1:
	default:
		r.fail(what)
		return time.Time{}
	}
	sec, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(what)
		return time.Time{}
	}
	r.b = r.b[n:]
	ns := r.uvarint(what)
	if ns >= 1e9 {
		r.fail(what)
		return time.Time{}
	}
	return time.Unix(sec, int64(ns)).UTC()
}

// count reads a length, bounded by what the remaining bytes could hold.
func (r *reader) count(what string, minSize int) int {
	n := r.uvarint(what)
	if n > uint64(len(r.b)/minSize) {
		r.fail(what)
		return 0
	}
	return int(n)
}

func decodeStanding(b []byte) (*credo.Standing, error) {
	r := &reader{b: b}
	if v := r.byte1("version"); v != 1 && r.err == nil {
		return nil, fmt.Errorf("corrupt standing: encoding version %d", v)
	}
	st := &credo.Standing{}
	st.PolicyVersion = r.str("policy version")
	st.AsOf = r.time("as-of")
	st.Score = r.num("score")
	st.Grade = r.str("grade")
	g := &st.GradeReason
	for _, p := range [...]*string{&g.By, &g.Band, &g.Banded, &g.Rule, &g.Record, &g.List} {
		*p = r.str("grade reason")
	}
	g.Until = r.time("grade reason")
	st.Lists = make([]credo.Membership, r.count("lists", 6))
	for i := range st.Lists {
		m := &st.Lists[i]
		m.List = r.str("list")
		m.Type = r.str("list type")
		m.Since = r.time("list since")
		m.EarliestExit = r.time("list earliest exit")
		m.Until = r.time("list until")
		m.Record = r.str("list record")
		m.Published = r.byte1("list published") == 1
	}
	st.Contributions = make([]credo.Contribution, r.count("contributions", 22))
	for i := range st.Contributions {
		c := &st.Contributions[i]
		c.Record = r.str("contribution record")
		c.Kind = r.str("contribution kind")
		c.Rule = r.str("contribution rule")
		c.Points = r.num("contribution points")
		c.RulePoints = r.num("contribution rule points")
		c.Note = r.str("contribution note")
		c.OccurredAt = r.time("contribution occurred")
		c.Until = r.time("contribution until")
	}
	st.NextChange = r.time("next change")
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) > 0 {
		return nil, fmt.Errorf("corrupt standing: %d bytes left over", len(r.b))
	}
	return st, nil
}

// decodeSummary decodes what replacing a standing needs of the old one —
// policy version, score, grade, list names, next change — skipping the
// rest without allocating it.
func decodeSummary(b []byte) (*credo.Standing, error) {
	r := &reader{b: b}
	if v := r.byte1("version"); v != 1 && r.err == nil {
		return nil, fmt.Errorf("corrupt standing: encoding version %d", v)
	}
	st := &credo.Standing{}
	st.PolicyVersion = r.str("policy version")
	r.time("as-of")
	st.Score = r.num("score")
	st.Grade = r.str("grade")
	for range 6 {
		r.skip("grade reason")
	}
	r.time("grade reason")
	st.Lists = make([]credo.Membership, r.count("lists", 6))
	for i := range st.Lists {
		st.Lists[i].List = r.str("list")
		r.skip("list type")
		for range 3 {
			r.time("list time")
		}
		r.skip("list record")
		r.byte1("list published")
	}
	n := r.count("contributions", 22)
	for range n {
		for range 3 {
			r.skip("contribution")
		}
		r.num("contribution points")
		r.num("contribution rule points")
		r.skip("contribution note")
		r.time("contribution occurred")
		r.time("contribution until")
	}
	st.NextChange = r.time("next change")
	if r.err != nil {
		return nil, r.err
	}
	return st, nil
}

func (r *reader) skip(what string) {
	n := r.uvarint(what)
	if n > uint64(len(r.b)) {
		r.fail(what)
		return
	}
	r.b = r.b[n:]
}

func decodeChange(b []byte) (credo.StandingChange, error) {
	r := &reader{b: b}
	c := credo.StandingChange{}
	c.PolicyVersion = r.str("policy version")
	c.At = r.time("as-of")
	c.Score = r.num("score")
	c.Grade = r.str("grade")
	c.Lists = make([]string, r.count("lists", 1))
	for i := range c.Lists {
		c.Lists[i] = r.str("list")
	}
	if r.err != nil {
		return credo.StandingChange{}, r.err
	}
	if len(r.b) > 0 {
		return credo.StandingChange{}, fmt.Errorf("corrupt history entry: %d bytes left over", len(r.b))
	}
	slices.Sort(c.Lists)
	return c, nil
}

// ScanScoring yields every record from sequence number from on, in ledger
// order, as scoring sees it: what a policy reads of a record (subject,
// source and source record id, kind, polarity, occurrence, legal basis,
// evidence, corrections and retractions, attributes) without the identity
// the agency sent, the provenance, the recorded time or the hash, which
// are neither decoded nor allocated. It is the compact projection a full
// recompute scans; records of an encoding it does not know are decoded in
// full.
func (s *Store) ScanScoring(ctx context.Context, from uint64) iter.Seq2[*credo.Record, error] {
	return s.scanChain(ctx, from, func() func(uint64, []byte) (*credo.Record, error) {
		in := interner{}
		return func(seq uint64, v []byte) (*credo.Record, error) { return decodeScoring(seq, v, in) }
	})
}

// interner shares the strings that repeat from record to record (sources,
// kinds, legal bases, attribute names).
type interner map[string]string

func (in interner) get(b []byte) string {
	if s, ok := in[string(b)]; ok {
		return s
	}
	if len(in) > 1<<16 {
		return string(b)
	}
	s := string(b)
	in[s] = s
	return s
}

// decodeScoring reads the projection of the canonical encoding (version
// 1; see credo.Record.AppendCanonical) after the 32-byte hash.
func decodeScoring(seq uint64, v []byte, in interner) (*credo.Record, error) {
	if len(v) < 33 || v[32] != 1 {
		return decodeValue(seq, v)
	}
	r := &credo.Record{Seq: seq}
	d := &reader{b: v[33:]}
	raw := func(what string) []byte {
		n := d.uvarint(what)
		if n > uint64(len(d.b)) {
			d.fail(what)
			return nil
		}
		b := d.b[:n]
		d.b = d.b[n:]
		return b
	}
	ts := func(what string) time.Time {
		switch d.byte1(what) {
		case 0:
			return time.Time{}
		case 1:
			ns, n := binary.Varint(d.b)
			if n <= 0 {
				d.fail(what)
				return time.Time{}
			}
			d.b = d.b[n:]
			return time.Unix(0, ns).UTC()
		}
		d.fail(what)
		return time.Time{}
	}
	r.Subject.Kind = credo.SubjectKind(d.byte1("subject kind"))
	r.Subject.ID = string(raw("subject id"))
	r.Source = in.get(raw("source"))
	r.SourceRecordID = string(raw("source record id"))
	r.Kind = in.get(raw("kind"))
	r.Polarity = credo.Polarity(int8(d.byte1("polarity")))
	r.OccurredAt = ts("occurred_at")
	ts("recorded_at")
	r.LegalBasis = in.get(raw("legal basis"))
	r.Evidence = string(raw("evidence"))
	r.Corrects = string(raw("corrects"))
	r.Retracts = string(raw("retracts"))
	for range 3 { // identity: id number, name, birth date
		raw("identity")
	}
	d.byte1("identity sex")
	raw("identity phone")
	raw("identity address")
	n := d.count("attribute count", 2)
	if n > 0 {
		r.Attributes = make(credo.Attributes, 0, n)
	}
	for range n {
		key := in.get(raw("attribute key"))
		var val credo.Value
		switch credo.ValueKind(d.byte1("attribute kind")) {
		case credo.KindString:
			val = credo.String(string(raw("attribute value")))
		case credo.KindNumber:
			val = credo.Number(math.Float64frombits(d.u64("attribute value")))
		case credo.KindInt:
			val = credo.Int(int64(d.u64("attribute value")))
		case credo.KindTime:
			val = credo.Time(time.Unix(0, int64(d.u64("attribute value"))))
		case credo.KindBool:
			val = credo.Bool(d.byte1("attribute value") == 1)
		case credo.KindNull:
		default:
			// a value kind this projection does not know: the full decoder's
			// judgement stands
			return decodeValue(seq, v)
		}
		r.Attributes = append(r.Attributes, credo.Attribute{Key: key, Value: val})
	}
	if d.err != nil {
		return r, fmt.Errorf("record %d: %w", seq, d.err)
	}
	r.ID = credo.RecordID(r.Source, r.SourceRecordID)
	return r, nil
}

func (r *reader) u64(what string) uint64 {
	if len(r.b) < 8 {
		r.fail(what)
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

// ReplaceStandings replaces every stored standing under jurisdiction by
// sts, which must be sorted by subject (kind, then id), each under
// jurisdiction and at most one per subject: what a full recompute stores.
// A subject with no standing in sts has none after. The history gains an
// entry for each standing whose policy version, score, grade or lists
// differ from the one it replaces, as PutStandings would add.
//
// The standings and their index entries are written as sorted tables
// that carry the deletion of the jurisdiction's old ones and are ingested
// into the engine whole, in one step, rather than written key by key.
func (s *Store) ReplaceStandings(ctx context.Context, jurisdiction string, sts []*credo.Standing) error {
	return s.ReplaceStandingsFunc(ctx, jurisdiction, len(sts), func(i int, st *credo.Standing) { *st = *sts[i] })
}

// ReplaceStandingsFunc is ReplaceStandings of n standings that at makes
// on demand, standing i into *st (at is called from several goroutines at
// once, each with its own st, and more than once for an i): a million
// standings need not all be held as credo.Standing values, which the
// garbage collector would have to scan.
func (s *Store) ReplaceStandingsFunc(ctx context.Context, jurisdiction string, n int, at func(i int, st *credo.Standing)) error {
	if err := validJurisdiction(jurisdiction); err != nil {
		return err
	}
	getter := func() func(i int) *credo.Standing {
		var st credo.Standing
		return func(i int) *credo.Standing {
			st = credo.Standing{}
			at(i, &st)
			return &st
		}
	}
	get := getter()
	var prev credo.SubjectRef
	for i := range n {
		st := get(i)
		if st.Jurisdiction != jurisdiction || !st.Subject.Resolved() || strings.IndexByte(st.Subject.ID, 0) >= 0 {
			return fmt.Errorf("standing of %s under %s: %w: want a resolved subject under %s", st.Subject, st.Jurisdiction, credo.ErrInvalid, jurisdiction)
		}
		if i > 0 && compareSuffix(prev, st.Subject) >= 0 {
			return fmt.Errorf("standings under %s: %w: not sorted by subject at %s", jurisdiction, credo.ErrInvalid, st.Subject)
		}
		prev = st.Subject
	}
	dir := filepath.Join(s.dir, ingestDirName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	jp := append([]byte(jurisdiction), 0)
	span := func(tag byte) (lo, hi []byte) {
		lo = append([]byte{tag}, jp...)
		return lo, prefixEnd(lo)
	}
	type table struct {
		tag  byte
		del  bool
		rows func(add func(k, v []byte) error) error
	}
	tables := []table{
		{tagByList, true, func(add func(k, v []byte) error) error {
			get := getter()
			byList := map[string][]int{}
			for i := range n {
				for _, m := range get(i).Lists {
					byList[m.List] = append(byList[m.List], i)
				}
			}
			for _, name := range slices.Sorted(maps.Keys(byList)) {
				for _, i := range byList[name] {
					if err := add(namedKey(nil, tagByList, jurisdiction, name, get(i).Subject), nil); err != nil {
						return err
					}
				}
			}
			return nil
		}},
		{tagByGrade, true, func(add func(k, v []byte) error) error {
			get := getter()
			byGrade := map[string][]int{}
			for i := range n {
				g := get(i).Grade
				byGrade[g] = append(byGrade[g], i)
			}
			var key []byte
			for _, g := range slices.Sorted(maps.Keys(byGrade)) {
				for _, i := range byGrade[g] {
					key = namedKey(key[:0], tagByGrade, jurisdiction, g, get(i).Subject)
					if err := add(key, nil); err != nil {
						return err
					}
				}
			}
			return nil
		}},
		{tagHistory, false, func(add func(k, v []byte) error) error {
			// history keys lead with the subject: sts's order is theirs;
			// the old standings are read while the other tables are written
			changed, err := s.changedStandings(ctx, jurisdiction, n, getter())
			if err != nil {
				return err
			}
			get := getter()
			var key, val []byte
			for i := range n {
				if !changed[i] {
					continue
				}
				st := get(i)
				key = historyPrefix(key[:0], st.Subject, jurisdiction)
				key = binary.BigEndian.AppendUint64(key, uint64(st.AsOf.UnixNano())^(1<<63))
				val = appendChange(val[:0], st)
				if err := add(key, val); err != nil {
					return err
				}
			}
			return nil
		}},
		{tagStanding, true, func(add func(k, v []byte) error) error {
			get := getter()
			var key, val []byte
			for i := range n {
				st := get(i)
				key = standingKey(key[:0], jurisdiction, st.Subject)
				val = appendStanding(val[:0], st)
				if err := add(key, val); err != nil {
					return err
				}
			}
			return nil
		}},
		{tagDue, true, func(add func(k, v []byte) error) error {
			type due struct {
				t int64
				i int
			}
			get := getter()
			var ds []due
			for i := range n {
				if st := get(i); !st.NextChange.IsZero() {
					ds = append(ds, due{st.NextChange.UnixNano(), i})
				}
			}
			slices.SortFunc(ds, func(a, b due) int { return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(a.i, b.i)) })
			var key []byte
			for _, d := range ds {
				st := get(d.i)
				key = dueKey(key[:0], jurisdiction, st.NextChange, st.Subject)
				if err := add(key, nil); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	paths := make([]string, len(tables))
	errs := make([]error, len(tables))
	var wg sync.WaitGroup
	for i, tb := range tables {
		paths[i] = filepath.Join(dir, fmt.Sprintf("standings-%d-%c.sst", time.Now().UnixNano(), tb.tag))
		wg.Go(func() {
			// only the standings are looked up by key; the rest are scanned
			errs[i] = s.writeStandingTable(paths[i], tb.del, tb.tag == tagStanding, func() ([]byte, []byte) { return span(tb.tag) }, tb.rows)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, p := range paths {
			os.Remove(p)
		}
		return fmt.Errorf("standings under %s: %w", jurisdiction, err)
	}
	if err := s.db.Ingest(ctx, paths); err != nil {
		for _, p := range paths {
			os.Remove(p)
		}
		return fmt.Errorf("standings under %s: ingest: %w", jurisdiction, err)
	}
	return nil
}

// writeStandingTable writes one sorted table at path: the deletion of its
// span first (when del), then the rows.
func (s *Store) writeStandingTable(path string, del, filter bool, span func() ([]byte, []byte), rows func(add func(k, v []byte) error) error) error {
	wo := s.popts.MakeWriterOptions(0, s.db.TableFormat())
	wo.Compression = sstable.NoCompression // written once, soon compacted: not worth the CPU now
	wo.BlockSize = 32 << 10                // fewer blocks and index entries to build
	if !filter {
		wo.FilterPolicy = pebble.NoFilterPolicy
	}
	return writeSSTable(path, wo, func(w *sstable.Writer) error {
		if del {
			lo, hi := span()
			if err := w.DeleteRange(lo, hi); err != nil {
				return err
			}
		}
		return rows(func(k, v []byte) error { return w.Set(k, v) })
	})
}

// sameVersion reports whether the encoded standing v is under policy
// version ver, reading no more of it.
func sameVersion(v []byte, ver string) bool {
	if len(v) < 1 || v[0] != 1 {
		return true // let decodeSummary judge it
	}
	n, k := binary.Uvarint(v[1:])
	if k <= 0 || n > uint64(len(v)-1-k) {
		return true
	}
	return string(v[1+k:1+k+int(n)]) == ver
}

func compareSuffix(a, b credo.SubjectRef) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), strings.Compare(a.ID, b.ID))
}

// changedStandings reads the standings stored under jurisdiction beside
// sts (both in subject order) and reports, for each of sts, whether it
// changes the subject's history.
func (s *Store) changedStandings(ctx context.Context, jurisdiction string, n int, get func(int) *credo.Standing) ([]bool, error) {
	out := make([]bool, n)
	prefix := append(append([]byte{tagStanding}, jurisdiction...), 0)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	ok := it.First()
	for i := range n {
		st := get(i)
		out[i] = true
		for ; ok; ok = it.Next() {
			ref, err := parseSubjectSuffix(it.Key()[len(prefix):])
			if err != nil {
				return nil, err
			}
			c := compareSuffix(ref, st.Subject)
			if c > 0 {
				break
			}
			if c == 0 {
				v, err := it.ValueAndErr()
				if err != nil {
					return nil, err
				}
				if !sameVersion(v, st.PolicyVersion) {
					ok = it.Next() // a new version: a change whatever else is
					break
				}
				prev, err := decodeSummary(v)
				if err != nil {
					return nil, fmt.Errorf("standing of %s under %s: %w", ref, jurisdiction, err)
				}
				out[i] = changedStanding(prev, st)
				ok = it.Next()
				break
			}
		}
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	return out, it.Error()
}
