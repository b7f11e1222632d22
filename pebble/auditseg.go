package pebble

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/credo-org/credo"
)

// A segment of the audit index is a file of credo's own, in
// DATA/auditindex, named by the segment's number (NNNNNNNNNNNNNNNNNNNN.seg):
// the sorted (subject, block) entries of a run of blocks, written once,
// sequentially, and read by chunks. All integers are big-endian:
//
//	header   "CREDOAIX" version(1) width(1) 0(6)
//	persons  (id number u64 ‖ block−base)…      sorted, once each, in chunks of segPersonChunk
//	others   (uvarint len ‖ kind ‖ id ‖ block−base)…  sorted by key then block, in chunks of about segOtherChunk bytes
//	fences   (first id number u64 ‖ crc32c u32)…  one a persons' chunk
//	         (offset u64 ‖ crc32c u32 ‖ uvarint len ‖ first key)…  one an others' chunk
//	footer   base u64 ‖ last u64 ‖ persons u64 ‖ others u64 ‖ others' offset u64 ‖
//	         fences' offset u64 ‖ others' chunks u64 ‖ crc32c u32
//
// A person's id of the usual shape is its number (idOrder); any other
// subject is its key, kind ‖ id. A block is stored less the segment's
// base, its lowest, in width bytes: 4 while the segment spans fewer than
// 2³² blocks (a tier-0 segment spans at most auditSegmentBlocks, and a
// merge of 32 of each tier 32 times more: 12 bytes an entry, a quarter
// less to write, read and cache than 16), else 8, so that no trail
// outgrows the format. The footer's checksum covers the header, the
// fences and the footer; each chunk's, in its fence, the chunk: a read
// checks what it reads, a chunk at a time, and an open reads no more than
// the fences, which it keeps in memory (about 1/40 of a byte an entry).
const (
	auditIndexDirName = "auditindex"
	segMagic          = "CREDOAIX"
	segVersion        = 1
	segHeaderLen      = 16
	segFooterLen      = 7*8 + 4
	segPersonChunk    = 512  // records: 6 KiB, a read's unit
	segOtherChunk     = 4096 // bytes, about
	segMaxKey         = 1 << 12
)

var errCorruptSegment = errors.New("corrupt audit index segment")

// segWidth is the bytes a block takes in a segment of blocks base to last.
func segWidth(base, last uint64) int {
	if last-base < 1<<32 {
		return 4
	}
	return 8
}

// segWriter writes a segment: its entries in order, persons first, each
// given once or more (a subject asked about twice in one block, or an
// entry of two merged segments: written once).
type segWriter struct {
	w          *bufio.Writer
	hdr        [segHeaderLen]byte
	err        error
	width      int
	base, last uint64
	off        int64 // bytes written
	chunk      []byte
	inChunk    int
	ofCRC      int    // where in of the checksum of the others' chunk being written goes
	pf, of     []byte // the fences
	persons    uint64
	others     uint64
	oChunks    uint64
	othersOff  int64
	inOthers   bool
	have       bool // prev* hold the last entry written
	prevV      uint64
	prevBlk    uint64
	prevKey    []byte
}

func newSegWriter(w io.Writer, base, last uint64) *segWriter {
	sw := &segWriter{w: bufio.NewWriterSize(w, 256<<10), width: segWidth(base, last), base: base, last: last}
	copy(sw.hdr[:], segMagic)
	sw.hdr[8], sw.hdr[9] = segVersion, byte(sw.width)
	sw.write(sw.hdr[:])
	return sw
}

func (w *segWriter) write(b []byte) {
	if w.err == nil {
		_, w.err = w.w.Write(b)
		w.off += int64(len(b))
	}
}

func (w *segWriter) appendBlock(dst []byte, blk uint64) []byte {
	if w.width == 4 {
		return binary.BigEndian.AppendUint32(dst, uint32(blk-w.base))
	}
	return binary.BigEndian.AppendUint64(dst, blk-w.base)
}

func (w *segWriter) checkBlock(blk uint64) error {
	if blk < w.base || blk > w.last {
		return fmt.Errorf("block %d outside the segment's %d to %d", blk, w.base, w.last)
	}
	return nil
}

