package pebble

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"math"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

// The scoring projection: the ledger as a full recompute reads it, a few
// bytes a record in sequential blocks, kept beside the ledger and extended
// from its watermark (ExtendProjection) by the scoring step of `credo
// score` and `credo ingest`, so that publishing a policy version reads
// only it:
//
//	J 'm'                      → projected through seq (8) ‖ next subject number (4) ‖ last block's first seq (8) ‖ format (1)
//	J 'k' number (2)           → a record kind
//	J 'a' number (2)           → an attribute name
//	J 't' number (4)           → a tuple (below), numbered from 1
//	J 's' kind id              → the subject's number (4): dense, from 1
//	J 'b' first seq (8)        → a block: count (4), then count records
//
// A block holds its records by column, so that a recompute reads a record
// with three loads and no decoding (the sequence number of a record is the
// block's first plus its position; a gap in the ledger starts a new block):
//
//	count × subject number (4, little-endian; 0: no resolved subject)
//	count × tuple number (4; 0: the record's tuple is inline, below)
//	count × occurred_at (8, Unix nanoseconds)
//	the inline tuples, each uvarint length and bytes, in record order
//
// The first projTuples distinct tuples are numbered, so that what a policy
// makes of each is looked up by number; the rest (records with attributes
// that are seldom equal) are carried inline.
//
// A tuple is what a rule can read of a record: uvarint kind number, byte
// polarity+1 | special<<4, uvarint attribute count, each uvarint name
// number, byte value kind, value.
//
// The format byte is projFormat; a projection of an older format (one
// without it, whose records carried every tuple inline) is built again
// from the ledger by the next extension.

// A record is special when it corrects or retracts another or
// is credo's own (a resolution): its subject is then scored from its full
// records. The tuple of two records is equal exactly when what a
// record-level rule can see of them is (kind, polarity, attributes), so
// what a policy version makes of a record can be kept per distinct tuple.
const (
	tagProjection = 'J'

	projMeta    = 'm'
	projKind    = 'k'
	projAttr    = 'a'
	projSubject = 's'
	projBlockK  = 'b'

	// ProjectionBlock is the most records a block holds.
	ProjectionBlock = 4096
	// projTail is the largest last block an extension rewrites to add to
	// it; past it, it starts a new block, so that a run that adds a
	// record or two does not rewrite a full block each time.
	projTail = 16 << 10
	// projTuples is how many distinct tuples are numbered: the
	// dictionary an extension reads stays small.
	projTuples = 1 << 16
	projTuple  = 't'
	projFormat = 2
)

// ProjSpecial is the flag bit, in a tuple's polarity byte, of a special
// record (see Projection).
const ProjSpecial = 1 << 4

func projKey(sub byte, rest ...byte) []byte {
	return append([]byte{tagProjection, sub}, rest...)
}

// ProjectionStats reports an extension of the projection.
type ProjectionStats struct {
	Records  int64         `json:"records"`  // records added
	Subjects int64         `json:"subjects"` // subjects numbered
	Through  uint64        `json:"through"`  // the projection covers the ledger through this seq
	Took     time.Duration `json:"took_ns"`
}

// projWriter holds the dictionaries while an extension runs.
type projWriter struct {
	s        *Store
	kinds    map[string]uint16
	attrs    map[string]uint16
	subjects map[credo.SubjectRef]uint32
	tuples   map[string]uint32
	nextSubj uint32
	b        *pebble.Batch
	stats    ProjectionStats
}

// projMetaRead reads the projection's meta; format is 0 when there is no
// projection.
func (s *Store) projMetaRead() (through uint64, nextSubj uint32, lastBlock uint64, format byte, err error) {
	v, closer, err := s.db.Get(projKey(projMeta))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, 1, 0, 0, nil
	}
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("scoring projection: %w", err)
	}
	defer closer.Close()
	switch len(v) {
	case 20:
		format = 1
	case 21:
		format = v[20]
	default:
		return 0, 0, 0, 0, fmt.Errorf("scoring projection: corrupt meta %x", v)
	}
	return binary.BigEndian.Uint64(v), binary.BigEndian.Uint32(v[8:]), binary.BigEndian.Uint64(v[12:]), format, nil
}

