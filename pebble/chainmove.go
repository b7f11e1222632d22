package pebble

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

// moveChain moves the chain of a directory of format 1 to 3 out of the
// engine, where it was kept under R seq, into its segment files: the
// records the files do not hold yet (a crash may have stopped an earlier
// move), synced; then the engine's copies are dropped.
func (s *Store) moveChain() error {
	next := s.chain.end + 1
	if next <= s.head.Seq {
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: recordKey(nil, next), UpperBound: recordKey(nil, s.head.Seq+1)})
		if err != nil {
			return err
		}
		var frames []byte
		var offs []uint32
		first := next
		flush := func() error {
			if len(offs) == 0 {
				return nil
			}
			markLast(frames, offs[len(offs)-1])
			if err := s.chain.write(first, frames, offs); err != nil {
				return err
			}
			first += uint64(len(offs))
			frames, offs = frames[:0], offs[:0]
			return nil
		}
		for ok := it.First(); ok; ok = it.Next() {
			seq := binary.BigEndian.Uint64(it.Key()[1:])
			if seq != next {
				it.Close()
				return fmt.Errorf("move the chain to %s: the engine holds record %d where record %d should be: run credo verify with an older credo", chainDirName, seq, next)
			}
			offs = append(offs, uint32(len(frames)))
			frames = appendFrame(frames, seq, it.Value(), false)
			next++
			if len(frames) >= 8<<20 {
				if err := flush(); err != nil {
					it.Close()
					return err
				}
			}
		}
		if err := errors.Join(it.Error(), it.Close(), flush()); err != nil {
			return fmt.Errorf("move the chain to %s: %w", chainDirName, err)
		}
		if next != s.head.Seq+1 {
			return fmt.Errorf("move the chain to %s: the engine's chain ends at record %d, its head is record %d", chainDirName, next-1, s.head.Seq)
		}
		if err := s.chain.syncThrough(s.head.Seq); err != nil {
			return err
		}
	}
	if err := s.db.DeleteRange([]byte{tagRecord}, []byte{tagRecord + 1}, pebble.Sync); err != nil {
		return fmt.Errorf("move the chain to %s: drop the engine's copy: %w", chainDirName, err)
	}
	return nil
}

// recoverChain reconciles the chain with the engine's head after a crash.
// Records in the chain above the head were acknowledged once the chain
// was synced, though the engine's entries for them were not: they are cut
// from the chain and returned, to be appended again, the same, once the
// store is open. A resolution among them, and what follows it, was never
// acknowledged (the engine's part of a resolution is synced before it is)
// and is dropped. A chain shorter than the head was damaged: appends are
// refused, and Verify reports it.
func (s *Store) recoverChain() ([]*credo.Record, error) {
	end := s.chain.end
	switch {
	case end == s.head.Seq:
		return nil, nil
	case end < s.head.Seq:
		s.failed = fmt.Errorf("the chain in %s ends at record %d but the head is record %d: run credo verify", chainDirName, end, s.head.Seq)
		return nil, nil
	}
	var again []*credo.Record
	_, err := s.chain.scan(s.head.Seq+1, end, func(seq uint64, v []byte) error {
		r, err := decodeValue(seq, v)
		if err != nil {
			return err
		}
		if r.Source == credo.ResolutionSource {
			return errStopScan
		}
		again = append(again, r)
		return nil
	})
	if err != nil && !errors.Is(err, errStopScan) {
		return nil, fmt.Errorf("read the chain above the head (record %d): %w", s.head.Seq, err)
	}
	if err := s.chain.truncateAfter(s.head.Seq); err != nil {
		return nil, err
	}
	return again, nil
}
