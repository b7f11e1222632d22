package ingest

// The format readers. Open and NewReader dispatch on Spec.Format to one of
//
//	csv, tsv   read_csv.go   a hand-written RFC 4180 reader (encoding/csv is too slow)
//	xlsx       read_xlsx.go  a streaming tokenizer over the sheet's XML in the zip
//	json       read_json.go  json.Decoder tokens; one record decoded at a time
//	ndjson     read_json.go  one JSON object a line
//	xml        read_xml.go   xml.Decoder tokens
//
// Every text format goes through the same source stack (newTextSource):
//
//	file ─▶ byte counter (Offset) ─▶ sniffing (BOM, UTF-16, ZIP, wrong encoding) ─▶ UTF-8 validator or GB18030/GBK decoder ─▶ format reader
//
// so a format reader only ever sees valid UTF-8, and an encoding error stops
// the file with a *FileError wrapping ErrEncoding that names the byte offset
// and the line.
//
// Limits, whatever the file size: memory is constant (a few 64–256 KiB
// buffers) except for one row, which may not exceed MaxRowBytes. A longer
// CSV, TSV or NDJSON row is skipped (its bytes are scanned, not kept) and
// reported as a *RowError; a longer JSON or XML record stops the file with a
// *FileError, because their decoders cannot skip a value without holding it.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// MaxRowBytes caps the size of one row (a CSV record, an NDJSON line, a JSON
// or XML record), decoded, in bytes.
const MaxRowBytes = 16 << 20

// sniffLen is how much of the start of a text file is examined for byte-order
// marks and for a wrong declared encoding.
const sniffLen = 64 << 10

