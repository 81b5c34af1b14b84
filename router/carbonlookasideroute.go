package router

import (
	"crypto/md5"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("CarbonLookasideRoute", newCarbonLookasideRoute) }

// carbonLookasideRoute is mcrouter's CarbonLookasideRoute with its
// memcache helper (MemcacheCarbonLookasideHelper): replies of child are
// cached in a memcache reached through an embedded router built from a
// flavor file (mcrouter-behaviour.md §2.5; mcrouter's
// routes/CarbonLookasideRoute.h):
//
//   - get: a get of prefix+key(+":ks<hostid % key_split_size>" when
//     key_split_size > 1, +":<ms bucket>" with ttl_unit_ms) to the cache;
//     a hit is the answer. A miss or an error from the cache sends the
//     request to child, whose answer is the reply; a child hit is also set
//     in the cache in the background (exptime ttl, or 1 with ttl_unit_ms,
//     where the key's time bucket makes the sub-second expiry). Child
//     errors are not cached.
//   - everything else goes to child only. mcrouter's memcache helper makes
//     every keyed request a candidate and stores the serialised carbon
//     reply of any op under the same key (a set's reply would shadow a
//     get's); mcroute keeps a memcache item (the value and flags of the
//     hit), which only means something for get, and does not cache
//     misses (mcrouter caches a non-error miss reply too). gets/gat/gats
//     are not served from the cache: a cached copy cannot carry the
//     backend's cas unique or apply the touch.
type carbonLookasideRoute struct {
	child, cache Handle
	kids         []Handle
	prefix       string
	suffix       string // ":ks<n>" or ""
	ttl          int64
	subSec       bool
	name         string
}

var carbonLookasideKind = newStateKind()

// carbonLookasideState is one get in flight through a carbonLookasideRoute.
type carbonLookasideState struct {
	r     *carbonLookasideRoute
	ctx   *Ctx
	cb    mc.Callback
	req   *mc.Request // the caller's, valid until cb is answered
	child bool        // waiting for child (else for the cache)
	key   []byte      // the cache key
	sub   mc.Request  // the get to the cache
	out   mc.Reply    // the cache hit as answered (the caller's opaque)
}

func (r *carbonLookasideRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	if req.Op != mc.OpGet {
		r.child.Route(ctx, req, cb)
		return
	}
	st := acquire[carbonLookasideState](ctx, carbonLookasideKind)
	st.r, st.ctx, st.cb, st.req, st.child = r, ctx, cb, req, false
	st.key = r.appendKey(st.key[:0], req.Key, time.Now())
	st.sub = mc.Request{Op: mc.OpGet, Key: st.key}
	// st may be answered and released during this call.
	r.cache.Route(ctx, &st.sub, st)
}

// appendKey appends the cache key of key to dst, as mcrouter's buildKey:
// prefix, the key, the key split suffix and, with ttl_unit_ms, ":" and
// the current ttl-long bucket of the second.
func (r *carbonLookasideRoute) appendKey(dst, key []byte, now time.Time) []byte {
	dst = append(dst, r.prefix...)
	dst = append(dst, key...)
	dst = append(dst, r.suffix...)
	if r.subSec {
		ms := int64(now.Nanosecond()) / int64(time.Millisecond)
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, ms/r.ttl, 10)
	}
	return dst
}

func (st *carbonLookasideState) OnReply(rep *mc.Reply) {
	r, req := st.r, st.req
	if !st.child {
		if rep.Result == mc.ResFound {
			st.out = *rep
			st.out.Opaque, st.out.Cas, st.out.HasCas = req.Opaque, 0, false
			st.finish(&st.out)
			return
		}
		// A miss or a cache error: ask child.
		st.child = true
		r.child.Route(st.ctx, req, st)
		return
	}
	if rep.Result != mc.ResFound {
		st.finish(rep)
		return
	}
	// Copy the fill before answering (rep is only valid until then);
	// send it after, so that it never delays the client.
	exptime := r.ttl
	if r.subSec {
		exptime = 1
	}
	f := newFill(st.ctx, mc.OpSet, st.key, rep.Flags, exptime, rep.Value)
	st.finish(rep)
	f.send(r.cache)
}

// finish answers the caller with rep and releases st.
func (st *carbonLookasideState) finish(rep *mc.Reply) {
	ctx, cb := st.ctx, st.cb
	st.ctx, st.cb, st.req, st.sub = nil, nil, nil, mc.Request{}
	cb.OnReply(rep) // rep may be st.out: release only after
	st.out = mc.Reply{}
	release(ctx, carbonLookasideKind, st)
}

