package pebble

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/sstable"

	"github.com/credo-org/credo"
)

// The stored standings, beside the ledger (package score keeps them). A
// full recompute stores a jurisdiction's standings in blocks of a few
// hundred subjects, one key each; a standing stored since (an incremental
// catch-up's) is stored alone and overrides its subject's entry in a
// block:
//
//	F jurisdiction 0x00 last                       → a block of standings (below)
//	T jurisdiction 0x00 kind id                    → a standing stored alone
//	X jurisdiction 0x00 next-change kind id        → ∅  (due by time: every standing, in a block or alone)
//	H kind id 0x00 jurisdiction 0x00 as-of         → change (score history of standings stored alone)
//	h jurisdiction 0x00 generation (8) last        → a block of changes (a full recompute's history)
//	f jurisdiction 0x00                            → the last subjects of the blocks, each uvarint length and bytes
//	W jurisdiction@version                         → seq (scored through)
//	v                                              → the standings' version (StandingsVersion)
//
// "last" is the subject (kind id) of a block's last entry, so that the
// block holding a subject is the first at or after it. Directories written
// before blocks hold only standings stored alone, and G (by grade) and B
// (by list) index entries that nothing reads any more; the next full
// recompute of the jurisdiction deletes them.
//
// A standing stored alone is stored without its subject and jurisdiction,
// which its key holds: strings as uvarint length and bytes, numbers as
// float64 bits, times as a flag byte then varint seconds and uvarint
// nanoseconds. A block is
//
//	byte 2, uvarint entries, uvarint strings, each uvarint length and bytes,
//	then each entry: byte kind, uvarint id length, id, uvarint summary
//	length, summary, uvarint body length, body
//
// where a body is a standing's (or, in h, a change's) encoding with each
// string given as its number among the block's strings: the policy
// version, grades, bands and list names a few hundred subjects share are
// written once a block. A summary (empty in h) is what a decision reads
// of the standing (appendSummary), for the decision table's load.
const (
	tagStanding  = 'T'
	tagBlock     = 'F'
	tagByGrade   = 'G' // directories written before blocks
	tagByList    = 'B' // directories written before blocks
	tagDue       = 'X'
	tagHistory   = 'H'
	tagHistBlock = 'h'
	tagBlockDir  = 'f'
	tagWatermark = 'W'
	tagVersion   = 'v'

	// standingBlock is how many subjects a block holds: few enough that
	// finding one in it (a catch-up replacing its standing) is a scan of
	// microseconds, enough that the keys are few.
	standingBlock = 512
	blockEncoding = 2
)

var _ credo.Standings = (*Store)(nil)

func subjectSuffix(dst []byte, ref credo.SubjectRef) []byte {
	dst = append(dst, byte(ref.Kind))
	return append(dst, ref.ID...)
}

// jPrefix is tag ‖ jurisdiction ‖ 0x00.
func jPrefix(dst []byte, tag byte, jurisdiction string) []byte {
	dst = append(dst, tag)
	dst = append(dst, jurisdiction...)
	return append(dst, 0)
}

func standingKey(dst []byte, jurisdiction string, ref credo.SubjectRef) []byte {
	return subjectSuffix(jPrefix(dst, tagStanding, jurisdiction), ref)
}

func timeBits(dst []byte, t time.Time) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(t.UnixNano())^(1<<63))
}

func dueKey(dst []byte, jurisdiction string, t time.Time, ref credo.SubjectRef) []byte {
	return subjectSuffix(timeBits(jPrefix(dst, tagDue, jurisdiction), t), ref)
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
	if len(k) < 2 || k[0] == 0 {
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

func validStanding(st *credo.Standing) error {
	if err := validJurisdiction(st.Jurisdiction); err != nil {
		return err
	}
	if !st.Subject.Resolved() || strings.IndexByte(st.Subject.ID, 0) >= 0 {
		return fmt.Errorf("standing of %s: %w: want a resolved subject", st.Subject, credo.ErrInvalid)
	}
	return nil
}

// lookup finds subjects' current standings, its iterators made when
// first needed and kept for the next look-up.
type lookup struct {
	s      *Store
	ti, fi *pebble.Iterator
	single bool // look standings stored alone up through ti
	key    []byte
	fkey   []byte
	st     credo.Standing
}

func (l *lookup) close() {
	for _, it := range []*pebble.Iterator{l.ti, l.fi} {
		if it != nil {
			it.Close()
		}
	}
}

// current reads ref's current standing under j into l.st: the one stored
// alone, else its entry in a block; found says whether there is one.
func (l *lookup) current(j string, ref credo.SubjectRef) (found bool, err error) {
	l.key = standingKey(l.key[:0], j, ref)
	var v []byte
	var closer interface{ Close() error }
	if l.single {
		if l.ti == nil {
			if l.ti, err = l.s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tagStanding}, UpperBound: []byte{tagStanding + 1}}); err != nil {
				return false, err
			}
		}
		if l.ti.SeekGE(l.key) && bytes.Equal(l.ti.Key(), l.key) {
			if v, err = l.ti.ValueAndErr(); err != nil {
				return false, err
			}
		} else if err := l.ti.Error(); err != nil {
			return false, err
		}
	} else {
		v, closer, err = l.s.db.Get(l.key)
		if errors.Is(err, pebble.ErrNotFound) {
			v, err = nil, nil
		}
		if err != nil {
			return false, err
		}
	}
	if v != nil {
		err := decodeSingle(v, &l.st)
		if closer != nil {
			closer.Close()
		}
		l.st.Subject, l.st.Jurisdiction = ref, j
		return err == nil, err
	}
	// the block holding it, when there is one: the first whose last
	// subject is at or after it
	if l.fi == nil {
		if l.fi, err = l.s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tagBlock}, UpperBound: []byte{tagBlock + 1}}); err != nil {
			return false, err
		}
	}
	l.fkey = subjectSuffix(jPrefix(l.fkey[:0], tagBlock, j), ref)
	suffix := l.fkey[len(l.fkey)-len(ref.ID)-1:]
	if !l.fi.SeekGE(l.fkey) || !bytes.HasPrefix(l.fi.Key(), l.fkey[:len(l.fkey)-len(suffix)]) {
		return false, l.fi.Error()
	}
	if v, err = l.fi.ValueAndErr(); err != nil {
		return false, err
	}
	found, err = findInBlock(v, suffix, &l.st)
	l.st.Subject, l.st.Jurisdiction = ref, j
	return found, err
}

// findInBlock decodes the entry of subject suffix in block v into st.
func findInBlock(v, suffix []byte, st *credo.Standing) (bool, error) {
	br, err := openBlock(v, "")
	if err != nil {
		return false, err
	}
	for br.next() {
		switch c := br.compare(suffix); {
		case c == 0:
			return true, br.decode(st)
		case c > 0:
			return false, nil
		}
	}
	return false, br.r.err
}

// standingsVersionKey holds the standings' version: random bytes written
// anew with every change to the standings, in the same batch or ingest,
// so that a version names one state of them (a decision table saved from
// them is theirs while it is unchanged), and a version seen before and
// after reading them says that nothing changed between.
var standingsVersionKey = []byte{tagVersion}

func newStandingsVersion() []byte {
	v := make([]byte, 16)
	rand.Read(v)
	return v
}

// ensureStandingsVersion gives the standings a version when they have
// none: a new directory's, or one written before versions.
func (s *Store) ensureStandingsVersion() error {
	_, closer, err := s.db.Get(standingsVersionKey)
	if err == nil {
		return closer.Close()
	}
	if !errors.Is(err, pebble.ErrNotFound) {
		return fmt.Errorf("standings' version: %w", err)
	}
	if err := s.db.Set(standingsVersionKey, newStandingsVersion(), s.wo); err != nil {
		return fmt.Errorf("standings' version: %w", err)
	}
	return nil
}

