package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// The GB18030/GBK decoder against x/text's, on random input, fuzzed input,
// and the cases that matter: characters cut at chunk boundaries and at the
// end, invalid bytes, U+FFFD itself.

func xtextEncoding(enc string) encoding.Encoding {
	if enc == "gbk" {
		return simplifiedchinese.GBK
	}
	return simplifiedchinese.GB18030
}

// gbExpect is what the decoder must make of data, from x/text: data is cut
// into characters by the structure of the encoding alone (ASCII, 0x80 and
// 0xFF are one byte; a lead byte 0x81–0xFE starts four bytes when 0x30–0x39
// follows, in GB18030, two otherwise) and x/text decodes each; the output is
// everything before the first character that x/text decodes to U+FFFD
// (other than 84 31 A4 37, U+FFFD itself) or that the end of data cuts,
// and bad is that character's offset (-1 when there is none).
func gbExpect(enc string, data []byte) (out []byte, bad int) {
	dec := xtextEncoding(enc).NewDecoder()
	for i := 0; i < len(data); {
		size := 1
		if c := data[i]; c > 0x80 && c < 0xff {
			size = 2
			if enc != "gbk" && i+1 < len(data) && data[i+1] >= 0x30 && data[i+1] <= 0x39 {
				size = 4
			}
		}
		if i+size > len(data) {
			return out, i
		}
		ch, _ := dec.Bytes(data[i : i+size])
		if bytes.HasPrefix(ch, replacement) && !bytes.Equal(data[i:i+size], gbReplacement) {
			return out, i
		}
		out = append(out, ch...)
		i += size
	}
	return out, -1
}

// short shows at most 40 bytes of b.
func short(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("% x … (%d bytes)", b[:40], len(b))
	}
	return fmt.Sprintf("% x", b)
}

// checkGB checks what the decoder made of data — got, and err when it
// stopped — against gbExpect, and against x/text's decoding of the bytes
// before the stop as one stream: the same text, byte for byte; and the
// error names the offset, the line and the bytes.
func checkGB(t *testing.T, enc string, data, got []byte, err error) {
	t.Helper()
	want, bad := gbExpect(enc, data)
	k := len(data)
	if err != nil {
		var ee *encodingError
		if !errors.As(err, &ee) || !errors.Is(err, ErrEncoding) {
			t.Fatalf("%s %s: error %T %v, want an *encodingError", enc, short(data), err, err)
		}
		k = int(ee.offset)
		if k != bad {
			t.Fatalf("%s %s: stopped at offset %d, want %d", enc, short(data), k, bad)
		}
		if want := int64(bytes.Count(got, nl)) + 1; ee.line != want {
			t.Fatalf("%s %s: error on line %d, want %d", enc, short(data), ee.line, want)
		}
		// The bytes shown are the bad character's first, up to four, as
		// far as the reader had them in hand.
		if want := data[k:min(k+4, len(data))]; len(ee.bad) == 0 || !bytes.HasPrefix(want, ee.bad) {
			t.Fatalf("%s %s: error shows % x, want (the start of) % x", enc, short(data), ee.bad, want)
		}
	} else if bad >= 0 {
		t.Fatalf("%s %s: accepted, want a stop at offset %d (% x)", enc, short(data), bad, data[bad:min(bad+4, len(data))])
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s %s:\n got %q\nwant %q", enc, short(data), got, want)
	}
	if stream, _ := xtextEncoding(enc).NewDecoder().Bytes(data[:k]); !bytes.Equal(got, stream) {
		t.Fatalf("%s %s:\n got %q\nx/text %q", enc, short(data), got, stream)
	}
}

func gbErrOffset(err error) int64 {
	var ee *encodingError
	if errors.As(err, &ee) {
		return ee.offset
	}
	return -1
}

// chunkReader returns data in pieces of the sizes in turn (cycling).
type chunkReader struct {
	data  []byte
	sizes []int
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.data), c.sizes[c.i%len(c.sizes)])
	c.i++
	n = copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// gbDecodeAll runs a gbReader over data fed in chunks, with an input buffer
