package router

import (
	"crypto/md5"
	"encoding/hex"
	"net"
	"net/netip"
	"os"

	"mcroute/router/jsonm"
)

// preprocessor runs JSONM expansion over a parsed config with mcrouter's
// built-in global params, and reads the files the config names (@import
// and "file:" pools) relative to the config file, recording each one's
// MD5 for config_sources_info and reloads.
type preprocessor struct {
	file     string
	load     jsonm.Loader
	globals  map[string]*jsonm.Value
	imported map[string]string // @import'ed file → hex MD5
}

func newPreprocessor(file string, opts Options) (*preprocessor, error) {
	read := opts.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	router := opts.RouterName
	if router == "" {
		router = "0"
	}
	service := opts.ServiceName
	if service == "" {
		service = "mcrouter"
	}
	globals := jsonm.Globals{
		DefaultRoute: opts.DefaultRoute,
		HostID:       opts.HostID,
		RouterName:   router,
		ServiceName:  service,
		ConfigParams: opts.Params,
		Options:      opts.McrOpts,
	}.Params()
	if opts.NumProxies > 0 {
		if _, ok := globals["num-proxies"]; !ok {
			globals["num-proxies"] = jsonm.NewInt(int64(opts.NumProxies))
		}
	}
	return &preprocessor{
		file:     file,
		load:     jsonm.FileLoader(file, read),
		globals:  globals,
		imported: map[string]string{},
	}, nil
}

// run expands v's macros.
func (p *preprocessor) run(v *jsonm.Value) (*jsonm.Value, error) {
	return jsonm.Preprocess(v, jsonm.Options{
		Globals:    p.globals,
		Load:       p.load,
		Imported:   p.imported,
		LocalAddrs: localAddrs,
	})
}

// readPool reads the "file:<path>" pool name through the same loader as
// @import and parses it (JSON with comments; no macros, as mcrouter). It
// returns the file read and its hex MD5.
func (p *preprocessor) readPool(name string) (*jsonm.Value, string, string, error) {
	file, data, err := p.load(name)
	if err != nil {
		return nil, file, "", err
	}
	v, err := jsonm.Parse(file, data)
	if err != nil {
		return nil, file, "", err
	}
	sum := md5.Sum(data)
	return v, file, hex.EncodeToString(sum[:]), nil
}

// localAddrs lists the host's interface addresses for @isLocalIp.
func localAddrs() ([]netip.Addr, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		var ip net.IP
		switch a := a.(type) {
		case *net.IPNet:
			ip = a.IP
		case *net.IPAddr:
			ip = a.IP
		}
		if ad, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, ad.Unmap())
		}
	}
	return out, nil
}

// globalParamsJSON renders the JSONM global params as one object with
// sorted keys (for __mcrouter__.global_params).
func globalParamsJSON(g map[string]*jsonm.Value) *jsonm.Value {
	obj := jsonm.NewObject()
	for k, v := range g {
		obj.Set(k, v)
	}
	return obj
}
