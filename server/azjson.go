package server

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// The AuthZEN bodies' fast path: a scanner for the shape the decision API
// expects, without reflection, and an encoder for its answers with
// strconv.Append* into a pooled buffer. The scanner takes only what it is
// sure of — the known fields exactly named, strings of printable ASCII
// without escapes, numbers, true, false, null, and unknown fields' values
// well formed — and gives up on anything else, leaving the body to
// encoding/json, whose answers (the field named in a 400 above all) are
// then exactly what they always were.

// maxScanDepth bounds the nesting the scanner skips through; deeper
// bodies are left to encoding/json.
const maxScanDepth = 32

// azScanner reads one JSON body. ok turns false at the first thing it is
// not sure of, and stays false. The body is scanned as a string, so that
// the strings read from it (ids, names, purposes) are views of that one
// copy rather than an allocation each; entities are allocated in slabs.
type azScanner struct {
	b    string
	i    int
	ok   bool
	ents []azEntity
}

// entity returns a new entity from the slab (zeroed: a slab may be
// reused, see scanScratch).
func (s *azScanner) newEntity() *azEntity {
	if len(s.ents) == cap(s.ents) {
		s.ents = make([]azEntity, 0, min(64, 2*cap(s.ents)+1))
	}
	s.ents = s.ents[:len(s.ents)+1]
	e := &s.ents[len(s.ents)-1]
	*e = azEntity{}
	return e
}

// scanScratch is the memory a batch's scan takes from a request before
// (the evaluations' array and a slab of entities), handed on with the
// request's answers (answerSlab) once nothing refers to what it held: the
// decisions keep strings of the body, never the entities.
type scanScratch struct {
	evals []azEvaluation
	ents  []azEntity
}

func (s *azScanner) fail() bool { s.ok = false; return false }

func (s *azScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (s *azScanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *azScanner) eat(c byte) bool {
	if s.peek() != c {
		return s.fail()
	}
	s.i++
	return true
}

// str reads a string of printable ASCII without escapes and returns it
// (a view of the body).
func (s *azScanner) str() string {
	if !s.eat('"') {
		return ""
	}
	b, i := s.b, s.i
	for i < len(b) && plainByte[b[i]] {
		i++
	}
	if i < len(b) && b[i] == '"' {
		start := s.i
		s.i = i + 1
		return b[start:i]
	}
	s.i = i
	s.fail()
	return ""
}

// plainByte marks the bytes a string str reads holds as they are:
// printable ASCII but the quote and the backslash. (A table: one load a
// byte where four comparisons were, on every id and name of a batch.)
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// lit reads the literal word.
func (s *azScanner) lit(word string) bool {
	if !strings.HasPrefix(s.b[s.i:], word) {
		return s.fail()
	}
	s.i += len(word)
	return true
}

// null reads null if it comes next.
func (s *azScanner) null() bool {
	if s.peek() == 'n' {
		return s.lit("null")
	}
	return false
}

// num reads a JSON number.
func (s *azScanner) num() (float64, bool) {
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if n := digits(); n == 0 || (n > 1 && s.b[s.i-n] == '0') {
		return 0, s.fail()
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return 0, s.fail()
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return 0, s.fail()
		}
	}
	f, err := strconv.ParseFloat(s.b[start:s.i], 64)
	if err != nil {
		return 0, s.fail()
	}
	return f, true
}

// object reads an object, calling field with each key (the value next).
func (s *azScanner) object(field func(key string) bool) bool {
	if !s.eat('{') {
		return false
	}
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		k := s.str()
		if !s.ok || !s.eat(':') || !field(k) || !s.ok {
			return s.fail()
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return s.fail()
		}
	}
}

// skip reads any value, checking that it is well formed.
func (s *azScanner) skip(depth int) bool {
	if depth > maxScanDepth {
		return s.fail()
	}
	switch c := s.peek(); {
	case c == '"':
		s.str()
	case c == '{':
		s.object(func(string) bool { return s.skip(depth + 1) })
	case c == '[':
		s.i++
		if s.peek() == ']' {
			s.i++
			return true
		}
		for s.ok {
			s.skip(depth + 1)
			if s.peek() == ']' {
				s.i++
				break
			}
			s.eat(',')
		}
	case c == 't':
		s.lit("true")
	case c == 'f':
		s.lit("false")
	case c == 'n':
		s.lit("null")
	case c == '-' || c >= '0' && c <= '9':
		s.num()
	default:
		s.fail()
	}
	return s.ok
}

