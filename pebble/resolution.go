package pebble

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

// Resolutions: which subject a record belongs to beyond the identifier it
// carries. Each resolution is a record of source credo in the chain; the
// state it leaves is kept in four tables written in the same batch:
//
//	Y seq                           → gen ‖ state ‖ [kind ‖ id]   (a record's assignment)
//	y kind id 0x00 occurred seq     → ∅                           (records linked to a subject)
//	Z kind id                       → gen ‖ state ‖ kind ‖ id     (a subject merged into another)
//	z kind id 0x00 kind id          → ∅                           (the subjects merged into one)
//
// gen counts the resolutions about a record or subject: it makes the ids
// of resolution records deterministic (so the same request sent twice is a
// duplicate), and it survives an undo.
const (
	tagAssign    = 'Y'
	tagLinked    = 'y'
	tagMerged    = 'Z'
	tagMergedIn  = 'z'
	stateNone    = 0 // the record belongs to no subject (unlinked, split off)
	stateLinked  = 1 // linked to the subject that follows
	stateCarried = 2 // back to the subject it carries (a split undone)
	stateMerged  = 1 // Z: merged into the subject that follows
	stateApart   = 0 // Z: a merge undone
)

// assignment is a Y or Z value.
type assignment struct {
	gen     uint64
	state   byte
	subject credo.SubjectRef
}

func (a assignment) encode() []byte {
	b := binary.AppendUvarint(nil, a.gen)
	b = append(b, a.state)
	if a.subject.Resolved() {
		b = append(b, byte(a.subject.Kind))
		b = append(b, a.subject.ID...)
	}
	return b
}

func decodeAssignment(v []byte) (assignment, error) {
	var a assignment
	g, n := binary.Uvarint(v)
	if n <= 0 || len(v) < n+1 {
		return a, fmt.Errorf("corrupt assignment %x", v)
	}
	a.gen, a.state = g, v[n]
	if rest := v[n+1:]; len(rest) > 0 {
		a.subject = credo.SubjectRef{Kind: credo.SubjectKind(rest[0]), ID: string(rest[1:])}
	}
	return a, nil
}

func assignKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{tagAssign}, seq)
}

func refKey(tag byte, ref credo.SubjectRef) []byte {
	return append([]byte{tag, byte(ref.Kind)}, ref.ID...)
}

func linkedKey(ref credo.SubjectRef, occurred int64, seq uint64) []byte {
	k := append(refKey(tagLinked, ref), 0)
	k = binary.BigEndian.AppendUint64(k, uint64(occurred)^(1<<63))
	return binary.BigEndian.AppendUint64(k, seq)
}

func mergedInKey(into, from credo.SubjectRef) []byte {
	k := append(refKey(tagMergedIn, into), 0, byte(from.Kind))
	return append(k, from.ID...)
}

// getAssignment reads a Y or Z value; ok is false when there is none.
func (s *Store) getAssignment(k []byte) (assignment, bool, error) {
	v, closer, err := s.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return assignment{}, false, nil
	}
	if err != nil {
		return assignment{}, false, err
	}
	defer closer.Close()
	a, err := decodeAssignment(v)
	return a, err == nil, err
}

// resolutionOps is what a Resolve call writes besides its records.
type resolutionOps struct {
	sets       entries
	deletes    [][]byte
	unresolved int64 // change in the count of records without a subject
}

// plan is the state a Resolve call reads and changes: the engine's, with
// the call's own changes on top.
type plan struct {
	s       *Store
	assigns map[uint64]assignment
	merges  map[credo.SubjectRef]assignment
	ops     resolutionOps
}

func (p *plan) assignment(seq uint64) (assignment, bool, error) {
	if a, ok := p.assigns[seq]; ok {
		return a, true, nil
	}
	return p.s.getAssignment(assignKey(seq))
}

func (p *plan) merge(ref credo.SubjectRef) (assignment, bool, error) {
	if a, ok := p.merges[ref]; ok {
		return a, true, nil
	}
	return p.s.getAssignment(refKey(tagMerged, ref))
}

// root follows merges from ref to the subject it is now part of.
func (p *plan) root(ref credo.SubjectRef) (credo.SubjectRef, error) {
	for range 64 {
		a, ok, err := p.merge(ref)
		if err != nil {
			return ref, err
		}
		if !ok || a.state != stateMerged {
			return ref, nil
		}
		ref = a.subject
	}
	return ref, errors.New("merges form a cycle")
}

