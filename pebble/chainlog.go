package pebble

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// The chain — every record's hash and canonical encoding, in sequence
// order — is kept in append-only segment files beside the engine, not in
// it: a hash chain is a log, and writing it as one costs a record one copy
// into the file and its share of one fdatasync, where the engine would
// insert it into a memtable, write it to its own log, and later compress
// and write it again as a table.
//
// A segment is two files in DATA/chain, named by the segment's first
// sequence number: NNNNNNNNNNNNNNNNNNNN.log holds the frames, one a record:
//
//	last ‖ length u32 ‖ crc32c(last ‖ length ‖ seq ‖ payload) u32 ‖ seq u64 ‖ payload
//
// with payload = hash(32) ‖ canonical encoding, all big-endian, and last
// (the top bit) set on the last record of each append: an append is kept
// whole or not at all, so a torn one is cut off whole at open. The .idx
// holds each frame's offset in the .log (u32), for reads by sequence
// number. The store writes frames, then fdatasyncs the .log before it
// acknowledges them; the .idx is written alongside and synced now and then
// (its state is then noted in the file SYNCED): at open, the part of the
// last segment above that note is checked frame by frame, and the frames a
// crash left torn or unsynced are cut off. Earlier segments were synced
// whole when the next one began.
const (
	chainDirName   = "chain"
	frameHeader    = 16
	segmentMax     = 256 << 20 // a segment's .log grows past this only by its last batch
	idxSyncEvery   = 8 << 20   // .log bytes between syncs of the .idx
	syncedFileName = "SYNCED"
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

const lastInBatch = 1 << 31

// frameSize is the payload's length, from a frame's header h.
func frameSize(h []byte) int { return int(binary.BigEndian.Uint32(h[:4]) &^ lastInBatch) }

// frameEndsBatch says whether the frame of header h ends its append.
func frameEndsBatch(h []byte) bool { return binary.BigEndian.Uint32(h[:4])&lastInBatch != 0 }

// frameCRC is the checksum a frame of header h and payload carries.
func frameCRC(h, payload []byte) uint32 {
	c := crc32.Checksum(h[:4], crcTable)
	c = crc32.Update(c, crcTable, h[8:16])
	return crc32.Update(c, crcTable, payload)
}

// A chainLog is such a log of frames, numbered from 1. The audit trail
// keeps its blocks in one too (audit.go), each a frame.
type chainLog struct {
	dir    string
	name   string // for errors: "chain", "audit log"
	segMax int64  // segmentMax; smaller in tests

	mu   sync.RWMutex // guards segs: readers look segments up, the writer adds them
	segs []*chainSegment

	// The writer's state: one writer at a time (the store's commit order).
	wmu       sync.Mutex
	end       uint64 // last sequence number written
	idxBuf    []byte
	sinceSync int64 // .log bytes written since the .idx was last synced

	// syncMu serialises fdatasyncs; synced is the last sequence number
	// known durable.
	syncMu sync.Mutex
	synced atomic.Uint64
}

type chainSegment struct {
	first    uint64
	log, idx *os.File
	size     int64         // bytes in .log (the writer's view)
	n        atomic.Uint64 // frames in the segment
}

// errorf is fmt.Errorf with the log's name before the message.
func (l *chainLog) errorf(format string, a ...any) error {
	return fmt.Errorf(l.name+": "+format, a...)
}

func segmentName(first uint64) string { return fmt.Sprintf("%020d", first) }

// openChainLog opens the chain in dir (creating it when missing), checks
// the part of its last segment that may not have been synced, and cuts off
// what a crash left torn — but never a record through floor, which was
// acknowledged: a bad frame there is damage, left for Verify to report.
func openChainLog(dir, name string, floor uint64) (*chainLog, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var firsts []uint64
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".log")
		if !ok {
			continue
		}
		first, err := strconv.ParseUint(name, 10, 64)
		if err != nil || first == 0 {
			return nil, fmt.Errorf("%s: unexpected file %s", name, e.Name())
		}
		firsts = append(firsts, first)
	}
	slices.Sort(firsts)
	l := &chainLog{dir: dir, name: name, segMax: segmentMax}
	trusted := l.readSynced()
	for i, first := range firsts {
		sg, err := l.openSegment(first, false)
		if err != nil {
			l.close()
			return nil, err
		}
		l.segs = append(l.segs, sg)
		last := i == len(firsts)-1
		if err := l.recover(sg, trusted, floor, last); err != nil {
			l.close()
			return nil, err
		}
		if n := sg.n.Load(); !last && sg.first+n != firsts[i+1] {
			l.close()
			return nil, l.errorf("segment %d holds records %d to %d, but the next begins at %d", first, sg.first, sg.first+n-1, firsts[i+1])
		}
	}
	if n := len(l.segs); n > 0 {
		last := l.segs[n-1]
		l.end = last.first + last.n.Load() - 1
	}
	l.synced.Store(l.end)
	return l, nil
}

