package router

import (
	"bytes"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("BlackholeRoute", newBlackholeRoute) }

// blackholeRoute sends the requests its policies match to blackhole_child
// (NullRoute unless given) and the rest to default: mcrouter's
// BlackholeRoute (mcrouter-behaviour.md §2.4).
//
// policies is {"<field>": [{"op": "equals"|"not_equals", "value": v}, ...]}
// over the fields of mcrouter's request structs: policies for one field
// are or'ed, fields are and'ed, and a field the request type does not
// have is skipped (so a request whose type has none of the fields, or
// empty policies, is blackholed, as in mcrouter). Fields: "key" (the full
// key; string values), "flags" (not on touch, gat, gats), "exptime" (on
// set, add, replace, append, prepend, cas, delete, touch, gat, gats),
// "casToken" (cas), "delta" (incr, decr), and "value"/"attributes"
// (storage ops; delete), which mcrouter cannot compare, so a policy on
// them never matches. Numbers compare as mcrouter's cast does: int values
// against the field as int64, doubles as float64, bools as field != 0.
type blackholeRoute struct {
	def, hole Handle
	kids      []Handle
	fields    []bhField
}

// bhField is the policies of one request field.
type bhField struct {
	field    int // bhKey...
	policies []bhPolicy
}

const (
	bhKey = iota
	bhFlags
	bhExptime
	bhCas
	bhDelta
	bhValue // value, attributes: present on some ops, never comparable
	bhOther // not a field of any memcache request mcroute routes
)

// bhPolicy is one {"op", "value"}.
type bhPolicy struct {
	notEquals bool
	kind      jsonm.Kind
	i         int64
	f         float64
	b         bool
	s         []byte
}

var bhFieldNames = map[string]int{
	"key": bhKey, "flags": bhFlags, "exptime": bhExptime, "casToken": bhCas,
	"delta": bhDelta, "value": bhValue, "attributes": bhValue,
}

// bhHas reports whether requests of op have field f.
func bhHas(op mc.Op, f int) bool {
	switch f {
	case bhKey:
		return true
	case bhFlags:
		return op != mc.OpTouch && op != mc.OpGat && op != mc.OpGats
	case bhExptime:
		return op.IsStorage() || op == mc.OpDelete || op == mc.OpTouch || op == mc.OpGat || op == mc.OpGats
	case bhCas:
		return op == mc.OpCas
	case bhDelta:
		return op == mc.OpIncr || op == mc.OpDecr
	case bhValue:
		return op.IsStorage() || op == mc.OpDelete
	}
	return false
}

// match evaluates one policy against field f of req.
func (p *bhPolicy) match(req *mc.Request, f int) bool {
	var eq bool
	if f == bhKey {
		if p.kind != jsonm.KindString {
			return false
		}
		eq = bytes.Equal(req.Key, p.s)
	} else {
		var n uint64
		switch f {
		case bhFlags:
			n = req.Flags
		case bhExptime:
			n = uint64(req.Exptime)
		case bhCas:
			n = req.Cas
		case bhDelta:
			n = req.Delta
		default:
			return false
		}
		switch p.kind {
		case jsonm.KindInt:
			eq = p.i == int64(n)
		case jsonm.KindFloat:
			eq = p.f == float64(n)
		case jsonm.KindBool:
			eq = p.b == (n != 0)
		default:
			return false
		}
	}
	return eq != p.notEquals
}

func (r *blackholeRoute) blackhole(req *mc.Request) bool {
	for i := range r.fields {
		fd := &r.fields[i]
		if !bhHas(req.Op, fd.field) {
			continue
		}
		any := false
		for j := range fd.policies {
			if fd.policies[j].match(req, fd.field) {
				any = true
				break
			}
		}
		if !any {
			return false
		}
	}
	return true
}

func (r *blackholeRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	if r.blackhole(req) {
		r.hole.Route(ctx, req, cb)
		return
	}
	r.def.Route(ctx, req, cb)
}

func (r *blackholeRoute) Name() string       { return "blackhole" }
func (r *blackholeRoute) Children() []Handle { return r.kids }

func (r *blackholeRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	if r.blackhole(req) {
		r.hole.Traverse(req, depth+1, visit)
		return
	}
	r.def.Traverse(req, depth+1, visit)
}

// newBlackholeRoute builds {"type": "BlackholeRoute", "default": route,
// "blackhole_child": route, "policies": {...}} with mcrouter's checks and
// messages.
func newBlackholeRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if !cfg.IsObject() {
		return nil, b.errf(at, "BlackholeRoute: config is not an object.")
	}
	dv := cfg.Get("default")
	if dv == nil {
		return nil, b.errf(cfg, "BlackholeRoute: 'default' property is missing.")
	}
	def, err := b.route(dv)
	if err != nil {
		return nil, err
	}
	var hole Handle = nullRoute{}
	if hv := cfg.Get("blackhole_child"); hv != nil {
		if hole, err = b.route(hv); err != nil {
			return nil, err
		}
	}
	pv := cfg.Get("policies")
	if pv == nil {
		return nil, b.errf(cfg, "BlackholeRoute must specify 'policies'")
	}
	if !pv.IsObject() {
		return nil, b.errf(pv, "BlackholeRoute: 'policies' must be an object.")
	}
	r := &blackholeRoute{def: def, hole: hole, kids: []Handle{def, hole}}
	for _, m := range pv.Members {
		if !m.Val.IsArray() {
			return nil, b.errf(m.Val, "BlackholeRoute: policies for '%s' must be in an array.", m.Key)
		}
		f, ok := bhFieldNames[m.Key]
		if !ok {
			f = bhOther
		}
		fd := bhField{field: f}
		for _, e := range m.Val.Elems {
			if !e.IsObject() {
				return nil, b.errf(e, "BlackholeRoute: each policy in the array for '%s' must be an object.", m.Key)
			}
			ov := e.Get("op")
			if ov == nil {
				return nil, b.errf(e, "BlackholeRoute: policy object for '%s' must contain an \"op\" option", m.Key)
			}
			op, _ := ov.String()
			if op != "equals" && op != "not_equals" {
				return nil, b.errf(ov, "BlackholeRoute: policy op for '%s' is not supported", m.Key)
			}
			vv := e.Get("value")
			if vv == nil {
				return nil, b.errf(e, "BlackholeRoute: policy object for '%s' must contain an \"value\" option", m.Key)
			}
			p := bhPolicy{notEquals: op == "not_equals", kind: vv.Kind()}
			switch p.kind {
			case jsonm.KindInt:
				p.i, _ = vv.Int()
			case jsonm.KindFloat:
				p.f, _ = vv.Float()
			case jsonm.KindBool:
				p.b, _ = vv.Bool()
			case jsonm.KindString:
				s, _ := vv.String()
				p.s = []byte(s)
			}
			fd.policies = append(fd.policies, p)
		}
		r.fields = append(r.fields, fd)
	}
	return r, nil
}
