package decide

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/credo-org/credo"
)

// A snapshot file holds a table as built from the stored standings, so
// that a start reads it whole (about 15 bytes a subject, read at the speed
// of the disk) instead of building it again from every standing. It is
// derived data, like the table: one that does not match is built again.
//
//	"credo-dt" (8 bytes), format (uint32), header length (uint32),
//	header, header's CRC-32C (uint32),
//	the index's keys (uint64 each), its profile numbers (uint32 each),
//	the profiles' words (uint64 each), CRC-32C of all before (uint32)
//
// where the header is the standings' version and the policy versions the
// table was made for, each uvarint length and bytes (the policies
// preceded by their count as a uvarint), the seed of organisations' keys
// (two uint64), and the numbers of subjects, slots and profiles (uvarints).
// Integers are little-endian. The header has a checksum of its own, so
// that nothing is allocated on the word of a damaged one.
const (
	snapshotMagic  = "credo-dt"
	snapshotFormat = 1
	snapshotChunk  = 1 << 20 // bytes read or written at once
)

var (
	// ErrStaleSnapshot is the error of a snapshot of other standings
	// than those stored, or of a table made for other policies.
	ErrStaleSnapshot = errors.New("decision table snapshot: of other standings or policies")
	// ErrDamagedSnapshot is the error of a snapshot that is not whole:
	// cut, changed, or not a snapshot.
	ErrDamagedSnapshot = errors.New("decision table snapshot: damaged")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// WriteSnapshot writes the table to w as the table of the stored standings
// of version (a store's StandingsVersion): it is theirs only if nothing
// but a load from them has changed it. Updates wait while it writes;
// decisions do not.
func (t *Table) WriteSnapshot(w io.Writer, version string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.snap.Load()
	J := len(t.schema.juris)
	var h []byte
	h = appendString(h, version)
	h = binary.AppendUvarint(h, uint64(J))
	for j := range t.schema.juris {
		h = appendString(h, t.schema.juris[j].version)
	}
	h = binary.LittleEndian.AppendUint64(h, s.seed.k0)
	h = binary.LittleEndian.AppendUint64(h, s.seed.k1)
	h = binary.AppendUvarint(h, uint64(s.idx.n))
	h = binary.AppendUvarint(h, uint64(len(s.idx.keys)))
	h = binary.AppendUvarint(h, uint64(len(s.words)/max(J, 1)))

	sw := &snapshotWriter{w: w, crc: crc32.New(castagnoli), buf: make([]byte, 0, snapshotChunk)}
	sw.put([]byte(snapshotMagic))
	sw.put(binary.LittleEndian.AppendUint32(nil, snapshotFormat))
	sw.put(binary.LittleEndian.AppendUint32(nil, uint32(len(h))))
	sw.put(h)
	sw.put(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(h, castagnoli)))
	for _, k := range s.idx.keys {
		sw.buf = binary.LittleEndian.AppendUint64(sw.buf, k)
		sw.flushFull()
	}
	for _, p := range s.idx.prof {
		sw.buf = binary.LittleEndian.AppendUint32(sw.buf, p)
		sw.flushFull()
	}
	for _, x := range s.words {
		sw.buf = binary.LittleEndian.AppendUint64(sw.buf, x)
		sw.flushFull()
	}
	sw.flush()
	sw.put(binary.LittleEndian.AppendUint32(nil, sw.crc.Sum32()))
	sw.flush()
	if sw.err != nil {
		return fmt.Errorf("decision table snapshot: %w", sw.err)
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// snapshotWriter writes a snapshot in chunks, summing what it writes.
type snapshotWriter struct {
	w   io.Writer
	crc hash.Hash32
	buf []byte
	err error
}

// put adds b, a part too small to be worth a chunk of its own.
func (sw *snapshotWriter) put(b []byte) {
	sw.buf = append(sw.buf, b...)
}

func (sw *snapshotWriter) flushFull() {
	if len(sw.buf)+8 > cap(sw.buf) {
		sw.flush()
	}
}

func (sw *snapshotWriter) flush() {
	if sw.err == nil && len(sw.buf) > 0 {
		sw.crc.Write(sw.buf)
		_, sw.err = sw.w.Write(sw.buf)
	}
	sw.buf = sw.buf[:0]
}

// ReadSnapshot replaces the table's contents with the snapshot r holds
// when it is a snapshot of the stored standings of version made for the
// table's policies; otherwise the table is left as it was, and the error
// says why: ErrStaleSnapshot, ErrDamagedSnapshot, or reading's. Like
// Load, Updates wait while it reads, and decisions see the old table until
// it returns.
func (t *Table) ReadSnapshot(r io.Reader, version string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	sr := &snapshotReader{r: r, crc: crc32.New(castagnoli), buf: make([]byte, snapshotChunk)}
	hd, err := t.readSnapshotHead(sr, version)
	if err != nil {
		return err
	}
	J := len(t.schema.juris)
	L := int(hd.slots)
	idx := makeSlots(L)
	idx.n = int(hd.subjects)
	words := make([]uint64, int(hd.profiles)*max(J, 1))
	readInts(sr, idx.keys)
	readInts(sr, idx.prof)
	readInts(sr, words)
	sum := sr.crc.Sum32()
	tail := sr.next(4)
	if sr.err != nil {
		return sr.fail(sr.err)
	}
	if binary.LittleEndian.Uint32(tail) != sum {
		return fmt.Errorf("%w: checksum", ErrDamagedSnapshot)
	}
	if n, err := io.ReadFull(r, make([]byte, 1)); n > 0 || err != io.EOF {
		return fmt.Errorf("%w: more after its end", ErrDamagedSnapshot)
	}
	// what a checksum cannot vouch for: that its writer was sound
	held := 0
	for i, k := range idx.keys {
		if k != 0 {
			held++
			if uint64(idx.prof[i]) >= hd.profiles {
				return fmt.Errorf("%w: slot %d has profile %d of %d", ErrDamagedSnapshot, i, idx.prof[i], hd.profiles)
			}
		}
	}
	if held != idx.n {
		return fmt.Errorf("%w: %d subjects in the index, %d in the header", ErrDamagedSnapshot, held, idx.n)
	}
	ps := profiles{J: max(J, 1), intern: newInternTable()}
	for p := range int(hd.profiles) {
		ps.number(words[p*ps.J : (p+1)*ps.J])
	}
	t.intern = ps.intern
	t.snap.Store(&snapshot{idx: idx, words: words, seed: hd.seed})
	return nil
}

// snapshotHeader is what a snapshot's header says.
type snapshotHeader struct {
	version                   string
	policies                  []string
	seed                      seed
	subjects, slots, profiles uint64
}

// readSnapshotHead reads a snapshot's header from sr and checks that it
// is of the stored standings of version, made for the table's policies,
// and of a plausible size.
func (t *Table) readSnapshotHead(sr *snapshotReader, version string) (snapshotHeader, error) {
	var none snapshotHeader
	magic := sr.next(len(snapshotMagic) + 8)
	if sr.err != nil {
		return none, sr.fail(sr.err)
	}
	if string(magic[:len(snapshotMagic)]) != snapshotMagic {
		return none, fmt.Errorf("%w: not a snapshot", ErrDamagedSnapshot)
	}
	if f := binary.LittleEndian.Uint32(magic[len(snapshotMagic):]); f != snapshotFormat {
		return none, fmt.Errorf("%w: format %d, not %d", ErrStaleSnapshot, f, snapshotFormat)
	}
	hlen := binary.LittleEndian.Uint32(magic[len(snapshotMagic)+4:])
	if hlen > snapshotChunk-4 {
		return none, fmt.Errorf("%w: a header of %d bytes", ErrDamagedSnapshot, hlen)
	}
	hb := sr.next(int(hlen) + 4)
	if sr.err != nil {
		return none, sr.fail(sr.err)
	}
	h, sum := hb[:hlen], binary.LittleEndian.Uint32(hb[hlen:])
	if crc32.Checksum(h, castagnoli) != sum {
		return none, fmt.Errorf("%w: header checksum", ErrDamagedSnapshot)
	}
	hd, err := readSnapshotHeader(h)
	if err != nil {
		return none, err
	}
	if hd.version != version {
		return none, fmt.Errorf("%w: of standings %s, not %s", ErrStaleSnapshot, hd.version, version)
	}
	J := len(t.schema.juris)
	if len(hd.policies) != J {
		return none, fmt.Errorf("%w: made for %d policies, not %d", ErrStaleSnapshot, len(hd.policies), J)
	}
	for j, p := range hd.policies {
		if p != t.schema.juris[j].version {
			return none, fmt.Errorf("%w: made for %s, not %s", ErrStaleSnapshot, p, t.schema.juris[j].version)
		}
	}
	if hd.slots < uint64(newSlotsLen(0)) || hd.subjects >= hd.slots || hd.profiles == 0 ||
		hd.slots > math.MaxInt32 || hd.profiles > math.MaxInt32/uint64(max(J, 1)) {
		return none, fmt.Errorf("%w: %d subjects, %d slots, %d profiles", ErrDamagedSnapshot, hd.subjects, hd.slots, hd.profiles)
	}
	return hd, nil
}

func readSnapshotHeader(h []byte) (snapshotHeader, error) {
	var hd snapshotHeader
	bad := fmt.Errorf("%w: header", ErrDamagedSnapshot)
	uv := func() uint64 {
		v, n := binary.Uvarint(h)
		if n <= 0 {
			h = nil
			return 0
		}
		h = h[n:]
		return v
	}
	str := func() (string, bool) {
		n := uv()
		if n > uint64(len(h)) {
			return "", false
		}
		s := string(h[:n])
		h = h[n:]
		return s, true
	}
	var ok bool
	if hd.version, ok = str(); !ok {
		return hd, bad
	}
	J := uv()
	if J > uint64(len(h)) {
		return hd, bad
	}
	for range J {
		p, ok := str()
		if !ok {
			return hd, bad
		}
		hd.policies = append(hd.policies, p)
	}
	if len(h) < 16 {
		return hd, bad
	}
	hd.seed = seed{binary.LittleEndian.Uint64(h), binary.LittleEndian.Uint64(h[8:])}
	h = h[16:]
	hd.subjects, hd.slots, hd.profiles = uv(), uv(), uv()
	if h == nil || len(h) > 0 {
		return hd, bad
	}
	return hd, nil
}

// snapshotReader reads a snapshot in chunks, summing what it reads, and
// remembers the first error.
type snapshotReader struct {
	r   io.Reader
	crc hash.Hash32
	buf []byte
	err error
}

// next reads the next n bytes (n ≤ snapshotChunk), valid until the next
// read.
func (sr *snapshotReader) next(n int) []byte {
	if sr.err != nil {
		return sr.buf[:n]
	}
	b := sr.buf[:n]
	if _, err := io.ReadFull(sr.r, b); err != nil {
		sr.err = err
	}
	sr.crc.Write(b)
	return b
}

// readInts reads dst, each a little-endian integer of its size.
func readInts[T uint32 | uint64](sr *snapshotReader, dst []T) {
	size := 4
	if ^T(0) > math.MaxUint32 {
		size = 8
	}
	for len(dst) > 0 && sr.err == nil {
		n := min(len(dst), snapshotChunk/size)
		b := sr.next(size * n)
		for i := range n {
			if size == 8 {
				dst[i] = T(binary.LittleEndian.Uint64(b[8*i:]))
			} else {
				dst[i] = T(binary.LittleEndian.Uint32(b[4*i:]))
			}
		}
		dst = dst[n:]
	}
}

// fail is the error of a read that failed: a snapshot cut short is
// damaged.
func (sr *snapshotReader) fail(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: cut short", ErrDamagedSnapshot)
	}
	return fmt.Errorf("decision table snapshot: %w", err)
}

// SaveSnapshot writes the table's snapshot (WriteSnapshot) to the file at
// path, whole or not at all: to a file beside it, then renamed over it.
// It is not synced: a snapshot a crash cuts is damaged, found so by its
// checksum, and built again.
func (t *Table) SaveSnapshot(path, version string) (err error) {
	dir, base := filepath.Split(path)
	// what an earlier save left when it was cut short
	if old, _ := filepath.Glob(filepath.Join(dir, base+".tmp-*")); len(old) > 0 {
		for _, o := range old {
			os.Remove(o)
		}
	}
	f, err := os.CreateTemp(dir, base+".tmp-*")
	if err != nil {
		return fmt.Errorf("decision table snapshot: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := t.WriteSnapshot(f, version); err != nil { // in chunks of its own: no buffer needed
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("decision table snapshot: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("decision table snapshot: %w", err)
	}
	return nil
}

// LoadSnapshot is ReadSnapshot of the file at path; a missing file is an
// error wrapping fs.ErrNotExist.
func (t *Table) LoadSnapshot(path, version string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("decision table snapshot: %w", err)
	}
	defer f.Close()
	return t.ReadSnapshot(f, version)
}

// SnapshotCurrent reports whether the snapshot at path is of the stored
// standings of version, made for the table's policies, reading its header
// only: a snapshot that is current need not be read or saved again.
func (t *Table) SnapshotCurrent(path, version string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = t.readSnapshotHead(&snapshotReader{r: f, crc: crc32.New(castagnoli), buf: make([]byte, snapshotChunk)}, version)
	return err == nil
}

// VersionedStandings is a store of standings that names each state of its
// standings: the version changes whenever a standing is stored, and only
// then (package pebble).
type VersionedStandings interface {
	StandingsVersion(ctx context.Context) (string, error)
}

// LoadStandingsSnapshot replaces the table's contents with every standing
// stored in s, as LoadStandings does, through the snapshot at path: when
// it is the table of the standings s holds now, made for the table's
// policies, it is read instead; otherwise (missing, stale, damaged: a log
// line says which) the table is built from the standings, and saved there
// for the next start. It reports whether the table came from the
// snapshot. A snapshot that cannot be saved is logged, not an error. Call
// it before anything updates the table: the snapshot saved is the table
// as it is then, which must be the standings'.
func (t *Table) LoadStandingsSnapshot(ctx context.Context, logger *slog.Logger, s credo.Standings, path string) (bool, error) {
	vs, ok := s.(VersionedStandings)
	if !ok {
		return false, t.LoadStandings(ctx, s)
	}
	version, err := vs.StandingsVersion(ctx)
	if err != nil {
		return false, err
	}
	t0 := time.Now()
	err = t.LoadSnapshot(path, version)
	switch {
	case err == nil:
		logger.Info("decision table: read from its snapshot", slog.String("path", path), slog.Int("subjects", t.Len()), slog.Duration("took", time.Since(t0)))
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		logger.Info("decision table: no snapshot; building it from the stored standings", slog.String("path", path))
	case errors.Is(err, ErrStaleSnapshot):
		logger.Info("decision table: the snapshot is not of the stored standings or of these policies; building it from the standings", slog.String("path", path), slog.Any("reason", err))
	default:
		logger.Warn("decision table: the snapshot cannot be read; building it from the stored standings", slog.String("path", path), slog.Any("err", err))
	}
	if err := t.LoadStandings(ctx, s); err != nil {
		return false, err
	}
	// The snapshot is of version only if nothing was stored meanwhile.
	if now, err := vs.StandingsVersion(ctx); err != nil || now != version {
		logger.Info("decision table: standings stored while it was built; no snapshot saved", slog.Any("err", err))
		return false, nil
	}
	t1 := time.Now()
	if err := t.SaveSnapshot(path, version); err != nil {
		logger.Warn("decision table: snapshot not saved", slog.String("path", path), slog.Any("err", err))
		return false, nil
	}
	logger.Info("decision table: snapshot saved", slog.String("path", path), slog.Duration("took", time.Since(t1)))
	return false, nil
}
