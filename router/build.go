package router

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"mcroute/router/jsonm"
	"mcroute/tlsconn"
	"mcroute/upstream"
	"mcroute/upstream/asynclog"
)

// Options are the command-line settings that shape a built config.
type Options struct {
	// TLSClient verifies servers reached over TLS (use_ssl, security mech
	// ssl) and holds the client certificate (--pem-* flags); nil: the
	// system roots, no client certificate.
	TLSClient *tlsconn.ClientConfig
	// DefaultRoute is -R/--route-prefix, "/region/cluster/" (default
	// "/././").
	DefaultRoute string
	// ServerTimeout is --server-timeout, used by pools without
	// server_timeout.
	ServerTimeout time.Duration
	// SendInvalidRouteToDefault is --send-invalid-route-to-default.
	SendInvalidRouteToDefault bool
	// AllowOnlyGets is --allow-only-gets: everything but get-like
	// requests (flush_all included) gets the default reply (NOT_STORED
	// for updates, NOT_FOUND otherwise) without being routed.
	AllowOnlyGets bool
	// Params are --config-params NAME:VALUE pairs for JSONM.
	Params map[string]string
	// ReadFile loads @import'ed and file: pools; nil means os.ReadFile.
	ReadFile func(path string) ([]byte, error)

	// HostID is the host id JSONM's %hostid% sees; 0 means HostID().
	HostID uint32
	// RouterName and ServiceName are JSONM's %router-name% and
	// %service-name%: the standalone binary uses the first listen port
	// ("0" without one) and "mcrouter".
	RouterName  string
	ServiceName string
	// NumProxies is JSONM's %num-proxies% (omitted when 0).
	NumProxies int
	// BigValueSplitThreshold (--big-value-split-threshold, 0: off) puts a
	// BigValueRoute over the root; BigValueBatchSize (0: all chunks at
	// once; the flag's default is 10) and BigValueHideReplyFlag configure
	// it (bigvalueroute.go).
	BigValueSplitThreshold int
	BigValueBatchSize      int
	BigValueHideReplyFlag  bool
	// McrOpts are the integer and toggle options by mcrouter's option
	// name, rendered as strings ("1"/"0" for toggles); JSONM sees each as
	// %mcr_opts-<name>%.
	McrOpts map[string]string

	// Asynclog is the spool for deletes that fail under a PoolRoute
	// (-a/--async-dir); nil (--asynclog-disable): no AsynclogRoute, the
	// real error is returned.
	Asynclog *asynclog.Spool
	// AsynclogPortOverride, when not 0, is the port asynclog records name
	// instead of the server's (mcrouter's asynclog_port_override).
	AsynclogPortOverride int
	// RuntimeVars is --runtime-vars-file, loaded and watched by the
	// caller; nil: shadows keep their configured key_fraction_range.
	RuntimeVars *RuntimeVars
	// TargetMaxShadowRequests is --target-max-shadow-requests: shadow
	// requests pending per server per loop past which more are dropped.
	// 0 means mcrouter's default, 1000; negative means no cap.
	TargetMaxShadowRequests int
	// DisableShardSplitRoute is --disable-shard-split-route: PoolRoute
	// ignores shard_splits.
	DisableShardSplitRoute bool
	// EnableLoggingRoute is --enable-logging-route: a LoggingRoute over
	// the whole tree (outside the global BigValueRoute), as mcrouter's
	// implicit chain (loggingroute.go).
	EnableLoggingRoute bool
	// Logf is where LoggingRoutes write; nil means the standard logger.
	Logf func(format string, args ...any)
	// WithinClusterTimeout, CrossClusterTimeout and CrossRegionTimeout
	// are --within-cluster-timeout-ms, --cross-cluster-timeout-ms and
	// --cross-region-timeout-ms (0: off): the server timeout of pools with
	// "region" and "cluster", by where they are from -R (poolregion.go).
	WithinClusterTimeout time.Duration
	CrossClusterTimeout  time.Duration
	CrossRegionTimeout   time.Duration
}