func (l *chainLog) openSegment(first uint64, create bool) (*chainSegment, error) {
	flag := os.O_RDWR
	if create {
		flag |= os.O_CREATE | os.O_EXCL
	}
	base := filepath.Join(l.dir, segmentName(first))
	lf, err := os.OpenFile(base+".log", flag, 0o640)
	if err != nil {
		return nil, l.errorf("%w", err)
	}
	xf, err := os.OpenFile(base+".idx", flag|os.O_CREATE, 0o640)
	if err != nil {
		lf.Close()
		return nil, l.errorf("%w", err)
	}
	return &chainSegment{first: first, log: lf, idx: xf}, nil
}

// readSynced is the sequence number through which the .idx files were
// synced, as the SYNCED note says; 0 when there is none or it is unreadable
// (then every frame of the last segment is checked).
func (l *chainLog) readSynced() uint64 {
	b, err := os.ReadFile(filepath.Join(l.dir, syncedFileName))
	if err != nil || len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// recover sets sg's size and count: every frame its .idx lists up to
// trusted is taken as it is; the rest (of the last segment, or of any
// segment whose .idx was not synced, which only the last can be) are
// checked, frames the .idx misses are added to it, and whatever follows
// the last good frame is cut off, unless it holds records through floor.
func (l *chainLog) recover(sg *chainSegment, trusted, floor uint64, last bool) error {
	xi, err := sg.idx.Stat()
	if err != nil {
		return l.errorf("%w", err)
	}
	li, err := sg.log.Stat()
	if err != nil {
		return l.errorf("%w", err)
	}
	listed := uint64(xi.Size() / 4)
	if !last && trusted >= sg.first+listed-1 {
		sg.n.Store(listed)
		sg.size = li.Size()
		return nil
	}
	// The frames up to trusted need no check.
	good := uint64(0)
	if trusted >= sg.first {
		good = min(listed, trusted-sg.first+1)
	}
	var off int64
	if good > 0 {
		var b [4]byte
		if _, err := sg.idx.ReadAt(b[:], int64(good-1)*4); err != nil {
			return l.errorf("segment %d: %w", sg.first, err)
		}
		prev := int64(binary.BigEndian.Uint32(b[:]))
		var h [frameHeader]byte
		if _, err := sg.log.ReadAt(h[:], prev); err != nil {
			return l.errorf("segment %d: frame %d: %w", sg.first, sg.first+good-1, err)
		}
		off = prev + frameHeader + int64(frameSize(h[:]))
	}
	// From there on, frame by frame, in the .log itself, up to the end of
	// the last whole append.
	r := bufio.NewReaderSize(io.NewSectionReader(sg.log, off, li.Size()-off), 1<<20)
	var idx []byte
	var payload []byte
	keptIdx, keptOff := 0, off
	for n := good; ; n++ {
		var h [frameHeader]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			break // the end, or a torn header
		}
		size := frameSize(h[:])
		if binary.BigEndian.Uint64(h[8:]) != sg.first+n || int64(size) > li.Size()-off {
			break
		}
		payload = slices.Grow(payload[:0], size)[:size]
		if _, err := io.ReadFull(r, payload); err != nil {
			break
		}
		if frameCRC(h[:], payload) != binary.BigEndian.Uint32(h[4:8]) {
			break
		}
		idx = binary.BigEndian.AppendUint32(idx, uint32(off))
		off += frameHeader + int64(size)
		if frameEndsBatch(h[:]) || sg.first+n <= floor {
			keptIdx, keptOff = len(idx), off
		}
	}
	idx, off = idx[:keptIdx], keptOff
	good += uint64(len(idx) / 4)
	if _, err := sg.idx.WriteAt(idx, int64(good-uint64(len(idx)/4))*4); err != nil {
		return l.errorf("%w", err)
	}
	if (!last && (li.Size() != off || listed != good)) || sg.first+good-1 < floor {
		// Damage among acknowledged records: leave the files as they are
		// (with the index of the frames found whole), for reads to fail
		// on it and Verify to name it.
		sg.n.Store(max(listed, good))
		sg.size = li.Size()
		return nil
	}
	sg.n.Store(good)
	sg.size = off
	if err := errors.Join(sg.idx.Truncate(int64(good)*4), sg.log.Truncate(off)); err != nil {
		return l.errorf("%w", err)
	}
	return nil
}