// known reports whether key names one of names — or differs from one of
// them in case alone, which encoding/json would match too: the scanner
// gives up on those.
func (s *azScanner) known(key string, names ...string) (string, bool) {
	for _, n := range names {
		if key == n {
			return n, true
		}
		// keys and names are ASCII (str reads no other): of other lengths,
		// they cannot fold to one another
		if len(key) == len(n) && strings.EqualFold(key, n) {
			s.fail()
			return "", false
		}
	}
	return "", false
}

// entity reads a subject or a resource.
func (s *azScanner) entity() *azEntity {
	if s.null() {
		return nil
	}
	e := s.newEntity()
	var seen [3]bool
	s.object(func(k string) bool {
		name, ok := s.known(k, "type", "id", "properties")
		switch {
		case !ok:
			return s.skip(1)
		case name == "type" && !seen[0]:
			seen[0] = true
			e.Type = s.str()
		case name == "id" && !seen[1]:
			seen[1] = true
			e.ID = s.str()
		case name == "properties" && !seen[2]:
			seen[2] = true
			if s.peek() != '{' && s.peek() != 'n' {
				return s.fail()
			}
			s.skip(1) // never read
		default:
			return s.fail() // a field twice: encoding/json merges
		}
		return s.ok
	})
	return e
}

// action reads an action.
func (s *azScanner) action() *azAction {
	if s.null() {
		return nil
	}
	a := &azAction{}
	var seen [2]bool
	s.object(func(k string) bool {
		name, ok := s.known(k, "name", "properties")
		switch {
		case !ok:
			return s.skip(1)
		case name == "name" && !seen[0]:
			seen[0] = true
			a.Name = s.str()
		case name == "properties" && !seen[1]:
			seen[1] = true
			if s.peek() != '{' && s.peek() != 'n' {
				return s.fail()
			}
			s.skip(1) // never read
		default:
			return s.fail()
		}
		return s.ok
	})
	return a
}

// context reads a request's context: an object of strings, numbers,
// booleans and nulls.
func (s *azScanner) context() map[string]any {
	if s.null() {
		return nil
	}
	m := map[string]any{}
	s.object(func(key string) bool {
		if _, dup := m[key]; dup {
			return s.fail()
		}
		switch c := s.peek(); {
		case c == '"':
			m[key] = s.str()
		case c == 't':
			m[key] = s.lit("true")
		case c == 'f':
			m[key] = !s.lit("false")
		case c == 'n':
			s.lit("null")
			m[key] = nil
		case c == '-' || c >= '0' && c <= '9':
			m[key], _ = s.num()
		default:
			return s.fail() // nested: left to encoding/json
		}
		return s.ok
	})
	return m
}

// evaluation reads one evaluation's field k into e, or reports that k is
// not one of its fields (nothing read).
func (s *azScanner) evaluation(k string, e *azEvaluation, seen *[4]bool) (bool, bool) {
	name, ok := s.known(k, "subject", "action", "resource", "context")
	if !ok {
		return false, s.ok
	}
	var i int
	switch name {
	case "subject":
		e.Subject = s.entity()
	case "action":
		i = 1
		e.Action = s.action()
	case "resource":
		i = 2
		e.Resource = s.entity()
	case "context":
		i = 3
		e.Context = s.context()
	}
	if seen[i] {
		return true, s.fail()
	}
	seen[i] = true
	return true, s.ok
}

// end checks that nothing but white space follows.
func (s *azScanner) end() bool {
	if s.ok {
		s.ws()
		if s.i != len(s.b) { // anything, a NUL byte too (which peek reads as the end)
			s.fail()
		}
	}
	return s.ok
}

// bodyString is the body as a string, without a copy: the request's
// strings are views of it, and it is never written again (readBody reads
// each body into memory of its own, which the request keeps).
func bodyString(body []byte) string { return unsafe.String(unsafe.SliceData(body), len(body)) }

// scanEvaluation reads an evaluation request, reporting false when the
// body is left to encoding/json.
func scanEvaluation(body []byte, e *azEvaluation) bool {
	s := azScanner{b: bodyString(body), ok: true}
	var seen [4]bool
	s.object(func(k string) bool {
		if took, ok := s.evaluation(k, e, &seen); took || !ok {
			return ok
		}
		return s.skip(1)
	})
	return s.end()
}

