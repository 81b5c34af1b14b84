package router

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"mcroute/router/jsonm"
	"mcroute/upstream"
)

// Options are the command-line settings that shape a built config.
type Options struct {
	// DefaultRoute is -R/--route-prefix, "/region/cluster/" (default
	// "/././").
	DefaultRoute string
	// ServerTimeout is --server-timeout, used by pools without
	// server_timeout.
	ServerTimeout time.Duration
	// SendInvalidRouteToDefault is --send-invalid-route-to-default.
	SendInvalidRouteToDefault bool
	// Params are --config-params NAME:VALUE pairs for JSONM.
	Params map[string]string
	// ReadFile loads @import'ed and file: pools; nil means os.ReadFile.
	ReadFile func(path string) ([]byte, error)
}

// Config is one compiled config: immutable, shared by every loop.
type Config struct {
	Root Handle
	// Servers is every destination the tree can send to; leaves refer to
	// them by index.
	Servers []*upstream.Server
	// File is the config file path ("" for inline configs).
	File string
	// MD5 is the hex MD5 of the raw config text.
	MD5 string
	// Built is when the config was compiled.
	Built time.Time
	// Preprocessed is the config after JSONM expansion (for debug output).
	Preprocessed *jsonm.Value
}

// ConfigError is a config that cannot be used. It names the file, the
// line and what is wrong.
type ConfigError struct {
	File string
	Line int
	Msg  string
}

