package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

// The audit trail is a log, kept beside the engines as the chain is: each
// AppendAudit writes its inquiries as one block, a frame of the audit log
// (DATA/audit, chainlog.go), numbered from 1 — one write and one fdatasync
// a batch, where the engine would write a block to its own log, then again
// in a table when it flushes, and again each time it merges that table
// down. A subject's inquiries are found through an index of (subject,
// block) entries that is built beside the writes, in bulk: AppendAudit
// keeps each block's subjects in memory, and once they number auditSegment
// inquiries (or auditSegmentBlocks blocks), IndexAudit sorts them and
// writes them as one file of sorted entries, a segment of the index, in
// DATA/auditindex (auditseg.go): a sequential write of 12 bytes an entry,
// where a table of the index engine cost several times the CPU. Reads
// decode the blocks above the index's watermark from the log itself.
//
// A read looks the subject up in each live segment; credo merges segments
// in tiers (mergeAuditSegments) so that they stay few.
//
// In the ledger engine:
//
//	V notice id                  → adverse-action notice (JSON), as
//	                               format 5 and older wrote them
//	L kind id 0x00 time(8) r(8)  → inquiry (JSON): the trail as it was
//	                               written before blocks; still read
//	l time(8) r(4)               → block: the trail of format 4, moved to
//	                               the audit log when opened (moveAudit)
//
// In the index engine:
//
//	Maudit                       → the last block indexed(8) ‖ the next segment's number(8)
//	Mauditsegs                   → the live segments (see mergeAuditSegments)
//	i segment(8) kind id 0x00 block(8) → ∅: the segments of formats 5 and 6,
//	                               deleted when such a directory is opened
//
// Segments are numbered from 0. A segment's file is written whole and
// synced before the list names it (and the watermark passes its blocks):
// a file a crash left unnamed is removed at open, and its blocks, above
// the watermark, are read from the log and indexed again. A segment named
// but unreadable (the disk lost it) drops the whole index, which is built
// again from the log.
const (
	tagInquiry      = 'L'
	tagInquiryIndex = 'i'
	tagAuditLog     = 'l'
	tagNotice       = 'V'
	auditDirName    = "audit"
)

// auditSegment is how many inquiries the log holds above the index's
// watermark before IndexAudit indexes them: the most a read decodes
// beyond what the index points to (262,144 inquiries take a read about
// 17 ms). auditSegmentBlocks bounds the blocks too, for a trail written a
// few inquiries at a time.
const (
	auditSegment       = 262144
	auditSegmentBlocks = 1024
)

var (
	metaAudit      = []byte("Maudit")
	auditLogPrefix = []byte{tagAuditLog}
)

func inquiryPrefix(ref credo.SubjectRef) []byte {
	k := make([]byte, 0, 2+len(ref.ID)+1+12)
	k = append(k, tagInquiry, byte(ref.Kind))
	k = append(k, ref.ID...)
	return append(k, 0)
}

func noticeKey(id string) []byte { return append([]byte{tagNotice}, id...) }

// auditWriter is what AppendAudit keeps from call to call, under auditMu.
type auditWriter struct {
	enc     auditEncoder
	frame   []byte
	pending auditPending // the index's entries of the blocks written since the index last took them
}

// AppendAudit implements credo.Audit. Calls take turns (IndexAudit may
// run beside them). The notices are written in the block of the inquiries
// that name them, so that an inquiry on the record never names a notice
// that is not, and a subject's notices are found where its inquiries are.
func (s *Store) AppendAudit(ctx context.Context, inqs []*credo.Inquiry, notices []*credo.AdverseNotice) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkAuditBatch(inqs, notices); err != nil {
		return err
	}
	if len(inqs) == 0 {
		return nil
	}
	s.auditMu.Lock()
	defer s.auditMu.Unlock()
	n := s.auditLog.last() + 1
	s.audit.frame = appendFrame(s.audit.frame[:0], n, s.audit.enc.encode(inqs, notices), true)
	err := s.auditLog.write(n, s.audit.frame, []uint32{0})
	if err == nil && !s.opts.NoSync {
		err = s.auditLog.syncThrough(n)
	}
	if err != nil {
		// The block may be in the log all the same (written, not synced):
		// the pending entries number blocks by their place, so they no
		// longer can; the index reads the blocks back instead.
		s.audit.pending = auditPending{}
		return fmt.Errorf("audit: write %d inquiries to %s: %w", len(inqs), s.dir, err)
	}
	if p := &s.audit.pending; p.anchored { // else the index reads the block back
		p.addInquiries(inqs)
	}
	return nil
}

// checkAuditBatch checks that every inquiry has a subject and that the
// notices are those the inquiries name, in their order, each of its
// inquiry's subject.
func checkAuditBatch(inqs []*credo.Inquiry, notices []*credo.AdverseNotice) error {
	j := 0
	for _, q := range inqs {
		if !q.Subject.Resolved() {
			return fmt.Errorf("inquiry %s: %w: no subject", q.RequestID, credo.ErrInvalid)
		}
		if q.NoticeID == "" {
			continue
		}
		if j == len(notices) || notices[j].ID != q.NoticeID {
			return fmt.Errorf("inquiry %s: %w: notice %s is not in the batch, after the notices of the inquiries before", q.RequestID, credo.ErrInvalid, q.NoticeID)
		}
		if notices[j].Subject != q.Subject {
			return fmt.Errorf("notice %s: %w: its subject is %s, its inquiry's %s", q.NoticeID, credo.ErrInvalid, notices[j].Subject, q.Subject)
		}
		j++
	}
	if j < len(notices) {
		return fmt.Errorf("notice %q: %w: no inquiry of the batch names it", notices[j].ID, credo.ErrInvalid)
	}
	return nil
}

