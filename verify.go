package credo

import (
	"context"
	"encoding/hex"
	"fmt"
)

// VerifyReport is the outcome of checking the ledger's hash chain.
type VerifyReport struct {
	Records  uint64 `json:"records"`             // records checked
	Head     string `json:"head"`                // hex hash of the last good record
	OK       bool   `json:"ok"`                  // the whole chain holds
	BrokenAt uint64 `json:"broken_at,omitempty"` // sequence number of the first bad record
	Reason   string `json:"reason,omitempty"`
}

// Verify recomputes the hash chain over the whole ledger and reports the
// first record where it breaks: a record whose stored hash does not match,
// a gap in the sequence, or an encoding that does not decode. It also checks
// that the stored head matches the end of the chain. progress, when not
// nil, is called every so often with the records checked so far.
func Verify(ctx context.Context, l Ledger, progress func(n uint64)) (VerifyReport, error) {
	var rep VerifyReport
	var prev [32]byte
	var buf []byte
	want := uint64(1)
	for r, err := range l.Scan(ctx, 1) {
		if err != nil {
			if r != nil && r.Seq != 0 {
				rep.BrokenAt, rep.Reason = r.Seq, err.Error()
				rep.Head = hex.EncodeToString(prev[:])
				return rep, nil
			}
			return rep, fmt.Errorf("verify: scan after record %d: %w", want-1, err)
		}
		if r.Seq != want {
			rep.BrokenAt = want
			rep.Reason = fmt.Sprintf("sequence gap: expected record %d, found %d", want, r.Seq)
			rep.Head = hex.EncodeToString(prev[:])
			return rep, nil
		}
		buf = r.AppendCanonical(buf[:0])
		h := ChainHash(prev, r.Seq, buf)
		if h != r.Hash {
			rep.BrokenAt = r.Seq
			rep.Reason = fmt.Sprintf("record %d (id %s): hash mismatch: the record or an earlier one was altered", r.Seq, r.ID)
			rep.Head = hex.EncodeToString(prev[:])
			return rep, nil
		}
		if id := RecordID(r.Source, r.SourceRecordID); id != r.ID {
			rep.BrokenAt = r.Seq
			rep.Reason = fmt.Sprintf("record %d: id %s does not match its key (want %s)", r.Seq, r.ID, id)
			rep.Head = hex.EncodeToString(prev[:])
			return rep, nil
		}
		prev = h
		rep.Records++
		want++
		if progress != nil && rep.Records%65536 == 0 {
			progress(rep.Records)
		}
	}
	head, err := l.Head(ctx)
	if err != nil {
		return rep, fmt.Errorf("verify: read head: %w", err)
	}
	rep.Head = hex.EncodeToString(prev[:])
	if head.Seq != rep.Records || head.Hash != prev {
		rep.BrokenAt = head.Seq
		rep.Reason = fmt.Sprintf("stored head (record %d, %x) does not match the chain (record %d, %s)", head.Seq, head.Hash[:8], rep.Records, rep.Head[:16])
		return rep, nil
	}
	rep.OK = true
	return rep, nil
}
