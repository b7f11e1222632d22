// Package pebble is credo's embedded Store: the ledger and its indexes in
// one data directory, on the Pebble LSM engine, with no server to install.
// It is the default backend, for a laptop, a demo or a small city.
package pebble

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"iter"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/sstable"

	"github.com/credo-org/credo"
)

// FormatVersion is the on-disk layout this build writes. A directory with a
// newer version is refused rather than misread.
//
// Format 3 keeps the per-record index entries in an engine of their own,
// written by the indexer (tail.go, indexer.go); opening an older directory
// indexes its chain anew there and drops the old entries. Format 4 keeps
// the chain in segment files of its own (chainlog.go); opening an older
// directory moves its chain there from the engine. Format 5 keeps the
// audit trail's blocks in a log of their own too (audit.go); opening an
// older directory moves them there and indexes them anew. Format 6 writes
// the adverse-action notices into the blocks of their inquiries (block
// version 2) rather than into the ledger engine, where those of older
// directories stay and are read. Format 7 keeps the audit index's segments
// in files of credo's own (DATA/auditindex, auditseg.go) rather than as
// tables of the index engine; opening an older directory deletes those
// tables and the watermark, and the index is built again from the log.
// Format 8 writes the notices with the strings of their block's table
// (block version 3) rather than as JSON; blocks of version 2 still read.
const FormatVersion = 8

const markerName = "CREDO"

// ErrInUse is the error of Open when another process holds the data
// directory (credo serve, say).
var ErrInUse = errors.New("in use by another process")

// Options tune a Store. The zero value is the production setting.
type Options struct {
	// NoSync skips the fsync on each append. Only for benchmarks of the
	// engine itself: a crash may then lose acknowledged records.
	NoSync bool
	// Now is the clock used for RecordedAt; time.Now when nil.
	Now func() time.Time
	// Logger receives the engine's background errors; discarded when nil.
	Logger *slog.Logger
	// IndexSegmentRecords is how many records' index entries are gathered
	// in memory before they are written to the engine as one segment
	// (tail.go); 65536 when 0. Tests set it small.
	IndexSegmentRecords int
}

// Store is the embedded credo.Store.
//
// Appends are pipelined: a batch is built under mu and its records are
// written to the chain; then mu is released while the chain is synced, so
// that the next caller can build its batch during the sync (one fdatasync
// serves every batch queued behind it). Once the chain is synced, the
// batch's entries in the engine (head and counters, postings, resolutions)
// are applied, in the order the batches were built. Append returns only
// then; Head and Counts report that state.
//
// The chain is the truth: the engine's entries are not synced on every
// batch (every few megabytes of records, and for resolutions), and the
// records a crash leaves in the chain above the engine's head are appended
// again from it when the store opens (recoverChain).
type Store struct {
	dir   string
	chain *chainLog  // the records (chainlog.go)
	db    *pebble.DB // the chain's head and counters, postings, resolutions, working state
	popts *pebble.Options
	// idx holds the per-record index entries (K, S, E) and the index
	// watermark, apart from the chain: its tables, which land anywhere in
	// the key space, are then never compacted together with the chain's,
	// which grow at the end and move down the tree without being rewritten.
	idx     *pebble.DB
	idxOpts *pebble.Options
	opts    Options
	wo      *pebble.WriteOptions

	// deferred holds the index entries not yet in the engine, which the
	// indexer goroutine writes (tail.go, indexer.go); indexerDone is closed
	// when it has stopped.
	deferred    *tail
	indexerDone chan struct{}
	// subjectSeed hashes the subjects that are not persons with a
	// resident identity number, for the subject set.
	subjectSeed maphash.Seed
	// resolveMu serialises Resolve calls; hasAssignments and hasMerges say
	// whether the store holds any (resolution.go), so that reads of a
	// store without them pay nothing for them.
	resolveMu      sync.Mutex
	reviewMu       sync.Mutex  // serialises the review queue's read-modify-writes
	auditMu        sync.Mutex  // AppendAudit calls take turns (audit.go)
	audit          auditWriter // under auditMu
	auditLog       *chainLog   // the audit trail's blocks (audit.go)
	auditIndexMu   sync.Mutex  // indexAudit calls take turns
	auditIdx       auditIndex  // the audit index's live segments (audit.go)
	projectionMu   sync.Mutex  // ExtendProjection calls take turns
	hasAssignments atomic.Bool
	hasMerges      atomic.Bool
	// syncedSeq is the last sequence number synced: reads yield nothing
	// above it, so that no one reads a record a crash could still take
	// back (the engine and the tail hold a batch from when it is applied).
	syncedSeq atomic.Uint64

	mu sync.Mutex // serialises building and applying batches: the chain is one line
	// Under mu: the end of the chain and the counts after every applied
	// batch, synced or not, which the next batch builds on.
	tail       credo.Head
	tailCounts credo.Counts
	// subjects and ids are loaded on the first append; nil until then.
	subjects *subjectSet
	ids      *idFilter
	scratch  appendScratch
	applied  chan struct{} // closed when the last batch built has been written to the chain (or has failed)
	// engineDone is closed when the last batch built has been applied to
	// the engine (or has failed): each batch applies after the one before.
	engineDone chan struct{}
	// unsynced is how many bytes of records the batches applied to the
	// engine without a sync hold; under the order of engineDone.
	unsynced     int
	chainBatches sync.Pool // of *chainBatch

	state    sync.Mutex // guards what follows: the synced state
	head     credo.Head
	counts   credo.Counts
	failed   error          // set when a write failed half-way; the store then refuses appends
	inflight sync.WaitGroup // batches being applied or synced
	synced   sync.Cond      // on state: head moved or failed was set
}

