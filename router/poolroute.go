package router

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"mcroute/codec/mc"
	"mcroute/router/hashfunc"
	"mcroute/router/jsonm"
	"mcroute/upstream"
)

func init() { register("PoolRoute", newPoolRoute) }

// newPoolRoute builds PoolRoute: a hash over the pool's servers
// (mcrouter-behaviour.md §1.5). "PoolRoute|A" or
// {"type": "PoolRoute", "pool": A, "hash": ...}. A pool with weights
// switches the default hash to WeightedCh3; the salt lives in "hash".
// Over one server it is that server's destination; over none, an
// ErrorRoute (a NullRoute with the pool's "error_on_empty": false).
// "rates" wraps that in a RateLimitRoute without fallback, "shard_splits"
// in a ShardSplitRoute, and the result in an AsynclogRoute
// (asynclogroute.go): §1.5's order, inside out. Servers are wrapped by
// max_outstanding, slow_warmup and shadows (poolwrappers.go).
func newPoolRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	h, name, err := newPoolRouteHash(b, cfg, at)
	if err != nil {
		return nil, err
	}
	if cfg.IsObject() {
		if rv := cfg.Get("rates"); rv != nil {
			if h, err = b.rateLimit(h, rv, nil); err != nil {
				return nil, err
			}
		}
		if h, err = b.shardSplits(cfg.Get("shard_splits"), h); err != nil {
			return nil, err
		}
	}
	return b.asynclog(cfg, name, h)
}

// newPoolRouteHash builds PoolRoute's selection over its (wrapped)
// servers; it also returns the pool's name.
func newPoolRouteHash(b *builder, cfg, at *jsonm.Value) (h Handle, name string, err error) {
	if cfg == nil || !(cfg.IsObject() || cfg.IsString()) {
		return nil, "", b.errf(at, "PoolRoute should be object or string")
	}
	ref := cfg
	var hv *jsonm.Value
	if cfg.IsObject() {
		ref = cfg.Get("pool")
		if ref == nil {
			return nil, "", b.errf(cfg, "PoolRoute: pool not found")
		}
		hv = cfg.Get("hash")
		// Best-effort extras are served without (and reported); fields
		// that change where keys go are refused rather than misroute.
		b.warnUnsupported(cfg, "PoolRoute", "split_shard_fanout")
		for _, f := range []string{"bucketize"} {
			if fv := cfg.Get(f); fv != nil {
				return nil, "", b.errf(fv, "PoolRoute: %q is not supported yet (it changes where keys go, so the config is refused)", f)
			}
		}
	}
	p, err := b.pool(ref)
	if err != nil {
		return nil, "", err
	}
	dests, err := b.poolDests(cfg, p)
	if err != nil {
		return nil, "", err
	}
	switch len(dests) {
	case 0:
		return emptyHash(p.v, p.name), p.name, nil
	case 1:
		return dests[0], p.name, nil
	}
	fname := "Ch3"
	var opts hashfunc.Options
	if p.weights != nil {
		fname = "WeightedCh3"
		opts.Weights = p.weights
	}
	if tv := p.v.Get("tags"); tv != nil {
		if fname, err = b.hashFields(jsonm.NewObject(jsonm.Member{Key: "tags", Val: tv}), fname, &opts); err != nil {
			return nil, "", err
		}
	}
	if hv != nil {
		if fname, err = b.hashOptions(hv, fname, &opts); err != nil {
			return nil, "", err
		}
	}
	if fname == "Latest" {
		// mcrouter: PoolRoute with hash_func Latest is a LatestRoute over
		// the pool's servers, configured by the hash object.
		lcfg := hv
		if !hv.IsObject() {
			lcfg = jsonm.NewObject()
		}
		lr, err := b.latest(lcfg, dests)
		return lr, p.name, err
	}
	fn, err := hashfunc.New(fname, len(dests), opts)
	if err != nil {
		return nil, "", b.errf(at, "PoolRoute %s: %v", p.name, err)
	}
	return &hashRoute{name: "selection|" + fn.String(), fn: fn, children: dests}, p.name, nil
}

// emptyHash is what a HashRoute over no children becomes: an ErrorRoute
// (mcrouter's "HashRoute with empty children"), or a NullRoute when the
// pool says "error_on_empty": false.
func emptyHash(v *jsonm.Value, name string) Handle {
	if e := v.Get("error_on_empty"); e != nil {
		if on, ok := e.Bool(); ok && !on {
			return nullRoute{}
		}
	}
	return &errorRoute{res: mc.ResLocalError, msg: []byte("HashRoute with empty children, name: " + name)}
}

