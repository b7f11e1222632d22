package ingest

import (
	"strings"
	"testing"
)

func TestReadXML(t *testing.T) {
	at := func(p string) *Spec { return &Spec{Format: "xml", XML: &XMLOptions{Record: p}} }
	rec := at("export/records/record")
	rdRunFields(t, []rdFieldCase{
		{"records", rec, `<?xml version="1.0"?><export><head>x</head><records>
  <record id="1"><name>张三</name><owner type="p"><id>110</id><addr/></owner></record>
  <record id="2"><name>a &amp; b &lt;</name><note><![CDATA[<x>]]></note></record>
</records></export>`, "1 @id=1 name=张三 owner/@type=p owner/id=110 owner/addr=\n2 @id=2 name=a & b < note=<x>\n", nil},
		{"text of the record and mixed", at("r/x"), `<r><x a="1">hello<b>2</b> world</x><x>just text</x></r>`, "1 @a=1 b=2 #text=hello world\n2 #text=just text\n", nil},
		{"repeated children", at("r/x"), `<r><x><p>1</p><p>2</p></x></r>`, "1 p=1 p=2\n", nil},
		{"namespaces dropped", at("r/x"), `<r xmlns:a="urn:a"><a:x a:k="v"><a:y>1</a:y></a:x></r>`, "1 @k=v y=1\n", nil},
		{"default path", rdSpec("xml", ""), `<rows><row><a>1</a></row><row><a>2</a></row></rows>`, "1 a=1\n2 a=2\n", nil},
		{"wildcard", at("*/records/*"), `<e><records><r><a>1</a></r><s><a>2</a></s></records><other><r><a>3</a></r></other></e>`, "1 a=1\n2 a=2\n", nil},
		{"nested records not matched deeper", at("r/x"), `<r><x><x>1</x></x></r>`, "1 x=1\n", nil},
		{"html entity", at("r/x"), `<r><x><a>a&nbsp;b</a></x></r>`, "1 a=a\u00a0b\n", nil},
		{"gbk declaration", &Spec{Format: "xml", Encoding: "gb18030", XML: &XMLOptions{Record: "r/x"}}, gb(`<?xml version="1.0" encoding="GBK"?><r><x><名>张三</名></x></r>`), "1 名=张三\n", nil},
		{"no records", rec, `<export><records/></export>`, "", nil},
		{"0-byte", rec, ``, "", nil},
		{"wrong root", rec, `<data><records><record/></records></data>`, "FILE: the root element is <data>", ErrFormat},
		{"truncated", rec, `<export><records><record><a>1</a></record><record><a>2`, "FILE: truncated", nil},
		{"truncated after record", rec, `<export><records><record><a>1</a></record>`, "FILE: truncated", nil},
		{"mismatched tags", rec, `<export><records><record><a>1</b></record></records></export>`, "FILE: invalid XML on line 1", ErrFormat},
		{"NUL", rec, "<export><records><record><a>\x00</a></record></records></export>", "FILE: invalid XML", ErrFormat},
		{"invalid utf-8", rec, "<export><records><record><a>\xff</a></record></records></export>", "FILE: invalid UTF-8", ErrEncoding},
		{"not xml", rec, "a,b\n1,2\n", "FILE: no XML element", ErrFormat},
	})
}

func TestReadXMLRaw(t *testing.T) {
	in := "<r>\n <x a='1'>\n  <b>2</b>\n </x><x/></r>"
	r, err := NewReader(strings.NewReader(in), "x", &Spec{Format: "xml", XML: &XMLOptions{Record: "r/x"}})
	if err != nil {
		t.Fatal(err)
	}
	row, err := r.Next()
	if err != nil || string(row.Raw) != "<x a='1'>\n  <b>2</b>\n </x>" {
		t.Fatalf("%q %v", row.Raw, err)
	}
	row, err = r.Next()
	if err != nil || string(row.Raw) != "<x/>" || row.Num != 2 {
		t.Fatalf("%q %v", row.Raw, err)
	}
}

func TestReadXMLLargeRecord(t *testing.T) {
	in := "<r><x><a>1</a></x><x><a>" + strings.Repeat("y", MaxRowBytes+4096) + "</a></x></r>"
	r, err := NewReader(strings.NewReader(in), "big.xml", &Spec{Format: "xml", XML: &XMLOptions{Record: "r/x"}})
	if err != nil {
		t.Fatal(err)
	}
	got := rdFields(t, r)
	if !strings.HasPrefix(got, "1 a=1\nFILE: big.xml: after record 1: a record is larger than") {
		t.Fatalf("%.200s", got)
	}
}
