package pebble

import (
	"bytes"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// entries is a list of key-value pairs kept in one buffer, to be added to a
// batch in key order.
type entries struct {
	buf []byte
	ix  []entry
}

type entry struct{ off, klen, vlen uint32 }

func (e *entries) reset() {
	e.buf, e.ix = e.buf[:0], e.ix[:0]
}

func (e *entries) add(k, v []byte) {
	off := len(e.buf)
	e.buf = append(append(e.buf, k...), v...)
	e.ix = append(e.ix, entry{uint32(off), uint32(len(k)), uint32(len(v))})
}

// addAll appends the entries of o.
func (e *entries) addAll(o *entries) {
	base := uint32(len(e.buf))
	e.buf = append(e.buf, o.buf...)
	for _, x := range o.ix {
		x.off += base
		e.ix = append(e.ix, x)
	}
}

func (e *entries) key(x entry) []byte { return e.buf[x.off : x.off+x.klen] }

func (e *entries) value(x entry) []byte {
	return e.buf[x.off+x.klen : x.off+x.klen+x.vlen]
}

// writeSorted adds the entries to b in key order. Their keys are distinct.
func (e *entries) writeSorted(b *pebble.Batch) error {
	cmp := func(x, y entry) int { return bytes.Compare(e.key(x), e.key(y)) }
	if !slices.IsSortedFunc(e.ix, cmp) {
		slices.SortFunc(e.ix, cmp)
	}
	for _, x := range e.ix {
		if err := b.Set(e.key(x), e.value(x), nil); err != nil {
			return err
		}
	}
	return nil
}