// hashOptions reads a "hash" value: a string names hash_func; an object
// may carry hash_func, salt, weights and tags. It returns the function name.
func (b *builder) hashOptions(hv *jsonm.Value, fname string, opts *hashfunc.Options) (string, error) {
	if s, ok := hv.String(); ok {
		return s, nil
	}
	if !hv.IsObject() {
		return "", b.errf(hv, "hash is not object/string")
	}
	return b.hashFields(hv, fname, opts)
}

// hashFields reads hash_func, salt, weights and tags from an object.
func (b *builder) hashFields(v *jsonm.Value, fname string, opts *hashfunc.Options) (string, error) {
	if f := v.Get("hash_func"); f != nil {
		s, ok := f.String()
		if !ok {
			return "", b.errf(f, "hash_func must be a string")
		}
		fname = s
	}
	if s := v.Get("salt"); s != nil {
		str, ok := s.String()
		if !ok {
			return "", b.errf(s, "salt must be a string")
		}
		opts.Salt = str
	}
	if w := v.Get("weights"); w != nil {
		if !w.IsArray() {
			return "", b.errf(w, "weights must be an array of numbers")
		}
		opts.Weights = opts.Weights[:0:0]
		for _, e := range w.Elems {
			f, ok := e.Float()
			if !ok {
				return "", b.errf(e, "weights must be numbers")
			}
			opts.Weights = append(opts.Weights, f)
		}
	}
	if t := v.Get("tags"); t != nil {
		if !t.IsArray() {
			return "", b.errf(t, "tags must be an array of strings")
		}
		opts.Tags = opts.Tags[:0:0]
		for _, e := range t.Elems {
			s, ok := e.String()
			if !ok {
				return "", b.errf(e, "tags must be strings")
			}
			opts.Tags = append(opts.Tags, s)
		}
	}
	return fname, nil
}

// pool returns the built pool a reference names (mcrouter's
// PoolFactory::parsePool + makePool): a name (from "pools", an inline
// definition seen earlier, or a "file:<path>" to read), or an inline
// object with a "name" (the first definition of a name wins). Each pool is
// built once and shared.
func (b *builder) pool(ref *jsonm.Value) (*pool, error) {
	name, def, err := b.parsePool(ref)
	if err != nil {
		return nil, err
	}
	if p, ok := b.pools[name]; ok {
		return p, nil
	}
	p, err := b.makePool(name, def)
	if err != nil {
		return nil, err
	}
	if b.pools == nil {
		b.pools = map[string]*pool{}
	}
	b.pools[name] = p
	b.poolOrder = append(b.poolOrder, p)
	return p, nil
}

// parsePool resolves a pool reference to its name and definition.
func (b *builder) parsePool(ref *jsonm.Value) (string, *jsonm.Value, error) {
	switch {
	case ref.IsString():
		name, _ := ref.String()
		return b.parsePoolNamed(name, ref)
	case ref.IsObject():
		nv := ref.Get("name")
		name, ok := nv.String()
		if !ok {
			return "", nil, b.errf(ref, "Pool should have string name")
		}
		if _, ok := b.poolDefs[name]; !ok {
			if b.poolDefs == nil {
				b.poolDefs = map[string]*poolDef{}
			}
			b.poolDefs[name] = &poolDef{v: ref}
		}
		return b.parsePoolNamed(name, ref)
	}
	return "", nil, b.errf(ref, "Pool should be a string (name of pool) or an object")
}

