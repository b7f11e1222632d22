package ingest

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
)

// DefaultDateLayouts are tried for date fields whose spec gives none.
var DefaultDateLayouts = []string{
	"2006-01-02 15:04:05", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02",
	"2006/1/2 15:04:05", "2006/1/2 15:04", "2006/1/2", "20060102150405", "20060102", "chinese",
}

// Problem is one reason a row cannot become a record.
type Problem struct {
	Field  string `json:"field"`            // the record field: occurred_at, attributes.amount, subject.id …
	Column string `json:"column,omitempty"` // where it came from in the file
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Field)
	if p.Column != "" {
		fmt.Fprintf(&b, " (column %s)", p.Column)
	}
	if p.Value != "" {
		v := p.Value
		if len(v) > 80 {
			v = v[:80] + "…"
		}
		fmt.Fprintf(&b, " %q", v)
	}
	b.WriteString(": ")
	b.WriteString(p.Reason)
	return b.String()
}

// Class is the problem without the row's own value, so that the
// data-quality report can count rows by reason. A code missing from an
// enum map keeps its code: each missing code is a fix of its own.
func (p Problem) Class() string {
	reason := p.Reason
	if p.Value != "" && !strings.HasPrefix(reason, "code ") {
		reason = strings.ReplaceAll(reason, strconv.Quote(p.Value), "the value")
		reason = strings.ReplaceAll(reason, p.Value, "the value")
		// What follows the value is about this value (which layout failed
		// where, which character was unexpected): not part of the class.
		if i := strings.Index(reason, "the value"); i >= 0 {
			rest := reason[i:]
			if j := strings.IndexAny(rest, "(:"); j > 0 {
				reason = strings.TrimSpace(reason[:i+j])
			}
			if r, ok := strings.CutSuffix(reason, " the value"); ok {
				reason = r + " not readable" // "amount the value: unexpected 'a'"
			}
		}
	}
	if p.Column != "" {
		return p.Field + " (column " + p.Column + "): " + reason
	}
	return p.Field + ": " + reason
}

// Mapped is what the Mapper made of one row.
type Mapped struct {
	// Record is the record, or nil when the row has problems.
	Record *credo.Record
	// Problems lists every reason the row cannot be a record.
	Problems []Problem
	// SourceRecordID is the row's record id when it could be read.
	SourceRecordID string
	// Unresolved says why the record has no subject ("" when it has one):
	// the identifier is missing, or fails its check.
	Unresolved string
}

// Mapper turns rows into records under a spec. A Mapper is not safe for
// concurrent use; make one per goroutine.
type Mapper struct {
	spec   *Spec
	loc    *time.Location
	now    func() time.Time
	fields []*fieldProg // every mapped field, for fill rates and header checks

	recordID          []*fieldProg
	subjectKind       *fieldProg
	subjectID         *fieldProg
	name, birth, sex  *fieldProg
	phone, address    *fieldProg
	kind, occurredAt  *fieldProg
	legalBasis        *fieldProg
	evidence          *fieldProg
	corrects, retract *fieldProg
	attrs             []*fieldProg // sorted by attribute name

	header  []string // the header the column indexes were resolved against
	byIndex bool     // the row being mapped has that header: columns by index

	polarity    credo.Polarity // the spec's polarity, when it sets one
	hasPolarity bool
	at          time.Time // now, read once per row

	// The last kind looked up in the catalogue: rows of a source mostly
	// share a few kinds.
	lastKind string
	lastInfo credo.KindInfo

	// Records and their attributes are cut from blocks: one allocation
	// for many rows.
	recs  []credo.Record
	attrv []credo.Attribute
}

// mapperBlock is how many records a Mapper allocates at a time.
const mapperBlock = 256

// fieldProg is a Field compiled for the mapper.
type fieldProg struct {
	name  string // the record field, for messages
	key   string // the attribute's name, for attributes
	f     Field
	cols  []string
	idx   []int // column index per col in the current header, -1 when absent
	trim  bool
	dates *dateLayouts // the date layouts, compiled on first use

	filled int64 // rows with a value, for the fill rate
}

