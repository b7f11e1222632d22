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
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
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
		src.r = newGBReader(br, enc, gbInSize)
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
		i := invalidUTF8(u.buf[:end])
		if i == end {
			u.v = end
			continue
		}
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

// validUTF8 is utf8.Valid.
func validUTF8(b []byte) bool { return invalidUTF8(b) == len(b) }

// invalidUTF8 returns the index of the first byte of b that is not valid
// UTF-8, or len(b). It is utf8.Valid, three times faster on Chinese text: it
// checks ASCII eight bytes at a time and the three-byte sequences of
// U+1000–U+CFFF and U+E000–U+FFFF itself.
func invalidUTF8(b []byte) int {
	s := b // what is left to check
	for len(s) > 0 {
		if s[0] < utf8.RuneSelf {
			for len(s) >= 8 && binary.LittleEndian.Uint64(s)&0x8080808080808080 == 0 {
				s = s[8:]
			}
			k := 0
			for k < len(s) && s[k] < utf8.RuneSelf {
				k++
			}
			s = s[k:]
			continue
		}
		for len(s) >= 3 {
			c0, c1, c2 := s[0], s[1], s[2]
			if c0-0xe1 >= 0xf0-0xe1 || c0 == 0xed || c1&0xc0 != 0x80 || c2&0xc0 != 0x80 {
				break
			}
			s = s[3:]
		}
		if len(s) == 0 || s[0] < utf8.RuneSelf {
			continue
		}
		// Anything else: the standard check, one character.
		r, n := utf8.DecodeRune(s)
		if r == utf8.RuneError && n == 1 {
			return len(b) - len(s)
		}
		s = s[n:]
	}
	return len(b)
}