// parsePoolNamed returns the definition of pool name with "inherit"
// resolved (recursively: the keys of the inherited pool that the pool
// does not set are copied in).
func (b *builder) parsePoolNamed(name string, at *jsonm.Value) (string, *jsonm.Value, error) {
	d, ok := b.poolDefs[name]
	if !ok {
		if !strings.HasPrefix(name, "file:") || b.pp == nil {
			return "", nil, b.errf(at, "Can not read pool: %s", name)
		}
		v, file, sum, err := b.pp.readPool(name)
		if err != nil {
			if _, isSyntax := err.(*jsonm.SyntaxError); isSyntax {
				return "", nil, err
			}
			return "", nil, b.errf(at, "Can not read pool: %s: %v", name, err)
		}
		if b.poolFiles == nil {
			b.poolFiles = map[string]string{}
		}
		b.poolFiles[file] = sum
		d = &poolDef{v: v}
		if b.poolDefs == nil {
			b.poolDefs = map[string]*poolDef{}
		}
		b.poolDefs[name] = d
	}
	switch d.state {
	case poolParsed:
		return name, d.v, nil
	case poolParsing:
		return "", nil, b.errf(at, "Pool %s: Cycle in pool inheritance", name)
	}
	d.state = poolParsing
	if iv := d.v.Get("inherit"); iv != nil {
		parent, ok := iv.String()
		if !ok {
			return "", nil, b.errf(iv, "Pool %s: inherit is not a string", name)
		}
		_, pv, err := b.parsePoolNamed(parent, iv)
		if err != nil {
			return "", nil, err
		}
		merged := jsonm.NewObject()
		merged.File, merged.Line, merged.Via = d.v.File, d.v.Line, d.v.Via
		for _, m := range d.v.Members {
			if m.Key != "inherit" {
				merged.Set(m.Key, m.Val)
			}
		}
		for _, m := range pv.Members {
			if merged.Get(m.Key) == nil {
				merged.Set(m.Key, m.Val)
			}
		}
		d.v = merged
	}
	d.state = poolParsed
	return name, d.v, nil
}

// makePool builds the destinations of pool name from its definition.
func (b *builder) makePool(name string, def *jsonm.Value) (*pool, error) {
	if !def.IsObject() {
		return nil, b.errf(def, "Pool %s: pool is not an object", name)
	}
	b.warnUnsupported(def, "Pool "+name, "additional_fanout", "qos")
	// TLS to the servers: use_ssl (deprecated) or security_mech "ssl" or
	// "tls_to_plain", overridden per server by the server string's mech
	// part.
	mech := upstream.TransportPlain
	if on, _ := def.Get("use_ssl").Bool(); on {
		mech = upstream.TransportSSL
	}
	if mv := def.Get("security_mech"); mv != nil {
		m, _ := mv.String()
		var ok bool
		if mech, ok = parseMech(m); !ok {
			return nil, b.errf(mv, "Pool %s: security_mech %q is not supported (plain, ssl or tls_to_plain)", name, m)
		}
	}
	timeout := b.opts.ServerTimeout
	if tv := def.Get("server_timeout"); tv != nil {
		ms, ok := tv.Int()
		if !ok || ms < 1 {
			return nil, b.errf(tv, "Pool %s: server_timeout must be a positive integer (ms)", name)
		}
		timeout = time.Duration(ms) * time.Millisecond
	}
	connectTimeout := timeout
	if tv := def.Get("connect_timeout"); tv != nil {
		ms, ok := tv.Int()
		if !ok || ms < 1 {
			return nil, b.errf(tv, "Pool %s: connect_timeout must be a positive integer (ms)", name)
		}
		connectTimeout = time.Duration(ms) * time.Millisecond
	}
	timeout = b.regionTimeout(name, def, timeout)
	keep := false
	if kv := def.Get("keep_routing_prefix"); kv != nil {
		k, ok := kv.Bool()
		if !ok {
			return nil, b.errf(kv, "Pool %s: keep_routing_prefix is not a bool", name)
		}
		keep = k
	}
	protocol := upstream.ProtocolASCII
	if pv := def.Get("protocol"); pv != nil {
		ps, ok := pv.String()
		if !ok {
			return nil, b.errf(pv, "Pool %s: protocol must be a string", name)
		}
		if protocol, ok = parseProtocol(ps); !ok {
			return nil, b.errf(pv, "Pool %s: protocol %q is not supported (ascii or meta)", name, ps)
		}
	}
	portOverride := 0
	if pv := def.Get("port_override"); pv != nil {
		p, ok := pv.Int()
		if !ok || p < 1 || p > 65535 {
			return nil, b.errf(pv, "Pool %s: port_override must be 1..65535", name)
		}
		portOverride = int(p)
	}
	sv := def.Get("servers")
	if sv == nil {
		return nil, b.errf(def, "Pool %s: servers not found", name)
	}
	if !sv.IsArray() {
		return nil, b.errf(sv, "Pool %s: servers is not an array", name)
	}
	fdv := def.Get("failure_domains")
	if fdv != nil {
		if !fdv.IsArray() {
			return nil, b.errf(fdv, "Pool %s: failure_domains is not an array", name)
		}
		if len(fdv.Elems) != len(sv.Elems) {
			return nil, b.errf(fdv, "Pool %s: failure_domains expected to be of the same size as servers, expected %d, got %d", name, len(sv.Elems), len(fdv.Elems))
		}
	}
	p := &pool{name: name, v: def}
	for i, e := range sv.Elems {
		if e.IsObject() {
			h, err := b.route(e)
			if err != nil {
				return nil, err
			}
			p.dests = append(p.dests, h)
			continue
		}
		s, ok := e.String()
		if !ok {
			return nil, b.errf(e, "Pool %s: server #%d is not a string/object", name, i)
		}
		host, port, sproto, smech, err := parseServer(s, portOverride)
		if err != nil {
			return nil, b.errf(e, "Pool %s: %v", name, err)
		}
		if sproto == "" {
			sproto = protocol
		}
		if smech == "" {
			smech = mech
		}
		var fd int64
		if fdv != nil {
			if fd, ok = fdv.Elems[i].Int(); !ok {
				return nil, b.errf(fdv.Elems[i], "Pool %s: failure domain #%d is not an integer", name, i)
			}
		}
		var srv *upstream.Server
		if path, ok := strings.CutPrefix(host, upstream.UnixPrefix); ok {
			if smech != upstream.TransportPlain {
				return nil, b.errf(e, "Pool %s: server %q: UNIX sockets do not support security mech %q (only plain)", name, s, smech)
			}
			srv = upstream.NewUnixServer(path, sproto, timeout, connectTimeout)
		} else if smech == upstream.TransportSSL {
			srv = upstream.NewServerTLS(host, port, sproto, b.opts.TLSClient, timeout, connectTimeout)
		} else if smech == upstream.TransportTLSToPlain {
			srv = upstream.NewServerTLSToPlain(host, port, sproto, b.opts.TLSClient, timeout, connectTimeout)
		} else {
			srv = upstream.NewServerProtocol(host, port, sproto, timeout, connectTimeout)
		}
		// Pools that name one server with different connect timeouts get
		// a Server each (sharing the Destination and its connections).
		sk := srv.Key + "|" + strconv.FormatInt(int64(srv.ConnectTimeout), 10)
		idx, ok := b.serverIdx[sk]
		if !ok {
			idx = len(b.servers)
			b.servers = append(b.servers, srv)
			if b.serverIdx == nil {
				b.serverIdx = map[string]int{}
			}
			b.serverIdx[sk] = idx
		}
		d := newDestination(idx, b.servers[idx], name, i, keep, fd)
		d.maxShadow = b.opts.TargetMaxShadowRequests
		p.dests = append(p.dests, d)
	}
	if tv := def.Get("tko_tracker"); tv != nil {
		if err := b.parseTKOTracker(name, tv, p); err != nil {
			return nil, err
		}
	}
	if wv := def.Get("weights"); wv != nil {
		if !wv.IsArray() {
			return nil, b.errf(wv, "Pool %s: weights must be an array of numbers", name)
		}
		for i, e := range wv.Elems {
			if i >= len(p.dests) {
				break // extra weights are ignored
			}
			f, ok := e.Float()
			if !ok {
				return nil, b.errf(e, "Pool %s: weights must be numbers", name)
			}
			p.weights = append(p.weights, f)
		}
		for len(p.weights) < len(p.dests) {
			p.weights = append(p.weights, 0.5)
		}
	}
	return p, nil
}