// of inSize bytes, reading into buffers of the sizes in reads (cycling).
func gbDecodeAll(enc string, data []byte, inSize int, chunks, reads []int) ([]byte, error) {
	g := newGBReader(&chunkReader{data: data, sizes: chunks}, enc, inSize)
	var out []byte
	buf := make([]byte, 4096)
	for i := 0; ; i++ {
		if i > 2*len(data)+10 {
			return out, errors.New("the reader does not end")
		}
		n, err := g.Read(buf[:reads[i%len(reads)]])
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// gbRandom makes text that is mostly what files hold (ASCII, Chinese, a
// few four-byte characters and euro signs) with, when bad, some of
// everything else: random bytes, unmapped pairs, cut sequences, x/text's
// lax four-byte sequences, the encoding of U+FFFD.
func gbRandom(rng *rand.Rand, enc string, n int, bad bool) []byte {
	e := xtextEncoding(enc).NewEncoder()
	var b []byte
	for len(b) < n {
		switch k := rng.IntN(20); {
		case k < 6:
			for range rng.IntN(12) + 1 {
				b = append(b, ",\n\r\"a1 Z~\x00\x7f"[rng.IntN(11)])
			}
		case k < 12:
			r := rune(0x4e00 + rng.IntN(0x9fff-0x4e00))
			if x, err := e.Bytes([]byte(string(r))); err == nil {
				b = append(b, x...)
			}
		case k < 14:
			// Any character at all: BMP or beyond.
			r := rune(0x80 + rng.IntN(0x10ffff-0x80))
			if rng.IntN(2) == 0 {
				r = rune(0x80 + rng.IntN(0xffff-0x80))
			}
			if x, err := e.Bytes([]byte(string(r))); err == nil {
				b = append(b, x...)
			}
		case k == 14:
			b = append(b, 0x80)
		case k == 15:
			b = append(b, gbReplacement...)
		case !bad:
		case k == 16:
			b = append(b, byte(rng.IntN(256)))
		case k == 17:
			b = append(b, byte(0x81+rng.IntN(0x7e)), byte(rng.IntN(256)))
		case k == 18:
			b = append(b, byte(0x81+rng.IntN(0x7e)), byte(0x30+rng.IntN(16)), byte(0x81+rng.IntN(0x7e)), byte(0x30+rng.IntN(16)))
		default:
			b = append(b, byte(0x81+rng.IntN(0x7e)), byte(0x30+rng.IntN(10)), byte(0x81+rng.IntN(0x7e)))
		}
	}
	return b
}

func TestGBDecoderMatchesXText(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := func(lo, hi int) []int {
		s := make([]int, 1+rng.IntN(5))
		for i := range s {
			s[i] = lo + rng.IntN(hi-lo+1)
		}
		return s
	}
	for _, enc := range []string{"gb18030", "gbk"} {
		stopped := 0
		for i := range 3000 {
			bad := i%2 == 1
			data := gbRandom(rng, enc, rng.IntN(300), bad)
			if bad && len(data) > 0 && rng.IntN(3) == 0 {
				data = data[:rng.IntN(len(data))] // cut anywhere
			}
			got, err := gbDecodeAll(enc, data, 8+rng.IntN(40), sizes(1, 20), sizes(1, 40))
			checkGB(t, enc, data, got, err)
			if err != nil {
				stopped++
			}
			// The same with the buffers the reader really uses.
			got2, err2 := gbDecodeAll(enc, data, gbInSize, []int{1 << 20}, []int{4096})
			if !bytes.Equal(got, got2) || (err == nil) != (err2 == nil) || err != nil && gbErrOffset(err) != gbErrOffset(err2) {
				t.Fatalf("%s % x: chunking changes the result: %q %v, then %q %v", enc, data, got, err, got2, err2)
			}
		}
		if stopped < 500 {
			t.Errorf("%s: only %d of 3000 inputs were invalid: the test is not testing errors", enc, stopped)
		}
	}
}

// TestGBDecoderEveryPair decodes every two-byte sequence, each between
// ASCII, in one stream cut into odd chunks: the table and x/text agree.
func TestGBDecoderEveryPair(t *testing.T) {
	for _, enc := range []string{"gb18030", "gbk"} {
		var data []byte
		for lead := 0x81; lead <= 0xfe; lead++ {
			for trail := 0x40; trail <= 0xfe; trail++ {
				if trail == 0x7f {
					continue
				}
				data = append(data, byte(lead), byte(trail), 'x')
			}
		}
		// Stop at each unmapped pair in turn: decode from just after it.
		for len(data) > 0 {
			got, err := gbDecodeAll(enc, data, 1000, []int{7, 333, 2}, []int{4096, 5})
			checkGB(t, enc, data, got, err)
			if err == nil {
				break
			}
			var ee *encodingError
			errors.As(err, &ee)
			data = data[ee.offset+3:]
		}
	}
}

func TestGBDecoderCases(t *testing.T) {
	for _, c := range []struct {
		enc, in, want, err string
	}{
		{"gb18030", gb("张三,李四\n€😀") + "\x80", "张三,李四\n€😀€", ""},
		{"gbk", "\x80", "€", ""},
		{"gb18030", "\x84\x31\xa4\x37", "\uFFFD", ""}, // U+FFFD itself is valid
		{"gb18030", "ab\n" + "\xff", "ab\n", "invalid GB18030 at byte 3 (line 2): ff"},
		{"gb18030", "ab" + gb("张")[:1], "ab", "invalid GB18030 at byte 2 (line 1): d5"},     // cut at the end
		{"gb18030", "a" + gb("😀")[:3], "a", "invalid GB18030 at byte 1 (line 1): 94 39 fc"}, // cut at the end
		{"gb18030", "\x81\x7f", "", "at byte 0 (line 1): 81 7f"},                            // not a trail byte
		{"gb18030", "\xa1\x40", "", "at byte 0 (line 1): a1 40"},                            // unmapped
		{"gb18030", "x\x81\x3a\x81\x30", "x", "at byte 1 (line 1): 81 3a"},                  // x/text's lax four bytes
		{"gb18030", "\x84\x31\xa5\x30", "", "at byte 0 (line 1): 84 31 a5 30"},              // beyond U+FFFF in the BMP range
		{"gb18030", "\x83\x3b\xa4\x37", "", "at byte 0 (line 1): 83 3b a4 37"},              // x/text's other U+FFFD
		{"gbk", gb("😀"), "", "invalid GBK at byte 0 (line 1): 94 39 fc 36"},                 // no four-byte sequences in GBK
		{"gb18030", strings.Repeat("a", 20) + gb("张"), strings.Repeat("a", 20) + "张", ""},
	} {
		for _, chunk := range []int{1, 3, 1 << 20} {
			got, err := gbDecodeAll(c.enc, []byte(c.in), 8, []int{chunk}, []int{1, 2, 4096})
			checkGB(t, c.enc, []byte(c.in), got, err)
			if string(got) != c.want {
				t.Errorf("%s % x: got %q, want %q", c.enc, c.in, got, c.want)
			}
			if msg := ""; err != nil || c.err != "" {
				if err != nil {
					msg = err.Error()
				}
				if c.err == "" || !strings.Contains(msg, c.err) {
					t.Errorf("%s % x: error %q, want %q", c.enc, c.in, msg, c.err)
				}
			}
		}
	}
}

// FuzzGBDecoder checks the decoder against x/text on any bytes, fed in
// chunks and read into buffers of fuzzed sizes.
func FuzzGBDecoder(f *testing.F) {
	f.Add([]byte(gb("张三,李四 ok €\u0080😀")), false, uint8(1), uint8(3))
	f.Add([]byte{0x81, 0x30, 0x81, 0x30, 'a', 0xd5}, false, uint8(2), uint8(1))
	f.Add([]byte{0xd5, '?', 0x94, '0'}, true, uint8(3), uint8(2))
	f.Add([]byte{0x84, 0x31, 0xa4, 0x37, 0x81, 0x3a, 0x81, 0x30}, false, uint8(5), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, gbk bool, chunk, read uint8) {
		enc := "gb18030"
		if gbk {
			enc = "gbk"
		}
		chunks := []int{1 + int(chunk&15), 1 + int(chunk>>4)}
		reads := []int{1 + int(read&31), 1 + int(read>>5)*100}
		got, err := gbDecodeAll(enc, data, 8+int(chunk%13), chunks, reads)
		checkGB(t, enc, data, got, err)
	})
}

// BenchmarkGBDecode decodes a traffic-police-like GB18030 text (Chinese
// names, places and headers between ASCII ids and numbers): this decoder,
// then x/text's alone for reference.
func BenchmarkGBDecode(b *testing.B) {
	var text bytes.Buffer
	for i := range 20000 {
		text.WriteString(strings.Join(benchRecord(i), ","))
		text.WriteByte('\n')
	}
	data := []byte(gb(text.String()))
	out := make([]byte, 256<<10)
	b.Run("credo", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			g := newGBReader(bytes.NewReader(data), "gb18030", gbInSize)
			for {
				if _, err := g.Read(out); err != nil {
					if err != io.EOF {
						b.Fatal(err)
					}
					break
				}
			}
		}
	})
	b.Run("x-text", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			r := simplifiedchinese.GB18030.NewDecoder().Reader(bytes.NewReader(data))
			for {
				if _, err := r.Read(out); err != nil {
					if err != io.EOF {
						b.Fatal(err)
					}
					break
				}
			}
		}
	})
}

