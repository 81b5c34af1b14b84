package router

import (
	"bytes"
	"fmt"
	"sort"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

// rootRoute picks the routes for a key's routing prefix, as mcrouter's
// RootRoute and RouteHandleMap do (mcrouter-behaviour.md §1.6):
//
//  1. no prefix → the routes of -R;
//  2. "/*/*/" → the routes of every prefix, -R's first;
//  3. a prefix without '*' → its routes, else those of
//     "/<region>/fallback/", else none;
//  4. "/<region>/*/" → the routes of every prefix of that region, -R's
//     first;
//  5. any other glob ('*' = a run of non-'/' characters) → the routes of
//     every prefix it matches, -R's first;
//  6. each prefix's selector picks by the routing key; a handle reached
//     through several prefixes is used once;
//  7. none → -R's routes with --send-invalid-route-to-default, else
//     "RootRoute: No rh found".
//
// One handle gets the request. With several, the first one's reply is the
// answer and the others get a copy of the request in the background.
// Everything but rule 5 is a table look-up prepared at config time.
type rootRoute struct {
	// def is -R's route (its selector's wildcard): what a config with one
	// "route" routes everything to. Tests look at it.
	def     Handle
	defT    *targets
	all     *targets
	exact   []keyedTargets // by raw alias, sorted
	regions []keyedTargets // by region, sorted
	// fallback maps a region to its "/<region>/fallback/" prefix's routes.
	fallback []keyedTargets
	// globs are every prefix for rule 5: -R's first, then in config order.
	globs            []keyedTargets
	invalidToDefault bool
	onlyGets         bool // --allow-only-gets
}

type keyedTargets struct {
	key []byte
	t   *targets
}

// routeTable is the routing prefixes of a config in config order; a
// prefix given twice keeps its first place and its last route, as
// mcrouter's map assignment does.
type routeTable struct {
	entries []routeEntry
}

type routeEntry struct {
	alias string
	at    *jsonm.Value
	sel   *prefixSelector
}

func (t *routeTable) set(alias string, at *jsonm.Value, sel *prefixSelector) {
	for i := range t.entries {
		if t.entries[i].alias == alias {
			t.entries[i].at, t.entries[i].sel = at, sel
			return
		}
	}
	t.entries = append(t.entries, routeEntry{alias: alias, at: at, sel: sel})
}

var (
	msgNoRoute   = []byte("RootRoute: No rh found")
	prefixAll    = []byte("/*/*/")
	fallbackPart = []byte("fallback")
)

// newRootRoute prepares every look-up of the routes table.
func (b *builder) newRootRoute(table *routeTable, at *jsonm.Value) (*rootRoute, error) {
	defPrefix := b.opts.DefaultRoute
	var defEntry *routeEntry
	for i := range table.entries {
		if table.entries[i].alias == defPrefix {
			defEntry = &table.entries[i]
		}
	}
	if defEntry == nil {
		return nil, b.errf(at, "invalid default route: %s", defPrefix)
	}
	defRegion := prefixRegion(defPrefix)
	regions := make([]string, len(table.entries))
	for i, e := range table.entries {
		p, err := NormalizePrefix(e.alias)
		if err != nil {
			return nil, b.errf(e.at, "%v", err)
		}
		regions[i] = prefixRegion(p)
	}

	cache := map[string]*targets{}
	targetsOf := func(sels []*prefixSelector) *targets {
		key := fmt.Sprint(sels)
		if t, ok := cache[key]; ok {
			return t
		}
		t := newTargets(sels)
		cache[key] = t
		return t
	}

	r := &rootRoute{invalidToDefault: b.opts.SendInvalidRouteToDefault, onlyGets: b.opts.AllowOnlyGets}
	all := []*prefixSelector{defEntry.sel}
	byRegion := map[string][]*prefixSelector{defRegion: {defEntry.sel}}
	var regionOrder []string
	r.globs = append(r.globs, keyedTargets{key: []byte(defPrefix), t: targetsOf([]*prefixSelector{defEntry.sel})})
	for i, e := range table.entries {
		if e.alias == defPrefix {
			continue
		}
		all = append(all, e.sel)
		if _, ok := byRegion[regions[i]]; !ok {
			regionOrder = append(regionOrder, regions[i])
		}
		byRegion[regions[i]] = append(byRegion[regions[i]], e.sel)
		r.globs = append(r.globs, keyedTargets{key: []byte(e.alias), t: targetsOf([]*prefixSelector{e.sel})})
	}
	r.defT = r.globs[0].t
	r.def = defEntry.sel.wildcard
	r.all = targetsOf(all)
	for _, g := range r.globs {
		r.exact = append(r.exact, g)
		// "/<region>/fallback/" exactly as a key's prefix would spell it.
		if region, cluster, ok := splitPrefix(g.key); ok && bytes.Equal(cluster, fallbackPart) {
			r.fallback = append(r.fallback, keyedTargets{key: region, t: g.t})
		}
	}
	for _, region := range append([]string{defRegion}, regionOrder...) {
		r.regions = append(r.regions, keyedTargets{key: []byte(region), t: targetsOf(byRegion[region])})
	}
	for _, s := range [][]keyedTargets{r.exact, r.regions, r.fallback} {
		sort.Slice(s, func(i, j int) bool { return bytes.Compare(s[i].key, s[j].key) < 0 })
	}
	return r, nil
}

// prefixRegion returns the region of a normalised "/region/cluster/".
func prefixRegion(p string) string {
	region, _, _ := splitPrefix([]byte(p))
	return string(region)
}

// splitPrefix splits "/region/cluster/" (exactly that shape) into its
// parts.
func splitPrefix(p []byte) (region, cluster []byte, ok bool) {
	if len(p) < 5 || p[0] != '/' || p[len(p)-1] != '/' {
		return nil, nil, false
	}
	i := bytes.IndexByte(p[1:], '/') + 1
	if i <= 1 || i == len(p)-1 {
		return nil, nil, false
	}
	cluster = p[i+1 : len(p)-1]
	if bytes.IndexByte(cluster, '/') >= 0 {
		return nil, nil, false
	}
	return p[1:i], cluster, true
}

// find returns the targets of key in a sorted table, nil when absent.
func find(s []keyedTargets, key []byte) *targets {
	lo, hi := 0, len(s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if bytes.Compare(s[m].key, key) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(s) && bytes.Equal(s[lo].key, key) {
		return s[lo].t
	}
	return nil
}

func (r *rootRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	if r.onlyGets && !req.Op.IsGet() {
		ctx.replyLocal(cb, defaultResult(req), nil)
		return
	}
	key := req.Key
	pl := RoutingPrefixLen(key)
	if pl == 0 && r.defT.one != nil {
		r.defT.one.Route(ctx, req, cb)
		return
	}
	rk := key[pl:]
	if i := bytes.Index(rk, hashStop); i >= 0 {
		rk = rk[:i]
	}
	if pl == 0 {
		r.dispatch(ctx, req, cb, r.defT.forKey(rk))
		return
	}
	if hs, ok := r.fast(key[:pl], rk); ok {
		r.dispatch(ctx, req, cb, hs)
		return
	}
	sc := acquire[rootScratch](ctx, rootScratchKind)
	sc.hs = r.slow(sc.hs[:0], key[:pl], rk)
	r.dispatch(ctx, req, cb, sc.hs)
	clear(sc.hs)
	release(ctx, rootScratchKind, sc)
}

// fast is mcrouter's getTargetsForKeyFast: rules 1–4 and 7. ok is false
// for a glob that needs matching (rule 5).
func (r *rootRoute) fast(prefix, rk []byte) (hs []Handle, ok bool) {
	var t *targets
	switch star := bytes.IndexByte(prefix, '*'); {
	case len(prefix) == 0:
		t = r.defT
	case bytes.Equal(prefix, prefixAll):
		t = r.all
	case star < 0:
		if t = find(r.exact, prefix); t == nil {
			if region, _, ok := splitPrefix(prefix); ok {
				t = find(r.fallback, region)
			}
		}
	case star == len(prefix)-2 && prefix[len(prefix)-3] == '/':
		t = find(r.regions, prefix[1:len(prefix)-3])
	default:
		return nil, false
	}
	if t != nil {
		hs = t.forKey(rk)
	}
	if len(hs) == 0 && r.invalidToDefault {
		hs = r.defT.forKey(rk)
	}
	return hs, true
}

// slow is mcrouter's getTargetsForKeySlow (rule 5): the routes of every
// prefix the glob matches, -R's first, each handle once.
func (r *rootRoute) slow(dst []Handle, prefix, rk []byte) []Handle {
	for _, g := range r.globs {
		if !matchPattern(prefix, g.key) {
			continue
		}
		for _, h := range g.t.forKey(rk) {
			dst = appendUnique(dst, h)
		}
	}
	if len(dst) == 0 && r.invalidToDefault {
		dst = append(dst, r.defT.forKey(rk)...)
	}
	return dst
}

// targetsFor returns the handles req goes to (for Traverse; allocates).
func (r *rootRoute) targetsFor(key []byte) []Handle {
	pl := RoutingPrefixLen(key)
	rk := RoutingKey(key)
	if hs, ok := r.fast(key[:pl], rk); ok {
		return hs
	}
	return r.slow(nil, key[:pl], rk)
}

// dispatch sends req to hs[0] for the answer and, in the background, a
// copy of req to the others.
func (r *rootRoute) dispatch(ctx *Ctx, req *mc.Request, cb mc.Callback, hs []Handle) {
	switch len(hs) {
	case 0:
		ctx.replyLocal(cb, mc.ResLocalError, msgNoRoute)
		return
	case 1:
		hs[0].Route(ctx, req, cb)
		return
	}
	// Copy req first: the answer may come, and the caller recycle req,
	// before hs[0].Route returns.
	st := acquire[rootAsync](ctx, rootAsyncKind)
	st.ctx, st.pending = ctx, len(hs)-1
	st.req.Set(req)
	hs[0].Route(ctx, req, cb)
	// st is released when its last reply arrives, possibly during the
	// last Route call: do not touch it after the loop.
	for _, h := range hs[1:] {
		h.Route(ctx, &st.req.R, st)
	}
}

var (
	rootAsyncKind   = newStateKind()
	rootScratchKind = newStateKind()
)

// rootAsync is one request copy shared by the background sends of a
// broadcast; it releases itself when the last of them has answered.
type rootAsync struct {
	ctx     *Ctx
	pending int
	req     RequestCopy
}

func (st *rootAsync) OnReply(*mc.Reply) {
	st.pending--
	if st.pending > 0 {
		return
	}
	ctx := st.ctx
	st.ctx = nil
	release(ctx, rootAsyncKind, st)
}

// rootScratch holds the target list of one glob-routed request.
type rootScratch struct {
	hs []Handle
}

func (r *rootRoute) Name() string { return "root" }

// Children returns every handle the root can send to.
func (r *rootRoute) Children() []Handle {
	var hs []Handle
	for _, pt := range r.all.byPrefix {
		for _, h := range pt.hs {
			hs = appendUnique(hs, h)
		}
	}
	for _, h := range r.all.wildcard {
		hs = appendUnique(hs, h)
	}
	return hs
}

func (r *rootRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	for _, h := range r.targetsFor(req.Key) {
		h.Traverse(req, depth+1, visit)
	}
}
