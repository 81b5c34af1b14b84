package router

import (
	"strconv"
	"sync/atomic"

	"mcroute/codec/mc"
	"mcroute/router/hashfunc"
	"mcroute/router/jsonm"
)

// This file holds what FailoverRoute decides per request besides the
// loop itself: which replies trigger a failover (failover_errors), the
// order children are tried in (failover_policy), the failover rate
// limiter (failover_limit), and the per-loop state the last two need.

// numResultCodes bounds the Result values a resultSet can hold.
const numResultCodes = int(mc.ResDeadlineExceeded) + 1

// resultSet is a set of Results, decided at config time.
type resultSet [numResultCodes]bool

func (s *resultSet) has(r mc.Result) bool { return int(r) < len(s) && s[r] }

// defaultFailoverErrors is mcrouter's failover-error set (BUSY, SHUTDOWN,
// TKO, TRY_AGAIN, LOCAL_ERROR, CONNECT_ERROR, CONNECT_TIMEOUT, TIMEOUT,
// REMOTE_ERROR, DEADLINE_EXCEEDED).
var defaultFailoverErrors = func() (s resultSet) {
	for r := range s {
		s[r] = mc.Result(r).IsFailoverError()
	}
	return s
}()

// errorResultNames are carbon's error results by their name without
// "mc_res_" (the spelling failover_errors and exclude_errors use). A value
// of ResUnknown marks an error result mcroute never produces (ooo,
// bad_command, ...): valid in a config, it simply never matches.
var errorResultNames = map[string]mc.Result{
	"ooo":               mc.ResUnknown,
	"timeout":           mc.ResTimeout,
	"connect_timeout":   mc.ResConnectTimeout,
	"connect_error":     mc.ResConnectError,
	"busy":              mc.ResBusy,
	"try_again":         mc.ResTryAgain,
	"shutdown":          mc.ResShutdown,
	"tko":               mc.ResTko,
	"bad_command":       mc.ResUnknown,
	"bad_key":           mc.ResBadKey,
	"bad_flags":         mc.ResUnknown,
	"bad_exptime":       mc.ResUnknown,
	"bad_lease_id":      mc.ResUnknown,
	"bad_cas_id":        mc.ResUnknown,
	"bad_value":         mc.ResBadValue,
	"aborted":           mc.ResAborted,
	"client_error":      mc.ResClientError,
	"local_error":       mc.ResLocalError,
	"remote_error":      mc.ResRemoteError,
	"deadline_exceeded": mc.ResDeadlineExceeded,
	"permission_denied": mc.ResUnknown,
	"hot_key":           mc.ResUnknown,
	"overloaded":        mc.ResUnknown,
}

// errorList parses an array of error result names into a set.
func (b *builder) errorList(typ, field string, v *jsonm.Value) (resultSet, error) {
	var s resultSet
	if !v.IsArray() {
		return s, b.errf(v, "%s: %s: list of failover errors is not an array", typ, field)
	}
	for _, e := range v.Elems {
		name, ok := e.String()
		if !ok {
			return s, b.errf(e, "%s: %s: failover error is not a string", typ, field)
		}
		r, ok := errorResultNames[name]
		if !ok {
			return s, b.errf(e, "%s: %s: failover error '%s' is not a valid error type", typ, field, name)
		}
		if r != mc.ResUnknown {
			s[r] = true
		}
	}
	return s, nil
}

// Op classes of failover_errors.
const (
	classGets = iota
	classUpdates
	classDeletes
	classOther
	numClasses
)

// failoverErrors is failover_errors: the triggering results per op class.
type failoverErrors [numClasses]resultSet

func (e *failoverErrors) should(req *mc.Request, r mc.Result) bool {
	c := classOther
	switch {
	case req.Op.IsGet():
		c = classGets
	case req.Op.IsUpdate():
		c = classUpdates
	case req.Op == mc.OpDelete:
		c = classDeletes
	}
	return e[c].has(r)
}