var _ credo.Store = (*Store)(nil)

// EngineOptions returns the Pebble options Open uses, so that a benchmark
// can run the bare engine on the same terms as the store.
func EngineOptions() *pebble.Options { return engineOptions(nil) }

func engineOptions(logger *slog.Logger) *pebble.Options {
	popts := &pebble.Options{
		// 32 MB memtables: an ingest of any size stays well under 300 MB
		// resident (with 64 MB it reached 305 MB at a million rows).
		MemTableSize:                32 << 20,
		CacheSize:                   256 << 20,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       24,
		Logger:                      engineLogger{logger},
	}
	popts.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	popts.Experimental.SpanPolicyFunc = tableSpans
	if tuneEngine != nil {
		tuneEngine(popts)
	}
	popts.EnsureDefaults()
	return popts
}

// tuneEngine, when set (by tests), adjusts the engine options before Open.
var tuneEngine func(*pebble.Options)

// Open opens (creating if needed) the data directory dir.
func Open(dir string, o *Options) (*Store, error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	format, err := prepareDir(dir)
	if err != nil {
		return nil, err
	}
	if err := prepareIngestDir(dir); err != nil {
		return nil, fmt.Errorf("open data directory %s: %w", dir, err)
	}
	// One block cache for both engines.
	cache := pebble.NewCache(256 << 20)
	defer cache.Unref()
	popts := engineOptions(opts.Logger)
	popts.Cache = cache
	db, err := pebble.Open(filepath.Join(dir, "ledger"), popts)
	if err != nil {
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) || strings.Contains(err.Error(), "lock") {
			return nil, fmt.Errorf("data directory %s is %w: %w", dir, ErrInUse, err)
		}
		return nil, fmt.Errorf("open data directory %s: %w", dir, err)
	}
	idxOpts := engineOptions(opts.Logger)
	idxOpts.Cache = cache
	idxOpts.MemTableSize = 4 << 20 // it holds the watermark only: the entries come as tables
	// Its tables come whole from the indexer and overlap one another (the
	// subjects are everywhere in the key space): merging them less often
	// rewrites the level below less often.
	idxOpts.L0CompactionThreshold = 16
	idxOpts.L0StopWritesThreshold = 64
	// Short keys that share long prefixes, which the blocks' own prefix
	// compression takes: block compression would cost CPU for little.
	for i := range idxOpts.Levels {
		idxOpts.Levels[i].Compression = func() *sstable.CompressionProfile { return sstable.NoCompression }
	}
	idx, err := pebble.Open(filepath.Join(dir, "index"), idxOpts)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open data directory %s: index: %w", dir, err)
	}
	closeBoth := func() { idx.Close(); db.Close() }
	s := &Store{dir: dir, db: db, popts: popts, idx: idx, idxOpts: idxOpts, opts: opts, wo: pebble.Sync,
		deferred: newTail(opts.IndexSegmentRecords), indexerDone: make(chan struct{}), subjectSeed: maphash.MakeSeed()}
	s.scratch.inBatch = map[string]int{}
	s.applied = make(chan struct{})
	close(s.applied)
	s.engineDone = s.applied
	s.synced.L = &s.state
	if opts.NoSync {
		s.wo = pebble.NoSync
	}
	if err := s.load(); err != nil {
		closeBoth()
		return nil, fmt.Errorf("open data directory %s: %w", dir, err)
	}
	if err := s.ensureStandingsVersion(); err != nil {
		closeBoth()
		return nil, fmt.Errorf("open data directory %s: %w", dir, err)
	}
	// The records through the head were acknowledged: the chain keeps them
	// whatever it finds (but a chain being moved out of the engine of an
	// older directory is only a copy until the move ends).
	floor := s.head.Seq
	if format < 4 {
		floor = 0
	}
	if s.chain, err = openChainLog(filepath.Join(dir, chainDirName), "chain", floor); err != nil {
		closeBoth()
		return nil, fmt.Errorf("open data directory %s: %w", dir, err)
	}
	if s.auditLog, err = openChainLog(filepath.Join(dir, auditDirName), "audit log", 0); err != nil {
		s.chain.close()
		closeBoth()
		return nil, fmt.Errorf("open data directory %s: %w", dir, err)
	}
	closeBoth = func() { s.auditLog.close(); s.chain.close(); idx.Close(); db.Close() }
	if format < 5 {
		if err := s.moveAudit(); err != nil {
			closeBoth()
			return nil, fmt.Errorf("open data directory %s: %w", dir, err)
		}
	}
	if format < 7 { // the index's segments were the engine's tables
		if err := s.dropAuditIndex(); err != nil {
			closeBoth()
			return nil, fmt.Errorf("open data directory %s: %w", dir, err)
		}
	}
	if err := s.openAuditIndex(); err != nil {
		closeBoth()
		return nil, fmt.Errorf("open data directory %s: %w", dir, err)
	}
	closeBoth = func() { s.closeAuditIndex(); s.auditLog.close(); s.chain.close(); idx.Close(); db.Close() }
	if format < 4 {
		if err := s.moveChain(); err != nil {
			closeBoth()
			return nil, fmt.Errorf("open data directory %s: %w", dir, err)
		}
	}
	again, err := s.recoverChain()
	if err != nil {
		closeBoth()
		return nil, fmt.Errorf("open data directory %s: %w", dir, err)
	}
	s.syncedSeq.Store(s.head.Seq)
	if err := s.loadResolutionFlags(); err != nil {
		closeBoth()
		return nil, fmt.Errorf("open data directory %s: %w", dir, err)
	}
	if err := s.catchUp(context.Background()); err != nil {
		closeBoth()
		return nil, fmt.Errorf("open data directory %s: %w", dir, err)
	}
	if format < 3 {
		if err := s.dropOldIndex(); err != nil {
			closeBoth()
			return nil, fmt.Errorf("open data directory %s: %w", dir, err)
		}
	}
	if err := writeMarker(dir); err != nil {
		closeBoth()
		return nil, err
	}
	go s.runIndexer()
	if len(again) > 0 {
		first := s.head.Seq + 1
		res, err := s.Append(context.Background(), again)
		if err == nil {
			for i, r := range res {
				if r.Status != credo.Appended || r.Seq != first+uint64(i) {
					err = fmt.Errorf("record %d came back as %s %d", first+uint64(i), r.Status, r.Seq)
					break
				}
			}
		}
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("open data directory %s: append again the records above the head: %w", dir, err)
		}
	}
	return s, nil
}

