package pebble

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"

	"github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

// Quarantine and runs live beside the ledger but outside the chain: they
// are working state, not facts.
//
//	Q id                           → quarantined row (JSON)
//	q source 0x00 srcid 0x00 id    → ∅   (release by source record id)
//	N run id                       → run (JSON); run ids sort by time
const (
	tagQuarantine   = 'Q'
	tagQuarantineBy = 'q'
	tagRun          = 'N'
)

func quarantineKey(id string) []byte { return append([]byte{tagQuarantine}, id...) }

func quarantineBySrcPrefix(source, srcID string) []byte {
	k := append([]byte{tagQuarantineBy}, source...)
	k = append(k, 0)
	k = append(k, srcID...)
	return append(k, 0)
}

// PutQuarantined implements credo.Quarantine.
func (s *Store) PutQuarantined(ctx context.Context, rows []*credo.QuarantinedRow) error {
	if len(rows) == 0 {
		return nil
	}
	b := s.db.NewBatch()
	defer b.Close()
	for _, r := range rows {
		v, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("quarantine row %s: %w", r.ID, err)
		}
		if err := b.Set(quarantineKey(r.ID), v, nil); err != nil {
			return err
		}
		if r.SourceRecordID != "" {
			if err := b.Set(append(quarantineBySrcPrefix(r.Source, r.SourceRecordID), r.ID...), nil, nil); err != nil {
				return err
			}
		}
	}
	if err := commit(b, s.wo); err != nil {
		return fmt.Errorf("quarantine %d rows in %s: %w", len(rows), s.dir, err)
	}
	return nil
}

// ReleaseQuarantined implements credo.Quarantine.
func (s *Store) ReleaseQuarantined(ctx context.Context, source string, ids, srcIDs []string) (int, error) {
	b := s.db.NewBatch()
	defer b.Close()
	released := map[string]bool{}
	release := func(id string) error {
		if released[id] {
			return nil
		}
		v, closer, err := s.db.Get(quarantineKey(id))
		if errors.Is(err, pebble.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var r credo.QuarantinedRow
		err = json.Unmarshal(v, &r)
		closer.Close()
		if err != nil {
			return fmt.Errorf("quarantined row %s: %w", id, err)
		}
		released[id] = true
		if err := b.Delete(quarantineKey(id), nil); err != nil {
			return err
		}
		if r.SourceRecordID != "" {
			return b.Delete(append(quarantineBySrcPrefix(r.Source, r.SourceRecordID), id...), nil)
		}
		return nil
	}
	for _, id := range ids {
		if err := release(id); err != nil {
			return 0, err
		}
	}
	for _, src := range srcIDs {
		p := quarantineBySrcPrefix(source, src)
		it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
		if err != nil {
			return 0, err
		}
		var found []string
		for ok := it.First(); ok; ok = it.Next() {
			found = append(found, string(it.Key()[len(p):]))
		}
		if err := it.Close(); err != nil {
			return 0, err
		}
		for _, id := range found {
			if err := release(id); err != nil {
				return 0, err
			}
		}
	}
	if len(released) == 0 {
		return 0, nil
	}
	if err := commit(b, s.wo); err != nil {
		return 0, fmt.Errorf("release %d quarantined rows in %s: %w", len(released), s.dir, err)
	}
	return len(released), nil
}

// Quarantined implements credo.Quarantine.
func (s *Store) Quarantined(ctx context.Context, source string) iter.Seq2[*credo.QuarantinedRow, error] {
	lo := []byte{tagQuarantine}
	if source != "" {
		lo = append(quarantineKey(source), ':')
	}
	return scanJSON[credo.QuarantinedRow](ctx, s, lo, prefixEnd(lo))
}

// QuarantinedRow implements credo.Quarantine.
func (s *Store) QuarantinedRow(ctx context.Context, id string) (*credo.QuarantinedRow, error) {
	v, closer, err := s.db.Get(quarantineKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("quarantined row %s: %w", id, credo.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	var r credo.QuarantinedRow
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("quarantined row %s: %w", id, err)
	}
	return &r, nil
}

// countQuarantined counts the quarantined rows. Quarantine is small next to
// the ledger, so it is counted when asked rather than kept in a counter.
func (s *Store) countQuarantined(ctx context.Context) (int64, error) {
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{tagQuarantine}, UpperBound: []byte{tagQuarantine + 1}})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	var n int64
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	return n, it.Error()
}

// PutRun implements credo.Runs.
func (s *Store) PutRun(ctx context.Context, r *credo.Run) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := s.db.Set(append([]byte{tagRun}, r.ID...), v, s.wo); err != nil {
		return fmt.Errorf("record run %s in %s: %w", r.ID, s.dir, err)
	}
	return nil
}

// Runs implements credo.Runs.
func (s *Store) Runs(ctx context.Context) iter.Seq2[*credo.Run, error] {
	return scanJSON[credo.Run](ctx, s, []byte{tagRun}, []byte{tagRun + 1})
}
