package ingest

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/credo-org/credo"
)

// Check reports every problem of the spec at once, each with its line and
// column when the spec was read from YAML. The error is SpecErrors, or nil.
func (s *Spec) Check() error {
	c := checker{s: s}
	c.top()
	c.subject()
	c.kind()
	c.occurredAt()
	c.attributes()
	for _, f := range []struct {
		name string
		f    *Field
	}{
		{"legal_basis", &s.LegalBasis}, {"evidence", &s.Evidence}, {"corrects", &s.Corrects}, {"retracts", &s.Retracts},
	} {
		c.field(f.name, f.f, "string")
	}
	c.identity()
	if len(c.errs) == 0 {
		return nil
	}
	c.errs.sort()
	return c.errs
}

type checker struct {
	s    *Spec
	errs SpecErrors
}

func (c *checker) bad(key, format string, args ...any) {
	c.errs = append(c.errs, c.s.errorf(key, format, args...))
}

// required reports a required field that is not mapped.
func (c *checker) required(key, what string) {
	if c.has(key) {
		c.bad(key, "%s maps nothing: give a column name, or column, concat or const (%s)", key, what)
		return
	}
	c.bad(key, "%s is required: %s", key, what)
}

// has reports whether key is in the spec file (when the spec was read from
// YAML); a spec built in Go has no positions, and then has is false.
func (c *checker) has(key string) bool { _, ok := c.s.pos[key]; return ok }

func (c *checker) top() {
	s := c.s
	if s.Source == "" {
		c.bad("source", "source is required: the source's name (lower-case letters, digits, _ - .)")
	} else if !credo.ValidSourceName(s.Source) {
		c.bad("source", "source %q is not a source name: lower-case ASCII letters, digits, _ - and ., starting with a letter", s.Source)
	}
	if TrimSpace(s.Mandate) == "" {
		c.bad("mandate", "mandate is required: the legal mandate under which the agency sends records")
	}
	format := strings.ToLower(strings.TrimSpace(s.Format))
	switch format {
	case "csv", "tsv", "xlsx", "json", "ndjson", "xml":
	case "jsonl":
		format = "ndjson"
	case "":
		c.bad("format", "format is required: csv, tsv, xlsx, json, ndjson or xml")
	default:
		c.bad("format", "format %q: want csv, tsv, xlsx, json, ndjson or xml", s.Format)
	}
	switch strings.ToLower(strings.TrimSpace(s.Encoding)) {
	case "", "utf-8", "utf8", "gb18030", "gbk", "gb2312", "cp936":
	default:
		c.bad("encoding", "encoding %q: want utf-8 (the default), gb18030 or gbk", s.Encoding)
	}
	if format != "" {
		for _, o := range []struct {
			key     string
			set     bool
			formats []string
		}{
			{"csv", s.CSV != nil, []string{"csv", "tsv"}},
			{"xlsx", s.XLSX != nil, []string{"xlsx"}},
			{"json", s.JSON != nil, []string{"json"}},
			{"xml", s.XML != nil, []string{"xml"}},
		} {
			if o.set && !slices.Contains(o.formats, format) {
				c.bad(o.key, "%s: options for %s files, but the format is %s", o.key, strings.Join(o.formats, " and "), format)
			}
		}
	}
	if o := s.CSV; o != nil {
		if d := o.Delimiter; d != "" && d != `\t` && (len(d) != 1 || d[0] == '"' || d[0] == '\n' || d[0] == '\r' || d[0] >= utf8.RuneSelf) {
			c.bad("csv.delimiter", "csv.delimiter %q: want one ASCII character other than a quote or a newline (\\t for a tab)", d)
		}
		if o.HeaderRow < 0 {
			c.bad("csv.header_row", "csv.header_row %d: want the 1-based row of the header", o.HeaderRow)
		}
	}
	if o := s.XLSX; o != nil && o.HeaderRow < 0 {
		c.bad("xlsx.header_row", "xlsx.header_row %d: want the 1-based row of the header", o.HeaderRow)
	}
	if o := s.JSON; o != nil && o.Records != "" && slices.Contains(strings.Split(o.Records, "."), "") {
		c.bad("json.records", "json.records %q: want a dotted path such as data.items", o.Records)
	}
	if o := s.XML; o != nil && o.Record != "" && slices.Contains(strings.Split(strings.TrimPrefix(o.Record, "/"), "/"), "") {
		c.bad("xml.record", "xml.record %q: want a slash-separated element path such as export/records/record", o.Record)
	}
	if _, err := s.location(); err != nil {
		c.bad("timezone", "timezone %q: %v (want an IANA name such as Asia/Shanghai)", s.Timezone, err)
	}
	if len(s.RecordID) == 0 {
		c.bad("record_id", "record_id is required: the field(s) whose values, joined with \"-\", make the source's own record id")
	}
	seen := map[string]bool{}
	for i, f := range s.RecordID {
		key := fmt.Sprintf("record_id.%d", i)
		switch {
		case TrimSpace(f) == "":
			c.bad(key, "record_id: an empty field name")
		case seen[f]:
			c.bad(key, "record_id: %q is named twice", f)
		}
		seen[f] = true
	}
	switch s.Polarity {
	case "", "negative", "positive", "neutral":
	default:
		c.bad("polarity", "polarity %q: want negative, positive or neutral (or leave it out: the kind catalogue's)", s.Polarity)
	}
}