// prepareDir makes sure dir is a credo data directory of a version this
// build understands, creating it when it does not exist or is empty.
// It returns the directory's format (FormatVersion for a new one).
func prepareDir(dir string) (int, error) {
	marker := filepath.Join(dir, markerName)
	b, err := os.ReadFile(marker)
	switch {
	case err == nil:
		v, perr := parseMarker(b)
		if perr != nil {
			return 0, fmt.Errorf("data directory %s: %s: %w", dir, markerName, perr)
		}
		if v > FormatVersion {
			return 0, fmt.Errorf("data directory %s was written by a newer credo (format %d; this build reads format %d): upgrade credo", dir, v, FormatVersion)
		}
		return v, nil
	case !errors.Is(err, fs.ErrNotExist):
		return 0, fmt.Errorf("data directory %s: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return 0, fmt.Errorf("create data directory %s: %w", dir, err)
		}
	case err != nil:
		return 0, fmt.Errorf("data directory %s: %w", dir, err)
	case len(entries) > 0:
		return 0, fmt.Errorf("%s is not a credo data directory (it is not empty and has no %s file); choose another --data directory", dir, markerName)
	}
	return FormatVersion, writeMarker(dir)
}

// writeMarker marks dir as a credo data directory of this build's format.
func writeMarker(dir string) error {
	marker := filepath.Join(dir, markerName)
	content := fmt.Sprintf("credo data directory\nformat %d\n", FormatVersion)
	if b, err := os.ReadFile(marker); err == nil && string(b) == content {
		return nil
	}
	if err := os.WriteFile(marker, []byte(content), 0o640); err != nil {
		return fmt.Errorf("mark data directory %s: %w", dir, err)
	}
	return nil
}

func parseMarker(b []byte) (int, error) {
	lines := strings.Split(string(b), "\n")
	if len(lines) < 2 || lines[0] != "credo data directory" || !strings.HasPrefix(lines[1], "format ") {
		return 0, errors.New("not a credo marker file")
	}
	v, err := strconv.Atoi(strings.TrimPrefix(lines[1], "format "))
	if err != nil {
		return 0, fmt.Errorf("bad format line %q", lines[1])
	}
	return v, nil
}

// load reads the head and counters written by the last append.
func (s *Store) load() error {
	s.counts = credo.Counts{BySource: map[string]int64{}, ByKind: map[string]int64{}}
	s.tailCounts = s.counts
	var cv []byte
	k, v, err := s.lastMeta()
	switch {
	case err != nil:
		return err
	case k == nil:
		return nil // a new ledger
	case len(k) == len(metaPrefix)+8 && len(v) >= 32:
		s.head.Seq = binary.BigEndian.Uint64(k[len(metaPrefix):])
		copy(s.head.Hash[:], v)
		cv = v[32:]
	case len(v) == 40: // format 1 and 2: seq ‖ hash, and the counters apart
		s.head.Seq = binary.BigEndian.Uint64(v)
		copy(s.head.Hash[:], v[8:])
		c, closer, err := s.db.Get(legacyCounts)
		if err != nil {
			return fmt.Errorf("read counts: %w", err)
		}
		cv = bytes.Clone(c)
		closer.Close()
	default:
		return fmt.Errorf("corrupt head %x (%d bytes)", k, len(v))
	}
	if err := json.Unmarshal(cv, &s.counts); err != nil {
		return fmt.Errorf("corrupt counts: %w", err)
	}
	if s.counts.BySource == nil {
		s.counts.BySource = map[string]int64{}
	}
	if s.counts.ByKind == nil {
		s.counts.ByKind = map[string]int64{}
	}
	s.tail, s.tailCounts = s.head, s.counts
	return nil
}

// lastMeta returns the last batch's head-and-counters key and value
// (copies), or format 1 and 2's "Mhead", or nils for a new ledger.
func (s *Store) lastMeta() (k, v []byte, err error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: metaPrefix, UpperBound: prefixEnd(metaPrefix)})
	if err != nil {
		return nil, nil, err
	}
	if it.Last() {
		k, v = bytes.Clone(it.Key()), bytes.Clone(it.Value())
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return nil, nil, err
	}
	if k != nil {
		return k, v, nil
	}
	lv, closer, err := s.db.Get(legacyHead)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer closer.Close()
	return legacyHead, bytes.Clone(lv), nil
}

// Dir is the data directory.
func (s *Store) Dir() string { return s.dir }

