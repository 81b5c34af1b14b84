package jsonm

import (
	"strconv"
)

// macro is a user macroDef or a built-in macro.
type macro struct {
	name     string
	params   []macroParam
	min, max int
	// raw built-ins get their arguments unexpanded and expand the ones
	// they need in the caller's scope (lazy: and, or, if, select, …).
	raw  bool
	body *Value // user macros: the "result" to expand
	fn   func(c *call) (*Value, error)
}

type macroParam struct {
	name     string
	def      *Value // nil: no default (a null default counts as none, as in mcrouter)
	required bool
}

// call is one macro invocation.
type call struct {
	e *expander
	m *macro
	s *scope // the call's own scope: bound params; s.outer is the caller's
	// at is the string or object that made the call.
	at *Value
}

// newMacro checks a macroDef's params as mcrouter's Macro::initParams.
// params may hold *Value (user macros) or are built from a spec string.
func newMacro(name string, params []*Value, body *Value) (*macro, error) {
	m := &macro{name: name, body: body, min: len(params), max: len(params)}
	needOptional := false
	for _, p := range params {
		hasOptional := false
		switch p.Kind() {
		case KindString:
			m.params = append(m.params, macroParam{name: p.s, required: true})
		case KindObject:
			n := p.Get("name")
			if n == nil {
				return nil, errAt(p, "Macro param object: 'name' not found")
			}
			pname, ok := n.String()
			if !ok {
				return nil, errAt(n, "Macro param object name is "+n.Kind().String()+", string expected")
			}
			opt := p.Get("optional")
			if opt != nil && !opt.IsBool() {
				return nil, errAt(opt, "Incorrect definition for parameter '"+pname+"' in macro '"+name+
					"'. Expected optional parameter 'optional' to be boolean, but got "+opt.Kind().String()+"!")
			}
			isOpt := opt != nil && opt.b
			if def := p.Get("default"); def != nil {
				if opt != nil && !opt.b {
					return nil, errAt(p, "Conflicting options provided for parameter '"+pname+"' in macro '"+name+
						"'. Default was set, but the parameter is also explicitly marked as not optional.")
				}
				hasOptional = true
				m.min--
				if def.IsNull() {
					def = nil
				}
				m.params = append(m.params, macroParam{name: pname, def: def})
			} else if isOpt {
				hasOptional = true
				m.min--
				m.params = append(m.params, macroParam{name: pname})
			} else {
				m.params = append(m.params, macroParam{name: pname, required: true})
			}
		default:
			return nil, errAt(p, "Macro param is "+p.Kind().String()+", expected string/object")
		}
		if !hasOptional && needOptional {
			return nil, errAt(p, "Incorrect defaults/optionals in macro "+name+
				". All params after optional/default one should also be optional or have default value")
		}
		needOptional = needOptional || hasOptional
	}
	return m, nil
}

// callString calls m with the arguments of "@name(args)", written at at
// and expanded in the caller's scope s.
func (e *expander) callString(m *macro, args []string, at *Value, s *scope) (*Value, error) {
	if len(args) < m.min {
		return nil, errAt(at, "Too few arguments for macro "+m.name+". Expected at least "+
			strconv.Itoa(m.min)+" got "+strconv.Itoa(len(args)))
	}
	if len(args) > m.max {
		return nil, errAt(at, "Too many arguments for macro "+m.name+". Expected at most "+
			strconv.Itoa(m.max)+" got "+strconv.Itoa(len(args)))
	}
	cs := newScope(s, true)
	for i, a := range args {
		p := m.params[i]
		if m.raw {
			if err := cs.bind(p.name, &binding{val: &Value{kind: KindString, s: a, File: at.File, Line: at.Line}, state: bindRaw}, at); err != nil {
				return nil, err
			}
			continue
		}
		v, err := e.expandString(a, at, s)
		if err != nil {
			return nil, wrap(err, at, "argument #"+strconv.Itoa(i+1)+" ("+p.name+") "+strconv.Quote(a))
		}
		if err := cs.bind(p.name, &binding{val: v}, at); err != nil {
			return nil, err
		}
	}
	for _, p := range m.params[len(args):] {
		if p.def != nil {
			if err := cs.bind(p.name, &binding{val: e.copyOf(p.def)}, at); err != nil {
				return nil, err
			}
		}
	}
	return e.invoke(m, cs, at)
}