// Resolve implements credo.Resolutions.
func (s *Store) Resolve(ctx context.Context, rs []credo.Resolution) ([]credo.Resolution, error) {
	s.resolveMu.Lock()
	defer s.resolveMu.Unlock()
	// Every batch before this call applied: the state read below is
	// current, and only Resolve (serialised here) changes it.
	s.mu.Lock()
	prev := s.applied
	s.mu.Unlock()
	<-prev
	p := &plan{s: s, assigns: map[uint64]assignment{}, merges: map[credo.SubjectRef]assignment{}}
	now := s.opts.Now().UTC()
	out := make([]credo.Resolution, len(rs))
	recs := make([]*credo.Record, len(rs))
	for i, r := range rs {
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("resolution %d: %w", i, err)
		}
		r.At = now
		rec, err := p.apply(ctx, &r)
		if err != nil {
			return nil, fmt.Errorf("resolution %d (%s %s): %w", i, r.Action, cmp.Or(r.Record, r.From.String()), err)
		}
		out[i], recs[i] = r, rec
	}
	res, err := s.append(ctx, recs, &p.ops)
	if err != nil {
		return nil, fmt.Errorf("resolve: %w", err)
	}
	for i, x := range res {
		if x.Status != credo.Appended {
			return nil, fmt.Errorf("resolve: resolution %d: %s %v", i, x.Status, x.Err)
		}
		out[i].LedgerID = x.ID
	}
	if len(p.assigns) > 0 {
		s.hasAssignments.Store(true)
	}
	if len(p.merges) > 0 {
		s.hasMerges.Store(true)
	}
	return out, nil
}

// apply checks r against the state, changes the state and returns r's
// record for the ledger.
func (p *plan) apply(ctx context.Context, r *credo.Resolution) (*credo.Record, error) {
	// The resolution record's own id (each resolution of a record or
	// subject has one of its own), and the record's id as the ledger
	// spells it.
	var srcID, recordID string
	switch r.Action {
	case credo.Link, credo.Unlink:
		target, err := p.s.Record(ctx, r.Record)
		if err != nil {
			return nil, err
		}
		if target.Source == credo.ResolutionSource {
			return nil, fmt.Errorf("%w: %s is a resolution record", credo.ErrResolution, r.Record)
		}
		cur, _, err := p.assignment(target.Seq)
		if err != nil {
			return nil, err
		}
		owner := target.Subject // whom the record belongs to now
		switch cur.state {
		case stateNone:
			if cur.gen > 0 {
				owner = credo.SubjectRef{}
			}
		case stateLinked:
			owner = cur.subject
		}
		next := assignment{gen: cur.gen + 1}
		if r.Action == credo.Link {
			if owner.Resolved() {
				return nil, fmt.Errorf("%w: %s belongs to %s; unlink it first", credo.ErrResolution, r.Record, owner)
			}
			next.state, next.subject = stateLinked, r.Subject
			if target.Subject == r.Subject {
				next.state, next.subject = stateCarried, credo.SubjectRef{}
			} else {
				p.ops.sets.add(linkedKey(r.Subject, target.OccurredAt.UnixNano(), target.Seq), nil)
			}
			p.ops.unresolved--
		} else {
			if owner != r.Subject {
				return nil, fmt.Errorf("%w: %s does not belong to %s", credo.ErrResolution, r.Record, r.Subject)
			}
			if cur.state == stateLinked {
				p.ops.deletes = append(p.ops.deletes, linkedKey(r.Subject, target.OccurredAt.UnixNano(), target.Seq))
			}
			next.state = stateNone
			p.ops.unresolved++
		}
		p.assigns[target.Seq] = next
		p.ops.sets.add(assignKey(target.Seq), next.encode())
		srcID = fmt.Sprintf("%s-%d-%d", r.Action, target.Seq, next.gen)
		recordID = target.ID
	case credo.Merge, credo.Unmerge:
		cur, _, err := p.merge(r.From)
		if err != nil {
			return nil, err
		}
		next := assignment{gen: cur.gen + 1, subject: r.Subject}
		if r.Action == credo.Merge {
			if cur.state == stateMerged {
				return nil, fmt.Errorf("%w: %s is merged into %s already", credo.ErrResolution, r.From, cur.subject)
			}
			root, err := p.root(r.Subject)
			if err != nil {
				return nil, err
			}
			if root == r.From {
				return nil, fmt.Errorf("%w: %s is merged into %s: merging back would make a cycle", credo.ErrResolution, r.Subject, r.From)
			}
			next.state = stateMerged
			p.ops.sets.add(mergedInKey(r.Subject, r.From), nil)
		} else {
			if cur.state != stateMerged || cur.subject != r.Subject {
				return nil, fmt.Errorf("%w: %s is not merged into %s", credo.ErrResolution, r.From, r.Subject)
			}
			next.state = stateApart
			p.ops.deletes = append(p.ops.deletes, mergedInKey(r.Subject, r.From))
		}
		p.merges[r.From] = next
		p.ops.sets.add(refKey(tagMerged, r.From), next.encode())
		srcID = fmt.Sprintf("%s-%d%s-%d", r.Action, r.From.Kind, r.From.ID, next.gen)
	}
	kept := *r
	if recordID != "" {
		kept.Record = recordID
	}
	return kept.LedgerRecord(srcID), nil
}

