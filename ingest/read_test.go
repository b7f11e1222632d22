package ingest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// rdTranscript reads r to the end and describes what it returned, one line a
// row: "num:v1|v2" for a row, "num!reason:v1|v2" for a *RowError, and a last
// "FILE: message" for a *FileError or other error.
func rdTranscript(t testing.TB, r Reader) string {
	s, _ := rdTranscriptErr(t, r)
	return s
}

func rdTranscriptErr(t testing.TB, r Reader) (string, error) {
	t.Helper()
	var ferr error
	var b strings.Builder
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatal("reader does not end")
		}
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var re *RowError
		if errors.As(err, &re) {
			fmt.Fprintf(&b, "%d!%s:%s\n", re.Row.Num, re.Reason, strings.Join(re.Row.Values, "|"))
			continue
		}
		if err != nil {
			fmt.Fprintf(&b, "FILE: %v\n", err)
			ferr = err
			if _, err2 := r.Next(); err2 == nil {
				t.Errorf("Next after a file error returned a row")
			}
			break
		}
		fmt.Fprintf(&b, "%d:%s\n", row.Num, strings.Join(row.Values, "|"))
	}
	return b.String(), ferr
}

func rdSpec(format, enc string) *Spec { return &Spec{Format: format, Encoding: enc} }

func gb(s string) string {
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return string(b)
}

type rdCase struct {
	name string
	spec *Spec
	in   string
	want string // the transcript; for a file error, "FILE: " and a substring
	is   error  // for a file error, what it must wrap
}