// IndexAudit indexes the blocks of the trail above the index's watermark
// when they hold a segment's worth of inquiries (or of blocks); until then
// reads decode them. It may run beside AppendAudit, which it does not
// slow but for the engine's own work.
func (s *Store) IndexAudit(ctx context.Context) error {
	if err := s.indexAudit(ctx, false); err != nil {
		return fmt.Errorf("audit: index the trail in %s: %w", s.dir, err)
	}
	return nil
}

// auditWatermark is the last block indexed (0 for none) and the number of
// segments written, as last made durable.
func (s *Store) auditWatermark() (last, segments uint64) {
	ix := &s.auditIdx
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.w, ix.next
}

// decodeAuditMeta reads Maudit's value: the last block indexed and the
// next segment's number.
func decodeAuditMeta(v []byte) (w, next uint64, err error) {
	if len(v) != 16 {
		return 0, 0, fmt.Errorf("read the audit index's watermark: corrupt (%d bytes)", len(v))
	}
	return binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:]), nil
}

// auditPending is what the index has yet to take: the entries of the
// blocks after block after (0: from the first), in order; AppendAudit adds
// each block's as it writes it, so that the index is built without reading
// the blocks back. A person's resident identity number of the usual shape
// (nearly all) is kept as its number in the order of the key's bytes
// (idOrder): 16 bytes an inquiry.
type auditPending struct {
	anchored  bool   // after is set: entries may be added
	after     uint64 // the block before the first of the pending ones
	blocks    uint32 // the pending blocks: after+1 … after+blocks
	inquiries int
	nums      []numEntry   // persons' ids of the usual shape
	others    []otherEntry // the rest, their keys in keys
	keys      []byte
}

// numEntry is a person's inquiry in the pending block blk (from 0), by
// the number of the person's id (idOrder).
type numEntry struct {
	v   uint64
	blk uint32
}

// otherEntry is any other inquiry: the key kind ‖ id is keys[off:end].
type otherEntry struct {
	off, end, blk uint32
}

// add adds a block of the subjects the function yields, the block after
// the pending ones.
func (p *auditPending) add(subjects func(fn func(kind credo.SubjectKind, id []byte)) error) error {
	blk := p.blocks
	if err := subjects(func(kind credo.SubjectKind, id []byte) { addEntry(p, blk, kind, id) }); err != nil {
		return err
	}
	p.blocks++
	return nil
}

// addInquiries adds a block of inqs, the block after the pending ones.
func (p *auditPending) addInquiries(inqs []*credo.Inquiry) {
	for _, q := range inqs {
		addEntry(p, p.blocks, q.Subject.Kind, q.Subject.ID)
	}
	p.blocks++
}

// addEntry adds the entry of an inquiry about (kind, id) in block blk.
func addEntry[ID string | []byte](p *auditPending, blk uint32, kind credo.SubjectKind, id ID) {
	p.inquiries++
	if kind == credo.Person {
		if v, ok := idOrder(id); ok {
			p.nums = append(p.nums, numEntry{v, blk})
			return
		}
	}
	off := uint32(len(p.keys))
	p.keys = append(p.keys, byte(kind))
	p.keys = append(p.keys, id...)
	p.others = append(p.others, otherEntry{off, uint32(len(p.keys)), blk})
}

// full says whether p holds a segment's worth.
func (p *auditPending) full() bool {
	return p.inquiries >= auditSegment || p.blocks >= auditSegmentBlocks
}

// join adds to p the entries of q, whose blocks follow p's.
func (p *auditPending) join(q *auditPending) {
	base, off := p.blocks, uint32(len(p.keys))
	p.blocks += q.blocks
	p.inquiries += q.inquiries
	for _, e := range q.nums {
		p.nums = append(p.nums, numEntry{e.v, e.blk + base})
	}
	for _, e := range q.others {
		p.others = append(p.others, otherEntry{e.off + off, e.end + off, e.blk + base})
	}
	p.keys = append(p.keys, q.keys...)
}

// indexAudit writes the index entries of the blocks above the watermark
// as one table, when they hold a segment's worth of inquiries or blocks
// (or any, with all). It takes them from the pending entries, which begin
// at the watermark once the blocks above it written before (by another
// store, or before a failed index) have been read back into them — a
// segment at a time: the rest waits for the next call.
func (s *Store) indexAudit(ctx context.Context, all bool) error {
	s.auditIndexMu.Lock()
	defer s.auditIndexMu.Unlock()
	w, segments := s.auditWatermark()
	s.auditMu.Lock()
	p := &s.audit.pending
	var take auditPending
	if !p.anchored || p.after != w {
		// Read back the blocks up to the last written, without holding up
		// AppendAudit: those written meanwhile gather after it.
		cut := s.auditLog.last()
		*p = auditPending{anchored: true, after: cut}
		s.auditMu.Unlock()
		back, err := s.readAuditBlocks(ctx, w, cut)
		if err != nil {
			return err
		}
		s.auditMu.Lock()
		if back.after+uint64(back.blocks) < cut { // a segment's worth, and more to read back
			s.auditMu.Unlock()
			take = back
		} else {
			back.join(p)
			*p = back
		}
	}
	if take.blocks == 0 {
		if p.blocks == 0 || (!all && !p.full()) {
			s.auditMu.Unlock()
			return nil
		}
		take = *p
		// the next segment's room at once, rather than by doubling
		*p = auditPending{anchored: true, after: take.after + uint64(take.blocks), nums: make([]numEntry, 0, cap(take.nums))}
		s.auditMu.Unlock()
	}
	last := take.after + uint64(take.blocks)
	g, err := writeSegFile(s.auditIdx.dir, segments, take.after+1, last, func(w *segWriter) error { return writePending(w, &take) })
	if err != nil {
		return err // the next call reads the blocks back
	}
	auditIndexCrash("segment written")
	// The file is durable: the list and the watermark, committed together,
	// make it live. Before, a crash leaves it unnamed (removed at open) and
	// its blocks above the watermark, read from the log.
	ix := &s.auditIdx
	if err := s.commitAuditIndex(last, segments+1, append(slices.Clone(ix.segs), liveSegFile{g, 0}), nil); err != nil {
		g.close()
		return err
	}
	return s.mergeAuditSegments(ctx)
}

