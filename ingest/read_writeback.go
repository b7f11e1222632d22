package ingest

// Writing rows back in the source's own format and encoding, for `credo
// quarantine export`: the agency gets its rejected rows in the shape it sent
// them, fixes them and sends the file again, read with the same spec.
//
//	csv, tsv  the header (on csv.header_row, blank lines above it), then each
//	          row's Values, quoted where needed
//	xlsx      the header on xlsx.header_row of sheet xlsx.sheet (or
//	          "Sheet1"), then each row's Values as text cells
//	ndjson    each row's Raw, one a line
//	json      an array of the rows' Raw, inside objects along json.records
//	xml       the rows' Raw inside the elements of xml.record's parents
//	          ("*" is written as "records")
//
// A JSON, NDJSON or XML row without Raw is written from its Names and Values
// (flat keys, or child elements and @attributes).

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// RowWriter writes rows in a source's format and encoding. Close finishes
// the file (it does not close the underlying writer).
type RowWriter struct {
	format  string
	spec    *Spec
	out     io.Writer      // the caller's writer
	enc     io.WriteCloser // the encoder, for GB18030 and GBK
	bw      *bufio.Writer
	csv     *csv.Writer
	xf      *excelize.File
	sw      *excelize.StreamWriter
	xrow    int
	n       int
	closing []string // what Close writes after the rows
	record  string   // XML record element name
	err     error
}

// WriteRows writes header and rows in spec's format and encoding to w.
func WriteRows(w io.Writer, spec *Spec, header []string, rows []Row) error {
	rw, err := NewRowWriter(w, spec, header)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := rw.Write(r); err != nil {
			return err
		}
	}
	return rw.Close()
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// NewRowWriter starts a file in spec's format and encoding on w; header is
// written first for CSV, TSV and XLSX.
func NewRowWriter(w io.Writer, spec *Spec, header []string) (*RowWriter, error) {
	format, err := readFormat(spec)
	if err != nil {
		return nil, err
	}
	rw := &RowWriter{format: format, spec: spec, out: w}
	if format == "xlsx" {
		return rw, rw.startXLSX(header)
	}
	encName, err := readEncoding(spec)
	if err != nil {
		return nil, err
	}
	switch encName {
	case "gb18030":
		rw.enc = transform.NewWriter(w, simplifiedchinese.GB18030.NewEncoder())
	case "gbk":
		rw.enc = transform.NewWriter(w, simplifiedchinese.GBK.NewEncoder())
	default:
		rw.enc = nopWriteCloser{w}
	}
	rw.bw = bufio.NewWriterSize(rw.enc, 64<<10)
	switch format {
	case "csv", "tsv":
		rw.csv = csv.NewWriter(rw.bw)
		if format == "tsv" {
			rw.csv.Comma = '\t'
		}
		if o := spec.CSV; o != nil {
			if d := o.Delimiter; d == `\t` {
				rw.csv.Comma = '\t'
			} else if len(d) == 1 {
				rw.csv.Comma = rune(d[0])
			}
			for i := 1; i < o.HeaderRow; i++ {
				rw.bw.WriteString("\n")
			}
		}
		rw.csv.Write(header)
	case "json":
		var path []string
		if spec.JSON != nil && spec.JSON.Records != "" {
			path = strings.Split(spec.JSON.Records, ".")
		}
		for _, k := range path {
			kb, _ := json.Marshal(k)
			fmt.Fprintf(rw.bw, "{%s:", kb)
			rw.closing = append(rw.closing, "}")
		}
		rw.bw.WriteString("[\n")
	case "xml":
		path := []string{"records", "record"}
		if spec.XML != nil && strings.Trim(spec.XML.Record, "/") != "" {
			path = strings.Split(strings.Trim(spec.XML.Record, "/"), "/")
		}
		decl := "UTF-8"
		if encName != "utf-8" {
			decl = strings.ToUpper(encName)
		}
		fmt.Fprintf(rw.bw, "<?xml version=\"1.0\" encoding=\"%s\"?>\n", decl)
		for _, p := range path[:len(path)-1] {
			if p == "*" {
				p = "records"
			}
			fmt.Fprintf(rw.bw, "<%s>\n", p)
			rw.closing = append(rw.closing, "</"+p+">\n")
		}
		rw.record = path[len(path)-1]
		if rw.record == "*" {
			rw.record = "record"
		}
	}
	return rw, nil
}

