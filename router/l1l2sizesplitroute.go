package router

import (
	"bytes"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("L1L2SizeSplitRoute", newL1L2SizeSplitRoute) }

// sizeSplitFlag marks an L1 sentinel whose value lives in L2 (mcrouter's
// MC_MSG_FLAG_SIZE_SPLIT).
const sizeSplitFlag = 0x20

// sizeSplitAlias joins a key and a sentinel's value into the L2 key of a
// value set by mcrouter's lease-set ("<key>|==|<rand>").
var sizeSplitAlias = []byte("|==|")

// sizeSplitKeyRoom is the key room a split needs: the alias and the
// digits of a uint64. Longer keys stay whole in L1.
const sizeSplitKeyRoom = 4 + 20

// l1l2SizeSplitRoute keeps small values in L1 and large ones in L2, with a
// sentinel in L1 (mcrouter-behaviour.md §10.2):
//
//   - set: "small" (threshold 0, value shorter than threshold,
//     ttl_threshold set and exptime below it, or a key too long to
//     split) → L1. Large: with both_full_set the value goes to L1 and,
//     once stored, in the background to L2; otherwise to L2 first and,
//     once stored, an empty sentinel with the client's flags | 0x20 to L1
//     (L1's reply answers; an L2 failure answers without touching L1);
//   - get: L1, the request flagged 0x20; a sentinel hit (flag 0x20) is
//     read from L2 under the same key, L2's reply answering with the
//     flags the client stored; a sentinel with a value (written by
//     mcrouter's lease-set) is read from "<key>|==|<value>": a hit answers
//     FOUND, an error answers that result (after deleting the sentinel if
//     it is a failover error), a miss deletes the sentinel and answers
//     LOCAL_ERROR;
//   - gets: like get, always reading L2 through a get and answering L1's
//     cas unique; an L2 miss deletes the sentinel and starts again, at
//     most retries times, then answers LOCAL_ERROR;
//   - everything else (cas, add, delete…): L1 only.
//
// Deleting a sentinel is a gets of it from L1 and, if it still has the
// same value, a cas with exptime -1; the client's reply waits for it, as
// in mcrouter.
type l1l2SizeSplitRoute struct {
	l1, l2       Handle
	kids         []Handle // l1, l2
	threshold    int64
	ttlThreshold int64
	// failureTTL caps the exptime of mcrouter's lease-set fallback to L1;
	// mcroute has no lease-set, so it is only checked.
	failureTTL  int64
	bothFullSet bool
	retries     int
}

var sizeSplitKind = newStateKind()

// sizeSplitState is one set, get or gets in flight.
type sizeSplitState struct {
	r        *l1l2SizeSplitRoute
	ctx      *Ctx
	cb       mc.Callback
	req      *mc.Request // the caller's, valid until cb is answered
	phase    uint8
	retries  int // gets: retries left
	sub      mc.Request
	l1Cas    uint64
	l1HasCas bool
	sent     []byte // the sentinel's value
	l2Key    []byte
	then     mc.Result // after deleting a sentinel: answer this (ResUnknown: retry)
	out      mc.Reply
}

// Phases of a sizeSplitState: which reply it waits for.
const (
	ssSetL1Full   = iota // both_full_set: the set to L1
	ssSetL2              // the set to L2
	ssSetSentinel        // the sentinel to L1
	ssGetL1              // get/gets on L1
	ssGetL2              // the get on L2 of a sentinel's value
	ssDelGets            // deleting a sentinel: its gets
	ssDelCas             // deleting a sentinel: its cas
)

// small reports whether set req goes whole to L1.
func (r *l1l2SizeSplitRoute) small(req *mc.Request) bool {
	return r.threshold == 0 || int64(len(req.Value)) < r.threshold ||
		(r.ttlThreshold != 0 && req.Exptime < r.ttlThreshold) ||
		len(req.Key)+sizeSplitKeyRoom > 255
}

