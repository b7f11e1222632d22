package ingest

import (
	"io"

	"github.com/credo-org/credo"
)

// WriteQuarantined writes quarantined rows back in spec's format and
// encoding, so that the agency can fix them and send the file again. Rows
// from files with different headers are aligned on the first row's header
// (by column name); a column the first header lacks is dropped, and said so
// by the row staying in quarantine until the agency resends it whole.
func WriteQuarantined(w io.Writer, spec *Spec, rows []*credo.QuarantinedRow) error {
	var header []string
	for _, q := range rows {
		if len(q.Names) > 0 {
			header = q.Names
			break
		}
	}
	out := make([]Row, 0, len(rows))
	for _, q := range rows {
		r := Row{Num: q.Row, Names: q.Names, Values: q.Values, Raw: []byte(q.Raw)}
		if header != nil && isTabular(spec.Format) && !sameNames(q.Names, header) {
			r.Values = align(q.Names, q.Values, header)
			r.Names = header
		}
		out = append(out, r)
	}
	return WriteRows(w, spec, header, out)
}

func isTabular(format string) bool { return format == "csv" || format == "tsv" || format == "xlsx" }

func sameNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// align reorders values named names into header's order.
func align(names, values, header []string) []string {
	out := make([]string, len(header))
	for i, h := range header {
		for j, n := range names {
			if n == h && j < len(values) {
				out[i] = values[j]
				break
			}
		}
	}
	return out
}
