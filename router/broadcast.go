package router

// The broadcast handle is what flush_all is routed through: mcrouter sends
// it to every destination of the config (AllSync) and answers the worst
// reply (mcrouter-behaviour.md §5.2). It is built once per config, beside
// the route tree, rather than by the engine looping over connections, so
// that it travels the same path (destination → upstream Conn) as any
// request.

// newBroadcast returns an AllSync over dests (NullRoute for none, the
// destination itself for one).
func newBroadcast(dests []Handle) Handle {
	return fanIn(dests, func(hs []Handle) Handle { return &allSyncRoute{children: hs} })
}

// broadcastDests returns one destination per server of the config, in
// server index order: the first destination built for it by a pool, or a
// plain one for a server no pool names (there is none today). Servers that
// only an embedded router names (CarbonLookasideRoute's cache) are left
// out: in mcrouter they belong to another router instance.
func (b *builder) broadcastDests() []Handle {
	dests := make([]Handle, len(b.servers))
	for _, p := range b.poolOrder {
		for _, h := range p.dests {
			if d, ok := h.(*destination); ok && dests[d.idx] == nil {
				dests[d.idx] = d
			}
		}
	}
	out := dests[:0]
	for i, srv := range b.servers {
		if dests[i] == nil && b.sideOnly[i] {
			continue // an embedded router's server (CarbonLookasideRoute)
		}
		if dests[i] == nil {
			dests[i] = newDestination(i, srv, "broadcast", i, false, 0)
		}
		out = append(out, dests[i])
	}
	return out
}
