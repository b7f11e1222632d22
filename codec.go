package credo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// codecVersion is the first byte of every canonical encoding. A new layout
// gets a new version; old ones stay decodable so that old chains verify.
const codecVersion = 1

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func putUint64(b []byte, v uint64) { binary.BigEndian.PutUint64(b, v) }

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	return binary.AppendVarint(b, t.UnixNano())
}

// AppendCanonical appends the record's canonical encoding to dst. The
// encoding covers every field but the ledger's own bookkeeping (sequence
// number, id and hash, which the chain covers separately); it is the byte
// string the hash chain is computed over, so it must never change for a
// given record. Times are encoded as UTC nanoseconds: the zone an agency
// wrote a time in is not part of the fact.
func (r *Record) AppendCanonical(dst []byte) []byte {
	b := append(dst, codecVersion, byte(r.Subject.Kind))
	b = appendString(b, r.Subject.ID)
	b = appendString(b, r.Source)
	b = appendString(b, r.SourceRecordID)
	b = appendString(b, r.Kind)
	b = append(b, byte(r.Polarity))
	b = appendTime(b, r.OccurredAt)
	b = appendTime(b, r.RecordedAt)
	b = appendString(b, r.LegalBasis)
	b = appendString(b, r.Evidence)
	b = appendString(b, r.Corrects)
	b = appendString(b, r.Retracts)
	id := &r.Identity
	b = appendString(b, id.IDNumber)
	b = appendString(b, id.Name)
	b = appendString(b, id.BirthDate)
	b = append(b, byte(id.Sex))
	b = appendString(b, id.Phone)
	b = appendString(b, id.Address)
	b = binary.AppendUvarint(b, uint64(len(r.Attributes)))
	for _, a := range r.Attributes {
		b = appendString(b, a.Key)
		b = append(b, byte(a.Value.kind))
		switch a.Value.kind {
		case KindString:
			b = appendString(b, a.Value.s)
		case KindNumber, KindInt, KindTime:
			b = binary.BigEndian.AppendUint64(b, a.Value.bits)
		case KindBool:
			b = append(b, byte(a.Value.bits))
		}
	}
	b = appendString(b, r.Provenance.File)
	b = binary.AppendVarint(b, r.Provenance.Row)
	b = appendString(b, r.Provenance.Request)
	return b
}

// errCorrupt is wrapped by DecodeCanonical's errors.
var errCorrupt = errors.New("corrupt record encoding")

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", errCorrupt, what)
	}
}