// Open opens the file at path and returns a Reader for it in spec's format
// and encoding. Closing the Reader closes the file.
func Open(path string, spec *Spec) (Reader, error) {
	format, err := readFormat(spec)
	if err != nil {
		return nil, &FileError{File: path, Err: err}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &FileError{File: path, Err: err}
	}
	if format == "xlsx" {
		defer f.Close()
		return openXLSX(f, path, path, "", spec)
	}
	r, err := newTextReader(f, path, spec, format, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// NewReader returns a Reader for r in spec's format and encoding; name names
// the file in messages. Closing the Reader does not close r. For XLSX, which
// needs random access, r is first copied to a temporary file (removed by
// Close); use Open for files on disk.
func NewReader(r io.Reader, name string, spec *Spec) (Reader, error) {
	format, err := readFormat(spec)
	if err != nil {
		return nil, &FileError{File: name, Err: err}
	}
	if format == "xlsx" {
		return newXLSXFromStream(r, name, spec)
	}
	return newTextReader(r, name, spec, format, nil)
}

func newTextReader(r io.Reader, name string, spec *Spec, format string, closer io.Closer) (Reader, error) {
	src, err := newTextSource(r, name, spec, format)
	if err != nil {
		return nil, err
	}
	src.closer = closer
	switch format {
	case "csv", "tsv":
		return newCSVReader(src, spec, format)
	case "json":
		return newJSONReader(src, spec)
	case "ndjson":
		return newNDJSONReader(src)
	case "xml":
		return newXMLReader(src, spec)
	}
	panic("unreachable")
}

// readFormat returns spec's format, normalised and checked.
func readFormat(spec *Spec) (string, error) {
	if spec == nil {
		return "", errors.New("no source spec")
	}
	f := strings.ToLower(strings.TrimSpace(spec.Format))
	switch f {
	case "csv", "tsv", "xlsx", "json", "ndjson", "xml":
		return f, nil
	case "jsonl":
		return "ndjson", nil
	case "":
		return "", errors.New("the source spec names no format (csv, tsv, xlsx, json, ndjson, xml)")
	}
	return "", fmt.Errorf("unknown format %q (want csv, tsv, xlsx, json, ndjson or xml)", spec.Format)
}

// readEncoding returns spec's encoding, normalised: "utf-8", "gb18030" or
// "gbk" (GB2312 files are read as GBK, a superset).
func readEncoding(spec *Spec) (string, error) {
	switch strings.ToLower(strings.TrimSpace(spec.Encoding)) {
	case "", "utf-8", "utf8":
		return "utf-8", nil
	case "gb18030":
		return "gb18030", nil
	case "gbk", "gb2312", "cp936":
		return "gbk", nil
	}
	return "", fmt.Errorf("unknown encoding %q (want utf-8, gb18030 or gbk)", spec.Encoding)
}

// textSource is the decoded, validated UTF-8 text of one file.
type textSource struct {
	name   string
	r      io.Reader // UTF-8, validated
	raw    *countingReader
	closer io.Closer
}

func (s *textSource) offset() int64 { return s.raw.n }

func (s *textSource) close() error {
	if s.closer != nil {
		c := s.closer
		s.closer = nil
		return c.Close()
	}
	return nil
}

// fileErr wraps err as a *FileError naming the file, unless it is one.
func (s *textSource) fileErr(err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return err
	}
	return &FileError{File: s.name, Err: err}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// newTextSource sniffs the start of r and stacks the decoder for the
// declared encoding on it. A UTF-8 byte-order mark is stripped and honoured
// (the file is read as UTF-8 whatever the declared encoding); a UTF-16 or
// UTF-32 one, or UTF-16 text without one, is an encoding error; a ZIP file
// (an XLSX workbook) declared as text is a format error; a file declared
// GB18030 or GBK whose start is valid UTF-8 with non-ASCII text is an
// encoding error.
func newTextSource(r io.Reader, name string, spec *Spec, format string) (*textSource, error) {
	enc, err := readEncoding(spec)
	if err != nil {
		return nil, &FileError{File: name, Err: err}
	}
	raw := &countingReader{r: r}
	src := &textSource{name: name, raw: raw}
	br := bufio.NewReaderSize(raw, sniffLen)
	head, err := br.Peek(sniffLen)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, src.fileErr(err)
	}
	if bom := utf16BOM(head); bom != "" {
		return nil, src.fileErr(fmt.Errorf("%w: the file starts with a %s byte-order mark, so it is %s, not %s; save it as UTF-8 or GB18030", ErrEncoding, bom, bom, enc))
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
		head = head[3:]
		enc = "utf-8"
	} else if u := utf16NoBOM(head); u != "" {
		return nil, src.fileErr(fmt.Errorf("%w: the file looks like %s without a byte-order mark (every other byte is NUL); save it as UTF-8 or GB18030", ErrEncoding, u))
	} else if enc != "utf-8" && looksUTF8(head) {
		return nil, src.fileErr(fmt.Errorf("%w: declared %s, but the file is valid UTF-8 with non-ASCII text; set encoding: utf-8", ErrEncoding, enc))
	}
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return nil, src.fileErr(fmt.Errorf("%w: this is a ZIP file (an XLSX workbook?), not %s", ErrFormat, strings.ToUpper(format)))
	}
	if enc == "utf-8" {
		src.r = &utf8Reader{r: br, buf: make([]byte, 64<<10)}
	} else {
		d := simplifiedchinese.GB18030.NewDecoder()
		if enc == "gbk" {
			d = simplifiedchinese.GBK.NewDecoder()
		}
		src.r = &gbReader{r: br, enc: strings.ToUpper(enc), dec: d, in: make([]byte, 64<<10), out: make([]byte, 128<<10)}
	}
	return src, nil
}

func utf16BOM(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xff, 0xfe, 0, 0}):
		return "UTF-32LE"
	case bytes.HasPrefix(b, []byte{0, 0, 0xfe, 0xff}):
		return "UTF-32BE"
	case bytes.HasPrefix(b, []byte{0xff, 0xfe}):
		return "UTF-16LE"
	case bytes.HasPrefix(b, []byte{0xfe, 0xff}):
		return "UTF-16BE"
	}
	return ""
}

