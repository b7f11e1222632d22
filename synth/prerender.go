package synth

import (
	"unsafe"

	"github.com/credo-org/credo"
)

// An event's subject and identity are a third of its JSON and were, before
// this, written twice: as strings by the planner, then scanned and quoted
// by the encoder. The planner now writes them once, as the JSON fragment
//
//	"subject":{"kind":"person","id":"…"},"identity":{"id_number":"…",…}
//
// and hands out the identity's strings as substrings of it. The encoder
// copies the fragment whole when the record still holds those very
// strings (subjectFragment), and encodes the fields as before otherwise.

// identityPlain reports whether every table an identity is written from
// is JSON-plain (written by encoding/json as itself between quotes): only
// then can the values go into a fragment unescaped. The digits and the
// ASCII letters of identifiers and phone numbers are plain by nature, and
// so are the literals the appenders add ("号", "单元", …); the tests check
// the output against encoding/json's.
var identityPlain = func() bool {
	var all []string
	for _, s := range surnames {
		all = append(all, s.han)
	}
	for _, g := range maleGlyphs {
		all = append(all, g.han)
	}
	for _, g := range femaleGlyphs {
		all = append(all, g.han)
	}
	for _, era := range givenNames {
		for _, sex := range era {
			for _, g := range sex {
				all = append(all, g.han)
			}
		}
	}
	for _, p := range phonePrefixes {
		all = append(all, p.p)
	}
	for _, d := range districts {
		all = append(all, d.name)
	}
	for _, ind := range industries {
		all = append(all, ind.terms...)
	}
	for _, t := range [][]string{roads, communities, villagePrefixes, villageSurnames, villageSuffixes,
		orgPrefixes, brandGlyphs, companyForms, shops, coopTrades, associations, nonEnterprises, institutions, offices,
		{cityPrefix, areaCode}} {
		all = append(all, t...)
	}
	for _, s := range all {
		if !plainJSON(s) {
			return false
		}
	}
	return true
}()

// plainJSON reports whether s is written as JSON as itself between quotes
// (every escape lengthens the text).
func plainJSON(s string) bool { return len(appendJSONString(nil, s)) == len(s)+2 }

// fragmentWriter writes a subject fragment into the arena. Values are
// noted as spans and taken from the finished fragment, so that the arena
// may grow under it.
type fragmentWriter struct {
	a     *arena
	start int
	f     fragment
}

func (w *fragmentWriter) lit(s string) { w.a.b = append(w.a.b, s...) }

// field writes lit, then value v as appendValue appends it.
func (w *fragmentWriter) field(lit string, v int, appendValue func([]byte) []byte) {
	w.lit(lit)
	open := len(w.a.b) - w.start
	w.a.b = appendValue(w.a.b)
	w.f.vals[v] = span{uint16(open), uint16(len(w.a.b) - w.start - open)}
}

// copyField writes lit, then value v as a copy of value from.
func (w *fragmentWriter) copyField(lit string, v, from int) {
	sp := w.f.vals[from]
	w.field(lit, v, func(b []byte) []byte { return append(b, b[w.start+int(sp.off):w.start+int(sp.off+sp.n)]...) })
}

// identity writes the subject and identity fragment: subject, the
// fragment's start up to the id's value, then the id and the identity's
// fields as the functions append them (sex, for a person, after the birth
// date).
func (w *fragmentWriter) identity(subject string, appendID, appendName, appendBirth, appendPhone, appendAddress func([]byte) []byte) {
	w.field(subject, fragSubjectID, appendID)
	w.copyField(`"},"identity":{"id_number":"`, fragIDNumber, fragSubjectID)
	w.field(`","name":"`, fragName, appendName)
	if appendBirth != nil {
		w.field(`","birth_date":"`, fragBirthDate, appendBirth)
		w.lit(`","sex":"`)
		w.lit(w.f.sex.String())
	}
	w.field(`","phone":"`, fragPhone, appendPhone)
	w.field(`","address":"`, fragAddress, appendAddress)
	w.lit(`"}`)
}

// value returns value v of the finished fragment.
func (w *fragmentWriter) value(v int) string { return w.f.value(v) }

// finish takes the fragment out of the arena; it is not used when some
// value is longer than a span can say.
func (w *fragmentWriter) finish() fragment {
	w.f.json = w.a.end(w.start)
	if len(w.f.json) > 0xffff {
		return fragment{}
	}
	return w.f
}

// personIdentity writes m.pc's identity into id, as strings of a subject
// fragment when the tables are all plain.
func (m *maker) personIdentity(id *credo.Identity) fragment {
	p := &m.pc
	a := &m.ar
	if !identityPlain {
		m.personStrings(id)
		return fragment{}
	}
	w := fragmentWriter{a: a, start: a.begin(768), f: fragment{kind: credo.Person, sex: p.sex()}}
	w.identity(`"subject":{"kind":"person","id":"`, p.appendID, p.appendName, func(b []byte) []byte { return appendDate(b, p.y, p.m, p.d) }, p.appendPhone, p.appendAddress)
	f := w.finish()
	id.IDNumber, id.Name, id.BirthDate = w.value(fragIDNumber), w.value(fragName), w.value(fragBirthDate)
	id.Sex, id.Phone, id.Address = f.sex, w.value(fragPhone), w.value(fragAddress)
	return f
}

