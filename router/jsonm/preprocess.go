package jsonm

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
)

// DefaultNestingLimit is mcrouter's limit on nested expansions: every
// nested value, string, macro call and argument counts one level, so a
// macro that calls itself fails with "Too many nested macros".
const DefaultNestingLimit = 250

// Loader reads the file an @import(path) names. path is the expanded
// argument as written, including any "file:" prefix; the loader resolves
// it (see [ResolveImport] for mcrouter's rule, and [FileLoader]) and
// returns the name to report in positions and errors together with the
// raw text, which may be JSONC with macros.
type Loader func(path string) (file string, data []byte, err error)

// Options configures [Preprocess].
type Options struct {
	// Globals are constants visible as %name% everywhere: mcrouter's
	// built-in global params and the --config-params pairs. Build them
	// with [Globals.Params]. Like mcrouter, they are expanded as JSONM
	// on first use.
	Globals map[string]*Value

	// Load reads @import files. With a nil Load every @import fails
	// (and uses its default argument when it has one).
	Load Loader

	// Imported, when not nil, receives one entry per file read through
	// Load: the file name Load returned → hex MD5 of its raw content, for
	// config_sources_info and reload tracking.
	Imported map[string]string

	// LocalAddrs lists the host's addresses for @isLocalIp. When nil,
	// @isLocalIp of an IP address is an error.
	LocalAddrs func() ([]netip.Addr, error)

	// NestingLimit overrides DefaultNestingLimit when > 0.
	NestingLimit int

	// Rand drives @shuffle without a seed; nil uses math/rand/v2's
	// global source. (@shuffle with a seed is deterministic and matches
	// mcrouter.)
	Rand *rand.Rand
}

// Preprocess expands the JSONM macros of root, mcrouter's parsed config,
// and returns the plain config: "macros" is read and removed, then every
// value is expanded (§1.7 of the behaviour spec; mcrouter's
// ConfigPreprocessor::getConfigWithoutMacros). root must be an object and
// is not modified; the result shares nothing with it. Errors are *Error
// values naming the file:line and the macro, parameter or JSON path that
// failed.
func Preprocess(root *Value, opts Options) (*Value, error) {
	if !root.IsObject() {
		return nil, errAt(root, "config is "+root.Kind().String()+", expected object")
	}
	e := newExpander(opts)
	body := root
	if m := root.Get("macros"); m != nil {
		if err := e.parseMacroDefs(m); err != nil {
			return nil, wrapPath(err, m, "macros")
		}
		body = &Value{kind: KindObject, File: root.File, Line: root.Line, Members: make([]Member, 0, len(root.Members)-1)}
		for _, mem := range root.Members {
			if mem.Key != "macros" {
				body.Members = append(body.Members, mem)
			}
		}
	}
	return e.expand(body, nil)
}

// expander holds the state of one Preprocess run.
type expander struct {
	opts    Options
	macros  map[string]*macro
	consts  map[string]*constant
	imports map[string]*Value // @import cache by path, as mcrouter
	limit   int
	depth   int
	via     string // Via for values made now; set by the outermost user macro call or import
}

// constant is a constDef or global param, expanded on first use.
type constant struct {
	name  string
	raw   *Value
	val   *Value
	state uint8 // 0 unexpanded, 1 expanding, 2 done
}

func newExpander(opts Options) *expander {
	e := &expander{
		opts:    opts,
		macros:  make(map[string]*macro, len(builtinMacros)+16),
		consts:  make(map[string]*constant, len(opts.Globals)+16),
		imports: make(map[string]*Value),
		limit:   opts.NestingLimit,
	}
	if e.limit <= 0 {
		e.limit = DefaultNestingLimit
	}
	for name, v := range opts.Globals {
		e.consts[name] = &constant{name: name, raw: v}
	}
	for i := range builtinMacros {
		b := &builtinMacros[i]
		m, err := newMacro(b.name, b.params, nil)
		if err != nil {
			panic("jsonm: bad built-in " + b.name + ": " + err.Error())
		}
		m.raw, m.fn = b.raw, b.fn
		e.macros[b.name] = m
	}
	return e
}

const errNesting = "Too many nested macros. Check for cycles."

// enter counts one nesting level, as mcrouter's NestedLimitGuard; the
// caller must call e.leave when enter succeeded.
func (e *expander) enter(at *Value) error {
	e.depth++
	if e.depth >= e.limit {
		e.depth--
		return errAt(at, errNesting)
	}
	return nil
}

func (e *expander) leave() { e.depth-- }

// made returns a new value of kind positioned at at.
func (e *expander) made(kind Kind, at *Value) *Value {
	v := &Value{kind: kind, Via: e.via}
	if at != nil {
		v.File, v.Line = at.File, at.Line
	}
	return v
}

