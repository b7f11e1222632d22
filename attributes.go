package credo

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// ValueKind is the type of an attribute value.
type ValueKind uint8

const (
	KindNull ValueKind = iota
	KindString
	KindNumber // float64: amounts in yuan, hours, points
	KindInt
	KindBool
	KindTime
)

func (k ValueKind) String() string {
	return [...]string{"null", "string", "number", "int", "bool", "time"}[k]
}

// Value is a typed attribute value. The zero Value is null.
type Value struct {
	kind ValueKind
	s    string
	bits uint64
}

func String(s string) Value  { return Value{kind: KindString, s: s} }
func Number(f float64) Value { return Value{kind: KindNumber, bits: math.Float64bits(f)} }
func Int(i int64) Value      { return Value{kind: KindInt, bits: uint64(i)} }
func Bool(b bool) Value {
	v := Value{kind: KindBool}
	if b {
		v.bits = 1
	}
	return v
}
func Time(t time.Time) Value    { return Value{kind: KindTime, bits: uint64(t.UnixNano())} }
func (v Value) Kind() ValueKind { return v.kind }
func (v Value) Str() string     { return v.s }
func (v Value) Float() float64 {
	switch v.kind {
	case KindNumber:
		return math.Float64frombits(v.bits)
	case KindInt:
		return float64(int64(v.bits))
	}
	return 0
}
func (v Value) Int() int64 {
	switch v.kind {
	case KindInt:
		return int64(v.bits)
	case KindNumber:
		return int64(math.Float64frombits(v.bits))
	}
	return 0
}
func (v Value) Bool() bool      { return v.kind == KindBool && v.bits == 1 }
func (v Value) Time() time.Time { return time.Unix(0, int64(v.bits)).UTC() }

// Any returns the value as a plain Go value (string, float64, int64, bool,
// time.Time, or nil).
func (v Value) Any() any {
	switch v.kind {
	case KindString:
		return v.s
	case KindNumber:
		return v.Float()
	case KindInt:
		return v.Int()
	case KindBool:
		return v.Bool()
	case KindTime:
		return v.Time()
	}
	return nil
}

func (v Value) String() string {
	switch v.kind {
	case KindString:
		return v.s
	case KindNumber:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64)
	case KindInt:
		return strconv.FormatInt(v.Int(), 10)
	case KindBool:
		return strconv.FormatBool(v.Bool())
	case KindTime:
		return v.Time().Format(time.RFC3339Nano)
	}
	return "null"
}

// MarshalJSON writes strings, numbers and booleans as themselves and times
// as RFC 3339 strings.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.kind == KindNumber {
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("attribute value %v is not a finite number", f)
		}
	}
	return json.Marshal(v.Any())
}

// Attribute is one named value of a record.
type Attribute struct {
	Key   string
	Value Value
}

// Attributes is a record's typed map, kept sorted by key so that its
// encoding is canonical.
type Attributes []Attribute

// Get returns the value under key, or the null Value.
func (a Attributes) Get(key string) (Value, bool) {
	i, ok := slices.BinarySearchFunc(a, key, func(x Attribute, k string) int {
		switch {
		case x.Key < k:
			return -1
		case x.Key > k:
			return 1
		}
		return 0
	})
	if !ok {
		return Value{}, false
	}
	return a[i].Value, true
}

// Set puts key = v, keeping the order.
func (a *Attributes) Set(key string, v Value) {
	s := *a
	i, ok := slices.BinarySearchFunc(s, key, func(x Attribute, k string) int {
		switch {
		case x.Key < k:
			return -1
		case x.Key > k:
			return 1
		}
		return 0
	})
	if ok {
		s[i].Value = v
		return
	}
	*a = slices.Insert(s, i, Attribute{key, v})
}

// MarshalJSON writes the attributes as a JSON object.
func (a Attributes) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, at := range a {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, at.Key)
		b = append(b, ':')
		vb, err := at.Value.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", at.Key, err)
		}
		b = append(b, vb...)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads a JSON object: strings, numbers (integers stay
// integers) and booleans. Nested objects and arrays are rejected.
func (a *Attributes) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*a = (*a)[:0]
	for k, raw := range m {
		var x any
		dec := json.NewDecoder(bytesReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&x); err != nil {
			return fmt.Errorf("attribute %s: %w", k, err)
		}
		switch t := x.(type) {
		case string:
			a.Set(k, String(t))
		case bool:
			a.Set(k, Bool(t))
		case json.Number:
			if i, err := t.Int64(); err == nil {
				a.Set(k, Int(i))
			} else if f, err := t.Float64(); err == nil {
				a.Set(k, Number(f))
			} else {
				return fmt.Errorf("attribute %s: %w", k, err)
			}
		case nil:
		default:
			return fmt.Errorf("attribute %s: nested values are not allowed", k)
		}
	}
	return nil
}