// auditMeta is the value of Maudit: the last block indexed, the next
// segment's number.
func auditMeta(w, next uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, w), next)
}

// Segments are merged in tiers, so that a read looks in a number of them
// that grows with the logarithm of the trail, not with the trail: once
// auditMergeFan segments of one tier are live, the oldest auditMergeFan
// are merged into one segment of the next tier, under a new number, and
// their files removed. An entry is written once at each tier: about
// log32 of the trail's segments times. A read looks in at most
// auditMergeFan-1 segments of each tier: about 30 a tier (four tiers hold
// a quarter of a trillion inquiries).
//
//	Mauditsegs → (segment number(8) tier(1))…, the live segments, oldest first
const auditMergeFan = 32

var metaAuditSegments = []byte("Mauditsegs")

// liveSegment is a segment of the index that reads consult.
type liveSegment struct {
	num  uint64
	tier uint8
}

// liveSegFile is a live segment, open.
type liveSegFile struct {
	*segFile
	tier uint8
}

// auditIndex is the index as last made durable: the watermark, the next
// segment's number, and the live segments, open. Readers hold mu (to
// read) while they look a subject up in the segments, so that they see
// the watermark and the segments of one moment; indexAudit (under
// auditIndexMu, the one writer) swaps them under it, and closes and
// removes the files of merged segments once no reader can be in them.
type auditIndex struct {
	dir  string
	mu   sync.RWMutex
	w    uint64
	next uint64
	segs []liveSegFile // oldest first
}

func encodeLiveSegments(live []liveSegFile) []byte {
	b := make([]byte, 0, 9*len(live))
	for _, l := range live {
		b = append(binary.BigEndian.AppendUint64(b, l.num), l.tier)
	}
	return b
}

// decodeLiveSegments reads Mauditsegs's value.
func decodeLiveSegments(v []byte) ([]liveSegment, error) {
	if len(v)%9 != 0 {
		return nil, fmt.Errorf("the audit index's segments: corrupt (%d bytes)", len(v))
	}
	live := make([]liveSegment, 0, len(v)/9)
	for ; len(v) > 0; v = v[9:] {
		live = append(live, liveSegment{binary.BigEndian.Uint64(v), v[8]})
	}
	return live, nil
}

// commitAuditIndex makes the watermark w, the next segment's number next
// and the live segments segs durable, then the index reads see; then it
// closes and removes the files of the segments drop, which no reader can
// be in any more (a crash before leaves them unnamed: removed at open).
func (s *Store) commitAuditIndex(w, next uint64, segs []liveSegFile, drop []liveSegFile) error {
	b := s.idx.NewBatch()
	defer b.Close()
	if err := errors.Join(b.Set(metaAudit, auditMeta(w, next), nil), b.Set(metaAuditSegments, encodeLiveSegments(segs), nil),
		guard(func() error { return commit(b, pebble.Sync) })); err != nil {
		return fmt.Errorf("audit index: record segments through block %d: %w", w, err)
	}
	ix := &s.auditIdx
	ix.mu.Lock()
	ix.w, ix.next, ix.segs = w, next, segs
	ix.mu.Unlock()
	if drop != nil {
		auditIndexCrash("merged away")
	}
	for _, g := range drop {
		if err := errors.Join(g.close(), os.Remove(segPath(ix.dir, g.num))); err != nil {
			s.opts.Logger.Warn("audit index: remove a merged segment (removed at the next open)", slog.Uint64("segment", g.num), slog.Any("error", err))
		}
	}
	return nil
}

// auditIndexCrash is called at the points where a crash leaves the most
// for the next open to mend: a segment's file written and not yet named, a
// merge's likewise, the merged segments named no more and their files not
// yet removed. The crash test's child sets it to kill itself there.
var auditIndexCrash = func(point string) {}

// mergeAuditSegments merges segments while some tier has auditMergeFan of
// them live. Under auditIndexMu.
func (s *Store) mergeAuditSegments(ctx context.Context) error {
	ix := &s.auditIdx // ix.segs, w and next change under auditIndexMu only
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		group := mergeGroup(ix.segs)
		if group == nil {
			return nil
		}
		// The merged segment's number is taken first, durably, so that no
		// later segment takes it: were the list's commit below to fail
		// after all, the list would name a file that only the merge writes.
		next := ix.next
		if err := s.commitAuditIndex(ix.w, next+1, ix.segs, nil); err != nil {
			return err
		}
		base, last := group[0].base, group[0].last
		files := make([]*segFile, len(group))
		for i, l := range group {
			base, last, files[i] = min(base, l.base), max(last, l.last), l.segFile
		}
		g, err := writeSegFile(ix.dir, next, base, last, func(w *segWriter) error { return mergeSegs(w, files) })
		if err != nil {
			return fmt.Errorf("audit index: merge segments into %d: %w", next, err)
		}
		auditIndexCrash("merge written")
		live := slices.DeleteFunc(slices.Clone(ix.segs), func(l liveSegFile) bool { return slices.Contains(files, l.segFile) })
		live = append(live, liveSegFile{g, group[0].tier + 1})
		if err := s.commitAuditIndex(ix.w, ix.next, live, group); err != nil {
			g.close()
			return err
		}
	}
}

// mergeGroup is the oldest auditMergeFan segments of the lowest tier that
// has as many, or nil.
func mergeGroup(live []liveSegFile) []liveSegFile {
	var count [256]int
	for _, l := range live {
		count[l.tier]++
	}
	for tier, c := range count {
		if c < auditMergeFan {
			continue
		}
		var group []liveSegFile
		for _, l := range live {
			if int(l.tier) == tier && len(group) < auditMergeFan {
				group = append(group, l)
			}
		}
		return group
	}
	return nil
}