// Config is one compiled config: immutable, shared by every loop.
type Config struct {
	Root Handle
	// Broadcast sends a request to every destination of the config and
	// answers the worst reply (AllSync): flush_all's route.
	Broadcast Handle
	// Servers is every destination the tree can send to; leaves refer to
	// them by index.
	Servers []*upstream.Server
	// TKOGroups are the pools' tko_tracker fail-open groups, bound to
	// their servers' trackers when the config is put in force.
	TKOGroups []*upstream.TKOGroup
	// File is the config file path ("" for inline configs).
	File string
	// MD5 is the hex MD5 of the raw config text.
	MD5 string
	// Built is when the config was compiled.
	Built time.Time
	// Preprocessed is the config after JSONM expansion (for debug output).
	Preprocessed *jsonm.Value
	// Warnings name config fields mcroute does not act on yet (file:line:
	// message); the config is served without them.
	Warnings []string
	// Imports maps every file read by @import to the hex MD5 of its raw
	// text; PoolFiles does the same for "file:" pools. Both are nil when
	// there are none. Together with File they are what a reload watches.
	Imports   map[string]string
	PoolFiles map[string]string
	// Pools lists the pools the tree uses, in the order they were built.
	Pools []PoolInfo
	// Globals are the JSONM global params the config was expanded with.
	Globals map[string]*jsonm.Value
	// HostID is the host id the config was built with.
	HostID uint32
	// DefaultRoute is the normalised -R prefix.
	DefaultRoute string
}

// PoolInfo describes one built pool for debug output: its name and, by
// index, its destinations' route names and, for servers (not route
// objects), their host:port and failure domain.
type PoolInfo struct {
	Name           string
	Dests          []string
	HostPorts      []string
	FailureDomains []int64
}

// ConfigError is a config that cannot be used. It names the file, the
// line and what is wrong; Via names the macro call or @import the value
// came through, when it did.
type ConfigError struct {
	File string
	Line int
	Msg  string
	Via  string
}

