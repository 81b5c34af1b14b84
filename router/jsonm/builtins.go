package jsonm

import (
	"crypto/md5"
	"encoding/hex"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// builtinMacro describes a macro callable as @name(...) or
// {"type": "name", ...}; the list and the semantics are mcrouter's
// (ConfigPreprocessor.cpp, BuiltIns).
type builtinMacro struct {
	name   string
	params []*Value
	raw    bool
	fn     func(c *call) (*Value, error)
}

// ps builds a param list; a leading '?' marks an optional param.
func ps(names ...string) []*Value {
	out := make([]*Value, len(names))
	for i, n := range names {
		if strings.HasPrefix(n, "?") {
			out[i] = NewObject(Member{"name", NewString(n[1:])}, Member{"optional", NewBool(true)})
		} else {
			out[i] = NewString(n)
		}
	}
	return out
}

var builtinMacros []builtinMacro

func init() {
	builtinMacros = []builtinMacro{
		{"import", ps("path", "?default"), true, importMacro},
		{"hash", ps("value"), false, hashMacro},
		{"weightedHash", ps("dictionary", "key"), false, weightedHashMacro},
		{"int", ps("value"), false, intMacro},
		{"double", ps("value"), false, doubleMacro},
		{"str", ps("value"), false, strMacro},
		{"bool", ps("value"), false, boolMacro},
		{"keys", ps("dictionary"), false, keysMacro},
		{"values", ps("dictionary"), false, valuesMacro},
		{"merge", ps("params"), false, mergeMacro},
		{"select", ps("dictionary", "key", "?default"), true, selectMacro},
		{"shuffle", ps("dictionary", "?seed"), true, shuffleMacro},
		{"slice", ps("dictionary", "from", "to"), false, sliceMacro},
		{"split", ps("dictionary", "delim"), false, splitMacro},
		{"range", ps("from", "to"), false, rangeMacro},
		{"contains", ps("dictionary", "key"), false, containsMacro},
		{"empty", ps("dictionary"), false, emptyMacro},
		{"equals", ps("A", "B"), false, equalsMacro},
		{"isArray", ps("value"), false, isKind(KindArray)},
		{"isBool", ps("value"), false, isKind(KindBool)},
		{"isInt", ps("value"), false, isKind(KindInt)},
		{"isDouble", ps("value"), false, isKind(KindFloat)},
		{"isObject", ps("value"), false, isKind(KindObject)},
		{"isString", ps("value"), false, isKind(KindString)},
		{"less", ps("A", "B"), false, lessMacro},
		{"bitwiseAnd", ps("A", "B"), false, intOp("bitwiseAnd", func(a, b int64) (int64, string) { return a & b, "" })},
		{"bitwiseOr", ps("A", "B"), false, intOp("bitwiseOr", func(a, b int64) (int64, string) { return a | b, "" })},
		{"bitwiseXor", ps("A", "B"), false, intOp("bitwiseXor", func(a, b int64) (int64, string) { return a ^ b, "" })},
		{"bitwiseNot", ps("A"), false, bitwiseNotMacro},
		{"bitwiseLeftShift", ps("A", "B"), false, intOp("bitwiseLeftShift", func(a, b int64) (int64, string) {
			if b < 0 || b > 63 {
				return 0, "B is " + strconv.FormatInt(b, 10) + ", expected 0..63"
			}
			return int64(uint64(a) << uint(b)), ""
		})},
		{"bitwiseRightShift", ps("A", "B"), false, intOp("bitwiseRightShift", func(a, b int64) (int64, string) {
			if b < 0 || b > 63 {
				return 0, "B is " + strconv.FormatInt(b, 10) + ", expected 0..63"
			}
			return int64(uint64(a) >> uint(b)), ""
		})},
		{"and", ps("A", "B"), true, andOrMacro("and", false)},
		{"or", ps("A", "B"), true, andOrMacro("or", true)},
		{"not", ps("A"), false, notMacro},
		{"size", ps("dictionary"), false, sizeMacro},
		{"add", ps("A", "B"), false, intOp("add", func(a, b int64) (int64, string) { return a + b, "" })},
		{"sub", ps("A", "B"), false, intOp("sub", func(a, b int64) (int64, string) { return a - b, "" })},
		{"mul", ps("A", "B"), false, intOp("mul", func(a, b int64) (int64, string) { return a * b, "" })},
		{"div", ps("A", "B"), false, intOp("div", func(a, b int64) (int64, string) {
			if b == 0 {
				return 0, "B == 0"
			}
			return a / b, ""
		})},
		{"mod", ps("A", "B"), false, intOp("mod", func(a, b int64) (int64, string) {
			if b == 0 {
				return 0, "B == 0"
			}
			return a % b, ""
		})},
		{"fail", ps("msg"), false, failMacro},
		{"sort", ps("dictionary"), false, sortMacro},
		{"set", ps("dictionary", "key", "value"), false, setMacro},
		{"if", ps("condition", "is_true", "is_false"), true, ifMacro},
		{"define", ps("result"), false, func(c *call) (*Value, error) { return c.arg("result"), nil }},
		{"defined", ps("name"), false, definedMacro},
		{"isLocalIp", ps("ip"), false, isLocalIPMacro},
	}
}

// importMacro: @import(path[, default]) reads, parses and expands another
// file in a fresh scope (it sees constants and macros, not the caller's
// locals). Results are cached by path; on any failure the default, if
// given, is used (and cached) instead.
func importMacro(c *call) (*Value, error) {
	e := c.e
	pv, _, err := c.raw("path")
	if err != nil {
		return nil, err
	}
	path, ok := pv.String()
	if !ok {
		return nil, c.fail("import path is " + pv.Kind().String() + ", string expected")
	}
	if v, ok := e.imports[path]; ok {
		return e.copyOf(v), nil
	}
	v, err := e.withVia(c.at, func() (*Value, error) { return e.importFile(path, c.at) })
	if err != nil {
		def, ok, derr := c.raw("default")
		if derr != nil {
			return nil, derr
		}
		if ok {
			e.imports[path] = def
			return e.copyOf(def), nil
		}
		return nil, wrap(err, c.at, "import "+strconv.Quote(path))
	}
	e.imports[path] = v
	return e.copyOf(v), nil
}

func (e *expander) importFile(path string, at *Value) (*Value, error) {
	if e.opts.Load == nil {
		return nil, errAt(at, "Can not read "+path+": no import loader configured")
	}
	file, data, err := e.opts.Load(path)
	if err != nil {
		return nil, errAt(at, "Can not read "+path+": "+err.Error())
	}
	if e.opts.Imported != nil {
		sum := md5.Sum(data)
		e.opts.Imported[file] = hex.EncodeToString(sum[:])
	}
	root, err := Parse(file, data)
	if err != nil {
		return nil, err
	}
	return e.expand(root, nil)
}

// hashMacro: folly::Hash of an int (twang_mix64) or a string
// (SpookyHashV2-64, seed 0), as a (wrapped) int64.
func hashMacro(c *call) (*Value, error) {
	v := c.arg("value")
	switch v.Kind() {
	case KindInt:
		return c.e.integer(int64(twangMix64(uint64(v.i))), c.at), nil
	case KindString:
		return c.e.integer(int64(spookyHash64([]byte(v.s), 0)), c.at), nil
	}
	return nil, c.fail("Hash: can not cast " + v.Kind().String() + " to int or string")
}

func weightedHashMacro(c *call) (*Value, error) {
	dict := c.arg("dictionary")
	if !dict.IsObject() {
		return nil, c.fail("WeightedHash: dictionary is " + dict.Kind().String() + ", expected object")
	}
	names := make([]string, 0, len(dict.Members))
	weights := make([]float64, 0, len(dict.Members))
	for _, m := range dict.Members {
		w, ok := m.Val.Float()
		if !ok {
			return nil, c.fail("WeightedHash: " + m.Key + " weight is " + m.Val.Kind().String() + ", expected number")
		}
		if w < -0.01 {
			return nil, c.fail("WeightedHash: " + m.Key + " weight " + formatDouble(w) + " is negative")
		}
		names = append(names, m.Key)
		weights = append(weights, max(w, 0))
	}
	if len(names) == 0 {
		return nil, c.fail("WeightedHash: dictionary is empty")
	}
	key := c.arg("key")
	var keyHash uint64
	switch key.Kind() {
	case KindInt:
		keyHash = uint64(key.i)
	case KindString:
		keyHash = spookyHash64([]byte(key.s), 0)
	default:
		return nil, c.fail("WeightedHash: key is " + key.Kind().String() + ", expected string or int")
	}
	id, err := rendezvousPick(names, weights, keyHash)
	if err != nil {
		return nil, c.fail("WeightedHash: failed to compute hash: " + err.Error())
	}
	return c.e.str(names[id], c.at), nil
}

func intMacro(c *call) (*Value, error) {
	v := c.arg("value")
	i, msg := asInt(v)
	if msg != "" {
		return nil, c.fail("Can not cast " + v.Kind().String() + " to int:\n" + msg)
	}
	return c.e.integer(i, c.at), nil
}

func doubleMacro(c *call) (*Value, error) {
	v := c.arg("value")
	f, msg := asDouble(v)
	if msg != "" {
		return nil, c.fail("Can not cast " + v.Kind().String() + " to double:\n" + msg)
	}
	out := c.e.made(KindFloat, c.at)
	out.f = f
	return out, nil
}

func strMacro(c *call) (*Value, error) {
	v := c.arg("value")
	s, msg := asString(v)
	if msg != "" {
		return nil, c.fail("Can not cast " + v.Kind().String() + " to string:\n" + msg)
	}
	return c.e.str(s, c.at), nil
}

func boolMacro(c *call) (*Value, error) {
	v := c.arg("value")
	b, msg := asBool(v)
	if msg != "" {
		return nil, c.fail("Can not cast " + v.Kind().String() + " to boolean:\n" + msg)
	}
	return c.e.boolean(b, c.at), nil
}

func keysMacro(c *call) (*Value, error) {
	d := c.arg("dictionary")
	if !d.IsObject() {
		return nil, c.fail("Keys: dictionary is " + d.Kind().String() + ", expected object")
	}
	out := c.e.made(KindArray, c.at)
	out.Elems = make([]*Value, len(d.Members))
	for i, m := range d.Members {
		out.Elems[i] = c.e.str(m.Key, m.Val)
	}
	return out, nil
}

func valuesMacro(c *call) (*Value, error) {
	d := c.arg("dictionary")
	if !d.IsObject() {
		return nil, c.fail("Values: dictionary is " + d.Kind().String() + ", expected object")
	}
	out := c.e.made(KindArray, c.at)
	out.Elems = make([]*Value, len(d.Members))
	for i, m := range d.Members {
		out.Elems[i] = m.Val
	}
	return out, nil
}

// mergeMacro concatenates arrays or strings, or merges objects (later keys
// win); the first param decides which.
func mergeMacro(c *call) (*Value, error) {
	p := c.arg("params")
	if !p.IsArray() {
		return nil, c.fail("Merge: 'params' is " + p.Kind().String() + ", expected array")
	}
	if len(p.Elems) == 0 {
		return nil, c.fail("Merge: empty params")
	}
	res := p.Elems[0]
	switch res.Kind() {
	case KindArray, KindObject, KindString:
	default:
		return nil, c.fail("Merge: first param is " + res.Kind().String() + ", expected array/object/string")
	}
	for i, it := range p.Elems[1:] {
		if it.Kind() != res.Kind() {
			return nil, c.fail("Merge: param " + strconv.Itoa(i+1) + " is " + it.Kind().String() + ", expected " + res.Kind().String())
		}
		switch res.Kind() {
		case KindArray:
			res.Elems = append(res.Elems, it.Elems...)
		case KindObject:
			for _, m := range it.Members {
				res.Set(m.Key, m.Val)
			}
		case KindString:
			res.s += it.s
		}
	}
	return res, nil
}

func selectMacro(c *call) (*Value, error) {
	dict, _, err := c.raw("dictionary")
	if err != nil {
		return nil, err
	}
	key, _, err := c.raw("key")
	if err != nil {
		return nil, err
	}
	orDefault := func(msg string) (*Value, error) {
		def, ok, err := c.raw("default")
		if err != nil {
			return nil, err
		}
		if ok {
			return def, nil
		}
		return nil, c.fail(msg)
	}
	switch dict.Kind() {
	case KindObject:
		k, ok := key.String()
		if !ok {
			return nil, c.fail("Select: dictionary is an object, key is " + key.Kind().String() + ", expected string")
		}
		if v := dict.Get(k); v != nil {
			return v, nil
		}
		return orDefault("Select: '" + k + "' not found, default not specified")
	case KindArray:
		id, ok := key.Int()
		if !ok {
			return nil, c.fail("Select: dictionary is an array, key is " + key.Kind().String() + ", expected int")
		}
		if id < 0 {
			id += int64(len(dict.Elems))
		}
		if id >= 0 && id < int64(len(dict.Elems)) {
			return dict.Elems[id], nil
		}
		return orDefault("Select: index " + strconv.FormatInt(id, 10) + " is out of range [0, " + strconv.Itoa(len(dict.Elems)) + ")")
	}
	return nil, c.fail("Select: dictionary is " + dict.Kind().String() + ", expected array/object")
}

// shuffleMacro shuffles an array; with a seed, exactly as mcrouter built
// against libstdc++ does (std::shuffle with std::minstd_rand(seed)).
func shuffleMacro(c *call) (*Value, error) {
	arr, _, err := c.raw("dictionary")
	if err != nil {
		return nil, err
	}
	if !arr.IsArray() {
		return nil, c.fail("Shuffle: argument must be an array, not " + arr.Kind().String())
	}
	seed, ok, err := c.raw("seed")
	if err != nil {
		return nil, err
	}
	if ok {
		s, isInt := seed.Int()
		if !isInt || s < 0 {
			return nil, c.fail("Shuffle: seed must be a non-negative integer")
		}
		if err := stdShuffle(arr.Elems, newMinstd(uint32(s))); err != nil {
			return nil, c.fail("Shuffle: " + err.Error())
		}
		return arr, nil
	}
	swap := func(i, j int) { arr.Elems[i], arr.Elems[j] = arr.Elems[j], arr.Elems[i] }
	if c.e.opts.Rand != nil {
		c.e.opts.Rand.Shuffle(len(arr.Elems), swap)
	} else {
		rand.Shuffle(len(arr.Elems), swap)
	}
	return arr, nil
}

// sliceMacro: inclusive [from, to] of an array or string (clamped), or the
// members of an object whose keys lie in [from, to].
func sliceMacro(c *call) (*Value, error) {
	from, to, dict := c.arg("from"), c.arg("to"), c.arg("dictionary")
	switch dict.Kind() {
	case KindObject:
		f, ok1 := from.String()
		t, ok2 := to.String()
		if !ok1 {
			return nil, c.fail("Slice: from is " + from.Kind().String() + ", expected string")
		}
		if !ok2 {
			return nil, c.fail("Slice: to is " + to.Kind().String() + ", expected string")
		}
		out := c.e.made(KindObject, dict)
		out.Members = []Member{}
		for _, m := range dict.Members {
			if f <= m.Key && m.Key <= t {
				out.Members = append(out.Members, m)
			}
		}
		return out, nil
	case KindArray, KindString:
		f, ok1 := from.Int()
		t, ok2 := to.Int()
		if !ok1 || !ok2 {
			return nil, c.fail("Slice: from/to is not an int")
		}
		n := int64(dict.Len())
		lo := min(max(f, 0), n)
		hi := min(t, n-1) + 1 // t+1 without overflow
		if hi < lo {
			hi = lo
		}
		if dict.IsString() {
			return c.e.str(dict.s[lo:hi], dict), nil
		}
		out := c.e.made(KindArray, dict)
		out.Elems = append([]*Value{}, dict.Elems[lo:hi]...)
		return out, nil
	}
	return nil, c.fail("Slice: dictionary is " + dict.Kind().String() + ", expected array/object/string")
}

// splitMacro splits a string on a delimiter string, as folly::split
// (empty pieces kept; an empty delimiter gives the whole string).
func splitMacro(c *call) (*Value, error) {
	d, ok := c.arg("dictionary").String()
	if !ok {
		return nil, c.fail("Split: dictionary is " + c.arg("dictionary").Kind().String() + ", string expected")
	}
	delim, ok := c.arg("delim").String()
	if !ok {
		return nil, c.fail("Split: delim is " + c.arg("delim").Kind().String() + ", string expected")
	}
	var parts []string
	if delim == "" || len(delim) > len(d) {
		parts = []string{d}
	} else {
		parts = strings.Split(d, delim)
	}
	out := c.e.made(KindArray, c.at)
	out.Elems = make([]*Value, len(parts))
	for i, p := range parts {
		out.Elems[i] = c.e.str(p, c.at)
	}
	return out, nil
}

// maxRange bounds @range so that a typo cannot exhaust memory (mcrouter
// has no bound).
const maxRange = 1 << 24

func rangeMacro(c *call) (*Value, error) {
	from, ok := c.arg("from").Int()
	if !ok {
		return nil, c.fail("Range: from is " + c.arg("from").Kind().String() + ", expected int")
	}
	to, ok := c.arg("to").Int()
	if !ok {
		return nil, c.fail("Range: to is " + c.arg("to").Kind().String() + ", expected int")
	}
	out := c.e.made(KindArray, c.at)
	out.Elems = []*Value{}
	if to < from {
		return out, nil
	}
	if uint64(to-from) >= maxRange {
		return nil, c.fail("Range: more than " + strconv.Itoa(maxRange) + " elements")
	}
	for i := from; ; i++ {
		out.Elems = append(out.Elems, c.e.integer(i, c.at))
		if i == to {
			break
		}
	}
	return out, nil
}

func containsMacro(c *call) (*Value, error) {
	d, key := c.arg("dictionary"), c.arg("key")
	switch d.Kind() {
	case KindObject:
		k, ok := key.String()
		if !ok {
			return nil, c.fail("Contains: dictionary is an object, key is " + key.Kind().String() + ", expected string")
		}
		return c.e.boolean(d.Get(k) != nil, c.at), nil
	case KindArray:
		for _, el := range d.Elems {
			if el.Equal(key) {
				return c.e.boolean(true, c.at), nil
			}
		}
		return c.e.boolean(false, c.at), nil
	case KindString:
		k, ok := key.String()
		if !ok {
			return nil, c.fail("Contains: dictionary is a string, key is " + key.Kind().String() + ", expected string")
		}
		return c.e.boolean(strings.Contains(d.s, k), c.at), nil
	}
	return nil, c.fail("Contains: dictionary is " + d.Kind().String() + ", expected object/array/string")
}

func emptyMacro(c *call) (*Value, error) {
	d := c.arg("dictionary")
	switch d.Kind() {
	case KindObject, KindArray, KindString:
		return c.e.boolean(d.Len() == 0, c.at), nil
	}
	return nil, c.fail("empty: dictionary is " + d.Kind().String() + ", expected object/array/string")
}

func sizeMacro(c *call) (*Value, error) {
	d := c.arg("dictionary")
	switch d.Kind() {
	case KindObject, KindArray, KindString:
		return c.e.integer(int64(d.Len()), c.at), nil
	}
	return nil, c.fail("size: dictionary is " + d.Kind().String() + ", expected object/array/string")
}

func equalsMacro(c *call) (*Value, error) {
	return c.e.boolean(c.arg("A").Equal(c.arg("B")), c.at), nil
}

func isKind(k Kind) func(c *call) (*Value, error) {
	return func(c *call) (*Value, error) {
		return c.e.boolean(c.arg("value").Kind() == k, c.at), nil
	}
}

func lessMacro(c *call) (*Value, error) {
	less, msg := dynamicLess(c.arg("A"), c.arg("B"))
	if msg != "" {
		return nil, c.fail(msg)
	}
	return c.e.boolean(less, c.at), nil
}

func intOp(name string, op func(a, b int64) (int64, string)) func(c *call) (*Value, error) {
	return func(c *call) (*Value, error) {
		a, ok := c.arg("A").Int()
		if !ok {
			return nil, c.fail(name + ": A is " + c.arg("A").Kind().String() + ", expected int")
		}
		b, ok := c.arg("B").Int()
		if !ok {
			return nil, c.fail(name + ": B is " + c.arg("B").Kind().String() + ", expected int")
		}
		r, msg := op(a, b)
		if msg != "" {
			return nil, c.fail(name + ": " + msg)
		}
		return c.e.integer(r, c.at), nil
	}
}

func bitwiseNotMacro(c *call) (*Value, error) {
	a, ok := c.arg("A").Int()
	if !ok {
		return nil, c.fail("bitwiseNot: A is " + c.arg("A").Kind().String() + ", expected int")
	}
	return c.e.integer(^a, c.at), nil
}

// andOrMacro evaluates B only when A does not decide the result.
func andOrMacro(name string, decisive bool) func(c *call) (*Value, error) {
	return func(c *call) (*Value, error) {
		a, _, err := c.raw("A")
		if err != nil {
			return nil, err
		}
		ab, ok := a.Bool()
		if !ok {
			return nil, c.fail(name + ": A is " + a.Kind().String() + ", expected bool")
		}
		if ab == decisive {
			return c.e.boolean(decisive, c.at), nil
		}
		b, _, err := c.raw("B")
		if err != nil {
			return nil, err
		}
		bb, ok := b.Bool()
		if !ok {
			return nil, c.fail(name + ": B is " + b.Kind().String() + ", expected bool")
		}
		return c.e.boolean(bb, c.at), nil
	}
}

func notMacro(c *call) (*Value, error) {
	a, ok := c.arg("A").Bool()
	if !ok {
		return nil, c.fail("not: A is " + c.arg("A").Kind().String() + ", expected bool")
	}
	return c.e.boolean(!a, c.at), nil
}

func failMacro(c *call) (*Value, error) {
	msg := c.arg("msg")
	if s, ok := msg.String(); ok {
		return nil, c.fail(s)
	}
	return nil, c.fail(string(msg.Marshal(true, false)))
}

func sortMacro(c *call) (*Value, error) {
	d := c.arg("dictionary")
	if !d.IsArray() {
		return nil, c.fail("sort: dictionary is " + d.Kind().String() + ", expected array")
	}
	var msg string
	sort.SliceStable(d.Elems, func(i, j int) bool {
		less, m := dynamicLess(d.Elems[i], d.Elems[j])
		if m != "" && msg == "" {
			msg = m
		}
		return less
	})
	if msg != "" {
		return nil, c.fail("sort: " + msg)
	}
	return d, nil
}

func setMacro(c *call) (*Value, error) {
	key, val, d := c.arg("key"), c.arg("value"), c.arg("dictionary")
	switch d.Kind() {
	case KindObject:
		k, ok := key.String()
		if !ok {
			return nil, c.fail("Set: key is " + key.Kind().String() + ", expected string")
		}
		d.Set(k, val)
		return d, nil
	case KindArray:
		id, ok := key.Int()
		if !ok {
			return nil, c.fail("Set: key is " + key.Kind().String() + ", expected int")
		}
		if id < 0 || id >= int64(len(d.Elems)) {
			return nil, c.fail("Set: key '" + strconv.FormatInt(id, 10) + "' is out of range [0.." + strconv.Itoa(len(d.Elems)) + ")")
		}
		d.Elems[id] = val
		return d, nil
	}
	return nil, c.fail("Set: dictionary is " + d.Kind().String() + ", expected array/object")
}

// ifMacro expands only the branch it returns.
func ifMacro(c *call) (*Value, error) {
	cond, _, err := c.raw("condition")
	if err != nil {
		return nil, err
	}
	b, ok := cond.Bool()
	if !ok {
		return nil, c.fail("If: condition is " + cond.Kind().String() + ", expected bool")
	}
	branch := "is_false"
	if b {
		branch = "is_true"
	}
	v, _, err := c.raw(branch)
	if err != nil {
		return nil, wrap(err, c.at, "If '"+branch+"'")
	}
	return v, nil
}

func definedMacro(c *call) (*Value, error) {
	n, ok := c.arg("name").String()
	if !ok {
		return nil, c.fail("Defined: name is " + c.arg("name").Kind().String() + ", string expected")
	}
	return c.e.boolean(c.e.defined(c.s.outer, n), c.at), nil
}

func isLocalIPMacro(c *call) (*Value, error) {
	s, ok := c.arg("ip").String()
	if !ok {
		return nil, c.fail("isLocalIp: ip is " + c.arg("ip").Kind().String() + ", string expected")
	}
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return c.e.boolean(false, c.at), nil // not an IP
	}
	if c.e.opts.LocalAddrs == nil {
		return nil, c.fail("isLocalIp: local addresses are not available (Options.LocalAddrs is nil)")
	}
	addrs, err := c.e.opts.LocalAddrs()
	if err != nil {
		return nil, c.fail("Can not enumerate local ips: " + err.Error())
	}
	ip = ip.Unmap().WithZone("")
	for _, a := range addrs {
		if a.Unmap().WithZone("") == ip {
			return c.e.boolean(true, c.at), nil
		}
	}
	return c.e.boolean(false, c.at), nil
}
