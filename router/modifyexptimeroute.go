package router

import (
	"math"
	"strconv"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("ModifyExptimeRoute", newModifyExptimeRoute) }

// modifyExptimeRoute changes the exptime of the requests that carry one
// (set, add, replace, append, prepend, cas, touch, gat, gats; not delete)
// before sending them to target: action "set" replaces it, "min" lowers it
// to exptime when it is 0 (never expires) or larger
// (mcrouter-behaviour.md §2.4). Negative values expire at once.
type modifyExptimeRoute struct {
	target  Handle
	kids    []Handle // {target}
	exptime int64
	min     bool
	name    string
}

var modifyExptimeKind = newStateKind()

// modifyExptimeState is the modified request while target has it. Key and
// Value alias the caller's request, which stays valid until it is
// answered, and that is after target answers.
type modifyExptimeState struct {
	ctx *Ctx
	cb  mc.Callback
	req mc.Request
}

// carriesExptime reports whether op has an exptime ModifyExptimeRoute
// rewrites.
func carriesExptime(op mc.Op) bool {
	switch op {
	case mc.OpSet, mc.OpAdd, mc.OpReplace, mc.OpAppend, mc.OpPrepend, mc.OpCas,
		mc.OpTouch, mc.OpGat, mc.OpGats:
		return true
	}
	return false
}

func (r *modifyExptimeRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	if !carriesExptime(req.Op) || (r.min && req.Exptime != 0 && req.Exptime <= r.exptime) {
		r.target.Route(ctx, req, cb)
		return
	}
	st := acquire[modifyExptimeState](ctx, modifyExptimeKind)
	st.ctx, st.cb, st.req = ctx, cb, *req
	st.req.Exptime = r.exptime
	r.target.Route(ctx, &st.req, st)
}

func (st *modifyExptimeState) OnReply(rep *mc.Reply) {
	ctx, cb := st.ctx, st.cb
	st.ctx, st.cb, st.req = nil, nil, mc.Request{}
	cb.OnReply(rep)
	release(ctx, modifyExptimeKind, st)
}

func (r *modifyExptimeRoute) Name() string       { return r.name }
func (r *modifyExptimeRoute) Children() []Handle { return r.kids }
func (r *modifyExptimeRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	r.target.Traverse(req, depth+1, visit)
}

// modifyExptime wraps target; "min" with exptime 0 changes nothing and is
// target itself.
func modifyExptime(target Handle, exptime int64, min bool) Handle {
	if min && exptime == 0 {
		return target
	}
	action := "set"
	if min {
		action = "min"
	}
	return &modifyExptimeRoute{
		target: target, kids: []Handle{target}, exptime: exptime, min: min,
		name: "modify-exptime|" + action + "|exptime=" + strconv.FormatInt(exptime, 10),
	}
}

// newModifyExptimeRoute builds ModifyExptimeRoute: {"type":
// "ModifyExptimeRoute", "target": route, "exptime": N, "action": "set" |
// "min"}.
func newModifyExptimeRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if !cfg.IsObject() {
		return nil, b.errf(at, "ModifyExptimeRoute: should be an object")
	}
	tv := cfg.Get("target")
	if tv == nil {
		return nil, b.errf(cfg, "ModifyExptimeRoute: no target")
	}
	target, err := b.route(tv)
	if err != nil {
		return nil, err
	}
	ev := cfg.Get("exptime")
	if ev == nil {
		return nil, b.errf(cfg, "ModifyExptimeRoute: no exptime")
	}
	exptime, ok := ev.Int()
	if !ok || exptime < math.MinInt32 || exptime > math.MaxInt32 {
		return nil, b.errf(ev, "ModifyExptimeRoute: exptime is not an int (32-bit)")
	}
	min := false
	if av := cfg.Get("action"); av != nil {
		a, ok := av.String()
		if !ok {
			return nil, b.errf(av, "ModifyExptimeRoute: action is not a string")
		}
		switch a {
		case "set":
		case "min":
			min = true
		default:
			return nil, b.errf(av, "ModifyExptimeRoute: action should be 'set' or 'min'")
		}
	}
	return modifyExptime(target, exptime, min), nil
}
