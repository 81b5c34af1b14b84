package router

import (
	"mcroute/router/jsonm"
)

func init() { register("SaltedFailoverRoute", newSaltedFailoverRoute) }

// newSaltedFailoverRoute builds mcrouter's SaltedFailoverRoute
// (mcrouter-behaviour.md §2.3): a FailoverRoute over
// [PoolRoute{pool, hash, shadows, shadow_policy}, Pool|pool...], i.e. the
// pool's hashed route followed by each of its raw servers, configured by
// the FailoverRoute fields of cfg. It is meant for DeterministicOrderPolicy,
// whose hash is the route's "hash" (shared with the PoolRoute), so a
// failover picks another server of the same pool by the salted routing
// key, skipping the one the PoolRoute picked. There is no handle of its
// own: route_handles shows "failover" over the PoolRoute and the servers,
// as mcrouter does.
func newSaltedFailoverRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if !cfg.IsObject() {
		return nil, b.errf(at, "SaltedFailoverRoute should be an object")
	}
	pv := cfg.Get("pool")
	if pv == nil || !(pv.IsString() || pv.IsObject()) {
		if pv == nil {
			pv = cfg
		}
		return nil, b.errf(pv, "SaltedFailoverRoute: pool needs to be either a string or an object")
	}
	normal := jsonm.NewObject(
		jsonm.Member{Key: "type", Val: jsonm.NewString("PoolRoute")},
		jsonm.Member{Key: "pool", Val: pv},
	).At(cfg.File, cfg.Line)
	normal.Via = cfg.Via
	if sv := cfg.Get("shadows"); sv != nil {
		if !sv.IsArray() {
			return nil, b.errf(sv, "SaltedFailoverRoute: shadows must be an array.")
		}
		normal.Set("shadows", sv)
	}
	if sp := cfg.Get("shadow_policy"); sp != nil {
		if !sp.IsString() {
			return nil, b.errf(sp, "SaltedFailoverRoute: shadow_policy must be a string.")
		}
		normal.Set("shadow_policy", sp)
	}
	if hv := cfg.Get("hash"); hv != nil {
		normal.Set("hash", hv)
	}
	first, err := newPoolRoute(b, normal, cfg)
	if err != nil {
		return nil, err
	}
	p, err := b.pool(pv)
	if err != nil {
		return nil, err
	}
	hs := append([]Handle{first}, p.dests...)
	return b.failover("SaltedFailoverRoute", cfg, hs)
}
