package ingest

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// rdRows reads every row, malformed ones included.
func rdRows(t *testing.T, data []byte, spec *Spec) ([]string, []Row) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), "in", spec)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows []Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var re *RowError
		if errors.As(err, &re) {
			row = re.Row
		} else if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	return r.Header(), rows
}

func TestWriteRowsRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		spec *Spec
		in   []byte
	}{
		{"csv", rdSpec("csv", ""), []byte("a,b,c\n1,\"x,y\",\"he said \"\"hi\"\"\"\n2,\"multi\nline\", lead\n3,short\n4,5,6,7\n")},
		{"csv header row", &Spec{Format: "csv", CSV: &CSVOptions{HeaderRow: 3, Delimiter: ";"}}, []byte("title\n\na;b\n1;2,5\n")},
		{"tsv", rdSpec("tsv", ""), []byte("a\tb\n1\t\"q\"\n")},
		{"csv gb18030", rdSpec("csv", "gb18030"), []byte(gb("姓名,金额\n张三,1\n李四,\"2,3\"\n"))},
		{"xlsx", &Spec{Format: "xlsx", XLSX: &XLSXOptions{Sheet: "数据", HeaderRow: 3}}, rdWorkbook(t)},
		{"ndjson", rdSpec("ndjson", ""), []byte("{\"a\":1,\"b\":{\"c\":[1,2]}}\n{bad\n{\"a\":\"张三\"}\n")},
		{"ndjson gbk", rdSpec("ndjson", "gbk"), []byte(gb("{\"名\":\"张三\"}\n"))},
		{"json", rdSpec("json", ""), []byte(`[{"a":1,"b":[{"c":null}]},{"a":"x"},3]`)},
		{"json at path", &Spec{Format: "json", JSON: &JSONOptions{Records: "data.items"}}, []byte(`{"data":{"items":[{"a":1},{"a":2}]}}`)},
		{"xml", &Spec{Format: "xml", XML: &XMLOptions{Record: "export/records/record"}}, []byte(`<export><records><record id="1"><a>x &amp; y</a><b><c>2</c></b></record><record/></records></export>`)},
		{"xml gb18030", &Spec{Format: "xml", Encoding: "gb18030", XML: &XMLOptions{Record: "r/x"}}, []byte(gb(`<?xml version="1.0" encoding="GB18030"?><r><x><名>张三</名></x></r>`))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			header, rows := rdRows(t, c.in, c.spec)
			if len(rows) == 0 {
				t.Fatal("no rows")
			}
			var out bytes.Buffer
			if err := WriteRows(&out, c.spec, header, rows); err != nil {
				t.Fatal(err)
			}
			header2, rows2 := rdRows(t, out.Bytes(), c.spec)
			if !reflect.DeepEqual(header, header2) {
				t.Errorf("header %q, then %q", header, header2)
			}
			if len(rows) != len(rows2) {
				t.Fatalf("%d rows, then %d:\n%s", len(rows), len(rows2), out.String())
			}
			for i := range rows {
				if !reflect.DeepEqual(rows[i].Names, rows2[i].Names) || !reflect.DeepEqual(rows[i].Values, rows2[i].Values) {
					t.Errorf("row %d: %q=%q, then %q=%q", i, rows[i].Names, rows[i].Values, rows2[i].Names, rows2[i].Values)
				}
			}
		})
	}
}

func TestWriteRowsWithoutRaw(t *testing.T) {
	rows := []Row{{Names: []string{"@id", "a", "b/c"}, Values: []string{"1", "x<y", "2"}}}
	for _, c := range []struct {
		spec *Spec
		want string
	}{
		{rdSpec("ndjson", ""), "{\"@id\":\"1\",\"a\":\"x\\u003cy\",\"b/c\":\"2\"}\n"},
		{&Spec{Format: "xml", XML: &XMLOptions{Record: "r/x"}}, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r>\n<x id=\"1\"><a>x&lt;y</a><b><c>2</c></b></x>\n</r>\n"},
	} {
		var b strings.Builder
		if err := WriteRows(&b, c.spec, nil, rows); err != nil {
			t.Fatal(err)
		}
		if b.String() != c.want {
			t.Errorf("%s: got %q", c.spec.Format, b.String())
		}
	}
}

func TestWriteRowsUnencodable(t *testing.T) {
	var b bytes.Buffer
	err := WriteRows(&b, rdSpec("csv", "gbk"), []string{"a"}, []Row{{Values: []string{"😀"}}})
	if err == nil {
		t.Fatal("an emoji written as GBK")
	}
}