func (r *carbonLookasideRoute) Name() string       { return r.name }
func (r *carbonLookasideRoute) Children() []Handle { return r.kids }
func (r *carbonLookasideRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	r.child.Traverse(req, depth+1, visit)
}

// newCarbonLookasideRoute builds CarbonLookasideRoute:
//
//	{"type": "CarbonLookasideRoute", "child": route, "ttl": N,
//	 "ttl_unit_ms": bool, "prefix": "p", "key_split_size": N,
//	 "flavor": "file:<path>", "flavor_overrides": {...},
//	 "helper_config": {...}, "lease_settings": {...}}
//
// with mcrouter's checks and wording. The cache is an embedded router:
// the flavor file (JSON; "options" as a libmcrouter flavor, or
// "libmcrouter_options" of <flavor>-standalone<ext>), overridden by
// flavor_overrides, names the router's "config" ("file:<path>" or inline
// JSON; or "config_file"), which is built as a config of its own (pools
// and route; its servers join this config's, but not flush_all's
// broadcast). Relative paths are read from the referring file's
// directory. Other flavor options are not applied. helper_config is
// checked to be an object and unused, as mcrouter's memcache helper does.
// lease_settings.enable_leases true is refused: mcroute sends no lease
// commands. Where mcrouter cannot create the embedded router it logs and
// routes to child uncached; mcroute refuses the config instead.
func newCarbonLookasideRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if !cfg.IsObject() {
		if cfg == nil {
			cfg = at
		}
		return nil, b.errf(cfg, "CarbonLookasideRoute is not an object")
	}
	cv := cfg.Get("child")
	if cv == nil {
		return nil, b.errf(cfg, "CarbonLookasideRoute: 'child' property is missing")
	}
	r := &carbonLookasideRoute{}
	if uv := cfg.Get("ttl_unit_ms"); uv != nil {
		on, ok := uv.Bool()
		if !ok {
			return nil, b.errf(uv, "CarbonLookasideRoute: 'ttl_unit_ms' is not a bool")
		}
		r.subSec = on
	}
	tv := cfg.Get("ttl")
	if tv == nil {
		return nil, b.errf(cfg, "CarbonLookasideRoute: 'ttl' property is missing")
	}
	ttl, ok := tv.Int()
	if !ok || ttl < 0 || ttl > math.MaxInt32 {
		return nil, b.errf(tv, "CarbonLookasideRoute: 'ttl' is not an integer")
	}
	if r.subSec && (ttl < 10 || ttl >= 1000 || 1000%ttl != 0) {
		return nil, b.errf(tv, "CarbonLookasideRoute: for sub-second ttl, you must use a number that is >= 10, < 1000, and 1000 must be a multiple of ttl.")
	}
	r.ttl = ttl
	if pv := cfg.Get("prefix"); pv != nil {
		if r.prefix, ok = pv.String(); !ok {
			return nil, b.errf(pv, "CarbonLookasideRoute: 'prefix' is not a string")
		}
	}
	flavor, flavorAt := "web", cfg
	if fv := cfg.Get("flavor"); fv != nil {
		if flavor, ok = fv.String(); !ok {
			return nil, b.errf(fv, "CarbonLookasideRoute: 'flavor' is not a string")
		}
		flavorAt = fv
	}
	overrides := map[string]*jsonm.Value{}
	if ov := cfg.Get("flavor_overrides"); ov != nil {
		if !ov.IsObject() {
			return nil, b.errf(ov, "CarbonLookasideRoute: error parsing 'flavor_overrides'")
		}
		for _, m := range ov.Members {
			if _, ok := optionString(m.Val); !ok {
				return nil, b.errf(m.Val, "CarbonLookasideRoute: error parsing 'flavor_overrides'")
			}
			overrides[m.Key] = m.Val
		}
	}
	if kv := cfg.Get("key_split_size"); kv != nil {
		n, ok := kv.Int()
		if !ok || n <= 0 {
			return nil, b.errf(kv, "CarbonLookasideRoute: 'key_split_size' must be a positive integer")
		}
		if n > 1 {
			hostid := b.opts.HostID
			if hostid == 0 {
				hostid = HostID()
			}
			r.suffix = ":ks" + strconv.FormatUint(uint64(hostid)%uint64(n), 10)
		}
	}
	leases, err := b.carbonLeaseSettings(cfg)
	if err != nil {
		return nil, err
	}
	if hv := cfg.Get("helper_config"); hv != nil && !hv.IsObject() {
		return nil, b.errf(hv, "CarbonLookasideRoute: 'helper_config' is not an object")
	}
	if r.child, err = b.route(cv); err != nil {
		return nil, err
	}
	if r.cache, err = b.carbonLookasideClient(flavor, flavorAt, overrides); err != nil {
		return nil, err
	}
	if leases != nil {
		return nil, b.errf(leases, "CarbonLookasideRoute: lease_settings.enable_leases: true is not supported by mcroute: it sends no lease-get/lease-set; set it to false")
	}
	unit := "s"
	if r.subSec {
		unit = "ms"
	}
	r.name = "lookaside-cache|name=MemcacheCarbonLookasideHelper|ttl=" + strconv.FormatInt(r.ttl, 10) + unit + "|leases=false"
	r.kids = []Handle{r.child}
	return r, nil
}