// parseFailoverErrors reads failover_errors: an array (for gets, updates
// and deletes alike) or {"gets": [...], "updates": [...], "deletes": [...]}
// (a missing class keeps the default set). Other ops always use the
// default set.
func (b *builder) parseFailoverErrors(typ string, v *jsonm.Value) (failoverErrors, error) {
	e := failoverErrors{defaultFailoverErrors, defaultFailoverErrors, defaultFailoverErrors, defaultFailoverErrors}
	if v == nil {
		return e, nil
	}
	switch {
	case v.IsArray():
		s, err := b.errorList(typ, "failover_errors", v)
		if err != nil {
			return e, err
		}
		e[classGets], e[classUpdates], e[classDeletes] = s, s, s
	case v.IsObject():
		for c, name := range [...]string{"gets", "updates", "deletes"} {
			if lv := v.Get(name); lv != nil {
				s, err := b.errorList(typ, "failover_errors."+name, lv)
				if err != nil {
					return e, err
				}
				e[c] = s
			}
		}
	default:
		return e, b.errf(v, "%s: failover_errors must be either an array or an object", typ)
	}
	return e, nil
}

// isTkoOrHardTko: replies for which no work was done downstream; they do
// not count as a try and are not rate limited (mcrouter's
// isTkoOrHardTkoResult).
func isTkoOrHardTko(r mc.Result) bool {
	switch r {
	case mc.ResTko, mc.ResConnectError, mc.ResConnectTimeout, mc.ResShutdown:
		return true
	}
	return false
}

// Failover policies.
type policyKind uint8

const (
	policyInOrder policyKind = iota
	policyLeastFailures
	policyDeterministic
)

// parsePolicy reads failover_policy into r (n = number of children).
func (b *builder) parsePolicy(typ string, cfg, pv *jsonm.Value, r *failoverRoute) error {
	n := len(r.children)
	r.policy, r.maxTries, r.maxErrorTries = policyInOrder, n, n
	if pv == nil {
		return nil
	}
	if !pv.IsObject() {
		return b.errf(pv, "%s: failover_policy is not an object", typ)
	}
	tv := pv.Get("type")
	if tv == nil {
		return b.errf(pv, "%s: failover_policy object is missing 'type' field", typ)
	}
	t, ok := tv.String()
	if !ok {
		return b.errf(tv, "%s: failover_policy: type is not a string", typ)
	}
	maxTries := func(field string, limit int) (int, error) {
		v := pv.Get(field)
		if v == nil {
			return 0, b.errf(pv, "%s: %s must specify '%s' field", typ, t, field)
		}
		i, ok := v.Int()
		if !ok || i < 1 || i > 1<<32-1 {
			return 0, b.errf(v, "%s: %s: %s must be an integer in [1, 4294967295]", typ, t, field)
		}
		return int(min(i, int64(limit))), nil
	}
	switch t {
	case "LeastFailuresPolicy":
		m, err := maxTries("max_tries", n)
		if err != nil {
			return err
		}
		r.policy, r.maxTries, r.maxErrorTries = policyLeastFailures, m, n
	case "DeterministicOrderPolicy":
		m, err := maxTries("max_tries", n)
		if err != nil {
			return err
		}
		me, err := maxTries("max_error_tries", m)
		if err != nil {
			return err
		}
		r.policy, r.maxTries, r.maxErrorTries = policyDeterministic, m, me
		if ev := pv.Get("exclude_errors"); ev != nil {
			if r.exclude, err = b.errorList(typ, "failover_policy.exclude_errors", ev); err != nil {
				return err
			}
		}
		for _, f := range [...]string{"enable_failure_domains", "ignore_normal_reply_index"} {
			if fv := pv.Get(f); fv != nil {
				on, ok := fv.Bool()
				if !ok {
					return b.errf(fv, "%s: %s: %s is not a boolean", typ, t, f)
				}
				if f == "ignore_normal_reply_index" {
					r.ignoreNormal = on
				}
				// enable_failure_domains: mcroute servers have no failure
				// domains, so there is nothing to skip.
			}
		}
		// The route's own "hash" replaces the policy's (mcrouter inserts it).
		hv := pv.Get("hash")
		if rh := cfg.Get("hash"); rh != nil {
			hv = rh
		}
		fname, wcfg := hashfunc.NameCh3, pv
		if hv != nil {
			wcfg = hv
			if f := hv.Get("hash_func"); f != nil {
				s, ok := f.String()
				if !ok {
					return b.errf(f, "%s: DeterministicOrderPolicy: hash_func is not a string", typ)
				}
				fname = s
			}
		}
		var opts hashfunc.Options
		switch fname {
		case hashfunc.NameCh3:
		case hashfunc.NameWeightedCh3:
			wv := wcfg.Get("weights")
			if !wv.IsArray() {
				return b.errf(wcfg, "%s: DeterministicOrderPolicy: WeightedCh3 needs a \"weights\" array", typ)
			}
			for _, e := range wv.Elems {
				f, ok := e.Float()
				if !ok {
					return b.errf(e, "%s: DeterministicOrderPolicy: weights must be numbers", typ)
				}
				opts.Weights = append(opts.Weights, f)
			}
		default:
			return b.errf(hv, "%s: DeterministicOrderPolicy: Unknown hash function %s", typ, fname)
		}
		fn, err := hashfunc.New(fname, n, opts)
		if err != nil {
			return b.errf(pv, "%s: DeterministicOrderPolicy: %v", typ, err)
		}
		r.detHash = fn
		r.normal = findHash(r.children[0])
	case "RendezvousPolicy":
		return b.errf(tv, "%s: failover_policy RendezvousPolicy is not supported by mcroute", typ)
	}
	// Any other type: in order, unlimited (mcrouter ignores it).
	return nil
}

