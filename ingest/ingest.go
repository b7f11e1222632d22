// Package ingest turns agencies' exports into ledger records. It sits at the
// front of credo's data flow:
//
//	file ─▶ Reader (format, encoding) ─▶ Row ─▶ Mapper (spec, transforms) ─▶ Record ─▶ ledger
//	                                           └──────────▶ quarantine (row, file, every reason)
//
// A Spec (one YAML file per source) says how a source's files become
// records. A Reader streams the rows of one file in constant memory. The
// Mapper applies the spec's field mappings and transforms to a row and
// either makes a record or lists every reason the row cannot be one. Rows
// that cannot become records are quarantined with their raw content, never
// dropped; records without a usable identifier are appended unresolved,
// with their identifying attributes.
package ingest

import (
	"errors"
	"fmt"
)

// Row is one row of a source file as the reader found it: named string
// values, before any mapping.
type Row struct {
	// Num is the 1-based position of the row in its file: the line for CSV,
	// TSV and NDJSON (of the row's first line), the sheet row for XLSX, the
	// ordinal of the element for JSON arrays and XML.
	Num int64
	// Names are the field names. For CSV, TSV and XLSX they are the header,
	// shared by every row of the file (the same slice); for JSON, NDJSON and
	// XML each row names its own: nested objects flattened with dots
	// ("owner.name"), XML child elements with slashes ("owner/name") and
	// attributes with '@' ("@id", "owner/@type").
	Names []string
	// Values are the fields' values, as text, in the file's order, decoded
	// to UTF-8. len(Values) may differ from len(Names) for a malformed row
	// (the reader then also returns a *RowError).
	Values []string
	// Raw is the row as it appeared in the file, decoded to UTF-8, for
	// formats where that is text of its own (an NDJSON line, a JSON object,
	// an XML element); nil for CSV, TSV and XLSX, whose rows are written
	// back from Names and Values.
	Raw []byte
}

// Get returns the value of the field named name.
func (r *Row) Get(name string) (string, bool) {
	for i, n := range r.Names {
		if n == name {
			if i < len(r.Values) {
				return r.Values[i], true
			}
			return "", false
		}
	}
	return "", false
}

// Reader streams the rows of one file.
type Reader interface {
	// Next returns the next row. At the end of the file it returns io.EOF.
	// The row's slices are the caller's to keep: a Reader does not write to
	// them again (the Names of CSV, TSV and XLSX rows are one slice, shared
	// by every row).
	// A row that is malformed but does not stop the reading (a CSV row with
	// too many fields, an NDJSON line that is not JSON) comes back with a
	// *RowError, and Next can be called again. Any other error means the
	// file cannot be read further (it is not the declared format, the
	// declared encoding is wrong, it is truncated); it names the file.
	Next() (Row, error)
	// Header is the file's header row for CSV, TSV and XLSX, nil otherwise.
	Header() []string
	// Offset is how many bytes of the file have been consumed, for progress.
	Offset() int64
	Close() error
}

// RowError is a malformed row: the reader goes on after it. The row keeps
// whatever could be read of it, so that it can be quarantined.
type RowError struct {
	Row    Row
	Reason string
}

func (e *RowError) Error() string { return fmt.Sprintf("row %d: %s", e.Row.Num, e.Reason) }

// FileError is a file that cannot be read at all, or no further.
type FileError struct {
	File string
	Err  error
}

func (e *FileError) Error() string { return fmt.Sprintf("%s: %v", e.File, e.Err) }
func (e *FileError) Unwrap() error { return e.Err }

// ErrFormat is wrapped by FileErrors saying the file is not in the declared
// format (an "XLSX" that is really a CSV, JSON that is not an array).
var ErrFormat = errors.New("not in the declared format")

// ErrEncoding is wrapped by FileErrors saying the declared encoding is wrong.
var ErrEncoding = errors.New("not in the declared encoding")