// invalidUTF8 finds the first invalid byte where the standard library does.
func TestInvalidUTF8(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"a", "12345678", "张三", "é", "😀", "\uFFFD", "\u0800", "\ud7ff", "\ue000", "\uffff", "\xed\xa0\x80", "\xe0\x80\x80", "\xc0\xaf", "\xff", "\xe4\xb8", "\x80", "\xf4\x90\x80\x80"}
	for range 20000 {
		var b []byte
		for range rng.IntN(30) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		if len(b) > 0 && rng.IntN(4) == 0 {
			b = b[:rng.IntN(len(b))]
		}
		checkInvalidUTF8(t, b)
	}
}

func checkInvalidUTF8(t *testing.T, b []byte) {
	want := 0
	for want < len(b) {
		r, n := utf8.DecodeRune(b[want:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		want += n
	}
	if got := invalidUTF8(b); got != want {
		t.Fatalf("invalidUTF8(%q) = %d, want %d", b, got, want)
	}
	if validUTF8(b) != utf8.Valid(b) {
		t.Fatalf("validUTF8(%q) = %v", b, !utf8.Valid(b))
	}
}

func FuzzInvalidUTF8(f *testing.F) {
	f.Add([]byte("张三 abcdefgh\xed\xa0\x80é"))
	f.Fuzz(checkInvalidUTF8)
}