// parseProtocol maps a pool's or a server string's protocol (any case, as
// mcrouter reads it) to upstream's: ascii, or meta (mcroute's extension:
// memcached ≥ 1.6). mcrouter's caret, thrift and xdp are not spoken.
func parseProtocol(s string) (string, bool) {
	switch {
	case strings.EqualFold(s, upstream.ProtocolASCII):
		return upstream.ProtocolASCII, true
	case strings.EqualFold(s, upstream.ProtocolMeta):
		return upstream.ProtocolMeta, true
	}
	return "", false
}

// parseMech maps mcrouter's security mech to upstream's transport: plain,
// ssl (TLS, verified by default), or tls_to_plain (a verified TLS
// handshake, then plaintext if the server agrees). fizz and ktls12 are
// not spoken.
func parseMech(s string) (string, bool) {
	switch s {
	case upstream.TransportPlain:
		return upstream.TransportPlain, true
	case upstream.TransportSSL:
		return upstream.TransportSSL, true
	case upstream.TransportTLSToPlain:
		return upstream.TransportTLSToPlain, true
	}
	return "", false
}

// parseServer parses mcrouter's server string
// host[:port[:protocol[:mech[:compression]]]] with [v6] hosts. protocol is
// upstream's name for the string's protocol part, mech its security mech
// (upstream.TransportPlain, TransportSSL or TransportTLSToPlain); each ""
// when the string has none (the pool's applies).
func parseServer(s string, portOverride int) (host string, port int, protocol, mech string, err error) {
	var rest string
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, "", "", fmt.Errorf("bad server %q: missing ']'", s)
		}
		host, rest = s[1:end], s[end+1:]
		if rest != "" && rest[0] != ':' {
			return "", 0, "", "", fmt.Errorf("bad server %q", s)
		}
		rest = strings.TrimPrefix(rest, ":")
		if net.ParseIP(host) == nil {
			return "", 0, "", "", fmt.Errorf("bad server %q: %q is not an IPv6 address", s, host)
		}
	} else {
		if strings.HasPrefix(s, upstream.UnixPrefix) {
			path, protocol, err := parseUnixServer(s)
			return upstream.UnixPrefix + path, 0, protocol, "", err
		}
		host, rest, _ = strings.Cut(s, ":")
	}
	if host == "" {
		return "", 0, "", "", fmt.Errorf("bad server %q: empty host", s)
	}
	parts := strings.Split(rest, ":")
	port = portOverride
	if parts[0] != "" {
		p, err := strconv.Atoi(parts[0])
		if err != nil || p < 1 || p > 65535 {
			return "", 0, "", "", fmt.Errorf("bad server %q: bad port %q", s, parts[0])
		}
		if port == 0 {
			port = p
		}
	}
	if port == 0 {
		return "", 0, "", "", fmt.Errorf("bad server %q: no port", s)
	}
	if len(parts) > 1 && parts[1] != "" {
		var ok bool
		if protocol, ok = parseProtocol(parts[1]); !ok {
			return "", 0, "", "", fmt.Errorf("server %q: protocol %q is not supported (ascii or meta)", s, parts[1])
		}
	}
	if len(parts) > 2 && parts[2] != "" {
		var ok bool
		if mech, ok = parseMech(parts[2]); !ok {
			return "", 0, "", "", fmt.Errorf("server %q: security mech %q is not supported (plain, ssl or tls_to_plain)", s, parts[2])
		}
	}
	if len(parts) > 4 {
		return "", 0, "", "", fmt.Errorf("bad server %q: too many fields", s)
	}
	return host, port, protocol, mech, nil
}

