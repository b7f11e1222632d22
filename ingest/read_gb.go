package ingest

// The GB18030 and GBK decoder. Chinese text in those encodings is mostly
// ASCII and two-byte characters; this decoder copies ASCII runs as they
// are, eight bytes at a time, and looks two-byte characters up in a table
// made once from x/text's decoder, so that which pair is which character
// stays x/text's business. Everything else — four-byte sequences, 0x80
// (the euro sign), pairs the table does not hold, anything invalid — goes
// to x/text one character at a time.
//
// The output is x/text's, byte for byte, up to the first sequence x/text
// decodes to U+FFFD (other than 84 31 A4 37, the encoding of U+FFFD itself),
// where the reader stops with an *encodingError naming its offset and line.
// One deliberate difference: x/text takes a lead byte followed by 0x3A–0x3F
// as the start of a four-byte sequence; GB18030 allows only 0x30–0x39 there,
// so this decoder rejects those bytes as invalid (read_gb_test.go checks
// both properties against x/text on random and fuzzed input).

import (
	"bytes"
	"encoding/binary"
	"io"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// gbTrails is the number of trail bytes a table row covers: 0x40–0xFF.
const gbTrails = 0x100 - 0x40

// gbTable maps a two-byte character — lead byte 0x81–0xFE, trail byte
// 0x40–0xFF — to its UTF-8 encoding: the bytes in the low 24 bits, first
// byte lowest, and their count (2 or 3) in the high 8. 0 means x/text does
// not decode the pair to one character, so the pair is left to it.
type gbTable [(0xff - 0x81) * gbTrails]uint32

var (
	gb18030Table = sync.OnceValue(func() *gbTable { return newGBTable(simplifiedchinese.GB18030) })
	gbkTable     = sync.OnceValue(func() *gbTable { return newGBTable(simplifiedchinese.GBK) })
)

// newGBTable decodes every two-byte sequence with enc's decoder.
func newGBTable(enc encoding.Encoding) *gbTable {
	t := new(gbTable)
	dec := enc.NewDecoder()
	var out [16]byte
	for lead := 0x81; lead <= 0xfe; lead++ {
		for trail := 0x40; trail <= 0xff; trail++ {
			n, s, err := dec.Transform(out[:], []byte{byte(lead), byte(trail)}, true)
			if err != nil || s != 2 {
				continue
			}
			r, size := utf8.DecodeRune(out[:n])
			if size != n || r == utf8.RuneError || size < 2 || size > 3 {
				continue
			}
			v := uint32(size) << 24
			for i := range size {
				v |= uint32(out[i]) << (8 * i)
			}
			t[(lead-0x81)*gbTrails+trail-0x40] = v
		}
	}
	return t
}

// gbReplacement is U+FFFD in GB18030: the one sequence that x/text decodes
// to U+FFFD and that is valid.
var gbReplacement = []byte{0x84, 0x31, 0xa4, 0x37}

var replacement = []byte("\uFFFD")

// gbDecoder decodes GB18030 (four-byte sequences allowed) or GBK.
type gbDecoder struct {
	table *gbTable
	x     transform.Transformer // x/text's decoder, for what the table does not hold
	four  bool                  // GB18030
}

func newGBDecoder(enc string) *gbDecoder {
	if enc == "gbk" {
		return &gbDecoder{table: gbkTable(), x: simplifiedchinese.GBK.NewDecoder()}
	}
	return &gbDecoder{table: gb18030Table(), x: simplifiedchinese.GB18030.NewDecoder(), four: true}
}

// decode decodes src into dst. It stops when dst is full, at a character
// cut at the end of src (unless atEOF, where a cut character is invalid),
// or before an invalid sequence, whose index in src is bad (-1 when there
// is none).
func (d *gbDecoder) decode(dst, src []byte, atEOF bool) (nd, ns, bad int) {
	t := d.table
	// s and o are what is left of src and dst; the loops are written on
	// them so that the compiler can drop the bounds checks.
	s, o := src, dst
	for len(s) > 0 && len(o) > 0 {
		if s[0] < utf8.RuneSelf {
			// ASCII, eight bytes at a time while they last.
			for len(s) >= 8 && len(o) >= 8 {
				w := binary.LittleEndian.Uint64(s)
				if w&0x8080808080808080 != 0 {
					break
				}
				binary.LittleEndian.PutUint64(o, w)
				s, o = s[8:], o[8:]
			}
			n := min(len(s), len(o))
			k := 0
			for k < n && s[k] < utf8.RuneSelf {
				k++
			}
			copy(o, s[:k])
			s, o = s[k:], o[k:]
			continue
		}
		// Two-byte characters from the table, while they last.
		for len(s) >= 2 && len(o) >= utf8.UTFMax {
			lead, trail := s[0]-0x81, s[1]-0x40
			if lead >= 0xff-0x81 || trail >= gbTrails {
				break
			}
			v := t[int(lead)*gbTrails+int(trail)]
			if v == 0 {
				break
			}
			binary.LittleEndian.PutUint32(o, v) // the fourth byte is scratch
			o, s = o[v>>24&3:], s[2:]
		}
		if len(s) == 0 || s[0] < utf8.RuneSelf {
			continue
		}
		if len(o) < utf8.UTFMax {
			break
		}
		nd, ns = len(dst)-len(o), len(src)-len(s)
		c := s[0]
		// Anything else is one character for x/text: 0x80 and 0xFF are
		// one byte, a lead byte and 0x30–0x39 start four (GB18030 only),
		// any other lead byte starts two.
		size := 1
		if c > 0x80 && c < 0xff {
			size = 2
			if d.four && ns+1 < len(src) && src[ns+1] >= 0x30 && src[ns+1] <= 0x39 {
				size = 4
			}
		}
		if ns+size > len(src) {
			if atEOF {
				return nd, ns, ns
			}
			break // wait for the rest of the character
		}
		ch := src[ns : ns+size]
		n, m, err := d.x.Transform(o, ch, true)
		if err != nil || m != size || bytes.HasPrefix(o[:n], replacement) && !bytes.Equal(ch, gbReplacement) {
			return nd, ns, ns
		}
		o, s = o[n:], s[m:]
	}
	return len(dst) - len(o), len(src) - len(s), -1
}

// gbReader decodes GB18030 or GBK to UTF-8, straight into the caller's
// buffer. An invalid sequence stops it with an *encodingError, after
// everything before it has been returned.
type gbReader struct {
	r      io.Reader
	enc    string // for messages: GB18030, GBK
	dec    *gbDecoder
	in     []byte
	is, ie int    // in[is:ie] not yet decoded
	pend   []byte // decoded into tmp for a short read, not yet returned
	tmp    [16]byte
	off    int64 // file offset of in[is]
	line   int64 // newlines decoded so far
	err    error // from r
	bad    error
}

// gbInSize is the gbReader's input buffer: the file is decoded in chunks of
// this size.
const gbInSize = 128 << 10

func newGBReader(r io.Reader, enc string, inSize int) *gbReader {
	name := "GB18030"
	if enc == "gbk" {
		name = "GBK"
	}
	return &gbReader{r: r, enc: name, dec: newGBDecoder(enc), in: make([]byte, max(inSize, 2*utf8.UTFMax))}
}

func (g *gbReader) Read(p []byte) (int, error) {
	if len(g.pend) > 0 {
		n := copy(p, g.pend)
		g.pend = g.pend[n:]
		return n, nil
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if g.bad != nil {
			return 0, g.bad
		}
		// Keep at least one whole character in hand, unless at the end.
		if g.err == nil && g.ie-g.is < utf8.UTFMax {
			g.ie = copy(g.in, g.in[g.is:g.ie])
			g.is = 0
			n, err := io.ReadAtLeast(g.r, g.in[g.ie:], 1)
			g.ie += n
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			g.err = err
			continue
		}
		if g.is == g.ie {
			return 0, g.err
		}
		dst := p
		if len(p) < len(g.tmp) {
			dst = g.tmp[:]
		}
		nd, ns, bad := g.dec.decode(dst, g.in[g.is:g.ie], g.err == io.EOF)
		lines := int64(bytes.Count(dst[:nd], nl))
		if bad >= 0 {
			j := min(g.is+bad+4, g.ie)
			g.bad = &encodingError{enc: g.enc, offset: g.off + int64(bad), line: g.line + lines + 1,
				bad: bytes.Clone(g.in[g.is+bad : j]), hint: "; is the file UTF-8? set encoding: utf-8"}
		}
		g.is += ns
		g.off += int64(ns)
		g.line += lines
		if nd == 0 {
			if bad < 0 && g.err != io.EOF {
				return 0, g.err // a character cut short by a read error
			}
			continue
		}
		if len(p) < len(g.tmp) {
			n := copy(p, dst[:nd])
			g.pend = dst[n:nd]
			return n, nil
		}
		return nd, nil
	}
}