// projDict reads the kind or attribute dictionary, by number.
func (s *Store) projDict(ctx context.Context, sub byte) ([]string, error) {
	var out []string
	prefix := projKey(sub)
	err := s.scanProj(ctx, prefix, func(k, v []byte) error {
		if len(k) != 4 {
			return fmt.Errorf("scoring projection: corrupt dictionary key %x", k)
		}
		n := int(binary.BigEndian.Uint16(k[2:]))
		for len(out) <= n {
			out = append(out, "")
		}
		out[n] = string(v)
		return nil
	})
	return out, err
}

func (s *Store) scanProj(ctx context.Context, prefix []byte, fn func(k, v []byte) error) error {
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		if err := fn(it.Key(), v); err != nil {
			return err
		}
	}
	return it.Error()
}

// ExtendProjection brings the scoring projection up to the end of the
// ledger: it reads the records after its watermark (ScanScoring), numbers
// their subjects, kinds and attribute names, and appends them to the
// blocks, the last partial block rewritten. The first call on a store
// builds it whole. Calls on one Store take turns.
func (s *Store) ExtendProjection(ctx context.Context) (ProjectionStats, error) {
	s.projectionMu.Lock()
	defer s.projectionMu.Unlock()
	start := time.Now()
	through, nextSubj, lastBlock, format, err := s.projMetaRead()
	if err != nil {
		return ProjectionStats{}, err
	}
	if format != 0 && format != projFormat {
		// an older format: built again
		if err := s.db.DeleteRange([]byte{tagProjection}, []byte{tagProjection + 1}, pebble.NoSync); err != nil {
			return ProjectionStats{}, fmt.Errorf("scoring projection of format %d: %w", format, err)
		}
		through, nextSubj, lastBlock = 0, 1, 0
	}
	w := &projWriter{s: s, kinds: map[string]uint16{}, attrs: map[string]uint16{}, subjects: map[credo.SubjectRef]uint32{}, tuples: map[string]uint32{}, nextSubj: nextSubj}
	w.stats.Through = through
	head, err := s.Head(ctx)
	if err != nil {
		return w.stats, err
	}
	if head.Seq <= through {
		w.stats.Took = time.Since(start)
		return w.stats, nil
	}
	for i, d := range []map[string]uint16{w.kinds, w.attrs} {
		names, err := s.projDict(ctx, [2]byte{projKind, projAttr}[i])
		if err != nil {
			return w.stats, err
		}
		for n, name := range names {
			d[name] = uint16(n)
		}
	}
	tuples, err := s.projTuples(ctx)
	if err != nil {
		return w.stats, err
	}
	for n, t := range tuples[1:] {
		w.tuples[string(t)] = uint32(n + 1)
	}
	// the last block, when not full, is extended
	var (
		blk      projCols
		blkFirst uint64
	)
	if through > 0 {
		// read by key: a reverse scan would wade through every version
		// of a block rewritten since the last flush
		v, closer, err := s.db.Get(projKey(projBlockK, binary.BigEndian.AppendUint64(nil, lastBlock)...))
		switch {
		case err == nil:
			if len(v) >= 4 {
				n := binary.BigEndian.Uint32(v)
				if n < ProjectionBlock && len(v) < projTail && lastBlock+uint64(n) == through+1 {
					pb := ProjBlock{First: lastBlock, Count: int(n), Data: v[4:]}
					if blk, err = pb.cols(); err != nil {
						closer.Close()
						return w.stats, err
					}
					blkFirst = lastBlock
				}
			}
			closer.Close()
		case !errors.Is(err, pebble.ErrNotFound):
			return w.stats, fmt.Errorf("scoring projection: %w", err)
		}
	}
	w.b = s.db.NewBatch()
	defer func() { w.b.Close() }()
	flush := func(commit bool) error {
		if len(blk.subs) > 0 {
			if err := w.b.Set(projKey(projBlockK, binary.BigEndian.AppendUint64(nil, blkFirst)...), blk.encode(), nil); err != nil {
				return err
			}
		}
		if !commit {
			return nil
		}
		meta := binary.BigEndian.AppendUint64(nil, w.stats.Through)
		meta = binary.BigEndian.AppendUint32(meta, w.nextSubj)
		meta = binary.BigEndian.AppendUint64(meta, blkFirst)
		meta = append(meta, projFormat)
		if err := w.b.Set(projKey(projMeta), meta, nil); err != nil {
			return err
		}
		if err := w.b.Commit(pebble.NoSync); err != nil {
			return fmt.Errorf("scoring projection in %s: %w", s.dir, err)
		}
		w.b.Close()
		w.b = s.db.NewBatch()
		return nil
	}
	var sincecommit int
	for r, err := range s.ScanScoring(ctx, through+1) {
		if err != nil {
			return w.stats, fmt.Errorf("scoring projection: %w", err)
		}
		count := len(blk.subs)
		if count == ProjectionBlock || (count > 0 && r.Seq != blkFirst+uint64(count)) {
			if err := flush(false); err != nil {
				return w.stats, err
			}
			blk.reset()
			count = 0
		}
		if count == 0 {
			blkFirst = r.Seq
		}
		if err = w.appendRecord(&blk, r); err != nil {
			return w.stats, err
		}
		w.stats.Records++
		w.stats.Through = r.Seq
		if sincecommit++; sincecommit >= 1<<20 {
			if err := flush(true); err != nil {
				return w.stats, err
			}
			sincecommit = 0
		}
	}
	if err := flush(true); err != nil {
		return w.stats, err
	}
	w.stats.Took = time.Since(start)
	return w.stats, nil
}