// StandingsVersion names the state of the stored standings: it changes
// whenever a standing is stored (PutStandings, ReplaceStandings), and only
// then, also across reopening.
func (s *Store) StandingsVersion(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	v, closer, err := s.db.Get(standingsVersionKey)
	if err != nil {
		return "", fmt.Errorf("standings' version in %s: %w", s.dir, err)
	}
	defer closer.Close()
	return hex.EncodeToString(v), nil
}

// PutStandings implements credo.Standings.
func (s *Store) PutStandings(ctx context.Context, sts []*credo.Standing) error {
	if len(sts) == 0 {
		return ctx.Err()
	}
	b := s.db.NewBatch()
	defer b.Close()
	if err := b.Set(standingsVersionKey, newStandingsVersion(), nil); err != nil {
		return err
	}
	// The standings a call replaces are read with iterators kept from one
	// look-up to the next (callers pass subjects in order, and successive
	// seeks forward are cheap), or, for a few stored alone, one look-up each.
	l := &lookup{s: s, single: len(sts) > 8}
	defer l.close()
	var key, val []byte
	for _, st := range sts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := validStanding(st); err != nil {
			return err
		}
		found, err := l.current(st.Jurisdiction, st.Subject)
		if err != nil {
			return fmt.Errorf("standing of %s under %s: %w", st.Subject, st.Jurisdiction, err)
		}
		prev := &l.st
		if found && !prev.NextChange.IsZero() {
			if err := b.Delete(dueKey(key[:0], st.Jurisdiction, prev.NextChange, st.Subject), nil); err != nil {
				return err
			}
		}
		key = standingKey(key[:0], st.Jurisdiction, st.Subject)
		val = appendStanding(val[:0], st)
		if err := b.Set(key, val, nil); err != nil {
			return err
		}
		if !st.NextChange.IsZero() {
			if err := b.Set(dueKey(key[:0], st.Jurisdiction, st.NextChange, st.Subject), nil, nil); err != nil {
				return err
			}
		}
		if !found || changedStanding(prev, st) {
			key = timeBits(historyPrefix(key[:0], st.Subject, st.Jurisdiction), st.AsOf)
			if err := b.Set(key, appendChange(val[:0], st, nil), nil); err != nil {
				return err
			}
		}
	}
	if err := b.Commit(s.wo); err != nil {
		return fmt.Errorf("store %d standings in %s: %w", len(sts), s.dir, err)
	}
	return nil
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

// Standing implements credo.Standings.
func (s *Store) Standing(ctx context.Context, ref credo.SubjectRef, jurisdiction string) (*credo.Standing, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := &lookup{s: s}
	defer l.close()
	found, err := l.current(jurisdiction, ref)
	if err != nil {
		return nil, fmt.Errorf("standing of %s under %s: %w", ref, jurisdiction, err)
	}
	if !found {
		return nil, fmt.Errorf("standing of %s under %s: %w", ref, jurisdiction, credo.ErrNotFound)
	}
	return ownStanding(&l.st), nil
}

// ownStanding is a copy of st that shares nothing a cursor or a lookup
// reuses.
func ownStanding(st *credo.Standing) *credo.Standing {
	cp := *st
	cp.Lists = append(make([]credo.Membership, 0, len(st.Lists)), st.Lists...)
	cp.Contributions = append(make([]credo.Contribution, 0, len(st.Contributions)), st.Contributions...)
	return &cp
}

// ListStandings implements credo.Standings: it walks each jurisdiction's
// standings, passing over the blocks whose strings do not name the grade
// or list asked for.
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
		var keep func(dict []string) bool
		if f.Grade != "" || f.List != "" {
			keep = func(dict []string) bool {
				return (f.Grade == "" || slices.Contains(dict, f.Grade)) && (f.List == "" || slices.Contains(dict, f.List))
			}
		}
		for _, j := range jurisdictions {
			c, err := s.newCursor(ctx, j, nil, nil, keep)
			if err != nil {
				yield(nil, err)
				return
			}
			for c.next() {
				st := &c.st
				if (f.Grade != "" && st.Grade != f.Grade) || (f.List != "" && !st.InList(f.List)) {
					continue
				}
				if !yield(ownStanding(st), nil) {
					c.close()
					return
				}
			}
			c.close()
			if c.err != nil {
				yield(nil, c.err)
				return
			}
		}
	}
}

// standingJurisdictions lists the jurisdictions with stored standings.
func (s *Store) standingJurisdictions() ([]string, error) {
	var out []string
	for _, tag := range []byte{tagBlock, tagStanding} {
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tag}, UpperBound: []byte{tag + 1}})
		if err != nil {
			return nil, err
		}
		for ok := it.First(); ok; {
			k := it.Key()
			j, _, found := bytes.Cut(k[1:], []byte{0})
			if !found {
				it.Close()
				return nil, fmt.Errorf("corrupt standing key %x", k)
			}
			out = append(out, string(j))
			ok = it.SeekGE(append(append([]byte{tag}, j...), 1)) // past every key of j
		}
		err = it.Error()
		it.Close()
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// cursor walks the current standings of one jurisdiction in subject
// order, within (after, upto]: the entries of the blocks merged with the
// standings stored alone, which override them. The standing it is at is
// st, which the next step reuses; in bulk, its strings are views of the
// block's (one allocation a block, none a standing).
type cursor struct {
	ctx    context.Context
	j      string
	tp, fp int // lengths of T's and F's prefixes
	ti, fi *pebble.Iterator
	tok    bool // ti is at a standing stored alone
	fdone  bool // no block entry is left in range
	final  bool // the block open is the last that may hold one
	blk    blockReader
	bopen  bool
	bok    bool // blk is at an entry in range
	after  []byte
	upto   []byte
	keep   func(dict []string) bool
	steps  int
	suf    []byte // the subject (kind id) st is of
	st     credo.Standing
	err    error
	// lazy: a block entry is decoded into st only by load, its body
	// (and the block's strings) kept meanwhile in body (and dict)
	lazy    bool
	pending bool
	// lean: a block entry's standing is read as readSummary reads it
	lean bool
	body []byte
	dict []string
	// raw: a block entry is not decoded at all, its summary copied to sum
	// with its block's strings in dict (alone false); a standing stored
	// alone is decoded into st (alone true). blocks counts the blocks
	// opened, so that a reader of dict knows when it changed: dictAt is
	// the count when the entry was read.
	raw    bool
	alone  bool
	ord    int // its place among the cursors bySubject walks
	sum    []byte
	blocks int
	dictAt int
}

// load decodes the standing a lazy cursor is at into st. Its block's
// strings (dict) may be read first: a standing under a policy version
// they lack is not under it.
func (c *cursor) load() error {
	if !c.pending {
		return nil
	}
	c.pending = false
	subject := c.st.Subject
	r := reader{b: c.body, dict: c.dict}
	readBody(&r, &c.st)
	c.st.Subject = subject
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("corrupt standing: %d bytes left over", len(r.b))
	}
	if r.err != nil {
		return fmt.Errorf("standing of %x under %s: %w", c.suf, c.j, r.err)
	}
	return nil
}

// newCursor opens a cursor over jurisdiction j's standings after the
// subject suffix after (nil: from the first) through upto (nil: to the
// last), reading only the blocks keep accepts (nil: every one).
func (s *Store) newCursor(ctx context.Context, j string, after, upto []byte, keep func([]string) bool) (*cursor, error) {
	tp := jPrefix(nil, tagStanding, j)
	lo, hi := tp, prefixEnd(tp)
	if after != nil {
		lo = append(append(slices.Clip(tp), after...), 0)
	}
	if upto != nil {
		hi = append(append(slices.Clip(tp), upto...), 0)
	}
	ti, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, err
	}
	fp := jPrefix(nil, tagBlock, j)
	flo := fp
	if after != nil {
		flo = append(append(slices.Clip(fp), after...), 0)
	}
	fi, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: flo, UpperBound: prefixEnd(fp)})
	if err != nil {
		ti.Close()
		return nil, err
	}
	c := &cursor{ctx: ctx, j: j, tp: len(tp), fp: len(fp), ti: ti, fi: fi, after: after, upto: upto, keep: keep}
	c.tok = ti.First()
	c.advanceBlock()
	return c, nil
}

