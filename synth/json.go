package synth

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/credo-org/credo"
)

// The appenders below write the same bytes as encoding/json's Marshal, an
// order of magnitude faster and without allocating: NDJSON output of tens
// of millions of records is bound by them.

// AppendRecordJSON appends r as a JSON object, byte for byte what
// json.Marshal(r) writes. It reports no error: a non-finite number is
// written as null (json.Marshal refuses it; Record.Validate refuses such a
// record before it gets here).
func AppendRecordJSON(b []byte, r *credo.Record) []byte {
	return appendRecordJSON(b, r, "", &plainStrings{})
}

// appendRecordJSON is AppendRecordJSON with, when subject is not empty,
// the record's subject and identity already written (see subjectFragment),
// and the strings noted in plain copied without a scan (see appendNoted).
func appendRecordJSON(b []byte, r *credo.Record, subject string, plain *plainStrings) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, r.Seq, 10)
	b = append(b, `,"id":`...)
	b = appendJSONString(b, r.ID)
	if subject != "" {
		b = append(b, ',')
		b = append(b, subject...)
	} else {
		b = appendSubjectJSON(b, r)
	}
	return appendRecordTail(b, r, plain)
}

// appendSubjectJSON writes the record's subject and identity.
func appendSubjectJSON(b []byte, r *credo.Record) []byte {
	b = append(b, `,"subject":{"kind":`...)
	b = appendJSONString(b, r.Subject.Kind.String())
	if r.Subject.ID != "" {
		b = append(b, `,"id":`...)
		b = appendJSONString(b, r.Subject.ID)
	}
	b = append(b, '}')
	if !r.Identity.IsZero() {
		b = append(b, `,"identity":{`...)
		id := &r.Identity
		first := true
		field := func(b []byte, name string) []byte {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, '"')
			b = append(b, name...)
			return append(b, `":`...)
		}
		if id.IDNumber != "" {
			b = appendJSONString(field(b, "id_number"), id.IDNumber)
		}
		if id.Name != "" {
			b = appendJSONString(field(b, "name"), id.Name)
		}
		if id.BirthDate != "" {
			b = appendJSONString(field(b, "birth_date"), id.BirthDate)
		}
		if id.Sex != 0 {
			b = appendJSONString(field(b, "sex"), id.Sex.String())
		}
		if id.Phone != "" {
			b = appendJSONString(field(b, "phone"), id.Phone)
		}
		if id.Address != "" {
			b = appendJSONString(field(b, "address"), id.Address)
		}
		b = append(b, '}')
	}
	return b
}

