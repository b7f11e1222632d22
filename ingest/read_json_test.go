package ingest

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// rdFields reads r to the end and describes each row as
// "num name=value name=value", a *RowError as "num! reason", a file error
// as "FILE: message".
func rdFields(t testing.TB, r Reader) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < 100000; i++ {
		row, err := r.Next()
		if err == io.EOF {
			return b.String()
		}
		if re, ok := err.(*RowError); ok {
			fmt.Fprintf(&b, "%d! %s raw=%s\n", re.Row.Num, re.Reason, re.Row.Raw)
			continue
		}
		if err != nil {
			fmt.Fprintf(&b, "FILE: %v\n", err)
			return b.String()
		}
		fmt.Fprintf(&b, "%d", row.Num)
		for i, n := range row.Names {
			fmt.Fprintf(&b, " %s=%s", n, row.Values[i])
		}
		b.WriteByte('\n')
	}
	t.Fatal("reader does not end")
	return ""
}

type rdFieldCase struct {
	name string
	spec *Spec
	in   string
	want string // exact, or "FILE: substring"
	is   error
}

func rdRunFields(t *testing.T, cases []rdFieldCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got string
			var ferr error
			r, err := NewReader(strings.NewReader(c.in), "in", c.spec)
			if err != nil {
				got, ferr = fmt.Sprintf("FILE: %v\n", err), err
			} else {
				got = rdFields(t, r)
				if i := strings.Index(got, "FILE: "); i >= 0 {
					// Read again to get the error value.
					r2, _ := NewReader(strings.NewReader(c.in), "in", c.spec)
					for {
						_, err := r2.Next()
						if _, ok := err.(*RowError); ok || err == nil {
							continue
						}
						ferr = err
						break
					}
				}
				r.Close()
			}
			if rest, ok := strings.CutPrefix(c.want, "FILE: "); ok {
				if !strings.Contains(got, "FILE: ") || !strings.Contains(got, rest) {
					t.Fatalf("got\n%s\nwant a file error with %q", got, rest)
				}
				if _, ok := ferr.(*FileError); !ok {
					t.Errorf("%T is not a *FileError", ferr)
				}
				if c.is != nil && !errorsIs(ferr, c.is) {
					t.Errorf("%v does not wrap %v", ferr, c.is)
				}
				return
			}
			if got != c.want {
				t.Fatalf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestReadJSON(t *testing.T) {
	js := rdSpec("json", "")
	at := func(p string) *Spec { return &Spec{Format: "json", JSON: &JSONOptions{Records: p}} }
	rdRunFields(t, []rdFieldCase{
		{"array", js, `[{"a":1,"b":"x"},{"a":2.50,"b":null}]`, "1 a=1 b=x\n2 a=2.50 b=\n", nil},
		{"nested and arrays", js, `[{"owner":{"name":"张三","id":{"type":"A"}},"tags":["x","y"],"items":[{"n":1},{"n":2}],"e":{},"f":[],"t":true}]`,
			"1 owner.name=张三 owner.id.type=A tags.0=x tags.1=y items.0.n=1 items.1.n=2 e= f= t=true\n", nil},
		{"escapes", js, `[{"a\"b":"\u4e2d\n\"", "c":"\ud83d\ude00"}]`, "1 a\"b=中\n\" c=😀\n", nil},
		{"at path", at("data.items"), `{"meta":{"n":[1,{"x":[2]}]},"data":{"count":2,"items":[{"a":1},{"a":2}],"after":"x"}}`, "1 a=1\n2 a=2\n", nil},
		{"empty array", js, ` [ ] `, "", nil},
		{"0-byte", js, ``, "", nil},
		{"blank", js, " \n ", "", nil},
		{"scalar record", js, `[{"a":1},"x",{"a":2}]`, "1 a=1\n2! record 2 is a string, not an object raw=\"x\"\n3 a=2\n", nil},
		{"object not array", js, `{"a":[{"x":1}]}`, "FILE: the document is an object, not an array of records; set json.records", ErrFormat},
		{"path not array", at("a"), `{"a":{"x":1}}`, "FILE: a is an object, not an array", ErrFormat},
		{"path missing", at("data.items"), `{"data":{"x":[]}}`, "FILE: has no key \"items\"", ErrFormat},
		{"path through scalar", at("data.items"), `{"data":5}`, "FILE: data is a number, not an object", ErrFormat},
		{"truncated in record", js, `[{"a":1},{"a":`, "FILE: truncated", nil},
		{"truncated after record", js, `[{"a":1},{"a":2}`, "FILE: truncated", nil},
		{"truncated after comma", js, `[{"a":1},`, "FILE: truncated", nil},
		{"truncated envelope", at("d"), `{"d":[{"a":1}]`, "FILE: truncated", nil},
		{"garbage in array", js, `[{"a":1},x]`, "FILE: invalid JSON", ErrFormat},
		{"trailing data", js, `[{"a":1}] [1]`, "FILE: more data after the end", ErrFormat},
		{"raw kept", js, "[ {\"a\" : 1}\n]", "1 a=1\n", nil},
		{"invalid utf-8", js, "[{\"a\":\"\xff\"}]", "FILE: invalid UTF-8", ErrEncoding},
		{"gb18030", rdSpec("json", "gb18030"), gb(`[{"姓名":"张三"}]`), "1 姓名=张三\n", nil},
	})
}

func TestReadJSONRaw(t *testing.T) {
	r, err := NewReader(strings.NewReader("[ {\"a\" : 1,\n \"b\":[1, 2]} ,{}]"), "x", rdSpec("json", ""))
	if err != nil {
		t.Fatal(err)
	}
	row, err := r.Next()
	if err != nil || string(row.Raw) != "{\"a\" : 1,\n \"b\":[1, 2]}" || row.Num != 1 {
		t.Fatalf("%q %v", row.Raw, err)
	}
	row, err = r.Next()
	if err != nil || string(row.Raw) != "{}" || len(row.Names) != 0 || row.Num != 2 {
		t.Fatalf("%q %v %v", row.Raw, row.Names, err)
	}
}

func TestReadJSONLargeRecord(t *testing.T) {
	in := `[{"a":1},{"big":"` + strings.Repeat("x", MaxRowBytes+200<<10) + `"},{"a":3}]`
	r, err := NewReader(strings.NewReader(in), "big.json", rdSpec("json", ""))
	if err != nil {
		t.Fatal(err)
	}
	got := rdFields(t, r)
	if !strings.HasPrefix(got, "1 a=1\nFILE: big.json: after record 1: a record is larger than") {
		t.Fatalf("%.200s", got)
	}
}

func TestReadNDJSON(t *testing.T) {
	nd := rdSpec("ndjson", "")
	rdRunFields(t, []rdFieldCase{
		{"lines", nd, "{\"a\":1}\n{\"a\":\"x\",\"b\":{\"c\":null}}\r\n", "1 a=1\n2 a=x b.c=\n", nil},
		{"blank lines counted", nd, "\n{\"a\":1}\n  \n\n{\"a\":2}", "2 a=1\n5 a=2\n", nil},
		{"not json", nd, "{\"a\":1}\n{oops\n{\"a\":3}\n", "1 a=1\n2! the line is not JSON: invalid character 'o' looking for beginning of object key string raw={oops\n3 a=3\n", nil},
		{"not object", nd, "{\"a\":1}\n[1]\n3\n", "1 a=1\n2! the line is an array, not an object raw=[1]\n3! the line is a number, not an object raw=3\n", nil},
		{"truncated last line", nd, "{\"a\":1}\n{\"a\":", "1 a=1\n2! the line is not JSON: unexpected end of JSON input raw={\"a\":\n", nil},
		{"a JSON array", nd, "[\n{\"a\":1}\n]\n", "FILE: set format: json", ErrFormat},
		{"NUL", nd, "{\"a\":\"\x00\"}\n", "1! the line is not JSON: invalid character '\\x00' in string literal raw={\"a\":\"\x00\"}\n", nil},
		{"empty", nd, "", "", nil},
		{"gb18030", rdSpec("ndjson", "gb18030"), gb("{\"名\":\"张\"}\n"), "1 名=张\n", nil},
		{"bad utf-8", nd, "{\"a\":1}\n{\"a\":\"\xc3\"}\n", "FILE: invalid UTF-8 at byte 14 (line 2)", ErrEncoding},
	})
}

func TestReadNDJSONLongLine(t *testing.T) {
	in := "{\"a\":1}\n{\"a\":\"" + strings.Repeat("x", MaxRowBytes+10) + "\"}\n{\"a\":3}\n"
	r, err := NewReader(strings.NewReader(in), "x", rdSpec("ndjson", ""))
	if err != nil {
		t.Fatal(err)
	}
	got := rdFields(t, r)
	want := fmt.Sprintf("1 a=1\n2! the line is longer than %d bytes (%d); it is not kept raw=\n3 a=3\n", MaxRowBytes, MaxRowBytes+19)
	if got != want {
		t.Fatalf("got %.300q", got)
	}
}