// Close flushes and closes the store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return nil
	}
	s.inflight.Wait()
	// The indexer writes what the tail holds, unless the store failed (the
	// next Open indexes it from the chain).
	s.deferred.seal()
	close(s.deferred.sealed)
	<-s.indexerDone
	err := errors.Join(s.closeAuditIndex(), s.idx.Close(), s.db.Close(), s.chain.close(), s.auditLog.close())
	s.db = nil
	if err != nil {
		return fmt.Errorf("close data directory %s: %w", s.dir, err)
	}
	return nil
}

// Append implements credo.Ledger.
//
// Three callers can be at work at once: one building its batch (under mu),
// one applying its batch to the engine (in the order the batches were
// built: each waits for the one before), and any number waiting for their
// batches to be synced, which the engine does for several at a time.
func (s *Store) Append(ctx context.Context, recs []*credo.Record) ([]credo.AppendResult, error) {
	return s.append(ctx, recs, nil)
}

// append appends recs; ops, for a Resolve call, are the state changes
// written in the same batch. Without ops, records of the resolution source
// are refused: only Resolve writes them.
func (s *Store) append(ctx context.Context, recs []*credo.Record, ops *resolutionOps) ([]credo.AppendResult, error) {
	return s.start(ctx, recs, ops)()
}

// AppendAsync implements credo.AsyncAppender: it returns once the batch is
// applied (a later call comes after it in the ledger), and its wait
// function once the batch is durable. Every wait must be called.
func (s *Store) AppendAsync(ctx context.Context, recs []*credo.Record) func() ([]credo.AppendResult, error) {
	return s.start(ctx, recs, nil)
}

// start builds the batch that appends recs and writes its records to the
// chain; the function it returns waits for them to be synced, applies the
// batch's entries to the engine and gives the results.
func (s *Store) start(ctx context.Context, recs []*credo.Record, ops *resolutionOps) func() ([]credo.AppendResult, error) {
	failed := func(err error) func() ([]credo.AppendResult, error) {
		return func() ([]credo.AppendResult, error) { return nil, err }
	}
	if err := ctx.Err(); err != nil {
		return failed(err)
	}
	res := make([]credo.AppendResult, len(recs))
	p := prepare(recs, s.opts.Now().UTC(), s.subjectSeed)
	s.mu.Lock()
	if s.db == nil {
		s.mu.Unlock()
		p.release()
		return failed(errors.New("append: store is closed"))
	}
	if err := s.failure(); err != nil {
		s.mu.Unlock()
		p.release()
		return failed(fmt.Errorf("append: store failed earlier, reopen it: %w", err))
	}
	prev := s.applied
	b, cb, head, counts, err := s.build(ctx, recs, p, ops, res, prev)
	p.release()
	if err != nil {
		s.mu.Unlock()
		return failed(err)
	}
	if b == nil {
		// Nothing new; but the duplicates found may be in batches still
		// being synced.
		tail := s.tail.Seq
		s.mu.Unlock()
		return func() ([]credo.AppendResult, error) {
			for _, r := range res {
				if r.Seq != 0 {
					return res, s.waitSynced(tail)
				}
			}
			return res, nil
		}
	}
	written, applied := make(chan struct{}), make(chan struct{})
	prevApplied := s.engineDone
	s.applied, s.engineDone = written, applied
	s.tail, s.tailCounts = head, counts
	s.inflight.Add(1)
	s.mu.Unlock()

	abort := func(err error) func() ([]credo.AppendResult, error) {
		err = s.commitFailed(recs, res, err)
		b.Close()
		go func() { // in order, after the batches before
			<-prevApplied
			close(applied)
			s.inflight.Done()
		}()
		return failed(err)
	}
	<-prev
	if err := s.failure(); err != nil {
		close(written)
		return abort(err)
	}
	err = s.chain.write(cb.first, cb.frames, cb.offs)
	frameBytes := len(cb.frames)
	cb.release()
	if err != nil {
		close(written)
		return abort(fmt.Errorf("append %d records to %s: %w", len(recs), s.dir, err))
	}
	close(written)
	// The sync and the engine's part go on without the caller, so that
	// waits may be called in any order.
	var commitErr error
	go func() {
		defer close(applied)
		if !s.opts.NoSync {
			commitErr = s.chain.syncThrough(head.Seq)
		}
		<-prevApplied
		if commitErr == nil {
			commitErr = s.failure()
		}
		if commitErr == nil {
			// The engine's entries are synced now and then, and with every
			// resolution (its state is not written again from the chain):
			// the chain above the engine's synced head is appended again at
			// open, and that stays short.
			wo := pebble.NoSync
			s.unsynced += frameBytes
			if !s.opts.NoSync && (ops != nil || s.unsynced >= engineSyncEvery) {
				wo, s.unsynced = pebble.Sync, 0
			}
			commitErr = commit(b, wo)
		}
		b.Close()
		if commitErr != nil {
			commitErr = s.commitFailed(recs, res, commitErr)
			return
		}
		s.state.Lock()
		s.head, s.counts = head, counts
		s.syncedSeq.Store(head.Seq)
		s.synced.Broadcast()
		s.state.Unlock()
	}()
	return func() ([]credo.AppendResult, error) {
		<-applied
		s.inflight.Done()
		if commitErr != nil {
			return nil, commitErr
		}
		return res, nil
	}
}

// engineSyncEvery is how many bytes of records the engine's entries may
// lag behind the chain's sync: what a crash may leave to append again.
const engineSyncEvery = 8 << 20

// waitSynced waits until the ledger is synced up to seq.
func (s *Store) waitSynced(seq uint64) error {
	s.state.Lock()
	defer s.state.Unlock()
	for s.head.Seq < seq && s.failed == nil {
		s.synced.Wait()
	}
	if s.head.Seq < seq {
		return fmt.Errorf("append: %w", s.failed)
	}
	return nil
}

