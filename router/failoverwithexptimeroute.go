package router

import (
	"math"

	"mcroute/router/jsonm"
)

func init() { register("FailoverWithExptimeRoute", newFailoverWithExptimeRoute) }

// newFailoverWithExptimeRoute builds FailoverWithExptimeRoute: a
// FailoverRoute over [normal] + failover, each failover child wrapped in
// ModifyExptimeRoute(min, failover_exptime) when failover_exptime > 0, so
// that what lands on a failover server expires soon (mcrouter-behaviour.md
// §2.3):
//
//	{"type": "FailoverWithExptimeRoute", "normal": route,
//	 "failover": route or [routes], "failover_exptime": 60,
//	 + FailoverRoute's failover_errors, failover_policy, failover_limit, ...}
func newFailoverWithExptimeRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	const typ = "FailoverWithExptimeRoute"
	if !cfg.IsObject() {
		return nil, b.errf(at, "%s is not an object", typ)
	}
	nv := cfg.Get("normal")
	if nv == nil {
		return nil, b.errf(cfg, "%s: normal not found", typ)
	}
	normal, err := b.route(nv)
	if err != nil {
		return nil, err
	}
	exptime := int64(60)
	if ev := cfg.Get("failover_exptime"); ev != nil {
		var ok bool
		exptime, ok = ev.Int()
		if !ok || exptime < math.MinInt32 || exptime > math.MaxInt32 {
			return nil, b.errf(ev, "%s: failover_exptime is not an integer", typ)
		}
	}
	children := []Handle{normal}
	if fv := cfg.Get("failover"); fv != nil {
		hs, err := b.list(fv)
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			if exptime > 0 {
				h = modifyExptime(h, exptime, true)
			}
			children = append(children, h)
		}
	}
	return b.failover(typ, cfg, children)
}