// write appends the frames of the records first.. (frames holds them
// back to back; offs[i] is where record first+i's frame starts in it).
// The writer calls it in sequence order; nothing is synced.
func (l *chainLog) write(first uint64, frames []byte, offs []uint32) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if first != l.end+1 {
		return l.errorf("record %d written after %d", first, l.end)
	}
	sg, err := l.active(first, int64(len(frames)))
	if err != nil {
		return err
	}
	if _, err := sg.log.WriteAt(frames, sg.size); err != nil {
		return l.errorf("write records %d to %d: %w", first, first+uint64(len(offs))-1, err)
	}
	l.idxBuf = l.idxBuf[:0]
	for _, o := range offs {
		l.idxBuf = binary.BigEndian.AppendUint32(l.idxBuf, uint32(sg.size)+o)
	}
	if _, err := sg.idx.WriteAt(l.idxBuf, int64(sg.n.Load())*4); err != nil {
		return l.errorf("write records %d to %d: %w", first, first+uint64(len(offs))-1, err)
	}
	sg.size += int64(len(frames))
	sg.n.Add(uint64(len(offs)))
	l.end = first + uint64(len(offs)) - 1
	l.sinceSync += int64(len(frames))
	return nil
}

// active is the segment the next frames go to, beginning a new one when
// the current one is full (after syncing it whole) or there is none.
func (l *chainLog) active(first uint64, size int64) (*chainSegment, error) {
	l.mu.RLock()
	var sg *chainSegment
	if n := len(l.segs); n > 0 {
		sg = l.segs[n-1]
	}
	l.mu.RUnlock()
	if sg != nil && (sg.n.Load() == 0 || sg.size+size <= l.segMax) {
		return sg, nil
	}
	if sg != nil {
		// The segment whole, before the next begins: at open, only the
		// last segment is checked.
		if err := errors.Join(syncData(sg.log), syncData(sg.idx)); err != nil {
			return nil, l.errorf("sync segment %d: %w", sg.first, err)
		}
		l.noteSynced(l.end)
	}
	nsg, err := l.openSegment(first, true)
	if err != nil {
		return nil, err
	}
	if err := syncDir(l.dir); err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.segs = append(l.segs, nsg)
	l.mu.Unlock()
	return nsg, nil
}

// syncThrough makes the frames through seq durable (and whatever else was
// written by then: one fdatasync serves every batch queued behind it).
func (l *chainLog) syncThrough(seq uint64) error {
	if l.synced.Load() >= seq {
		return nil
	}
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if l.synced.Load() >= seq {
		return nil
	}
	l.wmu.Lock()
	end := l.end
	l.mu.RLock()
	sg := l.segs[len(l.segs)-1]
	l.mu.RUnlock()
	syncIdx := l.sinceSync >= idxSyncEvery
	if syncIdx {
		l.sinceSync = 0
	}
	l.wmu.Unlock()
	if err := syncData(sg.log); err != nil {
		return l.errorf("sync: %w", err)
	}
	l.noteSynced(end)
	if syncIdx {
		return l.syncIndex(sg, end)
	}
	return nil
}