func (s *Store) failure() error {
	s.state.Lock()
	defer s.state.Unlock()
	return s.failed
}

// commitFailed handles a batch that may or may not have reached the log.
// Both are consistent states of the ledger, but this process no longer
// knows which: it refuses further appends until the store is reopened.
func (s *Store) commitFailed(recs []*credo.Record, res []credo.AppendResult, err error) error {
	s.state.Lock()
	if s.failed == nil {
		s.failed = err
	}
	s.synced.Broadcast()
	s.state.Unlock()
	for i := range res {
		if res[i].Status == credo.Appended {
			recs[i].Seq, recs[i].ID, recs[i].Hash = 0, "", [32]byte{}
		}
	}
	return fmt.Errorf("append %d records to %s: %w", len(recs), s.dir, err)
}

// appendScratch is the memory Append reuses from one batch to the next.
type appendScratch struct {
	inBatch map[string]int // ids of this batch, for duplicates within one call
	kbuf    []byte
	// The batch's writes, one list a table, each added to the engine's batch
	// in key order: the memtable inserts a run of ordered keys faster.
	sources, unresolved entries
	// The batch's index entries, for the tail.
	index batchEntries
	// The batch's records of each source and its unresolved records, each
	// written as one posting key.
	postings          []posting
	unresolvedPosting posting
}

// sourcePosting returns the batch's posting of source.
func (sc *appendScratch) sourcePosting(source string) *posting {
	for i := range sc.postings {
		if sc.postings[i].source == source {
			return &sc.postings[i]
		}
	}
	if len(sc.postings) < cap(sc.postings) {
		sc.postings = sc.postings[:len(sc.postings)+1]
	} else {
		sc.postings = append(sc.postings, posting{})
	}
	p := &sc.postings[len(sc.postings)-1]
	p.reset(source)
	return p
}