func (c *cursor) close() {
	c.ti.Close()
	c.fi.Close()
}

// advanceBlock moves to the next block entry in range.
func (c *cursor) advanceBlock() {
	c.bok = false
	for !c.fdone && c.err == nil {
		if c.bopen && c.blk.next() {
			if c.blocks == 1 && c.after != nil && c.blk.compare(c.after) <= 0 {
				continue
			}
			if c.final && c.blk.compare(c.upto) > 0 {
				c.fdone = true
				return
			}
			c.bok = true
			return
		}
		if c.blk.r.err != nil {
			c.err = c.blk.r.err
			return
		}
		if c.final {
			c.fdone = true // the block read last reached past upto
			return
		}
		var ok bool
		if c.blocks > 0 {
			ok = c.fi.Next()
		} else {
			ok = c.fi.First()
		}
		if !ok {
			c.fdone, c.err = true, c.fi.Error()
			return
		}
		// only the first block may hold entries up to after, the last
		// past upto
		c.blocks++
		c.final = c.upto != nil && bytes.Compare(c.fi.Key()[c.fp:], c.upto) >= 0
		v, err := c.fi.ValueAndErr()
		if err == nil {
			// A block kept whole is read as a string at once, whose views
			// its standings' strings are; one a filter may skip is read
			// as bytes first, and again as a string only when kept.
			whole := c.keep == nil && !c.raw
			src := ""
			if whole {
				src = string(v)
			}
			c.blk, err = openBlock(v, src)
			c.bopen = err == nil && (c.keep == nil || c.keep(c.blk.dict))
			if c.bopen && !whole && !c.raw {
				c.blk, err = openBlock(v, string(v))
			}
		}
		if err != nil {
			c.err = fmt.Errorf("standings under %s: block %x: %w", c.j, c.fi.Key(), err)
			return
		}
	}
}

// next moves to the next standing, false at the end or on an error
// (c.err).
func (c *cursor) next() bool {
	if c.err != nil {
		return false
	}
	if c.steps++; c.steps&4095 == 0 {
		if c.err = c.ctx.Err(); c.err != nil {
			return false
		}
	}
	var tsuf []byte
	if c.tok {
		tsuf = c.ti.Key()[c.tp:]
	}
	switch {
	case !c.tok && !c.bok:
		if c.err == nil {
			c.err = c.ti.Error()
		}
		return false
	case c.tok && (!c.bok || c.blk.compare(tsuf) >= 0):
		c.pending = false
		if c.bok && c.blk.compare(tsuf) == 0 {
			c.advanceBlock() // overridden
		}
		c.suf = append(c.suf[:0], tsuf...)
		v, err := c.ti.ValueAndErr()
		if err == nil {
			err = decodeSingle(v, &c.st)
		}
		if err != nil {
			c.err = fmt.Errorf("standing of %x under %s: %w", tsuf, c.j, err)
			return false
		}
		c.st.Subject = credo.SubjectRef{Kind: credo.SubjectKind(tsuf[0]), ID: string(tsuf[1:])}
		c.alone = true
		c.tok = c.ti.Next()
	default:
		// copied: the step to the next entry may leave the block, and the
		// memory the engine gave it
		c.suf = append(append(c.suf[:0], c.blk.kind), c.blk.id...)
		if c.raw {
			c.sum = append(c.sum[:0], c.blk.sum...)
			c.dict, c.dictAt, c.alone = c.blk.dict, c.blocks, false
			c.advanceBlock()
			return true
		}
		c.st.Subject = c.blk.ref()
		if c.lean {
			r := reader{b: c.blk.sum, dict: c.blk.dict}
			readSummary(&r, &c.st)
			if r.err != nil {
				c.err = fmt.Errorf("standing of %s under %s: %w", c.st.Subject, c.j, r.err)
				return false
			}
		} else if c.lazy {
			// the entry's body (copied, as its subject) and strings,
			// kept for load
			c.body, c.dict, c.pending = append(c.body[:0], c.blk.body...), c.blk.dict, true
		} else if err := c.blk.decode(&c.st); err != nil {
			c.err = fmt.Errorf("standing of %x under %s: %w", c.suf, c.j, err)
			return false
		}
		c.advanceBlock()
	}
	c.st.Jurisdiction = c.j
	return true
}

// History implements credo.Standings: the changes the full recomputes
// stored in blocks, and those of standings stored alone, by time; of two
// at the same time, the later stored.
func (s *Store) History(ctx context.Context, ref credo.SubjectRef, jurisdiction string) iter.Seq2[credo.StandingChange, error] {
	return func(yield func(credo.StandingChange, error) bool) {
		out, err := s.history(ctx, ref, jurisdiction)
		if err != nil {
			yield(credo.StandingChange{}, fmt.Errorf("history of %s under %s: %w", ref, jurisdiction, err))
			return
		}
		for _, c := range out {
			if !yield(c, nil) {
				return
			}
		}
	}
}