// ResolutionHistory implements credo.Resolutions: the resolutions about a record
// (by its id) or a subject (by its identifier), oldest first.
func (s *Store) ResolutionHistory(ctx context.Context, key string) iter.Seq2[credo.Resolution, error] {
	return func(yield func(credo.Resolution, error) bool) {
		for rec, err := range s.SourceRecords(ctx, credo.ResolutionSource) {
			if err != nil {
				yield(credo.Resolution{}, err)
				return
			}
			r, err := credo.ResolutionFromRecord(rec)
			if err != nil {
				yield(r, err)
				return
			}
			if r.Record == key || r.Subject.ID == key || r.From.ID == key {
				if !yield(r, nil) {
					return
				}
			}
		}
	}
}

// Assignment implements credo.Resolutions.
func (s *Store) Assignment(ctx context.Context, rec *credo.Record) (credo.SubjectRef, bool, error) {
	owner, placed := rec.Subject, false
	if s.hasAssignments.Load() {
		a, ok, err := s.getAssignment(assignKey(rec.Seq))
		if err != nil {
			return owner, false, err
		}
		if ok {
			placed = true
			switch a.state {
			case stateNone:
				owner = credo.SubjectRef{}
			case stateLinked:
				owner = a.subject
			}
		}
	}
	if owner.Resolved() && s.hasMerges.Load() {
		p := &plan{s: s}
		root, err := p.root(owner)
		if err != nil {
			return owner, placed, err
		}
		owner = root
	}
	return owner, placed, nil
}

