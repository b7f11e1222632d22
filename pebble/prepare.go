package pebble

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/credo-org/credo"
)

// chainHeader is the room left before each prepared encoding for what the
// chain hash covers besides it: the previous hash and the sequence number.
const chainHeader = 32 + 8

// parallelFrom is the call size from which preparing is split over two
// goroutines: below it the handing over costs more than it saves.
const parallelFrom = 256

// prepared is the part of an append that needs neither the store's lock nor
// the records before it: each record validated, its id, and its canonical
// encoding behind chainHeader bytes of room. Append prepares outside the
// lock, on two cores for a large call, so that the serial part (the
// idempotency check, the chain, the batch) is short.
type prepared struct {
	errs []error
	ids  []string
	encs [][]byte // chainHeader bytes of room ‖ canonical encoding
	// The record's index keys: by id, and by subject with 8 bytes of
	// room for the sequence number at the end (none when unresolved); and
	// the subject's key in the store's subjectSet.
	idKeys, subjectKeys [][]byte
	setKeys             []uint64
	bufs                [2][]byte
}

var preparedPool = sync.Pool{New: func() any { return new(prepared) }}

// prepare validates and encodes recs, giving a zero RecordedAt the time
// now first (the only change it makes to the records).
func prepare(recs []*credo.Record, now time.Time, seed maphash.Seed) *prepared {
	p := preparedPool.Get().(*prepared)
	n := len(recs)
	p.errs = resize(p.errs, n)
	p.ids = resize(p.ids, n)
	p.encs = resize(p.encs, n)
	p.idKeys = resize(p.idKeys, n)
	p.subjectKeys = resize(p.subjectKeys, n)
	p.setKeys = resize(p.setKeys, n)
	for _, r := range recs {
		if r.RecordedAt.IsZero() {
			r.RecordedAt = now
		}
	}
	if n < parallelFrom {
		p.bufs[0] = p.encode(recs, 0, n, seed, p.bufs[0][:0])
		return p
	}
	half := n / 2
	var wg sync.WaitGroup
	wg.Go(func() { p.bufs[1] = p.encode(recs, half, n, seed, p.bufs[1][:0]) })
	p.bufs[0] = p.encode(recs, 0, half, seed, p.bufs[0][:0])
	wg.Wait()
	return p
}

// encode prepares recs[lo:hi] into buf.
func (p *prepared) encode(recs []*credo.Record, lo, hi int, seed maphash.Seed, buf []byte) []byte {
	for i := lo; i < hi; i++ {
		r := recs[i]
		if err := r.Validate(); err != nil {
			p.errs[i] = err
			p.encs[i] = nil
			continue
		}
		p.errs[i] = nil
		p.ids[i] = credo.RecordID(r.Source, r.SourceRecordID)
		start := len(buf)
		buf = append(buf, make([]byte, chainHeader)...)
		buf = r.AppendCanonical(buf)
		// When buf grows later, this slice keeps the old array, which
		// holds the record's bytes all the same.
		p.encs[i] = buf[start:len(buf):len(buf)]
		start = len(buf)
		buf = idKey(buf, r.Source, r.SourceRecordID)
		p.idKeys[i] = buf[start:len(buf):len(buf)]
		p.subjectKeys[i] = nil
		if r.Subject.Resolved() {
			start = len(buf)
			buf = subjectKey(buf, r.Subject, r.OccurredAt.UnixNano(), 0)
			p.subjectKeys[i] = buf[start:len(buf):len(buf)]
			p.setKeys[i] = subjectSetKey(seed, r.Subject)
		}
	}
	return buf
}

// release returns p to the pool once the batch that used it is built.
func (p *prepared) release() {
	clear(p.ids)
	clear(p.errs)
	clear(p.encs)
	clear(p.idKeys)
	clear(p.subjectKeys)
	preparedPool.Put(p)
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