func (s *Store) history(ctx context.Context, ref credo.SubjectRef, jurisdiction string) ([]credo.StandingChange, error) {
	var out []credo.StandingChange
	suffix := subjectSuffix(nil, ref)
	// each full recompute's blocks: one seek for the generation's block
	// holding ref, one to the next generation
	hp := jPrefix(nil, tagHistBlock, jurisdiction)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: hp, UpperBound: prefixEnd(hp)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var gp []byte
	for ok := it.First(); ok; ok = it.SeekGE(prefixEnd(gp)) {
		if len(it.Key()) < len(hp)+8 {
			return nil, fmt.Errorf("corrupt history block key %x", it.Key())
		}
		gp = append(gp[:0], it.Key()[:len(hp)+8]...)
		if !it.SeekGE(append(slices.Clip(gp), suffix...)) {
			break
		}
		if !bytes.HasPrefix(it.Key(), gp) {
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		br, err := openBlock(v, "")
		if err != nil {
			return nil, err
		}
		for br.next() {
			if c := br.compare(suffix); c >= 0 {
				if c == 0 {
					ch, err := decodeChange(br.body, br.dict)
					if err != nil {
						return nil, err
					}
					out = append(out, ch)
				}
				break
			}
		}
		if br.r.err != nil {
			return nil, br.r.err
		}
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	prefix := historyPrefix(nil, ref, jurisdiction)
	for c, err := range scan(ctx, s.db, prefix, prefixEnd(prefix), func(_, v []byte) (credo.StandingChange, bool, error) {
		c, err := decodeChange(v, nil)
		return c, err == nil, err
	}) {
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b credo.StandingChange) int { return a.At.Compare(b.At) })
	// one entry a time, as a standing stored alone at the time of another
	// replaces it
	for i := len(out) - 1; i > 0; i-- {
		if out[i].At.Equal(out[i-1].At) {
			out = slices.Delete(out, i-1, i)
		}
	}
	return out, nil
}

// DueStandings implements credo.Standings: by time, then subject.
func (s *Store) DueStandings(ctx context.Context, jurisdiction string, t time.Time) iter.Seq2[credo.SubjectRef, error] {
	prefix := jPrefix(nil, tagDue, jurisdiction)
	upper := append(timeBits(slices.Clip(prefix), t), 0xff)
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

// StandingParts splits every stored standing into at most n parts by
// subject, for n goroutines to read at once (the decision table's load):
// each part yields the standings of a range of subjects in subject order,
// a subject's standings under every jurisdiction one after another. The
// parts follow the blocks of the last full recomputes (table f), so
// standings stored only alone are read in one part. The standing a part
// yields is reused by its next step, and holds what a decision reads
// (subject, jurisdiction, policy version, score, grade, grade reason's
// By, list names); of a standing stored alone, everything.
func (s *Store) StandingParts(ctx context.Context, n int) []iter.Seq2[*credo.Standing, error] {
	return standingParts(s, n, func(js []string, r subjectRange, yield func(*credo.Standing, error) bool) {
		err := s.bySubject(ctx, js, r.after, r.upto, func(c *cursor) { c.lean = true }, func(at []*cursor) bool {
			for _, c := range at {
				if !yield(&c.st, nil) {
					return false
				}
			}
			return true
		})
		if err != nil {
			yield(nil, err)
		}
	})
}

// standingParts is at most n parts of s's standings, by subject (see
// StandingParts): part reads the subjects of range r under jurisdictions
// js.
func standingParts[T any](s *Store, n int, part func(js []string, r subjectRange, yield func(T, error) bool)) []iter.Seq2[T, error] {
	js, ranges, err := s.standingRanges(n)
	if err != nil {
		var zero T
		return []iter.Seq2[T, error]{func(yield func(T, error) bool) { yield(zero, err) }}
	}
	parts := make([]iter.Seq2[T, error], len(ranges))
	for i, r := range ranges {
		parts[i] = func(yield func(T, error) bool) { part(js, r, yield) }
	}
	return parts
}

// summaryBatch is about how many summaries a batch of
// StandingSummaryParts holds: a few hundred kilobytes, which stay in the
// cache between the store writing them and the reader reading them.
const summaryBatch = 4096

// StandingSummaryParts is StandingParts as the decision table loads it:
// each part yields batches of what a decision reads of the standings,
// their strings by number, without decoding the rest of a standing or
// making its strings. A batch is reused by the part's next step.
func (s *Store) StandingSummaryParts(ctx context.Context, n int) []iter.Seq2[*credo.StandingSummaries, error] {
	return standingParts(s, n, func(js []string, r subjectRange, yield func(*credo.StandingSummaries, error) bool) {
		b := &summaryBuilder{index: map[string]uint32{}, remaps: make([]blockRemap, len(js))}
		for _, j := range js {
			b.juris = append(b.juris, b.str(j))
		}
		stopped := false
		err := s.bySubject(ctx, js, r.after, r.upto, func(c *cursor) { c.raw = true }, func(at []*cursor) bool {
			if err := b.add(at); err != nil {
				b.err = err
				return false
			}
			if len(b.out.Summaries) >= summaryBatch {
				if !yield(&b.out, nil) {
					stopped = true
					return false
				}
				b.reset()
			}
			return true
		})
		switch {
		case stopped:
		case err != nil:
			yield(nil, err)
		case b.err != nil:
			yield(nil, b.err)
		case len(b.out.Summaries) > 0:
			yield(&b.out, nil)
		}
	})
}

// subjectRange is the subjects in (after, upto]; nil bounds are open.
type subjectRange struct{ after, upto []byte }

// standingRanges lists the jurisdictions with stored standings and splits
// the subjects into at most n ranges of about as many blocks each.
func (s *Store) standingRanges(n int) ([]string, []subjectRange, error) {
	js, err := s.standingJurisdictions()
	if err != nil {
		return nil, nil, err
	}
	var lasts [][]byte // every block's last subject
	for _, j := range js {
		v, closer, err := s.db.Get(jPrefix(nil, tagBlockDir, j))
		if errors.Is(err, pebble.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("standings under %s: %w", j, err)
		}
		r := &reader{b: v}
		for len(r.b) > 0 && r.err == nil {
			n := r.uvarint("block directory")
			if n > uint64(len(r.b)) {
				r.fail("block directory")
				break
			}
			lasts = append(lasts, slices.Clone(r.b[:n]))
			r.b = r.b[n:]
		}
		closer.Close()
		if r.err != nil {
			return nil, nil, fmt.Errorf("standings under %s: %w", j, r.err)
		}
	}
	slices.SortFunc(lasts, bytes.Compare)
	var bounds [][]byte
	for i := 1; i < n && len(lasts) > 0; i++ {
		b := lasts[i*len(lasts)/n]
		if len(bounds) == 0 || bytes.Compare(bounds[len(bounds)-1], b) < 0 {
			bounds = append(bounds, b)
		}
	}
	ranges := make([]subjectRange, len(bounds)+1)
	for i := range ranges {
		if i > 0 {
			ranges[i].after = bounds[i-1]
		}
		if i < len(bounds) {
			ranges[i].upto = bounds[i]
		}
	}
	return js, ranges, nil
}

// bySubject walks the standings of the subjects in (after, upto] under
// jurisdictions js, a cursor each (set up by mode before its first step),
// by subject: f is given the cursors at each subject's standings, in the
// order of js, until it returns false.
func (s *Store) bySubject(ctx context.Context, js []string, after, upto []byte, mode func(*cursor), f func(at []*cursor) bool) error {
	cs := make([]*cursor, 0, len(js))
	defer func() {
		for _, c := range cs {
			c.close()
		}
	}()
	for _, j := range js {
		c, err := s.newCursor(ctx, j, after, upto, nil)
		if err != nil {
			return err
		}
		c.ord = len(cs)
		mode(c)
		cs = append(cs, c)
	}
	ok := make([]bool, len(cs))
	for i, c := range cs {
		ok[i] = c.next()
	}
	at := make([]*cursor, 0, len(cs))
	for {
		// most subjects have a standing under every jurisdiction: the
		// cursors are all at the same one
		all := true
		for i, c := range cs {
			if !ok[i] || !bytes.Equal(c.suf, cs[0].suf) {
				all = false
				break
			}
		}
		at = at[:0]
		if all {
			at = append(at, cs...)
		} else {
			var least []byte
			for i, c := range cs {
				if ok[i] && (least == nil || bytes.Compare(c.suf, least) < 0) {
					least = c.suf
				}
			}
			for i, c := range cs {
				if ok[i] && least != nil && bytes.Equal(c.suf, least) {
					at = append(at, c)
				}
			}
		}
		if len(at) == 0 {
			break
		}
		if !f(at) {
			return nil
		}
		for _, c := range at {
			ok[c.ord] = c.next()
		}
	}
	for _, c := range cs {
		if c.err != nil {
			return c.err
		}
	}
	return nil
}

// summaryBuilder gathers a part's batches of summaries.
type summaryBuilder struct {
	out    credo.StandingSummaries
	index  map[string]uint32 // out.Strings' numbers
	juris  []uint32          // each cursor's jurisdiction, by number
	remaps []blockRemap      // each cursor's block strings, by number
	err    error
}

// summaryShort reads summary s (appendSummary's encoding) into sm and
// lists, its strings' numbers in the block by nums, when every number in
// it takes a byte, as nearly all do (a block has a few strings). It
// reports false, having changed nothing, for any other summary.
func summaryShort(s []byte, nums []uint32, sm *credo.StandingSummary, lists *[]uint32) bool {
	if len(s) < 12 || (s[0]|s[9]|s[10]|s[11]) >= 0x80 || len(s) != 12+int(s[11]) {
		return false
	}
	n := len(nums)
	v, g, by := int(s[0]), int(s[9]), int(s[10])
	if v >= n || g >= n || by >= n {
		return false
	}
	for _, l := range s[12:] {
		if l >= 0x80 || int(l) >= n {
			return false
		}
	}
	sm.PolicyVersion, sm.Grade, sm.GradeBy = nums[v], nums[g], nums[by]
	sm.Score = math.Float64frombits(binary.LittleEndian.Uint64(s[1:9]))
	for _, l := range s[12:] {
		*lists = append(*lists, nums[l])
	}
	return true
}

// blockRemap is the numbers in a part's strings of the strings of the
// block a cursor has open (blocks: which).
type blockRemap struct {
	blocks int
	nums   []uint32
}

func (b *summaryBuilder) reset() {
	b.out.IDs, b.out.Lists, b.out.Summaries = b.out.IDs[:0], b.out.Lists[:0], b.out.Summaries[:0]
}

// str is s's number in the part's strings.
func (b *summaryBuilder) str(s string) uint32 {
	n, ok := b.index[s]
	if !ok {
		n = uint32(len(b.out.Strings))
		b.index[s] = n
		b.out.Strings = append(b.out.Strings, s)
	}
	return n
}

// add adds the summaries of the standings the cursors at are at, all of
// one subject.
func (b *summaryBuilder) add(at []*cursor) error {
	suf := at[0].suf
	from := uint32(len(b.out.IDs))
	b.out.IDs = append(b.out.IDs, suf[1:]...)
	sm := credo.StandingSummary{Kind: credo.SubjectKind(suf[0]), IDFrom: from, IDTo: uint32(len(b.out.IDs))}
	for _, c := range at {
		sm.Jurisdiction = b.juris[c.ord]
		sm.ListsFrom = uint32(len(b.out.Lists))
		if c.alone {
			st := &c.st
			sm.PolicyVersion, sm.Grade, sm.GradeBy, sm.Score = b.str(st.PolicyVersion), b.str(st.Grade), b.str(st.GradeReason.By), st.Score
			for i := range st.Lists {
				b.out.Lists = append(b.out.Lists, b.str(st.Lists[i].List))
			}
		} else if err := b.summary(c, &sm); err != nil {
			return fmt.Errorf("standing of %x under %s: %w", c.suf, c.j, err)
		}
		sm.ListsTo = uint32(len(b.out.Lists))
		b.out.Summaries = append(b.out.Summaries, sm)
	}
	return nil
}

// summary reads the summary of the block entry c is at (appendSummary's
// encoding) into sm and the batch's lists.
func (b *summaryBuilder) summary(c *cursor, sm *credo.StandingSummary) error {
	rm := &b.remaps[c.ord]
	if rm.blocks != c.dictAt {
		rm.blocks, rm.nums = c.dictAt, rm.nums[:0]
		for _, s := range c.dict {
			rm.nums = append(rm.nums, b.str(s))
		}
	}
	if summaryShort(c.sum, rm.nums, sm, &b.out.Lists) {
		return nil
	}
	r := reader{b: c.sum}
	num := func(what string) uint32 {
		i := r.uvarint(what)
		if i >= uint64(len(rm.nums)) {
			r.fail(what)
			return 0
		}
		return rm.nums[i]
	}
	sm.PolicyVersion = num("policy version")
	sm.Score = r.num("score")
	sm.Grade = num("grade")
	sm.GradeBy = num("grade reason")
	for range r.count("lists", 1) {
		b.out.Lists = append(b.out.Lists, num("list"))
	}
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("corrupt standing summary: %d bytes left over", len(r.b))
	}
	return r.err
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

// dict numbers the strings of one block. Each field's string is most often
// the one the same field had in the entry before, which is checked first
// (by slot) before the map.
type dict struct {
	refs    map[string]uint32
	strs    []string
	last    [dictSlots]string
	lastRef [dictSlots]uint32
	lastOK  [dictSlots]bool
}

const dictSlots = 16

func (d *dict) ref(slot int, s string) uint32 {
	if d.lastOK[slot] && d.last[slot] == s {
		return d.lastRef[slot]
	}
	if d.refs == nil {
		d.refs = map[string]uint32{}
	}
	r, ok := d.refs[s]
	if !ok {
		r = uint32(len(d.strs))
		d.refs[s] = r
		d.strs = append(d.strs, s)
	}
	d.last[slot], d.lastRef[slot], d.lastOK[slot] = s, r, true
	return r
}

func (d *dict) reset() {
	clear(d.refs)
	d.strs = d.strs[:0]
	d.lastOK = [dictSlots]bool{}
}

// putS writes s inline, or, with a dictionary, as its number there; slot
// names the field.
func putS(b []byte, d *dict, slot int, s string) []byte {
	if d == nil {
		return putStr(b, s)
	}
	return binary.AppendUvarint(b, uint64(d.ref(slot, s)))
}

// appendStanding encodes a standing stored alone.
func appendStanding(b []byte, st *credo.Standing) []byte {
	return appendBody(append(b, 1), st, nil) // 1: the encoding's version
}

func appendBody(b []byte, st *credo.Standing, d *dict) []byte {
	b = putS(b, d, 0, st.PolicyVersion)
	b = putTime(b, st.AsOf)
	b = putNum(b, st.Score)
	b = putS(b, d, 1, st.Grade)
	g := &st.GradeReason
	for i, s := range [...]string{g.By, g.Band, g.Banded, g.Rule, g.Record, g.List} {
		b = putS(b, d, 2+i, s)
	}
	b = putTime(b, g.Until)
	b = binary.AppendUvarint(b, uint64(len(st.Lists)))
	for i := range st.Lists {
		m := &st.Lists[i]
		b = putS(b, d, 8, m.List)
		b = putS(b, d, 9, m.Type)
		b = putTime(b, m.Since)
		b = putTime(b, m.EarliestExit)
		b = putTime(b, m.Until)
		b = putS(b, d, 10, m.Record)
		if m.Published {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(st.Contributions)))
	for i := range st.Contributions {
		c := &st.Contributions[i]
		b = putS(b, d, 11, c.Record)
		b = putS(b, d, 12, c.Kind)
		b = putS(b, d, 13, c.Rule)
		b = putNum(b, c.Points)
		b = putNum(b, c.RulePoints)
		b = putS(b, d, 14, c.Note)
		b = putTime(b, c.OccurredAt)
		b = putTime(b, c.Until)
	}
	return putTime(b, st.NextChange)
}

// appendChange encodes the history entry of st, with strings inline or,
// with a dictionary, by number.
func appendChange(b []byte, st *credo.Standing, d *dict) []byte {
	b = putS(b, d, 0, st.PolicyVersion)
	b = putTime(b, st.AsOf)
	b = putNum(b, st.Score)
	b = putS(b, d, 1, st.Grade)
	b = binary.AppendUvarint(b, uint64(len(st.Lists)))
	for i := range st.Lists {
		b = putS(b, d, 15, st.Lists[i].List)
	}
	return b
}

// reader decodes what the put functions wrote, remembering the first
// error. Its strings are numbers in dict when there is one; else, when
// src holds the bytes b started as (n0 of them), views of src.
type reader struct {
	b    []byte
	err  error
	dict []string
	src  string
	n0   int
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("corrupt standing: truncated or malformed %s", what)
	}
	r.b = nil
}

func (r *reader) uvarint(what string) uint64 {
	if b := r.b; len(b) > 0 && b[0] < 0x80 {
		r.b = b[1:] // most are one byte: inlined, no call
		return uint64(b[0])
	}
	return r.uvarintLong(what)
}

func (r *reader) uvarintLong(what string) uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// text reads a string written inline.
func (r *reader) text(what string) string {
	n := r.uvarint(what)
	if n > uint64(len(r.b)) {
		r.fail(what)
		return ""
	}
	var s string
	if r.src != "" {
		off := r.n0 - len(r.b)
		s = r.src[off : off+int(n)]
	} else {
		s = string(r.b[:n])
	}
	r.b = r.b[n:]
	return s
}

func (r *reader) str(what string) string {
	if r.dict == nil {
		return r.text(what)
	}
	i := r.uvarint(what)
	if i >= uint64(len(r.dict)) {
		r.fail(what)
		return ""
	}
	return r.dict[i]
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

// decodeSingle decodes a standing stored alone into st (but its subject
// and jurisdiction), reusing its slices; its strings share one allocation.
func decodeSingle(v []byte, st *credo.Standing) error {
	if len(v) == 0 || v[0] != 1 {
		return fmt.Errorf("corrupt standing: encoding version %x", v[:min(len(v), 1)])
	}
	src := string(v[1:])
	r := &reader{b: v[1:], src: src, n0: len(src)}
	readBody(r, st)
	if r.err != nil {
		return r.err
	}
	if len(r.b) > 0 {
		return fmt.Errorf("corrupt standing: %d bytes left over", len(r.b))
	}
	return nil
}

// decodeStanding decodes a standing stored alone.
func decodeStanding(v []byte) (*credo.Standing, error) {
	st := &credo.Standing{}
	if err := decodeSingle(v, st); err != nil {
		return nil, err
	}
	return ownStanding(st), nil
}

func readBody(r *reader, st *credo.Standing) {
	st.PolicyVersion = r.str("policy version")
	st.AsOf = r.time("as-of")
	st.Score = r.num("score")
	st.Grade = r.str("grade")
	g := &st.GradeReason
	for _, p := range [...]*string{&g.By, &g.Band, &g.Banded, &g.Rule, &g.Record, &g.List} {
		*p = r.str("grade reason")
	}
	g.Until = r.time("grade reason")
	n := r.count("lists", 6)
	st.Lists = st.Lists[:0]
	for range n {
		var m credo.Membership
		m.List = r.str("list")
		m.Type = r.str("list type")
		m.Since = r.time("list since")
		m.EarliestExit = r.time("list earliest exit")
		m.Until = r.time("list until")
		m.Record = r.str("list record")
		m.Published = r.byte1("list published") == 1
		st.Lists = append(st.Lists, m)
	}
	n = r.count("contributions", 22)
	st.Contributions = st.Contributions[:0]
	for range n {
		var c credo.Contribution
		c.Record = r.str("contribution record")
		c.Kind = r.str("contribution kind")
		c.Rule = r.str("contribution rule")
		c.Points = r.num("contribution points")
		c.RulePoints = r.num("contribution rule points")
		c.Note = r.str("contribution note")
		c.OccurredAt = r.time("contribution occurred")
		c.Until = r.time("contribution until")
		st.Contributions = append(st.Contributions, c)
	}
	st.NextChange = r.time("next change")
}

// appendSummary encodes what a decision reads of a standing — policy
// version, score, grade, whether the grade is direct, list names — ahead
// of its body in a block, so that the decision table's load, which reads
// tens of millions, reads only it.
func appendSummary(b []byte, st *credo.Standing, d *dict) []byte {
	b = putS(b, d, 0, st.PolicyVersion)
	b = putNum(b, st.Score)
	b = putS(b, d, 1, st.Grade)
	b = putS(b, d, 2, st.GradeReason.By)
	b = binary.AppendUvarint(b, uint64(len(st.Lists)))
	for i := range st.Lists {
		b = putS(b, d, 8, st.Lists[i].List)
	}
	return b
}

// readSummary reads what appendSummary wrote into st; its other fields
// are left zero.
func readSummary(r *reader, st *credo.Standing) {
	st.PolicyVersion = r.str("policy version")
	st.AsOf, st.NextChange = time.Time{}, time.Time{}
	st.Score = r.num("score")
	st.Grade = r.str("grade")
	st.GradeReason = credo.GradeReason{By: r.str("grade reason")}
	n := r.count("lists", 1)
	st.Lists = st.Lists[:0]
	for range n {
		st.Lists = append(st.Lists, credo.Membership{List: r.str("list")})
	}
	st.Contributions = st.Contributions[:0]
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("corrupt standing summary: %d bytes left over", len(r.b))
	}
}

// decodeChange decodes a history entry, its strings inline or numbers in
// dict.
func decodeChange(b []byte, dict []string) (credo.StandingChange, error) {
	r := &reader{b: b, dict: dict}
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

// blockWriter builds one block (see the layout above).
type blockWriter struct {
	d         dict
	entries   []byte
	sum, body []byte // scratch
	n         int
	last      []byte // the last entry's subject suffix
}

// addStanding appends st's entry: its summary and body.
func (w *blockWriter) addStanding(st *credo.Standing) {
	w.sum = appendSummary(w.sum[:0], st, &w.d)
	w.body = appendBody(w.body[:0], st, &w.d)
	w.add(st.Subject, w.sum, w.body)
}

// addChange appends the entry of st's history entry (no summary).
func (w *blockWriter) addChange(st *credo.Standing) {
	w.body = appendChange(w.body[:0], st, &w.d)
	w.add(st.Subject, nil, w.body)
}

func (w *blockWriter) add(ref credo.SubjectRef, sum, body []byte) {
	w.entries = append(w.entries, byte(ref.Kind))
	w.entries = putStr(w.entries, ref.ID)
	w.entries = binary.AppendUvarint(w.entries, uint64(len(sum)))
	w.entries = append(w.entries, sum...)
	w.entries = binary.AppendUvarint(w.entries, uint64(len(body)))
	w.entries = append(w.entries, body...)
	w.n++
	w.last = subjectSuffix(w.last[:0], ref)
}

// finish returns the block and makes w empty.
func (w *blockWriter) finish() []byte {
	size := 1 + 2*binary.MaxVarintLen32 + len(w.entries)
	for _, s := range w.d.strs {
		size += binary.MaxVarintLen32 + len(s)
	}
	out := make([]byte, 0, size)
	out = append(out, blockEncoding)
	out = binary.AppendUvarint(out, uint64(w.n))
	out = binary.AppendUvarint(out, uint64(len(w.d.strs)))
	for _, s := range w.d.strs {
		out = putStr(out, s)
	}
	out = append(out, w.entries...)
	w.entries, w.n = w.entries[:0], 0
	w.d.reset()
	return out
}

// blockReader reads a block's entries in order.
type blockReader struct {
	r    reader
	dict []string
	left int
	kind byte
	id   []byte // the entry's subject id, a view of the block
	idAt int    // where id starts in r.src
	sum  []byte // the entry's summary (standings' blocks)
	body []byte
}

// openBlock reads block v's strings. With src, v as a string, the strings
// and subject ids read are views of src.
func openBlock(v []byte, src string) (blockReader, error) {
	if len(v) == 0 || v[0] != blockEncoding {
		return blockReader{}, fmt.Errorf("corrupt standings block: encoding %x", v[:min(len(v), 1)])
	}
	br := blockReader{r: reader{b: v[1:], n0: len(v) - 1}}
	if src != "" {
		br.r.src = src[1:]
	}
	br.left = br.r.count("block entries", 4)
	br.dict = make([]string, br.r.count("block strings", 1))
	for i := range br.dict {
		br.dict[i] = br.r.text("block string")
	}
	return br, br.r.err
}

// next moves to the next entry.
func (br *blockReader) next() bool {
	if br.left == 0 || br.r.err != nil {
		return false
	}
	br.left--
	return br.nextShort() || br.nextLong()
}

// nextLong reads the next entry, whatever the lengths of its parts.
func (br *blockReader) nextLong() bool {
	br.kind = br.r.byte1("block subject")
	n := br.r.uvarint("block subject")
	if n == 0 || n > uint64(len(br.r.b)) {
		br.r.fail("block subject")
		return false
	}
	br.idAt = br.r.n0 - len(br.r.b)
	br.id, br.r.b = br.r.b[:n], br.r.b[n:]
	m := br.r.uvarint("block entry")
	if m > uint64(len(br.r.b)) {
		br.r.fail("block entry")
		return false
	}
	br.sum, br.r.b = br.r.b[:m], br.r.b[m:]
	m = br.r.uvarint("block entry")
	if m > uint64(len(br.r.b)) {
		br.r.fail("block entry")
		return false
	}
	br.body, br.r.b = br.r.b[:m], br.r.b[m:]
	return br.r.err == nil
}

// nextShort reads the next entry when its subject and summary lengths
// take a byte each and its body's one or two, as nearly all do, without
// the reader's checks for every field (a load reads tens of millions).
// It reports false, having read nothing, for any other entry.
func (br *blockReader) nextShort() bool {
	b := br.r.b
	if len(b) < 4 || b[1] == 0 || b[1] >= 0x80 {
		return false
	}
	id := 2 + int(b[1]) // the id's end, where the summary's length is
	if id+1 >= len(b) || b[id] >= 0x80 {
		return false
	}
	sum := id + 1 + int(b[id]) // the summary's end, where the body's length is
	if sum+2 >= len(b) {
		return false
	}
	m, body := int(b[sum]), sum+1
	if m >= 0x80 {
		if b[sum+1] >= 0x80 {
			return false
		}
		m, body = m&0x7f|int(b[sum+1])<<7, sum+2
	}
	if body+m > len(b) {
		return false
	}
	br.kind, br.idAt = b[0], br.r.n0-len(b)+2
	br.id, br.sum, br.body = b[2:id], b[id+1:sum], b[body:body+m]
	br.r.b = b[body+m:]
	return true
}

// compare orders the entry's subject against the subject suffix (kind id).
func (br *blockReader) compare(suffix []byte) int {
	if len(suffix) == 0 {
		return 1
	}
	if c := cmp.Compare(br.kind, suffix[0]); c != 0 {
		return c
	}
	return bytes.Compare(br.id, suffix[1:])
}

func (br *blockReader) ref() credo.SubjectRef {
	var id string
	if br.r.src != "" {
		id = br.r.src[br.idAt : br.idAt+len(br.id)]
	} else {
		id = string(br.id)
	}
	return credo.SubjectRef{Kind: credo.SubjectKind(br.kind), ID: id}
}

// decode decodes the entry's standing into st (but its subject and
// jurisdiction).
func (br *blockReader) decode(st *credo.Standing) error {
	r := reader{b: br.body, dict: br.dict}
	readBody(&r, st)
	if r.err != nil {
		return r.err
	}
	if len(r.b) > 0 {
		return fmt.Errorf("corrupt standing: %d bytes left over", len(r.b))
	}
	return nil
}

// ReplaceStandings replaces every stored standing under jurisdiction by
// sts, which must be sorted by subject (kind, then id), each under
// jurisdiction and at most one per subject: what a full recompute stores.
// A subject with no standing in sts has none after. The history gains an
// entry for each standing whose policy version, score, grade or lists
// differ from the one it replaces, as PutStandings would add.
//
// The standings are written in blocks (their history too, one block of
// changes for each), as sorted tables that carry the deletion of the
// jurisdiction's old ones and are ingested into the engine whole, in one
// step.
func (s *Store) ReplaceStandings(ctx context.Context, jurisdiction string, sts []*credo.Standing) error {
	return s.ReplaceStandingsFunc(ctx, jurisdiction, len(sts), func(i int, st *credo.Standing) { *st = *sts[i] })
}

// ReplaceStandingsFunc is ReplaceStandings of n standings that at makes
// on demand, standing i into *st (at is called from several goroutines at
// once, each with its own st, and more than once for an i): a million
// standings need not all be held as credo.Standing values, which the
// garbage collector would have to scan. The blocks are encoded on every
// core, each goroutine reading the old standings of its share beside.
func (s *Store) ReplaceStandingsFunc(ctx context.Context, jurisdiction string, n int, at func(i int, st *credo.Standing)) error {
	if err := validJurisdiction(jurisdiction); err != nil {
		return err
	}
	type block struct {
		f, h         []byte
		fLast, hLast []byte
		due          blockDues
	}
	blocks := make([]block, (n+standingBlock-1)/standingBlock)
	// the blocks a goroutine takes at once, each share with a cursor over
	// its old standings: a few shares a goroutine
	workers := max(1, runtime.GOMAXPROCS(0))
	claim := int64(max(1, len(blocks)/(8*workers)))
	var (
		next   atomic.Int64
		mu     sync.Mutex
		first  error
		failed atomic.Bool
		wg     sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		failed.Store(true)
	}
	for range workers {
		wg.Go(func() {
			var (
				st       credo.Standing
				fw, hw   blockWriter
				suf, prv []byte
			)
			for !failed.Load() {
				b0 := int(next.Add(claim) - claim)
				if b0 >= len(blocks) {
					return
				}
				b1 := min(b0+int(claim), len(blocks))
				lo, hi := b0*standingBlock, min(b1*standingBlock, n)
				// the old standings of the share: after the subject before
				// it, through its last
				var after []byte
				prv = prv[:0]
				if lo > 0 {
					st = credo.Standing{}
					at(lo-1, &st)
					after = subjectSuffix(nil, st.Subject)
					prv = append(prv, after...)
				}
				st = credo.Standing{}
				at(hi-1, &st)
				// a standing under another version than its old one is a
				// change: only the old blocks that name the version are read
				// (a standing of the share under another version than its
				// last is looked up alone)
				version := st.PolicyVersion
				old, err := s.newCursor(ctx, jurisdiction, after, subjectSuffix(nil, st.Subject), func(dict []string) bool { return slices.Contains(dict, version) })
				if err != nil {
					fail(err)
					return
				}
				old.lazy = true
				l := &lookup{s: s}
				oldOK := old.next()
				for b := b0; b < b1; b++ {
					blk := &blocks[b]
					for i := b * standingBlock; i < min((b+1)*standingBlock, n); i++ {
						st = credo.Standing{}
						at(i, &st)
						if st.Jurisdiction != jurisdiction || validStanding(&st) != nil {
							err = fmt.Errorf("standing of %s under %s: %w: want a resolved subject under %s", st.Subject, st.Jurisdiction, credo.ErrInvalid, jurisdiction)
							break
						}
						suf = subjectSuffix(suf[:0], st.Subject)
						if len(prv) > 0 && bytes.Compare(prv, suf) >= 0 {
							err = fmt.Errorf("standings under %s: %w: not sorted by subject at %s", jurisdiction, credo.ErrInvalid, st.Subject)
							break
						}
						prv = append(prv[:0], suf...)
						for oldOK && bytes.Compare(old.suf, suf) < 0 {
							oldOK = old.next()
						}
						fw.addStanding(&st)
						var changed bool
						switch {
						case st.PolicyVersion != version:
							found, lerr := l.current(jurisdiction, st.Subject)
							if err = lerr; err != nil {
								break
							}
							changed = !found || changedStanding(&l.st, &st)
						case !oldOK || !bytes.Equal(old.suf, suf):
							changed = true
						default:
							if err = old.load(); err != nil {
								break
							}
							changed = changedStanding(&old.st, &st)
						}
						if err != nil {
							break
						}
						if changed {
							hw.addChange(&st)
						}
						if t := st.NextChange; !t.IsZero() {
							d := &blk.due
							d.dues = append(d.dues, dueEntry{t.UnixNano(), int32(len(d.suf)), int32(len(d.suf) + len(suf))})
							d.suf = append(d.suf, suf...)
						}
					}
					if err != nil {
						break
					}
					// in subject order already: by time, the earlier subject first
					slices.SortFunc(blk.due.dues, func(x, y dueEntry) int {
						if x.at != y.at {
							return cmp.Compare(x.at, y.at)
						}
						return cmp.Compare(x.from, y.from)
					})
					blk.fLast = slices.Clone(fw.last)
					blk.f = fw.finish()
					if hw.n > 0 {
						blk.hLast = slices.Clone(hw.last)
						blk.h = hw.finish()
					}
				}
				if err == nil {
					err = old.err
				}
				old.close()
				l.close()
				if err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	dir := filepath.Join(s.dir, ingestDirName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	gen := uint64(time.Now().UnixNano()) // history blocks are kept, a generation each
	tables := []standingTable{
		{tag: tagBlock, del: true, rows: func(add func(k, v []byte) error) error {
			var key []byte
			for _, b := range blocks {
				key = append(jPrefix(key[:0], tagBlock, jurisdiction), b.fLast...)
				if err := add(key, b.f); err != nil {
					return err
				}
			}
			return nil
		}},
		{tag: tagBlockDir, del: true, rows: func(add func(k, v []byte) error) error {
			var dir []byte
			for _, b := range blocks {
				dir = putStr(dir, string(b.fLast))
			}
			return add(jPrefix(nil, tagBlockDir, jurisdiction), dir)
		}},
		{tag: tagHistBlock, rows: func(add func(k, v []byte) error) error {
			var key []byte
			for _, b := range blocks {
				if b.h != nil {
					key = binary.BigEndian.AppendUint64(jPrefix(key[:0], tagHistBlock, jurisdiction), gen)
					if err := add(append(key, b.hLast...), b.h); err != nil {
						return err
					}
				}
			}
			return nil
		}},
	}
	dues := make([]*blockDues, len(blocks))
	for i := range blocks {
		dues[i] = &blocks[i].due
	}
	tables = append(tables, dueTables(jurisdiction, dues)...)
	// the standings' new version, ingested with them
	tables = append(tables, standingTable{tag: tagVersion, rows: func(add func(k, v []byte) error) error {
		return add(standingsVersionKey, newStandingsVersion())
	}})
	// the standings stored alone, and the index entries of directories
	// written before blocks, are deleted when there are any
	for _, tag := range []byte{tagStanding, tagByGrade, tagByList} {
		any, err := s.anyUnder(jPrefix(nil, tag, jurisdiction))
		if err != nil {
			return err
		}
		if any {
			tables = append(tables, standingTable{tag: tag, del: true, rows: func(func(k, v []byte) error) error { return nil }})
		}
	}
	paths := make([]string, len(tables))
	errs := make([]error, len(tables))
	var twg sync.WaitGroup
	for i, tb := range tables {
		paths[i] = filepath.Join(dir, fmt.Sprintf("standings-%d-%c-%d.sst", time.Now().UnixNano(), tb.tag, i))
		twg.Go(func() {
			lo, hi := tb.lo, tb.hi
			if tb.del {
				lo = jPrefix(nil, tb.tag, jurisdiction)
				hi = prefixEnd(lo)
			}
			errs[i] = s.writeStandingTable(paths[i], lo, hi, tb.rows)
		})
	}
	twg.Wait()
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

// standingTable is one of the sorted tables a full recompute ingests:
// its rows, after the deletion of the jurisdiction's old entries of its
// tag (del) or of those in [lo, hi) (lo given).
type standingTable struct {
	tag    byte
	del    bool
	lo, hi []byte
	rows   func(add func(k, v []byte) error) error
}

// dueEntry is a standing of a block due by time: when, and where its
// subject is in the block's blockDues.suf.
type dueEntry struct {
	at       int64
	from, to int32
}

// blockDues are a block's standings due by time, by (time, subject), and
// their subjects (kind id) one after the other.
type blockDues struct {
	dues []dueEntry
	suf  []byte
}

// dueTables are the tables of a full recompute's due entries (X), one a
// core, each a range of times with the deletion of the old entries in it:
// the blocks' sorted entries merged, of two at one time the one of the
// earlier block (blocks are in subject order) first.
func dueTables(jurisdiction string, blocks []*blockDues) []standingTable {
	// the ranges' bounds: quantiles of the blocks' middle times
	var mids []int64
	for _, b := range blocks {
		if len(b.dues) > 0 {
			mids = append(mids, b.dues[len(b.dues)/2].at)
		}
	}
	slices.Sort(mids)
	P := max(1, runtime.GOMAXPROCS(0))
	bounds := []int64{math.MinInt64}
	for i := 1; i < P && len(mids) > 0; i++ {
		if m := mids[i*len(mids)/P]; m > bounds[len(bounds)-1] {
			bounds = append(bounds, m)
		}
	}
	prefix := jPrefix(nil, tagDue, jurisdiction)
	var out []standingTable
	for r := range bounds {
		from, to := bounds[r], int64(math.MaxInt64)
		lo, hi := prefix, prefixEnd(prefix)
		if r > 0 {
			lo = binary.BigEndian.AppendUint64(slices.Clip(prefix), uint64(from)^(1<<63))
		}
		if r+1 < len(bounds) {
			to = bounds[r+1]
			hi = binary.BigEndian.AppendUint64(slices.Clip(prefix), uint64(to)^(1<<63))
		}
		out = append(out, standingTable{tag: tagDue, lo: lo, hi: hi, rows: func(add func(k, v []byte) error) error {
			return mergeDues(blocks, prefix, from, to, add)
		}})
	}
	return out
}

// mergeDues adds the due entries of blocks at times in [from, to), by
// (time, subject).
func mergeDues(blocks []*blockDues, prefix []byte, from, to int64, add func(k, v []byte) error) error {
	pos, end := make([]int, len(blocks)), make([]int, len(blocks))
	var h []int32 // a heap of the blocks with entries left
	for b, d := range blocks {
		pos[b] = sort.Search(len(d.dues), func(i int) bool { return d.dues[i].at >= from })
		end[b] = sort.Search(len(d.dues), func(i int) bool { return d.dues[i].at >= to })
		if pos[b] < end[b] {
			h = append(h, int32(b))
		}
	}
	less := func(a, b int32) bool {
		x, y := blocks[a].dues[pos[a]].at, blocks[b].dues[pos[b]].at
		return x < y || (x == y && a < b)
	}
	down := func(i int) {
		for {
			c := 2*i + 1
			if c >= len(h) {
				return
			}
			if c+1 < len(h) && less(h[c+1], h[c]) {
				c++
			}
			if !less(h[c], h[i]) {
				return
			}
			h[i], h[c] = h[c], h[i]
			i = c
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(i)
	}
	key := slices.Clip(prefix)
	n := len(key)
	for len(h) > 0 {
		b := h[0]
		d := blocks[b].dues[pos[b]]
		key = binary.BigEndian.AppendUint64(key[:n], uint64(d.at)^(1<<63))
		if err := add(append(key, blocks[b].suf[d.from:d.to]...), nil); err != nil {
			return err
		}
		if pos[b]++; pos[b] == end[b] {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		down(0)
	}
	return nil
}

// anyUnder reports whether any key starts with prefix.
func (s *Store) anyUnder(prefix []byte) (bool, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return false, err
	}
	ok := it.First()
	if err := it.Close(); err != nil {
		return false, err
	}
	return ok, nil
}

// writeStandingTable writes one sorted table at path: the deletion of
// [lo, hi) first (when lo is given), then the rows.
func (s *Store) writeStandingTable(path string, lo, hi []byte, rows func(add func(k, v []byte) error) error) error {
	wo := s.popts.MakeWriterOptions(0, s.db.TableFormat())
	wo.Compression = sstable.NoCompression  // written once, soon compacted: not worth the CPU now
	wo.BlockSize = 32 << 10                 // fewer blocks and index entries to build
	wo.FilterPolicy = pebble.NoFilterPolicy // blocks are found by seeking, not by their exact keys
	return writeSSTable(path, wo, func(w *sstable.Writer) error {
		if lo != nil {
			if err := w.DeleteRange(lo, hi); err != nil {
				return err
			}
		}
		return rows(func(k, v []byte) error { return w.Set(k, v) })
	})
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
