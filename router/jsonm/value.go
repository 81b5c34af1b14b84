package jsonm

import (
	"math"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Kind is the type of a [Value]. Like folly::dynamic, integers and doubles
// are different kinds: 1 is an Int, 1.0 is a Float.
type Kind uint8

// The kinds of JSON values.
const (
	KindNull Kind = iota
	KindBool
	KindInt
	KindFloat
	KindString
	KindArray
	KindObject
)

var kindNames = [...]string{"null", "bool", "int", "double", "string", "array", "object"}

// String returns folly's type name for k: "null", "bool", "int", "double",
// "string", "array" or "object".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Member is one key/value pair of an object.
type Member struct {
	Key string
	Val *Value
}

// Value is a JSON value that remembers where it came from.
//
// The scalar payload is read with the accessors ([Value.String],
// [Value.Int], …); arrays and objects expose their children directly in
// Elems and Members, which callers may read and, on values they own,
// modify. Object keys in Members are unique: the parser and [Value.Set]
// keep the first position of a key and the last value (folly's "last wins").
//
// A nil *Value is treated as absent by the read-only methods: Kind reports
// KindNull, accessors report !ok, Get and Index return nil, Len returns 0.
type Value struct {
	kind Kind
	b    bool
	i    int64
	f    float64
	s    string

	// Elems holds the elements of an array.
	Elems []*Value
	// Members holds the members of an object in file order.
	Members []Member

	// File and Line say where the value starts: the file name given to
	// Parse (or the imported file) and the 1-based line. Values made by
	// the preprocessor carry the position of the text that produced them:
	// a macro body, an argument, the call itself for computed values.
	File string
	Line int
	// Via is "file:line" of the outermost user macro call or @import that
	// produced the value during preprocessing, "" for values written
	// directly in the config. See [Value.Where].
	Via string
}

// NewNull returns a null value with no position.
func NewNull() *Value { return &Value{kind: KindNull} }

// NewBool returns a bool value with no position.
func NewBool(b bool) *Value { return &Value{kind: KindBool, b: b} }

// NewInt returns an int value with no position.
func NewInt(i int64) *Value { return &Value{kind: KindInt, i: i} }

// NewFloat returns a double value with no position.
func NewFloat(f float64) *Value { return &Value{kind: KindFloat, f: f} }

// NewString returns a string value with no position.
func NewString(s string) *Value { return &Value{kind: KindString, s: s} }

// NewArray returns an array holding elems (not copied).
func NewArray(elems ...*Value) *Value {
	if elems == nil {
		elems = []*Value{}
	}
	return &Value{kind: KindArray, Elems: elems}
}

// NewObject returns an object holding members. Later duplicates of a key
// replace the value of the first one.
func NewObject(members ...Member) *Value {
	v := &Value{kind: KindObject, Members: make([]Member, 0, len(members))}
	for _, m := range members {
		v.Set(m.Key, m.Val)
	}
	return v
}

// At sets v's position and returns v, for chaining after a constructor.
func (v *Value) At(file string, line int) *Value {
	v.File, v.Line = file, line
	return v
}

// Pos returns "file:line", or "" when v is nil or has no position.
func (v *Value) Pos() string {
	if v == nil || (v.File == "" && v.Line == 0) {
		return ""
	}
	return v.File + ":" + strconv.Itoa(v.Line)
}

// Where returns Pos, followed by " (via file:line)" when the value came
// out of a macro call or an @import: the form config errors should use.
func (v *Value) Where() string {
	p := v.Pos()
	if v != nil && v.Via != "" && v.Via != p {
		if p == "" {
			return v.Via
		}
		return p + " (via " + v.Via + ")"
	}
	return p
}

// Kind returns v's kind; KindNull for a nil v.
func (v *Value) Kind() Kind {
	if v == nil {
		return KindNull
	}
	return v.kind
}

// IsNull reports whether v is null (or nil).
func (v *Value) IsNull() bool { return v.Kind() == KindNull }

// IsBool reports whether v is a bool.
func (v *Value) IsBool() bool { return v.Kind() == KindBool }

// IsInt reports whether v is an int.
func (v *Value) IsInt() bool { return v.Kind() == KindInt }

// IsFloat reports whether v is a double.
func (v *Value) IsFloat() bool { return v.Kind() == KindFloat }

// IsNumber reports whether v is an int or a double.
func (v *Value) IsNumber() bool { k := v.Kind(); return k == KindInt || k == KindFloat }

// IsString reports whether v is a string.
func (v *Value) IsString() bool { return v.Kind() == KindString }

// IsArray reports whether v is an array.
func (v *Value) IsArray() bool { return v.Kind() == KindArray }

// IsObject reports whether v is an object.
func (v *Value) IsObject() bool { return v.Kind() == KindObject }

// String returns the string payload; ok is false unless v is a string.
// (Value deliberately does not implement fmt.Stringer; use Marshal.)
func (v *Value) String() (s string, ok bool) {
	if v.Kind() != KindString {
		return "", false
	}
	return v.s, true
}

// Int returns the int payload; ok is false unless v is an int.
func (v *Value) Int() (i int64, ok bool) {
	if v.Kind() != KindInt {
		return 0, false
	}
	return v.i, true
}

// Float returns v as a float64; ok is true for doubles and ints (an int
// is converted, as folly's asDouble does for numbers).
func (v *Value) Float() (f float64, ok bool) {
	switch v.Kind() {
	case KindFloat:
		return v.f, true
	case KindInt:
		return float64(v.i), true
	}
	return 0, false
}

// Bool returns the bool payload; ok is false unless v is a bool.
func (v *Value) Bool() (b bool, ok bool) {
	if v.Kind() != KindBool {
		return false, false
	}
	return v.b, true
}

// Len returns the number of elements of an array, members of an object or
// bytes of a string; 0 for anything else.
func (v *Value) Len() int {
	switch v.Kind() {
	case KindArray:
		return len(v.Elems)
	case KindObject:
		return len(v.Members)
	case KindString:
		return len(v.s)
	}
	return 0
}

// Get returns the value of key in object v, or nil when v is not an
// object or has no such key.
func (v *Value) Get(key string) *Value {
	if v.Kind() != KindObject {
		return nil
	}
	if i := v.find(key); i >= 0 {
		return v.Members[i].Val
	}
	return nil
}

// Index returns element i of array v, or nil when v is not an array or i
// is out of range.
func (v *Value) Index(i int) *Value {
	if v.Kind() != KindArray || i < 0 || i >= len(v.Elems) {
		return nil
	}
	return v.Elems[i]
}

func (v *Value) find(key string) int {
	for i := range v.Members {
		if v.Members[i].Key == key {
			return i
		}
	}
	return -1
}

// Set sets key to val in object v: an existing key keeps its position and
// gets the new value, a new key is appended. It panics if v is not an
// object.
func (v *Value) Set(key string, val *Value) {
	if v.kind != KindObject {
		panic("jsonm: Set on " + v.kind.String())
	}
	if i := v.find(key); i >= 0 {
		v.Members[i].Val = val
		return
	}
	v.Members = append(v.Members, Member{Key: key, Val: val})
}

// Delete removes key from object v and reports whether it was there.
func (v *Value) Delete(key string) bool {
	if v.Kind() != KindObject {
		return false
	}
	i := v.find(key)
	if i < 0 {
		return false
	}
	v.Members = append(v.Members[:i], v.Members[i+1:]...)
	return true
}

// Clone returns a deep copy of v, positions included.
func (v *Value) Clone() *Value {
	if v == nil {
		return nil
	}
	c := *v
	if v.Elems != nil {
		c.Elems = make([]*Value, len(v.Elems))
		for i, e := range v.Elems {
			c.Elems[i] = e.Clone()
		}
	}
	if v.Members != nil {
		c.Members = make([]Member, len(v.Members))
		for i, m := range v.Members {
			c.Members[i] = Member{Key: m.Key, Val: m.Val.Clone()}
		}
	}
	return &c
}

// Equal reports whether v and w hold the same JSON value, ignoring
// positions and object member order. As in folly::dynamic, an int and a
// double are equal when they compare equal numerically.
func (v *Value) Equal(w *Value) bool {
	kv, kw := v.Kind(), w.Kind()
	if kv != kw {
		if kv == KindInt && kw == KindFloat {
			return float64(v.i) == w.f
		}
		if kv == KindFloat && kw == KindInt {
			return v.f == float64(w.i)
		}
		return false
	}
	switch kv {
	case KindNull:
		return true
	case KindBool:
		return v.b == w.b
	case KindInt:
		return v.i == w.i
	case KindFloat:
		return v.f == w.f
	case KindString:
		return v.s == w.s
	case KindArray:
		if len(v.Elems) != len(w.Elems) {
			return false
		}
		for i := range v.Elems {
			if !v.Elems[i].Equal(w.Elems[i]) {
				return false
			}
		}
		return true
	case KindObject:
		if len(v.Members) != len(w.Members) {
			return false
		}
		for _, m := range v.Members {
			o := w.Get(m.Key)
			if o == nil || !m.Val.Equal(o) {
				return false
			}
		}
		return true
	}
	return false
}

// Marshal encodes v as JSON. With pretty, the output is indented by two
// spaces per level in the style of folly::toPrettyJson (what mcrouter
// writes for preprocessed_config); with sortKeys, object members are
// written in byte order of their keys, otherwise in file order. Non-ASCII
// text is written as is. Doubles are written in the shortest form that
// reads back as the same double and always look like doubles ("2.0", not
// "2"); NaN and infinities, which JSON cannot express, are written as
// NaN, Infinity and -Infinity. A nil v is written as null.
func (v *Value) Marshal(pretty, sortKeys bool) []byte {
	return v.AppendJSON(nil, pretty, sortKeys)
}

// MarshalJSON implements json.Marshaler: compact, members in file order.
func (v *Value) MarshalJSON() ([]byte, error) {
	return v.Marshal(false, false), nil
}

// AppendJSON appends the encoding of v to dst (see [Value.Marshal]).
func (v *Value) AppendJSON(dst []byte, pretty, sortKeys bool) []byte {
	return v.appendJSON(dst, pretty, sortKeys, 0)
}

func appendIndent(dst []byte, depth int) []byte {
	dst = append(dst, '\n')
	for range depth {
		dst = append(dst, ' ', ' ')
	}
	return dst
}

func (v *Value) appendJSON(dst []byte, pretty, sortKeys bool, depth int) []byte {
	switch v.Kind() {
	case KindNull:
		return append(dst, "null"...)
	case KindBool:
		return strconv.AppendBool(dst, v.b)
	case KindInt:
		return strconv.AppendInt(dst, v.i, 10)
	case KindFloat:
		return appendFloat(dst, v.f)
	case KindString:
		return appendQuoted(dst, v.s)
	case KindArray:
		if len(v.Elems) == 0 {
			return append(dst, "[]"...)
		}
		dst = append(dst, '[')
		for i, e := range v.Elems {
			if i > 0 {
				dst = append(dst, ',')
			}
			if pretty {
				dst = appendIndent(dst, depth+1)
			}
			dst = e.appendJSON(dst, pretty, sortKeys, depth+1)
		}
		if pretty {
			dst = appendIndent(dst, depth)
		}
		return append(dst, ']')
	case KindObject:
		if len(v.Members) == 0 {
			return append(dst, "{}"...)
		}
		members := v.Members
		if sortKeys {
			members = append([]Member(nil), members...)
			sort.SliceStable(members, func(i, j int) bool { return members[i].Key < members[j].Key })
		}
		dst = append(dst, '{')
		for i, m := range members {
			if i > 0 {
				dst = append(dst, ',')
			}
			if pretty {
				dst = appendIndent(dst, depth+1)
			}
			dst = appendQuoted(dst, m.Key)
			dst = append(dst, ':')
			if pretty {
				dst = append(dst, ' ')
			}
			dst = m.Val.appendJSON(dst, pretty, sortKeys, depth+1)
		}
		if pretty {
			dst = appendIndent(dst, depth)
		}
		return append(dst, '}')
	}
	return dst
}

func appendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	start := len(dst)
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		dst = strconv.AppendFloat(dst, f, 'e', -1, 64)
	} else {
		dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	}
	for _, c := range dst[start:] {
		if c == '.' || c == 'e' {
			return dst
		}
	}
	return append(dst, ".0"...)
}

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string. Invalid UTF-8 (which Parse never
// produces) is written as U+FFFD so the output stays valid JSON.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, "\ufffd"...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