// utf16NoBOM reports UTF-16 text without a BOM: NUL in most even or most odd
// bytes of the first KiB.
func utf16NoBOM(b []byte) string {
	if len(b) > 1024 {
		b = b[:1024]
	}
	if len(b) < 8 {
		return ""
	}
	var even, odd int
	for i, c := range b {
		if c == 0 {
			if i%2 == 0 {
				even++
			} else {
				odd++
			}
		}
	}
	half := len(b) / 2
	switch {
	case odd*10 >= half*7 && even*10 < half:
		return "UTF-16LE"
	case even*10 >= half*7 && odd*10 < half:
		return "UTF-16BE"
	}
	return ""
}

// looksUTF8 reports whether b (the start of a file, perhaps cut inside a
// character) is valid UTF-8 with at least two non-ASCII characters: GB18030
// text with Chinese in it is practically never that.
func looksUTF8(b []byte) bool {
	// Drop a character cut at the end of the sample.
	for i := 1; i <= 3 && i <= len(b); i++ {
		if c := b[len(b)-i]; c >= 0xc0 {
			if !utf8.FullRune(b[len(b)-i:]) {
				b = b[:len(b)-i]
			}
			break
		} else if c < 0x80 {
			break
		}
	}
	if !utf8.Valid(b) {
		return false
	}
	n := 0
	for _, c := range b {
		if c >= 0xc0 {
			n++
		}
	}
	return n >= 2
}

// encodingError is an invalid byte sequence in the declared encoding.
type encodingError struct {
	enc    string
	offset int64 // of the bad bytes, in the file (after any BOM)
	line   int64
	bad    []byte
	hint   string
}

func (e *encodingError) Error() string {
	return fmt.Sprintf("%v: invalid %s at byte %d (line %d): % x%s", ErrEncoding, e.enc, e.offset, e.line, e.bad, e.hint)
}

func (e *encodingError) Unwrap() error { return ErrEncoding }

// utf8Reader passes through valid UTF-8 and stops at the first invalid byte
// with an *encodingError, after returning everything before it.
type utf8Reader struct {
	r       io.Reader
	buf     []byte
	s, v, e int   // buf[s:v] validated and unread, buf[v:e] not yet validated
	off     int64 // file offset of buf[s]
	line    int64 // newlines before buf[s]
	err     error
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	for {
		if u.s < u.v {
			n := copy(p, u.buf[u.s:u.v])
			u.line += int64(bytes.Count(p[:n], nl))
			u.s += n
			u.off += int64(n)
			return n, nil
		}
		if u.err != nil {
			return 0, u.err
		}
		tail := copy(u.buf, u.buf[u.v:u.e])
		u.s, u.v, u.e = 0, 0, tail
		n, err := io.ReadAtLeast(u.r, u.buf[tail:], 1)
		u.e += n
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		end := u.e
		if err == nil {
			end = completeUTF8(u.buf[:u.e])
		} else {
			u.err = err
		}
		if utf8.Valid(u.buf[:end]) {
			u.v = end
			continue
		}
		i := invalidUTF8(u.buf[:end])
		u.v = i
		j := min(i+4, end)
		u.err = &encodingError{enc: "UTF-8", offset: u.off + int64(i), line: u.line + int64(bytes.Count(u.buf[:i], nl)) + 1,
			bad: bytes.Clone(u.buf[i:j]), hint: "; the file may be GB18030 or GBK: set encoding: gb18030"}
	}
}

var nl = []byte{'\n'}

// completeUTF8 returns the length of b without a character cut at its end.
func completeUTF8(b []byte) int {
	for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < 0x80 {
			return len(b)
		}
		if utf8.RuneStart(c) {
			if utf8.FullRune(b[len(b)-i:]) {
				return len(b)
			}
			return len(b) - i
		}
	}
	return len(b)
}

func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// gbReader decodes GB18030 or GBK to UTF-8, copying runs of ASCII itself and
// handing runs of multi-byte characters to x/text's decoder. An invalid
// sequence stops it with an *encodingError.
type gbReader struct {
	r       io.Reader
	enc     string
	dec     transform.Transformer
	in, out []byte
	is, ie  int // in[is:ie] not yet decoded
	os, oe  int // out[os:oe] decoded and unread
	off     int64
	line    int64
	err     error // from r
	bad     error
}

