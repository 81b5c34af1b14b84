package router

import (
	"mcroute/router/jsonm"
)

func init() { register("HostIdRoute", newHostIdRoute) }

// hostIDFunc is the host id HostIdRoute uses; tests replace it.
var hostIDFunc = HostID

// newHostIdRoute builds HostIdRoute (mcrouter-behaviour.md §2.1):
// {"type": "HostIdRoute", "children": [...], "salt": "s"} or
// "HostIdRoute|Pool|A". The child is chosen here, once: children[hostid %
// n], or with a salt children[folly::Hash()(hostid, salt) % n]. There is no
// HostIdRoute at request time; the result is that child itself (as in
// mcrouter). No children → NullRoute.
func newHostIdRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if cfg == nil {
		return nil, b.errf(at, "HostIdRoute needs children")
	}
	var salt string
	children := cfg
	if cfg.IsObject() {
		children = cfg.Get("children")
		if sv := cfg.Get("salt"); sv != nil {
			s, ok := sv.String()
			if !ok {
				return nil, b.errf(sv, "HostIdRoute: salt is not a string")
			}
			salt = s
		}
	}
	var hs []Handle
	if children != nil {
		var err error
		if hs, err = b.list(children); err != nil {
			return nil, err
		}
	}
	if len(hs) == 0 {
		return nullRoute{}, nil
	}
	return hs[hostIDIndex(hostIDFunc(), salt, len(hs))], nil
}

// hostIDIndex is the child HostIdRoute picks among n.
func hostIDIndex(hostid uint32, salt string, n int) int {
	h := uint64(hostid)
	if salt != "" {
		h = saltedHostID(hostid, salt)
	}
	return int(h % uint64(n))
}