// readAuditBlocks reads back the entries of the blocks after w through
// cut, up to a segment's worth.
func (s *Store) readAuditBlocks(ctx context.Context, w, cut uint64) (auditPending, error) {
	p := auditPending{anchored: true, after: w}
	var dec auditDecoder
	_, err := s.auditLog.scan(w+1, cut, func(n uint64, v []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := p.add(func(fn func(kind credo.SubjectKind, id []byte)) error { return dec.subjects(v, fn) }); err != nil {
			return fmt.Errorf("audit block %d: %w", n, err)
		}
		if p.full() {
			return errStopScan
		}
		return nil
	})
	if errors.Is(err, errStopScan) {
		err = nil
	}
	return p, err
}

// openAuditIndex opens the live segments of the audit index, and removes
// the files of DATA/auditindex that are not live: segments a crash left
// unnamed, or merged away. It drops the index when it names blocks the log
// does not hold (the log lost its end, or was removed: new blocks would
// take those numbers, and reads would take them for indexed), or when a
// live segment cannot be read; the indexer builds it again from the log.
func (s *Store) openAuditIndex() error {
	ix := &s.auditIdx
	ix.dir = filepath.Join(s.dir, auditIndexDirName)
	if err := os.MkdirAll(ix.dir, 0o750); err != nil {
		return fmt.Errorf("audit index: %w", err)
	}
	w, next, live, err := s.readAuditMeta()
	if err != nil {
		return err
	}
	var segs []liveSegFile
	if w > s.auditLog.last() {
		s.opts.Logger.Warn("audit trail: the index goes past the log; indexing the log again",
			slog.Uint64("indexed_through", w), slog.Uint64("log_ends_at", s.auditLog.last()))
		err = errDropAuditIndex
	} else {
		segs, err = openLiveSegments(ix.dir, live)
		if err != nil {
			s.opts.Logger.Warn("audit trail: a segment of the index is unreadable; indexing the log again", slog.Any("error", err))
		}
	}
	if err != nil {
		w, next, segs = 0, 0, nil
		if err := s.dropAuditIndex(); err != nil {
			return err
		}
	}
	ix.w, ix.next, ix.segs = w, next, segs
	return removeStraySegments(ix.dir, segs)
}

var errDropAuditIndex = errors.New("drop the audit index")

// readAuditMeta reads Maudit and Mauditsegs.
func (s *Store) readAuditMeta() (w, next uint64, live []liveSegment, err error) {
	get := func(k []byte) ([]byte, error) {
		v, closer, err := s.idx.Get(k)
		if errors.Is(err, pebble.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("audit index: read %s: %w", k, err)
		}
		defer closer.Close()
		return bytes.Clone(v), nil
	}
	meta, err := get(metaAudit)
	if err != nil || meta == nil {
		return 0, 0, nil, err
	}
	if w, next, err = decodeAuditMeta(meta); err != nil {
		return 0, 0, nil, err
	}
	v, err := get(metaAuditSegments)
	if err != nil {
		return 0, 0, nil, err
	}
	live, err = decodeLiveSegments(v)
	return w, next, live, err
}

// openLiveSegments opens the live segments' files.
func openLiveSegments(dir string, live []liveSegment) ([]liveSegFile, error) {
	segs := make([]liveSegFile, 0, len(live))
	for _, l := range live {
		g, err := openSegFile(segPath(dir, l.num), l.num)
		if err != nil {
			closeSegments(segs)
			return nil, err
		}
		segs = append(segs, liveSegFile{g, l.tier})
	}
	return segs, nil
}

func closeSegments(segs []liveSegFile) error {
	var err error
	for _, g := range segs {
		err = errors.Join(err, g.close())
	}
	return err
}

// removeStraySegments removes the files of dir that are not live segments'.
func removeStraySegments(dir string, live []liveSegFile) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("audit index: %w", err)
	}
	keep := map[string]bool{}
	for _, l := range live {
		keep[filepath.Base(segPath(dir, l.num))] = true
	}
	for _, e := range entries {
		if !keep[e.Name()] {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("audit index: remove a stray file: %w", err)
			}
		}
	}
	return nil
}

// dropAuditIndex forgets the index: its watermark and list of segments,
// and the segments of formats 5 and 6 (keys i…, which the engine drops as
// whole tables). The files of DATA/auditindex are then strays.
func (s *Store) dropAuditIndex() error {
	b := s.idx.NewBatch()
	defer b.Close()
	if err := errors.Join(b.DeleteRange([]byte{tagInquiryIndex}, []byte{tagInquiryIndex + 1}, nil), b.Delete(metaAudit, nil),
		b.Delete(metaAuditSegments, nil), commit(b, pebble.Sync)); err != nil {
		return fmt.Errorf("audit trail: drop the index: %w", err)
	}
	return nil
}

// closeAuditIndex closes the live segments.
func (s *Store) closeAuditIndex() error {
	s.auditIndexMu.Lock()
	defer s.auditIndexMu.Unlock()
	ix := &s.auditIdx
	ix.mu.Lock()
	defer ix.mu.Unlock()
	err := closeSegments(ix.segs)
	ix.segs = nil
	return err
}