func (d *decoder) byte1(what string) byte {
	if d.err != nil || len(d.b) < 1 {
		d.fail(what)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint(what string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str(what string) string {
	n := d.uvarint(what)
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail(what)
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) time(what string) time.Time {
	switch d.byte1(what) {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(0, d.varint(what)).UTC()
	}
	d.fail(what)
	return time.Time{}
}

func (d *decoder) uint64(what string) uint64 {
	if d.err != nil || len(d.b) < 8 {
		d.fail(what)
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

// DecodeCanonical is the inverse of AppendCanonical: it fills r (but for
// Seq, ID and Hash) from b. Re-encoding the result gives b again, byte for
// byte; anything else is reported as corrupt.
func DecodeCanonical(b []byte, r *Record) error {
	d := decoder{b: b}
	if v := d.byte1("version"); v != codecVersion && d.err == nil {
		return fmt.Errorf("%w: unknown version %d", errCorrupt, v)
	}
	r.Subject.Kind = SubjectKind(d.byte1("subject kind"))
	r.Subject.ID = d.str("subject id")
	r.Source = d.str("source")
	r.SourceRecordID = d.str("source record id")
	r.Kind = d.str("kind")
	r.Polarity = Polarity(int8(d.byte1("polarity")))
	r.OccurredAt = d.time("occurred_at")
	r.RecordedAt = d.time("recorded_at")
	r.LegalBasis = d.str("legal basis")
	r.Evidence = d.str("evidence")
	r.Corrects = d.str("corrects")
	r.Retracts = d.str("retracts")
	r.Identity.IDNumber = d.str("identity id")
	r.Identity.Name = d.str("identity name")
	r.Identity.BirthDate = d.str("identity birth date")
	r.Identity.Sex = Sex(d.byte1("identity sex"))
	r.Identity.Phone = d.str("identity phone")
	r.Identity.Address = d.str("identity address")
	n := d.uvarint("attribute count")
	if n > uint64(len(d.b)) {
		d.fail("attribute count")
	}
	r.Attributes = nil
	if d.err == nil && n > 0 {
		r.Attributes = make(Attributes, 0, n)
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		key := d.str("attribute key")
		v := Value{kind: ValueKind(d.byte1("attribute type"))}
		switch v.kind {
		case KindString:
			v.s = d.str("attribute value")
		case KindNumber, KindInt, KindTime:
			v.bits = d.uint64("attribute value")
		case KindBool:
			v.bits = uint64(d.byte1("attribute value"))
		case KindNull:
		default:
			d.fail("attribute type")
		}
		r.Attributes = append(r.Attributes, Attribute{key, v})
	}
	r.Provenance.File = d.str("provenance file")
	r.Provenance.Row = d.varint("provenance row")
	r.Provenance.Request = d.str("provenance request")
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(d.b))
	}
	return nil
}

// float guards: NaN has many encodings, so it is refused at append time.
func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// skipStr and skipTime pass over a string and a time without decoding them.
func (d *decoder) skipStr(what string) {
	n := d.uvarint(what)
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail(what)
		return
	}
	d.b = d.b[n:]
}

func (d *decoder) skipTime(what string) {
	if d.byte1(what) == 1 {
		d.varint(what)
	}
}

// payloadSpans finds, in the canonical encoding b, where recorded_at
// begins and ends and where the provenance begins: the parts of a record
// that are bookkeeping rather than payload (see SamePayload).
func payloadSpans(b []byte) (recorded0, recorded1, provenance int, err error) {
	d := decoder{b: b}
	if v := d.byte1("version"); v != codecVersion && d.err == nil {
		return 0, 0, 0, fmt.Errorf("%w: unknown version %d", errCorrupt, v)
	}
	d.byte1("subject kind")
	for _, what := range []string{"subject id", "source", "source record id", "kind"} {
		d.skipStr(what)
	}
	d.byte1("polarity")
	d.skipTime("occurred_at")
	recorded0 = len(b) - len(d.b)
	d.skipTime("recorded_at")
	recorded1 = len(b) - len(d.b)
	for _, what := range []string{"legal basis", "evidence", "corrects", "retracts", "identity id", "identity name", "identity birth date"} {
		d.skipStr(what)
	}
	d.byte1("identity sex")
	d.skipStr("identity phone")
	d.skipStr("identity address")
	n := d.uvarint("attribute count")
	if n > uint64(len(d.b)) {
		d.fail("attribute count")
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		d.skipStr("attribute key")
		switch ValueKind(d.byte1("attribute type")) {
		case KindString:
			d.skipStr("attribute value")
		case KindNumber, KindInt, KindTime:
			d.uint64("attribute value")
		case KindBool:
			d.byte1("attribute value")
		case KindNull:
		default:
			d.fail("attribute type")
		}
	}
	provenance = len(b) - len(d.b)
	d.skipStr("provenance file")
	d.varint("provenance row")
	d.skipStr("provenance request")
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(d.b))
	}
	return recorded0, recorded1, provenance, d.err
}

// SameEncodedPayload is SamePayload over two canonical encodings, without
// decoding them: they say the same thing when they agree on everything but
// recorded_at and the provenance. A store checks a re-sent record against
// the one it holds this way.
func SameEncodedPayload(a, b []byte) (bool, error) {
	ar0, ar1, ap, err := payloadSpans(a)
	if err != nil {
		return false, err
	}
	br0, br1, bp, err := payloadSpans(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(a[:ar0], b[:br0]) && bytes.Equal(a[ar1:ap], b[br1:bp]), nil
}
