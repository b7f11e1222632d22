package pebble

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

// Key layout. Every key starts with a one-byte table tag, so that each table
// is a contiguous key range:
//
//	M 0x00 seq                     → the head's hash ‖ the counters (JSON), by batch
//	R seq                          → hash(32) ‖ canonical record   (the chain, formats 1–3: chainlog.go keeps it now)
//	K source 0x00 source-record-id → seq                           (idempotency, id lookup)
//	S kind id 0x00 occurred seq    → ∅                             (subject's records by time)
//	U seq                          → posting                       (unresolved records)
//	o seq source                   → posting                       (source's records; O source 0x00 seq before format 3)
//	E kind id                      → first seq                     (subject registry)
//
// K, S and E are written by the indexer, not in the append's batch
// (tail.go, indexer.go); M holds "indexed", how far.
//
// The state resolutions leave, written in the batch of their records
// (resolution.go):
//
//	Y seq                          → assignment                    (a record's subject, when not the one it carries)
//	y kind id 0x00 occurred seq    → ∅                             (records linked to a subject)
//	Z kind id                      → merge                         (a subject merged into another)
//	z kind id 0x00 kind id         → ∅                             (the subjects merged into one)
//
// Outside the chain, working state:
//
//	Q quarantine id                → quarantined row (JSON)        (quarantine.go)
//	q source 0x00 srcid 0x00 id    → ∅                             (release by source record id)
//	N run id                       → ingest run (JSON)
//	A source name                  → registered source (JSON, key hash only)   (sources.go)
//	a key hash                     → source name
//	P jurisdiction, version        → published policy              (policies.go)
//	I seq                          → review item (JSON)            (reviews.go)
//	F f T X h H W v                → standings: a full recompute's in blocks of 512
//	                                 subjects and the blocks' last subjects, those
//	                                 stored alone since, due by next change, score
//	                                 history (by block; alone), watermarks, the
//	                                 standings' version (standings.go; G and B of
//	                                 older directories, deleted by a recompute)
//	J                              → the scoring projection (projection.go)
//	C c                            → consumers and their key hashes (consumers.go)
//	V notice id                    → adverse-action notice (JSON), as format 5 and older wrote them (audit.go)
//	L kind id 0x00 time r          → inquiry (JSON), the trail as written before blocks
//	l time r                       → a block of the audit trail of format 4 (moved to DATA/audit at open)
//
// In the index engine besides K, S and E: Maudit, the last audit block
// indexed and the next segment's number, and Mauditsegs, the live segments
// of the audit index and their tiers (audit.go); the segments themselves
// are files (below). The i keys of formats 5 and 6 (i segment kind id 0x00
// block, the segments as tables) are deleted when such a directory opens.
//
// The data directory holds, besides the engines: DATA/chain and DATA/audit,
// logs of frames (chainlog.go), DATA/auditindex, the audit index's
// segments, a file each of sorted (subject, block) entries (auditseg.go),
// and decision-table, the decision table's snapshot (package decide).
//
// Free tags are kept for what comes: D and the other lower-case letters.
//
// Integers are big-endian so that byte order is numeric order; times are
// nanoseconds biased by 2^63 so that negative times sort first.
//
// A posting lists the records of one append (of one source, or unresolved)
// under one key: the key ends with the first record's sequence number and
// the value holds the differences from each record's number to the next,
// as uvarints. An empty value is a posting of the key's record alone.
const (
	tagMeta       = 'M'
	tagRecord     = 'R'
	tagKey        = 'K'
	tagSubject    = 'S'
	tagUnresolved = 'U'
	tagSource     = 'O' // format 1 and 2 postings, by source then seq
	tagPosting    = 'o' // postings by seq then source, so that they grow
	tagEntity     = 'E'
)

// The head and the counters are written by every append under a key of
// their own, M 0x00 seq → hash ‖ counts (JSON), seq being the batch's last
// sequence number, and read back from the last such key. Keys that grow,
// like the chain's: a key overwritten by every batch would lie in every
// flushed table, stacking them, and the engine would then compact the
// chain's tables together rather than move them down the tree untouched.
// Directories of format 1 and 2 have "Mhead" (seq ‖ hash) and "Mcounts"
// instead, read when there is no other.
var (
	metaPrefix   = []byte{tagMeta, 0}
	legacyHead   = []byte("Mhead")
	legacyCounts = []byte("Mcounts")
)

func metaKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), metaPrefix...), seq)
}

func recordKey(dst []byte, seq uint64) []byte {
	dst = append(dst, tagRecord)
	return binary.BigEndian.AppendUint64(dst, seq)
}

// idKey is keyed by the source's own record id rather than a hash of it:
// agencies number their records in order, so consecutive appends touch
// neighbouring keys, which is what an LSM tree writes and reads cheaply.
func idKey(dst []byte, source, sourceRecordID string) []byte {
	dst = append(dst, tagKey)
	dst = append(dst, source...)
	dst = append(dst, 0)
	return append(dst, sourceRecordID...)
}

func subjectPrefix(dst []byte, s credo.SubjectRef) []byte {
	dst = append(dst, tagSubject, byte(s.Kind))
	dst = append(dst, s.ID...)
	return append(dst, 0)
}

func subjectKey(dst []byte, s credo.SubjectRef, occurredNanos int64, seq uint64) []byte {
	dst = subjectPrefix(dst, s)
	dst = binary.BigEndian.AppendUint64(dst, uint64(occurredNanos)^(1<<63))
	return binary.BigEndian.AppendUint64(dst, seq)
}

func unresolvedKey(dst []byte, seq uint64) []byte {
	dst = append(dst, tagUnresolved)
	return binary.BigEndian.AppendUint64(dst, seq)
}

func sourcePrefix(dst []byte, source string) []byte {
	dst = append(dst, tagSource)
	dst = append(dst, source...)
	return append(dst, 0)
}

// postingKey is the key of a batch's posting of source's records, the
// first of which is seq.
func postingKey(dst []byte, source string, seq uint64) []byte {
	dst = append(dst, tagPosting)
	dst = binary.BigEndian.AppendUint64(dst, seq)
	return append(dst, source...)
}

func entityKey(dst []byte, s credo.SubjectRef) []byte {
	dst = append(dst, tagEntity, byte(s.Kind))
	return append(dst, s.ID...)
}

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// seqSuffix reads the sequence number from the last 8 bytes of an index key.
func seqSuffix(k []byte) uint64 { return binary.BigEndian.Uint64(k[len(k)-8:]) }

// tableSpans tells the engine that every table is a span of its own, so that
// flushes and compactions never write one sstable across two tables. The
// chain and the per-source indexes grow at their ends; kept apart from the
// randomly placed subject index their new tables overlap nothing below and
// move down the tree without being rewritten.
func tableSpans(start []byte) (pebble.SpanPolicy, []byte, error) {
	if len(start) == 0 || start[0] == 0xff {
		return pebble.SpanPolicy{}, nil, nil
	}
	return pebble.SpanPolicy{}, []byte{start[0] + 1}, nil
}

// posting collects the sequence numbers of one batch's posting.
type posting struct {
	source      string
	first, last uint64
	rest        []byte // uvarint differences after first
}

func (p *posting) reset(source string) {
	p.source, p.first, p.last, p.rest = source, 0, 0, p.rest[:0]
}

func (p *posting) add(seq uint64) {
	if p.first == 0 {
		p.first, p.last = seq, seq
		return
	}
	p.rest = binary.AppendUvarint(p.rest, seq-p.last)
	p.last = seq
}

// postingSeqs appends to dst the sequence numbers of the posting with key k
// and value v.
func postingSeqs(dst []uint64, k, v []byte) ([]uint64, error) {
	if len(k) < 9 {
		return dst, fmt.Errorf("corrupt index key %x", k)
	}
	seq := seqSuffix(k)
	if k[0] == tagPosting {
		seq = binary.BigEndian.Uint64(k[1:9])
	}
	dst = append(dst, seq)
	for len(v) > 0 {
		d, n := binary.Uvarint(v)
		if n <= 0 || d == 0 {
			return dst, fmt.Errorf("corrupt index entry %x", k)
		}
		seq += d
		dst = append(dst, seq)
		v = v[n:]
	}
	return dst, nil
}
