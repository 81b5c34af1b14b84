package jsonm

import (
	"strings"
)

// Globals describes the built-in global params mcrouter passes to the
// preprocessor (ProxyConfigBuilder::buildGlobalParams).
type Globals struct {
	// DefaultRoute is -R/--route-prefix, e.g. "/region/cluster/"; it gives
	// default-route, default-region and default-cluster.
	DefaultRoute string
	// HostID is mcrouter's 32-bit host id.
	HostID uint32
	// RouterName and ServiceName: the standalone binary uses the first
	// port and "mcrouter".
	RouterName  string
	ServiceName string
	// ServiceRouterCapable is 0 outside Facebook.
	ServiceRouterCapable bool
	// RouterInfoName is "Memcache" for the memcache router (the default
	// when empty).
	RouterInfoName string
	// ConfigParams are the --config-params NAME:VALUE pairs, with
	// --additional-config-params already merged over them.
	ConfigParams map[string]string
	// Options holds the integer and toggle options by name (num_proxies,
	// server_timeout_ms, …) already rendered as strings ("1"/"0" for
	// toggles); each is exposed as mcr_opts-<name>.
	Options map[string]string
}

// Params returns the constants for Options.Globals: default-route,
// default-region, default-cluster, hostid (int), router-name,
// service-name, service-router-capable (int 0/1), router-info-name, then
// the config params and mcr_opts-* entries. As in mcrouter, an earlier
// entry wins: a config param cannot override a built-in name.
func (g Globals) Params() map[string]*Value {
	region, cluster := splitRoutePrefix(g.DefaultRoute)
	info := g.RouterInfoName
	if info == "" {
		info = "Memcache"
	}
	params := map[string]*Value{
		"default-route":    NewString(g.DefaultRoute),
		"default-region":   NewString(region),
		"default-cluster":  NewString(cluster),
		"hostid":           NewInt(int64(g.HostID)),
		"router-name":      NewString(g.RouterName),
		"service-name":     NewString(g.ServiceName),
		"router-info-name": NewString(info),
	}
	if g.ServiceRouterCapable {
		params["service-router-capable"] = NewInt(1)
	} else {
		params["service-router-capable"] = NewInt(0)
	}
	for k, v := range g.ConfigParams {
		if _, ok := params[k]; !ok {
			params[k] = NewString(v)
		}
	}
	for k, v := range g.Options {
		if _, ok := params["mcr_opts-"+k]; !ok {
			params["mcr_opts-"+k] = NewString(v)
		}
	}
	return params
}

// splitRoutePrefix returns the region and cluster of "/region/cluster/".
func splitRoutePrefix(p string) (region, cluster string) {
	p = strings.TrimPrefix(p, "/")
	region, rest, _ := strings.Cut(p, "/")
	cluster, _, _ = strings.Cut(rest, "/")
	return region, cluster
}

// ResolveImport returns the file mcrouter reads for @import(path) when the
// main config is configFile (its path without "file:"; "" for an inline
// config): a "file:" prefix is stripped and the rest used as is (absolute,
// or relative to the working directory); any other path is relative to
// the main config file's directory — also for nested imports, and also
// when it starts with "/" (boost::filesystem v3 appends it).
func ResolveImport(configFile, path string) string {
	if rest, ok := strings.CutPrefix(path, "file:"); ok {
		return rest
	}
	configFile = strings.TrimPrefix(configFile, "file:")
	i := strings.LastIndexByte(configFile, '/')
	switch {
	case i < 0:
		return path
	case i == 0:
		return "/" + strings.TrimPrefix(path, "/")
	}
	dir := configFile[:i]
	if strings.HasPrefix(path, "/") {
		return dir + path
	}
	return dir + "/" + path
}

// FileLoader returns a Loader that resolves paths with ResolveImport
// against configFile and reads them with readFile (os.ReadFile in the
// binary, a map in tests).
func FileLoader(configFile string, readFile func(name string) ([]byte, error)) Loader {
	return func(path string) (string, []byte, error) {
		file := ResolveImport(configFile, path)
		data, err := readFile(file)
		return file, data, err
	}
}
