package router

import (
	"strconv"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("KeySplitRoute", newKeySplitRoute) }

// keySplitRoute is mcrouter's KeySplitRoute (mcrouter-behaviour.md §2.2):
// hot keys spread over replicas. This host's replica is hostid % replicas;
// replica 0 is the key itself, replica r > 0 the key with "::r" after its
// routing key ("/a/b/foo|#|x" → "/a/b/foo::2|#|x"). get-like requests go
// to this host's replica, or with first_hit to every replica, answering
// the first hit (else the last reply); updates go to this host's replica
// and, with all_sync, fire-and-forget to the others; deletes go to every
// replica, this host's answering. Other operations go to this host's
// replica. Keys too long for the suffix (key+5 > 255) are not split.
type keySplitRoute struct {
	dest     Handle
	replicas int
	own      int
	allSync  bool
	firstHit bool
	name     string
}

const keySplitMaxKey = 255

// appendReplicaKey appends key with replica r's suffix after its routing
// key.
func appendReplicaKey(dst, key []byte, r int) []byte {
	end := RoutingPrefixLen(key) + len(RoutingKey(key))
	dst = append(dst, key[:end]...)
	dst = append(dst, ':', ':')
	dst = strconv.AppendInt(dst, int64(r), 10)
	return append(dst, key[end:]...)
}

func (r *keySplitRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	if len(req.Key)+5 > keySplitMaxKey {
		r.dest.Route(ctx, req, cb)
		return
	}
	switch {
	case req.Op.IsGet() && r.firstHit:
		r.firstHitGet(ctx, req, cb)
		return
	case req.Op == mc.OpDelete || (req.Op.IsUpdate() && r.allSync):
		for i := 0; i < r.replicas; i++ {
			if i != r.own {
				st := acquire[keyedAsync](ctx, keyedAsyncKind)
				st.ctx = ctx
				st.req.Set(req)
				st.key = r.key(st.key[:0], req.Key, i)
				st.req.R.Key = st.key
				r.dest.Route(ctx, &st.req.R, st)
			}
		}
	}
	if r.own == 0 {
		r.dest.Route(ctx, req, cb)
		return
	}
	st := acquire[keyedCall](ctx, keyedCallKind)
	st.ctx, st.cb = ctx, cb
	st.req = *req
	st.key = appendReplicaKey(st.key[:0], req.Key, r.own)
	st.req.Key = st.key
	r.dest.Route(ctx, &st.req, st)
}

// key appends replica i's key (i == 0: the key itself).
func (r *keySplitRoute) key(dst, key []byte, i int) []byte {
	if i == 0 {
		return append(dst, key...)
	}
	return appendReplicaKey(dst, key, i)
}

var ksFanKind = newStateKind()

// ksFan is a first_hit get sent to every replica.
type ksFan struct {
	ctx      *Ctx
	cb       mc.Callback
	reqs     []RequestCopy
	keys     [][]byte
	pending  int
	answered bool
}

func (r *keySplitRoute) firstHitGet(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	st := acquire[ksFan](ctx, ksFanKind)
	st.ctx, st.cb, st.pending, st.answered = ctx, cb, r.replicas, false
	for len(st.reqs) < r.replicas {
		st.reqs = append(st.reqs, RequestCopy{})
		st.keys = append(st.keys, nil)
	}
	for i := 0; i < r.replicas; i++ {
		st.reqs[i].Set(req)
		st.keys[i] = r.key(st.keys[i][:0], req.Key, i)
		st.reqs[i].R.Key = st.keys[i]
	}
	n := r.replicas
	// st may be released during the last Route: read nothing of it after.
	reqs := st.reqs
	for i := 0; i < n; i++ {
		r.dest.Route(ctx, &reqs[i].R, st)
	}
}

func (st *ksFan) OnReply(rep *mc.Reply) {
	st.pending--
	if !st.answered {
		// The first hit, or the last reply when none is a hit.
		if rep.Result == mc.ResFound || st.pending == 0 {
			st.answered = true
			st.cb.OnReply(rep)
		}
	}
	if st.pending > 0 {
		return
	}
	ctx := st.ctx
	st.ctx, st.cb = nil, nil
	release(ctx, ksFanKind, st)
}

// Name is mcrouter's routeName: keysplit|replicas=N|all_sync=B|first_hit=B.
func (r *keySplitRoute) Name() string       { return r.name }
func (r *keySplitRoute) Children() []Handle { return []Handle{r.dest} }
func (r *keySplitRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	r.dest.Traverse(req, depth+1, visit)
}

// newKeySplitRoute builds {"type": "KeySplitRoute", "destination": ...,
// "replicas": 2..1000, "all_sync": bool, "first_hit": false}.
func newKeySplitRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if cfg == nil || !cfg.IsObject() {
		return nil, b.errf(at, "KeySplitRoute: config is not an object")
	}
	dv := cfg.Get("destination")
	if dv == nil {
		return nil, b.errf(cfg, "KeySplitRoute: destination not found")
	}
	dest, err := b.route(dv)
	if err != nil {
		return nil, err
	}
	rv := cfg.Get("replicas")
	if rv == nil {
		return nil, b.errf(cfg, "KeySplitRoute: replicas not found")
	}
	n, ok := rv.Int()
	if !ok || n < 2 || n > 1000 {
		return nil, b.errf(rv, "KeySplitRoute: replicas must be an integer in 2..1000")
	}
	av := cfg.Get("all_sync")
	if av == nil {
		return nil, b.errf(cfg, "KeySplitRoute: all_sync not found")
	}
	allSync, ok := av.Bool()
	if !ok {
		return nil, b.errf(av, "KeySplitRoute: all_sync must be a bool")
	}
	firstHit := false
	if fv := cfg.Get("first_hit"); fv != nil {
		if firstHit, ok = fv.Bool(); !ok {
			return nil, b.errf(fv, "KeySplitRoute: first_hit must be a bool")
		}
	}
	hostID := b.opts.HostID
	if hostID == 0 {
		hostID = HostID()
	}
	return &keySplitRoute{dest: dest, replicas: int(n), own: int(hostID % uint32(n)), allSync: allSync, firstHit: firstHit,
		name: "keysplit|replicas=" + strconv.FormatInt(n, 10) + "|all_sync=" + strconv.FormatBool(allSync) + "|first_hit=" + strconv.FormatBool(firstHit)}, nil
}