// person adds the entry of the person whose id's number is v; entries
// come in order of v, then block.
func (w *segWriter) person(v, blk uint64) error {
	if w.have && v == w.prevV && blk == w.prevBlk {
		return nil
	}
	switch {
	case w.inOthers:
		return errors.New("a person's entry after the others'")
	case w.have && (v < w.prevV || v == w.prevV && blk < w.prevBlk):
		return fmt.Errorf("entries out of order: %d/%d after %d/%d", v, blk, w.prevV, w.prevBlk)
	}
	if err := w.checkBlock(blk); err != nil {
		return err
	}
	w.have, w.prevV, w.prevBlk = true, v, blk
	w.chunk = w.appendBlock(binary.BigEndian.AppendUint64(w.chunk, v), blk)
	w.persons++
	if w.inChunk++; w.inChunk == segPersonChunk {
		w.flushPersons()
	}
	return w.err
}

func (w *segWriter) flushPersons() {
	if w.inChunk == 0 {
		return
	}
	w.pf = binary.BigEndian.AppendUint32(append(w.pf, w.chunk[:8]...), crc32.Checksum(w.chunk, crcTable))
	w.write(w.chunk)
	w.chunk, w.inChunk = w.chunk[:0], 0
}

// startOthers ends the persons' entries.
func (w *segWriter) startOthers() {
	if !w.inOthers {
		w.flushPersons()
		w.inOthers, w.have, w.othersOff = true, false, w.off
	}
}

// other adds the entry of the subject of key kind ‖ id; entries come in
// order of key, then block, after the persons'.
func (w *segWriter) other(key []byte, blk uint64) error {
	w.startOthers()
	if w.have {
		c := bytes.Compare(key, w.prevKey)
		if c == 0 && blk == w.prevBlk {
			return nil
		}
		if c < 0 || c == 0 && blk < w.prevBlk {
			return fmt.Errorf("entries out of order: %q/%d after %q/%d", key, blk, w.prevKey, w.prevBlk)
		}
	}
	if len(key) < 2 || len(key) > segMaxKey {
		return fmt.Errorf("a subject's key of %d bytes", len(key))
	}
	if err := w.checkBlock(blk); err != nil {
		return err
	}
	w.have, w.prevKey, w.prevBlk = true, append(w.prevKey[:0], key...), blk
	if len(w.chunk) == 0 { // a chunk begins: its fence, its checksum to come
		w.ofCRC = len(w.of) + 8
		w.of = append(binary.BigEndian.AppendUint64(w.of, uint64(w.off)), 0, 0, 0, 0)
		w.of = append(binary.AppendUvarint(w.of, uint64(len(key))), key...)
	}
	w.chunk = w.appendBlock(append(binary.AppendUvarint(w.chunk, uint64(len(key))), key...), blk)
	w.others++
	if len(w.chunk) >= segOtherChunk {
		w.flushOthers()
	}
	return w.err
}

func (w *segWriter) flushOthers() {
	if len(w.chunk) == 0 {
		return
	}
	binary.BigEndian.PutUint32(w.of[w.ofCRC:], crc32.Checksum(w.chunk, crcTable))
	w.write(w.chunk)
	w.chunk = w.chunk[:0]
	w.oChunks++
}

// finish writes the fences and the footer, and flushes.
func (w *segWriter) finish() error {
	w.startOthers()
	w.flushOthers()
	fencesOff := w.off
	crc := crc32.Checksum(w.hdr[:], crcTable)
	crc = crc32.Update(crc, crcTable, w.pf)
	crc = crc32.Update(crc, crcTable, w.of)
	w.write(w.pf)
	w.write(w.of)
	f := make([]byte, 0, segFooterLen)
	for _, v := range []uint64{w.base, w.last, w.persons, w.others, uint64(w.othersOff), uint64(fencesOff), w.oChunks} {
		f = binary.BigEndian.AppendUint64(f, v)
	}
	f = binary.BigEndian.AppendUint32(f, crc32.Update(crc, crcTable, f))
	w.write(f)
	if w.err == nil {
		w.err = w.w.Flush()
	}
	return w.err
}

// segFile is an open segment: its footer and fences, and the file its
// chunks are read from.
type segFile struct {
	num        uint64
	r          io.ReaderAt
	f          *os.File // r, when a file: closed with the segment
	width      int
	base, last uint64
	persons    uint64
	others     uint64
	fencesOff  int64
	pFirst     []uint64 // each persons' chunk's first id number
	pCRC       []uint32
	oFences    []otherFence
}

// otherFence is an others' chunk's: where it begins, its checksum, its
// first key.
type otherFence struct {
	off int64
	crc uint32
	key []byte
}

func segPath(dir string, num uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%020d.seg", num))
}

// openSegFile opens segment num, the file at path.
func openSegFile(path string, num uint64) (*segFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audit index segment %d: %w", num, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit index segment %d: %w", num, err)
	}
	g, err := readSegment(f, fi.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit index segment %d: %w", num, err)
	}
	g.num, g.f = num, f
	return g, nil
}