func (w *projWriter) subject(ref credo.SubjectRef) (uint32, error) {
	if !ref.Resolved() {
		return 0, nil
	}
	if n, ok := w.subjects[ref]; ok {
		return n, nil
	}
	key := projKey(projSubject, byte(ref.Kind))
	key = append(key, ref.ID...)
	v, closer, err := w.s.db.Get(key)
	var n uint32
	switch {
	case err == nil:
		if len(v) == 4 {
			n = binary.BigEndian.Uint32(v)
		}
		closer.Close()
		if n == 0 {
			return 0, fmt.Errorf("scoring projection: corrupt subject number of %s", ref)
		}
	case errors.Is(err, pebble.ErrNotFound):
		n = w.nextSubj
		w.nextSubj++
		w.stats.Subjects++
		if err := w.b.Set(key, binary.BigEndian.AppendUint32(nil, n), nil); err != nil {
			return 0, err
		}
	default:
		return 0, err
	}
	w.subjects[ref] = n
	return n, nil
}

func (w *projWriter) number(d map[string]uint16, sub byte, name string) (uint16, error) {
	if n, ok := d[name]; ok {
		return n, nil
	}
	if len(d) >= math.MaxUint16 {
		return 0, fmt.Errorf("scoring projection: more than %d distinct names", math.MaxUint16)
	}
	n := uint16(len(d))
	d[name] = n
	return n, w.b.Set(projKey(sub, byte(n>>8), byte(n)), []byte(name), nil)
}

// projCols is a block being written, by column (see Projection).
type projCols struct {
	subs, tups []uint32
	ats        []int64
	inline     []byte
}

func (c *projCols) reset() {
	c.subs, c.tups, c.ats, c.inline = c.subs[:0], c.tups[:0], c.ats[:0], c.inline[:0]
}