// NewMapper compiles spec. now bounds dates (nothing may occur in the future).
func NewMapper(spec *Spec, now func() time.Time) (*Mapper, error) {
	loc := time.FixedZone("CST", 8*3600)
	if spec.Timezone != "" {
		l, err := time.LoadLocation(spec.Timezone)
		if err != nil {
			return nil, fmt.Errorf("source spec %s: timezone: %w", spec.path, err)
		}
		loc = l
	}
	if now == nil {
		now = time.Now
	}
	m := &Mapper{spec: spec, loc: loc, now: now}
	prog := func(name string, f Field) *fieldProg {
		if !f.IsSet() {
			return nil
		}
		p := &fieldProg{name: name, key: strings.TrimPrefix(name, "attributes."), f: f, trim: f.Trim == nil || *f.Trim}
		if f.Column != "" {
			p.cols = []string{f.Column}
		} else {
			p.cols = f.Concat
		}
		m.fields = append(m.fields, p)
		return p
	}
	for _, c := range spec.RecordID {
		p := prog("record_id", Field{Column: c, Required: true})
		m.recordID = append(m.recordID, p)
	}
	if spec.Subject.KindFrom != nil {
		m.subjectKind = prog("subject.kind", *spec.Subject.KindFrom)
	}
	m.subjectID = prog("subject.id", spec.Subject.ID)
	m.name = prog("identity.name", spec.Identity.Name)
	m.birth = prog("identity.birth_date", spec.Identity.BirthDate)
	m.sex = prog("identity.sex", spec.Identity.Sex)
	m.phone = prog("identity.phone", spec.Identity.Phone)
	m.address = prog("identity.address", spec.Identity.Address)
	m.kind = prog("kind", spec.Kind)
	m.occurredAt = prog("occurred_at", spec.OccurredAt)
	m.legalBasis = prog("legal_basis", spec.LegalBasis)
	m.evidence = prog("evidence", spec.Evidence)
	m.corrects = prog("corrects", spec.Corrects)
	m.retract = prog("retracts", spec.Retracts)
	for _, name := range slices.Sorted(maps.Keys(spec.Attributes)) {
		if p := prog("attributes."+name, spec.Attributes[name]); p != nil {
			m.attrs = append(m.attrs, p)
		}
	}
	if m.kind == nil || m.occurredAt == nil || len(m.recordID) == 0 {
		return nil, fmt.Errorf("source spec %s: record_id, kind and occurred_at must be mapped", spec.path)
	}
	if spec.Polarity != "" {
		if pol, err := credo.ParsePolarity(spec.Polarity); err == nil {
			m.polarity, m.hasPolarity = pol, true
		}
	}
	return m, nil
}

