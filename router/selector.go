package router

import (
	"sort"

	"mcroute/router/jsonm"
)

// selectorPolicies reads what OperationSelectorRoute and RoutingGroupRoute
// (policies field field) share, as in mcrouter: a config that is not an
// object is just that route; one of default_policy and the policies field
// is required; without policies the result is the default policy itself.
// When the result is decided here, done is true and def is it. Otherwise
// def is the default policy (nil when absent) and members are the
// policies, sorted by name, so that named handles defined in one policy
// and used in another resolve the same way whatever the JSON order.
func (b *builder) selectorPolicies(typ, field string, cfg, at *jsonm.Value) (def Handle, members []jsonm.Member, done bool, err error) {
	if cfg == nil {
		return nil, nil, false, b.errf(at, "%s needs either 'default_policy' or '%s'", typ, field)
	}
	if !cfg.IsObject() {
		def, err = b.route(cfg)
		return def, nil, true, err
	}
	dv, pv := cfg.Get("default_policy"), cfg.Get(field)
	if dv == nil && pv == nil {
		return nil, nil, false, b.errf(cfg, "%s needs either 'default_policy' or '%s'", typ, field)
	}
	if dv != nil {
		if def, err = b.route(dv); err != nil {
			return nil, nil, false, err
		}
	}
	if pv == nil {
		return def, nil, true, nil
	}
	if !pv.IsObject() {
		return nil, nil, false, b.errf(pv, "%s: %s is not an object", typ, field)
	}
	members = append([]jsonm.Member(nil), pv.Members...)
	sort.SliceStable(members, func(i, j int) bool { return members[i].Key < members[j].Key })
	return def, members, false, nil
}

// childSet collects a selector's distinct children, in first-use order.
type childSet struct {
	list []Handle
	seen map[Handle]bool
}

func (c *childSet) add(h Handle) {
	if h == nil || c.seen[h] {
		return
	}
	if c.seen == nil {
		c.seen = map[Handle]bool{}
	}
	c.seen[h] = true
	c.list = append(c.list, h)
}