// findHash returns the hash route that picks the server of h (h itself, or
// under single-child wrappers), or nil: DeterministicOrderPolicy skips the
// failover child that mirrors the server the normal route picked.
func findHash(h Handle) *hashRoute {
	for range 8 {
		if hr, ok := h.(*hashRoute); ok {
			return hr
		}
		cs := h.Children()
		if len(cs) != 1 {
			return nil
		}
		h = cs[0]
	}
	return nil
}

// detIndex returns the next DeterministicOrderPolicy child for st: Ch3 (or
// WeightedCh3) over all children of routing key + decimal salt, salt
// 2, 3, 4, …, skipping index 0, the mirror of the normal route's server
// and children already used (at most 100 more attempts).
func (r *failoverRoute) detIndex(req *mc.Request, used []bool, salt *int, buf *[]byte) int {
	rk := routingKeyOf(req)
	idx := 0
	for attempts := 0; ; attempts++ {
		*salt++
		k := append((*buf)[:0], rk...)
		k = strconv.AppendInt(k, int64(*salt), 10)
		*buf = k
		idx = r.detHash.Index(k)
		if !used[idx] || attempts >= 100 {
			break
		}
	}
	used[idx] = true
	return idx
}

// detStart resets used for a new DeterministicOrderPolicy walk.
func (r *failoverRoute) detStart(req *mc.Request, used []bool) {
	clear(used)
	used[0] = true
	if r.ignoreNormal {
		return
	}
	if r.normal == nil {
		// No hash under the normal route: mcrouter's selected index is
		// then unset (-1) and +1 skips index 0 again.
		return
	}
	if sel := r.normal.fn.Index(routingKeyOf(req)); sel+1 < len(used) {
		used[sel+1] = true
	}
}

