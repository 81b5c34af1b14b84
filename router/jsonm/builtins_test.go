package jsonm

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// Built-in macros, one table per group, from §1.7's table, mcrouter's
// JSONM wiki examples and ConfigPreprocessor.cpp's doc comments.

func TestCasts(t *testing.T) {
	runCases(t, []ppCase{
		{name: "int", expr: `"@int(5)"`, want: `5`},
		{name: "int negative", expr: `"@int(-12)"`, want: `-12`},
		{name: "int trimmed arg", expr: `"@int( 7 )"`, want: `7`},
		{name: "int object form", expr: `{"type": "int", "value": "42"}`, want: `42`},
		{name: "int of integral double", expr: `{"type": "int", "value": 3.0}`, want: `3`},
		{name: "int of double string", expr: `"@int(@double(2.0))"`, want: `2`},
		{name: "int loses precision", expr: `"@int(@double(1.5))"`, err: "Can not cast double to int"},
		{name: "int of bool", expr: `"@int(@bool(true))"`, want: `1`},
		{name: "int of junk", expr: `"@int(abc)"`, err: "Can not cast string to int"},
		{name: "int overflow", expr: `"@int(9223372036854775808)"`, err: "Overflow"},
		{name: "int of array", expr: `{"type": "int", "value": [1]}`, err: "Can not cast array to int"},
		{name: "double", expr: `"@double(5.1)"`, want: `5.1`},
		{name: "double of int", expr: `"@double(@int(2))"`, want: `2.0`},
		{name: "double of junk", expr: `"@double(x)"`, err: "Can not cast string to double"},
		{name: "str of int", expr: `"@str(@int(5))"`, want: `"5"`},
		{name: "str of double", expr: `"@str(@double(1.5))"`, want: `"1.5"`},
		{name: "str of integral double", expr: `"@str(@double(2))"`, want: `"2"`},
		{name: "str of big double", expr: `"@str(@double(1e21))"`, want: `"1E21"`},
		{name: "str of small double", expr: `"@str(@double(0.000001))"`, want: `"0.000001"`},
		{name: "str of tiny double", expr: `"@str(@double(1.5e-7))"`, want: `"1.5E-7"`},
		{name: "str of bool", expr: `"@str(@bool(true))"`, want: `"1"`},
		{name: "str of object", expr: `{"type": "str", "value": {}}`, err: "Can not cast object to string"},
		{name: "bool false", expr: `"@bool(false)"`, want: `false`},
		{name: "bool true", expr: `"@bool(true)"`, want: `true`},
		{name: "bool of int 0", expr: `"@bool(@int(0))"`, want: `false`},
		{name: "bool of int 1", expr: `"@bool(@int(1))"`, want: `true`},
		{name: "bool yes", expr: `"@bool(yes)"`, want: `true`},
		{name: "bool Off", expr: `"@bool(Off)"`, want: `false`},
		{name: "bool digit string", expr: `"@bool(1)"`, want: `true`},
		{name: "bool bad digits", expr: `"@bool(10)"`, err: "Can not cast string to boolean"},
		{name: "bool junk", expr: `"@bool(maybe)"`, err: "Can not cast string to boolean"},
	}, Options{})
}