// build makes the batch that appends recs, filling res. It returns a nil
// batch when there is nothing to write. s.mu is held.
//
// The batches built before may not all be applied yet: prev is closed when
// they are, and build waits for it before it reads the store.
func (s *Store) build(ctx context.Context, recs []*credo.Record, p *prepared, ops *resolutionOps, res []credo.AppendResult, prev <-chan struct{}) (*pebble.Batch, *chainBatch, credo.Head, credo.Counts, error) {
	if s.subjects == nil {
		<-prev
		if err := s.loadSubjects(ctx); err != nil {
			return nil, nil, credo.Head{}, credo.Counts{}, fmt.Errorf("append: %w", err)
		}
		s.ids = newIDFilter(s.idx, s.deferred)
	}
	sc := &s.scratch
	clear(sc.inBatch)
	sc.postings = sc.postings[:0]
	sc.unresolvedPosting.reset("")
	for _, e := range []*entries{&sc.sources, &sc.unresolved} {
		e.reset()
	}
	sc.index.reset()
	s.ids.begin(prev)
	head := s.tail
	counts := countsDelta{}
	var added []credo.SubjectRef // subjects new in this batch, to forget if it is not applied
	// The chain's records go straight into their frames (one copy); the
	// engine's batch holds the rest.
	size := 0
	for _, enc := range p.encs {
		size += frameHeader + len(enc) - 8
	}
	cb := newChainBatch(&s.chainBatches, head.Seq+1, size, len(recs))
	b := s.db.NewBatch()
	ok := false
	defer func() {
		if !ok {
			b.Close()
			for _, ref := range added {
				s.subjects.remove(ref)
			}
		}
	}()
	kbuf := sc.kbuf[:0]
	if cap(kbuf) < 256 {
		kbuf = make([]byte, 0, 256)
	}
	var inBatch map[string]int // the batch's ids so far, once needed
	for i, r := range recs {
		if err := p.errs[i]; err != nil {
			res[i] = credo.AppendResult{Status: credo.Rejected, Err: err}
			continue
		}
		if ops == nil && r.Source == credo.ResolutionSource {
			res[i] = credo.AppendResult{Status: credo.Rejected, Err: fmt.Errorf("%w: source %q is credo's own (its resolutions); no agency may send records under it", credo.ErrInvalid, r.Source)}
			continue
		}
		id := p.ids[i]
		maybe, err := s.ids.mayExist(r.Source, r.SourceRecordID)
		if err != nil {
			return nil, nil, head, credo.Counts{}, fmt.Errorf("append record %d (%s/%s): %w", i, r.Source, r.SourceRecordID, err)
		}
		if maybe {
			// A repeat within this call is in the filter too (its first
			// occurrence was added to it), so the batch's own ids need
			// looking at only now; the map of them is made on first need.
			if len(recs) > 1 {
				if inBatch == nil {
					inBatch = sc.inBatch
					for j := range i {
						if res[j].Status == credo.Appended {
							inBatch[res[j].ID] = j
						}
					}
				}
				if j, ok := inBatch[id]; ok {
					// both encodings are at hand: the hash written into
					// j's header leaves its canonical bytes as they were
					same, err := credo.SameEncodedPayload(p.encs[j][chainHeader:], p.encs[i][chainHeader:])
					if err != nil {
						return nil, nil, head, credo.Counts{}, fmt.Errorf("append record %d (%s/%s): against record %d of the batch: %w", i, r.Source, r.SourceRecordID, j, err)
					}
					res[i] = s.classify(same, r, id, recs[j].Seq)
					continue
				}
			}
			<-prev
			kbuf = idKey(kbuf[:0], r.Source, r.SourceRecordID)
			existing, err := s.lookupID(kbuf, math.MaxUint64)
			if err != nil {
				return nil, nil, head, credo.Counts{}, fmt.Errorf("append record %d (%s/%s): %w", i, r.Source, r.SourceRecordID, err)
			}
			if existing != 0 {
				// Compared as encoded, the stored record against the
				// prepared one: a re-sent file is mostly such rows, and
				// decoding each would cost more than the rest.
				v, ok, err := s.chain.read(existing)
				if err == nil && (!ok || len(v) < 32) {
					err = fmt.Errorf("record %d: %w", existing, credo.ErrNotFound)
				}
				var same bool
				if err == nil {
					same, err = credo.SameEncodedPayload(v[32:], p.encs[i][chainHeader:])
				}
				if err != nil {
					return nil, nil, head, credo.Counts{}, fmt.Errorf("append record %d (%s/%s): read existing record %d: %w", i, r.Source, r.SourceRecordID, existing, err)
				}
				res[i] = s.classify(same, r, id, existing)
				continue
			}
		}
		head.Seq++
		r.Seq, r.ID = head.Seq, id

		// The chain: hash = SHA-256(previous hash ‖ seq ‖ canonical), as
		// credo.ChainHash, computed in place in the prepared encoding;
		// the value is hash ‖ canonical.
		enc := p.encs[i]
		copy(enc, head.Hash[:])
		binary.BigEndian.PutUint64(enc[32:chainHeader], head.Seq)
		r.Hash = sha256.Sum256(enc)
		head.Hash = r.Hash
		copy(enc[8:chainHeader], r.Hash[:])
		cb.offs = append(cb.offs, uint32(len(cb.frames)))
		cb.frames = appendFrame(cb.frames, head.Seq, enc[8:], false)

		var seqb [8]byte
		binary.BigEndian.PutUint64(seqb[:], head.Seq)
		sc.index.ids.add(p.idKeys[i], seqb[:])
		s.ids.add(r.Source, r.SourceRecordID)
		if sk := p.subjectKeys[i]; sk != nil {
			copy(sk[len(sk)-8:], seqb[:])
			sc.index.subjects.add(sk, nil)
			if s.subjects.addKey(p.setKeys[i]) {
				added = append(added, r.Subject)
				sc.index.entities.add(entityKey(kbuf[:0], r.Subject), seqb[:])
				counts.subjects++
			}
		} else {
			sc.unresolvedPosting.add(head.Seq)
			counts.unresolved++
		}
		sc.sourcePosting(r.Source).add(head.Seq)
		counts.add(r.Source, r.Kind)
		if inBatch != nil {
			inBatch[id] = i
		}
		res[i] = credo.AppendResult{Status: credo.Appended, ID: id, Seq: head.Seq}
	}
	if head.Seq == s.tail.Seq {
		sc.kbuf = kbuf
		return nil, nil, head, credo.Counts{}, nil // nothing new
	}
	markLast(cb.frames, cb.offs[len(cb.offs)-1])
	for i := range sc.postings {
		p := &sc.postings[i]
		sc.sources.add(postingKey(kbuf[:0], p.source, p.first), p.rest)
	}
	if p := &sc.unresolvedPosting; p.first != 0 {
		sc.unresolved.add(unresolvedKey(kbuf[:0], p.first), p.rest)
	}
	sc.kbuf = kbuf
	if ops != nil {
		counts.unresolved += ops.unresolved
	}
	counts.flush()
	next := counts.applyTo(s.tailCounts)
	cj, err := json.Marshal(next)
	if err != nil {
		return nil, nil, head, credo.Counts{}, err
	}
	var meta entries
	meta.add(metaKey(head.Seq), append(head.Hash[:], cj...))
	lists := []*entries{&meta, &sc.sources, &sc.unresolved}
	if ops != nil {
		lists = append(lists, &ops.sets)
	}
	for _, e := range lists {
		if err := e.writeSorted(b); err != nil {
			return nil, nil, head, credo.Counts{}, err
		}
	}
	if ops != nil {
		for _, k := range ops.deletes {
			if err := b.Delete(k, nil); err != nil {
				return nil, nil, head, credo.Counts{}, err
			}
		}
	}
	ok = true
	sc.index.first, sc.index.last = s.tail.Seq+1, head.Seq
	sc.index.records = int(head.Seq - s.tail.Seq)
	s.deferred.add(&sc.index)
	return b, cb, head, next, nil
}

// chainBatch is a batch's records as the chain keeps them: frames back to
// back, from sequence number first, each starting at its offset.
type chainBatch struct {
	first  uint64
	frames []byte
	offs   []uint32
	pool   *sync.Pool // where it goes back
}

// newChainBatch takes a chainBatch from pool (the buffers of written
// batches: a batch's frames are as large as its records, and fresh memory
// for each would keep the collector busy).
func newChainBatch(pool *sync.Pool, first uint64, size, n int) *chainBatch {
	cb, _ := pool.Get().(*chainBatch)
	if cb == nil {
		cb = &chainBatch{pool: pool}
	}
	cb.first = first
	cb.frames = slices.Grow(cb.frames[:0], size)
	cb.offs = slices.Grow(cb.offs[:0], n)
	return cb
}

// release gives cb's buffers back; cb is not used again. Buffers grown
// for an unusually large batch are let go.
func (cb *chainBatch) release() {
	if cap(cb.frames) > 64<<20 {
		return
	}
	cb.pool.Put(cb)
}