func (g *gbReader) Read(p []byte) (int, error) {
	for {
		if g.os < g.oe {
			n := copy(p, g.out[g.os:g.oe])
			g.line += int64(bytes.Count(p[:n], nl))
			g.os += n
			return n, nil
		}
		if g.bad != nil {
			return 0, g.bad
		}
		if g.is == g.ie && g.err != nil {
			return 0, g.err
		}
		if g.err == nil && g.ie-g.is < 8 {
			g.ie = copy(g.in, g.in[g.is:g.ie])
			g.is = 0
			n, err := io.ReadAtLeast(g.r, g.in[g.ie:], 1)
			g.ie += n
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			g.err = err
		}
		nd, ns, bad := g.decode(g.out, g.in[g.is:g.ie], g.err != nil)
		g.os, g.oe = 0, nd
		if bad >= 0 {
			j := min(g.is+bad+4, g.ie)
			g.bad = &encodingError{enc: g.enc, offset: g.off + int64(bad), line: g.line + int64(bytes.Count(g.out[:nd], nl)) + 1,
				bad: bytes.Clone(g.in[g.is+bad : j]), hint: "; is the file UTF-8? set encoding: utf-8"}
		}
		g.is += ns
		g.off += int64(ns)
	}
}

// decode decodes src into dst, stopping short at a character cut at the
// end of src unless atEOF. bad is the index in src of an invalid sequence,
// or -1; decoding stops before it.
func (g *gbReader) decode(dst, src []byte, atEOF bool) (nd, ns, bad int) {
	for ns < len(src) && nd < len(dst) {
		c := src[ns]
		if c < 0x80 {
			j := ns + 1
			lim := min(len(src), ns+len(dst)-nd)
			for j < lim && src[j] < 0x80 {
				j++
			}
			nd += copy(dst[nd:], src[ns:j])
			ns = j
			continue
		}
		// A run of multi-byte characters, ending before ASCII or a
		// character cut at the end of src.
		j, cut := ns, -1
		for j < len(src) && src[j] >= 0x80 {
			size := 1
			if c := src[j]; c > 0x80 && c < 0xff {
				size = 2
				if j+1 < len(src) && src[j+1] >= 0x30 && src[j+1] <= 0x39 {
					size = 4
				}
			}
			if j+size > len(src) {
				if atEOF {
					cut = j
				}
				break
			}
			j += size
		}
		if j == ns {
			if cut >= 0 {
				return nd, ns, cut
			}
			break // a character cut at the end: wait for more
		}
		if len(dst)-nd < 4 {
			break
		}
		d, s, _ := g.dec.Transform(dst[nd:], src[ns:j], true)
		if bytes.Contains(dst[nd:nd+d], replacement) {
			// Find the bad character, one at a time.
			return g.decodeSlow(dst, src, nd, ns, j)
		}
		nd += d
		ns += s
		if cut >= 0 && ns == cut {
			return nd, ns, cut
		}
	}
	return nd, ns, -1
}

var replacement = []byte("\uFFFD")

func (g *gbReader) decodeSlow(dst, src []byte, nd, ns, end int) (int, int, int) {
	for ns < end {
		size := 1
		if c := src[ns]; c > 0x80 && c < 0xff {
			size = 2
			if ns+1 < end && src[ns+1] >= 0x30 && src[ns+1] <= 0x39 {
				size = 4
			}
		}
		if ns+size > end || len(dst)-nd < 4 {
			return nd, ns, -1
		}
		d, s, err := g.dec.Transform(dst[nd:], src[ns:ns+size], true)
		if err != nil || s != size || bytes.Contains(dst[nd:nd+d], replacement) && !bytes.Equal(src[ns:ns+size], []byte{0x84, 0x31, 0xa4, 0x37}) {
			return nd, ns, ns
		}
		nd += d
		ns += s
	}
	return nd, ns, -1
}