// carbonLeaseSettings checks lease_settings as mcrouter's
// parseLeaseSettings; it returns the enable_leases value when that is
// true (nil otherwise).
func (b *builder) carbonLeaseSettings(cfg *jsonm.Value) (*jsonm.Value, error) {
	lv := cfg.Get("lease_settings")
	if lv == nil {
		return nil, nil
	}
	if !lv.IsObject() {
		return nil, b.errf(lv, "CarbonLookasideRoute: 'lease_settings' is not an object")
	}
	var enabled *jsonm.Value
	if ev := lv.Get("enable_leases"); ev != nil {
		on, ok := ev.Bool()
		if !ok {
			return nil, b.errf(ev, "CarbonLookasideRoute: 'enable_leases' is not bool")
		}
		if on {
			enabled = ev
		}
	}
	for _, f := range []string{"initial_wait_interval_ms", "max_wait_interval_ms", "num_retries"} {
		v := lv.Get(f)
		if v == nil {
			continue
		}
		n, ok := v.Int()
		if !ok {
			return nil, b.errf(v, "CarbonLookasideRoute: '%s' is not an int", f)
		}
		if n < 0 {
			return nil, b.errf(v, "CarbonLookasideRoute: '%s' must be >= 0", f)
		}
	}
	return enabled, nil
}

// optionString renders a flavor option as mcrouter's asString does.
func optionString(v *jsonm.Value) (string, bool) {
	if s, ok := v.String(); ok {
		return s, true
	}
	if n, ok := v.Int(); ok {
		return strconv.FormatInt(n, 10), true
	}
	if on, ok := v.Bool(); ok {
		return strconv.FormatBool(on), true
	}
	return "", false
}

// carbonRead reads path (relative to the directory of from, the file
// that names it; "file:" is dropped) and records it for reloads.
func (b *builder) carbonRead(from, path string) (string, []byte, error) {
	path = strings.TrimPrefix(path, "file:")
	if !filepath.IsAbs(path) {
		dir := filepath.Dir(strings.TrimPrefix(from, "file:"))
		if from == "" {
			dir = "."
		}
		path = filepath.Join(dir, path)
	}
	read := b.opts.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	data, err := read(path)
	if err != nil {
		return path, nil, err
	}
	sum := md5.Sum(data)
	if b.poolFiles == nil {
		b.poolFiles = map[string]string{}
	}
	b.poolFiles[path] = hex.EncodeToString(sum[:])
	return path, data, nil
}

