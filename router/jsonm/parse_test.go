package jsonm

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func mustParse(t testing.TB, text string) *Value {
	t.Helper()
	v, err := Parse("t.json", []byte(text))
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return v
}

func TestParseValues(t *testing.T) {
	tests := []struct {
		name, in, want string // want: compact JSON, members in file order
	}{
		{"null", `null`, `null`},
		{"true", ` true `, `true`},
		{"false", "\tfalse\n", `false`},
		{"int", `42`, `42`},
		{"negative int", `-7`, `-7`},
		{"zero", `0`, `0`},
		{"max int64", `9223372036854775807`, `9223372036854775807`},
		{"min int64", `-9223372036854775808`, `-9223372036854775808`},
		{"int overflow becomes double", `9223372036854775808`, `9223372036854776000.0`},
		{"double", `1.5`, `1.5`},
		{"double with exponent", `2e3`, `2000.0`},
		{"double 1.0 stays double", `1.0`, `1.0`},
		{"negative exponent", `-1.25E-2`, `-0.0125`},
		{"string", `"abc"`, `"abc"`},
		{"escapes", `"a\"b\\c\/d\b\f\n\r\t"`, `"a\"b\\c/d\b\f\n\r\t"`},
		{"unicode escape", `"\u00e9\u4e2d"`, `"é中"`},
		{"surrogate pair", `"\ud83d\ude00"`, `"😀"`},
		{"lone high surrogate", `"\ud83dx"`, `"` + "\ufffd" + `x"`},
		{"lone low surrogate", `"\ude00"`, `"` + "\ufffd" + `"`},
		{"raw utf8", `"héllo"`, `"héllo"`},
		{"invalid utf8", "\"a\xffb\"", `"a` + "\ufffd" + `b"`},
		{"empty array", `[]`, `[]`},
		{"empty object", `{ }`, `{}`},
		{"array", `[1, "a", null, [true]]`, `[1,"a",null,[true]]`},
		{"object keeps file order", `{"b":1,"a":2}`, `{"b":1,"a":2}`},
		{"duplicate key last wins", `{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`},
		{"trailing comma array", `[1,2,]`, `[1,2]`},
		{"trailing comma object", `{"a":1,}`, `{"a":1}`},
		{"trailing comma nested", `{"a":[1,],"b":{"c":2,},}`, `{"a":[1],"b":{"c":2}}`},
		{"line comment", "// head\n{\"a\": 1 // tail\n}", `{"a":1}`},
		{"block comment", "/* x\ny */[1, /* in */ 2]/**/", `[1,2]`},
		{"comment markers in strings", `{"u":"http://x/*y*/"}`, `{"u":"http://x/*y*/"}`},
		{"comment at eof without newline", "1 // end", `1`},
		{"comment between key and colon", `{"a" /*c*/ : /*d*/ 1}`, `{"a":1}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := mustParse(t, tc.in)
			if got := string(v.Marshal(false, false)); got != tc.want {
				t.Errorf("Parse(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseKinds(t *testing.T) {
	v := mustParse(t, `{"i":1,"f":1.0,"s":"x","b":true,"n":null,"a":[],"o":{}}`)
	want := map[string]Kind{"i": KindInt, "f": KindFloat, "s": KindString, "b": KindBool, "n": KindNull, "a": KindArray, "o": KindObject}
	for k, kind := range want {
		if got := v.Get(k).Kind(); got != kind {
			t.Errorf("%s: kind %v, want %v", k, got, kind)
		}
	}
	if i, ok := v.Get("i").Int(); !ok || i != 1 {
		t.Errorf("Int() = %d, %v", i, ok)
	}
	if _, ok := v.Get("f").Int(); ok {
		t.Error("Int() of a double must not be ok")
	}
	if f, ok := v.Get("i").Float(); !ok || f != 1 {
		t.Errorf("Float() of int = %v, %v", f, ok)
	}
	if s, ok := v.Get("s").String(); !ok || s != "x" {
		t.Errorf("String() = %q, %v", s, ok)
	}
	if b, ok := v.Get("b").Bool(); !ok || !b {
		t.Errorf("Bool() = %v, %v", b, ok)
	}
	if v.Get("missing") != nil || v.Get("i").Get("x") != nil {
		t.Error("Get of a missing key or on a non-object must be nil")
	}
	var nilV *Value
	if nilV.Kind() != KindNull || nilV.Len() != 0 || nilV.Get("a") != nil || nilV.Pos() != "" {
		t.Error("nil *Value must behave as absent")
	}
}

func TestParseLines(t *testing.T) {
	text := `{
  "pools": {
    "A": {
      "servers": [
        "localhost:1",
        // comment
        "localhost:2"
      ]
    }
  },
  /* a
     b */
  "route": "PoolRoute|A"
}`
	v, err := Parse("cfg.json", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	servers := v.Get("pools").Get("A").Get("servers")
	checks := []struct {
		v    *Value
		want string
	}{
		{v, "cfg.json:1"},
		{v.Get("pools"), "cfg.json:2"},
		{v.Get("pools").Get("A"), "cfg.json:3"},
		{servers, "cfg.json:4"},
		{servers.Index(0), "cfg.json:5"},
		{servers.Index(1), "cfg.json:7"},
		{v.Get("route"), "cfg.json:13"},
	}
	for i, c := range checks {
		if got := c.v.Pos(); got != c.want {
			t.Errorf("check %d: Pos() = %q, want %q", i, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", ``, `t.json:1:1: empty input, expected a JSON value`},
		{"only comment", `// x`, `t.json:1:5: empty input, expected a JSON value`},
		{"missing comma in object", "{\n  \"a\": 1\n  \"b\": 2\n}", `t.json:3:3: expected ',' or '}' after object member, found '"'`},
		{"missing comma in array", `[1 2]`, `t.json:1:4: expected ',' or ']' after array element, found '2'`},
		{"unquoted key", `{a: 1}`, `t.json:1:2: object key must be a string, found 'a'`},
		{"number key", `{1: 1}`, `t.json:1:2: object key must be a string, found '1'`},
		{"missing colon", `{"a" 1}`, `t.json:1:6: expected ':' after object key, found '1'`},
		{"unterminated object", `{"a": 1`, `t.json:1:8: unexpected end of input, expected ',' or '}' after object member`},
		{"unterminated array", `[1,`, `t.json:1:4: unexpected end of input, expected a value`},
		{"double comma", `[1,,2]`, `t.json:1:4: unexpected ',', expected a value`},
		{"lone comma", `[,]`, `t.json:1:2: unexpected ',', expected a value`},
		{"object lone comma", `{,}`, `t.json:1:2: object key must be a string, found ','`},
		{"unterminated string", `"abc`, `t.json:1:1: unterminated string`},
		{"newline in string", "[\"ab\ncd\"]", `t.json:1:2: unterminated string (newline in string)`},
		{"control char", "\"a\tb\"", `t.json:1:3: control character 0x9 in string (must be escaped)`},
		{"bad escape", `"a\qb"`, `t.json:1:3: invalid escape "\\q" in string`},
		{"bad unicode escape", `"\u12G4"`, `t.json:1:2: invalid \u escape, expected 4 hex digits`},
		{"leading zero", `012`, `t.json:1:1: invalid number: leading zero`},
		{"bare minus", `-`, `t.json:1:2: invalid number: expected a digit after '-'`},
		{"dot without digits", `1.`, `t.json:1:3: invalid number: expected a digit after '.'`},
		{"exponent without digits", `1e+`, `t.json:1:4: invalid number: expected a digit in the exponent`},
		{"out of range", `1e400`, `t.json:1:1: number 1e400 is out of range`},
		{"bad literal", `tru`, `t.json:1:1: invalid literal, expected true`},
		{"NaN", `NaN`, `t.json:1:1: unexpected 'N', expected a value`},
		{"trailing garbage", `{} x`, `t.json:1:4: unexpected 'x' after the top-level value`},
		{"two values", `1 2`, `t.json:1:3: unexpected '2' after the top-level value`},
		{"unterminated block comment", "[1,\n /* x", `t.json:2:2: unterminated /* comment`},
		{"single slash", `[1 / 2]`, `t.json:1:4: unexpected '/' (a comment starts with // or /*)`},
		{"column counts runes", `["é" x]`, `t.json:1:6: expected ',' or ']' after array element, found 'x'`},
		{"non-ascii garbage", "[\xc3\xa9]", `t.json:1:2: unexpected byte 0xc3, expected a value`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Parse("t.json", []byte(tc.in))
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want error", tc.in, v.Marshal(false, false))
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("Parse(%q) error\n got: %s\nwant: %s", tc.in, err, tc.want)
			}
		})
	}
}