// scanEvaluations reads a batch, reporting false when the body is left to
// encoding/json.
func scanEvaluations(body []byte, req *azEvaluationsTyped, sc *scanScratch) bool {
	s := azScanner{b: bodyString(body), ok: true}
	if sc != nil {
		if sc.ents == nil {
			sc.ents = make([]azEntity, 0, 128)
		}
		s.ents = sc.ents[:0]
		defer func() {
			if sc.evals == nil || cap(req.Evaluations) > cap(sc.evals) {
				sc.evals = req.Evaluations[:0] // the largest array, for the next
			}
		}()
	}
	var seen [4]bool
	var seenEvals, seenOpts bool
	s.object(func(k string) bool {
		if took, ok := s.evaluation(k, &req.azEvaluation, &seen); took || !ok {
			return ok
		}
		name, ok := s.known(k, "evaluations", "options")
		switch {
		case !s.ok:
			return false
		case !ok:
			return s.skip(1)
		case name == "evaluations" && !seenEvals:
			seenEvals = true
			if s.null() {
				return true
			}
			if !s.eat('[') {
				return false
			}
			// room for items of 48 bytes (one with a person's id takes 55): one allocation for most batches
			if room := min(max(16, len(body)/48), maxEvaluations+1); sc != nil && cap(sc.evals) >= room {
				req.Evaluations = sc.evals[:0]
			} else {
				req.Evaluations = make([]azEvaluation, 0, room)
			}
			if s.peek() == ']' {
				s.i++
				return true
			}
			for s.ok {
				req.Evaluations = append(req.Evaluations, azEvaluation{})
				item := &req.Evaluations[len(req.Evaluations)-1]
				var iseen [4]bool
				s.object(func(k string) bool {
					if took, ok := s.evaluation(k, item, &iseen); took || !ok {
						return ok
					}
					return s.skip(1)
				})
				if s.peek() == ']' {
					s.i++
					break
				}
				s.eat(',')
			}
		case name == "options" && !seenOpts:
			seenOpts = true
			if s.null() {
				return true
			}
			req.Options = &azOptions{}
			var seenSem bool
			s.object(func(k string) bool {
				name, ok := s.known(k, "evaluations_semantic")
				switch {
				case !ok:
					return s.skip(1)
				case name != "" && !seenSem:
					seenSem = true
					if s.null() {
						return true
					}
					sem := s.str()
					req.Options.Semantic = &sem
				default:
					return s.fail()
				}
				return s.ok
			})
		default:
			return s.fail()
		}
		return s.ok
	})
	return s.end()
}

// Answers.

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// appendString appends s as a JSON string, as encoding/json writes it
// without HTML escaping.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plainByte[s[i]] {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.Encode(s)
			return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendResponse appends r as encoding/json would write it.
func appendResponse(b []byte, r *azResponse) []byte {
	b = append(b, `{"decision":`...)
	b = strconv.AppendBool(b, r.Decision)
	if c := r.Context; c != nil {
		b = append(b, `,"context":{`...)
		n := len(b)
		sep := func() {
			if len(b) > n {
				b = append(b, ',')
			}
		}
		if len(c.ReasonCodes) > 0 {
			b = append(b, `"reason_codes":[`...)
			for i, rc := range c.ReasonCodes {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, rc)
			}
			b = append(b, ']')
		}
		if c.PolicyVersion != "" {
			sep()
			b = append(b, `"policy_version":`...)
			b = appendString(b, c.PolicyVersion)
		}
		if c.SubjectKnown != nil {
			sep()
			b = append(b, `"subject_known":`...)
			b = strconv.AppendBool(b, *c.SubjectKnown)
		}
		if len(c.Obligations) > 0 {
			sep()
			b = append(b, `"obligations":`...)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.Encode(c.Obligations)
			b = append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
		}
		if c.NoticeID != "" {
			sep()
			b = append(b, `"notice_id":`...)
			b = appendString(b, c.NoticeID)
		}
		if e := c.Error; e != nil {
			sep()
			b = append(b, `"error":{"status":`...)
			b = strconv.AppendInt(b, int64(e.Status), 10)
			if e.Field != "" {
				b = append(b, `,"field":`...)
				b = appendString(b, e.Field)
			}
			b = append(b, `,"message":`...)
			b = appendString(b, e.Message)
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// writeResponse writes one evaluation's answer.
func writeResponse(x exchange, r *azResponse) {
	writeAnswer(x, func(b []byte) []byte { return appendResponse(b, r) })
}

// writeResponses writes a batch's answers.
func writeResponses(x exchange, rs []azResponse) {
	writeAnswer(x, func(b []byte) []byte {
		b = append(b, `{"evaluations":[`...)
		for i := range rs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendResponse(b, &rs[i])
		}
		return append(b, "]}"...)
	})
}