func rdRun(t *testing.T, cases []rdCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(c.in), "in."+c.spec.Format, c.spec)
			var got string
			if err != nil {
				got = fmt.Sprintf("FILE: %v\n", err)
			} else {
				got, err = rdTranscriptErr(t, r)
				if c.spec.Format == "csv" || c.spec.Format == "tsv" || c.spec.Format == "xlsx" {
					if r.Header() == nil {
						t.Errorf("no header")
					}
				}
				r.Close()
			}
			if strings.HasPrefix(c.want, "FILE: ") && !strings.HasSuffix(c.want, "\n") {
				i := strings.Index(got, "FILE: ")
				if i < 0 || !strings.Contains(got[i:], strings.TrimPrefix(c.want, "FILE: ")) {
					t.Fatalf("got\n%s\nwant a file error containing %q", got, c.want)
				}
				if c.is != nil && !errors.Is(err, c.is) {
					t.Errorf("error %v does not wrap %v", err, c.is)
				}
				var fe *FileError
				if !errors.As(err, &fe) {
					t.Errorf("error %T %v is not a *FileError", err, err)
				}
				return
			}
			if got != c.want {
				t.Fatalf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestReadCSV(t *testing.T) {
	csv := rdSpec("csv", "")
	rdRun(t, []rdCase{
		{"simple", csv, "a,b\n1,2\n3,4\n", "2:1|2\n3:3|4\n", nil},
		{"crlf and no final newline", csv, "a,b\r\n1,2\r\n3,4", "2:1|2\n3:3|4\n", nil},
		{"quoted", csv, "a,b\n\"x,y\",\"he said \"\"hi\"\"\"\n", "2:x,y|he said \"hi\"\n", nil},
		{"multi-line field counts lines", csv, "a,b\n\"1\n2\n3\",x\n4,5\n", "2:1\n2\n3|x\n5:4|5\n", nil},
		{"crlf inside quotes kept", csv, "a,b\r\n\"1\r\n2\",x\r\n", "2:1\r\n2|x\n", nil},
		{"blank lines skipped and counted", csv, "a,b\n\n1,2\n\r\n\n3,4\n\n", "3:1|2\n6:3|4\n", nil},
		{"empty fields", csv, "a,b,c\n,,\n\"\",,\"\"\n", "2:||\n3:||\n", nil},
		{"too many fields", csv, "a,b\n1,2,3\n4,5\n", "2!3 fields, the header has 2:1|2|3\n3:4|5\n", nil},
		{"too few fields", csv, "a,b\n1\n4,5\n", "2!1 fields, the header has 2:1\n3:4|5\n", nil},
		{"bare quote", csv, "a,b\n1,x\"y\n4,5\n", "2!a bare quote in unquoted field 2 (set csv.lazy_quotes to accept it):1|x\"y\n3:4|5\n", nil},
		{"bare quote lazy", &Spec{Format: "csv", CSV: &CSVOptions{LazyQuotes: true}}, "a,b\n1,x\"y\n", "2:1|x\"y\n", nil},
		{"text after closing quote", csv, "a,b\n\"1\"x,2\n", "2!text after the closing quote of field 1:1\"x|2\n", nil},
		{"unclosed quote at end", csv, "a,b\n1,2\n3,\"4\n5,6\n", "2:1|2\n3!quoted field 2, opened on line 3, is not closed before the end of the file:3|4\n5,6\n\n", nil},
		{"truncated inside quotes", csv, "a,b\n1,\"abc", "2!quoted field 2, opened on line 2, is not closed before the end of the file:1|abc\n", nil},
		{"NUL byte", csv, "a,b\n1,x\x00y\n3,4\n", "2!field 2 contains a NUL byte:1|x\x00y\n3:3|4\n", nil},
		{"NUL in quoted", csv, "a,b\n1,\"x\x00\"\n", "2!field 2 contains a NUL byte:1|x\x00\n", nil},
		{"header only", csv, "a,b\n", "", nil},
		{"empty file", csv, "", "FILE: the header is missing", nil},
		{"blank file", csv, "\n\n\r\n", "FILE: the header is missing", nil},
		{"header row", &Spec{Format: "csv", CSV: &CSVOptions{HeaderRow: 3}}, "Title \"unbalanced\n\na,b\n1,2\n", "4:1|2\n", nil},
		{"header row past end", &Spec{Format: "csv", CSV: &CSVOptions{HeaderRow: 5}}, "x\ny\n", "FILE: the header should be on line 5", nil},
		{"delimiter", &Spec{Format: "csv", CSV: &CSVOptions{Delimiter: ";"}}, "a;b\n1,5;2\n", "2:1,5|2\n", nil},
		{"bad delimiter", &Spec{Format: "csv", CSV: &CSVOptions{Delimiter: "ab"}}, "a\n", "FILE: csv.delimiter", nil},
		{"tsv", rdSpec("tsv", ""), "a\tb\n1\t2 3\n", "2:1|2 3\n", nil},
		{"utf-8 BOM", csv, "\xef\xbb\xbfa,b\n1,张三\n", "2:1|张三\n", nil},
		{"utf-8 BOM overrides gb18030", rdSpec("csv", "gb18030"), "\xef\xbb\xbfa,b\n1,张三\n", "2:1|张三\n", nil},
		{"UTF-16LE BOM", csv, "\xff\xfea\x00,\x00b\x00\n\x00", "FILE: UTF-16LE byte-order mark", ErrEncoding},
		{"UTF-16BE BOM", csv, "\xfe\xff\x00a\x00,\x00b", "FILE: UTF-16BE", ErrEncoding},
		{"UTF-16LE no BOM", csv, "n\x00a\x00m\x00e\x00,\x00b\x00\n\x001\x00,\x002\x00\n\x00", "FILE: UTF-16LE without a byte-order mark", ErrEncoding},
		{"xlsx as csv", csv, "PK\x03\x04\x14\x00\x00\x00", "FILE: ZIP file", ErrFormat},
		{"gb18030", rdSpec("csv", "gb18030"), gb("姓名,金额\n张三,1\n李四,2\n"), "2:张三|1\n3:李四|2\n", nil},
		{"gbk", rdSpec("csv", "gbk"), gb("姓名,金额\n张三,1\n"), "2:张三|1\n", nil},
		{"utf-8 declared, gb18030 found", csv, gb("姓名,金额\n张三,1\n"), "FILE: invalid UTF-8 at byte 0 (line 1)", ErrEncoding},
		{"utf-8 declared, gb18030 later", csv, "a,b\n1,2\n" + gb("张三,1\n"), "FILE: invalid UTF-8 at byte 8 (line 3): d5 c5 c8 fd; the file may be GB18030", ErrEncoding},
		{"rows before a bad byte are read", csv, "a,b\n1,2\n3,\xff\n", "2:1|2\nFILE: in.csv: not in the declared encoding: invalid UTF-8 at byte 10 (line 3): ff 0a; the file may be GB18030 or GBK: set encoding: gb18030\n", nil},
		{"gb18030 declared, utf-8 found", rdSpec("csv", "gb18030"), "姓名,金额\n张三,1\n", "FILE: declared gb18030, but the file is valid UTF-8", ErrEncoding},
		{"gb18030 invalid byte", rdSpec("csv", "gb18030"), "a,b\n1,\xff\n", "FILE: invalid GB18030 at byte 6 (line 2)", ErrEncoding},
		{"gb18030 truncated character", rdSpec("csv", "gb18030"), "a,b\n1,\xd5", "FILE: invalid GB18030 at byte 6", ErrEncoding},
		{"gbk four-byte", rdSpec("csv", "gbk"), "a,b\n1,\x81\x30\x81\x30\n", "FILE: invalid GBK", ErrEncoding},
		{"gb18030 four-byte", rdSpec("csv", "gb18030"), "a,b\n1,\x81\x30\x81\x30\n", "2:1|\u0080\n", nil},
		{"unknown encoding", rdSpec("csv", "latin1"), "a\n", "FILE: unknown encoding", nil},
		{"unknown format", rdSpec("parquet", ""), "a\n", "FILE: unknown format", nil},
	})
}

func TestReadCSVLongRow(t *testing.T) {
	for _, quoted := range []bool{false, true} {
		t.Run(fmt.Sprint("quoted=", quoted), func(t *testing.T) {
			long := strings.Repeat("x", MaxRowBytes+100)
			if quoted {
				long = `"` + strings.Repeat("y,\n", (MaxRowBytes+100)/3) + `"`
			}
			in := "a,b\n1,2\n3," + long + "\n5,6\n"
			r, err := NewReader(strings.NewReader(in), "long.csv", rdSpec("csv", ""))
			if err != nil {
				t.Fatal(err)
			}
			got := rdTranscript(t, r)
			lines := 3
			if quoted {
				lines += (MaxRowBytes + 100) / 3
			}
			want := fmt.Sprintf("2:1|2\n3!the row is longer than %d bytes", MaxRowBytes)
			if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, fmt.Sprintf("\n%d:5|6\n", lines+1)) {
				t.Fatalf("got %.300q", got)
			}
		})
	}
}

