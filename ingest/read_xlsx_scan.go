package ingest

// A streaming tokenizer for the two big parts of a workbook, the worksheet
// and the shared strings. It is not a general XML parser: it finds tags,
// reads the local names and attributes of the few elements the XLSX reader
// needs, and decodes the text of <v> and <t> (entities, character
// references, CDATA, line ends); everything else (namespaces, comments,
// processing instructions, unknown elements) is skipped. It holds one
// buffer of 256 KiB, grown only for a single tag or text longer than that,
// up to MaxRowBytes.

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

const (
	xscanBuf = 256 << 10
	xscanMax = MaxRowBytes + 64<<10
)

var errXMLTooLong = errors.New("an XML tag or text longer than 16 MiB")

type xscan struct {
	r   io.Reader
	buf []byte
	pos int // buf[pos:end] is read and not yet consumed
	end int
	err error // from r: io.EOF at the end
}

func newXScan(r io.Reader) *xscan {
	return &xscan{r: r, buf: make([]byte, xscanBuf)}
}

// more reads more of the stream into buf, moving buf[pos:end] to the start
// (so positions must be held relative to pos across a call). It reports
// whether anything was read.
func (s *xscan) more() bool {
	if s.err != nil {
		return false
	}
	if s.pos > 0 {
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.pos = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= xscanMax {
			s.err = errXMLTooLong
			return false
		}
		nb := make([]byte, min(2*len(s.buf), xscanMax))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for range 100 {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.err = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	s.err = io.ErrNoProgress
	return false
}

// failed returns the error that stopped the stream, nil at its normal end.
func (s *xscan) failed() error {
	if s.err == io.EOF {
		return nil
	}
	return s.err
}

// need makes buf[pos:pos+n] available; false at the end of the stream.
func (s *xscan) need(n int) bool {
	for s.end-s.pos < n {
		if !s.more() {
			return false
		}
	}
	return true
}

// skipPast consumes up to and including the first sep at or after pos+from.
func (s *xscan) skipPast(sep string, from int) bool {
	for {
		if i := bytes.Index(s.buf[s.pos+from:s.end], []byte(sep)); i >= 0 {
			s.pos += from + i + len(sep)
			return true
		}
		from = max(from, s.end-s.pos-len(sep)+1)
		if !s.more() {
			s.pos = s.end
			return false
		}
	}
}

// xtag is a tag as tag() found it; its slices point into the scanner's
// buffer and are valid until the next call.
type xtag struct {
	end   bool   // </name>
	self  bool   // <name/>
	name  []byte // the local name, without a namespace prefix
	attrs []byte // the text between the name and the closing > or />
}

// tag consumes input up to and including the next start or end tag, and
// describes it in t. Text, comments, CDATA, processing instructions and
// declarations before it are skipped. It returns false at the end of the
// stream (or on a read error: see failed).
func (s *xscan) tag(t *xtag) bool {
	for {
		if s.pos >= s.end || s.buf[s.pos] != '<' {
			i := bytes.IndexByte(s.buf[s.pos:s.end], '<')
			if i < 0 {
				s.pos = s.end
				if !s.more() {
					return false
				}
				continue
			}
			s.pos += i
		}
		if s.end-s.pos < 2 && !s.need(2) {
			s.pos = s.end
			return false
		}
		switch s.buf[s.pos+1] {
		case '!':
			s.need(9)
			rest := s.buf[s.pos:s.end]
			switch {
			case bytes.HasPrefix(rest, []byte("<!--")):
				s.skipPast("-->", 4)
			case bytes.HasPrefix(rest, []byte("<![CDATA[")):
				s.skipPast("]]>", 9)
			default:
				s.skipPast(">", 2)
			}
			continue
		case '?':
			s.skipPast("?>", 2)
			continue
		}
		// One pass over the tag: its name, then to the '>' that is not
		// inside a quoted attribute value.
		for {
			buf := s.buf[:s.end]
			i := s.pos + 1
			end := false
			if buf[i] == '/' {
				end = true
				i++
			}
			n0, colon := i, -1
			for i < len(buf) {
				c := buf[i]
				if c <= ' ' || c == '>' || c == '/' {
					break
				}
				if c == ':' {
					colon = i
				}
				i++
			}
			n1 := i
			var q byte
			for i < len(buf) {
				c := buf[i]
				if q != 0 {
					if c == q {
						q = 0
					}
				} else if c == '>' {
					break
				} else if c == '"' || c == '\'' {
					q = c
				}
				i++
			}
			if i == len(buf) {
				if !s.more() {
					s.pos = s.end
					return false
				}
				continue
			}
			if colon >= 0 {
				n0 = colon + 1
			}
			t.end, t.self = end, buf[i-1] == '/' && i-1 >= n1
			a1 := i
			if t.self {
				a1 = i - 1
			}
			t.name = buf[n0:n1:n1]
			t.attrs = buf[n1:a1:a1]
			s.pos = i + 1
			return true
		}
	}
}

// nextAttr splits the first attribute off b (a tag's attribute text): its
// local name and raw value.
func nextAttr(b []byte) (name, val, rest []byte, ok bool) {
	i := 0
	for i < len(b) && b[i] <= ' ' {
		i++
	}
	j, colon := i, -1
	for j < len(b) && b[j] != '=' && b[j] > ' ' {
		if b[j] == ':' {
			colon = j
		}
		j++
	}
	if j == i {
		return nil, nil, nil, false
	}
	name = b[i:j]
	if colon >= 0 {
		name = b[colon+1 : j]
	}
	for j < len(b) && b[j] <= ' ' {
		j++
	}
	if j == len(b) || b[j] != '=' {
		return name, nil, b[j:], true // an attribute without a value: malformed, skipped
	}
	j++
	for j < len(b) && b[j] <= ' ' {
		j++
	}
	if j == len(b) || b[j] != '"' && b[j] != '\'' {
		return name, nil, b[j:], true
	}
	q := b[j]
	k := j + 1
	for k < len(b) && b[k] != q {
		k++
	}
	if k == len(b) {
		return nil, nil, nil, false
	}
	return name, b[j+1 : k], b[k+1:], true
}

// text appends the decoded text from pos to the next tag to dst, and leaves
// pos on that tag's '<'. CDATA sections are part of the text; comments and
// processing instructions inside it are dropped.
func (s *xscan) text(dst []byte) ([]byte, bool) {
	from := 0
	for {
		i := bytes.IndexByte(s.buf[s.pos+from:s.end], '<')
		if i < 0 {
			// The whole text must be in the buffer to decode it: entities
			// and line ends may straddle a refill.
			from = s.end - s.pos
			if !s.more() {
				if s.err == io.EOF && s.end > s.pos {
					dst = appendXMLText(dst, s.buf[s.pos:s.end])
					s.pos = s.end
				}
				return dst, false
			}
			continue
		}
		dst = appendXMLText(dst, s.buf[s.pos:s.pos+from+i])
		s.pos += from + i
		from = 0
		if s.pos+1 < s.end && s.buf[s.pos+1] != '!' && s.buf[s.pos+1] != '?' {
			return dst, true
		}
		s.need(9)
		rest := s.buf[s.pos:s.end]
		switch {
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			s.pos += 9
			for {
				if j := bytes.Index(s.buf[s.pos:s.end], []byte("]]>")); j >= 0 {
					dst = appendCRLF(dst, s.buf[s.pos:s.pos+j])
					s.pos += j + 3
					break
				}
				// Keep a possible "]]" at the end for the next round.
				k := max(s.end-2, s.pos)
				dst = appendCRLF(dst, s.buf[s.pos:k])
				s.pos = k
				if !s.more() {
					dst = append(dst, s.buf[s.pos:s.end]...)
					s.pos = s.end
					return dst, false
				}
			}
		case bytes.HasPrefix(rest, []byte("<!--")):
			if !s.skipPast("-->", 4) {
				return dst, false
			}
		case bytes.HasPrefix(rest, []byte("<?")):
			if !s.skipPast("?>", 2) {
				return dst, false
			}
		default:
			return dst, true
		}
	}
}

// appendXMLText appends character data, decoding entities and character
// references and normalising line ends as an XML parser does. A malformed
// or unknown entity is kept as it is.
func appendXMLText(dst, b []byte) []byte {
	if bytes.IndexByte(b, '&') < 0 {
		return appendCRLF(dst, b)
	}
	for len(b) > 0 {
		i := bytes.IndexByte(b, '&')
		if i < 0 {
			return appendCRLF(dst, b)
		}
		dst = appendCRLF(dst, b[:i])
		b = b[i:]
		j := bytes.IndexByte(b, ';')
		if j < 0 || j > 12 {
			dst = append(dst, '&')
			b = b[1:]
			continue
		}
		ent := b[1:j]
		switch string(ent) {
		case "amp":
			dst = append(dst, '&')
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			r, ok := charRef(ent)
			if !ok {
				dst = append(dst, '&')
				b = b[1:]
				continue
			}
			dst = utf8.AppendRune(dst, r)
		}
		b = b[j+1:]
	}
	return dst
}

// charRef decodes the body of a character reference ("#65", "#x4e2d");
// a code point that is not a character gives U+FFFD.
func charRef(ent []byte) (rune, bool) {
	if len(ent) < 2 || ent[0] != '#' {
		return 0, false
	}
	var n uint64
	var err error
	if ent[1] == 'x' {
		n, err = strconv.ParseUint(string(ent[2:]), 16, 32)
	} else {
		n, err = strconv.ParseUint(string(ent[1:]), 10, 32)
	}
	if err != nil {
		return 0, false
	}
	if n == 0 || n > utf8.MaxRune || n >= 0xd800 && n < 0xe000 {
		return utf8.RuneError, true
	}
	return rune(n), true
}

// appendCRLF appends b with "\r\n" and a lone "\r" turned into "\n".
func appendCRLF(dst, b []byte) []byte {
	for {
		i := bytes.IndexByte(b, '\r')
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(dst, b[:i]...)
		dst = append(dst, '\n')
		b = b[i+1:]
		if len(b) > 0 && b[0] == '\n' {
			b = b[1:]
		}
	}
}

// appendBstr decodes the _xHHHH_ escapes of OOXML strings (ST_Xstring) as
// excelize does: "_x000D_" is a carriage return, "_x005F_" an underscore.
func appendBstr(dst, b []byte) []byte {
	for {
		i := bytes.Index(b, []byte("_x"))
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(dst, b[:i]...)
		b = b[i:]
		if len(b) >= 7 && b[6] == '_' && isHex(b[2]) && isHex(b[3]) && isHex(b[4]) && isHex(b[5]) {
			if string(b[2:6]) == "005F" || string(b[2:6]) == "005f" {
				dst = append(dst, '_')
			} else {
				v, _ := strconv.Unquote(`"\u` + string(b[2:6]) + `"`)
				dst = append(dst, v...)
			}
			b = b[7:]
			continue
		}
		dst = append(dst, '_')
		b = b[1:]
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