// orgIdentity writes m.oc's identity into id, as strings of a subject
// fragment when the tables are all plain.
func (m *maker) orgIdentity(id *credo.Identity) fragment {
	o := &m.oc
	a := &m.ar
	if !identityPlain {
		m.orgStrings(id)
		return fragment{}
	}
	w := fragmentWriter{a: a, start: a.begin(768), f: fragment{kind: credo.Organization}}
	w.identity(`"subject":{"kind":"organization","id":"`, o.appendUSCC, o.appendName, nil, o.appendPhone, o.appendAddress)
	f := w.finish()
	id.IDNumber, id.Name, id.Phone, id.Address = w.value(fragIDNumber), w.value(fragName), w.value(fragPhone), w.value(fragAddress)
	id.BirthDate, id.Sex = "", credo.SexUnknown
	return f
}

// subjectFragment returns ev's subject fragment when the record still
// holds the subject and identity it was written from: the same kinds and
// sex, and every string the very one handed out (same bytes in memory,
// same length), so that the fragment is what AppendRecordJSON would write.
func (ev *Event) subjectFragment() (string, bool) {
	f := &ev.subject
	r := &ev.Record
	id := &r.Identity
	ok := f.json != "" && r.Subject.Kind == f.kind && id.Sex == f.sex &&
		f.holds(fragSubjectID, r.Subject.ID) && f.holds(fragIDNumber, id.IDNumber) &&
		f.holds(fragName, id.Name) && f.holds(fragBirthDate, id.BirthDate) &&
		f.holds(fragPhone, id.Phone) && f.holds(fragAddress, id.Address)
	if !ok {
		return "", false
	}
	return f.json, true
}

// fragment is a subject's JSON fragment and where its values are in it.
type fragment struct {
	json string
	vals [nFragVals]span
	kind credo.SubjectKind
	sex  credo.Sex
}

// span is a value's place in a fragment; n = 0 when it has none.
type span struct{ off, n uint16 }

// The values of a fragment, in order.
const (
	fragSubjectID = iota
	fragIDNumber
	fragName
	fragBirthDate
	fragPhone
	fragAddress
	nFragVals
)

// value returns value v.
func (f *fragment) value(v int) string {
	sp := f.vals[v]
	return f.json[sp.off : sp.off+sp.n]
}

// holds reports whether s is value v of the fragment, or both are empty.
func (f *fragment) holds(v int, s string) bool {
	sp := f.vals[v]
	return len(s) == int(sp.n) && (sp.n == 0 || unsafe.StringData(s) == unsafe.StringData(f.json[sp.off:]))
}

// The rest of a record's strings are written by fill from the package's
// literals (every one JSON-plain: TestGeneratorLiteralsPlain), digits and
// ASCII letters, or taken from credo's catalogue of kinds (checked below),
// so they need no escaping either. The generator notes them in the event
// (plainStrings); the encoder copies a field that is still the very string
// noted without scanning it, and scans anything else.

// maxPlainAttrs is how many attributes' string values an event notes: as
// many as a kind sets.
const maxPlainAttrs = 5

// plainStrings are strings the generator wrote into an event's record,
// all JSON-plain.
type plainStrings struct {
	source, srid, kind, basis, evidence string
	// The attributes' keys and string values, in order.
	keys, vals [maxPlainAttrs]string
}

// kindPlain marks the kinds whose catalogue name and source are JSON-plain.
var kindPlain = func() (t [nKinds]bool) {
	for k, ki := range kindInfo {
		t[k] = plainJSON(ki.Name) && plainJSON(ki.Source)
	}
	return t
}()

// notePlain notes the strings of g.ev's record, just filled for kind k.
func (g *gen) notePlain(k int) {
	rec := &g.ev.Record
	p := &g.ev.plain
	*p = plainStrings{srid: rec.SourceRecordID, basis: rec.LegalBasis, evidence: rec.Evidence}
	if kindPlain[k] {
		p.source, p.kind = rec.Source, rec.Kind
	}
	for i := range min(len(rec.Attributes), maxPlainAttrs) {
		a := &rec.Attributes[i]
		p.keys[i], p.vals[i] = a.Key, a.Value.Str() // "" when not a string
	}
}

// appendNoted writes s as appendJSONString does, copying it when it is
// noted, the very string known to be plain (same bytes in memory, same
// length).
func appendNoted(b []byte, s, noted string) []byte {
	if len(s) == len(noted) && unsafe.StringData(s) == unsafe.StringData(noted) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	return appendJSONString(b, s)
}