// appendRecordTail writes the record from its source on.
func appendRecordTail(b []byte, r *credo.Record, plain *plainStrings) []byte {
	b = append(b, `,"source":`...)
	b = appendNoted(b, r.Source, plain.source)
	b = append(b, `,"source_record_id":`...)
	b = appendNoted(b, r.SourceRecordID, plain.srid)
	b = append(b, `,"kind":`...)
	b = appendNoted(b, r.Kind, plain.kind)
	b = append(b, `,"polarity":`...)
	if p := r.Polarity; p >= credo.Negative && p <= credo.Positive {
		b = append(b, polarityJSON[p-credo.Negative]...)
	} else {
		b = appendJSONString(b, p.String())
	}
	b = append(b, `,"occurred_at":`...)
	b = appendJSONTime(b, r.OccurredAt)
	b = append(b, `,"recorded_at":`...)
	b = appendJSONTime(b, r.RecordedAt)
	if len(r.Attributes) > 0 {
		b = append(b, `,"attributes":{`...)
		for i, a := range r.Attributes {
			if i > 0 {
				b = append(b, ',')
			}
			if i >= maxPlainAttrs {
				b = appendJSONString(b, a.Key)
				b = append(b, ':')
				b = appendJSONValue(b, a.Value)
				continue
			}
			b = appendNoted(b, a.Key, plain.keys[i])
			b = append(b, ':')
			if a.Value.Kind() == credo.KindString {
				b = appendNoted(b, a.Value.Str(), plain.vals[i])
			} else {
				b = appendJSONValue(b, a.Value)
			}
		}
		b = append(b, '}')
	}
	if r.LegalBasis != "" {
		b = append(b, `,"legal_basis":`...)
		b = appendNoted(b, r.LegalBasis, plain.basis)
	}
	if r.Evidence != "" {
		b = append(b, `,"evidence":`...)
		b = appendNoted(b, r.Evidence, plain.evidence)
	}
	if r.Corrects != "" {
		b = append(b, `,"corrects":`...)
		b = appendJSONString(b, r.Corrects)
	}
	if r.Retracts != "" {
		b = append(b, `,"retracts":`...)
		b = appendJSONString(b, r.Retracts)
	}
	if p := &r.Provenance; *p != (credo.Provenance{}) {
		b = append(b, `,"provenance":{`...)
		sep := false
		if p.File != "" {
			b = appendJSONString(append(b, `"file":`...), p.File)
			sep = true
		}
		if p.Row != 0 {
			if sep {
				b = append(b, ',')
			}
			b = strconv.AppendInt(append(b, `"row":`...), p.Row, 10)
			sep = true
		}
		if p.Request != "" {
			if sep {
				b = append(b, ',')
			}
			b = appendJSONString(append(b, `"request":`...), p.Request)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// AppendEventJSON appends the event's record as AppendRecordJSON does;
// with truth it adds, last, "truth":{"subject":"person","index":123}.
func AppendEventJSON(b []byte, ev *Event, truth bool) []byte {
	subject, _ := ev.subjectFragment()
	b = appendRecordJSON(b, &ev.Record, subject, &ev.plain)
	if !truth {
		return b
	}
	b = b[:len(b)-1]
	b = append(b, `,"truth":{"subject":"`...)
	b = append(b, ev.Subject.String()...)
	b = append(b, `","index":`...)
	b = strconv.AppendInt(b, int64(ev.Index), 10)
	return append(b, "}}"...)
}

// AppendPersonJSON appends p as json.Marshal(p) writes it.
func AppendPersonJSON(b []byte, p *Person) []byte {
	b = strconv.AppendInt(append(b, `{"index":`...), int64(p.Index), 10)
	b = appendJSONString(append(b, `,"id_number":`...), p.IDNumber)
	b = appendJSONString(append(b, `,"name":`...), p.Name)
	b = appendJSONString(append(b, `,"pinyin":`...), p.Pinyin)
	b = appendJSONString(append(b, `,"sex":`...), p.Sex.String())
	b = appendJSONString(append(b, `,"birth_date":`...), p.BirthDate)
	b = appendJSONString(append(b, `,"phone":`...), p.Phone)
	b = appendJSONString(append(b, `,"address":`...), p.Address)
	b = appendJSONString(append(b, `,"district":`...), p.District)
	b = strconv.AppendInt(append(b, `,"origin":`...), int64(p.Origin), 10)
	b = strconv.AppendBool(append(b, `,"driver":`...), p.Driver)
	if p.Plate != "" {
		b = appendJSONString(append(b, `,"plate":`...), p.Plate)
	}
	return append(b, '}')
}

// AppendOrgJSON appends o as json.Marshal(o) writes it.
func AppendOrgJSON(b []byte, o *Org) []byte {
	b = strconv.AppendInt(append(b, `{"index":`...), int64(o.Index), 10)
	b = appendJSONString(append(b, `,"uscc":`...), o.USCC)
	b = appendJSONString(append(b, `,"name":`...), o.Name)
	b = appendJSONString(append(b, `,"type":`...), o.Type)
	b = appendJSONString(append(b, `,"industry":`...), o.Industry)
	b = strconv.AppendInt(append(b, `,"legal_rep":`...), int64(o.LegalRep), 10)
	b = appendJSONString(append(b, `,"registered":`...), o.Registered)
	b = appendJSONString(append(b, `,"address":`...), o.Address)
	b = appendJSONString(append(b, `,"phone":`...), o.Phone)
	return append(b, '}')
}

// jsonSafe marks the ASCII bytes encoding/json writes as themselves (with
// its default HTML escaping).
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// plainLead3 marks the lead bytes of three-byte runes that are valid
// whenever two continuation bytes follow and are never U+2028 or U+2029:
// E1–EC and EE–EF.
var plainLead3 = func() (t [256]bool) {
	for c := 0xE1; c <= 0xEF; c++ {
		t[c] = c != 0xED && c != 0xE2
	}
	return t
}()

// appendJSONString quotes s as encoding/json does: HTML-safe, invalid UTF-8
// replaced by U+FFFD, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		// Fast path for the common valid three-byte runes (all of CJK)
		// but the E0, ED and E2 leads, which need a closer look.
		if plainLead3[c] && i+2 < len(s) && (uint16(s[i+1])<<8|uint16(s[i+2]))&0xC0C0 == 0x8080 {
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONTime writes t as time.Time.MarshalJSON does (RFC 3339 with
// nanoseconds as needed), by hand for whole seconds in years 0 to 9999.
func appendJSONTime(b []byte, t time.Time) []byte {
	off := 8 * 3600 // every time the city makes is in China
	if t.Location() != China {
		_, off = t.Zone()
	}
	sec := t.Unix() + int64(off)
	if t.Nanosecond() != 0 || off%60 != 0 || sec < -62135596800 || sec >= 253402300800 {
		b = append(b, '"')
		b = t.AppendFormat(b, time.RFC3339Nano)
		return append(b, '"')
	}
	d := sec / 86400
	rem := sec % 86400
	if rem < 0 {
		rem += 86400
		d--
	}
	y, m, dd := civil(d)
	h, mi, s := int(rem/3600), int(rem/60%60), int(rem%60)
	// Two digits at a time into a buffer, appended once: "YYYY-MM-DDThh:mm:ss" and the offset.
	var t27 [27]byte
	put2 := func(i, v int) { t27[i], t27[i+1] = digitPairs[2*v], digitPairs[2*v+1] }
	t27[0] = '"'
	put2(1, y/100)
	put2(3, y%100)
	t27[5] = '-'
	put2(6, m)
	t27[8] = '-'
	put2(9, dd)
	t27[11] = 'T'
	put2(12, h)
	t27[14] = ':'
	put2(15, mi)
	t27[17] = ':'
	put2(18, s)
	if off == 0 {
		t27[20], t27[21] = 'Z', '"'
		return append(b, t27[:22]...)
	}
	t27[20] = '+'
	if off < 0 {
		t27[20], off = '-', -off
	}
	put2(21, off/3600)
	t27[23] = ':'
	put2(24, off/60%60)
	t27[26] = '"'
	return append(b, t27[:]...)
}

// polarityJSON is each polarity's name as a JSON string.
var polarityJSON = func() (t [credo.Positive - credo.Negative + 1]string) {
	for i := range t {
		t[i] = string(appendJSONString(nil, (credo.Negative + credo.Polarity(i)).String()))
	}
	return t
}()

// appendJSONValue writes an attribute value as Value.MarshalJSON does.
func appendJSONValue(b []byte, v credo.Value) []byte {
	switch v.Kind() {
	case credo.KindString:
		return appendJSONString(b, v.Str())
	case credo.KindNumber:
		return appendJSONFloat(b, v.Float())
	case credo.KindInt:
		return strconv.AppendInt(b, v.Int(), 10)
	case credo.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case credo.KindTime:
		return appendJSONTime(b, v.Time())
	}
	return append(b, "null"...)
}

// appendJSONFloat formats like encoding/json: %f-style unless the exponent
// is below -6 or at least 21.
func appendJSONFloat(b []byte, f float64) []byte {
	// Amounts are whole cents. When f is the double nearest to c/100 for a
	// whole c, and small enough that doubles are closer than a cent apart,
	// that decimal is the shortest that reads back as f: it is what
	// strconv writes, trailing zeros dropped.
	if f > 0 && f < 1e13 {
		if c := math.Round(f * 100); c/100 == f {
			n := uint64(c)
			b = strconv.AppendUint(b, n/100, 10)
			if r := n % 100; r != 0 {
				b = append(b, '.', byte('0'+r/10))
				if r%10 != 0 {
					b = append(b, byte('0'+r%10))
				}
			}
			return b
		}
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
