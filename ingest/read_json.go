package ingest

// The JSON and NDJSON readers.
//
// JSON: the document is an array of records, or json.records is the dotted
// path of one inside objects ("data.items"). The reader walks the document
// with json.Decoder tokens and decodes one record at a time, so memory is one
// record (at most MaxRowBytes; a bigger one is a *FileError). Row.Num is the
// record's ordinal in the array, 1-based; Row.Raw its text as in the file.
// Anything else at the path (an object, a string, nothing) is a *FileError
// wrapping ErrFormat; a document cut off is a *FileError; an empty (0-byte
// or blank) file has no rows. A record that is not an object is a
// *RowError, keeping its Raw.
//
// NDJSON: one JSON object a line; blank lines are skipped. Row.Num is the
// line; Row.Raw the line without its line ending. A line that is not JSON,
// or not an object, is a *RowError and reading goes on; a line longer than
// MaxRowBytes is a *RowError (Raw nil) and is skipped.
//
// Flattening, for both: nested objects are flattened with dots
// ("owner.name"), array elements with their index ("phones.0",
// "items.1.amount"); an empty object or array is one field with an empty
// value; numbers are their literal text ("1.50", "1e3"), true and false
// their text, null the empty string. Fields are in document order, and a
// repeated key repeats its name.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

var errTooLarge = fmt.Errorf("a record is larger than %d bytes", MaxRowBytes)

// budgetReader refuses to read past limit, so that json.Decoder and
// xml.Decoder cannot buffer a record of unbounded size.
type budgetReader struct {
	r     io.Reader
	n     int64 // bytes read
	limit int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.n >= b.limit {
		return 0, errTooLarge
	}
	if rest := b.limit - b.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	return n, err
}

type jsonReader struct {
	src    *textSource
	budget *budgetReader
	dec    *json.Decoder
	path   []string
	depth  int // objects open around the array
	num    int64
	done   bool
	err    error
	names  nameCache
}

func newJSONReader(src *textSource, spec *Spec) (*jsonReader, error) {
	j := &jsonReader{src: src}
	j.budget = &budgetReader{r: src.r}
	j.dec = json.NewDecoder(j.budget)
	if spec.JSON != nil && spec.JSON.Records != "" {
		j.path = strings.Split(spec.JSON.Records, ".")
	}
	if err := j.start(); err != nil {
		if err == io.EOF {
			j.done = true
			return j, nil
		}
		return nil, src.fileErr(err)
	}
	return j, nil
}

func (j *jsonReader) Header() []string { return nil }
func (j *jsonReader) Offset() int64    { return j.src.offset() }
func (j *jsonReader) Close() error     { return j.src.close() }

func (j *jsonReader) token() (json.Token, error) {
	j.budget.limit = j.dec.InputOffset() + MaxRowBytes + 64<<10
	t, err := j.dec.Token()
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = io.ErrUnexpectedEOF
	}
	return t, err
}