// classify is the result for r, which arrived under the key of record seq:
// a duplicate when it says the same (same), else a conflict.
func (s *Store) classify(same bool, r *credo.Record, id string, seq uint64) credo.AppendResult {
	if same {
		return credo.AppendResult{Status: credo.Duplicate, ID: id, Seq: seq}
	}
	return credo.AppendResult{Status: credo.Conflict, ID: id, Seq: seq,
		Err: fmt.Errorf("%w: %s/%s is record %s (seq %d) with a different payload; send a correction that refers to it", credo.ErrConflict, r.Source, r.SourceRecordID, id, seq)}
}

type countsDelta struct {
	subjects, records, unresolved int64
	bySource, byKind              map[string]int64
	// Runs of one source and one kind, counted before they reach the maps
	// (a batch is mostly one source, often one kind).
	source, kind       string
	sourceRun, kindRun int64
}

func (d *countsDelta) add(source, kind string) {
	d.records++
	if source != d.source {
		d.flushSource()
		d.source = source
	}
	d.sourceRun++
	if kind != d.kind {
		d.flushKind()
		d.kind = kind
	}
	d.kindRun++
}

func (d *countsDelta) flushSource() { flushRun(&d.bySource, d.source, &d.sourceRun) }
func (d *countsDelta) flushKind()   { flushRun(&d.byKind, d.kind, &d.kindRun) }

// flushRun adds a run of n under key to *m (made when first needed).
func flushRun(m *map[string]int64, key string, n *int64) {
	if *n > 0 {
		if *m == nil {
			*m = map[string]int64{}
		}
		(*m)[key] += *n
		*n = 0
	}
}

// flush puts the runs counted so far in the maps.
func (d *countsDelta) flush() {
	d.flushSource()
	d.flushKind()
}

func (d *countsDelta) applyTo(c credo.Counts) credo.Counts {
	n := credo.Counts{
		Subjects:    c.Subjects + d.subjects,
		Records:     c.Records + d.records,
		Unresolved:  c.Unresolved + d.unresolved,
		Quarantined: c.Quarantined,
		BySource:    make(map[string]int64, len(c.BySource)+1),
		ByKind:      make(map[string]int64, len(c.ByKind)+1),
	}
	for k, v := range c.BySource {
		n.BySource[k] = v
	}
	for k, v := range c.ByKind {
		n.ByKind[k] = v
	}
	for k, v := range d.bySource {
		n.BySource[k] += v
	}
	for k, v := range d.byKind {
		n.ByKind[k] += v
	}
	return n
}

// lookupID returns the sequence number of the record under K key k, or 0
// when there is none: from the tail (entries up to maxSeq) first, then the
// engine — in that order, so that an entry the indexer moves from one to
// the other between the two looks is still found.
func (s *Store) lookupID(k []byte, maxSeq uint64) (uint64, error) {
	seq, ok := s.deferred.id(k)
	if !ok {
		var err error
		if seq, err = s.getSeq(k); err != nil {
			return 0, err
		}
	}
	if seq > maxSeq {
		return 0, nil
	}
	return seq, nil
}

// getSeq reads a K entry of the index.
func (s *Store) getSeq(k []byte) (uint64, error) {
	v, closer, err := s.idx.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("corrupt index entry %x", k)
	}
	return binary.BigEndian.Uint64(v), nil
}

// loadSubjects fills the in-memory subject set from the registry. It runs on
// the first append after opening, not at open, so that read-only commands
// never pay for it.
func (s *Store) loadSubjects(ctx context.Context) error {
	set := newSubjectSet(s.subjectSeed)
	it, err := s.idx.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{tagEntity}, UpperBound: []byte{tagEntity + 1}})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) < 3 {
			return fmt.Errorf("corrupt subject registry key %x", k)
		}
		set.add(credo.SubjectRef{Kind: credo.SubjectKind(k[1]), ID: string(k[2:])})
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("load subject registry: %w", err)
	}
	s.subjects = set
	return nil
}

// recordAt reads and decodes the record with sequence number seq.
func (s *Store) recordAt(seq uint64) (*credo.Record, error) {
	v, ok, err := s.chain.read(seq)
	if err != nil {
		return &credo.Record{Seq: seq}, err
	}
	if !ok {
		return nil, fmt.Errorf("record %d: %w", seq, credo.ErrNotFound)
	}
	return decodeValue(seq, v)
}

func decodeValue(seq uint64, v []byte) (*credo.Record, error) {
	r := &credo.Record{Seq: seq}
	if len(v) < 32 {
		return r, fmt.Errorf("record %d: corrupt value (%d bytes)", seq, len(v))
	}
	copy(r.Hash[:], v[:32])
	if err := credo.DecodeCanonical(v[32:], r); err != nil {
		return r, fmt.Errorf("record %d: %w", seq, err)
	}
	r.ID = credo.RecordID(r.Source, r.SourceRecordID)
	return r, nil
}

// Record implements credo.Ledger.
func (s *Store) Record(ctx context.Context, id string) (*credo.Record, error) {
	source, srcID, err := credo.ParseRecordID(id)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", credo.ErrNotFound, err)
	}
	seq, err := s.lookupID(idKey(nil, source, srcID), s.syncedSeq.Load())
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", id, err)
	}
	if seq == 0 {
		return nil, fmt.Errorf("record %s: %w", id, credo.ErrNotFound)
	}
	return s.recordAt(seq)
}

// SubjectRecords implements credo.Ledger. The file is the subject's own
// records, the records linked to it and those of the subjects merged into
// it, without the records split off it (resolution.go).
func (s *Store) SubjectRecords(ctx context.Context, ref credo.SubjectRef) iter.Seq2[*credo.Record, error] {
	return func(yield func(*credo.Record, error) bool) {
		keys, err := s.subjectFile(ctx, ref)
		if err != nil {
			yield(nil, err)
			return
		}
		for _, k := range keys {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			r, err := s.recordAt(seqSuffix(k))
			if !yield(r, err) || err != nil {
				return
			}
		}
	}
}