func (e *expander) str(s string, at *Value) *Value {
	v := e.made(KindString, at)
	v.s = s
	return v
}

func (e *expander) integer(i int64, at *Value) *Value {
	v := e.made(KindInt, at)
	v.i = i
	return v
}

func (e *expander) boolean(b bool, at *Value) *Value {
	v := e.made(KindBool, at)
	v.b = b
	return v
}

// copyOf returns a deep copy of v for a new place in the output; values
// that have no Via yet get the current one.
func (e *expander) copyOf(v *Value) *Value {
	c := v.Clone()
	if e.via != "" {
		setVia(c, e.via)
	}
	return c
}

func setVia(v *Value, via string) {
	if v.Via == "" {
		v.Via = via
	}
	for _, el := range v.Elems {
		setVia(el, via)
	}
	for _, m := range v.Members {
		setVia(m.Val, via)
	}
}

// withVia runs f with e.via set to at's position unless an outer call
// already set it.
func (e *expander) withVia(at *Value, f func() (*Value, error)) (*Value, error) {
	if e.via != "" {
		return f()
	}
	e.via = at.Pos()
	defer func() { e.via = "" }()
	return f()
}

// expand is mcrouter's expandMacros: it returns the expansion of v in
// scope s (nil: the top level, which sees only constants).
func (e *expander) expand(v *Value, s *scope) (*Value, error) {
	if err := e.enter(v); err != nil {
		return nil, err
	}
	defer e.leave()
	switch v.Kind() {
	case KindString:
		return e.expandString(v.s, v, s)
	case KindObject:
		return e.expandObject(v, s)
	case KindArray:
		out := e.made(KindArray, v)
		out.Elems = make([]*Value, len(v.Elems))
		for i, el := range v.Elems {
			x, err := e.expand(el, s)
			if err != nil {
				return nil, wrapPath(err, el, "["+strconv.Itoa(i)+"]")
			}
			out.Elems[i] = x
		}
		return out, nil
	}
	c := *v
	if c.Via == "" {
		c.Via = e.via
	}
	return &c, nil
}

// builtinCalls are the object-only built-ins, which get the whole object
// unexpanded. macroDef and constDef stay as they are.
var builtinCalls map[string]func(e *expander, obj *Value, s *scope) (*Value, error)

func init() {
	builtinCalls = map[string]func(e *expander, obj *Value, s *scope) (*Value, error){
		"macroDef":  func(e *expander, obj *Value, _ *scope) (*Value, error) { return e.copyOf(obj), nil },
		"constDef":  func(e *expander, obj *Value, _ *scope) (*Value, error) { return e.copyOf(obj), nil },
		"transform": (*expander).transform,
		"process":   (*expander).process,
		"foreach":   (*expander).foreach,
	}
}

func (e *expander) expandObject(v *Value, s *scope) (*Value, error) {
	local := s
	obj := v
	if vars := v.Get("vars"); vars != nil {
		if !vars.IsObject() {
			return nil, errAt(vars, "vars is "+vars.Kind().String()+", expected object")
		}
		ext := newScope(s, false)
		for _, m := range vars.Members {
			ext.set(m.Key, &binding{val: m.Val, state: bindLazy})
		}
		for _, m := range vars.Members {
			if _, err := e.force(ext, m.Key, ext.vars[m.Key]); err != nil {
				return nil, err
			}
		}
		local = ext
		obj = &Value{kind: KindObject, File: v.File, Line: v.Line, Members: make([]Member, 0, len(v.Members)-1)}
		for _, m := range v.Members {
			if m.Key != "vars" {
				obj.Members = append(obj.Members, m)
			}
		}
	}

	if t := obj.Get("type"); t != nil {
		tv, err := e.expand(t, local)
		if err != nil {
			return nil, wrapPath(err, t, "type")
		}
		if name, ok := tv.String(); ok {
			if call := builtinCalls[name]; call != nil {
				r, err := call(e, obj, local)
				if err != nil {
					return nil, wrap(err, v, "built-in "+strconv.Quote(name))
				}
				return r, nil
			}
			if m := e.macros[name]; m != nil {
				r, err := e.callObject(m, obj, local)
				if err != nil {
					return nil, wrap(err, v, "macro "+strconv.Quote(name)+" (object form)")
				}
				return r, nil
			}
		}
	}

	out := e.made(KindObject, v)
	out.Members = make([]Member, 0, len(obj.Members))
	for _, m := range obj.Members {
		key := m.Key
		if needsExpansion(key) {
			k, err := e.expand(&Value{kind: KindString, s: key, File: m.Val.File, Line: m.Val.Line}, local)
			if err != nil {
				return nil, wrap(err, m.Val, "key "+strconv.Quote(key))
			}
			ks, ok := k.String()
			if !ok {
				return nil, wrap(errAt(m.Val, "expanded key is "+k.Kind().String()+", expected string"), m.Val, "key "+strconv.Quote(key))
			}
			key = ks
		}
		val, err := e.expand(m.Val, local)
		if err != nil {
			return nil, wrapPath(err, m.Val, pathKey(m.Key))
		}
		out.Set(key, val)
	}
	return out, nil
}