// encode is the block's value: count (4, big-endian), then the columns.
func (c *projCols) encode() []byte {
	n := len(c.subs)
	b := make([]byte, 0, 4+16*n+len(c.inline))
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	for _, v := range c.subs {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	for _, v := range c.tups {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	for _, v := range c.ats {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	return append(b, c.inline...)
}

// cols reads a block back into columns (to extend it).
func (b *ProjBlock) cols() (projCols, error) {
	subs, tups, ats, inline, err := b.Columns()
	if err != nil {
		return projCols{}, err
	}
	var c projCols
	for k := range b.Count {
		c.subs = append(c.subs, binary.LittleEndian.Uint32(subs[4*k:]))
		c.tups = append(c.tups, binary.LittleEndian.Uint32(tups[4*k:]))
		c.ats = append(c.ats, int64(binary.LittleEndian.Uint64(ats[8*k:])))
	}
	c.inline = append(c.inline, inline...)
	return c, nil
}

func (w *projWriter) appendRecord(c *projCols, r *credo.Record) error {
	subj, err := w.subject(r.Subject)
	if err != nil {
		return err
	}
	kind, err := w.number(w.kinds, projKind, r.Kind)
	if err != nil {
		return err
	}
	c.subs = append(c.subs, subj)
	c.ats = append(c.ats, r.OccurredAt.UnixNano())
	var tup [256]byte
	t := binary.AppendUvarint(tup[:0], uint64(kind))
	flags := byte(int8(r.Polarity) + 1)
	if r.Corrects != "" || r.Retracts != "" || r.Source == credo.ResolutionSource {
		flags |= ProjSpecial
	}
	t = append(t, flags)
	t = binary.AppendUvarint(t, uint64(len(r.Attributes)))
	for _, a := range r.Attributes {
		n, err := w.number(w.attrs, projAttr, a.Key)
		if err != nil {
			return err
		}
		t = binary.AppendUvarint(t, uint64(n))
		v := a.Value
		t = append(t, byte(v.Kind()))
		switch v.Kind() {
		case credo.KindString:
			t = binary.AppendUvarint(t, uint64(len(v.Str())))
			t = append(t, v.Str()...)
		case credo.KindNumber:
			t = binary.LittleEndian.AppendUint64(t, math.Float64bits(v.Float()))
		case credo.KindInt:
			t = binary.AppendVarint(t, v.Int())
		case credo.KindTime:
			t = binary.AppendVarint(t, v.Time().UnixNano())
		case credo.KindBool:
			if v.Bool() {
				t = append(t, 1)
			} else {
				t = append(t, 0)
			}
		}
	}
	n, ok := w.tuples[string(t)]
	if !ok && len(w.tuples) < projTuples {
		n = uint32(len(w.tuples) + 1)
		w.tuples[string(t)] = n
		if err := w.b.Set(projKey(projTuple, binary.BigEndian.AppendUint32(nil, n)...), t, nil); err != nil {
			return err
		}
	}
	c.tups = append(c.tups, n)
	if n == 0 {
		c.inline = binary.AppendUvarint(c.inline, uint64(len(t)))
		c.inline = append(c.inline, t...)
	}
	return nil
}

// projTuples reads the numbered tuples, by number (0: none).
func (s *Store) projTuples(ctx context.Context) ([][]byte, error) {
	out := [][]byte{nil}
	err := s.scanProj(ctx, projKey(projTuple), func(k, v []byte) error {
		if len(k) != 6 || binary.BigEndian.Uint32(k[2:]) != uint32(len(out)) {
			return fmt.Errorf("scoring projection: corrupt tuple key %x", k)
		}
		out = append(out, append([]byte(nil), v...))
		return nil
	})
	return out, err
}

// Projection is the scoring projection as a full recompute reads it (see
// ReadProjection).
type Projection struct {
	Through uint64
	Kinds   []string // by number
	Attrs   []string // by number
	// Subjects and Numbers are every numbered subject, in the order of
	// their keys (kind, then id: the order of stored standings), and
	// their numbers.
	Subjects []credo.SubjectRef
	Numbers  []uint32
	MaxNum   uint32   // the highest subject number
	Tuples   [][]byte // the numbered tuples, by number (0: none)
	Blocks   []ProjBlock
}

// ProjBlock is one block of the projection.
type ProjBlock struct {
	First uint64
	Count int
	Data  []byte // the records
}

// ReadProjection reads the whole scoring projection into memory: its
// dictionaries (ReadProjectionMeta), subjects (ProjectionSubjects) and
// blocks.
func (s *Store) ReadProjection(ctx context.Context) (*Projection, error) {
	pj, err := s.ReadProjectionMeta(ctx)
	if err != nil {
		return nil, err
	}
	// the subjects and the blocks are read side by side
	blocksDone := make(chan error, 1)
	go func() {
		blocksDone <- s.ProjectionBlocks(ctx, 0, math.MaxUint64, func(b ProjBlock) error {
			b.Data = append([]byte(nil), b.Data...)
			pj.Blocks = append(pj.Blocks, b)
			return nil
		})
	}()
	err = s.ProjectionSubjects(ctx, pj)
	if berr := <-blocksDone; err == nil {
		err = berr
	}
	if err != nil {
		return nil, err
	}
	return pj, nil
}

// ReadProjectionMeta reads what the projection's records refer to: its
// watermark, the highest subject number, and the dictionaries of kinds,
// attribute names and tuples; not the subjects or the blocks.
func (s *Store) ReadProjectionMeta(ctx context.Context) (*Projection, error) {
	through, next, _, format, err := s.projMetaRead()
	if err != nil {
		return nil, err
	}
	if format != 0 && format != projFormat {
		return nil, fmt.Errorf("scoring projection: format %d, want %d: extend it first", format, projFormat)
	}
	pj := &Projection{Through: through, MaxNum: next - 1}
	if pj.Tuples, err = s.projTuples(ctx); err != nil {
		return nil, err
	}
	if pj.Kinds, err = s.projDict(ctx, projKind); err != nil {
		return nil, err
	}
	if pj.Attrs, err = s.projDict(ctx, projAttr); err != nil {
		return nil, err
	}
	return pj, nil
}

// ProjectionSubjects reads the numbered subjects into pj.Subjects and
// pj.Numbers.
func (s *Store) ProjectionSubjects(ctx context.Context, pj *Projection) error {
	pj.Subjects = make([]credo.SubjectRef, 0, pj.MaxNum)
	pj.Numbers = make([]uint32, 0, pj.MaxNum)
	// the ids in one allocation, cut after
	var arena []byte
	var ends []int
	err := s.scanProj(ctx, projKey(projSubject), func(k, v []byte) error {
		if len(k) < 4 || len(v) != 4 {
			return fmt.Errorf("scoring projection: corrupt subject entry %x", k)
		}
		arena = append(arena, k[3:]...)
		ends = append(ends, len(arena))
		pj.Subjects = append(pj.Subjects, credo.SubjectRef{Kind: credo.SubjectKind(k[2])})
		pj.Numbers = append(pj.Numbers, binary.BigEndian.Uint32(v))
		return nil
	})
	ids, from := string(arena), 0
	for i, end := range ends {
		pj.Subjects[i].ID = ids[from:end]
		from = end
	}
	return err
}

// ProjectionBlocks calls fn with each block of the projection whose first
// sequence number is in [lo, hi), in order; the block's data is valid
// during the call only (a view of the engine's). Goroutines reading
// disjoint ranges read the projection on several cores, copying nothing.
func (s *Store) ProjectionBlocks(ctx context.Context, lo, hi uint64, fn func(ProjBlock) error) error {
	upper := projKey(projBlockK, binary.BigEndian.AppendUint64(nil, hi)...)
	if hi == math.MaxUint64 {
		upper = prefixEnd(projKey(projBlockK))
	}
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: projKey(projBlockK, binary.BigEndian.AppendUint64(nil, lo)...), UpperBound: upper})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		if len(k) != 10 || len(v) < 4 {
			return fmt.Errorf("scoring projection: corrupt block %x", k)
		}
		if err := fn(ProjBlock{First: binary.BigEndian.Uint64(k[2:]), Count: int(binary.BigEndian.Uint32(v)), Data: v[4:]}); err != nil {
			return err
		}
	}
	return it.Error()
}

