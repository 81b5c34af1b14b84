package router

import (
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

// DebugPrefix starts the keys of mcrouter's service-info commands: a
// single-key get of "__mcrouter__.<cmd>[(<args>)]" is answered by the
// router itself (mcrouter-behaviour.md §5.5).
const DebugPrefix = "__mcrouter__."

// DebugInfo is what the debug commands need beyond the config: the
// engine fills it once.
type DebugInfo struct {
	// Version is the package string, "<version> mcroute".
	Version string
	// Options are the command-line options in definition order, each as
	// (mcrouter option name, value).
	Options [][2]string
	// Verbosity is what "verbosity" reads and sets; nil reads 0 and
	// cannot be set.
	Verbosity *atomic.Int64
	// Now returns the time for config_age; nil means time.Now.
	Now func() time.Time
}

// Debug answers the debug command cmd (the key without DebugPrefix)
// against cfg, as mcrouter's ServiceInfo: the reply text, errors as
// "ERROR: <message>", one trailing newline removed. It allocates; it is
// not on the request path.
func Debug(cfg *Config, info *DebugInfo, cmd string) string {
	name, args := parseDebugCommand(cmd)
	out, err := runDebug(cfg, info, name, args)
	if err != "" {
		return "ERROR: " + err
	}
	return strings.TrimSuffix(out, "\n")
}

// parseDebugCommand splits "cmd(args)" into cmd and its arguments: route
// and route_handles split at the first comma only (keys may hold commas),
// the others at every comma.
func parseDebugCommand(key string) (string, []string) {
	p := strings.IndexByte(key, '(')
	if p < 0 || !strings.HasSuffix(key, ")") {
		return key, nil
	}
	name, argStr := key[:p], key[p+1:len(key)-1]
	if argStr == "" {
		return name, nil
	}
	if strings.HasPrefix(name, "route") {
		if op, k, ok := strings.Cut(argStr, ","); ok {
			return name, []string{op, k}
		}
		return name, nil
	}
	return name, strings.Split(argStr, ",")
}

func runDebug(cfg *Config, info *DebugInfo, name string, args []string) (string, string) {
	switch name {
	case "version":
		return info.Version, ""
	case "config_age":
		now := time.Now()
		if info.Now != nil {
			now = info.Now()
		}
		return strconv.FormatInt(int64(now.Sub(cfg.Built)/time.Second), 10), ""
	case "config_file":
		if cfg.File == "" {
			return "", "no config file found!"
		}
		return cfg.File, ""
	case "config_md5_digest":
		if cfg.MD5 == "" {
			return "", "no config md5 digest found!"
		}
		return cfg.MD5, ""
	case "config_sources_info":
		return prettyJSON(configSourcesInfo(cfg)), ""
	case "preprocessed_config":
		return prettyJSON(cfg.Preprocessed), ""
	case "options":
		return debugOptions(info.Options, args)
	case "route":
		return debugRoute(cfg, args)
	case "route_handles":
		return debugRouteHandles(cfg, args)
	case "hostid":
		return strconv.FormatUint(uint64(cfg.HostID), 10), ""
	case "pools":
		obj := jsonm.NewObject()
		for _, p := range cfg.Pools {
			arr := jsonm.NewArray()
			for _, d := range p.Dests {
				arr.Elems = append(arr.Elems, jsonm.NewString(d))
			}
			obj.Set(p.Name, arr)
		}
		return prettyJSON(obj), ""
	case "failure_domains":
		if len(args) != 1 {
			return "", "failure_domains: 1 arg expected"
		}
		obj := jsonm.NewObject()
		for _, p := range cfg.Pools {
			if p.Name != args[0] {
				continue
			}
			for i, hp := range p.HostPorts {
				if hp != "" {
					obj.Set(hp, jsonm.NewString(strconv.FormatInt(p.FailureDomains[i], 10)+"()"))
				}
			}
		}
		return prettyJSON(obj), ""
	case "global_params":
		return prettyJSON(globalParamsJSON(cfg.Globals)), ""
	case "verbosity":
		var cur int64
		if info.Verbosity != nil {
			cur = info.Verbosity.Load()
		}
		switch len(args) {
		case 0:
			return strconv.FormatInt(cur, 10), ""
		case 1:
			n, err := strconv.ParseInt(strings.TrimSpace(args[0]), 10, 32)
			if err != nil {
				return "", "Invalid leading character: \"" + args[0] + "\""
			}
			if info.Verbosity != nil {
				info.Verbosity.Store(n)
			}
			return strconv.FormatInt(cur, 10) + " -> " + strconv.FormatInt(n, 10), ""
		}
		return "", "expected at most 1 argument, got " + strconv.Itoa(len(args))
	}
	return "", "unknown command: " + name
}

// prettyJSON is folly's toPrettySortedJson.
func prettyJSON(v *jsonm.Value) string {
	if v == nil {
		return "null"
	}
	return string(v.Marshal(true, true))
}

// configSourcesInfo is mcrouter's ConfigApi::getConfigSourcesInfo.
func configSourcesInfo(cfg *Config) *jsonm.Value {
	obj := jsonm.NewObject()
	if cfg.File != "" {
		obj.Set("config_file", jsonm.NewString(cfg.File))
	}
	obj.Set("mcrouter_config", jsonm.NewString(cfg.MD5))
	for _, m := range []struct {
		key   string
		files map[string]string
	}{{"config_import", cfg.Imports}, {"pools", cfg.PoolFiles}} {
		if len(m.files) == 0 {
			continue
		}
		sub := jsonm.NewObject()
		for f, sum := range m.files {
			sub.Set(f, jsonm.NewString(sum))
		}
		obj.Set(m.key, sub)
	}
	return obj
}

func debugOptions(opts [][2]string, args []string) (string, string) {
	switch len(args) {
	case 0:
		var b strings.Builder
		for _, o := range opts {
			b.WriteString(o[0])
			b.WriteByte(' ')
			b.WriteString(o[1])
			b.WriteByte('\n')
		}
		return b.String(), ""
	case 1:
		for _, o := range opts {
			if o[0] == args[0] {
				return o[1], ""
			}
		}
		return "", "options: option " + args[0] + " not found"
	}
	return "", "options: 0 or 1 args expected"
}

// debugRequest makes the request route and route_handles trace: op by
// mcrouter's request name, key as given or, when it is a JSON object,
// its "key" field.
func debugRequest(cmd string, args []string) (*mc.Request, string) {
	if len(args) != 2 {
		return nil, cmd + ": 2 args expected"
	}
	op, ok := debugOps[args[0]]
	if !ok {
		return nil, "route: unknown request " + args[0]
	}
	key := args[1]
	if len(key) > 1 && key[0] == '{' && key[len(key)-1] == '}' {
		v, err := jsonm.Parse("", []byte(key))
		if err != nil {
			return nil, err.Error()
		}
		key, _ = v.Get("key").String()
	}
	return &mc.Request{Op: op, Key: []byte(key)}, ""
}

// debugOps maps mcrouter's request names to the ops mcroute routes;
// lease-get, metaget and lease-set route as get and set do.
var debugOps = map[string]mc.Op{
	"get": mc.OpGet, "gets": mc.OpGets, "gat": mc.OpGat, "gats": mc.OpGats,
	"lease-get": mc.OpGet, "metaget": mc.OpGet,
	"set": mc.OpSet, "add": mc.OpAdd, "replace": mc.OpReplace,
	"append": mc.OpAppend, "prepend": mc.OpPrepend, "cas": mc.OpCas,
	"lease-set": mc.OpSet, "delete": mc.OpDelete,
	"incr": mc.OpIncr, "decr": mc.OpDecr, "touch": mc.OpTouch,
}

// debugRoute lists the destinations req would reach, host:port per line
// ("\r\n" between them), by traversing the tree without sending.
func debugRoute(cfg *Config, args []string) (string, string) {
	req, errMsg := debugRequest("route", args)
	if errMsg != "" {
		return "", errMsg
	}
	var lines []string
	cfg.Root.Traverse(req, 0, func(h Handle, _ int) {
		if d, ok := h.(interface{ HostPort() string }); ok {
			lines = append(lines, d.HostPort())
		}
	})
	return strings.Join(lines, "\r\n"), ""
}

// debugRouteHandles dumps the handles req would pass through, one route
// name per line indented one space per level, under mcrouter's "proxy".
func debugRouteHandles(cfg *Config, args []string) (string, string) {
	req, errMsg := debugRequest("route_handles", args)
	if errMsg != "" {
		return "", errMsg
	}
	var b strings.Builder
	b.WriteString("proxy\n")
	cfg.Root.Traverse(req, 1, func(h Handle, depth int) {
		b.WriteString(strings.Repeat(" ", depth))
		b.WriteString(h.Name())
		b.WriteByte('\n')
	})
	return b.String(), ""
}