func (e *ConfigError) Error() string {
	file := e.File
	if file == "" {
		file = "<config>"
	}
	s := file + ": " + e.Msg
	if e.Line > 0 {
		s = file + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	if e.Via != "" && e.Via != file+":"+strconv.Itoa(e.Line) {
		s += " (via " + e.Via + ")"
	}
	return s
}

// NormalizePrefix turns "region/cluster" or "/region/cluster/" into
// "/region/cluster/" and checks it has two non-empty parts, as mcrouter's
// RoutingPrefix does.
func NormalizePrefix(p string) (string, error) {
	if p == "" {
		return "", prefixError("Routing prefix can not be empty")
	}
	if p[0] != '/' {
		p = "/" + p
	}
	if p[len(p)-1] != '/' {
		p += "/"
	}
	parts := strings.Split(p, "/")
	if len(parts) != 4 || parts[1] == "" || parts[2] == "" {
		return "", prefixError("Routing prefix (" + p + ") should be of the form /region/cluster/")
	}
	return p, nil
}

// prefixError is a bad routing prefix, in mcrouter's words.
type prefixError string

func (e prefixError) Error() string { return string(e) }

// Build compiles config text read from file (file "" for an inline config).
// It does everything that can fail; the result is ready to serve. Errors
// are *ConfigError or *jsonm.Error/*jsonm.SyntaxError values that name
// the file and line.
func Build(file string, text []byte, opts Options) (*Config, error) {
	if opts.DefaultRoute == "" {
		opts.DefaultRoute = "/././"
	}
	if opts.ServerTimeout <= 0 {
		opts.ServerTimeout = time.Second
	}
	def, err := NormalizePrefix(opts.DefaultRoute)
	if err != nil {
		return nil, &ConfigError{File: file, Msg: "invalid -R/--route-prefix: " + err.Error()}
	}
	opts.DefaultRoute = def
	if opts.HostID == 0 {
		opts.HostID = HostID()
	}
	if opts.TargetMaxShadowRequests == 0 {
		opts.TargetMaxShadowRequests = 1000
	}
	v, err := jsonm.Parse(file, text)
	if err != nil {
		return nil, err
	}
	pp, err := newPreprocessor(file, opts)
	if err != nil {
		return nil, err
	}
	v, err = pp.run(v)
	if err != nil {
		return nil, err
	}
	sum := md5.Sum(text)
	b := &builder{
		file:       file,
		opts:       opts,
		top:        v,
		pp:         pp,
		poolDefs:   map[string]*poolDef{},
		pools:      map[string]*pool{},
		serverIdx:  map[string]int{},
		seen:       map[string][]Handle{},
		registered: map[string]*jsonm.Value{},
	}
	root, err := b.buildRoot()
	if err != nil {
		return nil, err
	}
	if root, err = b.globalBigValue(root); err != nil {
		return nil, err
	}
	if opts.EnableLoggingRoute {
		root = newLogging(root, opts.Logf)
	}
	cfg := &Config{
		Warnings:     b.warnings,
		Root:         root,
		Broadcast:    newBroadcast(b.broadcastDests()),
		Servers:      b.servers,
		TKOGroups:    b.tkoGroups,
		File:         file,
		MD5:          hex.EncodeToString(sum[:]),
		Built:        time.Now(),
		Preprocessed: v,
		Globals:      pp.globals,
		HostID:       opts.HostID,
		DefaultRoute: opts.DefaultRoute,
	}
	if opts.AllowOnlyGets {
		cfg.Broadcast = nullRoute{}
	}
	if len(pp.imported) > 0 {
		cfg.Imports = pp.imported
	}
	if len(b.poolFiles) > 0 {
		cfg.PoolFiles = b.poolFiles
	}
	for _, p := range b.poolOrder {
		info := PoolInfo{Name: p.name}
		for _, h := range p.dests {
			info.Dests = append(info.Dests, h.Name())
			var hp string
			var fd int64
			if d, ok := h.(*destination); ok {
				hp, fd = d.ap, d.fd
			}
			info.HostPorts = append(info.HostPorts, hp)
			info.FailureDomains = append(info.FailureDomains, fd)
		}
		cfg.Pools = append(cfg.Pools, info)
	}
	return cfg, nil
}

// builder turns the preprocessed config into a route tree, the way
// mcrouter's RouteHandleFactory, PoolFactory and McRouteHandleProvider do.
type builder struct {
	file      string
	opts      Options
	top       *jsonm.Value
	pp        *preprocessor
	servers   []*upstream.Server
	serverIdx map[string]int
	tkoGroups []*upstream.TKOGroup // pools' tko_tracker, in build order

	// poolDefs are pool definitions by name (PoolFactory): the top-level
	// "pools", inline pool objects and "file:" pools, with inheritance
	// resolved on first use.
	poolDefs map[string]*poolDef
	// pools are the pools built so far (their destinations), by name.
	pools     map[string]*pool
	poolOrder []*pool
	poolFiles map[string]string

	// seen memoises what strings and names built: a named handle, or a
	// route string such as "PoolRoute|A", is built once and shared.
	seen map[string][]Handle
	// registered are the named_handles of the object form not built yet.
	registered map[string]*jsonm.Value
	// named are ready-made handles referred to by name before anything
	// else: tests put fake children here (&builder{named: ...} works).
	named map[string]Handle
	// warnings are config fields that mcroute reads but does not act on
	// yet (Config.Warnings).
	warnings []string
	// rateLimits counts the RateLimitRoutes built: each one's id.
	rateLimits int
	// sideOnly are the servers (by index) that only an embedded router
	// (CarbonLookasideRoute's cache) names: flush_all does not reach them.
	sideOnly map[int]bool
}

// warnUnsupported records a warning for each of fields that v has: config
// that mcrouter would act on and mcroute does not yet. The config is still
// served; the operator is told at start-up and by --validate-config.
func (b *builder) warnUnsupported(v *jsonm.Value, what string, fields ...string) {
	for _, f := range fields {
		fv := v.Get(f)
		if fv == nil {
			continue
		}
		e := &ConfigError{File: b.file, Line: fv.Line, Msg: what + ": \"" + f + "\" is not supported yet and is ignored"}
		if fv.File != "" {
			e.File = fv.File
		}
		b.warnings = append(b.warnings, e.Error())
	}
}

// pool is a built pool: its destinations and what PoolRoute needs.
type pool struct {
	name    string
	v       *jsonm.Value
	dests   []Handle
	weights []float64
}

// poolDef is a pool definition and where its "inherit" resolution stands.
type poolDef struct {
	v     *jsonm.Value
	state uint8 // poolNew, poolParsing, poolParsed
}

const (
	poolNew = iota
	poolParsing
	poolParsed
)

// errf returns a *ConfigError positioned at v (file:line, and the macro
// call or import v came through).
func (b *builder) errf(v *jsonm.Value, format string, args ...any) error {
	e := &ConfigError{File: b.file, Msg: fmt.Sprintf(format, args...)}
	if v != nil {
		if v.File != "" {
			e.File = v.File
		}
		e.Line = v.Line
		e.Via = v.Via
	}
	return e
}

func (b *builder) buildRoot() (Handle, error) {
	top := b.top
	if !top.IsObject() {
		return nil, b.errf(top, "Config is not an object")
	}
	if pv := top.Get("pools"); pv != nil {
		if !pv.IsObject() {
			return nil, b.errf(pv, "config: 'pools' is not an object")
		}
		if b.poolDefs == nil {
			b.poolDefs = map[string]*poolDef{}
		}
		for _, m := range pv.Members {
			b.poolDefs[m.Key] = &poolDef{v: m.Val}
		}
	}
	if nh := top.Get("named_handles"); nh != nil {
		if err := b.buildNamed(nh); err != nil {
			return nil, err
		}
	}
	route, routes := top.Get("route"), top.Get("routes")
	if route != nil && routes != nil {
		return nil, b.errf(routes, "Invalid config: both 'route' and 'routes' are specified")
	}
	var table routeTable
	switch {
	case route != nil:
		sel, err := b.selector(route)
		if err != nil {
			return nil, err
		}
		table.set(b.opts.DefaultRoute, route, sel)
	case routes != nil && routes.IsArray():
		for _, e := range routes.Elems {
			if !e.IsObject() {
				return nil, b.errf(e, "RoutePolicy is not an object")
			}
			rv, aliases := e.Get("route"), e.Get("aliases")
			if rv == nil {
				return nil, b.errf(e, "RoutePolicy: no route")
			}
			if aliases == nil {
				return nil, b.errf(e, "RoutePolicy: no aliases")
			}
			if !aliases.IsArray() {
				return nil, b.errf(aliases, "RoutePolicy: aliases is not an array")
			}
			sel, err := b.selector(rv)
			if err != nil {
				return nil, err
			}
			for _, a := range aliases.Elems {
				s, ok := a.String()
				if !ok {
					return nil, b.errf(a, "RoutePolicy: alias is not a string")
				}
				table.set(s, a, sel)
			}
		}
	case routes != nil && routes.IsObject():
		for _, m := range routes.Members {
			sel, err := b.selector(m.Val)
			if err != nil {
				return nil, err
			}
			table.set(m.Key, m.Val, sel)
		}
	case routes != nil:
		return nil, b.errf(routes, "Config: routes is not array/object")
	default:
		return nil, b.errf(top, "No route/routes in config")
	}
	at := route
	if at == nil {
		at = routes
	}
	return b.newRootRoute(&table, at)
}

// buildNamed reads named_handles: the array form builds each handle now,
// in order; the object form registers each one, to be built on its first
// reference (never, when nothing refers to it).
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
			v := m.Val
			if v.IsObject() {
				if nv := v.Get("name"); nv != nil {
					if s, ok := nv.String(); !ok || s != m.Key {
						return b.errf(nv, "Ambiguous RouteHandle name in object for %s", m.Key)
					}
				} else {
					c := *v
					c.Members = append(append([]jsonm.Member(nil), v.Members...), jsonm.Member{Key: "name", Val: jsonm.NewString(m.Key).At(v.File, v.Line)})
					v = &c
				}
			}
			if b.registered == nil {
				b.registered = map[string]*jsonm.Value{}
			}
			if _, dup := b.registered[m.Key]; dup {
				return b.errf(m.Val, "Route handle '%s' was already registered", m.Key)
			}
			b.registered[m.Key] = v
		}
	default:
		return b.errf(nh, "named_handles is %s expected array/object", nh.Kind())
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

