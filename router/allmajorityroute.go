package router

import (
	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("AllMajorityRoute", newAllMajorityRoute) }

// allMajorityRoute sends a request to every child and collects replies in
// completion order until the leading result has been seen n/2+1 times or
// every child has replied (mcrouter-behaviour.md §2.1). The lead is the
// reply whose result has the highest count so far; a reply whose result
// reaches the lead's count only replaces it when it is worse. So 2 DELETED
// + 2 NOT_FOUND answers NOT_FOUND whatever the order. Children still in
// flight after the answer finish in the background.
type allMajorityRoute struct {
	children []Handle // len >= 2
	need     int      // n/2+1
}

var allMajorityKind = newStateKind()

// resultCount is how often one result has been seen.
type resultCount struct {
	res mc.Result
	n   int
}

// allMajorityState is one request in flight through an allMajorityRoute.
// It outlives the client's answer until the last child has replied, so
// the children are sent a copy of the request that it owns.
type allMajorityState struct {
	ctx       *Ctx
	cb        mc.Callback // nil once the client is answered
	req       RequestCopy
	pending   int
	need      int
	counts    []resultCount // distinct results seen; reused
	lead      ReplyCopy
	leadCount int
}

func (r *allMajorityRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	st := acquire[allMajorityState](ctx, allMajorityKind)
	st.ctx, st.cb, st.pending, st.need = ctx, cb, len(r.children), r.need
	st.counts = st.counts[:0]
	st.leadCount = 0
	st.req.Set(req)
	// st may be released during the last Route call: do not touch it after
	// the loop.
	for _, c := range r.children {
		c.Route(ctx, &st.req.R, st)
	}
}

func (st *allMajorityState) OnReply(rep *mc.Reply) {
	st.pending--
	if st.cb != nil {
		n := st.count(rep.Result)
		if n > st.leadCount || (n == st.leadCount && mc.Worse(rep.Result, st.lead.R.Result)) {
			st.lead.Set(rep)
			st.leadCount = n
		}
		if st.leadCount >= st.need || st.pending == 0 {
			cb := st.cb
			st.cb = nil
			cb.OnReply(&st.lead.R)
		}
	}
	if st.pending == 0 {
		ctx := st.ctx
		st.ctx = nil
		release(ctx, allMajorityKind, st)
	}
}

// count records one more reply with result res and returns how many have
// been seen.
func (st *allMajorityState) count(res mc.Result) int {
	for i := range st.counts {
		if st.counts[i].res == res {
			st.counts[i].n++
			return st.counts[i].n
		}
	}
	st.counts = append(st.counts, resultCount{res: res, n: 1})
	return 1
}

func (r *allMajorityRoute) Name() string       { return "all-majority" }
func (r *allMajorityRoute) Children() []Handle { return r.children }
func (r *allMajorityRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	traverseAll(r, r.children, req, depth, visit)
}

// newAllMajorityRoute: {"type": "AllMajorityRoute", "children": [...]} or
// "AllMajorityRoute|Pool|A". No children → NullRoute; one → that child.
func newAllMajorityRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	hs, err := b.children("AllMajorityRoute", cfg, at)
	if err != nil {
		return nil, err
	}
	return fanIn(hs, func(hs []Handle) Handle { return &allMajorityRoute{children: hs, need: len(hs)/2 + 1} }), nil
}