// needsExpansion reports whether a string may expand to something else.
func needsExpansion(s string) bool {
	if len(s) > 0 && s[0] == '@' {
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || s[i] == '\\' {
			return true
		}
	}
	return false
}

// expandString is mcrouter's expandStringMacro: a string starting with
// '@' is a macro call, anything else goes through %param% substitution.
// at is the value the text came from, for positions.
func (e *expander) expandString(str string, at *Value, s *scope) (*Value, error) {
	if err := e.enter(at); err != nil {
		return nil, err
	}
	defer e.leave()
	if str == "" || str[0] != '@' {
		return e.replaceParams(str, at, s)
	}
	var args []string
	name := str[1:]
	if open := findUnescaped(str, '('); open >= 0 {
		if str[len(str)-1] != ')' {
			return nil, errAt(at, "No closing bracket for call '"+str+"'")
		}
		name = str[1:open]
		var err error
		args, err = splitCallArgs(str[open+1 : len(str)-1])
		if err != nil {
			return nil, errAt(at, err.Error()+" in call '"+str+"'")
		}
	}
	nv, err := e.replaceParams(name, at, s)
	if err != nil {
		return nil, wrap(err, at, "macro name of '"+str+"'")
	}
	ns, ok := nv.String()
	if !ok {
		return nil, errAt(at, "Macro name is "+nv.Kind().String()+", string expected, in '"+str+"'")
	}
	m := e.macros[ns]
	if m == nil {
		return nil, errAt(at, "Macro '"+ns+"' not found")
	}
	r, err := e.callString(m, args, at, s)
	if err != nil {
		return nil, wrap(err, at, "macro call "+strconv.Quote(str))
	}
	return r, nil
}

// replaceParams substitutes %name% in str. Backslash escapes the next
// character. When the whole string is one %name%, the value keeps its
// JSON type; otherwise it must be a string.
func (e *expander) replaceParams(str string, at *Value, s *scope) (*Value, error) {
	if !hasPercentOrBackslash(str) {
		return e.str(str, at), nil
	}
	var buf []byte
	for str != "" {
		pos := unescapeUntil(str, &buf, '%')
		if pos < 0 {
			break
		}
		str = str[pos+1:]
		var name []byte
		next := unescapeUntil(str, &name, '%')
		if next < 0 {
			return nil, errAt(at, "Odd number of percent signs in string around '"+str+"'")
		}
		val, err := e.lookup(s, string(name), at)
		if err != nil {
			return nil, err
		}
		if len(buf) == 0 && next == len(str)-1 {
			return e.copyOf(val), nil
		}
		vs, ok := val.String()
		if !ok {
			return nil, errAt(at, "Param in string '"+string(name)+"' is "+val.Kind().String()+", expected string")
		}
		buf = append(buf, vs...)
		str = str[next+1:]
	}
	return e.str(string(buf), at), nil
}

func hasPercentOrBackslash(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || s[i] == '\\' {
			return true
		}
	}
	return false
}

// lookup finds %name%: local scopes first, then constants and globals.
func (e *expander) lookup(s *scope, name string, at *Value) (*Value, error) {
	for sc := s; sc != nil; sc = sc.outer {
		if b, ok := sc.vars[name]; ok {
			return e.force(sc, name, b)
		}
		if sc.base {
			break
		}
	}
	c := e.consts[name]
	if c == nil {
		return nil, errAt(at, "Param in string: '"+name+"' not found (no macro param, var or constant of that name)")
	}
	return e.constValue(c)
}

func (e *expander) constValue(c *constant) (*Value, error) {
	switch c.state {
	case 2:
		return c.val, nil
	case 1:
		return nil, errAt(c.raw, errNesting)
	}
	c.state = 1
	saved := e.via
	e.via = ""
	v, err := e.expand(c.raw, nil)
	e.via = saved
	if err != nil {
		c.state = 0
		return nil, wrap(err, c.raw, "const "+strconv.Quote(c.name))
	}
	c.val, c.state = v, 2
	return v, nil
}

