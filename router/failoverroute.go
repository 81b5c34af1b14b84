package router

import (
	"bytes"
	"strconv"

	"mcroute/codec/mc"
	"mcroute/router/hashfunc"
	"mcroute/router/jsonm"
)

func init() { register("FailoverRoute", newFailoverRoute) }

// failoverRoute sends a request to its children one after the other, in
// the policy's order, until a reply is not a failover trigger; when all
// fail the last tried child's reply is returned (mcrouter-behaviour.md
// §2.3). The retry is sent from the failed child's OnReply with the same
// request, which the caller keeps valid until it is answered.
type failoverRoute struct {
	name     string
	children []Handle
	errs     failoverErrors
	tag      bool // failover_tag

	// failover_policy: at most maxTries children are tried; the walk
	// stops once maxErrorTries replies counted as tries (numTries).
	policy        policyKind
	maxTries      int
	maxErrorTries int
	exclude       resultSet // DeterministicOrderPolicy exclude_errors
	detHash       *hashfunc.Func
	normal        *hashRoute
	ignoreNormal  bool

	// failover_limit
	limited     bool
	rate, burst float64

	// slot of the per-loop state (token bucket, error counts); 0: none.
	slot int64
}

var failoverKind = newStateKind()

// failoverState is one request in flight through a failoverRoute.
type failoverState struct {
	r     *failoverRoute
	ctx   *Ctx
	cb    mc.Callback
	req   *mc.Request // the caller's, valid until cb is answered
	out   *mc.Request // what failover children get: req or tagged
	loop  *failoverLoopState
	pos   int // position in the policy order of the child in flight
	child int // index in children of the child in flight
	tries int // replies counted as tries (mcrouter's numTries)

	order  []int  // LeastFailuresPolicy order
	used   []bool // DeterministicOrderPolicy: children already picked
	salt   int
	hbuf   []byte // routing key + salt
	tagged mc.Request
	tagKey []byte
}

// failoverTag is appended to the key of failover requests whose key has a
// hash stop ("|#|"), with failover_tag.
const failoverTag = ":failover=1"

// mcKeyMaxLen is mcrouter's MC_KEY_MAX_LEN: the longest key a route may
// make (client keys are limited to 250 bytes before routing).
const mcKeyMaxLen = 2048

func (r *failoverRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	st := acquire[failoverState](ctx, failoverKind)
	st.r, st.ctx, st.cb, st.req, st.out = r, ctx, cb, req, req
	st.pos, st.child, st.tries, st.loop = 0, 0, 0, nil
	if r.slot != 0 {
		st.loop = r.loopState(ctx)
	}
	// st may be answered and released during this call.
	r.children[0].Route(ctx, req, st)
}

func (st *failoverState) OnReply(rep *mc.Reply) {
	r := st.r
	if r.policy == policyLeastFailures {
		if rep.Result.IsError() {
			st.loop.errs[st.child]++
		} else {
			st.loop.errs[st.child] = 0
		}
	}
	if st.pos == 0 && r.limited {
		st.loop.reqs++ // one tick of the token bucket per request
	}
	// The last child of the walk is answered whatever it says.
	if st.pos > 0 && st.pos == r.maxTries-1 {
		st.finish(rep)
		return
	}
	if !r.errs.should(st.req, rep.Result) {
		st.finish(rep)
		return
	}
	if !isTkoOrHardTko(rep.Result) {
		if r.limited && !st.loop.allow(r.rate, r.burst) {
			st.finish(rep) // out of failover tokens: the error it is
			return
		}
		if !r.exclude.has(rep.Result) {
			st.tries++
		}
	}
	next := st.pos + 1
	if next >= r.maxTries || st.tries >= r.maxErrorTries {
		st.finish(rep)
		return
	}
	if st.pos == 0 {
		st.startFailover()
	}
	st.pos = next
	st.child = st.childAt(next)
	// st may be answered and released during this call.
	r.children[st.child].Route(st.ctx, st.out, st)
}

// startFailover prepares the request the failover children get.
func (st *failoverState) startFailover() {
	k := st.req.Key
	if !st.r.tag || !bytes.Contains(k, hashStop) || len(k)+len(failoverTag) > mcKeyMaxLen {
		return
	}
	st.tagKey = append(append(st.tagKey[:0], k...), failoverTag...)
	st.tagged = *st.req
	st.tagged.Key = st.tagKey
	st.out = &st.tagged
}