// ProjRecord is one record of a block (see ProjBlock.Records).
type ProjRecord struct {
	Subject  uint32
	At       int64  // occurred_at, Unix nanoseconds
	TupleNum uint32 // its tuple's number in Projection.Tuples; 0: inline
	Tuple    []byte // kind, flags, attributes (see Projection), when inline
}

// Tuple is r's tuple: inline, or the numbered one.
func (pj *Projection) Tuple(r *ProjRecord) ([]byte, error) {
	if r.TupleNum == 0 {
		return r.Tuple, nil
	}
	if int(r.TupleNum) >= len(pj.Tuples) {
		return nil, errCorruptProj
	}
	return pj.Tuples[r.TupleNum], nil
}

// SpecialTuple reports whether a record of tuple t must be read in full
// (see Projection).
func SpecialTuple(t []byte) bool { return len(t) > 1 && tupleFlags(t)&ProjSpecial != 0 }

func tupleFlags(t []byte) byte {
	_, n := binary.Uvarint(t)
	if n <= 0 || n >= len(t) {
		return 0
	}
	return t[n]
}

// Columns views the block's records by column: record k's subject number
// is little-endian uint32 at subs[4k:], its tuple number at tups[4k:] (0:
// the next of the inline tuples, NextInline), its occurrence (Unix
// nanoseconds) int64 at ats[8k:].
func (b *ProjBlock) Columns() (subs, tups, ats, inline []byte, err error) {
	n := b.Count
	if n < 0 || len(b.Data) < 16*n {
		return nil, nil, nil, nil, errCorruptProj
	}
	return b.Data[:4*n], b.Data[4*n : 8*n], b.Data[8*n : 16*n], b.Data[16*n:], nil
}

