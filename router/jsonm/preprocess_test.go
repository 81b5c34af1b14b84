package jsonm

import (
	"errors"
	"strings"
	"testing"
)

// ppCase expands expr (JSONC) as the value of "v" in a config whose
// "macros" is macros (none when empty). want is the compact JSON of the
// result with sorted keys; err, when set, must occur in the error text.
type ppCase struct {
	name   string
	macros string
	expr   string
	want   string
	err    string
}

func runCases(t *testing.T, cases []ppCase, opts Options) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := evalExpr(t, tc.macros, tc.expr, opts)
			if tc.err != "" {
				if err == nil {
					t.Fatalf("got %s, want error containing %q", got, tc.err)
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error\n%v\nwant it to contain %q", err, tc.err)
				}
				var pe *Error
				if !errors.As(err, &pe) {
					t.Fatalf("error is %T, want *Error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func evalExpr(t *testing.T, macros, expr string, opts Options) (string, error) {
	t.Helper()
	src := `{"v": ` + expr + "\n}"
	if macros != "" {
		src = `{"macros": ` + macros + ",\n" + `"v": ` + expr + "\n}"
	}
	root, err := Parse("cfg.json", []byte(src))
	if err != nil {
		t.Fatalf("test config does not parse: %v\n%s", err, src)
	}
	out, err := Preprocess(root, opts)
	if err != nil {
		return "", err
	}
	if out.Get("macros") != nil {
		t.Fatalf("macros not removed")
	}
	return string(out.Get("v").Marshal(false, true)), nil
}

func TestSubstitution(t *testing.T) {
	opts := Options{Globals: map[string]*Value{"g": NewString("G"), "n": NewInt(7)}}
	runCases(t, []ppCase{
		{name: "plain string", expr: `"plain"`, want: `"plain"`},
		{name: "scalars pass through", expr: `[1, 2.5, true, null, {}]`, want: `[1,2.5,true,null,{}]`},
		{name: "global whole", expr: `"%g%"`, want: `"G"`},
		{name: "global spliced", expr: `"a%g%b%g%"`, want: `"aGbG"`},
		{name: "whole substitution keeps type", expr: `"%n%"`, want: `7`},
		{name: "spliced non-string", expr: `"x%n%"`, err: "Param in string 'n' is int, expected string"},
		{name: "unknown param", expr: `"%nope%"`, err: "Param in string: 'nope' not found"},
		{name: "odd percent", expr: `"50%"`, err: "Odd number of percent signs"},
		{name: "escaped percent", expr: `"100\\%"`, want: `"100%"`},
		{name: "escaped at", expr: `"\\@notacall"`, want: `"@notacall"`},
		{name: "escaped at mid-string", expr: `"fake\\@fake.fake"`, want: `"fake@fake.fake"`},
		{name: "escaped backslash", expr: `"a\\\\b"`, want: `"a\\b"`},
		{name: "at mid-string is text", expr: `"user@host"`, want: `"user@host"`},
		{name: "empty string", expr: `""`, want: `""`},
		{name: "keys are expanded", expr: `{"%g%-x": 1}`, want: `{"G-x":1}`},
		{name: "key must expand to string", expr: `{"%n%": 1}`, err: "expanded key is int, expected string"},
		{name: "duplicate expanded keys last wins", expr: `{"G": 1, "%g%": 2}`, want: `{"G":2}`},
		{name: "vars", expr: `{"vars": {"a": "x", "b": "%a%-y"}, "v": "%b%"}`, want: `{"v":"x-y"}`},
		{name: "vars in any order", expr: `{"vars": {"b": "%a%-y", "a": "x"}, "v": "%b%"}`, want: `{"v":"x-y"}`},
		{name: "vars keep type", expr: `{"vars": {"l": [1, 2]}, "v": "%l%"}`, want: `{"v":[1,2]}`},
		{name: "vars reach nested values", expr: `{"vars": {"a": 1}, "x": {"y": ["%a%"]}}`, want: `{"x":{"y":[1]}}`},
		{name: "inner vars shadow outer", expr: `{"vars": {"a": 1}, "x": {"vars": {"a": 2}, "y": "%a%"}, "z": "%a%"}`, want: `{"x":{"y":2},"z":1}`},
		{name: "vars see globals", expr: `{"vars": {"a": "%g%%g%"}, "v": "%a%"}`, want: `{"v":"GG"}`},
		{name: "vars cycle", expr: `{"vars": {"a": "%b%", "b": "%a%"}, "v": 1}`, err: "Too many nested macros"},
		{name: "vars not object", expr: `{"vars": [1], "v": 1}`, err: "vars is array, expected object"},
		{name: "vars error names the var", expr: `{"vars": {"a": "%zz%"}, "v": 1}`, err: `in variable "a"`},
		{name: "route objects untouched", expr: `{"type": "PoolRoute", "pool": "A", "hash": {"salt": "s"}}`, want: `{"hash":{"salt":"s"},"pool":"A","type":"PoolRoute"}`},
		{name: "macroDef elsewhere kept as is", expr: `{"type": "macroDef", "result": "%zz%"}`, want: `{"result":"%zz%","type":"macroDef"}`},
		{name: "constDef elsewhere kept as is", expr: `{"type": "constDef", "result": "@zz"}`, want: `{"result":"@zz","type":"constDef"}`},
	}, opts)
}

const testMacros = `{
  "pair": {"type": "macroDef", "params": ["key", "value"], "result": {"%key%": "%value%"}},
  "fullName": {"type": "macroDef", "params": ["first", "last"],
               "result": ["@pair(first,%first%)", "@pair(last,%last%)"]},
  "car": {"type": "macroDef",
          "params": ["model", {"name": "color", "default": "green"}],
          "result": {"model": "%model%", "color": "%color%"}},
  "cat": {"type": "macroDef", "params": ["a", "b"], "result": "%a%%b%"},
  "id": {"type": "macroDef", "params": ["x"], "result": "%x%"},
  "three": {"type": "macroDef", "params": [{"name": "n", "default": 3}], "result": "%n%"},
  "rawDefault": {"type": "macroDef", "params": [{"name": "d", "default": "%g%"}], "result": "%d%"},
  "opt": {"type": "macroDef", "params": ["a", {"name": "b", "optional": true}],
          "result": {"type": "if", "condition": "@defined(b)", "is_true": "%a%+%b%", "is_false": "%a%"}},
  "nullDefault": {"type": "macroDef", "params": [{"name": "b", "default": null}],
                  "result": "@defined(b)"},
  "noParams": {"type": "macroDef", "result": "constant"},
  "seesOnlyParams": {"type": "macroDef", "params": [], "result": "%local%"},
  "seesConsts": {"type": "macroDef", "params": [], "result": "%host%"},
  "withVars": {"type": "macroDef", "params": ["p"], "result": {"vars": {"d": "%p%%p%"}, "r": "%d%"}},
  "loop": {"type": "macroDef", "params": [], "result": "@loop"},
  "host": {"type": "constDef", "result": "h1"},
  "url": {"type": "constDef", "result": "http://%host%/"},
  "c1": {"type": "constDef", "result": "%c2%"},
  "c2": {"type": "constDef", "result": "%c1%"},
  "g": {"type": "constDef", "result": "mine"}
}`

func TestMacros(t *testing.T) {
	opts := Options{Globals: map[string]*Value{"g": NewString("global"), "gl": NewString("G")}}
	m := testMacros
	runCases(t, []ppCase{
		{name: "wiki fullName", macros: m, expr: `"@fullName(John,Doe)"`, want: `[{"first":"John"},{"last":"Doe"}]`},
		{name: "default param", macros: m, expr: `"@car(Mercedes)"`, want: `{"color":"green","model":"Mercedes"}`},
		{name: "default overridden", macros: m, expr: `"@car(Audi, red)"`, want: `{"color":"red","model":"Audi"}`},
		{name: "object form", macros: m, expr: `{"type": "car", "model": "Mercedes"}`, want: `{"color":"green","model":"Mercedes"}`},
		{name: "object form params expanded", macros: m, expr: `{"type": "car", "model": "@cat(A,B)", "color": "%gl%"}`, want: `{"color":"G","model":"AB"}`},
		{name: "object form type from var", macros: m, expr: `{"vars": {"t": "car"}, "type": "%t%", "model": "M"}`, want: `{"color":"green","model":"M"}`},
		{name: "object form args see vars", macros: m, expr: `{"vars": {"c": "red"}, "type": "car", "model": "%c%"}`, want: `{"color":"green","model":"red"}`},
		{name: "object form missing param", macros: m, expr: `{"type": "car", "color": "blue"}`, err: "Macro call car: 'model' parameter not found"},
		{name: "empty parens is one empty arg", macros: m, expr: `"@car()"`, want: `{"color":"green","model":""}`},
		{name: "no parens is no args", macros: m, expr: `"@car"`, err: "Too few arguments for macro car. Expected at least 1 got 0"},
		{name: "too many args", macros: m, expr: `"@car(a,b,c)"`, err: "Too many arguments for macro car. Expected at most 2 got 3"},
		{name: "zero-param macro without parens", macros: m, expr: `"@noParams"`, want: `"constant"`},
		{name: "zero-param macro with parens", macros: m, expr: `"@noParams()"`, err: "Too many arguments for macro noParams"},
		{name: "unknown macro", macros: m, expr: `"@nosuch(x)"`, err: "Macro 'nosuch' not found"},
		{name: "no closing bracket", macros: m, expr: `"@car(Mercedes"`, err: "No closing bracket for call '@car(Mercedes'"},
		{name: "unbalanced nested brackets", macros: m, expr: `"@cat(@id(a,b)"`, err: "Brackets do not match"},
		{name: "typed default", macros: m, expr: `"@three"`, want: `3`},
		{name: "defaults are not expanded", macros: m, expr: `"@rawDefault"`, want: `"%g%"`},
		{name: "optional param absent", macros: m, expr: `"@opt(x)"`, want: `"x"`},
		{name: "optional param given", macros: m, expr: `"@opt(x,y)"`, want: `"x+y"`},
		{name: "null default counts as optional", macros: m, expr: `"@nullDefault"`, want: `false`},
		{name: "nested calls", macros: m, expr: `"@cat(@cat(a,b),c)"`, want: `"abc"`},
		{name: "nested call last", macros: m, expr: `"@cat(x, @cat(y,z))"`, want: `"xyz"`},
		{name: "args trimmed", macros: m, expr: `"@cat( a ,\tb )"`, want: `"ab"`},
		{name: "escaped comma", macros: m, expr: `"@cat(a\\,b,c)"`, want: `"a,bc"`},
		{name: "escaped trailing space kept", macros: m, expr: `"@cat(a\\ ,b)"`, want: `"a b"`},
		{name: "escaped brackets", macros: m, expr: `"@cat(\\(,\\))"`, want: `"()"`},
		{name: "typed argument", macros: m, expr: `{"vars": {"l": [1, 2]}, "v": "@id(%l%)"}`, want: `{"v":[1,2]}`},
		{name: "macro name from param", macros: m, expr: `{"vars": {"which": "cat"}, "v": "@%which%(p,q)"}`, want: `{"v":"pq"}`},
		{name: "body sees only its params", macros: m, expr: `{"vars": {"local": 1}, "v": "@seesOnlyParams"}`, err: "'local' not found"},
		{name: "body sees consts", macros: m, expr: `"@seesConsts"`, want: `"h1"`},
		{name: "vars inside body", macros: m, expr: `"@withVars(ab)"`, want: `{"r":"abab"}`},
		{name: "const uses const", macros: m, expr: `"%url%"`, want: `"http://h1/"`},
		{name: "constDef overrides global", macros: m, expr: `"%g%"`, want: `"mine"`},
		{name: "const cycle", macros: m, expr: `"%c1%"`, err: "Too many nested macros"},
		{name: "recursion hits the nesting limit", macros: m, expr: `"@loop"`, err: "Too many nested macros. Check for cycles."},
		{name: "macros as array", macros: `[{"a": {"type": "constDef", "result": 1}}, [{"b": {"type": "constDef", "result": 2}}]]`,
			expr: `["%a%", "%b%"]`, want: `[1,2]`},
		{name: "macros section is expanded first", macros: `{"vars": {"nm": "m2"}, "%nm%": {"type": "constDef", "result": 1}}`, expr: `"%m2%"`, want: `1`},
		{name: "macro bodies are not expanded with the section", macros: `{"vars": {"r": 5}, "five": {"type": "macroDef", "result": "%r%"}}`, expr: `"@five"`, err: "'r' not found"},
		{name: "macro overrides built-in", macros: `{"int": {"type": "macroDef", "params": ["v"], "result": "mine"}}`, expr: `"@int(5)"`, want: `"mine"`},
		{name: "later definition wins", macros: `[{"a": {"type": "constDef", "result": 1}}, {"a": {"type": "constDef", "result": 2}}]`, expr: `"%a%"`, want: `2`},
		{name: "macros not object", macros: `"x"`, expr: `1`, err: "config macros is string, expected array/object"},
		{name: "unknown definition type", macros: `{"a": {"type": "fooDef", "result": 1}}`, expr: `1`, err: "Unknown macro definition type: fooDef"},
		{name: "definition without type", macros: `{"a": {"result": 1}}`, expr: `1`, err: "'type' not found"},
		{name: "macroDef without result", macros: `{"a": {"type": "macroDef"}}`, expr: `1`, err: "'result' not found"},
		{name: "params not array", macros: `{"a": {"type": "macroDef", "params": "x", "result": 1}}`, expr: `1`, err: "'a' macroDef params is string, expected array"},
		{name: "param not string/object", macros: `{"a": {"type": "macroDef", "params": [1], "result": 1}}`, expr: `1`, err: "Macro param is int, expected string/object"},
		{name: "param object without name", macros: `{"a": {"type": "macroDef", "params": [{"default": 1}], "result": 1}}`, expr: `1`, err: "Macro param object: 'name' not found"},
		{name: "required after default", macros: `{"bad": {"type": "macroDef", "params": [{"name": "a", "default": 1}, "b"], "result": 1}}`,
			expr: `1`, err: "Incorrect defaults/optionals in macro bad"},
		{name: "optional must be bool", macros: `{"bad": {"type": "macroDef", "params": [{"name": "a", "optional": 1}], "result": 1}}`,
			expr: `1`, err: "Expected optional parameter 'optional' to be boolean, but got int"},
		{name: "default with optional false", macros: `{"bad": {"type": "macroDef", "params": [{"name": "a", "default": 1, "optional": false}], "result": 1}}`,
			expr: `1`, err: "Conflicting options provided for parameter 'a' in macro 'bad'"},
		{name: "duplicate param names", macros: `{"d": {"type": "macroDef", "params": ["a", "a"], "result": 1}}`, expr: `"@d(x,y)"`, err: "'a' already exists in local scope"},
	}, opts)
}

// TestNestingLimit: like mcrouter, every nested value counts, so plain
// JSON nested deeper than the limit fails too.
func TestNestingLimit(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	if _, err := evalExpr(t, "", deep(200), Options{}); err != nil {
		t.Errorf("depth 200: %v", err)
	}
	_, err := evalExpr(t, "", deep(300), Options{})
	if err == nil || !strings.Contains(err.Error(), "Too many nested macros") {
		t.Errorf("depth 300: err = %v", err)
	}
	if _, err := evalExpr(t, "", deep(30), Options{NestingLimit: 20}); err == nil {
		t.Error("NestingLimit 20 must refuse depth 30")
	}
	// The trace of a runaway recursion is cut short.
	_, err = evalExpr(t, testMacros, `"@loop"`, Options{})
	if n := strings.Count(err.Error(), "\n"); n > maxTraceFrames+2 {
		t.Errorf("error has %d lines:\n%v", n, err)
	}
}

func TestPreprocessRootMustBeObject(t *testing.T) {
	root, _ := Parse("cfg.json", []byte(`[1]`))
	_, err := Preprocess(root, Options{})
	if err == nil || err.Error() != "cfg.json:1: config is array, expected object" {
		t.Errorf("err = %v", err)
	}
}

func TestPreprocessDoesNotModifyInput(t *testing.T) {
	src := `{"macros": {"m": {"type": "macroDef", "params": ["a"], "result": {"x": "%a%"}}},
	         "r": ["@m(1)", "@m(2)", {"type": "set", "dictionary": {"k": 1}, "key": "k", "value": 2}]}`
	root, _ := Parse("cfg.json", []byte(src))
	before := string(root.Marshal(false, false))
	out, err := Preprocess(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if after := string(root.Marshal(false, false)); after != before {
		t.Errorf("input changed:\n%s\n%s", before, after)
	}
	// Two expansions of one macro share nothing.
	out.Get("r").Index(0).Set("x", NewString("changed"))
	if s, _ := out.Get("r").Index(1).Get("x").String(); s != "2" {
		t.Errorf("expansions share values")
	}
}

// TestPositions: values keep the line they were written on; values made
// by a macro body point at the body and say which call they came from.
func TestPositions(t *testing.T) {
	src := `{
  "macros": {
    "route": {
      "type": "macroDef",
      "params": ["a", "b", {"name": "c", "default": 0}],
      "result": {
        "aliases": ["/%a%/%b%/"],
        "route": "PoolRoute|%a%%b%",
        "arg": "%c%"
      }
    }
  },
  "pools": {"aa": {"servers": ["127.0.0.1:12345"]}},
  "routes": [
    "@route(a, a)",
    {"type": "route", "a": "x",
     "c": ["z"],
     "b": "y"}
  ],
  "n": "@int(5)"
}`
	root, err := Parse("cfg.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Preprocess(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	routes := out.Get("routes")
	checks := []struct {
		v               *Value
		pos, via, where string
	}{
		{out.Get("pools").Get("aa").Get("servers").Index(0), "cfg.json:13", "", "cfg.json:13"},
		{routes.Index(0), "cfg.json:6", "cfg.json:15", "cfg.json:6 (via cfg.json:15)"},
		{routes.Index(0).Get("route"), "cfg.json:8", "cfg.json:15", "cfg.json:8 (via cfg.json:15)"},
		{routes.Index(0).Get("aliases").Index(0), "cfg.json:7", "cfg.json:15", "cfg.json:7 (via cfg.json:15)"},
		// A typed argument keeps the position it was written at.
		{routes.Index(1).Get("arg"), "cfg.json:17", "cfg.json:16", "cfg.json:17 (via cfg.json:16)"},
		{out.Get("n"), "cfg.json:20", "", "cfg.json:20"},
	}
	for i, c := range checks {
		if c.v.Pos() != c.pos || c.v.Via != c.via || c.v.Where() != c.where {
			t.Errorf("check %d: Pos %q Via %q Where %q; want %q %q %q", i, c.v.Pos(), c.v.Via, c.v.Where(), c.pos, c.via, c.where)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	src := `{
  "macros": {
    "pool": {
      "type": "macroDef",
      "params": ["name", "port"],
      "result": {"servers": ["host:@int(%port%)"], "timeout": "@int(%port%)"}
    }
  },
  "pools": {
    "A": "@pool(A, 11211)",
    "B": "@pool(B, eleven)"
  }
}`
	root, err := Parse("cfg.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Preprocess(root, Options{})
	want := `cfg.json:6: Can not cast string to int:
Invalid digit in: "eleven"
	in macro call "@int(%port%)" at cfg.json:6
	in timeout at cfg.json:6
	in macro call "@pool(B, eleven)" at cfg.json:11
	in pools.B at cfg.json:11`
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}

	// Object form: the failing param is named.
	root, _ = Parse("cfg.json", []byte(`{
  "macros": {"m": {"type": "macroDef", "params": ["p"], "result": "%p%"}},
  "x": {"type": "m",
        "p": "@nope"}
}`))
	_, err = Preprocess(root, Options{})
	want = `cfg.json:4: Macro 'nope' not found
	in param "p" at cfg.json:4
	in macro "m" (object form) at cfg.json:3
	in x at cfg.json:3`
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
}

// FuzzPreprocess feeds arbitrary text as a config value (so as macro
// calls, substitutions and escapes) to the preprocessor: it must return a
// value or an *Error, never panic or hang.
func FuzzPreprocess(f *testing.F) {
	for _, s := range []string{
		`"@cat(@cat(a,b),c)"`, `"@cat(a\\,b, @id(%l%))"`, `"%l%"`, `"a%g%b"`, `"@if(@bool(true),x,@fail(y))"`,
		`{"type": "foreach", "from": "%l%", "use": ["%item%"]}`, `"@shuffle(%l%,@int(3))"`, `"@cat((,))"`,
		`{"vars": {"a": "%b%", "b": "x"}, "v": "%a%"}`, `"@slice(abc,@int(-1),@int(9))"`,
	} {
		f.Add(s)
	}
	macros := `{"cat": {"type": "macroDef", "params": ["a", "b"], "result": "%a%%b%"},
	            "id": {"type": "macroDef", "params": ["x"], "result": "%x%"},
	            "l": {"type": "constDef", "result": [3, 1, 2]},
	            "g": {"type": "constDef", "result": "G"}}`
	f.Fuzz(func(t *testing.T, expr string) {
		src := `{"macros": ` + macros + `, "v": ` + expr + `}`
		root, err := Parse("fuzz.json", []byte(src))
		if err != nil {
			return
		}
		out, err := Preprocess(root, Options{})
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T: %v", err, err)
			}
			_ = err.Error()
			return
		}
		_ = out.Marshal(true, true)
	})
}
