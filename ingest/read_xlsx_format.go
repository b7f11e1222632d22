package ingest

// Number formats other than General and dates ("#,##0.00", "0.00%",
// "000000", text sections) are applied by excelize, exactly as the XLSX
// reader always has: a scratch workbook holding the source's own styles.xml
// is made on first need, and a cell's value is set in it with the cell's
// style and read back. Results are cached; a workbook without such formats
// never pays for this.

import (
	"archive/zip"
	"bytes"
	"io"
	"strconv"
	"sync"

	"github.com/xuri/excelize/v2"
)

const scratchSheet = "Sheet1"

type xlsxFormatter struct {
	styles []byte // the workbook's styles.xml
	f      *excelize.File
	broken bool
	ready  map[int]bool
	same   map[int]bool // text shows as it is in this style
	cache  map[fmtKey]string
}

type fmtKey struct {
	style int
	text  bool
	v     string
}

func newXLSXFormatter(styles []byte) *xlsxFormatter {
	return &xlsxFormatter{styles: styles, ready: map[int]bool{}, same: map[int]bool{}, cache: map[fmtKey]string{}}
}

func (x *xlsxFormatter) close() {
	if x != nil && x.f != nil {
		x.f.Close()
		x.f = nil
	}
}

// blankWorkbook is a new workbook as excelize writes it.
var blankWorkbook = sync.OnceValue(func() []byte {
	nf := excelize.NewFile()
	defer nf.Close()
	var b bytes.Buffer
	if nf.Write(&b) != nil {
		return nil
	}
	return b.Bytes()
})

// init makes the scratch workbook: a new one, with the source's styles.
func (x *xlsxFormatter) init() bool {
	if x.f != nil || x.broken {
		return !x.broken
	}
	x.broken = true
	blank := blankWorkbook()
	if blank == nil {
		return false
	}
	zr, err := zip.NewReader(bytes.NewReader(blank), int64(len(blank)))
	if err != nil {
		return false
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		w, err := zw.Create(zf.Name)
		if err != nil {
			return false
		}
		if zf.Name == "xl/styles.xml" {
			w.Write(x.styles)
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return false
		}
		_, err = io.Copy(w, rc)
		rc.Close()
		if err != nil {
			return false
		}
	}
	if zw.Close() != nil {
		return false
	}
	f, err := excelize.OpenReader(&out)
	if err != nil {
		return false
	}
	x.f, x.broken = f, false
	return true
}

// textSame reports whether the style shows any text as it is.
func (x *xlsxFormatter) textSame(style int) bool {
	if x == nil {
		return true
	}
	same, ok := x.same[style]
	if !ok {
		const probe = "credo probe 测试"
		same = x.format(style, probe, true) == probe
		x.same[style] = same
	}
	return same
}

func (x *xlsxFormatter) text(style int, v string) string   { return x.format(style, v, true) }
func (x *xlsxFormatter) number(style int, v string) string { return x.format(style, v, false) }

// format returns v, a number cell's text or a text cell's, as excelize shows
// it in the style.
func (x *xlsxFormatter) format(style int, v string, text bool) string {
	if x == nil || style < 0 || style >= xlsxMaxRows || !x.init() {
		return v
	}
	k := fmtKey{style, text, v}
	if s, ok := x.cache[k]; ok {
		return s
	}
	cell := "A" + strconv.Itoa(style+1)
	if !x.ready[style] {
		if x.f.SetCellStyle(scratchSheet, cell, cell, style) != nil {
			return v
		}
		x.ready[style] = true
	}
	var err error
	if text {
		err = x.f.SetCellStr(scratchSheet, cell, v)
	} else {
		err = x.f.SetCellDefault(scratchSheet, cell, v)
	}
	if err != nil {
		return v
	}
	s, err := x.f.GetCellValue(scratchSheet, cell)
	if err != nil {
		s = v
	}
	if len(x.cache) >= 1<<14 {
		clear(x.cache)
	}
	x.cache[k] = s
	return s
}