// NextInline reads the inline tuple at the front of inline.
func NextInline(inline []byte) (tuple, rest []byte, err error) {
	tl, n := binary.Uvarint(inline)
	if n <= 0 || tl > uint64(len(inline)-n) {
		return nil, nil, errCorruptProj
	}
	return inline[n : n+int(tl)], inline[n+int(tl):], nil
}

// Records yields the block's records in order.
func (b *ProjBlock) Records() iter.Seq2[ProjRecord, error] {
	return func(yield func(ProjRecord, error) bool) {
		subs, tups, ats, inline, err := b.Columns()
		if err != nil {
			yield(ProjRecord{}, err)
			return
		}
		for k := range b.Count {
			r := ProjRecord{Subject: binary.LittleEndian.Uint32(subs[4*k:]), TupleNum: binary.LittleEndian.Uint32(tups[4*k:]), At: int64(binary.LittleEndian.Uint64(ats[8*k:]))}
			if r.TupleNum == 0 {
				if r.Tuple, inline, err = NextInline(inline); err != nil {
					yield(ProjRecord{}, err)
					return
				}
			}
			if !yield(r, nil) {
				return
			}
		}
		if len(inline) > 0 {
			yield(ProjRecord{}, errCorruptProj)
		}
	}
}

var errCorruptProj = errors.New("scoring projection: corrupt block")

// Record rebuilds what a rule can read of a record from its tuple: kind,
// polarity and attributes (no subject, id or time).
func (pj *Projection) Record(tuple []byte) (*credo.Record, error) {
	d := &reader{b: tuple}
	kind := int(d.uvarint("kind"))
	flags := d.byte1("flags")
	n := d.count("attributes", 2)
	if d.err != nil || kind >= len(pj.Kinds) {
		return nil, errCorruptProj
	}
	r := &credo.Record{Kind: pj.Kinds[kind], Polarity: credo.Polarity(int8(flags&0x0f) - 1)}
	if n > 0 {
		r.Attributes = make(credo.Attributes, 0, n)
	}
	for range n {
		a := int(d.uvarint("attribute"))
		if a >= len(pj.Attrs) {
			return nil, errCorruptProj
		}
		var v credo.Value
		switch credo.ValueKind(d.byte1("value kind")) {
		case credo.KindString:
			v = credo.String(d.str("value"))
		case credo.KindNumber:
			if len(d.b) < 8 {
				return nil, errCorruptProj
			}
			v = credo.Number(math.Float64frombits(binary.LittleEndian.Uint64(d.b)))
			d.b = d.b[8:]
		case credo.KindInt:
			x, m := binary.Varint(d.b)
			if m <= 0 {
				return nil, errCorruptProj
			}
			d.b = d.b[m:]
			v = credo.Int(x)
		case credo.KindTime:
			x, m := binary.Varint(d.b)
			if m <= 0 {
				return nil, errCorruptProj
			}
			d.b = d.b[m:]
			v = credo.Time(time.Unix(0, x))
		case credo.KindBool:
			v = credo.Bool(d.byte1("value") == 1)
		case credo.KindNull:
		default:
			return nil, errCorruptProj
		}
		r.Attributes = append(r.Attributes, credo.Attribute{Key: pj.Attrs[a], Value: v})
	}
	if d.err != nil {
		return nil, d.err
	}
	return r, nil
}