func (r *l1l2SizeSplitRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	switch req.Op {
	case mc.OpSet:
		if r.small(req) {
			r.l1.Route(ctx, req, cb)
			return
		}
	case mc.OpGet, mc.OpGets:
	default:
		r.l1.Route(ctx, req, cb)
		return
	}
	st := acquire[sizeSplitState](ctx, sizeSplitKind)
	st.r, st.ctx, st.cb, st.req, st.retries = r, ctx, cb, req, r.retries
	// st may be answered and released during these calls.
	switch {
	case req.Op != mc.OpSet:
		st.getL1()
	case r.bothFullSet:
		st.phase = ssSetL1Full
		r.l1.Route(ctx, req, st)
	default:
		st.phase = ssSetL2
		r.l2.Route(ctx, req, st)
	}
}

// getL1 sends the get or gets to L1, flagged so that a server knows the
// client understands sentinels.
func (st *sizeSplitState) getL1() {
	st.phase = ssGetL1
	st.sub = *st.req
	st.sub.Flags |= sizeSplitFlag
	st.r.l1.Route(st.ctx, &st.sub, st)
}

func (st *sizeSplitState) OnReply(rep *mc.Reply) {
	r, ctx, req := st.r, st.ctx, st.req
	switch st.phase {
	case ssSetL1Full:
		if rep.Result != mc.ResStored {
			st.finish(rep)
			return
		}
		f := copyFill(ctx, req)
		st.finish(rep)
		f.send(r.l2)
	case ssSetL2:
		if rep.Result != mc.ResStored {
			st.finish(rep)
			return
		}
		st.phase = ssSetSentinel
		st.sub = *req
		st.sub.Value = nil
		st.sub.Flags |= sizeSplitFlag
		r.l1.Route(ctx, &st.sub, st)
	case ssSetSentinel:
		st.finish(rep)
	case ssGetL1:
		if rep.Flags&sizeSplitFlag == 0 || (req.Op == mc.OpGet && rep.Result != mc.ResFound) {
			st.finish(rep)
			return
		}
		st.l1Cas, st.l1HasCas = rep.Cas, rep.HasCas
		st.sent = append(st.sent[:0], rep.Value...)
		if len(st.sent) == 0 && req.Op == mc.OpGet {
			// The value is in L2 under the same key: L2's reply answers.
			cb := st.release()
			r.l2.Route(ctx, req, cb)
			return
		}
		st.l2Key = append(st.l2Key[:0], req.Key...)
		if len(st.sent) > 0 {
			st.l2Key = append(append(st.l2Key, sizeSplitAlias...), st.sent...)
		}
		st.phase = ssGetL2
		st.sub = mc.Request{Op: mc.OpGet, Key: st.l2Key}
		r.l2.Route(ctx, &st.sub, st)
	case ssGetL2:
		switch {
		case rep.Result == mc.ResFound:
			st.out = mc.Reply{Result: mc.ResFound, Flags: rep.Flags, Value: rep.Value}
			if req.Op == mc.OpGets {
				st.out.Cas, st.out.HasCas = st.l1Cas, st.l1HasCas
			}
			st.finish(&st.out)
		case rep.Result.IsError():
			if !rep.Result.IsFailoverError() {
				st.answer(rep.Result)
				return
			}
			st.deleteSentinel(rep.Result)
		case req.Op == mc.OpGets && st.retries > 0:
			st.retries--
			st.deleteSentinel(mc.ResUnknown)
		default:
			st.deleteSentinel(mc.ResLocalError)
		}
	case ssDelGets:
		if rep.Result != mc.ResFound || !bytes.Equal(rep.Value, st.sent) {
			st.afterDelete()
			return
		}
		st.phase = ssDelCas
		st.sub = mc.Request{Op: mc.OpCas, Key: req.Key, Cas: rep.Cas, Exptime: -1}
		r.l1.Route(ctx, &st.sub, st)
	case ssDelCas:
		st.afterDelete()
	}
}

// deleteSentinel removes the sentinel from L1 if it still has the value
// read, then answers then (ResUnknown: tries the request again).
func (st *sizeSplitState) deleteSentinel(then mc.Result) {
	st.then = then
	st.phase = ssDelGets
	st.sub = mc.Request{Op: mc.OpGets, Key: st.req.Key}
	st.r.l1.Route(st.ctx, &st.sub, st)
}