func describe(t json.Token) string {
	switch t := t.(type) {
	case json.Delim:
		if t == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a number"
}

// start walks to the array of records. io.EOF: the document is empty.
func (j *jsonReader) start() error {
	j.budget.limit = MaxRowBytes
	t, err := j.dec.Token()
	if err != nil {
		return err // io.EOF for an empty file
	}
	where := "the document"
	for i, key := range j.path {
		if t != json.Delim('{') {
			return fmt.Errorf("%w: %s is %s, not an object with %q", ErrFormat, where, describe(t), key)
		}
		j.depth++
		found := false
		for j.dec.More() {
			kt, err := j.token()
			if err != nil {
				return j.syntax(err)
			}
			if kt == key {
				found = true
				break
			}
			if err := j.skip(); err != nil {
				return err
			}
		}
		if !found {
			return fmt.Errorf("%w: %s has no key %q (json.records is %q)", ErrFormat, where, key, strings.Join(j.path, "."))
		}
		where = strings.Join(j.path[:i+1], ".")
		if t, err = j.token(); err != nil {
			return j.syntax(err)
		}
	}
	if t != json.Delim('[') {
		hint := ""
		if len(j.path) == 0 && t == json.Delim('{') {
			hint = "; set json.records to the path of the array of records"
		}
		return fmt.Errorf("%w: %s is %s, not an array of records%s", ErrFormat, where, describe(t), hint)
	}
	return nil
}

// skip skips one value, token by token.
func (j *jsonReader) skip() error {
	depth := 0
	for {
		t, err := j.token()
		if err != nil {
			return j.syntax(err)
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

func (j *jsonReader) syntax(err error) error {
	switch {
	case errors.Is(err, errTooLarge):
		return fmt.Errorf("after record %d: %w", j.num, err)
	case err == io.ErrUnexpectedEOF:
		return fmt.Errorf("the file is truncated: it ends inside the JSON document, after record %d", j.num)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: invalid JSON at byte %d, after record %d: %v", ErrFormat, se.Offset, j.num, err)
	}
	return err
}

func (j *jsonReader) Next() (Row, error) {
	if j.done {
		if j.err != nil {
			return Row{}, j.err
		}
		return Row{}, io.EOF
	}
	if !j.dec.More() {
		j.done = true
		if err := j.finish(); err != nil {
			j.err = j.src.fileErr(err)
			return Row{}, j.err
		}
		return Row{}, io.EOF
	}
	j.budget.limit = j.dec.InputOffset() + MaxRowBytes + 64<<10
	var raw json.RawMessage
	if err := j.dec.Decode(&raw); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		j.done = true
		j.err = j.src.fileErr(j.syntax(err))
		return Row{}, j.err
	}
	j.num++
	row := Row{Num: j.num, Raw: raw}
	var f flattener
	f.cache = &j.names
	if ok := f.record(raw); !ok {
		return row, &RowError{Row: row, Reason: fmt.Sprintf("record %d is %s, not an object", j.num, jsonKind(raw))}
	}
	row.Names, row.Values = f.names, f.values
	return row, nil
}

// finish reads the end of the array and of the objects around it, and
// checks that nothing follows.
func (j *jsonReader) finish() error {
	if _, err := j.token(); err != nil { // ']'
		return j.syntax(err)
	}
	for ; j.depth > 0; j.depth-- {
		for j.dec.More() {
			if _, err := j.token(); err != nil { // key
				return j.syntax(err)
			}
			if err := j.skip(); err != nil {
				return err
			}
		}
		if _, err := j.token(); err != nil { // '}'
			return j.syntax(err)
		}
	}
	if _, err := j.dec.Token(); err != io.EOF {
		if err != nil {
			return j.syntax(err)
		}
		return fmt.Errorf("%w: more data after the end of the JSON document", ErrFormat)
	}
	return nil
}

func jsonKind(raw []byte) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// nameCache interns flattened field names, so that rows with the same shape
// share their name strings.
type nameCache struct{ m map[string]string }

func (c *nameCache) get(b []byte) string {
	if s, ok := c.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if c.m == nil {
		c.m = make(map[string]string)
	}
	if len(c.m) < 1<<14 {
		c.m[s] = s
	}
	return s
}

// flattener flattens one valid JSON object into names and values.
type flattener struct {
	cache  *nameCache
	names  []string
	values []string
	path   []byte
	b      []byte
	i      int
}

// record flattens raw, which must be valid JSON; it reports false if raw is
// not an object.
func (f *flattener) record(raw []byte) bool {
	f.b, f.i = raw, 0
	f.ws()
	if f.i >= len(f.b) || f.b[f.i] != '{' {
		return false
	}
	f.value(0)
	return true
}

func (f *flattener) ws() {
	for f.i < len(f.b) {
		switch f.b[f.i] {
		case ' ', '\t', '\r', '\n':
			f.i++
		default:
			return
		}
	}
}

func (f *flattener) emit(v string) {
	f.names = append(f.names, f.cache.get(f.path))
	f.values = append(f.values, v)
}

// value flattens the value at f.i under f.path (of length plen).
func (f *flattener) value(depth int) {
	f.ws()
	if f.i >= len(f.b) {
		return
	}
	plen := len(f.path)
	switch f.b[f.i] {
	case '{':
		f.i++
		n := 0
		for {
			f.ws()
			if f.i >= len(f.b) || f.b[f.i] == '}' {
				f.i++
				break
			}
			if f.b[f.i] == ',' {
				f.i++
				continue
			}
			key := f.str()
			f.ws()
			if f.i < len(f.b) && f.b[f.i] == ':' {
				f.i++
			}
			f.path = f.path[:plen]
			if depth > 0 {
				f.path = append(f.path, '.')
			}
			f.path = append(f.path, key...)
			f.value(depth + 1)
			n++
		}
		f.path = f.path[:plen]
		if n == 0 && depth > 0 {
			f.emit("")
		}
	case '[':
		f.i++
		n := 0
		for {
			f.ws()
			if f.i >= len(f.b) || f.b[f.i] == ']' {
				f.i++
				break
			}
			if f.b[f.i] == ',' {
				f.i++
				continue
			}
			f.path = f.path[:plen]
			if depth > 0 {
				f.path = append(f.path, '.')
			}
			f.path = strconv.AppendInt(f.path, int64(n), 10)
			f.value(depth + 1)
			n++
		}
		f.path = f.path[:plen]
		if n == 0 {
			f.emit("")
		}
	case '"':
		f.emit(f.str())
	default:
		s := f.i
		for f.i < len(f.b) {
			c := f.b[f.i]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				break
			}
			f.i++
		}
		lit := f.b[s:f.i]
		switch string(lit) {
		case "null":
			f.emit("")
		case "true":
			f.emit("true")
		case "false":
			f.emit("false")
		default:
			f.emit(string(lit))
		}
	}
}

// str reads the string at f.i, unquoted.
func (f *flattener) str() string {
	if f.i >= len(f.b) || f.b[f.i] != '"' {
		return ""
	}
	s := f.i
	f.i++
	esc := false
	for f.i < len(f.b) {
		c := f.b[f.i]
		if c == '\\' {
			esc = true
			f.i += 2
			continue
		}
		f.i++
		if c == '"' {
			break
		}
	}
	if f.i > len(f.b) {
		f.i = len(f.b)
	}
	q := f.b[s:f.i]
	if !esc {
		if len(q) >= 2 {
			return string(q[1 : len(q)-1])
		}
		return ""
	}
	var out string
	if err := json.Unmarshal(q, &out); err != nil {
		return string(q)
	}
	return out
}

// ndjsonReader reads one JSON object a line.
type ndjsonReader struct {
	src   *textSource
	br    *bufio.Reader
	line  int64
	buf   []byte
	first bool
	done  bool
	names nameCache
}

func newNDJSONReader(src *textSource) (*ndjsonReader, error) {
	return &ndjsonReader{src: src, br: bufio.NewReaderSize(src.r, 64<<10), first: true}, nil
}

func (n *ndjsonReader) Header() []string { return nil }
func (n *ndjsonReader) Offset() int64    { return n.src.offset() }
func (n *ndjsonReader) Close() error     { return n.src.close() }

// readLine returns the next line without its ending; long reports a line
// over MaxRowBytes, which is consumed but not returned.
func (n *ndjsonReader) readLine() (line []byte, size int, err error) {
	n.buf = n.buf[:0]
	for {
		b, err := n.br.ReadSlice('\n')
		size += len(b)
		if size <= MaxRowBytes+2 {
			n.buf = append(n.buf, b...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && (err != io.EOF || size == 0) {
			return nil, size, err
		}
		if size > MaxRowBytes+2 {
			return nil, size, nil
		}
		line = bytes.TrimSuffix(n.buf, nl)
		line = bytes.TrimSuffix(line, []byte{'\r'})
		return line, size, nil
	}
}

func (n *ndjsonReader) Next() (Row, error) {
	for {
		if n.done {
			return Row{}, io.EOF
		}
		line, size, err := n.readLine()
		if err != nil {
			n.done = true
			if err == io.EOF {
				return Row{}, io.EOF
			}
			return Row{}, n.src.fileErr(err)
		}
		n.line++
		row := Row{Num: n.line}
		if line == nil {
			return row, &RowError{Row: row, Reason: fmt.Sprintf("the line is longer than %d bytes (%d); it is not kept", MaxRowBytes, size)}
		}
		t := bytes.TrimSpace(line)
		if len(t) == 0 {
			continue
		}
		row.Raw = bytes.Clone(line)
		if !json.Valid(t) {
			if n.first && (t[0] == '[' || string(t) == "{") {
				n.done = true
				return Row{}, n.src.fileErr(fmt.Errorf("%w: line %d is not a JSON value of its own: is this a JSON document rather than NDJSON? (set format: json)", ErrFormat, n.line))
			}
			n.first = false
			var v any
			err := json.Unmarshal(t, &v)
			return row, &RowError{Row: row, Reason: fmt.Sprintf("the line is not JSON: %v", err)}
		}
		n.first = false
		f := flattener{cache: &n.names}
		if !f.record(t) {
			return row, &RowError{Row: row, Reason: fmt.Sprintf("the line is %s, not an object", jsonKind(t))}
		}
		row.Names, row.Values = f.names, f.values
		return row, nil
	}
}