func TestCollections(t *testing.T) {
	runCases(t, []ppCase{
		{name: "keys", expr: `{"type": "keys", "dictionary": {"a": 1, "b": 2}}`, want: `["a","b"]`},
		{name: "values", expr: `{"type": "values", "dictionary": {"a": 1, "b": 2}}`, want: `[1,2]`},
		{name: "keys of array", expr: `{"type": "keys", "dictionary": [1]}`, err: "Keys: dictionary is array, expected object"},
		{name: "merge arrays", expr: `{"type": "merge", "params": [[1, 2], [3, 4]]}`, want: `[1,2,3,4]`},
		{name: "merge objects", expr: `{"type": "merge", "params": [{"a": 1, "b": 2}, {"b": 3, "c": 4}]}`, want: `{"a":1,"b":3,"c":4}`},
		{name: "merge strings", expr: `{"type": "merge", "params": ["ab", "cd", ""]}`, want: `"abcd"`},
		{name: "merge mixed", expr: `{"type": "merge", "params": [[1], {"a": 1}]}`, err: "Merge: param 1 is object, expected array"},
		{name: "merge empty", expr: `{"type": "merge", "params": []}`, err: "Merge: empty params"},
		{name: "merge scalar first", expr: `{"type": "merge", "params": [1]}`, err: "Merge: first param is int"},
		{name: "select object", expr: `{"type": "select", "key": "a", "dictionary": {"a": 1, "b": 2}}`, want: `1`},
		{name: "select array", expr: `{"type": "select", "key": 1, "dictionary": [10, 20, 30]}`, want: `20`},
		{name: "select negative index", expr: `{"type": "select", "key": -1, "dictionary": [10, 20, 30]}`, want: `30`},
		{name: "select string form", expr: `{"vars": {"d": {"x": "y"}}, "v": "@select(%d%,x)"}`, want: `{"v":"y"}`},
		{name: "select default", expr: `{"type": "select", "key": "z", "dictionary": {"a": 1}, "default": "dflt"}`, want: `"dflt"`},
		{name: "select index default", expr: `{"type": "select", "key": 5, "dictionary": [1], "default": 0}`, want: `0`},
		{name: "select default is lazy", expr: `{"type": "select", "key": "a", "dictionary": {"a": 1}, "default": "@fail(never)"}`, want: `1`},
		{name: "select missing", expr: `{"type": "select", "key": "z", "dictionary": {"a": 1}}`, err: "Select: 'z' not found, default not specified"},
		{name: "select out of range", expr: `{"type": "select", "key": 3, "dictionary": [1]}`, err: "Select: index 3 is out of range [0, 1)"},
		{name: "select wrong key type", expr: `{"type": "select", "key": "0", "dictionary": [1]}`, err: "key is string, expected int"},
		{name: "slice array", expr: `{"type": "slice", "from": 1, "to": 2, "dictionary": [1, 2, 3, 4]}`, want: `[2,3]`},
		{name: "slice clamps", expr: `{"type": "slice", "from": -5, "to": 100, "dictionary": [1, 2]}`, want: `[1,2]`},
		{name: "slice empty", expr: `{"type": "slice", "from": 3, "to": 1, "dictionary": [1, 2]}`, want: `[]`},
		{name: "slice past end", expr: `{"type": "slice", "from": 7, "to": 9, "dictionary": "abc"}`, want: `""`},
		{name: "slice string", expr: `{"type": "slice", "from": 1, "to": 3, "dictionary": "abcdef"}`, want: `"bcd"`},
		{name: "slice object", expr: `{"type": "slice", "from": "b", "to": "c", "dictionary": {"a": 1, "b": 2, "c": 3, "d": 4}}`, want: `{"b":2,"c":3}`},
		{name: "slice bad bounds", expr: `{"type": "slice", "from": "a", "to": 1, "dictionary": [1]}`, err: "Slice: from/to is not an int"},
		{name: "split", expr: `{"type": "split", "dictionary": "a.b.c.", "delim": "."}`, want: `["a","b","c",""]`},
		{name: "split string form", expr: `"@split(a-b--c,-)"`, want: `["a","b","","c"]`},
		{name: "split multi-char delim", expr: `{"type": "split", "dictionary": "a::b", "delim": "::"}`, want: `["a","b"]`},
		{name: "split empty delim", expr: `{"type": "split", "dictionary": "abc", "delim": ""}`, want: `["abc"]`},
		{name: "set object", expr: `{"type": "set", "dictionary": {"a": 1}, "key": "b", "value": [2]}`, want: `{"a":1,"b":[2]}`},
		{name: "set array", expr: `{"type": "set", "dictionary": [1, 2], "key": 0, "value": "x"}`, want: `["x",2]`},
		{name: "set out of range", expr: `{"type": "set", "dictionary": [1], "key": 1, "value": 0}`, err: "Set: key '1' is out of range [0..1)"},
		{name: "range", expr: `"@range(@int(1),@int(3))"`, want: `[1,2,3]`},
		{name: "range empty", expr: `{"type": "range", "from": 3, "to": 1}`, want: `[]`},
		{name: "range non-int", expr: `"@range(1,3)"`, err: "Range: from is string, expected int"},
		{name: "range too large", expr: `{"type": "range", "from": 0, "to": 100000000000}`, err: "Range: more than"},
		{name: "contains substring", expr: `"@contains(abacaba,aca)"`, want: `true`},
		{name: "contains key", expr: `{"type": "contains", "dictionary": {"a": 1}, "key": "b"}`, want: `false`},
		{name: "contains element", expr: `{"type": "contains", "dictionary": [1, 2], "key": 2.0}`, want: `true`},
		{name: "contains bad dictionary", expr: `{"type": "contains", "dictionary": 1, "key": 1}`, err: "Contains: dictionary is int"},
		{name: "empty string arg", expr: `"@empty()"`, want: `true`},
		{name: "empty array", expr: `{"type": "empty", "dictionary": [0]}`, want: `false`},
		{name: "size string", expr: `"@size(abc)"`, want: `3`},
		{name: "size object", expr: `{"type": "size", "dictionary": {"a": 1}}`, want: `1`},
		{name: "size int", expr: `{"type": "size", "dictionary": 1}`, err: "size: dictionary is int"},
		{name: "sort strings", expr: `{"type": "sort", "dictionary": ["b", "c", "a"]}`, want: `["a","b","c"]`},
		{name: "sort ints", expr: `{"type": "sort", "dictionary": [3, 1, 2.5]}`, want: `[1,2.5,3]`},
		{name: "sort mixed by type", expr: `{"type": "sort", "dictionary": ["a", 1, null, [0]]}`, want: `[null,[0],1,"a"]`},
		{name: "sort objects", expr: `{"type": "sort", "dictionary": [{}, {}]}`, err: "Can not compare objects"},
	}, Options{})
}