// callObject calls m with the fields of obj, the long form
// {"type": "name", "param": value, ...}, expanded in the caller's scope s.
func (e *expander) callObject(m *macro, obj *Value, s *scope) (*Value, error) {
	cs := newScope(s, true)
	for _, p := range m.params {
		f := obj.Get(p.name)
		if f == nil {
			if p.required {
				return nil, errAt(obj, "Macro call "+m.name+": '"+p.name+"' parameter not found")
			}
			if p.def != nil {
				if err := cs.bind(p.name, &binding{val: e.copyOf(p.def)}, obj); err != nil {
					return nil, err
				}
			}
			continue
		}
		if m.raw {
			if err := cs.bind(p.name, &binding{val: f, state: bindRaw}, obj); err != nil {
				return nil, err
			}
			continue
		}
		v, err := e.expand(f, s)
		if err != nil {
			return nil, wrap(err, f, "param "+strconv.Quote(p.name))
		}
		if err := cs.bind(p.name, &binding{val: v}, obj); err != nil {
			return nil, err
		}
	}
	return e.invoke(m, cs, obj)
}

func (e *expander) invoke(m *macro, cs *scope, at *Value) (*Value, error) {
	if m.body != nil {
		return e.withVia(at, func() (*Value, error) { return e.expand(m.body, cs) })
	}
	return m.fn(&call{e: e, m: m, s: cs, at: at})
}

// arg returns the expanded argument name, or nil when an optional one was
// not given.
func (c *call) arg(name string) *Value {
	if b := c.s.vars[name]; b != nil {
		return b.val
	}
	return nil
}

// raw expands a raw argument in the caller's scope; ok is false when an
// optional argument was not given.
func (c *call) raw(name string) (v *Value, ok bool, err error) {
	b := c.s.vars[name]
	if b == nil {
		return nil, false, nil
	}
	if b.state != bindRaw {
		return b.val, true, nil
	}
	v, err = c.e.expand(b.val, c.s.outer)
	if err != nil {
		return nil, true, wrap(err, b.val, "argument "+strconv.Quote(name))
	}
	b.val, b.state = v, bindValue
	return v, true, nil
}

// fail returns an error positioned at the call.
func (c *call) fail(msg string) error { return errAt(c.at, msg) }

// parseMacroDefs reads the top-level "macros": an object of definitions
// or an array of such objects (or of arrays), expanded first so that it
// may be built with @import and friends.
func (e *expander) parseMacroDefs(jm *Value) error {
	m, err := e.expand(jm, nil)
	if err != nil {
		return err
	}
	switch m.Kind() {
	case KindObject:
		for _, mem := range m.Members {
			if err := e.parseMacroDef(mem.Key, mem.Val); err != nil {
				return wrapPath(err, mem.Val, pathKey(mem.Key))
			}
		}
	case KindArray:
		for i, el := range m.Elems {
			if err := e.parseMacroDefs(el); err != nil {
				return wrapPath(err, el, "["+strconv.Itoa(i)+"]")
			}
		}
	default:
		return errAt(jm, "config macros is "+m.Kind().String()+", expected array/object")
	}
	return nil
}

func (e *expander) parseMacroDef(name string, def *Value) error {
	if !def.IsObject() {
		return errAt(def, "'"+name+"' macro definition is "+def.Kind().String()+", expected object")
	}
	t := def.Get("type")
	if t == nil {
		return errAt(def, "macro definition '"+name+"': 'type' not found")
	}
	typ, ok := t.String()
	if !ok {
		return errAt(t, "macro definition type is "+t.Kind().String()+", string expected")
	}
	switch typ {
	case "macroDef":
		res := def.Get("result")
		if res == nil {
			return errAt(def, "Macro definition '"+name+"': 'result' not found")
		}
		var params []*Value
		if p := def.Get("params"); p != nil {
			if !p.IsArray() {
				return errAt(p, "'"+name+"' macroDef params is "+p.Kind().String()+", expected array")
			}
			params = p.Elems
		}
		m, err := newMacro(name, params, res)
		if err != nil {
			return err
		}
		e.macros[name] = m
	case "constDef":
		res := def.Get("result")
		if res == nil {
			return errAt(def, "constDef '"+name+"': 'result' not found")
		}
		e.consts[name] = &constant{name: name, raw: res}
	default:
		return errAt(t, "Unknown macro definition type: "+typ)
	}
	return nil
}