// parseTKOTracker reads a pool's tko_tracker (mcrouter-behaviour.md §1.4):
// {"num_tko_threshold_upper": U, "num_tko_threshold_lower": L} or the
// percent_ pair (a percentage of the pool's servers, rounded down); both
// of a pair are required, lower <= upper. Once U servers of the pool are
// TKO no more are marked until the count drops to L (fail-open). A
// server in several such pools counts in the first one built.
func (b *builder) parseTKOTracker(name string, tv *jsonm.Value, p *pool) error {
	if !tv.IsObject() {
		return b.errf(tv, "Pool %s: tko_tracker is not an object", name)
	}
	var dests []*upstream.Destination
	for _, h := range p.dests {
		if d, ok := h.(*destination); ok {
			dests = append(dests, d.srv.Dest)
		}
	}
	get := func(key string) (int64, bool, error) {
		v := tv.Get(key)
		if v == nil {
			return 0, false, nil
		}
		n, ok := v.Int()
		if !ok || n < 0 {
			return 0, false, b.errf(v, "Pool %s: tko_tracker: %s must be a non-negative integer", name, key)
		}
		return n, true, nil
	}
	for _, kind := range []string{"num", "percent"} {
		up, okU, err := get(kind + "_tko_threshold_upper")
		if err != nil {
			return err
		}
		lo, okL, err := get(kind + "_tko_threshold_lower")
		if err != nil {
			return err
		}
		if !okU && !okL {
			continue
		}
		if !okU || !okL {
			return b.errf(tv, "Pool %s: tko_tracker: %s_tko_threshold_upper and %s_tko_threshold_lower are both required", name, kind, kind)
		}
		if lo > up {
			return b.errf(tv, "Pool %s: tko_tracker: %s_tko_threshold_lower (%d) exceeds upper (%d)", name, kind, lo, up)
		}
		if kind == "percent" {
			if up > 100 {
				return b.errf(tv, "Pool %s: tko_tracker: percent_tko_threshold_upper must be at most 100", name)
			}
			up, lo = up*int64(len(dests))/100, lo*int64(len(dests))/100
		}
		b.tkoGroups = append(b.tkoGroups, upstream.NewTKOGroup(name, int(up), int(lo), dests))
		return nil
	}
	return b.errf(tv, "Pool %s: tko_tracker needs num_tko_threshold_upper/lower or percent_tko_threshold_upper/lower", name)
}