func (rw *RowWriter) startXLSX(header []string) error {
	rw.xf = excelize.NewFile()
	sheet := "Sheet1"
	rw.xrow = 1
	if o := rw.spec.XLSX; o != nil {
		if o.Sheet != "" && o.Sheet != sheet {
			if err := rw.xf.SetSheetName(sheet, o.Sheet); err != nil {
				return err
			}
			sheet = o.Sheet
		}
		if o.HeaderRow > 1 {
			rw.xrow = o.HeaderRow
		}
	}
	sw, err := rw.xf.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	rw.sw = sw
	return rw.xlsxRow(header)
}

func (rw *RowWriter) xlsxRow(v []string) error {
	cell, err := excelize.CoordinatesToCellName(1, rw.xrow)
	if err != nil {
		return err
	}
	rw.xrow++
	vals := make([]any, len(v))
	for i, s := range v {
		vals[i] = s
	}
	return rw.sw.SetRow(cell, vals)
}

// Write writes one row.
func (rw *RowWriter) Write(row Row) error {
	if rw.err != nil {
		return rw.err
	}
	rw.n++
	switch rw.format {
	case "xlsx":
		rw.err = rw.xlsxRow(row.Values)
	case "csv", "tsv":
		rw.err = rw.csv.Write(row.Values)
	case "ndjson":
		rw.bw.Write(rawOrJSON(row))
		rw.err = rw.bw.WriteByte('\n')
	case "json":
		if rw.n > 1 {
			rw.bw.WriteString(",\n")
		}
		_, rw.err = rw.bw.Write(rawOrJSON(row))
	case "xml":
		if row.Raw != nil {
			rw.bw.Write(row.Raw)
		} else {
			rw.xmlFromValues(row)
		}
		rw.err = rw.bw.WriteByte('\n')
	}
	return rw.err
}

func rawOrJSON(row Row) []byte {
	if row.Raw != nil {
		return row.Raw
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range row.Names {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(n)
		v := ""
		if i < len(row.Values) {
			v = row.Values[i]
		}
		s, _ := json.Marshal(v)
		b.Write(k)
		b.WriteByte(':')
		b.Write(s)
	}
	b.WriteByte('}')
	return []byte(b.String())
}

func (rw *RowWriter) xmlFromValues(row Row) {
	fmt.Fprintf(rw.bw, "<%s", rw.record)
	for i, n := range row.Names {
		if strings.HasPrefix(n, "@") && i < len(row.Values) {
			fmt.Fprintf(rw.bw, " %s=\"", n[1:])
			xml.EscapeText(rw.bw, []byte(row.Values[i]))
			rw.bw.WriteByte('"')
		}
	}
	rw.bw.WriteByte('>')
	for i, n := range row.Names {
		if strings.Contains(n, "@") || i >= len(row.Values) {
			continue
		}
		if n == "#text" {
			xml.EscapeText(rw.bw, []byte(row.Values[i]))
			continue
		}
		parts := strings.Split(strings.TrimSuffix(n, "/#text"), "/")
		for _, p := range parts {
			fmt.Fprintf(rw.bw, "<%s>", p)
		}
		xml.EscapeText(rw.bw, []byte(row.Values[i]))
		for j := len(parts) - 1; j >= 0; j-- {
			fmt.Fprintf(rw.bw, "</%s>", parts[j])
		}
	}
	fmt.Fprintf(rw.bw, "</%s>", rw.record)
}

// Close finishes the file.
func (rw *RowWriter) Close() error {
	if rw.err != nil {
		return rw.err
	}
	if rw.format == "xlsx" {
		if err := rw.sw.Flush(); err != nil {
			return err
		}
		if err := rw.xf.Write(rw.out); err != nil {
			return err
		}
		return rw.xf.Close()
	}
	switch rw.format {
	case "csv", "tsv":
		rw.csv.Flush()
		if err := rw.csv.Error(); err != nil {
			return err
		}
	case "json":
		rw.bw.WriteString("\n]")
		for _, c := range rw.closing {
			rw.bw.WriteString(c)
		}
		rw.bw.WriteString("\n")
	case "xml":
		for i := len(rw.closing) - 1; i >= 0; i-- {
			rw.bw.WriteString(rw.closing[i])
		}
	}
	if err := rw.bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", rw.format, err)
	}
	return rw.enc.Close()
}