func TestParseDepthLimit(t *testing.T) {
	ok := strings.Repeat("[", maxParseDepth) + strings.Repeat("]", maxParseDepth)
	if _, err := Parse("t.json", []byte(ok)); err != nil {
		t.Fatalf("depth %d: %v", maxParseDepth, err)
	}
	deep := "[" + ok + "]"
	if _, err := Parse("t.json", []byte(deep)); err == nil || !strings.Contains(err.Error(), "nesting deeper") {
		t.Fatalf("depth %d: err = %v", maxParseDepth+1, err)
	}
}

func TestMarshal(t *testing.T) {
	v := mustParse(t, `{"b":[1,2.5,{}],"a":{"y":null,"x":"q\"\u0001"},"c":[]}`)
	tests := []struct {
		pretty, sorted bool
		want           string
	}{
		{false, false, `{"b":[1,2.5,{}],"a":{"y":null,"x":"q\"\u0001"},"c":[]}`},
		{false, true, `{"a":{"x":"q\"\u0001","y":null},"b":[1,2.5,{}],"c":[]}`},
		{true, true, `{
  "a": {
    "x": "q\"\u0001",
    "y": null
  },
  "b": [
    1,
    2.5,
    {}
  ],
  "c": []
}`},
	}
	for _, tc := range tests {
		if got := string(v.Marshal(tc.pretty, tc.sorted)); got != tc.want {
			t.Errorf("Marshal(%v, %v) =\n%s\nwant\n%s", tc.pretty, tc.sorted, got, tc.want)
		}
	}
	floats := []struct {
		f    float64
		want string
	}{
		{2, "2.0"}, {0.1, "0.1"}, {-0.5, "-0.5"}, {1e21, "1e+21"}, {1e-7, "1e-07"}, {123456789.25, "123456789.25"},
		{math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"}, {math.NaN(), "NaN"},
	}
	for _, tc := range floats {
		if got := string(NewFloat(tc.f).Marshal(false, false)); got != tc.want {
			t.Errorf("Marshal(%v) = %s, want %s", tc.f, got, tc.want)
		}
	}
	if got := string(NewString("a\xffb").Marshal(false, false)); got != "\"a\ufffdb\"" {
		t.Errorf("invalid UTF-8 marshalled as %q", got)
	}
	b, err := json.Marshal(map[string]*Value{"v": NewArray(NewInt(1), NewBool(false))})
	if err != nil || string(b) != `{"v":[1,false]}` {
		t.Errorf("json.Marshal = %s, %v", b, err)
	}
}

func TestValueEditing(t *testing.T) {
	o := NewObject(Member{"a", NewInt(1)}, Member{"b", NewInt(2)}, Member{"a", NewInt(3)})
	if got := string(o.Marshal(false, false)); got != `{"a":3,"b":2}` {
		t.Fatalf("NewObject = %s", got)
	}
	c := o.Clone()
	c.Set("c", NewString("x").At("f.json", 3))
	if !o.Delete("a") || o.Delete("a") {
		t.Error("Delete")
	}
	if got := string(o.Marshal(false, false)); got != `{"b":2}` {
		t.Errorf("after Delete = %s", got)
	}
	if got := string(c.Marshal(false, false)); got != `{"a":3,"b":2,"c":"x"}` {
		t.Errorf("clone = %s", got)
	}
	if c.Get("c").Pos() != "f.json:3" {
		t.Errorf("Pos = %q", c.Get("c").Pos())
	}
	if !NewInt(2).Equal(NewFloat(2)) || NewInt(2).Equal(NewString("2")) {
		t.Error("Equal int/double")
	}
	a := mustParse(t, `{"x":[1,{"y":2}],"z":null}`)
	b := mustParse(t, `{"z":null,"x":[1.0,{"y":2}]}`)
	if !a.Equal(b) {
		t.Error("Equal must ignore member order")
	}
}

// toAny converts v to what encoding/json decodes into an interface{}.
func toAny(v *Value) any {
	switch v.Kind() {
	case KindBool:
		b, _ := v.Bool()
		return b
	case KindInt, KindFloat:
		f, _ := v.Float()
		return f
	case KindString:
		s, _ := v.String()
		return s
	case KindArray:
		a := make([]any, len(v.Elems))
		for i, e := range v.Elems {
			a[i] = toAny(e)
		}
		return a
	case KindObject:
		m := make(map[string]any, len(v.Members))
		for _, mem := range v.Members {
			m[mem.Key] = toAny(mem.Val)
		}
		return m
	}
	return nil
}

// equalAny compares decoded JSON; numbers compare with == (so -0 == 0).
func equalAny(a, b any) bool {
	switch a := a.(type) {
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equalAny(a[i], b[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, av := range a {
			bv, ok := b[k]
			if !ok || !equalAny(av, bv) {
				return false
			}
		}
		return true
	}
	return a == b
}

// FuzzParse checks that Parse never panics, that it accepts everything
// encoding/json accepts with the same value, and that Marshal's output
// parses back to an equal value.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x",null,true,false,{}]}`, `[1,]`, "// c\n{\"a\":1 /* x */,}", `"\ud83d\ude00"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse("fuzz.json", data)
		var want any
		if jerr := json.Unmarshal(data, &want); jerr == nil {
			if err != nil {
				t.Fatalf("encoding/json accepts %q, Parse says %v", data, err)
			}
			if got := toAny(v); !equalAny(got, want) {
				t.Fatalf("Parse(%q) = %#v, encoding/json = %#v", data, got, want)
			}
		}
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			return
		}
		for _, pretty := range []bool{false, true} {
			out := v.Marshal(pretty, pretty)
			back, err := Parse("out.json", out)
			if err != nil {
				t.Fatalf("Marshal output %q does not parse: %v", out, err)
			}
			if !back.Equal(v) || back.Kind() != v.Kind() {
				t.Fatalf("round trip of %q gave %q", data, back.Marshal(false, false))
			}
			if !json.Valid(out) {
				t.Fatalf("Marshal output %q is not valid JSON", out)
			}
		}
	})
}