// noteSynced records that the frames through end are durable.
func (l *chainLog) noteSynced(end uint64) {
	for {
		cur := l.synced.Load()
		if cur >= end || l.synced.CompareAndSwap(cur, end) {
			return
		}
	}
}

// syncIndex syncs sg's .idx and notes that everything through end is
// listed durably.
func (l *chainLog) syncIndex(sg *chainSegment, end uint64) error {
	if err := syncData(sg.idx); err != nil {
		return l.errorf("sync index: %w", err)
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], end)
	// Not synced itself: a note lost in a crash only makes the next open
	// check more frames.
	if err := os.WriteFile(filepath.Join(l.dir, syncedFileName), b[:], 0o640); err != nil {
		return l.errorf("%w", err)
	}
	return nil
}

// last is the last record written.
func (l *chainLog) last() uint64 {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return l.end
}

// segmentOf is the segment holding seq, or nil.
func (l *chainLog) segmentOf(seq uint64) *chainSegment {
	l.mu.RLock()
	defer l.mu.RUnlock()
	i, found := slices.BinarySearchFunc(l.segs, seq, func(sg *chainSegment, seq uint64) int {
		switch {
		case sg.first > seq:
			return 1
		case sg.first == seq:
			return 0
		}
		return -1
	})
	if !found {
		i--
	}
	if i < 0 {
		return nil
	}
	return l.segs[i]
}

// read returns record seq's payload (hash ‖ canonical encoding), which must
// have been written; ok is false when the chain has no such record.
func (l *chainLog) read(seq uint64) (payload []byte, ok bool, err error) {
	sg := l.segmentOf(seq)
	if sg == nil || seq == 0 {
		return nil, false, nil
	}
	var b [4]byte
	if n, err := sg.idx.ReadAt(b[:], int64(seq-sg.first)*4); n < 4 {
		if err == io.EOF {
			return nil, false, nil
		}
		return nil, false, l.errorf("record %d: %w", seq, err)
	}
	off := int64(binary.BigEndian.Uint32(b[:]))
	// One read for the header and a typical record; a second for a longer one.
	buf := make([]byte, 512)
	n, err := sg.log.ReadAt(buf, off)
	if n < frameHeader {
		return nil, false, l.errorf("record %d: short frame: %w", seq, err)
	}
	size := frameSize(buf)
	if frameHeader+size > n {
		buf = slices.Grow(buf[:n], frameHeader+size-n)[:frameHeader+size]
		if _, err := sg.log.ReadAt(buf[n:], off+int64(n)); err != nil {
			return nil, false, l.errorf("record %d: %w", seq, err)
		}
	}
	if err := checkFrame(buf[:frameHeader], buf[frameHeader:frameHeader+size], seq); err != nil {
		return nil, false, err
	}
	return buf[frameHeader : frameHeader+size], true, nil
}

// checkFrame checks that the frame of header h and payload is record
// seq's, whole.
func checkFrame(h, payload []byte, seq uint64) error {
	if got := binary.BigEndian.Uint64(h[8:16]); got != seq {
		return fmt.Errorf("record %d: the log holds record %d in its place", seq, got)
	}
	if frameCRC(h, payload) != binary.BigEndian.Uint32(h[4:8]) {
		return fmt.Errorf("record %d: checksum mismatch: the stored record was altered or damaged", seq)
	}
	return nil
}

// scan calls fn with the payload of every record from from through to, in
// order; fn may not keep the payload. An error names the record it is at
// (seq), for Verify.
func (l *chainLog) scan(from, to uint64, fn func(seq uint64, payload []byte) error) (seq uint64, err error) {
	seq = max(from, 1)
	var payload []byte
	for seq <= to {
		sg := l.segmentOf(seq)
		if sg == nil {
			return seq, l.errorf("record %d: missing", seq)
		}
		var b [4]byte
		if _, err := sg.idx.ReadAt(b[:], int64(seq-sg.first)*4); err != nil {
			return seq, l.errorf("record %d: not in the index: %w", seq, err)
		}
		off := int64(binary.BigEndian.Uint32(b[:]))
		r := bufio.NewReaderSize(io.NewSectionReader(sg.log, off, 1<<62), 1<<20)
		for ; seq <= to && seq < sg.first+sg.n.Load(); seq++ {
			var h [frameHeader]byte
			if _, err := io.ReadFull(r, h[:]); err != nil {
				return seq, fmt.Errorf("record %d: %w", seq, err)
			}
			size := frameSize(h[:])
			payload = slices.Grow(payload[:0], size)[:size]
			if _, err := io.ReadFull(r, payload); err != nil {
				return seq, fmt.Errorf("record %d: %w", seq, err)
			}
			if err := checkFrame(h[:], payload, seq); err != nil {
				return seq, err
			}
			if err := fn(seq, payload); err != nil {
				return seq, err
			}
		}
		if seq <= to && seq >= sg.first+sg.n.Load() && l.segmentOf(seq) == sg {
			return seq, l.errorf("record %d: missing", seq)
		}
	}
	return seq, nil
}

