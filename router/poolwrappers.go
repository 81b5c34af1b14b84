package router

import "mcroute/router/jsonm"

// poolDests returns the pool's destinations wrapped as PoolRoute cfg asks,
// inside out as mcrouter does (mcrouter-behaviour.md §1.5): each server
// in an OutstandingLimitRoute ("max_outstanding"), then a SlowWarmUpRoute
// ("slow_warmup"), then a ShadowRoute ("shadows", by server index). The
// pool's own list is not changed: other routes share it.
func (b *builder) poolDests(cfg *jsonm.Value, p *pool) ([]Handle, error) {
	dests := p.dests
	if cfg == nil || !cfg.IsObject() || len(dests) == 0 {
		return dests, nil
	}
	what := "PoolRoute " + p.name
	if mv := cfg.Get("max_outstanding"); mv != nil {
		n, ok := mv.Int()
		if !ok || n < 0 || n > maxOutstandingLimit {
			return nil, b.errf(mv, "%s: max_outstanding must be an integer in 0..%d", what, maxOutstandingLimit)
		}
		if n > 0 {
			dests = append([]Handle(nil), dests...)
			for i, d := range dests {
				dests[i] = newOutstandingLimitRoute(d, int(n))
			}
		}
	}
	if sv := cfg.Get("slow_warmup"); sv != nil {
		set, failover, err := b.slowWarmUpConfig(sv, what+": slow_warmup")
		if err != nil {
			return nil, err
		}
		dests = append([]Handle(nil), dests...)
		for i, d := range dests {
			dests[i] = &slowWarmUpRoute{target: d, failover: failover, set: set, slot: newLoopSlot()}
		}
	}
	return b.wrapShadows(what, cfg, dests)
}