func (e *ConfigError) Error() string {
	file := e.File
	if file == "" {
		file = "<config>"
	}
	if e.Line > 0 {
		return file + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return file + ": " + e.Msg
}

// NormalizePrefix turns "region/cluster" or "/region/cluster/" into
// "/region/cluster/" and checks it has two non-empty parts.
func NormalizePrefix(p string) (string, error) {
	s := strings.Trim(p, "/")
	parts := strings.Split(s, "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", fmt.Errorf("invalid route prefix %q: want /region/cluster/", p)
	}
	return "/" + parts[0] + "/" + parts[1] + "/", nil
}

// Build compiles config text read from file (file "" for an inline config).
// It does everything that can fail; the result is ready to serve.
func Build(file string, text []byte, opts Options) (*Config, error) {
	if opts.DefaultRoute == "" {
		opts.DefaultRoute = "/././"
	}
	if opts.ServerTimeout <= 0 {
		opts.ServerTimeout = time.Second
	}
	def, err := NormalizePrefix(opts.DefaultRoute)
	if err != nil {
		return nil, &ConfigError{File: file, Msg: err.Error()}
	}
	opts.DefaultRoute = def
	v, err := jsonm.Parse(file, text)
	if err != nil {
		return nil, err
	}
	v, err = preprocess(v, file, opts)
	if err != nil {
		return nil, err
	}
	sum := md5.Sum(text)
	b := &builder{
		file:      file,
		opts:      opts,
		top:       v,
		pools:     map[string]*pool{},
		serverIdx: map[string]int{},
		named:     map[string]Handle{},
	}
	root, err := b.buildRoot()
	if err != nil {
		return nil, err
	}
	return &Config{
		Root:         root,
		Servers:      b.servers,
		File:         file,
		MD5:          hex.EncodeToString(sum[:]),
		Built:        time.Now(),
		Preprocessed: v,
	}, nil
}

type builder struct {
	file      string
	opts      Options
	top       *jsonm.Value
	pools     map[string]*pool
	servers   []*upstream.Server
	serverIdx map[string]int
	named     map[string]Handle
}

// pool is a built pool: its destinations and what PoolRoute needs.
type pool struct {
	name    string
	v       *jsonm.Value
	dests   []Handle
	weights []float64
}

func (b *builder) errf(v *jsonm.Value, format string, args ...any) error {
	e := &ConfigError{File: b.file, Msg: fmt.Sprintf(format, args...)}
	if v != nil {
		if v.File != "" {
			e.File = v.File
		}
		e.Line = v.Line
	}
	return e
}

func (b *builder) buildRoot() (Handle, error) {
	top := b.top
	if !top.IsObject() {
		return nil, b.errf(top, "config must be a JSON object")
	}
	route, routes := top.Get("route"), top.Get("routes")
	if route != nil && routes != nil {
		return nil, b.errf(routes, "config has both \"route\" and \"routes\"")
	}
	if route == nil && routes == nil {
		return nil, b.errf(top, "config has neither \"route\" nor \"routes\"")
	}
	if nh := top.Get("named_handles"); nh != nil {
		if err := b.buildNamed(nh); err != nil {
			return nil, err
		}
	}
	root := &rootRoute{invalidToDefault: b.opts.SendInvalidRouteToDefault}
	if route != nil {
		h, err := b.route(route)
		if err != nil {
			return nil, err
		}
		root.def = h
		root.routes = append(root.routes, prefixRoute{prefix: []byte(b.opts.DefaultRoute), h: h})
		return root, nil
	}
	add := func(prefix string, pv, rv *jsonm.Value) error {
		p, err := NormalizePrefix(prefix)
		if err != nil || !strings.HasPrefix(prefix, "/") {
			return b.errf(pv, "invalid routing prefix %q: want /region/cluster/", prefix)
		}
		h, err := b.route(rv)
		if err != nil {
			return err
		}
		root.routes = append(root.routes, prefixRoute{prefix: []byte(p), h: h})
		if p == b.opts.DefaultRoute {
			root.def = h
		}
		return nil
	}
	switch {
	case routes.IsArray():
		for _, e := range routes.Elems {
			aliases, rv := e.Get("aliases"), e.Get("route")
			if !aliases.IsArray() || rv == nil {
				return nil, b.errf(e, "routes: each entry needs \"aliases\" (array) and \"route\"")
			}
			for _, a := range aliases.Elems {
				s, ok := a.String()
				if !ok {
					return nil, b.errf(a, "routes: alias must be a string")
				}
				if err := add(s, a, rv); err != nil {
					return nil, err
				}
			}
		}
	case routes.IsObject():
		for _, m := range routes.Members {
			if err := add(m.Key, m.Val, m.Val); err != nil {
				return nil, err
			}
		}
	default:
		return nil, b.errf(routes, "routes must be an array or an object")
	}
	if root.def == nil {
		return nil, b.errf(routes, "invalid default route: %s is not one of the routing prefixes", b.opts.DefaultRoute)
	}
	return root, nil
}

func (b *builder) buildNamed(nh *jsonm.Value) error {
	switch {
	case nh.IsArray():
		for _, e := range nh.Elems {
			if _, err := b.route(e); err != nil {
				return err
			}
		}
	case nh.IsObject():
		for _, m := range nh.Members {
			h, err := b.route(m.Val)
			if err != nil {
				return err
			}
			b.named[m.Key] = h
		}
	default:
		return b.errf(nh, "named_handles must be an array or an object")
	}
	return nil
}

// route builds exactly one route handle from v.
func (b *builder) route(v *jsonm.Value) (Handle, error) {
	hs, err := b.list(v)
	if err != nil {
		return nil, err
	}
	if len(hs) != 1 {
		return nil, b.errf(v, "%d RouteHandles in list, expected 1", len(hs))
	}
	return hs[0], nil
}

// list builds a list of route handles from v (a string, an object or an
// array; nested arrays are flattened).
func (b *builder) list(v *jsonm.Value) ([]Handle, error) {
	switch {
	case v.IsArray():
		var out []Handle
		for _, e := range v.Elems {
			hs, err := b.list(e)
			if err != nil {
				return nil, err
			}
			out = append(out, hs...)
		}
		return out, nil
	case v.IsString():
		s, _ := v.String()
		if s == "" {
			return nil, nil
		}
		if h, ok := b.named[s]; ok {
			return []Handle{h}, nil
		}
		typ, rest, short := strings.Cut(s, "|")
		if typ == "Pool" {
			if !short {
				return nil, b.errf(v, "Pool needs a pool name: Pool|NAME")
			}
			p, err := b.pool(jsonm.NewString(rest).At(v.File, v.Line))
			if err != nil {
				return nil, err
			}
			return p.dests, nil
		}
		cons, ok := constructors[typ]
		if !ok {
			return nil, b.errf(v, "Unknown RouteHandle: %s", typ)
		}
		var cfg *jsonm.Value
		if short {
			cfg = jsonm.NewString(rest).At(v.File, v.Line)
		}
		h, err := cons(b, cfg, v)
		if err != nil {
			return nil, err
		}
		return []Handle{h}, nil
	case v.IsObject():
		tv := v.Get("type")
		typ, ok := tv.String()
		if !ok {
			return nil, b.errf(v, "route object needs a string \"type\"")
		}
		name, hasName := v.Get("name").String()
		if hasName {
			if h, ok := b.named[name]; ok {
				return []Handle{h}, nil
			}
		}
		var hs []Handle
		if typ == "Pool" {
			p, err := b.pool(v)
			if err != nil {
				return nil, err
			}
			hs = p.dests
		} else {
			cons, ok := constructors[typ]
			if !ok {
				return nil, b.errf(tv, "Unknown RouteHandle: %s", typ)
			}
			h, err := cons(b, v, v)
			if err != nil {
				return nil, err
			}
			hs = []Handle{h}
		}
		if hasName && len(hs) == 1 {
			b.named[name] = hs[0]
		}
		return hs, nil
	}
	return nil, b.errf(v, "a route must be a string, an object or an array, not %s", v.Kind())
}

// constructor builds a handle of one type. cfg is the handle's config: the
// object itself, or the string after "Type|" in the short form (nil for a
// bare "Type"). at is where the route was written, for errors.
type constructor func(b *builder, cfg, at *jsonm.Value) (Handle, error)

// constructors maps mcrouter's route handle type names to constructors.
// Each handle's file registers itself in an init function.
var constructors = map[string]constructor{}

// register adds a route handle type. It panics on a duplicate name.
func register(name string, c constructor) {
	if _, dup := constructors[name]; dup {
		panic("router: route handle registered twice: " + name)
	}
	constructors[name] = c
}

// pool resolves a pool reference: a name in "pools" or an inline object
// with "name".
func (b *builder) pool(ref *jsonm.Value) (*pool, error) {
	var name string
	var def *jsonm.Value
	switch {
	case ref.IsString():
		name, _ = ref.String()
		if p, ok := b.pools[name]; ok {
			return p, nil
		}
		def = b.top.Get("pools").Get(name)
		if def == nil {
			return nil, b.errf(ref, "Can not read pool: %s", name)
		}
	case ref.IsObject():
		name, _ = ref.Get("name").String()
		if name == "" {
			return nil, b.errf(ref, "inline pool needs a \"name\"")
		}
		if p, ok := b.pools[name]; ok {
			return p, nil
		}
		def = ref
	default:
		return nil, b.errf(ref, "pool must be a name or an object")
	}
	p, err := b.buildPool(name, def)
	if err != nil {
		return nil, err
	}
	b.pools[name] = p
	return p, nil
}

func (b *builder) buildPool(name string, def *jsonm.Value) (*pool, error) {
	if !def.IsObject() {
		return nil, b.errf(def, "pool %s must be an object", name)
	}
	timeout := b.opts.ServerTimeout
	if tv := def.Get("server_timeout"); tv != nil {
		ms, ok := tv.Int()
		if !ok || ms < 1 {
			return nil, b.errf(tv, "pool %s: server_timeout must be a positive integer (ms)", name)
		}
		timeout = time.Duration(ms) * time.Millisecond
	}
	connectTimeout := timeout
	if tv := def.Get("connect_timeout"); tv != nil {
		ms, ok := tv.Int()
		if !ok || ms < 1 {
			return nil, b.errf(tv, "pool %s: connect_timeout must be a positive integer (ms)", name)
		}
		connectTimeout = time.Duration(ms) * time.Millisecond
	}
	keep := false
	if kv := def.Get("keep_routing_prefix"); kv != nil {
		k, ok := kv.Bool()
		if !ok {
			return nil, b.errf(kv, "pool %s: keep_routing_prefix must be a boolean", name)
		}
		keep = k
	}
	portOverride := 0
	if pv := def.Get("port_override"); pv != nil {
		p, ok := pv.Int()
		if !ok || p < 1 || p > 65535 {
			return nil, b.errf(pv, "pool %s: port_override must be 1..65535", name)
		}
		portOverride = int(p)
	}
	sv := def.Get("servers")
	if !sv.IsArray() {
		return nil, b.errf(def, "pool %s: \"servers\" must be an array", name)
	}
	p := &pool{name: name, v: def}
	for _, e := range sv.Elems {
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
			return nil, b.errf(e, "pool %s: a server must be a \"host:port\" string or a route object", name)
		}
		host, port, err := parseServer(s, portOverride)
		if err != nil {
			return nil, b.errf(e, "pool %s: %v", name, err)
		}
		srv := upstream.NewServer(host, port, timeout, connectTimeout)
		idx, ok := b.serverIdx[srv.Key]
		if !ok {
			idx = len(b.servers)
			b.servers = append(b.servers, srv)
			b.serverIdx[srv.Key] = idx
		}
		p.dests = append(p.dests, &destination{idx: idx, srv: b.servers[idx], pool: name, keep: keep})
	}
	if wv := def.Get("weights"); wv != nil {
		if !wv.IsArray() {
			return nil, b.errf(wv, "pool %s: weights must be an array of numbers", name)
		}
		for i, e := range wv.Elems {
			if i >= len(p.dests) {
				break // extra weights are ignored
			}
			f, ok := e.Float()
			if !ok {
				return nil, b.errf(e, "pool %s: weights must be numbers", name)
			}
			p.weights = append(p.weights, f)
		}
		for len(p.weights) < len(p.dests) {
			p.weights = append(p.weights, 0.5)
		}
	}
	return p, nil
}