// moveAudit moves the blocks of a trail written in the ledger engine (by
// format 4) to the audit log, and drops the index of them: the indexer
// builds it again from the log. A move cut short by a crash is done again
// whole: the blocks leave the engine last.
func (s *Store) moveAudit() error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: auditLogPrefix, UpperBound: prefixEnd(auditLogPrefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	if !it.First() {
		return it.Error()
	}
	if err := s.auditLog.truncateAfter(0); err != nil { // what an earlier move left
		return err
	}
	var frames []byte
	var offs []uint32
	first, next := uint64(1), uint64(1)
	flush := func() error {
		if len(offs) == 0 {
			return nil
		}
		if err := s.auditLog.write(first, frames, offs); err != nil {
			return err
		}
		first, frames, offs = next, frames[:0], offs[:0]
		return nil
	}
	for ok := true; ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		offs = append(offs, uint32(len(frames)))
		frames = appendFrame(frames, next, v, true) // each block its own append, as AppendAudit writes them
		next++
		if len(frames) >= 4<<20 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := errors.Join(it.Error(), flush(), s.auditLog.syncThrough(next-1)); err != nil {
		return fmt.Errorf("move the audit trail to %s: %w", auditDirName, err)
	}
	legacyIndex := []byte{tagInquiry} // by subject alone, in the index engine
	if err := errors.Join(s.idx.DeleteRange(legacyIndex, prefixEnd(legacyIndex), pebble.Sync), s.dropAuditIndex()); err != nil {
		return fmt.Errorf("move the audit trail to %s: drop its index: %w", auditDirName, err)
	}
	b := s.db.NewBatch()
	defer b.Close()
	if err := errors.Join(b.DeleteRange(auditLogPrefix, prefixEnd(auditLogPrefix), nil), commit(b, pebble.Sync)); err != nil {
		return fmt.Errorf("move the audit trail to %s: %w", auditDirName, err)
	}
	return nil
}

// radixSort sorts es by v, keeping the order of equal ones: a byte a
// pass, from the lowest, skipping the bytes all share.
func radixSort(es []numEntry) []numEntry {
	if len(es) < 2 {
		return es
	}
	tmp := make([]numEntry, len(es))
	for shift := 0; shift < 64; shift += 8 {
		var count [256]int
		for _, e := range es {
			count[byte(e.v>>shift)]++
		}
		if count[byte(es[0].v>>shift)] == len(es) {
			continue
		}
		pos := 0
		for b, c := range count {
			count[b] = pos
			pos += c
		}
		for _, e := range es {
			b := byte(e.v >> shift)
			tmp[count[b]] = e
			count[b]++
		}
		es, tmp = tmp, es
	}
	return es
}

