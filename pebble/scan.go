package pebble

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"

	"github.com/cockroachdb/pebble/v2"
)

// scan yields what decode makes of each key and value of db in [lo, hi),
// in key order; decode skips a key by returning ok false. The first error
// (the engine's, the context's or decode's — with what decode made of the
// key, such as a record decoded as far as it goes) is yielded and ends the
// scan.
func scan[T any](ctx context.Context, db *pebble.DB, lo, hi []byte, decode func(k, v []byte) (x T, ok bool, err error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		it, err := db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lo, UpperBound: hi})
		if err != nil {
			yield(zero, err)
			return
		}
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			v, err := it.ValueAndErr()
			if err != nil {
				yield(zero, err)
				return
			}
			x, keep, err := decode(it.Key(), v)
			if err != nil {
				yield(x, err)
				return
			}
			if keep && !yield(x, nil) {
				return
			}
		}
		if err := it.Error(); err != nil {
			yield(zero, err)
		}
	}
}

// scanJSON yields the JSON values of the keys in [lo, hi).
func scanJSON[T any](ctx context.Context, s *Store, lo, hi []byte) iter.Seq2[*T, error] {
	return scan(ctx, s.db, lo, hi, func(k, v []byte) (*T, bool, error) {
		x := new(T)
		if err := json.Unmarshal(v, x); err != nil {
			return nil, false, fmt.Errorf("corrupt entry %q: %w", k, err)
		}
		return x, true, nil
	})
}

// scanEach calls fn for every key and value of db in [lo, hi).
func scanEach(ctx context.Context, db *pebble.DB, lo, hi []byte, fn func(k, v []byte) error) error {
	for _, err := range scan(ctx, db, lo, hi, func(k, v []byte) (struct{}, bool, error) { return struct{}{}, false, fn(k, v) }) {
		return err
	}
	return nil
}