// subjectKinds are the subject kinds a spec's records can be about.
func (c *checker) subjectKinds() []credo.SubjectKind {
	sub := &c.s.Subject
	var kinds []string
	if sub.KindFrom != nil && sub.KindFrom.IsSet() {
		if sub.KindFrom.Const != nil {
			kinds = append(kinds, *sub.KindFrom.Const)
		}
		for _, v := range sub.KindFrom.Map {
			kinds = append(kinds, v)
		}
		if sub.KindFrom.Const == nil && len(sub.KindFrom.Map) == 0 {
			return []credo.SubjectKind{credo.Person, credo.Organization}
		}
	} else {
		kinds = append(kinds, sub.Kind)
	}
	var out []credo.SubjectKind
	for _, k := range kinds {
		if sk, ok := subjectKind(k); ok && !slices.Contains(out, sk) {
			out = append(out, sk)
		}
	}
	return out
}

func subjectKind(s string) (credo.SubjectKind, bool) {
	switch s {
	case "person":
		return credo.Person, true
	case "organization", "organisation":
		return credo.Organization, true
	}
	return 0, false
}

func (c *checker) subject() {
	sub := &c.s.Subject
	kindFrom := sub.KindFrom != nil && (sub.KindFrom.IsSet() || c.has("subject.kind_from"))
	switch {
	case sub.Kind == "" && !kindFrom:
		c.bad("subject", "subject.kind (person or organization) or subject.kind_from is required")
	case sub.Kind != "" && kindFrom:
		c.bad("subject.kind_from", "subject: give kind or kind_from, not both")
	case sub.Kind != "":
		if _, ok := subjectKind(sub.Kind); !ok {
			c.bad("subject.kind", "subject.kind %q: want person or organization", sub.Kind)
		}
	}
	if kindFrom {
		f := sub.KindFrom
		c.field("subject.kind_from", f, "string")
		for _, code := range sortedKeys(f.Map) {
			if _, ok := subjectKind(f.Map[code]); !ok {
				c.bad("subject.kind_from.map."+code, "subject.kind_from: code %q maps to %q: want person or organization", code, f.Map[code])
			}
		}
		if f.Const != nil {
			if _, ok := subjectKind(*f.Const); !ok && len(f.Map) == 0 {
				c.bad("subject.kind_from.const", "subject.kind_from: const %q: want person or organization", *f.Const)
			}
		}
	}
	c.field("subject.id", &sub.ID, "string")
	id := &c.s.Identity
	if !sub.ID.IsSet() && !id.Name.IsSet() && !id.Phone.IsSet() && !id.BirthDate.IsSet() && !id.Address.IsSet() {
		c.bad("subject", "subject.id is not mapped, nor any identity attribute: no record could ever be resolved to its subject")
	}
}