func (g *segFile) close() error {
	if g.f == nil {
		return nil
	}
	return g.f.Close()
}

// readAt reads len(b) bytes at off.
func readAt(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func corruptSegment(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errCorruptSegment}, a...)...)
}

// readSegment reads a segment's header, fences and footer from r, of size
// bytes, and checks them.
func readSegment(r io.ReaderAt, size int64) (*segFile, error) {
	if size < segHeaderLen+segFooterLen {
		return nil, corruptSegment("%d bytes", size)
	}
	var hdr [segHeaderLen]byte
	var ft [segFooterLen]byte
	if err := errors.Join(readAt(r, hdr[:], 0), readAt(r, ft[:], size-segFooterLen)); err != nil {
		return nil, err
	}
	if string(hdr[:8]) != segMagic || hdr[8] != segVersion {
		return nil, corruptSegment("header %x", hdr[:9])
	}
	u := func(i int) uint64 { return binary.BigEndian.Uint64(ft[8*i:]) }
	g := &segFile{r: r, base: u(0), last: u(1), persons: u(2), others: u(3)}
	othersOff, fencesOff, oChunks := u(4), u(5), u(6)
	end := uint64(size - segFooterLen)
	if g.last < g.base || int(hdr[9]) != segWidth(g.base, g.last) || !bytes.Equal(hdr[10:], make([]byte, 6)) {
		return nil, corruptSegment("header %x, blocks %d to %d", hdr[8:], g.base, g.last)
	}
	g.width = int(hdr[9])
	rec := 8 + uint64(g.width)
	pChunks := (g.persons + segPersonChunk - 1) / segPersonChunk
	if g.persons > end/rec || othersOff != segHeaderLen+g.persons*rec || fencesOff < othersOff || fencesOff > end ||
		pChunks > (end-fencesOff)/12 || oChunks > (end-fencesOff)/15 || (oChunks == 0) != (g.others == 0) {
		return nil, corruptSegment("footer %x", ft[:segFooterLen-4])
	}
	fences := make([]byte, end-fencesOff)
	if err := readAt(r, fences, int64(fencesOff)); err != nil {
		return nil, err
	}
	crc := crc32.Update(crc32.Update(crc32.Checksum(hdr[:], crcTable), crcTable, fences), crcTable, ft[:segFooterLen-4])
	if want := binary.BigEndian.Uint32(ft[segFooterLen-4:]); crc != want {
		return nil, corruptSegment("checksum %08x, want %08x", crc, want)
	}
	g.fencesOff = int64(fencesOff)
	g.pFirst, g.pCRC = make([]uint64, pChunks), make([]uint32, pChunks)
	for c := range g.pFirst {
		g.pFirst[c], g.pCRC[c] = binary.BigEndian.Uint64(fences), binary.BigEndian.Uint32(fences[8:])
		fences = fences[12:]
	}
	g.oFences = make([]otherFence, 0, oChunks)
	for range oChunks {
		if len(fences) < 13 {
			return nil, corruptSegment("fences")
		}
		f := otherFence{off: int64(binary.BigEndian.Uint64(fences)), crc: binary.BigEndian.Uint32(fences[8:])}
		n, l := binary.Uvarint(fences[12:])
		fences = fences[12+max(l, 0):]
		prev := int64(othersOff) - 1
		if len(g.oFences) > 0 {
			prev = g.oFences[len(g.oFences)-1].off
		}
		if l <= 0 || n < 2 || n > segMaxKey || n > uint64(len(fences)) || f.off <= prev || f.off >= int64(fencesOff) ||
			len(g.oFences) == 0 && f.off != int64(othersOff) {
			return nil, corruptSegment("fence of the others' chunk %d", len(g.oFences))
		}
		f.key, fences = fences[:n:n], fences[n:]
		g.oFences = append(g.oFences, f)
	}
	if len(fences) != 0 || oChunks == 0 && othersOff != fencesOff {
		return nil, corruptSegment("fences")
	}
	return g, nil
}

// readChunk reads the n bytes at off into buf and checks them against crc.
func (g *segFile) readChunk(off int64, n int64, crc uint32, buf []byte) ([]byte, error) {
	buf = slices.Grow(buf[:0], int(n))[:n]
	if err := readAt(g.r, buf, off); err != nil {
		return nil, err
	}
	if c := crc32.Checksum(buf, crcTable); c != crc {
		return nil, corruptSegment("chunk at %d: checksum %08x, want %08x", off, c, crc)
	}
	return buf, nil
}