// parseLimit reads failover_limit {"rate": [0,1], "burst": >=1 (1000)}.
func (b *builder) parseLimit(typ string, lv *jsonm.Value, r *failoverRoute) error {
	if lv == nil {
		return nil
	}
	if !lv.IsObject() {
		return b.errf(lv, "%s: failover_limit is not an object", typ)
	}
	rv := lv.Get("rate")
	if rv == nil {
		return b.errf(lv, "%s: failover_limit: rate not found", typ)
	}
	rate, ok := rv.Float()
	if !ok {
		return b.errf(rv, "%s: failover_limit: rate is not a number", typ)
	}
	burst := 1000.0
	if bv := lv.Get("burst"); bv != nil {
		if burst, ok = bv.Float(); !ok {
			return b.errf(bv, "%s: failover_limit: burst is not a number", typ)
		}
	}
	r.limited = true
	r.rate = min(max(rate, 0), 1)
	r.burst = max(burst, 1)
	return nil
}

// failoverLoopState is what one FailoverRoute keeps per event loop (per
// Ctx), as mcrouter keeps it per proxy thread: the failover token bucket
// and LeastFailuresPolicy's consecutive error counts.
type failoverLoopState struct {
	// Token bucket (mcrouter's FailoverRateLimiter over its TokenBucket):
	// time is the number of requests seen, rate tokens per request,
	// capacity burst, first update at time -1e6 so that it starts full.
	reqs, last, tokens float64
	// errs[i]: consecutive error replies of child i (LeastFailuresPolicy).
	errs []uint32
}

// allow consumes a failover token if there is one.
func (s *failoverLoopState) allow(rate, burst float64) bool {
	if s.reqs > s.last {
		s.tokens = min(burst, s.tokens+(s.reqs-s.last)*rate)
		s.last = s.reqs
	}
	if s.tokens >= 1 {
		s.tokens--
		return true
	}
	return false
}

// Per-Ctx state of individual handles: each handle that needs some gets a
// slot number at config time; a Ctx keeps a table of them from the lowest
// slot it has seen, so a lookup is an index, not a map.
var (
	loopSlotSeq  atomic.Int64
	loopSlotKind = newStateKind()
)

type loopSlots struct {
	base  int64
	items []*failoverLoopState
}

// newLoopSlot reserves a slot number (config time).
func newLoopSlot() int64 { return loopSlotSeq.Add(1) }

// loopState returns r's state on ctx's loop, creating it on first use.
func (r *failoverRoute) loopState(ctx *Ctx) *failoverLoopState {
	t, _ := ctx.pools[loopSlotKind].(*loopSlots)
	if t != nil {
		if i := r.slot - t.base; i >= 0 && i < int64(len(t.items)) && t.items[i] != nil {
			return t.items[i]
		}
	}
	return r.newLoopState(ctx, t)
}

func (r *failoverRoute) newLoopState(ctx *Ctx, t *loopSlots) *failoverLoopState {
	if t == nil {
		t = &loopSlots{base: r.slot}
		ctx.pools[loopSlotKind] = t
	}
	if r.slot < t.base {
		grown := make([]*failoverLoopState, t.base-r.slot+int64(len(t.items)))
		copy(grown[t.base-r.slot:], t.items)
		t.items, t.base = grown, r.slot
	}
	for r.slot-t.base >= int64(len(t.items)) {
		t.items = append(t.items, nil)
	}
	s := &failoverLoopState{last: -1e6, errs: make([]uint32, len(r.children))}
	t.items[r.slot-t.base] = s
	return s
}

// leastFailuresOrder fills order with the children in
// LeastFailuresPolicy order: child 0 first, then the others by fewest
// consecutive errors (stable), maxTries in all.
func (r *failoverRoute) leastFailuresOrder(errs []uint32, order []int) []int {
	order = order[:0]
	for i := range r.children {
		order = append(order, i)
	}
	// Insertion sort of order[1:]: stable, no allocation, n is small.
	for i := 2; i < len(order); i++ {
		for j := i; j > 1 && errs[order[j]] < errs[order[j-1]]; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	return order[:r.maxTries]
}