func (c *checker) kind() {
	s := c.s
	f := &s.Kind
	if !f.IsSet() {
		c.required("kind", "the record kind, usually a map from the agency's codes to kinds in the catalogue")
		return
	}
	c.field("kind", f, "string")
	subjects := c.subjectKinds()
	check := func(key, kind, what string) {
		info, ok := credo.LookupKind(kind)
		if !ok {
			msg := fmt.Sprintf("kind: %s %q is not a kind in the catalogue", what, kind)
			if near := nearestKind(kind); near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			}
			c.bad(key, "%s", msg)
			return
		}
		if len(subjects) > 0 && !slices.ContainsFunc(subjects, info.AppliesTo) {
			c.bad(key, "kind: %s %q is never about a %s", what, kind, subjects[0])
		}
	}
	if f.Const != nil && len(f.Map) == 0 {
		check("kind.const", *f.Const, "const")
	}
	for _, code := range sortedKeys(f.Map) {
		check("kind.map."+code, f.Map[code], fmt.Sprintf("code %q maps to", code))
	}
	if f.Default != nil && len(f.Map) == 0 {
		check("kind.default", *f.Default, "default")
	}
}

// nearestKind suggests a catalogue kind for a misspelt one.
func nearestKind(k string) string {
	var names []string
	for _, info := range credo.Kinds() {
		names = append(names, info.Name)
	}
	return nearest(k, names)
}

func (c *checker) occurredAt() {
	f := &c.s.OccurredAt
	if !f.IsSet() {
		c.required("occurred_at", "the date (or date and time) the record's fact happened")
		return
	}
	if f.Type != "" && f.Type != "date" {
		c.bad("occurred_at.type", "occurred_at: type %q: occurred_at is a date (leave type out)", f.Type)
		return
	}
	c.field("occurred_at", f, "date")
}

// celReserved are CEL's reserved words, which cannot follow a dot in
// record.attributes.NAME.
var celReserved = []string{
	"as", "break", "const", "continue", "else", "false", "for", "function", "if", "import", "in", "let",
	"loop", "namespace", "null", "package", "return", "true", "var", "void", "while",
}

// validAttributeName reports whether s is a lower_snake_case identifier.
func validAttributeName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func (c *checker) attributes() {
	for _, name := range sortedKeys(c.s.Attributes) {
		f := c.s.Attributes[name]
		key := "attributes." + name
		switch {
		case !validAttributeName(name):
			c.bad(key, "attribute %q: names are lower_snake_case identifiers (a-z, 0-9 and _), read by policies as record.attributes.NAME", name)
			continue
		case slices.Contains(celReserved, name):
			c.bad(key, "attribute %q: a reserved word of CEL, which policies are written in", name)
			continue
		}
		if !f.IsSet() && !c.unmapped(key, &f) {
			c.bad(key, "attribute %s is not mapped: give a column name, or column, concat or const", name)
			continue
		}
		c.field(key, &f, "")
		if info, ok := credo.LookupAttribute(name); ok && f.IsSet() && (f.Type == "" || slices.Contains(fieldTypes, f.Type)) {
			t := f.Type
			if t == "" {
				t = "string"
			}
			var want []string
			switch info.Type {
			case credo.KindNumber:
				want = []string{"number", "amount", "int"}
			case credo.KindInt:
				want = []string{"int"}
			case credo.KindString:
				want = []string{"string"}
			}
			if want != nil && !slices.Contains(want, t) {
				c.bad(key, "attribute %s is %s in the attribute catalogue (%s): want type %s, not %s",
					name, info.Type, info.Description, strings.Join(want, " or "), t)
			}
		}
	}
}

func (c *checker) identity() {
	id := &c.s.Identity
	c.field("identity.name", &id.Name, "string")
	c.field("identity.phone", &id.Phone, "string")
	c.field("identity.address", &id.Address, "string")
	c.field("identity.sex", &id.Sex, "string")
	if t := id.BirthDate.Type; t != "" && t != "date" && t != "string" {
		c.bad("identity.birth_date.type", "identity.birth_date: type %q: a birth date is a date", t)
	} else {
		c.field("identity.birth_date", &id.BirthDate, "date")
	}
}

// unmapped reports whether the field, though not set, has options (and so
// has been reported by field).
func (c *checker) unmapped(key string, f *Field) bool {
	return f.Sep != "" || f.Trim != nil || f.Type != "" || len(f.Layouts) > 0 || len(f.Map) > 0 || f.Default != nil || f.Required
}

// fieldTypes are the values of Field.Type.
var fieldTypes = []string{"string", "int", "number", "amount", "date", "bool"}