func (st *sizeSplitState) afterDelete() {
	if st.then == mc.ResUnknown {
		st.getL1()
		return
	}
	st.answer(st.then)
}

// answer answers a bare reply of result res and releases st.
func (st *sizeSplitState) answer(res mc.Result) {
	st.out = mc.Reply{Result: res}
	st.finish(&st.out)
}

// release releases st and returns the caller's Callback.
func (st *sizeSplitState) release() mc.Callback {
	ctx, cb := st.ctx, st.cb
	st.ctx, st.cb, st.req, st.sub = nil, nil, nil, mc.Request{}
	release(ctx, sizeSplitKind, st)
	return cb
}

// finish answers the caller with rep and releases st.
func (st *sizeSplitState) finish(rep *mc.Reply) {
	ctx, cb := st.ctx, st.cb
	st.ctx, st.cb, st.req, st.sub = nil, nil, nil, mc.Request{}
	cb.OnReply(rep) // rep may be st.out: release only after
	st.out = mc.Reply{}
	release(ctx, sizeSplitKind, st)
}

func (r *l1l2SizeSplitRoute) Name() string       { return "l1l2-sizesplit" }
func (r *l1l2SizeSplitRoute) Children() []Handle { return r.kids }
func (r *l1l2SizeSplitRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	traverseAll(r, r.kids, req, depth, visit)
}

// newL1L2SizeSplitRoute builds L1L2SizeSplitRoute: {"type":
// "L1L2SizeSplitRoute", "l1": route, "l2": route, "threshold": bytes,
// "ttl_threshold": seconds (0), "failure_ttl": seconds (60, not 0),
// "both_full_set": false, "retries": 1 (1..10)}.
func newL1L2SizeSplitRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	const typ = "L1L2SizeSplitRoute"
	if !cfg.IsObject() {
		return nil, b.errf(at, "L1L2SizeSplitRoute should be an object")
	}
	l1v, l2v, tv := cfg.Get("l1"), cfg.Get("l2"), cfg.Get("threshold")
	switch {
	case l1v == nil:
		return nil, b.errf(cfg, "L1L2SizeSplitRoute: no l1 route")
	case l2v == nil:
		return nil, b.errf(cfg, "L1L2SizeSplitRoute: no l2 route")
	case tv == nil:
		return nil, b.errf(cfg, "L1L2SizeSplitRoute: no threshold")
	}
	r := &l1l2SizeSplitRoute{failureTTL: 60, retries: 1}
	var err error
	if r.threshold, err = uint32Field(b, tv, typ, "threshold"); err != nil {
		return nil, err
	}
	if v := cfg.Get("ttl_threshold"); v != nil {
		if r.ttlThreshold, err = uint32Field(b, v, typ, "ttl_threshold"); err != nil {
			return nil, err
		}
	}
	if v := cfg.Get("failure_ttl"); v != nil {
		if r.failureTTL, err = uint32Field(b, v, typ, "failure_ttl"); err != nil {
			return nil, err
		}
		if r.failureTTL == 0 {
			return nil, b.errf(v, "L1L2SizeSplitRoute: failure_ttl must not be zero")
		}
	}
	if v := cfg.Get("both_full_set"); v != nil {
		var ok bool
		if r.bothFullSet, ok = v.Bool(); !ok {
			return nil, b.errf(v, "L1L2SizeSplitRoute: both_full_set is not a boolean")
		}
	}
	if v := cfg.Get("retries"); v != nil {
		n, ok := v.Int()
		if !ok {
			return nil, b.errf(v, "L1L2SizeSplitRoute: number of retries is not an integer")
		}
		if n <= 0 || n > 10 {
			return nil, b.errf(v, "L1L2SizeSplitRoute: number of retries must be 1..10")
		}
		r.retries = int(n)
	}
	if r.l1, err = b.route(l1v); err != nil {
		return nil, err
	}
	if r.l2, err = b.route(l2v); err != nil {
		return nil, err
	}
	r.kids = []Handle{r.l1, r.l2}
	return r, nil
}
