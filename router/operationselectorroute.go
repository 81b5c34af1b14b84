package router

import (
	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() {
	register("OperationSelectorRoute", newOperationSelectorRoute)
	register("PrefixPolicyRoute", newOperationSelectorRoute)
}

// operationSelectorRoute routes by operation: mcrouter's
// OperationSelectorRoute (alias PrefixPolicyRoute), mcrouter-behaviour.md
// §2.2. The handle for every op is decided at config time.
type operationSelectorRoute struct {
	byOp     [mc.NumOps]Handle // nil: no route for that op
	children []Handle          // distinct handles, for Children
}

func (r *operationSelectorRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	if int(req.Op) < len(r.byOp) {
		if h := r.byOp[req.Op]; h != nil {
			h.Route(ctx, req, cb)
			return
		}
	}
	// mcrouter answers a default-constructed reply: result UNKNOWN, which
	// the client sees as "SERVER_ERROR unexpected result mc_res_unknown (0)
	// for <op>".
	ctx.replyLocal(cb, mc.ResUnknown, nil)
}

func (r *operationSelectorRoute) Name() string       { return "operation-selector" }
func (r *operationSelectorRoute) Children() []Handle { return r.children }

// Traverse visits the handle req's op goes to, if any.
func (r *operationSelectorRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	if int(req.Op) < len(r.byOp) {
		if h := r.byOp[req.Op]; h != nil {
			h.Traverse(req, depth+1, visit)
		}
	}
}

// opPolicyNames maps mcrouter's operation names (carbon request names) to
// the ops mcroute routes. The lease and metaget names are accepted (their
// routes are built, as mcrouter builds them) but no client request uses
// them: mcroute does not speak those commands. flushall and flushre are
// kept for completeness; flush_all ignores routing (§1.6) and flush_regex
// is refused by the engine.
var opPolicyNames = map[string]mc.Op{
	"get":       mc.OpGet,
	"gets":      mc.OpGets,
	"gat":       mc.OpGat,
	"gats":      mc.OpGats,
	"set":       mc.OpSet,
	"add":       mc.OpAdd,
	"replace":   mc.OpReplace,
	"append":    mc.OpAppend,
	"prepend":   mc.OpPrepend,
	"cas":       mc.OpCas,
	"delete":    mc.OpDelete,
	"incr":      mc.OpIncr,
	"decr":      mc.OpDecr,
	"touch":     mc.OpTouch,
	"flushall":  mc.OpFlushAll,
	"flushre":   mc.OpFlushRegex,
	"metaget":   mc.OpNone,
	"lease-get": mc.OpNone,
	"lease-set": mc.OpNone,
}

const validOps = "get, gets, gat, gats, metaget, lease-get, lease-set, set, add, replace, append, prepend, cas, delete, incr, decr, touch, flushall, flushre"

// newOperationSelectorRoute builds OperationSelectorRoute:
// {"type": "OperationSelectorRoute", "default_policy": route,
// "operation_policies": {"get": route, ...}}. As in mcrouter:
//   - a config that is not an object is just that route
//     ("OperationSelectorRoute|PoolRoute|A" is PoolRoute|A);
//   - one of default_policy / operation_policies is required;
//   - without operation_policies the result is the default policy itself;
//   - policies are built in sorted op-name order (named handles defined in
//     one policy and used in another resolve the same way);
//   - other keys (e.g. "default") are ignored.
func newOperationSelectorRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	def, members, done, err := b.selectorPolicies("OperationSelectorRoute", "operation_policies", cfg, at)
	if done || err != nil {
		return def, err
	}
	r := &operationSelectorRoute{}
	for i := range r.byOp {
		r.byOp[i] = def
	}
	var kids childSet
	kids.add(def)
	for _, m := range members {
		op, ok := opPolicyNames[m.Key]
		if !ok {
			return nil, b.errf(m.Val, "OperationSelectorRoute: unknown operation %q in operation_policies, valid operations: %s", m.Key, validOps)
		}
		h, err := b.route(m.Val)
		if err != nil {
			return nil, err
		}
		if op != mc.OpNone {
			r.byOp[op] = h
			kids.add(h)
		}
	}
	r.children = kids.list
	return r, nil
}