// field checks one field mapping. deflt is the type the field has when its
// spec gives none ("" for "string", the default of attributes), and the
// only one it may have when the record field is fixed (not "").
func (c *checker) field(key string, f *Field, deflt string) {
	n := 0
	if f.Column != "" {
		n++
	}
	if len(f.Concat) > 0 {
		n++
	}
	if f.Const != nil {
		n++
	}
	if n > 1 {
		c.bad(key, "%s: give one of column, concat and const, not %d", key, n)
	}
	if !f.IsSet() {
		if !c.unmapped(key, f) {
			return // not mapped at all
		}
		c.bad(key, "%s has options but no column, concat or const to take its value from", key)
	}
	if len(f.Concat) == 1 {
		c.bad(key+".concat", "%s: concat needs at least 2 fields (for one, use column)", key)
	}
	for i, x := range f.Concat {
		if TrimSpace(x) == "" {
			c.bad(fmt.Sprintf("%s.concat.%d", key, i), "%s: concat names an empty field", key)
		}
	}
	if f.Sep != "" && len(f.Concat) == 0 {
		c.bad(key+".sep", "%s: sep is for concat", key)
	}
	typ := f.Type
	switch {
	case typ == "":
		typ = deflt
		if typ == "" {
			typ = "string"
		}
	case !slices.Contains(fieldTypes, typ):
		c.bad(key+".type", "%s: type %q: want %s", key, typ, strings.Join(fieldTypes, ", "))
		return
	case deflt != "" && typ != deflt && !(key == "identity.birth_date" && typ == "string"):
		c.bad(key+".type", "%s: type %q: %s is a %s", key, typ, key, deflt)
		return
	}
	if len(f.Layouts) > 0 && typ != "date" {
		c.bad(key+".layouts", "%s: layouts are for type date, and the type is %s", key, typ)
	}
	for i, l := range f.Layouts {
		if reason := checkLayout(l); reason != "" {
			c.bad(fmt.Sprintf("%s.layouts.%d", key, i), "%s: layout %q %s", key, l, reason)
		}
	}
	if f.Map != nil && typ != "string" {
		c.bad(key+".map", "%s: map is for text values, and the type is %s (map the codes in a string field)", key, typ)
	}
	if f.Map != nil && len(f.Map) == 0 {
		c.bad(key+".map", "%s: map is empty: every row would be quarantined", key)
	}
	if f.Const != nil && f.Map != nil {
		if _, ok := f.Map[*f.Const]; !ok {
			c.bad(key+".const", "%s: const %q is not a code of the map", key, *f.Const)
		}
	}
	if f.Default != nil && f.Map != nil {
		if _, ok := f.Map[*f.Default]; !ok {
			c.bad(key+".default", "%s: default %q is not a code of the map (the default goes through the map like any value)", key, *f.Default)
		}
	}
	// Constants and defaults must be values of the type.
	for _, v := range []struct {
		key string
		val *string
	}{{key + ".const", f.Const}, {key + ".default", f.Default}} {
		if v.val == nil || f.Map != nil {
			continue
		}
		if err := checkValue(typ, *v.val, f.Layouts); err != nil {
			c.bad(v.key, "%s: %v", key, err)
		}
	}
}

// checkValue reports whether v is a value of type typ.
func checkValue(typ, v string, layouts []string) error {
	var err error
	switch typ {
	case "int":
		_, err = ParseInt(v)
	case "number":
		_, err = ParseNumber(v)
	case "amount":
		_, err = ParseAmount(v)
	case "bool":
		_, err = ParseBool(v)
	case "date":
		if len(layouts) == 0 {
			layouts = DefaultDateLayouts
		}
		_, err = ParseDate(v, layouts, time.UTC)
	}
	return err
}

// checkLayout says what is wrong with a date layout, or "".
func checkLayout(l string) string {
	switch l {
	case LayoutChinese, LayoutExcel:
		return ""
	case "":
		return "is empty"
	}
	if strings.Contains(strings.ToLower(l), "yy") || strings.Contains(l, "dd") || strings.Contains(l, "MM") {
		return "is not a Go layout: write the reference date 2006-01-02 15:04:05 as the dates look (2006/1/2, 20060102, 2006年1月2日), or use chinese or excel"
	}
	ref := time.Date(2024, 11, 23, 14, 35, 46, 0, time.UTC)
	t, err := time.Parse(l, ref.Format(l))
	if err != nil {
		return "is not a Go layout: " + goParseReason(err)
	}
	if t.Year() != 2024 || t.Month() != 11 || t.Day() != 23 {
		return "does not read a whole date: a Go layout needs the year (2006), month (01 or 1) and day (02 or 2)"
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