// SourceRecords implements credo.Ledger.
// A source's postings are found among every batch's (they are keyed by
// sequence number first, so that they grow); format 1 and 2 postings, by
// source, come before them.
func (s *Store) SourceRecords(ctx context.Context, source string) iter.Seq2[*credo.Record, error] {
	return func(yield func(*credo.Record, error) bool) {
		p := sourcePrefix(nil, source)
		for r, err := range s.posted(ctx, p, prefixEnd(p), nil) {
			if !yield(r, err) || err != nil {
				return
			}
		}
		mine := func(k []byte) bool { return len(k) == 9+len(source) && string(k[9:]) == source }
		for r, err := range s.posted(ctx, []byte{tagPosting}, []byte{tagPosting + 1}, mine) {
			if !yield(r, err) || err != nil {
				return
			}
		}
	}
}

// UnresolvedRecords yields the records without a subject, in ledger order.
func (s *Store) UnresolvedRecords(ctx context.Context) iter.Seq2[*credo.Record, error] {
	return s.posted(ctx, []byte{tagUnresolved}, []byte{tagUnresolved + 1}, nil)
}

// posted yields the records of the postings in [lo, hi) (those whose key
// keep accepts, when it is not nil), in ledger order, reading each from the
// chain.
func (s *Store) posted(ctx context.Context, lo, hi []byte, keep func(k []byte) bool) iter.Seq2[*credo.Record, error] {
	return func(yield func(*credo.Record, error) bool) {
		it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lo, UpperBound: hi})
		if err != nil {
			yield(nil, err)
			return
		}
		defer it.Close()
		var seqs []uint64
		synced := s.syncedSeq.Load()
		for ok := it.First(); ok; ok = it.Next() {
			if keep != nil && !keep(it.Key()) {
				continue
			}
			if seqs, err = postingSeqs(seqs[:0], it.Key(), it.Value()); err != nil {
				yield(nil, err)
				return
			}
			for _, seq := range seqs {
				if err := ctx.Err(); err != nil {
					yield(nil, err)
					return
				}
				if seq > synced {
					return // postings grow: the rest are later still
				}
				r, err := s.recordAt(seq)
				if !yield(r, err) || err != nil {
					return
				}
			}
		}
		if err := it.Error(); err != nil {
			yield(nil, err)
		}
	}
}

// Scan implements credo.Ledger.
func (s *Store) Scan(ctx context.Context, from uint64) iter.Seq2[*credo.Record, error] {
	return s.scanChain(ctx, from, func() func(uint64, []byte) (*credo.Record, error) { return decodeValue })
}

// scanChain yields the chain's records from sequence number from on, as
// far as it is synced, each decoded by the function newDecode makes for
// the scan. A record that cannot be read comes with its error, its
// sequence number set, so that Verify names it.
func (s *Store) scanChain(ctx context.Context, from uint64, newDecode func() func(seq uint64, v []byte) (*credo.Record, error)) iter.Seq2[*credo.Record, error] {
	return func(yield func(*credo.Record, error) bool) {
		decode := newDecode()
		seq, err := s.chain.scan(from, s.syncedSeq.Load(), func(seq uint64, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			r, err := decode(seq, v)
			if !yield(r, err) || err != nil {
				return errStopScan // with an error, the record as far as it decoded was yielded
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopScan) {
			if ctx.Err() != nil {
				yield(nil, ctx.Err())
				return
			}
			yield(&credo.Record{Seq: seq}, err)
		}
	}
}

// Counts implements credo.Ledger.
func (s *Store) Counts(ctx context.Context) (credo.Counts, error) {
	s.state.Lock()
	defer s.state.Unlock()
	var none countsDelta
	c := none.applyTo(s.counts) // a copy the caller may keep
	q, err := s.countQuarantined(ctx)
	if err != nil {
		return c, fmt.Errorf("count quarantined rows: %w", err)
	}
	c.Quarantined = q
	return c, nil
}

// Head implements credo.Ledger.
func (s *Store) Head(ctx context.Context) (credo.Head, error) {
	s.state.Lock()
	defer s.state.Unlock()
	return s.head, nil
}

// engineLogger keeps Pebble's informational chatter out of credo's output
// and passes its background errors (failed compactions, say) to slog.
type engineLogger struct{ l *slog.Logger }

func (engineLogger) Infof(format string, args ...any) {}
func (e engineLogger) Errorf(format string, args ...any) {
	if e.l != nil {
		e.l.Error("storage engine", "msg", fmt.Sprintf(format, args...))
	}
}

// Fatalf is how Pebble reports an error it cannot continue from, such as
// a write to the log failing on a full disk. Pebble expects the process to
// die; credo instead unwinds to the call that caused it (see commit), which
// reports an error and leaves the store refusing writes until reopened.
func (engineLogger) Fatalf(format string, args ...any) {
	panic(engineFatal{fmt.Errorf("storage engine: "+format, args...)})
}

type engineFatal struct{ err error }

// commit commits b, turning the engine's fatal errors into an error value.
func commit(b *pebble.Batch, wo *pebble.WriteOptions) (err error) {
	return guard(func() error { return b.Commit(wo) })
}

// guard calls f, turning the engine's fatal errors into an error value.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(engineFatal)
			if !ok {
				panic(r)
			}
			err = f.err
		}
	}()
	return f()
}
