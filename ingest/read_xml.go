package ingest

// The XML reader. xml.record is the slash path, from the root, of the
// element that holds one record ("export/records/record"); "*" matches any
// element, and without xml.record the records are the root's children
// ("*/*"). The reader walks the document with xml.Decoder tokens, so memory
// is one record (at most MaxRowBytes; a bigger one is a *FileError).
//
// Row.Num is the record's ordinal, 1-based; Row.Raw the element's text as in
// the file, decoded to UTF-8. Fields, in document order: the record's
// attributes "@id"; each leaf child element "owner/name" with its text
// (an empty element gives ""); a child's attributes "owner/@type"; text
// directly inside an element that also has child elements, if not just
// white space, "owner/#text" (and "#text" for the record element itself). A
// repeated element repeats its name. Names are local names: namespace
// prefixes are dropped.
//
// The XML declaration's encoding is ignored: the file is decoded as the
// spec's encoding says. A root element other than the path's first is a
// *FileError wrapping ErrFormat; a document cut off or malformed is a
// *FileError; an empty (0-byte) file has no rows.

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// recordingReader is the xml.Decoder's byte source. It keeps the bytes from
// mark on, so that a record's Raw can be cut from them, and refuses to keep
// more than MaxRowBytes.
type recordingReader struct {
	br   *bufio.Reader
	off  int64  // bytes read
	base int64  // offset of rec[0]
	rec  []byte // bytes from base on
}

func (r *recordingReader) ReadByte() (byte, error) {
	if len(r.rec) > MaxRowBytes+1024 {
		return 0, errTooLarge
	}
	b, err := r.br.ReadByte()
	if err != nil {
		return 0, err
	}
	r.off++
	r.rec = append(r.rec, b)
	return b, nil
}

func (r *recordingReader) Read(p []byte) (int, error) {
	// xml.Decoder uses ReadByte only; Read is here for io.Reader.
	if len(p) == 0 {
		return 0, nil
	}
	b, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = b
	return 1, nil
}

// drop forgets the bytes before offset off.
func (r *recordingReader) drop(off int64) {
	k := int(off - r.base)
	if k <= 0 {
		return
	}
	if k > len(r.rec) {
		k = len(r.rec)
	}
	n := copy(r.rec, r.rec[k:])
	r.rec = r.rec[:n]
	r.base += int64(k)
	if cap(r.rec) > 1<<20 && n < 1<<10 {
		r.rec = append([]byte(nil), r.rec...)
	}
}

type xmlReader struct {
	src   *textSource
	rr    *recordingReader
	dec   *xml.Decoder
	path  []string
	stack []string
	num   int64
	done  bool
	err   error
	names nameCache
	root  bool // an element was seen
	text  bool // text was seen outside any element
}

func newXMLReader(src *textSource, spec *Spec) (*xmlReader, error) {
	x := &xmlReader{src: src, path: []string{"*", "*"}}
	if spec.XML != nil && strings.Trim(spec.XML.Record, "/") != "" {
		x.path = strings.Split(strings.Trim(spec.XML.Record, "/"), "/")
	}
	x.rr = &recordingReader{br: bufio.NewReaderSize(src.r, 64<<10)}
	x.dec = xml.NewDecoder(x.rr)
	x.dec.Strict = true
	x.dec.Entity = xml.HTMLEntity
	x.dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	return x, nil
}

func (x *xmlReader) Header() []string { return nil }
func (x *xmlReader) Offset() int64    { return x.src.offset() }
func (x *xmlReader) Close() error     { return x.src.close() }

func (x *xmlReader) fail(err error) (Row, error) {
	x.done = true
	var se *xml.SyntaxError
	switch {
	case errors.Is(err, errTooLarge):
		err = fmt.Errorf("after record %d: %w", x.num, err)
	case errors.As(err, &se) && strings.Contains(se.Msg, "unexpected EOF"):
		err = fmt.Errorf("the file is truncated: it ends inside the XML document (line %d), after record %d", se.Line, x.num)
	case errors.As(err, &se):
		err = fmt.Errorf("%w: invalid XML on line %d, after record %d: %s", ErrFormat, se.Line, x.num, se.Msg)
	}
	x.err = x.src.fileErr(err)
	return Row{}, x.err
}