func TestReadCSVBufferBoundaries(t *testing.T) {
	// Rows of every length around the buffer size, quoted and not, must
	// read the same as a reference split.
	var b strings.Builder
	b.WriteString("a,b,c\n")
	var want strings.Builder
	line := 2
	for i := 0; b.Len() < 3*csvBufSize; i++ {
		v := strings.Repeat("v", i%997)
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "%d,%s,x\n", i, v)
			fmt.Fprintf(&want, "%d:%d|%s|x\n", line, i, v)
			line++
		case 1:
			fmt.Fprintf(&b, "%d,\"%s\"\"\n\",x\r\n", i, v)
			fmt.Fprintf(&want, "%d:%d|%s\"\n|x\n", line, i, v)
			line += 2
		case 2:
			fmt.Fprintf(&b, "\n%d,%s,\"\"\n", i, v)
			fmt.Fprintf(&want, "%d:%d|%s|\n", line+1, i, v)
			line += 2
		case 3:
			fmt.Fprintf(&b, "%d,\"%s\",\"a,b\"\r\n", i, v)
			fmt.Fprintf(&want, "%d:%d|%s|a,b\n", line, i, v)
			line++
		}
	}
	for _, enc := range []string{"utf-8", "gb18030"} {
		r, err := NewReader(strings.NewReader(b.String()), "b.csv", rdSpec("csv", enc))
		if err != nil {
			t.Fatal(err)
		}
		if got := rdTranscript(t, iotestReader{r}); got != want.String() {
			t.Fatalf("%s: transcripts differ", enc)
		}
	}
}