// personChunk reads persons' chunk c.
func (g *segFile) personChunk(c int, buf []byte) ([]byte, error) {
	rec := 8 + uint64(g.width)
	first := uint64(c) * segPersonChunk
	n := min(segPersonChunk, g.persons-first)
	return g.readChunk(int64(segHeaderLen+first*rec), int64(n*rec), g.pCRC[c], buf)
}

// otherChunk reads others' chunk c.
func (g *segFile) otherChunk(c int, buf []byte) ([]byte, error) {
	end := g.fencesOff
	if c+1 < len(g.oFences) {
		end = g.oFences[c+1].off
	}
	return g.readChunk(g.oFences[c].off, end-g.oFences[c].off, g.oFences[c].crc, buf)
}

// block reads the block that begins b.
func (g *segFile) block(b []byte) uint64 {
	if g.width == 4 {
		return g.base + uint64(binary.BigEndian.Uint32(b))
	}
	return g.base + binary.BigEndian.Uint64(b)
}

// nextOther reads the others' entry that begins b: its key, its block,
// and the rest of b.
func (g *segFile) nextOther(b []byte) (key []byte, blk uint64, rest []byte, err error) {
	n, l := binary.Uvarint(b)
	if l <= 0 || n > segMaxKey || uint64(len(b)-l) < n+uint64(g.width) {
		return nil, 0, nil, corruptSegment("an others' entry")
	}
	b = b[l:]
	return b[:n], g.block(b[n:]), b[n+uint64(g.width):], nil
}

// blocks calls fn with the block of each of ref's entries, in order; buf
// is room for a chunk, which it returns.
func (g *segFile) blocks(ref credo.SubjectRef, buf []byte, fn func(uint64)) ([]byte, error) {
	if ref.Kind == credo.Person {
		if v, ok := idOrder(ref.ID); ok {
			return g.personBlocks(v, buf, fn)
		}
	}
	key := append([]byte{byte(ref.Kind)}, ref.ID...)
	return g.otherBlocks(key, buf, fn)
}

// personBlocks reads the entries of v from the chunk before the first
// whose first number is v or more (its end may hold v) on.
func (g *segFile) personBlocks(v uint64, buf []byte, fn func(uint64)) ([]byte, error) {
	c, _ := slices.BinarySearch(g.pFirst, v)
	rec := 8 + g.width
	for c = max(c-1, 0); c < len(g.pFirst) && g.pFirst[c] <= v; c++ {
		var err error
		if buf, err = g.personChunk(c, buf); err != nil {
			return buf, err
		}
		for b := buf; len(b) > 0; b = b[rec:] {
			switch x := binary.BigEndian.Uint64(b); {
			case x == v:
				fn(g.block(b[8:]))
			case x > v:
				return buf, nil
			}
		}
	}
	return buf, nil
}

// otherBlocks is personBlocks for the others' key.
func (g *segFile) otherBlocks(key []byte, buf []byte, fn func(uint64)) ([]byte, error) {
	c, _ := slices.BinarySearchFunc(g.oFences, key, func(f otherFence, k []byte) int { return bytes.Compare(f.key, k) })
	for c = max(c-1, 0); c < len(g.oFences) && bytes.Compare(g.oFences[c].key, key) <= 0; c++ {
		var err error
		if buf, err = g.otherChunk(c, buf); err != nil {
			return buf, err
		}
		for b := buf; len(b) > 0; {
			k, blk, rest, err := g.nextOther(b)
			if err != nil {
				return buf, err
			}
			switch cmp := bytes.Compare(k, key); {
			case cmp == 0:
				fn(blk)
			case cmp > 0:
				return buf, nil
			}
			b = rest
		}
	}
	return buf, nil
}

// segCursor reads a segment's entries in order, a chunk at a time: the
// persons', then (after rewind) the others'.
type segCursor struct {
	g      *segFile
	others bool
	buf    []byte
	b      []byte // the rest of the chunk
	c      int    // the next chunk
	v      uint64 // the entry: a person's number, or another's key
	key    []byte
	blk    uint64
}

// next moves to the next entry; false at the end of the section.
func (c *segCursor) next() (bool, error) {
	chunks := len(c.g.pFirst)
	if c.others {
		chunks = len(c.g.oFences)
	}
	for len(c.b) == 0 {
		if c.c == chunks {
			return false, nil
		}
		var err error
		if c.others {
			c.buf, err = c.g.otherChunk(c.c, c.buf)
		} else {
			c.buf, err = c.g.personChunk(c.c, c.buf)
		}
		if err != nil {
			return false, fmt.Errorf("audit index segment %d: %w", c.g.num, err)
		}
		c.b, c.c = c.buf, c.c+1
	}
	if c.others {
		var err error
		if c.key, c.blk, c.b, err = c.g.nextOther(c.b); err != nil {
			return false, fmt.Errorf("audit index segment %d: %w", c.g.num, err)
		}
		return true, nil
	}
	c.v, c.blk, c.b = binary.BigEndian.Uint64(c.b), c.g.block(c.b[8:]), c.b[8+c.g.width:]
	return true, nil
}

