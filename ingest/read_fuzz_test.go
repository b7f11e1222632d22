package ingest

// Fuzz tests: whatever the bytes, a reader never panics, never loops, and
// keeps its contract (rows numbered upwards, values valid UTF-8, nothing
// after a file error). Run each with
//
//	go test ./ingest -run '^$' -fuzz '^FuzzReadCSV$' -fuzztime 1m

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"unicode/utf8"
)

func rdFuzz(t *testing.T, data []byte, spec *Spec) {
	r, err := NewReader(bytes.NewReader(data), "fuzz", spec)
	if err != nil {
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Fatalf("NewReader error %T %v is not a *FileError", err, err)
		}
		return
	}
	defer r.Close()
	last := int64(0)
	for i := 0; ; i++ {
		if i > len(data)+10 {
			t.Fatalf("more rows than bytes")
		}
		row, err := r.Next()
		if err == io.EOF {
			if _, err := r.Next(); err != io.EOF {
				t.Fatalf("Next after io.EOF: %v", err)
			}
			return
		}
		var re *RowError
		if errors.As(err, &re) {
			row = re.Row
		} else if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is neither a *RowError nor a *FileError", err, err)
			}
			return
		}
		if row.Num <= last {
			t.Fatalf("row %d after row %d", row.Num, last)
		}
		last = row.Num
		for _, v := range row.Values {
			if !utf8.ValidString(v) {
				t.Fatalf("row %d: invalid UTF-8 value %q", row.Num, v)
			}
		}
		if !utf8.Valid(row.Raw) {
			t.Fatalf("row %d: invalid UTF-8 Raw", row.Num)
		}
		if err == nil && row.Names != nil && r.Header() != nil && len(row.Values) != len(row.Names) {
			t.Fatalf("row %d: %d values for %d names, and no RowError", row.Num, len(row.Values), len(row.Names))
		}
		if r.Header() == nil && len(row.Values) != len(row.Names) {
			t.Fatalf("row %d: %d values for %d names", row.Num, len(row.Values), len(row.Names))
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n", "a,b\r\n\"x\"\"y\",\"1\n2\"\r\n", "a\n\"unclosed\n", "a,b\n1,x\"y\n\"a\"b,c\n",
		"\xef\xbb\xbfa\n1\n", "a\n\x00\n", "\n\n\na\n", "a;b\n1;2", gb("姓名,金额\n张三,1\n"),
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(5))
	}
	f.Fuzz(func(t *testing.T, data []byte, opt uint8) {
		spec := &Spec{Format: "csv", CSV: &CSVOptions{LazyQuotes: opt&1 != 0, HeaderRow: int(opt>>4) % 4}}
		if opt&2 != 0 {
			spec.Format = "tsv"
		}
		switch opt >> 2 & 3 {
		case 1:
			spec.Encoding = "gb18030"
		case 2:
			spec.Encoding = "gbk"
		}
		rdFuzz(t, data, spec)
	})
}

func FuzzReadJSON(f *testing.F) {
	for _, s := range []string{
		`[{"a":1},{"b":{"c":[1,"x",null]}}]`, `{"data":{"items":[{"a":1}]}}`, `[{"a":`, `[1,"x",{}]`,
		`{"data":[]}`, `[{"\u00e9":"\ud800"}]`, ``, `[]x`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, path bool) {
		spec := rdSpec("json", "")
		if path {
			spec.JSON = &JSONOptions{Records: "data.items"}
		}
		rdFuzz(t, data, spec)
	})
}

func FuzzReadNDJSON(f *testing.F) {
	for _, s := range []string{"{\"a\":1}\n{oops\n[1]\n\n{\"b\":{\"c\":null}}", "[\n", "{\"a\":\"\\u0000\"}\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rdFuzz(t, data, rdSpec("ndjson", ""))
	})
}

func FuzzReadXML(f *testing.F) {
	for _, s := range []string{
		`<export><records><record id="1"><a>x</a><b c="d">e<f/></b></record></records></export>`,
		`<?xml version="1.0" encoding="GBK"?><r><x/></r>`, `<export><records><record>`, `a,b`, `<r><x>&nbsp;&bad;</x></r>`,
		`<export><records><record><![CDATA[x]]><!-- c --><?pi x?></record></records></export>`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, star bool) {
		spec := &Spec{Format: "xml", XML: &XMLOptions{Record: "export/records/record"}}
		if star {
			spec.XML = nil
		}
		rdFuzz(t, data, spec)
	})
}

func FuzzReadXLSX(f *testing.F) {
	book := rdWorkbook(f)
	f.Add(book, uint8(0))
	f.Add(book, uint8(3))
	f.Add(book[:len(book)-100], uint8(3))
	f.Add([]byte("a,b\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, header uint8) {
		spec := &Spec{Format: "xlsx", XLSX: &XLSXOptions{HeaderRow: int(header % 8)}}
		if header&8 != 0 {
			spec.XLSX.Sheet = "数据"
		}
		rdFuzz(t, data, spec)
	})
}