func TestShuffleMacro(t *testing.T) {
	runCases(t, []ppCase{
		// The same order as mcrouter (libstdc++ std::shuffle, minstd_rand(42)).
		{name: "seeded", expr: `{"type": "shuffle", "dictionary": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "seed": 42}`, want: `[1,7,3,6,2,8,0,5,9,4]`},
		{name: "seeded string form", expr: `{"vars": {"l": ["a", "b", "c", "d", "e"]}, "v": "@shuffle(%l%,@int(7))"}`, want: `{"v":["c","e","d","b","a"]}`},
		{name: "negative seed", expr: `{"type": "shuffle", "dictionary": [1], "seed": -1}`, err: "Shuffle: seed must be a non-negative integer"},
		{name: "not an array", expr: `{"type": "shuffle", "dictionary": {"a": 1}}`, err: "Shuffle: argument must be an array"},
	}, Options{})

	got, err := evalExpr(t, "", `{"type": "shuffle", "dictionary": [1, 2, 3, 4, 5, 6]}`, Options{Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(`[1,2,3,4,5,6]`) {
		t.Fatalf("unseeded shuffle = %s", got)
	}
	for _, d := range "123456" {
		if !strings.ContainsRune(got, d) {
			t.Fatalf("unseeded shuffle = %s, lost %c", got, d)
		}
	}
}

func TestLogicAndArithmetic(t *testing.T) {
	runCases(t, []ppCase{
		{name: "equals strings", expr: `"@equals(a,a)"`, want: `true`},
		{name: "equals differ", expr: `"@equals(a,b)"`, want: `false`},
		{name: "equals int double", expr: `{"type": "equals", "A": 1, "B": 1.0}`, want: `true`},
		{name: "equals deep", expr: `{"type": "equals", "A": [1, {"x": 2}], "B": [1, {"x": 2}]}`, want: `true`},
		{name: "less strings", expr: `"@less(bcd,abcd)"`, want: `false`},
		{name: "less ints", expr: `{"type": "less", "A": 1, "B": 2}`, want: `true`},
		{name: "less int double", expr: `{"type": "less", "A": 1, "B": 1.5}`, want: `true`},
		{name: "less by type order", expr: `{"type": "less", "A": "a", "B": 1}`, want: `false`},
		{name: "less arrays", expr: `{"type": "less", "A": [1, 2], "B": [1, 3]}`, want: `true`},
		{name: "less objects", expr: `{"type": "less", "A": {}, "B": 1}`, err: "Can not compare objects"},
		{name: "isString", expr: `"@isString(abc)"`, want: `true`},
		{name: "isInt", expr: `{"type": "isInt", "value": 1}`, want: `true`},
		{name: "isInt of double", expr: `{"type": "isInt", "value": 1.0}`, want: `false`},
		{name: "isDouble", expr: `{"type": "isDouble", "value": 1.0}`, want: `true`},
		{name: "isArray", expr: `{"type": "isArray", "value": []}`, want: `true`},
		{name: "isObject", expr: `{"type": "isObject", "value": {}}`, want: `true`},
		{name: "isBool", expr: `{"type": "isBool", "value": false}`, want: `true`},
		{name: "and", expr: `"@and(@bool(true),@bool(false))"`, want: `false`},
		{name: "and short-circuits", expr: `"@and(@bool(false),@fail(boom))"`, want: `false`},
		{name: "or", expr: `"@or(@bool(false),@bool(true))"`, want: `true`},
		{name: "or short-circuits", expr: `"@or(@bool(true),@fail(boom))"`, want: `true`},
		{name: "and evaluates B", expr: `"@and(@bool(true),@fail(boom))"`, err: "boom"},
		{name: "and needs bools", expr: `"@and(x,@bool(true))"`, err: "and: A is string, expected bool"},
		{name: "not", expr: `"@not(@bool(false))"`, want: `true`},
		{name: "wiki arithmetic", expr: `"@add(@mul(@int(2),@int(3)),@int(5))"`, want: `11`},
		{name: "sub", expr: `{"type": "sub", "A": 2, "B": 5}`, want: `-3`},
		{name: "div truncates", expr: `{"type": "div", "A": -7, "B": 2}`, want: `-3`},
		{name: "mod sign", expr: `{"type": "mod", "A": -7, "B": 3}`, want: `-1`},
		{name: "div by zero", expr: `{"type": "div", "A": 1, "B": 0}`, err: "div: B == 0"},
		{name: "mod by zero", expr: `{"type": "mod", "A": 1, "B": 0}`, err: "mod: B == 0"},
		{name: "add needs ints", expr: `"@add(1,2)"`, err: "add: A is string, expected int"},
		{name: "add wraps", expr: `{"type": "add", "A": 9223372036854775807, "B": 1}`, want: `-9223372036854775808`},
		{name: "bitwiseAnd", expr: `{"type": "bitwiseAnd", "A": 12, "B": 10}`, want: `8`},
		{name: "bitwiseOr", expr: `{"type": "bitwiseOr", "A": 12, "B": 10}`, want: `14`},
		{name: "bitwiseXor", expr: `{"type": "bitwiseXor", "A": 12, "B": 10}`, want: `6`},
		{name: "bitwiseNot", expr: `{"type": "bitwiseNot", "A": 0}`, want: `-1`},
		{name: "bitwiseLeftShift", expr: `{"type": "bitwiseLeftShift", "A": 1, "B": 4}`, want: `16`},
		{name: "bitwiseRightShift is unsigned", expr: `{"type": "bitwiseRightShift", "A": -1, "B": 60}`, want: `15`},
		{name: "shift too far", expr: `{"type": "bitwiseLeftShift", "A": 1, "B": 64}`, err: "B is 64, expected 0..63"},
		{name: "if wiki", expr: `{"type": "if", "condition": "@equals(a,a)", "is_false": "Oops", "is_true": "Yeah"}`, want: `"Yeah"`},
		{name: "if false branch", expr: `{"type": "if", "condition": false, "is_true": 1, "is_false": 2}`, want: `2`},
		{name: "if is lazy", expr: `{"type": "if", "condition": true, "is_true": "ok", "is_false": "@fail(never)"}`, want: `"ok"`},
		{name: "if string form", expr: `"@if(@bool(true),yes,no)"`, want: `"yes"`},
		{name: "if needs bool", expr: `{"type": "if", "condition": "true", "is_true": 1, "is_false": 2}`, err: "If: condition is string, expected bool"},
		{name: "if needs both branches", expr: `{"type": "if", "condition": true, "is_true": 1}`, err: "Macro call if: 'is_false' parameter not found"},
		{name: "if names the branch", expr: `{"type": "if", "condition": true, "is_true": "@nope", "is_false": 1}`, err: "in If 'is_true'"},
		{name: "define", expr: `{"type": "define", "vars": {"A": "B"}, "result": "%A%"}`, want: `"B"`},
		{name: "defined global", expr: `"@defined(default-route)"`, want: `true`},
		{name: "defined missing", expr: `"@defined(nope)"`, want: `false`},
		{name: "defined sees caller vars", expr: `{"vars": {"q": 1}, "v": "@defined(q)"}`, want: `{"v":true}`},
		{name: "fail", expr: `"@fail(bad config)"`, err: "cfg.json:1: bad config"},
		{name: "fail with object", expr: `{"type": "fail", "msg": {"a": 1}}`, err: `"a": 1`},
	}, Options{Globals: Globals{DefaultRoute: "/a/b/"}.Params()})
}

func TestHashMacros(t *testing.T) {
	runCases(t, []ppCase{
		// SpookyHashV2-64("hello world", 0) = 14865987102431973981, as int64.
		{name: "hash string", expr: `"@hash(hello world)"`, want: `-3580756971277577635`},
		{name: "hash int", expr: `"@hash(@int(5))"`, want: strconv.FormatInt(int64(twangMix64(5)), 10)},
		{name: "hash other", expr: `{"type": "hash", "value": 1.5}`, err: "Hash: can not cast double to int or string"},
		{name: "weightedHash doc example", expr: `{"type": "weightedHash", "dictionary": {"a": 0.0, "b": 1.0}, "key": 5}`, want: `"b"`},
		{name: "weightedHash string key", expr: `{"type": "weightedHash", "dictionary": {"a": 1, "b": 0}, "key": "k"}`, want: `"a"`},
		{name: "weightedHash negative", expr: `{"type": "weightedHash", "dictionary": {"a": -1}, "key": 1}`, err: "WeightedHash: a weight -1 is negative"},
		{name: "weightedHash zero sum", expr: `{"type": "weightedHash", "dictionary": {"a": 0}, "key": 1}`, err: "sum of weights is 0"},
		{name: "weightedHash empty", expr: `{"type": "weightedHash", "dictionary": {}, "key": 1}`, err: "WeightedHash: dictionary is empty"},
		{name: "weightedHash bad key", expr: `{"type": "weightedHash", "dictionary": {"a": 1}, "key": []}`, err: "key is array, expected string or int"},
	}, Options{})
}

func TestIsLocalIP(t *testing.T) {
	local := func() ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1"), netip.MustParseAddr("10.0.0.5")}, nil
	}
	opts := Options{LocalAddrs: local}
	runCases(t, []ppCase{
		{name: "local", expr: `"@isLocalIp(10.0.0.5)"`, want: `true`},
		{name: "v6 loopback", expr: `"@isLocalIp(::1)"`, want: `true`},
		{name: "mapped v4", expr: `"@isLocalIp(::ffff:10.0.0.5)"`, want: `true`},
		{name: "remote", expr: `"@isLocalIp(10.0.0.6)"`, want: `false`},
		{name: "not an ip", expr: `"@isLocalIp(blah)"`, want: `false`},
	}, opts)
	runCases(t, []ppCase{
		{name: "no addresses", expr: `"@isLocalIp(10.0.0.5)"`, err: "local addresses are not available"},
		{name: "no addresses, not an ip", expr: `"@isLocalIp(blah)"`, want: `false`},
	}, Options{})
	runCases(t, []ppCase{
		{name: "enumeration fails", expr: `"@isLocalIp(10.0.0.5)"`, err: "Can not enumerate local ips: no"},
	}, Options{LocalAddrs: func() ([]netip.Addr, error) { return nil, errors.New("no") }})
}

func TestBuiltinCalls(t *testing.T) {
	runCases(t, []ppCase{
		{name: "transform wiki", expr: `{"type": "transform", "keyTransform": "%item%", "itemTransform": "%key%", "dictionary": {"a": "b", "b": "c"}}`,
			want: `{"b":"a","c":"b"}`},
		{name: "transform array", expr: `{"type": "transform", "dictionary": [1, 2], "itemTransform": {"i": "%key%", "v": "%item%"}}`,
			want: `[{"i":0,"v":1},{"i":1,"v":2}]`},
		{name: "transform key list fans out and empty drops", expr: `{"type": "transform", "dictionary": {"a": 1, "b": 2},
			"keyTransform": {"type": "if", "condition": "@equals(%key%,a)", "is_true": ["x", "y"], "is_false": []}}`,
			want: `{"x":1,"y":1}`},
		{name: "transform custom names", expr: `{"type": "transform", "dictionary": {"a": 1}, "keyName": "k", "itemName": "i", "itemTransform": ["%k%", "%i%"]}`,
			want: `{"a":["a",1]}`},
		{name: "transform sees outer vars", expr: `{"vars": {"p": "x-"}, "v": {"type": "transform", "dictionary": ["a"], "itemTransform": "%p%%item%"}}`,
			want: `{"v":["x-a"]}`},
		{name: "transform empty", expr: `{"type": "transform", "dictionary": []}`, want: `[]`},
		{name: "transform array needs itemTransform", expr: `{"type": "transform", "dictionary": [1]}`, err: "Transform: itemTransform is required for array"},
		{name: "transform same names", expr: `{"type": "transform", "dictionary": [1], "keyName": "x", "itemName": "x", "itemTransform": 1}`,
			err: "'x' already exists in local scope"},
		{name: "transform bad key", expr: `{"type": "transform", "dictionary": {"a": 1}, "keyTransform": 5}`, err: "Transformed key is int, expected array/string"},
		{name: "transform bad dictionary", expr: `{"type": "transform", "dictionary": 1}`, err: "Transform: dictionary is int, expected array/object"},
		{name: "transform missing dictionary", expr: `{"type": "transform"}`, err: "Transform: 'dictionary' not found"},
		{name: "process wiki", expr: `{"type": "process", "initialValue": "", "dictionary": ["a", "b", "c", "d"], "transform": "%item%%value%"}`,
			want: `"dcba"`},
		{name: "process object", expr: `{"type": "process", "dictionary": {"a": 1, "b": 2}, "initialValue": 0, "transform": "@add(%value%,%item%)"}`,
			want: `3`},
		{name: "process custom names", expr: `{"type": "process", "dictionary": [5], "initialValue": [], "keyName": "k", "itemName": "i", "valueName": "acc",
			"transform": {"type": "merge", "params": ["%acc%", ["%k%", "%i%"]]}}`, want: `[0,5]`},
		{name: "process missing transform", expr: `{"type": "process", "dictionary": [], "initialValue": 0}`, err: "Process: 'transform' not found"},
		{name: "process names the element", expr: `{"type": "process", "dictionary": [1, "x"], "initialValue": 0, "transform": "@add(%value%,%item%)"}`,
			err: "in transform of element #1"},
		{name: "foreach filter", expr: `{"type": "foreach", "from": [1, 2, 3, 4], "where": "@less(%item%,@int(3))"}`, want: `[1,2]`},
		{name: "foreach filter object", expr: `{"type": "foreach", "from": {"a": 1, "b": 2}, "where": "@equals(%key%,b)"}`, want: `{"b":2}`},
		{name: "foreach object to list", expr: `{"type": "foreach", "from": {"a": 1, "b": 2}, "use": ["%key%"], "noMatchResult": []}`, want: `["a","b"]`},
		{name: "foreach top", expr: `{"type": "foreach", "from": [5, 6, 7, 8], "where": "@not(@equals(%item%,@int(6)))", "top": 2}`, want: `[5,7]`},
		{name: "foreach top zero", expr: `{"type": "foreach", "from": [5], "top": 0}`, want: `[]`},
		{name: "foreach use merges objects", expr: `{"type": "foreach", "from": ["x", "y"], "use": {"%item%": "%key%"}}`, want: `{"x":0,"y":1}`},
		{name: "foreach no match result", expr: `{"type": "foreach", "from": [1], "where": false, "noMatchResult": "none"}`, want: `"none"`},
		{name: "foreach no match default", expr: `{"type": "foreach", "from": {"a": 1}, "where": false}`, want: `{}`},
		{name: "foreach custom names", expr: `{"type": "foreach", "from": ["a"], "key": "i", "item": "s", "use": ["%s%%i%"]}`, err: "Param in string 'i' is int"},
		{name: "foreach where not bool", expr: `{"type": "foreach", "from": [1], "where": "yes"}`, err: "Foreach: expanded 'where' is string, expected bool"},
		{name: "foreach use mismatch", expr: `{"type": "foreach", "from": [1, 2], "use": {"type": "if", "condition": "@equals(%key%,@int(0))", "is_true": [1], "is_false": {}}}`,
			err: "Foreach: expanded item is object, expected array"},
		{name: "foreach bad top", expr: `{"type": "foreach", "from": [1], "top": -1}`, err: "Foreach: top should be a non-negative integer"},
		{name: "foreach bad from", expr: `{"type": "foreach", "from": "x"}`, err: "Foreach: from is string, expected object/array"},
	}, Options{})
}

// TestImport covers @import: resolution relative to the main config,
// file: paths, caching, defaults, md5 records, scoping and errors.
func TestImport(t *testing.T) {
	files := map[string]string{
		"/etc/mcrouter/pools.json":     `{"A": {"servers": ["h:1"]}} // comment`,
		"/etc/mcrouter/sub/list.json":  `[1, 2,]`,
		"/abs/x.json":                  `"x"`,
		"/etc/mcrouter/macro.json":     `["@cat(a,b)", "%host%"]`,
		"/etc/mcrouter/vars.json":      `"%local%"`,
		"/etc/mcrouter/bad.json":       "{\n  \"a\": 1\n  \"b\": 2\n}",
		"/etc/mcrouter/nested.json":    `{"inner": "@import(sub/list.json)"}`,
		"/etc/mcrouter/fails.json":     `"@fail(boom)"`,
		"/etc/mcrouter/macrodefs.json": `{"twice": {"type": "macroDef", "params": ["x"], "result": ["%x%", "%x%"]}}`,
	}
	reads := map[string]int{}
	newOpts := func() Options {
		return Options{
			Load: FileLoader("/etc/mcrouter/config.json", func(name string) ([]byte, error) {
				reads[name]++
				if s, ok := files[name]; ok {
					return []byte(s), nil
				}
				return nil, errors.New("no such file")
			}),
			Imported: map[string]string{},
		}
	}
	macros := `[{"cat": {"type": "macroDef", "params": ["a", "b"], "result": "%a%%b%"},
	             "host": {"type": "constDef", "result": "h1"}},
	            "@import(macrodefs.json)"]`
	runCases(t, []ppCase{
		{name: "relative to config dir", expr: `"@import(pools.json)"`, want: `{"A":{"servers":["h:1"]}}`},
		{name: "subdirectory", expr: `"@import(sub/list.json)"`, want: `[1,2]`},
		{name: "file: prefix", expr: `"@import(file:/abs/x.json)"`, want: `"x"`},
		{name: "object form", expr: `{"type": "import", "path": "sub/list.json"}`, want: `[1,2]`},
		{name: "path from a param", expr: `{"vars": {"f": "pools"}, "v": "@import(%f%.json)"}`, want: `{"v":{"A":{"servers":["h:1"]}}}`},
		{name: "imported file sees macros and consts", macros: macros, expr: `"@import(macro.json)"`, want: `["ab","h1"]`},
		{name: "macros can be imported", macros: macros, expr: `"@twice(z)"`, want: `["z","z"]`},
		{name: "imported file does not see caller locals", expr: `{"vars": {"local": 1}, "v": "@import(vars.json)"}`, err: "'local' not found"},
		{name: "nested import is relative to the main config", expr: `"@import(nested.json)"`, want: `{"inner":[1,2]}`},
		{name: "missing", expr: `"@import(missing.json)"`, err: "Can not read missing.json: no such file"},
		{name: "missing with default", expr: `"@import(missing.json,@int(7))"`, want: `7`},
		{name: "object form default", expr: `{"type": "import", "path": "missing.json", "default": {"x": 1}}`, want: `{"x":1}`},
		{name: "default on expansion failure", expr: `{"type": "import", "path": "fails.json", "default": "dflt"}`, want: `"dflt"`},
		{name: "syntax error names the imported file", expr: `"@import(bad.json)"`,
			err: "/etc/mcrouter/bad.json:3:3: expected ',' or '}' after object member, found '\"'\n\tin import \"bad.json\" at cfg.json:1"},
		{name: "path must be a string", expr: `{"type": "import", "path": 1}`, err: "import path is int, string expected"},
	}, newOpts())

	// Each path is read once per Preprocess; the md5 of every file read is
	// recorded under the resolved name.
	for k := range reads {
		delete(reads, k)
	}
	opts := newOpts()
	if _, err := evalExpr(t, "", `["@import(sub/list.json)", "@import(sub/list.json)", "@import(nested.json)"]`, opts); err != nil {
		t.Fatal(err)
	}
	if reads["/etc/mcrouter/sub/list.json"] != 1 {
		t.Errorf("list.json read %d times, want 1", reads["/etc/mcrouter/sub/list.json"])
	}
	if len(opts.Imported) != 2 {
		t.Errorf("Imported = %v, want list.json and nested.json", opts.Imported)
	}
	for _, f := range []string{"/etc/mcrouter/sub/list.json", "/etc/mcrouter/nested.json"} {
		sum := md5.Sum([]byte(files[f]))
		if got := opts.Imported[f]; got != hex.EncodeToString(sum[:]) {
			t.Errorf("Imported[%s] = %q", f, got)
		}
	}

	// Without a loader, @import fails unless it has a default.
	runCases(t, []ppCase{
		{name: "no loader", expr: `"@import(a.json)"`, err: "no import loader configured"},
		{name: "no loader, default", expr: `"@import(a.json,d)"`, want: `"d"`},
	}, Options{})
}

func TestResolveImport(t *testing.T) {
	tests := []struct{ config, path, want string }{
		{"/etc/mcrouter/config.json", "pools.json", "/etc/mcrouter/pools.json"},
		{"/etc/mcrouter/config.json", "sub/p.json", "/etc/mcrouter/sub/p.json"},
		{"file:/etc/mcrouter/config.json", "pools.json", "/etc/mcrouter/pools.json"},
		{"/etc/mcrouter/config.json", "file:/abs/p.json", "/abs/p.json"},
		{"/etc/mcrouter/config.json", "file:rel/p.json", "rel/p.json"},
		{"/etc/mcrouter/config.json", "/abs/p.json", "/etc/mcrouter/abs/p.json"},
		{"config.json", "pools.json", "pools.json"},
		{"/config.json", "pools.json", "/pools.json"},
		{"", "pools.json", "pools.json"},
	}
	for _, tc := range tests {
		if got := ResolveImport(tc.config, tc.path); got != tc.want {
			t.Errorf("ResolveImport(%q, %q) = %q, want %q", tc.config, tc.path, got, tc.want)
		}
	}
}

func TestGlobalsParams(t *testing.T) {
	p := Globals{
		DefaultRoute:   "/region1/cluster1/",
		HostID:         123456,
		RouterName:     "5000",
		ServiceName:    "mcrouter",
		ConfigParams:   map[string]string{"PORT": "11211", "hostid": "overridden?"},
		Options:        map[string]string{"num_proxies": "4"},
		RouterInfoName: "",
	}.Params()
	want := map[string]string{
		"default-route":          `"/region1/cluster1/"`,
		"default-region":         `"region1"`,
		"default-cluster":        `"cluster1"`,
		"hostid":                 `123456`,
		"router-name":            `"5000"`,
		"service-name":           `"mcrouter"`,
		"service-router-capable": `0`,
		"router-info-name":       `"Memcache"`,
		"PORT":                   `"11211"`,
		"mcr_opts-num_proxies":   `"4"`,
	}
	if len(p) != len(want) {
		t.Errorf("got %d params, want %d", len(p), len(want))
	}
	for k, w := range want {
		if got := string(p[k].Marshal(false, false)); got != w {
			t.Errorf("%s = %s, want %s", k, got, w)
		}
	}
}