// idOrder maps an 18-character id of 17 digits and a check character (a
// digit or X) to a number in the order of its bytes: the digits' value
// times 11, plus the check character's (X, after the digits, as 10).
func idOrder[ID string | []byte](id ID) (uint64, bool) {
	if len(id) != 18 {
		return 0, false
	}
	var v uint64
	for i := range 17 {
		c := id[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	switch c := id[17]; {
	case c >= '0' && c <= '9':
		return v*11 + uint64(c-'0'), true
	case c == 'X':
		return v*11 + 10, true
	}
	return 0, false
}

// SubjectInquiries implements credo.Audit. It reads the blocks the index
// points to and those above its watermark, then the trail as written
// before blocks, and yields the subject's inquiries in time order.
func (s *Store) SubjectInquiries(ctx context.Context, ref credo.SubjectRef) iter.Seq2[*credo.Inquiry, error] {
	return func(yield func(*credo.Inquiry, error) bool) {
		out, err := s.subjectInquiries(ctx, ref)
		if err != nil {
			yield(nil, err)
			return
		}
		for _, q := range out {
			if !yield(q, nil) {
				return
			}
		}
	}
}

func (s *Store) subjectInquiries(ctx context.Context, ref credo.SubjectRef) ([]*credo.Inquiry, error) {
	var out []*credo.Inquiry
	var dec auditDecoder
	err := s.subjectBlocks(ctx, ref, func(n uint64, v []byte) error {
		if err := dec.decode(v, &ref, func(q *credo.Inquiry) { out = append(out, q) }); err != nil {
			return fmt.Errorf("audit block %d: %w", n, err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("inquiries of %s: %w", ref, err)
	}
	prefix := inquiryPrefix(ref)
	for q, err := range scanJSON[credo.Inquiry](ctx, s, prefix, prefixEnd(prefix)) {
		if err != nil {
			return nil, fmt.Errorf("inquiries of %s: %w", ref, err)
		}
		out = append(out, q)
	}
	slices.SortStableFunc(out, func(x, y *credo.Inquiry) int { return x.Time.Compare(y.Time) })
	return out, nil
}

// subjectBlocks calls fn with each block of the log that may hold
// inquiries of ref, in the log's order: those the index points to, then
// those above its watermark. fn's v is valid during the call.
func (s *Store) subjectBlocks(ctx context.Context, ref credo.SubjectRef, fn func(n uint64, v []byte) error) error {
	// The watermark, the live segments and their entries, from one view
	// of the index: what it holds up to the watermark is complete.
	var blocks []uint64
	w, err := s.segmentBlocks(ctx, ref, func(n uint64) { blocks = append(blocks, n) })
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	// An entry says a block holds some of the subject's inquiries; a
	// segment written again after a crash may leave a block named by two
	// segments: each is read once.
	slices.Sort(blocks)
	blocks = slices.Compact(blocks)
	for _, n := range blocks {
		v, ok, err := s.auditLog.read(n)
		if err == nil && !ok {
			err = errors.New("missing")
		}
		if err != nil {
			return fmt.Errorf("audit block %d: %w", n, err)
		}
		if err := fn(n, v); err != nil {
			return err
		}
	}
	if last := s.auditLog.last(); last > w {
		if _, err := s.auditLog.scan(w+1, last, fn); err != nil {
			return err
		}
	}
	return nil
}

// segmentBlocks calls fn with the block of each entry of ref in the live
// segments of the index, and returns the watermark: both as of one moment
// (a merge may replace segments meanwhile; it waits for the read to end).
func (s *Store) segmentBlocks(ctx context.Context, ref credo.SubjectRef, fn func(n uint64)) (w uint64, err error) {
	ix := &s.auditIdx
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	// A segment holds no block above the watermark, but one a failed
	// commit left in place of its file and a crash then named (its blocks,
	// above the watermark, are read from the log): those are passed over.
	below := func(n uint64) {
		if n <= ix.w {
			fn(n)
		}
	}
	var buf []byte
	for _, g := range ix.segs {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if buf, err = g.blocks(ref, buf, below); err != nil {
			return 0, fmt.Errorf("audit index segment %d: %w", g.num, err)
		}
	}
	return ix.w, nil
}

// Notice implements credo.Audit: it looks in the blocks of the subject's
// inquiries, then among the notices written before blocks held them.
func (s *Store) Notice(ctx context.Context, ref credo.SubjectRef, id string) (*credo.AdverseNotice, error) {
	var (
		dec   auditDecoder
		found *credo.AdverseNotice
	)
	errFound := errors.New("found")
	err := s.subjectBlocks(ctx, ref, func(n uint64, v []byte) error {
		r, err := dec.notice(v, &ref, id)
		if err != nil {
			return fmt.Errorf("audit block %d: %w", n, err)
		}
		if r != nil {
			found = r
			return errFound
		}
		return nil
	})
	if err != nil && err != errFound {
		return nil, fmt.Errorf("notice %s of %s: %w", id, ref, err)
	}
	if found == nil {
		if found, err = s.engineNotice(id); err != nil {
			return nil, fmt.Errorf("notice %s of %s: %w", id, ref, err)
		}
	}
	if found.Subject != ref { // another subject's
		return nil, fmt.Errorf("notice %s of %s: %w", id, ref, credo.ErrNotFound)
	}
	return found, nil
}

// engineNotice reads a notice as format 5 and older wrote them: JSON in
// the ledger engine, by id.
func (s *Store) engineNotice(id string) (*credo.AdverseNotice, error) {
	v, closer, err := s.db.Get(noticeKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, credo.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	var n credo.AdverseNotice
	if err := json.Unmarshal(v, &n); err != nil {
		return nil, fmt.Errorf("corrupt entry: %w", err)
	}
	return &n, nil
}

// A block of the log holds a batch's inquiries compactly: the strings
// they repeat (request ids of a batch request, consumers, actions,
// purposes, reason codes, policy versions, notice ids) once each, and
// each inquiry as numbers; then the adverse-action notices of the batch,
// their strings in the same table (the rule as published and how to
// object, the same in every notice of a measure, are written once a
// block):
//
//	version(1) count strings (len bytes)… inquiry… notices
//	inquiry: time kind flags id-len id request consumer action purpose
//	         reasons(count index…) versions(count index…) notice
//	notices: count (notice-id len notice)…
//	notice:  time request consumer kind subject-id action object
//	         flags measures(count measure…)
//	measure: jurisdiction version rule when reason grade flags
//	         [by band banded rule record list until]    the grade's reason, if any
//	         lists(count (list type since exit until record published(1))…)
//	         records(count index…)
//
// Numbers are uvarints (an inquiry's time a zigzag varint, nanoseconds
// after the block's first inquiry's, which comes first as a varint; a
// notice's times are seconds as a zigzag varint and nanoseconds); a
// string is its index in the table, 0 being "". Version 1 has no notices
// (they are in the ledger engine); version 2 has each as JSON.
const auditBlockVersion = 3

// Flags of a notice and of its measures in a block: which lists are nil
// (JSON's null) rather than empty, and whether a grade's reason follows.
const (
	flagMeasuresNil = 1 << iota
	flagGradeReason
	flagListsNil
	flagRecordsNil
)

// Flags of an inquiry in a block.
const (
	flagDecision = 1 << iota
	flagKnown
	flagReasonsNil
	flagVersionsNil
)

type auditEncoder struct {
	strs  map[string]uint64
	table []byte
	body  []byte
	out   []byte
	n     uint64
	// the last string of each field and its index: the inquiries of a
	// batch mostly repeat the one before's consumer, action, request and
	// purpose, and share the table's lists of reasons and versions
	last    [8]string
	lastIdx [8]uint64
	// the last list of each kind (reasons, versions), a copy, and its
	// encoding
	lastList [2][]string
	lastEnc  [2][]byte
	nb       []byte // a notice, before its length
}

// field encodes s, the string of field f (< len(last)).
func (e *auditEncoder) field(f int, s string) {
	if s != "" && s == e.last[f] {
		e.body = binary.AppendUvarint(e.body, e.lastIdx[f])
		return
	}
	e.str(s)
	if s != "" {
		e.last[f], e.lastIdx[f] = s, e.strs[s]
	}
}

func (e *auditEncoder) str(s string) { e.body = e.appendStr(e.body, s) }

// appendStr appends to dst the index of s in the table, adding s to it
// if new.
func (e *auditEncoder) appendStr(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, 0)
	}
	i, ok := e.strs[s]
	if !ok {
		e.n++
		i = e.n
		e.strs[s] = i
		e.table = binary.AppendUvarint(e.table, uint64(len(s)))
		e.table = append(e.table, s...)
	}
	return binary.AppendUvarint(dst, i)
}

// appendTime appends t as seconds (a zigzag varint) and nanoseconds: any
// time, the zero one too.
func appendTime(dst []byte, t time.Time) []byte {
	return binary.AppendUvarint(binary.AppendVarint(dst, t.Unix()), uint64(t.Nanosecond()))
}

// appendNotice appends notice n to dst, its strings in the table.
func (e *auditEncoder) appendNotice(b []byte, n *credo.AdverseNotice) []byte {
	b = appendTime(b, n.Time)
	b = e.appendStr(e.appendStr(b, n.RequestID), n.Consumer)
	b = e.appendStr(append(b, byte(n.Subject.Kind)), n.Subject.ID)
	b = e.appendStr(e.appendStr(b, n.Action), n.Object)
	var f byte
	if n.Measures == nil {
		f |= flagMeasuresNil
	}
	b = binary.AppendUvarint(append(b, f), uint64(len(n.Measures)))
	for i := range n.Measures {
		m := &n.Measures[i]
		for _, s := range [...]string{m.Jurisdiction, m.PolicyVersion, m.Rule, m.When, m.Reason, m.Grade} {
			b = e.appendStr(b, s)
		}
		var f byte
		if m.GradeReason != nil {
			f |= flagGradeReason
		}
		if m.Lists == nil {
			f |= flagListsNil
		}
		if m.Records == nil {
			f |= flagRecordsNil
		}
		b = append(b, f)
		if g := m.GradeReason; g != nil {
			for _, s := range [...]string{g.By, g.Band, g.Banded, g.Rule, g.Record, g.List} {
				b = e.appendStr(b, s)
			}
			b = appendTime(b, g.Until)
		}
		b = binary.AppendUvarint(b, uint64(len(m.Lists)))
		for _, l := range m.Lists {
			b = e.appendStr(e.appendStr(b, l.List), l.Type)
			b = appendTime(appendTime(appendTime(b, l.Since), l.EarliestExit), l.Until)
			b = e.appendStr(b, l.Record)
			var pub byte
			if l.Published {
				pub = 1
			}
			b = append(b, pub)
		}
		b = binary.AppendUvarint(b, uint64(len(m.Records)))
		for _, r := range m.Records {
			b = e.appendStr(b, r)
		}
	}
	return b
}

// list encodes ss, a list of field f (whose first element's cache is f,
// the second's f+1, any others' none); a list equal to the one before of
// its kind (k) is that one's encoding again (the decision table hands out
// the same lists, whose strings compare at a glance).
func (e *auditEncoder) list(k, f int, ss []string) {
	if len(ss) > 0 && slices.Equal(ss, e.lastList[k]) {
		e.body = append(e.body, e.lastEnc[k]...)
		return
	}
	start := len(e.body)
	e.body = binary.AppendUvarint(e.body, uint64(len(ss)))
	for i, s := range ss {
		if i < 2 {
			e.field(f+i, s)
		} else {
			e.str(s)
		}
	}
	e.lastList[k], e.lastEnc[k] = append(e.lastList[k][:0], ss...), append(e.lastEnc[k][:0], e.body[start:]...)
}

// encode returns the block of inqs and notices, valid until the next
// call.
func (e *auditEncoder) encode(inqs []*credo.Inquiry, notices []*credo.AdverseNotice) []byte {
	if e.strs == nil {
		e.strs = make(map[string]uint64, 16)
	}
	clear(e.strs)
	e.table, e.body, e.n, e.last, e.lastIdx = e.table[:0], e.body[:0], 0, [8]string{}, [8]uint64{}
	e.lastList[0], e.lastList[1] = e.lastList[0][:0], e.lastList[1][:0]
	base := inqs[0].Time.UnixNano()
	e.body = binary.AppendVarint(e.body, base)
	for _, q := range inqs {
		e.body = binary.AppendVarint(e.body, q.Time.UnixNano()-base)
		var f byte
		if q.Decision {
			f |= flagDecision
		}
		if q.Known {
			f |= flagKnown
		}
		if q.Reasons == nil {
			f |= flagReasonsNil
		}
		if q.PolicyVersions == nil {
			f |= flagVersionsNil
		}
		e.body = append(e.body, byte(q.Subject.Kind), f)
		e.body = binary.AppendUvarint(e.body, uint64(len(q.Subject.ID)))
		e.body = append(e.body, q.Subject.ID...)
		e.field(0, q.RequestID)
		e.field(1, q.Consumer)
		e.field(2, q.Action)
		e.field(3, q.Purpose)
		e.list(0, 4, q.Reasons)
		e.list(1, 6, q.PolicyVersions)
		e.str(q.NoticeID)
	}
	e.body = binary.AppendUvarint(e.body, uint64(len(notices)))
	for _, n := range notices {
		e.str(n.ID)
		e.nb = e.appendNotice(e.nb[:0], n)
		e.body = binary.AppendUvarint(e.body, uint64(len(e.nb)))
		e.body = append(e.body, e.nb...)
	}
	out := append(e.out[:0], auditBlockVersion)
	out = binary.AppendUvarint(out, uint64(len(inqs)))
	out = binary.AppendUvarint(out, e.n)
	out = append(out, e.table...)
	e.out = append(out, e.body...)
	return e.out
}

// auditDecoder reads blocks; its string table is reused from block to
// block.
type auditDecoder struct {
	b       []byte
	err     error
	strs    []string
	version byte
}

var errCorruptBlock = errors.New("corrupt audit block")

func (d *auditDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err, d.b = errCorruptBlock, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

// varint reads a zigzag varint, as binary.AppendVarint writes it.
func (d *auditDecoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *auditDecoder) bytes(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.err, d.b = errCorruptBlock, nil
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *auditDecoder) str() string {
	i := d.uvarint()
	if i >= uint64(len(d.strs)) {
		d.err, d.b = errCorruptBlock, nil
		return ""
	}
	return d.strs[i]
}

func (d *auditDecoder) strList(nilFlag bool) []string {
	n := d.count()
	if d.err != nil || nilFlag {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

// header reads a block's version, count and string table; it returns the
// count and the time of the first inquiry. withStrings false skips the
// table's strings (an index needs the subjects alone).
func (d *auditDecoder) header(v []byte, withStrings bool) (count uint64, base int64) {
	d.b, d.err = v, nil
	if len(v) == 0 || v[0] < 1 || v[0] > auditBlockVersion {
		d.err = fmt.Errorf("%w: version %x", errCorruptBlock, v[:min(1, len(v))])
		return 0, 0
	}
	d.version, d.b = v[0], d.b[1:]
	count = d.uvarint()
	ns := d.uvarint()
	if ns > uint64(len(d.b)) {
		d.err = errCorruptBlock
		return 0, 0
	}
	d.strs = append(d.strs[:0], "")
	for range ns {
		s := d.bytes(d.uvarint())
		if withStrings {
			d.strs = append(d.strs, string(s))
		}
	}
	return count, d.varint()
}

// decode calls fn with each inquiry of block v, or those of subject only
// when it is not nil.
func (d *auditDecoder) decode(v []byte, subject *credo.SubjectRef, fn func(*credo.Inquiry)) error {
	count, base := d.header(v, true)
	for i := uint64(0); i < count && d.err == nil; i++ {
		t := base + d.varint()
		kf := d.bytes(2)
		if d.err != nil {
			break
		}
		kind, f := credo.SubjectKind(kf[0]), kf[1]
		id := d.bytes(d.uvarint())
		if subject != nil && (kind != subject.Kind || string(id) != subject.ID) {
			d.skipRest()
			continue
		}
		q := &credo.Inquiry{Time: time.Unix(0, t).UTC(), Subject: credo.SubjectRef{Kind: kind, ID: string(id)},
			Decision: f&flagDecision != 0, Known: f&flagKnown != 0}
		q.RequestID, q.Consumer, q.Action, q.Purpose = d.str(), d.str(), d.str(), d.str()
		q.Reasons = d.strList(f&flagReasonsNil != 0)
		q.PolicyVersions = d.strList(f&flagVersionsNil != 0)
		q.NoticeID = d.str()
		if d.err == nil {
			fn(q)
		}
	}
	return d.err
}

// skipRest reads past the rest of an inquiry, after its subject.
func (d *auditDecoder) skipRest() {
	for range 4 { // request, consumer, action, purpose
		d.uvarint()
	}
	for range 2 { // reasons, versions
		for n := d.uvarint(); n > 0 && d.err == nil; n-- {
			d.uvarint()
		}
	}
	d.uvarint() // notice
}

// notice returns notice id of block v when an inquiry of subject in the
// block names it; else nil.
func (d *auditDecoder) notice(v []byte, subject *credo.SubjectRef, id string) (*credo.AdverseNotice, error) {
	named := false
	err := d.decode(v, subject, func(q *credo.Inquiry) { named = named || q.NoticeID == id })
	if err != nil || !named || d.version < 2 {
		return nil, err
	}
	for k := d.uvarint(); k > 0 && d.err == nil; k-- {
		nid := d.str()
		b := d.bytes(d.uvarint())
		if d.err != nil || nid != id {
			continue
		}
		if d.version == 2 {
			var n credo.AdverseNotice
			if err := json.Unmarshal(b, &n); err != nil {
				return nil, fmt.Errorf("%w: notice %s: %w", errCorruptBlock, id, err)
			}
			return &n, nil
		}
		nd := auditDecoder{b: b, strs: d.strs, version: d.version}
		n := nd.decodeNotice(id)
		if nd.err == nil && len(nd.b) > 0 {
			nd.err = errCorruptBlock
		}
		if nd.err != nil {
			return nil, fmt.Errorf("notice %s: %w", id, nd.err)
		}
		return n, nil
	}
	return nil, d.err
}

// time reads a time as appendTime writes it.
func (d *auditDecoder) time() time.Time {
	sec, ns := d.varint(), d.uvarint()
	if ns >= 1e9 {
		d.err, d.b = errCorruptBlock, nil
		return time.Time{}
	}
	return time.Unix(sec, int64(ns)).UTC()
}

// byte1 reads one byte.
func (d *auditDecoder) byte1() byte {
	if b := d.bytes(1); len(b) == 1 {
		return b[0]
	}
	return 0
}

// count reads a count of items that take a byte at least each.
func (d *auditDecoder) count() uint64 {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err, d.b = errCorruptBlock, nil
		return 0
	}
	return n
}

// decodeNotice reads a notice as appendNotice writes it.
func (d *auditDecoder) decodeNotice(id string) *credo.AdverseNotice {
	n := &credo.AdverseNotice{ID: id, Time: d.time()}
	n.RequestID, n.Consumer = d.str(), d.str()
	kind := d.byte1()
	n.Subject = credo.SubjectRef{Kind: credo.SubjectKind(kind), ID: d.str()}
	n.Action, n.Object = d.str(), d.str()
	f := d.byte1()
	if c := d.count(); f&flagMeasuresNil == 0 {
		n.Measures = make([]credo.NoticeMeasure, c)
	}
	for i := range n.Measures {
		m := &n.Measures[i]
		m.Jurisdiction, m.PolicyVersion, m.Rule, m.When, m.Reason, m.Grade = d.str(), d.str(), d.str(), d.str(), d.str(), d.str()
		f := d.byte1()
		if f&flagGradeReason != 0 {
			g := &credo.GradeReason{}
			g.By, g.Band, g.Banded, g.Rule, g.Record, g.List = d.str(), d.str(), d.str(), d.str(), d.str(), d.str()
			g.Until = d.time()
			m.GradeReason = g
		}
		if c := d.count(); f&flagListsNil == 0 {
			m.Lists = make([]credo.Membership, c)
		}
		for j := range m.Lists {
			l := &m.Lists[j]
			l.List, l.Type = d.str(), d.str()
			l.Since, l.EarliestExit, l.Until = d.time(), d.time(), d.time()
			l.Record = d.str()
			l.Published = d.byte1() != 0
		}
		m.Records = d.strList(f&flagRecordsNil != 0)
		if d.err != nil {
			break
		}
	}
	return n
}

// subjects calls fn with the subject of each inquiry of block v (its id a
// view of v).
func (d *auditDecoder) subjects(v []byte, fn func(kind credo.SubjectKind, id []byte)) error {
	count, _ := d.header(v, false)
	for i := uint64(0); i < count && d.err == nil; i++ {
		d.varint()
		kf := d.bytes(2)
		if d.err != nil {
			break
		}
		id := d.bytes(d.uvarint())
		if d.err != nil {
			break
		}
		fn(credo.SubjectKind(kf[0]), id)
		d.skipRest()
	}
	return d.err
}