func (x *xmlReader) matches() bool {
	if len(x.stack) != len(x.path) {
		return false
	}
	for i, p := range x.path {
		if p != "*" && p != x.stack[i] {
			return false
		}
	}
	return true
}

func (x *xmlReader) Next() (Row, error) {
	if x.done {
		if x.err != nil {
			return Row{}, x.err
		}
		return Row{}, io.EOF
	}
	for {
		start := x.dec.InputOffset()
		x.rr.drop(start)
		tok, err := x.dec.Token()
		if err == io.EOF {
			if !x.root && x.text {
				return x.fail(fmt.Errorf("%w: the file has no XML element", ErrFormat))
			}
			x.done = true
			return Row{}, io.EOF
		}
		if err != nil {
			return x.fail(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(x.stack) == 0 && len(bytes.TrimSpace(t)) > 0 {
				x.text = true
			}
		case xml.StartElement:
			x.root = true
			x.stack = append(x.stack, t.Name.Local)
			if len(x.stack) == 1 && x.path[0] != "*" && x.path[0] != t.Name.Local {
				return x.fail(fmt.Errorf("%w: the root element is <%s>, xml.record %q expects <%s>", ErrFormat, t.Name.Local, strings.Join(x.path, "/"), x.path[0]))
			}
			if x.matches() {
				x.stack = x.stack[:len(x.stack)-1]
				return x.record(t, start)
			}
		case xml.EndElement:
			if len(x.stack) > 0 {
				x.stack = x.stack[:len(x.stack)-1]
			}
		}
	}
}

// record reads the record element opened by st, which began at offset start.
func (x *xmlReader) record(st xml.StartElement, start int64) (Row, error) {
	x.num++
	row := Row{Num: x.num}
	type open struct {
		path     []byte // "" for the record, "a/b" for a child
		text     []byte
		children bool
	}
	stack := []open{{}}
	var path []byte
	attrs := func(p []byte, as []xml.Attr) {
		for _, a := range as {
			if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" && a.Name.Space == "" {
				continue
			}
			path = append(path[:0], p...)
			if len(p) > 0 {
				path = append(path, '/')
			}
			path = append(path, '@')
			path = append(path, a.Name.Local...)
			row.Names = append(row.Names, x.names.get(path))
			row.Values = append(row.Values, a.Value)
		}
	}
	attrs(nil, st.Attr)
	for {
		tok, err := x.dec.Token()
		if err != nil {
			if err == io.EOF {
				err = &xml.SyntaxError{Msg: "unexpected EOF", Line: 0}
			}
			x.num--
			return x.fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			top := &stack[len(stack)-1]
			top.children = true
			p := append([]byte(nil), top.path...)
			if len(p) > 0 {
				p = append(p, '/')
			}
			p = append(p, t.Name.Local...)
			stack = append(stack, open{path: p})
			attrs(p, t.Attr)
		case xml.CharData:
			top := &stack[len(stack)-1]
			top.text = append(top.text, t...)
		case xml.EndElement:
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				if len(bytes.TrimSpace(top.text)) > 0 {
					row.Names = append(row.Names, "#text")
					row.Values = append(row.Values, string(top.text))
				}
				end := x.dec.InputOffset()
				if a, b := int(start-x.rr.base), int(end-x.rr.base); a >= 0 && a <= b && b <= len(x.rr.rec) {
					row.Raw = bytes.Clone(x.rr.rec[a:b])
				}
				x.rr.drop(end)
				return row, nil
			}
			if !top.children {
				row.Names = append(row.Names, x.names.get(top.path))
				row.Values = append(row.Values, string(top.text))
			} else if len(bytes.TrimSpace(top.text)) > 0 {
				row.Names = append(row.Names, x.names.get(append(top.path, "/#text"...)))
				row.Values = append(row.Values, string(top.text))
			}
		}
	}
}