// carbonLookasideClient builds the embedded router of the flavor named by
// flavor (written at at) with overrides applied.
func (b *builder) carbonLookasideClient(flavor string, at *jsonm.Value, overrides map[string]*jsonm.Value) (Handle, error) {
	from := b.file
	if at != nil && at.File != "" {
		from = at.File
	}
	opts := map[string]*jsonm.Value{}
	flavorFile, data, ferr := b.carbonRead(from, flavor)
	found := ferr == nil
	if found {
		if err := carbonFlavorOptions(flavorFile, data, "options", opts); err != nil {
			return nil, b.errf(at, "CarbonLookasideRoute: flavor %q: %v", flavor, err)
		}
	}
	// <flavor>-standalone<ext>: its libmcrouter_options, as mcrouter's readFlavor.
	ext := filepath.Ext(flavorFile)
	if sfile, sdata, err := b.carbonRead("", strings.TrimSuffix(flavorFile, ext)+"-standalone"+ext); err == nil && strings.Contains(string(sdata), "libmcrouter_options") {
		if err := carbonFlavorOptions(sfile, sdata, "libmcrouter_options", opts); err != nil {
			return nil, b.errf(at, "CarbonLookasideRoute: flavor %q: %v", flavor, err)
		}
		if !found {
			flavorFile, found = sfile, true
		}
	}
	if !found {
		return nil, b.errf(at, "CarbonLookasideRoute: cannot read flavor %q for the lookaside client: %v", flavor, ferr)
	}
	for k, v := range overrides {
		opts[k] = v
	}
	var (
		cfgFile string
		text    []byte
		err     error
	)
	cv, fromOverride := opts["config"], overrides["config"] != nil
	if cv == nil {
		cv, fromOverride = opts["config_file"], overrides["config_file"] != nil
		if cv != nil {
			s, _ := optionString(cv)
			cv = jsonm.NewString("file:"+s).At(cv.File, cv.Line)
		}
	}
	if cv == nil {
		return nil, b.errf(at, "CarbonLookasideRoute: flavor %q has no config option for the lookaside client", flavor)
	}
	cfgFrom := flavorFile
	if fromOverride {
		cfgFrom = from
	}
	s, _ := optionString(cv)
	if strings.HasPrefix(s, "file:") {
		if cfgFile, text, err = b.carbonRead(cfgFrom, s); err != nil {
			return nil, b.errf(cv, "CarbonLookasideRoute: cannot read the lookaside client's config %q: %v", s, err)
		}
	} else {
		cfgFile, text = cfgFrom, []byte(s)
	}
	return b.buildSub(cfgFile, text)
}

// carbonFlavorOptions parses a flavor file and copies its section object
// (options as strings) into opts.
func carbonFlavorOptions(file string, data []byte, section string, opts map[string]*jsonm.Value) error {
	v, err := jsonm.Parse(file, data)
	if err != nil {
		return err
	}
	sv := v.Get(section)
	if sv == nil || !sv.IsObject() {
		return &ConfigError{File: file, Line: v.Line, Msg: "no \"" + section + "\" object"}
	}
	for _, m := range sv.Members {
		if _, ok := optionString(m.Val); !ok {
			return &ConfigError{File: file, Line: m.Val.Line, Msg: "option " + m.Key + " is not a string"}
		}
		opts[m.Key] = m.Val
	}
	return nil
}

// buildSub builds a whole config (pools and route, macros expanded) as a
// route of this config: its servers join this config's server list (so
// the loops connect to them), its pools, named handles and memoised
// routes are its own, and servers only it names are left out of
// flush_all's broadcast.
func (b *builder) buildSub(file string, text []byte) (Handle, error) {
	v, err := jsonm.Parse(file, text)
	if err != nil {
		return nil, err
	}
	pp, err := newPreprocessor(file, b.opts)
	if err != nil {
		return nil, err
	}
	if v, err = pp.run(v); err != nil {
		return nil, err
	}
	sub := &builder{
		file:       file,
		opts:       b.opts,
		top:        v,
		pp:         pp,
		servers:    b.servers,
		serverIdx:  b.serverIdx,
		tkoGroups:  b.tkoGroups,
		poolFiles:  b.poolFiles,
		poolDefs:   map[string]*poolDef{},
		pools:      map[string]*pool{},
		seen:       map[string][]Handle{},
		registered: map[string]*jsonm.Value{},
		sideOnly:   b.sideOnly,
		rateLimits: b.rateLimits,
	}
	if sub.opts.DefaultRoute == "" {
		sub.opts.DefaultRoute = "/././"
	}
	first := len(b.servers)
	root, err := sub.buildRoot()
	if err != nil {
		return nil, err
	}
	b.servers, b.serverIdx, b.tkoGroups, b.poolFiles = sub.servers, sub.serverIdx, sub.tkoGroups, sub.poolFiles
	b.rateLimits, b.sideOnly = sub.rateLimits, sub.sideOnly
	b.warnings = append(b.warnings, sub.warnings...)
	for i := first; i < len(b.servers); i++ {
		if b.sideOnly == nil {
			b.sideOnly = map[int]bool{}
		}
		b.sideOnly[i] = true
	}
	if b.pp != nil {
		for f, sum := range pp.imported {
			b.pp.imported[f] = sum
		}
	}
	return root, nil
}