// list builds a list of route handles from v, as mcrouter's createList:
// an array is flattened; an object builds its "type" (memoised under its
// "name" when it has one); a string is, in this order, something already
// built from the same string or name, a registered named handle, or a
// route written "Type" or "Type|config"; "" is the empty list.
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
	case v.IsObject():
		if name, ok := v.Get("name").String(); ok {
			return b.createNamed(name, v)
		}
		typ, err := b.typeOf(v)
		if err != nil {
			return nil, err
		}
		return b.create(typ, v, v)
	case v.IsString():
		s, _ := v.String()
		if s == "" {
			return nil, nil
		}
		if h, ok := b.named[s]; ok {
			return []Handle{h}, nil
		}
		if hs, ok := b.seen[s]; ok {
			return hs, nil
		}
		if reg, ok := b.registered[s]; ok {
			delete(b.registered, s)
			return b.createNamedImpl(s, reg)
		}
		var hs []Handle
		var err error
		if typ, rest, short := strings.Cut(s, "|"); short {
			hs, err = b.create(typ, jsonm.NewString(rest).At(v.File, v.Line), v)
		} else {
			hs, err = b.create(s, nil, v)
		}
		if err != nil {
			return nil, err
		}
		b.remember(s, hs)
		return hs, nil
	}
	return nil, b.errf(v, "RouteHandle is %s, expected object/array/string", v.Kind())
}

