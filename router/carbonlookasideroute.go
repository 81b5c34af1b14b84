package router

import "mcroute/router/jsonm"

func init() { register("CarbonLookasideRoute", newCarbonLookasideRoute) }

// newCarbonLookasideRoute refuses CarbonLookasideRoute with the reason
// (mcrouter-behaviour.md §2.5): mcrouter's handle caches its child's
// replies through a second, embedded mcrouter instance built from a
// "flavor" file (and helper_config, flavor_overrides, lease_settings),
// serialising carbon replies as cache values. mcroute has no embedded
// client or carbon serialisation, and a look-aside cache that answered
// differently from mcrouter's would silently change replies, so the
// config is refused rather than served without the cache.
func newCarbonLookasideRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if cfg != nil {
		at = cfg
	}
	return nil, b.errf(at, "CarbonLookasideRoute is not supported by mcroute: it caches replies through an embedded mcrouter client built from a flavor file, which mcroute does not have; route to the child directly, or put a WarmUpRoute/L1L2CacheRoute in front of it")
}
