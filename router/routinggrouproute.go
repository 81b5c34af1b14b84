package router

import (
	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("RoutingGroupRoute", newRoutingGroupRoute) }

// routingGroupRoute routes by operation class, mcrouter's RoutingGroupRoute
// (mcrouter-behaviour.md §2.2): get_like (get, gets, gat, gats), update_like
// (set, add, replace, append, prepend, cas), delete_like (delete),
// arithmetic_like (incr, decr); touch and everything else take
// default_policy. No policy for the op → result UNKNOWN, as mcrouter's
// default-constructed reply. The handle per op is decided at config time.
type routingGroupRoute struct {
	byOp     [mc.NumOps]Handle
	children []Handle
}

// routingGroupOf maps an op to mcrouter's routing group name ("" for the
// ops in no group).
func routingGroupOf(op mc.Op) string {
	switch op {
	case mc.OpGet, mc.OpGets, mc.OpGat, mc.OpGats:
		return "get_like"
	case mc.OpSet, mc.OpAdd, mc.OpReplace, mc.OpAppend, mc.OpPrepend, mc.OpCas:
		return "update_like"
	case mc.OpDelete:
		return "delete_like"
	case mc.OpIncr, mc.OpDecr:
		return "arithmetic_like"
	}
	return ""
}

func (r *routingGroupRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	if int(req.Op) < len(r.byOp) {
		if h := r.byOp[req.Op]; h != nil {
			h.Route(ctx, req, cb)
			return
		}
	}
	ctx.replyLocal(cb, mc.ResUnknown, nil)
}

func (r *routingGroupRoute) Name() string       { return "routing-group" }
func (r *routingGroupRoute) Children() []Handle { return r.children }

func (r *routingGroupRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	if int(req.Op) < len(r.byOp) {
		if h := r.byOp[req.Op]; h != nil {
			h.Traverse(req, depth+1, visit)
		}
	}
}

// newRoutingGroupRoute builds {"type": "RoutingGroupRoute",
// "default_policy": route, "routing_group_policies": {"get_like": route,
// "update_like": ..., "delete_like": ..., "arithmetic_like": ...}}. As in
// mcrouter: a non-object config is just that route; one of the two fields
// is required; without routing_group_policies the result is the default
// policy itself.
func newRoutingGroupRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	def, members, done, err := b.selectorPolicies("RoutingGroupRoute", "routing_group_policies", cfg, at)
	if done || err != nil {
		return def, err
	}
	groups := map[string]Handle{}
	r := &routingGroupRoute{}
	var kids childSet
	kids.add(def)
	for _, m := range members {
		switch m.Key {
		case "get_like", "update_like", "delete_like", "arithmetic_like":
		default:
			return nil, b.errf(m.Val, "RoutingGroupRoute: %s is not a valid routing group.", m.Key)
		}
		if _, dup := groups[m.Key]; dup {
			return nil, b.errf(m.Val, "RoutingGroupRoute: %s is a duplicate key!", m.Key)
		}
		h, err := b.route(m.Val)
		if err != nil {
			return nil, err
		}
		groups[m.Key] = h
		kids.add(h)
	}
	r.children = kids.list
	for op := range r.byOp {
		if h, ok := groups[routingGroupOf(mc.Op(op))]; ok {
			r.byOp[op] = h
		} else {
			r.byOp[op] = def
		}
	}
	return r, nil
}
