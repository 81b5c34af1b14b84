package router

import (
	"bytes"
	"reflect"
	"sort"

	"mcroute/router/jsonm"
)

// prefixSelector is mcrouter's PrefixSelectorRoute (mcrouter-behaviour.md
// §1.6): the value of "route" or of one "routes" entry. It picks a handle
// by the longest of its policy prefixes that the routing key starts with,
// else its wildcard; neither → no handle. Any other route value is a
// selector with only a wildcard. It is not a Handle: RootRoute merges the
// selectors of the prefixes a key matches into one target list.
//
//	{"type": "PrefixSelectorRoute",
//	 "policies": {"keyPrefix": route, ...},
//	 "wildcard": route}
type prefixSelector struct {
	policies []policy // sorted by prefix, as built
	wildcard Handle   // nil when none
}

// policy is one key prefix of a PrefixSelectorRoute and its handle.
type policy struct {
	prefix []byte
	h      Handle
}

// selector builds the selector for a route or routes value.
func (b *builder) selector(v *jsonm.Value) (*prefixSelector, error) {
	if t, _ := v.Get("type").String(); !v.IsObject() || t != "PrefixSelectorRoute" {
		h, err := b.route(v)
		if err != nil {
			return nil, err
		}
		return &prefixSelector{wildcard: h}, nil
	}
	pv, wv := v.Get("policies"), v.Get("wildcard")
	if pv == nil && wv == nil {
		return nil, b.errf(v, "PrefixSelectorRoute: no policies/wildcard")
	}
	s := &prefixSelector{}
	if pv != nil {
		if !pv.IsObject() {
			return nil, b.errf(pv, "PrefixSelectorRoute: policies is not an object")
		}
		// mcrouter builds the policies in key order; memoised names can
		// depend on it.
		ms := append([]jsonm.Member(nil), pv.Members...)
		sort.Slice(ms, func(i, j int) bool { return ms[i].Key < ms[j].Key })
		for _, m := range ms {
			h, err := b.route(m.Val)
			if err != nil {
				return nil, err
			}
			s.policies = append(s.policies, policy{prefix: []byte(m.Key), h: h})
		}
	}
	if wv != nil {
		h, err := b.route(wv)
		if err != nil {
			return nil, err
		}
		s.wildcard = h
	}
	return s, nil
}

// pick returns the selector's handle for routingKey, nil when none.
func (s *prefixSelector) pick(routingKey []byte) Handle {
	best := -1
	for i := range s.policies {
		p := s.policies[i].prefix
		if bytes.HasPrefix(routingKey, p) && (best < 0 || len(p) > len(s.policies[best].prefix)) {
			best = i
		}
	}
	if best >= 0 {
		return s.policies[best].h
	}
	return s.wildcard
}

// targets is mcrouter's RoutePolicyMap: for a list of selectors (those of
// the routing prefixes one key prefix stands for), the handles a routing
// key goes to, precomputed for every policy prefix any of them has: each
// selector's pick, in selector order, without nils and duplicates.
type targets struct {
	byPrefix []prefixTargets // longest prefix first
	wildcard []Handle
	// one is the only handle when there is no choice to make (no
	// policies, one wildcard): the common case, routed without looking at
	// the key.
	one Handle
}

type prefixTargets struct {
	prefix []byte
	hs     []Handle
}

func newTargets(sels []*prefixSelector) *targets {
	t := &targets{}
	var keys [][]byte
	for _, s := range sels {
		t.wildcard = appendUnique(t.wildcard, s.wildcard)
		for _, p := range s.policies {
			dup := false
			for _, k := range keys {
				if bytes.Equal(k, p.prefix) {
					dup = true
					break
				}
			}
			if !dup {
				keys = append(keys, p.prefix)
			}
		}
	}
	sort.SliceStable(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		pt := prefixTargets{prefix: k}
		for _, s := range sels {
			pt.hs = appendUnique(pt.hs, s.pick(k))
		}
		t.byPrefix = append(t.byPrefix, pt)
	}
	if len(t.byPrefix) == 0 && len(t.wildcard) == 1 {
		t.one = t.wildcard[0]
	}
	return t
}

// forKey returns the handles for routingKey. The slice is shared: callers
// must not modify it.
func (t *targets) forKey(routingKey []byte) []Handle {
	for i := range t.byPrefix {
		if bytes.HasPrefix(routingKey, t.byPrefix[i].prefix) {
			return t.byPrefix[i].hs
		}
	}
	return t.wildcard
}

// appendUnique appends h to hs unless h is nil or already there.
func appendUnique(hs []Handle, h Handle) []Handle {
	if h == nil {
		return hs
	}
	for _, x := range hs {
		if sameHandle(x, h) {
			return hs
		}
	}
	return append(hs, h)
}

// sameHandle reports whether a and b are the same handle object (pointer
// handles; equal values of a comparable value type count as the same).
// Handles of a type that cannot be compared are never the same.
func sameHandle(a, b Handle) bool {
	ta := reflect.TypeOf(a)
	if ta != reflect.TypeOf(b) || !ta.Comparable() {
		return false
	}
	return a == b
}

// matchPattern reports whether routing prefix pattern (which may hold
// '*', matching any run of characters other than '/') matches the
// configured prefix route: mcrouter's match_pattern_route, step by step.
func matchPattern(pattern, route []byte) bool {
	pi, ri := 0, 0
	for pi < len(pattern) {
		if ri == len(route) {
			return false
		}
		if pattern[pi] == '*' {
			for pi < len(pattern) && pattern[pi] == '*' {
				pi++
			}
			if pi == len(pattern) {
				// A trailing star matches any rest without '/'.
				return bytes.IndexByte(route[ri:], '/') < 0
			}
			if pattern[pi] == '/' {
				j := bytes.IndexByte(route[ri:], '/')
				if j < 0 {
					return false
				}
				ri += j
				continue
			}
			for ri < len(route) && route[ri] != '/' {
				if matchPattern(pattern[pi:], route[ri:]) {
					return true
				}
				ri++
			}
			return false
		}
		if pattern[pi] != route[ri] {
			return false
		}
		pi++
		ri++
	}
	return ri == len(route)
}