// createNamed builds the object v whose "name" is name: the handle built
// earlier under that name, else the registered named handle of that name,
// else v itself.
func (b *builder) createNamed(name string, v *jsonm.Value) ([]Handle, error) {
	if hs, ok := b.seen[name]; ok {
		return hs, nil
	}
	if reg, ok := b.registered[name]; ok {
		delete(b.registered, name)
		return b.createNamedImpl(name, reg)
	}
	return b.createNamedImpl(name, v)
}

func (b *builder) createNamedImpl(name string, v *jsonm.Value) ([]Handle, error) {
	var hs []Handle
	var err error
	if v.IsObject() {
		var typ string
		if typ, err = b.typeOf(v); err != nil {
			return nil, err
		}
		hs, err = b.create(typ, v, v)
	} else {
		hs, err = b.list(v)
	}
	if err != nil {
		return nil, err
	}
	b.remember(name, hs)
	return b.seen[name], nil
}

// remember memoises hs under key unless something is there already.
func (b *builder) remember(key string, hs []Handle) {
	if b.seen == nil {
		b.seen = map[string][]Handle{}
	}
	if _, ok := b.seen[key]; !ok {
		b.seen[key] = hs
	}
}

func (b *builder) typeOf(v *jsonm.Value) (string, error) {
	tv := v.Get("type")
	if tv == nil {
		return "", b.errf(v, "No type field in RouteHandle json object")
	}
	typ, ok := tv.String()
	if !ok {
		return "", b.errf(tv, "Type field in RouteHandle is not a string")
	}
	return typ, nil
}

// create builds a route of type typ from cfg: the object, the string
// after "Type|", or nil for a bare "Type". at is where it was written.
// "Pool" yields the pool's destinations, everything else one handle.
func (b *builder) create(typ string, cfg, at *jsonm.Value) ([]Handle, error) {
	if typ == "Pool" {
		if cfg == nil {
			return nil, b.errf(at, "Pool needs a pool: Pool|NAME")
		}
		p, err := b.pool(cfg)
		if err != nil {
			return nil, err
		}
		return p.dests, nil
	}
	if lc, ok := listConstructors[typ]; ok {
		return lc(b, cfg, at)
	}
	cons, ok := constructors[typ]
	if !ok {
		if cfg == nil {
			return nil, b.errf(at, "Unknown type or Missing Name Handle : %s", typ)
		}
		if tv := cfg.Get("type"); tv != nil {
			at = tv
			if tv.Line > 0 { // mcrouter's wording (the "type" line), which tooling greps for
				return nil, b.errf(at, "Unknown RouteHandle: %s line: %d%s", typ, tv.Line, fbOnlyReason(typ))
			}
		}
		return nil, b.errf(at, "Unknown RouteHandle: %s%s", typ, fbOnlyReason(typ))
	}
	h, err := cons(b, cfg, at)
	if err != nil {
		return nil, err
	}
	return []Handle{h}, nil
}

// constructor builds a handle of one type. cfg is the handle's config: the
// object itself, or the string after "Type|" in the short form (nil for a
// bare "Type"). at is where the route was written, for errors.
type constructor func(b *builder, cfg, at *jsonm.Value) (Handle, error)

// constructors maps mcrouter's route handle type names to constructors.
// Each handle's file registers itself in an init function.
var constructors = map[string]constructor{}

// listConstructors are the types that build to a list of handles, as
// "Pool" does (ShadowRoute: its children, each wrapped).
var listConstructors = map[string]func(b *builder, cfg, at *jsonm.Value) ([]Handle, error){}

// register adds a route handle type. It panics on a duplicate name.
func register(name string, c constructor) {
	if _, dup := constructors[name]; dup {
		panic("router: route handle registered twice: " + name)
	}
	constructors[name] = c
}