// cursorHeap orders cursors by their others' entries, for a merge.
type cursorHeap []*segCursor

func (h cursorHeap) Len() int { return len(h) }
func (h cursorHeap) Less(i, j int) bool {
	if c := bytes.Compare(h[i].key, h[j].key); c != 0 {
		return c < 0
	}
	return h[i].blk < h[j].blk
}
func (h cursorHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)   { *h = append(*h, x.(*segCursor)) }
func (h *cursorHeap) Pop() any {
	c := (*h)[len(*h)-1]
	*h = (*h)[:len(*h)-1]
	return c
}

// mergeSegs writes to w the entries of segs, in order, once each: a
// k-way merge, the persons' then the others'.
func mergeSegs(w *segWriter, segs []*segFile) error {
	cs := make([]*segCursor, len(segs))
	for i, g := range segs {
		cs[i] = &segCursor{g: g}
	}
	if err := mergePersons(w, cs); err != nil {
		return err
	}
	return mergeOthers(w, cs)
}

// mergePersons merges the persons' entries: a binary heap of the cursors
// by (number, block), compared inline rather than through heap.Interface
// (a merge of 32 segments does about five sift steps an entry).
func mergePersons(w *segWriter, cs []*segCursor) error {
	type head struct {
		v, blk uint64
		c      *segCursor
	}
	h := make([]head, 0, len(cs))
	for _, c := range cs {
		ok, err := c.next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, head{c.v, c.blk, c})
		}
	}
	less := func(i, j int) bool { return h[i].v < h[j].v || h[i].v == h[j].v && h[i].blk < h[j].blk }
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			if r := l + 1; r < len(h) && less(r, l) {
				l = r
			}
			if !less(l, i) {
				return
			}
			h[i], h[l] = h[l], h[i]
			i = l
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(i)
	}
	for len(h) > 0 {
		if err := w.person(h[0].v, h[0].blk); err != nil {
			return err
		}
		c := h[0].c
		ok, err := c.next()
		switch {
		case err != nil:
			return err
		case ok:
			h[0].v, h[0].blk = c.v, c.blk
		default:
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		down(0)
	}
	return nil
}

// mergeOthers merges the others' entries, through container/heap: they
// are few.
func mergeOthers(w *segWriter, cs []*segCursor) error {
	h := make(cursorHeap, 0, len(cs))
	for _, c := range cs {
		c.others, c.b, c.c = true, nil, 0
		ok, err := c.next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, c)
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		top := h[0]
		if err := w.other(top.key, top.blk); err != nil {
			return err
		}
		ok, err := top.next()
		switch {
		case err != nil:
			return err
		case ok:
			heap.Fix(&h, 0)
		default:
			heap.Pop(&h)
		}
	}
	return nil
}

// writePending writes to w the entries of p, sorted here: persons' numbers
// by radix, which keeps the blocks' order among equal ones, the others by
// their keys, stably.
func writePending(w *segWriter, p *auditPending) error {
	base := p.after + 1
	for _, e := range radixSort(p.nums) {
		if err := w.person(e.v, base+uint64(e.blk)); err != nil {
			return err
		}
	}
	key := func(e otherEntry) []byte { return p.keys[e.off:e.end] }
	slices.SortStableFunc(p.others, func(x, y otherEntry) int { return bytes.Compare(key(x), key(y)) })
	for _, e := range p.others {
		if err := w.other(key(e), base+uint64(e.blk)); err != nil {
			return err
		}
	}
	return nil
}

// writeSegFile writes segment num in dir, of blocks base to last, as fill
// writes it: to a temporary file, synced, then renamed, and the directory
// synced, so that the segment's name never holds part of one; it returns
// the segment, opened.
func writeSegFile(dir string, num, base, last uint64, fill func(*segWriter) error) (*segFile, error) {
	path := segPath(dir, num)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, fmt.Errorf("audit index segment %d: %w", num, err)
	}
	w := newSegWriter(f, base, last)
	err = fill(w)
	if err == nil {
		err = w.finish()
	}
	if err == nil {
		err = syncData(f)
	}
	err = errors.Join(err, f.Close())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("audit index segment %d: %w", num, err)
	}
	return openSegFile(path, num)
}