type iotestReader struct{ Reader }

// TestReadOneByteAtATime checks the decoders against a source that returns
// one byte a read.
func TestReadOneByteAtATime(t *testing.T) {
	in := "姓名,金额\n张三,\"1\n2\"\n李四,2\n"
	want := "2:张三|1\n2\n4:李四|2\n"
	for _, enc := range []string{"utf-8", "gb18030", "gbk"} {
		data := in
		if enc != "utf-8" {
			data = gb(in)
		}
		r, err := NewReader(&oneByteReader{r: strings.NewReader(data)}, "x.csv", rdSpec("csv", enc))
		if err != nil {
			t.Fatal(enc, err)
		}
		if got := rdTranscript(t, r); got != want {
			t.Errorf("%s: got %q", enc, got)
		}
	}
}

type oneByteReader struct{ r io.Reader }

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func TestReadOffsetAndOpen(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/x.csv"
	in := "a,b\n1,2\n"
	if err := writeFileRd(path, []byte(in)); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, rdSpec("csv", ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatal(err)
	}
	if r.Offset() != int64(len(in)) {
		t.Errorf("offset %d, want %d", r.Offset(), len(in))
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir+"/missing.csv", rdSpec("csv", ""))
	var fe *FileError
	if !errors.As(err, &fe) || fe.File != dir+"/missing.csv" {
		t.Errorf("missing file: %v", err)
	}
}

func TestReadCSVNamesShared(t *testing.T) {
	r, err := NewReader(strings.NewReader("a,b\n1,2\n3,4\n"), "x", rdSpec("csv", ""))
	if err != nil {
		t.Fatal(err)
	}
	r1, _ := r.Next()
	r2, _ := r.Next()
	if &r1.Names[0] != &r2.Names[0] || &r1.Names[0] != &r.Header()[0] {
		t.Error("Names are not the shared header")
	}
	if r1.Raw != nil {
		t.Error("Raw set for CSV")
	}
	if v, _ := r2.Get("b"); v != "4" || r1.Values[0] != "1" {
		t.Errorf("values changed: %v %v", r1.Values, r2.Values)
	}
}

func writeFileRd(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// TestReadCSVBig streams CREDO_BIG_CSV_GB gigabytes of generated CSV through
// the reader and checks the heap stays small; it is skipped unless that is
// set. Measure the resident size with /usr/bin/time -v.
func TestReadCSVBig(t *testing.T) {
	gbs, _ := strconv.ParseFloat(os.Getenv("CREDO_BIG_CSV_GB"), 64)
	if gbs <= 0 {
		t.Skip("set CREDO_BIG_CSV_GB")
	}
	line := []byte("JT0000000001,110101199003071234,张三,京A12345,2024-03-05 14:30:00,1625,机动车违反禁令标志指示,北京市朝阳区建国路88号,200.00,3,已处理,\"现场处罚，当事人无异议\"\n")
	total := int64(gbs*(1<<30)) / int64(len(line)) * int64(len(line))
	src := &rdRepeat{line: line, left: total}
	r, err := NewReader(io.MultiReader(strings.NewReader("a,b,c,d,e,f,g,h,i,j,k,l\n"), src), "big.csv", rdSpec("csv", ""))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var ms runtime.MemStats
	maxHeap := uint64(0)
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n%1000000 == 0 {
			runtime.ReadMemStats(&ms)
			maxHeap = max(maxHeap, ms.HeapInuse)
		}
	}
	t.Logf("%d rows, %d bytes, max heap in use %d MB", n, r.Offset(), maxHeap>>20)
	if maxHeap > 100<<20 {
		t.Errorf("heap grew to %d MB", maxHeap>>20)
	}
}

type rdRepeat struct {
	line []byte
	left int64
	off  int
}

func (r *rdRepeat) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.left > 0 {
		c := copy(p[n:], r.line[r.off:])
		if int64(c) > r.left {
			c = int(r.left)
		}
		n += c
		r.left -= int64(c)
		r.off = (r.off + c) % len(r.line)
	}
	return n, nil
}
