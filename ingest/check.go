package ingest

import (
	"errors"
	"fmt"

	"github.com/credo-org/credo"
)

// Check reports every problem of the spec at once, each with its line.
func (s *Spec) Check() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("source spec %s: "+format, append([]any{s.path}, args...)...))
	}
	if !credo.ValidSourceName(s.Source) {
		bad("source %q is not a source name (lower-case letters, digits, _ - .)", s.Source)
	}
	if s.Mandate == "" {
		bad("mandate is required: the legal mandate under which the agency sends records")
	}
	switch s.Format {
	case "csv", "tsv", "xlsx", "json", "ndjson", "xml":
	default:
		bad("format %q: want csv, tsv, xlsx, json, ndjson or xml", s.Format)
	}
	switch s.Encoding {
	case "", "utf-8", "utf8", "gb18030", "gbk":
	default:
		bad("encoding %q: want utf-8, gb18030 or gbk", s.Encoding)
	}
	if len(s.RecordID) == 0 {
		bad("record_id is required: the field(s) making the source's own record id")
	}
	if !s.Kind.IsSet() {
		bad("kind is required")
	}
	if !s.OccurredAt.IsSet() {
		bad("occurred_at is required")
	}
	if s.Subject.Kind == "" && s.Subject.KindFrom == nil {
		bad("subject.kind (person or organization) or subject.kind_from is required")
	}
	return errors.Join(errs...)
}