// CheckHeader reports the mapped columns that a file's header lacks. Only
// formats with a header (CSV, TSV, XLSX) can be checked before reading.
func (m *Mapper) CheckHeader(header []string) error {
	if header == nil {
		return nil
	}
	have := make(map[string]bool, len(header))
	for _, h := range header {
		have[h] = true
	}
	var missing []string
	seen := map[string]bool{}
	for _, p := range m.fields {
		for _, c := range p.cols {
			if !have[c] && !seen[c] {
				seen[c] = true
				missing = append(missing, fmt.Sprintf("%q (for %s)", c, p.name))
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the header has no column %s; the header is: %s", strings.Join(missing, ", "), strings.Join(header, ", "))
	}
	return nil
}

// SetHeader tells the mapper the header its rows will share (CSV, TSV,
// XLSX), so that columns are found by index rather than by name. Rows whose
// Names are not that header (JSON, NDJSON, XML) are looked up by name.
func (m *Mapper) SetHeader(header []string) {
	m.header = header
	for _, p := range m.fields {
		p.idx = p.idx[:0]
		for _, c := range p.cols {
			i := -1
			for j, h := range header {
				if h == c {
					i = j
					break
				}
			}
			p.idx = append(p.idx, i)
		}
	}
}

func sameSlice(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// value returns the field's text for row after trimming, concatenation and
// the default; ok is false when it is empty.
func (m *Mapper) value(p *fieldProg, row *Row) (v string, ok bool) {
	f := &p.f
	switch {
	case f.Const != nil:
		v = *f.Const
	case len(p.cols) == 1:
		v = m.column(p, 0, row)
		if p.trim {
			v = TrimSpace(v)
		}
	default:
		parts := make([]string, 0, len(p.cols))
		for i := range p.cols {
			x := m.column(p, i, row)
			if p.trim {
				x = TrimSpace(x)
			}
			if x != "" {
				parts = append(parts, x)
			}
		}
		v = strings.Join(parts, f.Sep)
	}
	if v == "" && f.Default != nil {
		v = *f.Default
	}
	if v != "" {
		p.filled++
	}
	return v, v != ""
}

func (m *Mapper) column(p *fieldProg, i int, row *Row) string {
	if m.byIndex && i < len(p.idx) {
		if j := p.idx[i]; j >= 0 && j < len(row.Values) {
			return row.Values[j]
		}
		return ""
	}
	v, _ := row.Get(p.cols[i])
	return v
}

// layouts returns the field's date layouts (DefaultDateLayouts when the
// spec gives none), compiled.
func (p *fieldProg) layouts() *dateLayouts {
	if p.dates == nil {
		l := p.f.Layouts
		if len(l) == 0 {
			l = DefaultDateLayouts
		}
		p.dates = compileDateLayouts(l)
	}
	return p.dates
}

func (p *fieldProg) where() string { return strings.Join(p.cols, "+") }

// mapped applies the enum map, reporting a code not in it.
func (m *Mapper) mapped(p *fieldProg, v string, probs *[]Problem) (string, bool) {
	if p.f.Map == nil {
		return v, true
	}
	if x, ok := p.f.Map[v]; ok {
		return x, true
	}
	*probs = append(*probs, Problem{Field: p.name, Column: p.where(), Value: v, Reason: fmt.Sprintf("code %q is not in the spec's map", v)})
	return "", false
}

// Map makes a record of row. prov says where the row came from (the file's
// SHA-256, or the request id); the row number is added to it.
func (m *Mapper) Map(row *Row, prov credo.Provenance) Mapped {
	var probs []Problem
	var out Mapped
	m.at = m.now()
	m.byIndex = row.Names != nil && sameSlice(row.Names, m.header)

	// The source's own record id.
	var srcID string
	if len(m.recordID) == 1 {
		p := m.recordID[0]
		if v, ok := m.value(p, row); ok {
			srcID = v
		} else {
			probs = append(probs, Problem{Field: "record_id", Column: p.where(), Reason: "missing: the source record id is required"})
		}
	} else {
		ids := make([]string, 0, len(m.recordID))
		for _, p := range m.recordID {
			v, ok := m.value(p, row)
			if !ok {
				probs = append(probs, Problem{Field: "record_id", Column: p.where(), Reason: "missing: the source record id is required"})
				continue
			}
			ids = append(ids, v)
		}
		srcID = strings.Join(ids, "-")
	}
	if len(probs) == 0 {
		out.SourceRecordID = srcID
	}
	r := m.newRecord()
	r.Source, r.SourceRecordID = m.spec.Source, srcID
	r.Provenance = prov
	r.Provenance.Row = row.Num

	// Kind and polarity.
	var info credo.KindInfo
	if v, ok := m.value(m.kind, row); !ok {
		probs = append(probs, Problem{Field: "kind", Column: m.kind.where(), Reason: "missing"})
	} else if k, ok := m.mapped(m.kind, v, &probs); ok {
		if ki, known := m.lookupKind(k); known {
			r.Kind, info = k, ki
		} else {
			probs = append(probs, Problem{Field: "kind", Column: m.kind.where(), Value: k, Reason: "not a record kind in the catalogue"})
		}
	}
	r.Polarity = info.Polarity
	if m.hasPolarity {
		r.Polarity = m.polarity
	}

	// When it happened: a real date, not in the future.
	if v, ok := m.value(m.occurredAt, row); !ok {
		probs = append(probs, Problem{Field: "occurred_at", Column: m.occurredAt.where(), Reason: "missing"})
	} else if t, err := m.occurredAt.layouts().parse(v, m.loc); err != nil {
		probs = append(probs, Problem{Field: "occurred_at", Column: m.occurredAt.where(), Value: v, Reason: err.Error()})
	} else if t.After(m.at) {
		probs = append(probs, Problem{Field: "occurred_at", Column: m.occurredAt.where(), Value: v, Reason: "in the future"})
	} else if t.Year() < 1900 {
		probs = append(probs, Problem{Field: "occurred_at", Column: m.occurredAt.where(), Value: v, Reason: "before 1900"})
	} else {
		r.OccurredAt = t
	}

	// Identity, kept with every record.
	m.identity(r, row, &probs)

	// The subject: resolved when the identifier passes its check.
	out.Unresolved = m.subject(r, row, info, &probs)

	// Attributes, typed.
	for _, p := range m.attrs {
		v, ok := m.value(p, row)
		if !ok {
			if p.f.Required {
				probs = append(probs, Problem{Field: p.name, Column: p.where(), Reason: "missing"})
			}
			continue
		}
		v, ok = m.mapped(p, v, &probs)
		if !ok {
			continue
		}
		val, err := m.typed(p, v)
		if err != nil {
			probs = append(probs, Problem{Field: p.name, Column: p.where(), Value: v, Reason: err.Error()})
			continue
		}
		if r.Attributes == nil {
			r.Attributes = m.newAttributes()
		}
		r.Attributes = append(r.Attributes, credo.Attribute{Key: p.key, Value: val})
	}

	r.LegalBasis = m.text(m.legalBasis, row, &probs)
	if r.LegalBasis == "" {
		r.LegalBasis = m.spec.Mandate
	}
	r.Evidence = m.text(m.evidence, row, &probs)
	if v := m.text(m.corrects, row, &probs); v != "" {
		r.Corrects = credo.RecordID(m.spec.Source, v)
	}
	if v := m.text(m.retract, row, &probs); v != "" {
		r.Retracts = credo.RecordID(m.spec.Source, v)
	}

	if len(probs) > 0 {
		out.Problems = probs
		return out
	}
	if err := r.Validate(); err != nil {
		out.Problems = []Problem{{Field: "record", Reason: err.Error()}}
		return out
	}
	out.Record = r
	return out
}

// newRecord returns a zero record, cut from a block.
func (m *Mapper) newRecord() *credo.Record {
	if len(m.recs) == 0 {
		m.recs = make([]credo.Record, mapperBlock)
	}
	r := &m.recs[0]
	m.recs = m.recs[1:]
	return r
}

// newAttributes returns an empty list with room for every attribute the
// spec maps, cut from a block.
func (m *Mapper) newAttributes() credo.Attributes {
	n := len(m.attrs)
	if len(m.attrv) < n {
		m.attrv = make([]credo.Attribute, n*mapperBlock)
	}
	a := m.attrv[:0:n]
	m.attrv = m.attrv[n:]
	return a
}

// lookupKind is credo.LookupKind, remembering the last kind.
func (m *Mapper) lookupKind(k string) (credo.KindInfo, bool) {
	if k == m.lastKind && k != "" {
		return m.lastInfo, true
	}
	info, ok := credo.LookupKind(k)
	if ok {
		m.lastKind, m.lastInfo = k, info
	}
	return info, ok
}

// text maps a plain string field (mapped through its enum when it has one).
func (m *Mapper) text(p *fieldProg, row *Row, probs *[]Problem) string {
	if p == nil {
		return ""
	}
	v, ok := m.value(p, row)
	if !ok {
		if p.f.Required {
			*probs = append(*probs, Problem{Field: p.name, Column: p.where(), Reason: "missing"})
		}
		return ""
	}
	v, _ = m.mapped(p, v, probs)
	return v
}

// typed converts an attribute's text to its declared type.
func (m *Mapper) typed(p *fieldProg, v string) (credo.Value, error) {
	switch p.f.Type {
	case "", "string":
		return credo.String(v), nil
	case "int":
		n, err := ParseInt(v)
		return credo.Int(n), err
	case "number":
		f, err := ParseNumber(v)
		return credo.Number(f), err
	case "amount":
		f, err := ParseAmount(v)
		return credo.Number(f), err
	case "bool":
		b, err := ParseBool(v)
		return credo.Bool(b), err
	case "date":
		t, err := p.layouts().parse(v, m.loc)
		return credo.Time(t), err
	}
	return credo.Value{}, fmt.Errorf("unknown type %q", p.f.Type)
}

func (m *Mapper) identity(r *credo.Record, row *Row, probs *[]Problem) {
	id := &r.Identity
	id.Name = m.text(m.name, row, probs)
	id.Phone = m.text(m.phone, row, probs)
	id.Address = m.text(m.address, row, probs)
	if m.birth != nil {
		if v, ok := m.value(m.birth, row); ok {
			// A birth date that does not parse is kept as given: it is
			// evidence for resolution, not a fact the record asserts.
			id.BirthDate = v
			if t, err := m.birth.layouts().parse(v, m.loc); err == nil {
				id.BirthDate = t.Format(time.DateOnly)
			}
		}
	}
	if m.sex != nil {
		if v, ok := m.value(m.sex, row); ok {
			if x, ok := m.mapped(m.sex, v, probs); ok {
				// An unreadable sex is kept unknown: like the birth date, it
				// is evidence for resolution, not what the record asserts.
				id.Sex, _ = ParseSex(x)
			}
		}
	}
}

// subject resolves the record's subject and returns why it is unresolved
// ("" when resolved).
func (m *Mapper) subject(r *credo.Record, row *Row, info credo.KindInfo, probs *[]Problem) string {
	kind := credo.Unresolved
	switch {
	case m.subjectKind != nil:
		v, ok := m.value(m.subjectKind, row)
		if !ok {
			*probs = append(*probs, Problem{Field: "subject.kind", Column: m.subjectKind.where(), Reason: "missing"})
			return ""
		}
		v, ok = m.mapped(m.subjectKind, v, probs)
		if !ok {
			return ""
		}
		k, err := credo.ParseSubjectKind(v)
		if err != nil || k == credo.Unresolved {
			*probs = append(*probs, Problem{Field: "subject.kind", Column: m.subjectKind.where(), Value: v, Reason: "want person or organization"})
			return ""
		}
		kind = k
	default:
		k, err := credo.ParseSubjectKind(m.spec.Subject.Kind)
		if err != nil {
			*probs = append(*probs, Problem{Field: "subject.kind", Reason: err.Error()})
			return ""
		}
		kind = k
	}
	if m.subjectID == nil {
		return "no identifier mapped"
	}
	raw, ok := m.value(m.subjectID, row)
	r.Identity.IDNumber = raw
	if !ok {
		return "identifier missing"
	}
	var res ident.Result
	if kind == credo.Person {
		res = ident.CheckPersonAt(raw, m.at)
	} else {
		res = ident.CheckOrganization(raw)
	}
	if !res.Valid() {
		// A valid code of the other scheme in this column is a different
		// mistake than a mistyped one; say which.
		if other := ident.CheckAt(raw, m.at); other.Valid() && other.Kind != res.Kind {
			return fmt.Sprintf("identifier is a valid %s identifier where a %s's is expected", other.Kind, kind)
		}
		return "identifier invalid: " + res.String()
	}
	r.Subject = credo.SubjectRef{Kind: kind, ID: ident.Normalize(raw)}
	return ""
}

// FillRates returns, for every mapped field, the share of rows mapped so far
// that had a value.
func (m *Mapper) FillRates(rows int64) map[string]float64 {
	out := map[string]float64{}
	if rows == 0 {
		return out
	}
	for _, p := range m.fields {
		if p.f.Const != nil {
			continue
		}
		out[p.name+" ("+p.where()+")"] = float64(p.filled) / float64(rows)
	}
	return out
}
