package ingest

// Fuzz tests of the XLSX reader's own parts. FuzzReadXLSX (read_fuzz_test.go)
// mutates whole workbooks, whose ZIP checksums stop most mutations early;
// these mutate the XML inside. Run each with
//
//	go test ./ingest -run '^$' -fuzz '^FuzzReadXLSXParts$' -fuzztime 1m
//	go test ./ingest -run '^$' -fuzz '^FuzzXLSXSheetScan$' -fuzztime 1m

import (
	"archive/zip"
	"bytes"
	"testing"
	"unicode/utf8"
)

// xlsxFuzzSheets are seeds: worksheet XML (sheetData content or whole).
var xlsxFuzzSheets = []string{
	`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c><c r="C2"><v>3</v></c></row>`,
	`<row><c t="inlineStr"><is><r><t>a</t></r><rPh><t>b</t></rPh></is></c><c/><c s="3"><v>1.5</v></c></row><row/><row r="5"><c r="B5" t="b"><v>1</v></c><c t="e"><v>#N/A</v></c></row>`,
	`<row r="1"><c r="A1" t="inlineStr"><is><t xml:space="preserve"> &amp;&#x4e2d;&#20013;<![CDATA[<x>]]>_x000D_</t></is></c><c r="B1" s="2"><v>45356.5</v></c><c r="C1" s="4"><v>0.15</v></c></row>` +
		`<row r="2"><c r="A2" t="str"><f>1</f><v>s</v></c><c r="XFD2"><v>1</v></c><c r="D2" t="d"><v>2024-03-05T12:00:00Z</v></c></row>`,
	`<?xml version="1.0"?><x:worksheet xmlns:x="m"><!-- c --><x:sheetData><x:row r="1"><x:c r='A1' t="s"><x:v> 2 </x:v></x:c></x:row><x:row r="3" x="a>b"><x:c r="$B$3"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>`,
	`<row r="2"><c r="A2"><v>1</v></c></row><row r="1"><c r="A1"><v>2</v></c></row>`,
	"<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a\xffb</t></is></c><c r=\"1A\"><v>1</v></c></row>",
}

// FuzzReadXLSXParts reads workbooks made of the fuzzed worksheet XML and
// fixed shared strings and styles (rawSST, rawStyles), stored without
// compression for speed.
func FuzzReadXLSXParts(f *testing.F) {
	for i, s := range xlsxFuzzSheets {
		f.Add([]byte(s), uint8(i%3))
	}
	f.Fuzz(func(t *testing.T, sheet []byte, header uint8) {
		book := rawBookMethod(t, zip.Store, string(sheet), rawSST, rawStyles)
		rdFuzz(t, book, &Spec{Format: "xlsx", XLSX: &XLSXOptions{HeaderRow: int(header % 4)}})
	})
}

// FuzzXLSXSheetScan runs the worksheet and shared-strings parsers on raw
// XML, read a few bytes at a time: no panic, rows numbered upwards, cells
// inside the row, values valid UTF-8.
func FuzzXLSXSheetScan(f *testing.F) {
	for _, s := range xlsxFuzzSheets {
		f.Add([]byte("<sheetData>" + s + "</sheetData>"))
		f.Add([]byte(s))
	}
	f.Add([]byte(`<sst>` + rawSST + `</sst>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sst, err := readSST(&oneByteReader{r: bytes.NewReader(data)})
		if err == nil {
			for i := 0; i < sst.len(); i++ {
				if !utf8.ValidString(sst.get(i)) {
					t.Fatalf("shared string %d not valid UTF-8", i)
				}
			}
		}
		p := &sheetParser{s: newXScan(&oneByteReader{r: bytes.NewReader(data)}), sst: sst, styles: []uint8{styleGeneral, styleDate, styleGeneral}}
		if !bytes.Contains(data, []byte("sheetData")) {
			p.in = true
		}
		last := 0
		for i := 0; ; i++ {
			if i > len(data) {
				t.Fatal("more rows than bytes")
			}
			ok, err := p.readRow()
			if err != nil || !ok {
				return
			}
			if p.num <= last || p.num > xlsxMaxRows {
				t.Fatalf("row %d after %d", p.num, last)
			}
			last = p.num
			vals, width := p.values(3)
			if width > 0 && len(vals) < width {
				t.Fatalf("row %d: %d values, width %d", p.num, len(vals), width)
			}
			for _, v := range vals {
				if !utf8.ValidString(v) {
					t.Fatalf("row %d: value %q not valid UTF-8", p.num, v)
				}
			}
		}
	})
}