// childAt returns the index of the child at position pos (>= 1) of the
// policy's order.
func (st *failoverState) childAt(pos int) int {
	r := st.r
	switch r.policy {
	case policyLeastFailures:
		if pos == 1 {
			st.order = r.leastFailuresOrder(st.loop.errs, st.order)
		}
		return st.order[pos]
	case policyDeterministic:
		if pos == 1 {
			n := len(r.children)
			if cap(st.used) < n {
				st.used = make([]bool, n)
			}
			st.used = st.used[:n]
			r.detStart(st.req, st.used)
			st.salt = 1
		}
		return r.detIndex(st.req, st.used, &st.salt, &st.hbuf)
	}
	return pos
}

// finish answers the caller with rep and releases st.
func (st *failoverState) finish(rep *mc.Reply) {
	ctx, cb := st.ctx, st.cb
	st.ctx, st.cb, st.req, st.out, st.loop = nil, nil, nil, nil, nil
	st.tagged = mc.Request{}
	cb.OnReply(rep)
	release(ctx, failoverKind, st)
}

func (r *failoverRoute) Name() string       { return r.name }
func (r *failoverRoute) Children() []Handle { return r.children }

// Traverse visits the normal child and then the failover children in the
// policy's order for req (LeastFailuresPolicy: index order, as its error
// counts live per loop).
func (r *failoverRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	r.children[0].Traverse(req, depth+1, visit)
	if r.policy != policyDeterministic {
		for _, c := range r.children[1:r.maxTries] {
			c.Traverse(req, depth+1, visit)
		}
		return
	}
	used := make([]bool, len(r.children))
	r.detStart(req, used)
	salt := 1
	var buf []byte
	for range r.maxTries - 1 {
		r.children[r.detIndex(req, used, &salt, &buf)].Traverse(req, depth+1, visit)
	}
}

// newFailoverRoute builds FailoverRoute: "FailoverRoute|Pool|A" or
// {"type": "FailoverRoute", "children": [...], "failover_errors": ...,
// "failover_policy": ..., "failover_limit": ..., "failover_tag": ...}.
// No children → NullRoute; one → that child.
func newFailoverRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	hs, err := b.children("FailoverRoute", cfg, at)
	if err != nil {
		return nil, err
	}
	return b.failover("FailoverRoute", cfg, hs)
}

// failover builds a FailoverRoute over hs configured by the FailoverRoute
// fields of cfg (defaults when cfg is not an object). typ names the
// handle in errors.
func (b *builder) failover(typ string, cfg *jsonm.Value, hs []Handle) (Handle, error) {
	if !cfg.IsObject() {
		cfg = nil
	}
	r := &failoverRoute{name: "failover", children: hs}
	var err error
	if r.errs, err = b.parseFailoverErrors(typ, cfg.Get("failover_errors")); err != nil {
		return nil, err
	}
	lease := false
	if v := cfg.Get("enable_lease_pairing"); v != nil {
		var ok bool
		if lease, ok = v.Bool(); !ok {
			return nil, b.errf(v, "%s: enable_lease_pairing is not a boolean", typ)
		}
	}
	if v := cfg.Get("name"); v != nil {
		name, ok := v.String()
		if !ok {
			return nil, b.errf(v, "%s: name is not a string", typ)
		}
		if name != "" {
			r.name = "failover:" + name + ":failover_targets=" + strconv.Itoa(len(hs))
		}
	} else if lease {
		return nil, b.errf(cfg, "%s: name is required when lease pairing is enabled", typ)
	}
	if v := cfg.Get("failover_tag"); v != nil {
		var ok bool
		if r.tag, ok = v.Bool(); !ok {
			return nil, b.errf(v, "%s: failover_tag is not a boolean", typ)
		}
	}
	if err := b.parseLimit(typ, cfg.Get("failover_limit"), r); err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nullRoute{}, nil
	}
	if err := b.parsePolicy(typ, cfg, cfg.Get("failover_policy"), r); err != nil {
		return nil, err
	}
	if len(hs) == 1 {
		return hs[0], nil
	}
	if r.limited || r.policy == policyLeastFailures {
		r.slot = newLoopSlot()
	}
	return r, nil
}