// truncateAfter cuts the chain after record seq (for records a crash kept
// from being acknowledged).
func (l *chainLog) truncateAfter(seq uint64) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.segs) > 0 {
		sg := l.segs[len(l.segs)-1]
		if sg.first <= seq || len(l.segs) == 1 {
			break
		}
		base := filepath.Join(l.dir, segmentName(sg.first))
		sg.log.Close()
		sg.idx.Close()
		if err := errors.Join(os.Remove(base+".log"), os.Remove(base+".idx")); err != nil {
			return l.errorf("%w", err)
		}
		l.segs = l.segs[:len(l.segs)-1]
	}
	if len(l.segs) == 0 {
		return nil
	}
	sg := l.segs[len(l.segs)-1]
	keep := uint64(0)
	if seq >= sg.first {
		keep = min(sg.n.Load(), seq-sg.first+1)
	}
	off := int64(0)
	if keep < sg.n.Load() {
		var b [4]byte
		if _, err := sg.idx.ReadAt(b[:], int64(keep)*4); err != nil {
			return l.errorf("%w", err)
		}
		off = int64(binary.BigEndian.Uint32(b[:]))
	} else {
		off = sg.size
	}
	if err := errors.Join(sg.log.Truncate(off), sg.idx.Truncate(int64(keep)*4)); err != nil {
		return l.errorf("%w", err)
	}
	if err := errors.Join(syncData(sg.log), syncData(sg.idx)); err != nil {
		return l.errorf("%w", err)
	}
	sg.size = off
	sg.n.Store(keep)
	l.end = sg.first + keep - 1
	l.synced.Store(l.end)
	return nil
}

// close syncs the chain's index and closes its files.
func (l *chainLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	if n := len(l.segs); n > 0 {
		sg := l.segs[n-1]
		if err := syncData(sg.log); err != nil {
			errs = append(errs, err)
		} else if err := l.syncIndex(sg, l.end); err != nil {
			errs = append(errs, err)
		}
	}
	for _, sg := range l.segs {
		errs = append(errs, sg.log.Close(), sg.idx.Close())
	}
	l.segs = nil
	return errors.Join(errs...)
}

// syncDir makes the directory's entries (new files) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// appendFrame appends record seq's frame, of payload (hash ‖ canonical
// encoding), to dst; last marks the last record of an append.
func appendFrame(dst []byte, seq uint64, payload []byte, last bool) []byte {
	var h [frameHeader]byte
	l := uint32(len(payload))
	if last {
		l |= lastInBatch
	}
	binary.BigEndian.PutUint32(h[:4], l)
	binary.BigEndian.PutUint64(h[8:], seq)
	binary.BigEndian.PutUint32(h[4:8], frameCRC(h[:], payload))
	return append(append(dst, h[:]...), payload...)
}

// errStopScan ends a scan early.
var errStopScan = errors.New("stop the scan")

// markLast marks the frame at off in frames as the last of its append.
func markLast(frames []byte, off uint32) {
	h := frames[off : off+frameHeader]
	binary.BigEndian.PutUint32(h[:4], binary.BigEndian.Uint32(h[:4])|lastInBatch)
	binary.BigEndian.PutUint32(h[4:8], frameCRC(h, frames[off+frameHeader:off+frameHeader+uint32(frameSize(h))]))
}