// force returns the value of binding b (named name in scope sc),
// expanding a lazy var in sc first.
func (e *expander) force(sc *scope, name string, b *binding) (*Value, error) {
	switch b.state {
	case bindLazy:
		b.state = bindBusy
		v, err := e.expand(b.val, sc)
		if err != nil {
			b.state = bindLazy
			return nil, wrap(err, b.val, "variable "+strconv.Quote(name))
		}
		b.val, b.state = v, bindValue
	case bindBusy:
		return nil, errAt(b.val, errNesting)
	case bindRaw:
		// Only built-ins bind raw arguments, and they never look up
		// names in their own scope.
		return nil, errAt(b.val, "internal error: raw argument '"+name+"' looked up")
	}
	return b.val, nil
}

// scope is mcrouter's Context: local names (macro params, vars, loop
// variables) over an outer scope. A base scope (a macro call) hides its
// outer scope from lookups.
type scope struct {
	outer *scope
	base  bool
	vars  map[string]*binding
}

type binding struct {
	val   *Value
	state uint8
}

const (
	bindValue uint8 = iota // expanded
	bindLazy               // var not yet expanded
	bindBusy               // var being expanded
	bindRaw                // built-in argument, expanded on demand in the caller's scope
)

func newScope(outer *scope, base bool) *scope {
	return &scope{outer: outer, base: base, vars: make(map[string]*binding, 4)}
}

func (s *scope) set(name string, b *binding) { s.vars[name] = b }

// bind adds name to s; mcrouter refuses duplicates within one scope.
func (s *scope) bind(name string, b *binding, at *Value) error {
	if _, dup := s.vars[name]; dup {
		return errAt(at, "'"+name+"' already exists in local scope")
	}
	s.vars[name] = b
	return nil
}

// defined reports whether name is a local in s (searching outward like a
// lookup) or a constant.
func (e *expander) defined(s *scope, name string) bool {
	for sc := s; sc != nil; sc = sc.outer {
		if _, ok := sc.vars[name]; ok {
			return true
		}
		if sc.base {
			break
		}
	}
	_, ok := e.consts[name]
	return ok
}

// findUnescaped returns the index of the first c in s not preceded by a
// backslash escape, or -1.
func findUnescaped(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == c {
			return i
		}
	}
	return -1
}

// matchingBracket returns the index of the ')' matching the '(' at i, or -1.
func matchingBracket(s string, i int) int {
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
			continue
		case '(':
			depth++
		case ')':
			depth--
		}
		if depth == 0 {
			return i
		}
	}
	return -1
}

// unescapeUntil appends s up to the first unescaped c to *to, dropping
// the backslashes of escapes, and returns the index of c, or -1 when
// there is none (or s ends in a lone backslash).
func unescapeUntil(s string, to *[]byte, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			if i == len(s) {
				return -1
			}
			*to = append(*to, s[i])
			continue
		}
		if s[i] == c {
			return i
		}
		*to = append(*to, s[i])
	}
	return -1
}

type callArgsError string

func (e callArgsError) Error() string { return string(e) }

// splitCallArgs splits the text between the brackets of @name(...) into
// arguments exactly as mcrouter's getCallParams does: on unescaped commas,
// keeping a nested call's bracketed part together, each argument trimmed.
// "" is one empty argument.
func splitCallArgs(str string) ([]string, error) {
	var out []string
	for {
		if str == "" {
			out = append(out, "")
			return out, nil
		}
		comma := findUnescaped(str, ',')
		if comma < 0 {
			return append(out, trimArg(str)), nil
		}
		if open := findUnescaped(str[:comma], '('); open >= 0 {
			closing := matchingBracket(str, open)
			if closing < 0 {
				return nil, callArgsError("Brackets do not match: " + str)
			}
			if closing == len(str)-1 {
				return append(out, trimArg(str)), nil
			}
			comma = closing + 1
			for comma < len(str) && str[comma] != ',' {
				comma++
			}
			if comma == len(str) {
				return nil, callArgsError("No comma after closing bracket: " + str)
			}
		}
		out = append(out, trimArg(str[:comma]))
		str = str[comma+1:]
	}
}

// trimArg trims leading whitespace and trailing whitespace that is not
// escaped with a backslash.
func trimArg(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r') {
		s = s[1:]
	}
	for len(s) > 0 {
		c := s[len(s)-1]
		if !(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
			break
		}
		if len(s) > 1 {
			slashes := 0
			for j := len(s) - 2; j >= 0 && s[j] == '\\'; j-- {
				slashes++
			}
			if slashes > 0 {
				if slashes%2 == 0 {
					s = s[:len(s)-1]
				}
				break
			}
		}
		s = s[:len(s)-1]
	}
	return s
}