// parseServer parses mcrouter's server string
// host[:port[:protocol[:mech[:compression]]]] with [v6] hosts.
func parseServer(s string, portOverride int) (string, int, error) {
	var host, rest string
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, fmt.Errorf("bad server %q: missing ']'", s)
		}
		host, rest = s[1:end], s[end+1:]
		if rest != "" && rest[0] != ':' {
			return "", 0, fmt.Errorf("bad server %q", s)
		}
		rest = strings.TrimPrefix(rest, ":")
		if net.ParseIP(host) == nil {
			return "", 0, fmt.Errorf("bad server %q: %q is not an IPv6 address", s, host)
		}
	} else {
		if strings.HasPrefix(s, "unix:") {
			return "", 0, fmt.Errorf("server %q: unix sockets are not supported yet", s)
		}
		host, rest, _ = strings.Cut(s, ":")
	}
	if host == "" {
		return "", 0, fmt.Errorf("bad server %q: empty host", s)
	}
	parts := strings.Split(rest, ":")
	port := portOverride
	if parts[0] != "" {
		p, err := strconv.Atoi(parts[0])
		if err != nil || p < 1 || p > 65535 {
			return "", 0, fmt.Errorf("bad server %q: bad port %q", s, parts[0])
		}
		if port == 0 {
			port = p
		}
	}
	if port == 0 {
		return "", 0, fmt.Errorf("bad server %q: no port", s)
	}
	if len(parts) > 1 && parts[1] != "" && !strings.EqualFold(parts[1], "ascii") {
		return "", 0, fmt.Errorf("server %q: protocol %q is not supported (only ascii)", s, parts[1])
	}
	if len(parts) > 2 && parts[2] != "" && parts[2] != "plain" {
		return "", 0, fmt.Errorf("server %q: security mech %q is not supported yet (only plain)", s, parts[2])
	}
	if len(parts) > 4 {
		return "", 0, fmt.Errorf("bad server %q: too many fields", s)
	}
	return host, port, nil
}