// Assignments implements credo.Resolutions.
func (s *Store) Assignments(ctx context.Context) (map[uint64]credo.SubjectRef, map[credo.SubjectRef]credo.SubjectRef, error) {
	assigned := map[uint64]credo.SubjectRef{}
	merged := map[credo.SubjectRef]credo.SubjectRef{}
	err := s.scanTable(ctx, tagAssign, func(k, v []byte) error {
		a, err := decodeAssignment(v)
		if err != nil || len(k) != 9 {
			return fmt.Errorf("corrupt assignment %x: %v", k, err)
		}
		switch a.state {
		case stateNone:
			assigned[binary.BigEndian.Uint64(k[1:])] = credo.SubjectRef{}
		case stateLinked:
			assigned[binary.BigEndian.Uint64(k[1:])] = a.subject
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	err = s.scanTable(ctx, tagMerged, func(k, v []byte) error {
		a, err := decodeAssignment(v)
		if err != nil || len(k) < 3 {
			return fmt.Errorf("corrupt merge %x: %v", k, err)
		}
		if a.state == stateMerged {
			merged[credo.SubjectRef{Kind: credo.SubjectKind(k[1]), ID: string(k[2:])}] = a.subject
		}
		return nil
	})
	return assigned, merged, err
}

// scanTable calls fn for every key and value of table tag.
func (s *Store) scanTable(ctx context.Context, tag byte, fn func(k, v []byte) error) error {
	return scanEach(ctx, s.db, []byte{tag}, []byte{tag + 1}, fn)
}

// Pending implements credo.Resolutions.
func (s *Store) Pending(ctx context.Context) iter.Seq2[*credo.Record, error] {
	return func(yield func(*credo.Record, error) bool) {
		assigned := map[uint64]credo.SubjectRef{}
		if s.hasAssignments.Load() {
			var err error
			if assigned, _, err = s.Assignments(ctx); err != nil {
				yield(nil, err)
				return
			}
		}
		for r, err := range s.UnresolvedRecords(ctx) {
			if err != nil {
				yield(nil, err)
				return
			}
			if to, ok := assigned[r.Seq]; ok && to.Resolved() {
				continue
			}
			if !yield(r, nil) {
				return
			}
		}
		// Records split off the subject they carry.
		var split []uint64
		for seq, to := range assigned {
			if !to.Resolved() {
				split = append(split, seq)
			}
		}
		slices.Sort(split)
		for _, seq := range split {
			r, err := s.recordAt(seq)
			if err != nil {
				yield(nil, err)
				return
			}
			if r.Subject.Resolved() && !yield(r, nil) {
				return
			}
		}
	}
}

// subjectFile returns the keys of ref's file, sorted by time: its own
// index entries, the records linked to it, and those of the subjects merged
// into it, without the records assigned elsewhere. Each key ends with
// occurred ‖ seq.
func (s *Store) subjectFile(ctx context.Context, ref credo.SubjectRef) ([][]byte, error) {
	group := []credo.SubjectRef{ref}
	if s.hasMerges.Load() {
		p := &plan{s: s}
		root, err := p.root(ref)
		if err != nil {
			return nil, err
		}
		group = []credo.SubjectRef{root}
		for i := 0; i < len(group) && i < 1024; i++ {
			prefix := append(refKey(tagMergedIn, group[i]), 0)
			err := scanPrefix(ctx, s.db, prefix, func(k []byte) {
				rest := k[len(prefix):]
				group = append(group, credo.SubjectRef{Kind: credo.SubjectKind(rest[0]), ID: string(rest[1:])})
			})
			if err != nil {
				return nil, err
			}
		}
	}
	var keys [][]byte
	synced := s.syncedSeq.Load()
	for _, g := range group {
		p := subjectPrefix(nil, g)
		// The tail first, then the engine (see lookupID); neither yields
		// what is not synced yet.
		own := s.deferred.subject(nil, p)
		if err := scanPrefix(ctx, s.idx, p, func(k []byte) { own = append(own, bytes.Clone(k)) }); err != nil {
			return nil, err
		}
		own = slices.DeleteFunc(own, func(k []byte) bool { return seqSuffix(k) > synced })
		if s.hasAssignments.Load() {
			kept := own[:0]
			for _, k := range own {
				a, ok, err := s.getAssignment(assignKey(seqSuffix(k)))
				if err != nil {
					return nil, err
				}
				if !ok || a.state == stateCarried {
					kept = append(kept, k)
				}
			}
			own = kept
			lp := append(refKey(tagLinked, g), 0)
			if err := scanPrefix(ctx, s.db, lp, func(k []byte) { own = append(own, bytes.Clone(k)) }); err != nil {
				return nil, err
			}
		}
		keys = append(keys, own...)
	}
	// By occurred ‖ seq (the last 16 bytes), each record once.
	slices.SortFunc(keys, func(a, b []byte) int { return bytes.Compare(a[len(a)-16:], b[len(b)-16:]) })
	keys = slices.CompactFunc(keys, func(a, b []byte) bool { return seqSuffix(a) == seqSuffix(b) })
	return keys, nil
}

// scanPrefix calls fn with every key of db that starts with prefix.
func scanPrefix(ctx context.Context, db *pebble.DB, prefix []byte, fn func(k []byte)) error {
	return scanEach(ctx, db, prefix, prefixEnd(prefix), func(k, _ []byte) error { fn(k); return nil })
}

// loadResolutionFlags notes whether the store holds any assignment or merge,
// so that reads of a store without them pay nothing for them.
func (s *Store) loadResolutionFlags() error {
	for _, t := range []struct {
		tag  byte
		flag interface{ Store(bool) }
	}{{tagAssign, &s.hasAssignments}, {tagMerged, &s.hasMerges}} {
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{t.tag}, UpperBound: []byte{t.tag + 1}})
		if err != nil {
			return err
		}
		t.flag.Store(it.First())
		if err := it.Close(); err != nil {
			return err
		}
	}
	return nil
}

var _ credo.Resolutions = (*Store)(nil)
