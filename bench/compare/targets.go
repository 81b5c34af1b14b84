package compare

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Target names, in the order each round runs them.
const (
	Direct    = "memcached"
	Twemproxy = "twemproxy"
	// MemcachedProxy is memcached's built-in proxy (--enable-proxy).
	MemcachedProxy = "memcached-proxy"
	Mcroute        = "mcroute"
)

// target is one thing the generator is pointed at in a topology.
type target struct {
	name  string
	addrs []string    // the generator spreads its connections over these
	proxy *proc       // nil for direct memcached
	down  string      // non-empty: not measured, and why
	tls   *tls.Config // the generator connects with TLS (nil: plaintext)
	// another starts one more process of this proxy, with the same config
	// and backends, on a new port and under name (for its files): memory
	// per idle connection is measured on one that has served nothing
	// (measureConns). nil for direct memcached and the TLS targets.
	another func(name string) (*proc, string, error)
}

// topology is N memcached backends and the proxies in front of them.
type topology struct {
	backends []*proc
	addrs    []string
	targets  []*target
	// addrTLS: backends that speak TLS (memcached -Z), with the client
	// configuration preload reaches them with.
	addrTLS map[string]*tls.Config
}

// startServing starts a server on a free port and waits until it answers
// version; a child that exits at once (most likely the port was taken
// between choosing and binding it) is retried on another port.
func (r *runner) startServing(name, bin string, args func(port int) []string, timeout time.Duration) (*proc, string, error) {
	return r.startServingWith(nil, name, bin, args, timeout)
}

// startServingWith is startServing for a server whose port speaks TLS,
// checked with tc (nil: plaintext).
func (r *runner) startServingWith(tc *tls.Config, name, bin string, args func(port int) []string, timeout time.Duration) (*proc, string, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var port int
		if port, err = freePort(); err != nil {
			return nil, "", err
		}
		var p *proc
		if p, err = r.procs.start(name, bin, args(port)...); err != nil {
			return nil, "", err
		}
		addr := loopback(port)
		if err = waitServingWith(tc, p, addr, timeout); err == nil {
			return p, addr, nil
		}
		died := !p.alive()
		p.stop()
		if !died {
			break // it runs but does not serve: another port will not help
		}
	}
	return nil, "", err
}

func (r *runner) memcachedArgs(port int) []string {
	args := []string{"-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0",
		"-t", strconv.Itoa(r.opts.MemcachedThreads), "-m", "1024", "-c", "4096"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "root") // memcached refuses root without -u
	}
	return args
}

// startTopology starts n memcached backends, then twemproxy and mcroute in
// front of them. Backends must start; a proxy that does not is marked down.
func (r *runner) startTopology(n int) (*topology, error) {
	t := &topology{}
	for i := 0; i < n; i++ {
		p, addr, err := r.startServing(fmt.Sprintf("memcached-%d-%d", n, i), r.memcached, r.memcachedArgs, r.opts.StartTimeout)
		if err != nil {
			return nil, fmt.Errorf("memcached backend %d of %d: %w", i+1, n, err)
		}
		t.backends = append(t.backends, p)
		t.addrs = append(t.addrs, addr)
	}
	t.targets = append(t.targets, &target{name: Direct, addrs: t.addrs})
	t.targets = append(t.targets, r.startTwemproxy(n, t.addrs))
	t.targets = append(t.targets, r.startMemcachedProxy(n, t.addrs))
	t.targets = append(t.targets, r.startMcroute(n, t.addrs))
	return t, nil
}

// twemproxyConfig is the nutcracker pool in front of backends: ketama over
// fnv1a_64, no ejection (a benchmark must not silently drop a backend).
func twemproxyConfig(listen string, backends []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "bench:\n  listen: %s\n  hash: fnv1a_64\n  distribution: ketama\n", listen)
	b.WriteString("  timeout: 2000\n  backlog: 1024\n  preconnect: true\n")
	b.WriteString("  auto_eject_hosts: false\n  server_retry_timeout: 2000\n  server_failure_limit: 3\n  servers:\n")
	for _, a := range backends {
		fmt.Fprintf(&b, "   - %s:1\n", a)
	}
	return b.String()
}

func (r *runner) startTwemproxy(n int, backends []string) *target {
	t := &target{name: Twemproxy}
	if r.nutcracker == "" {
		t.down = "twemproxy not serving: nutcracker not installed (apt-get install nutcracker)"
		return t
	}
	t.another = func(name string) (*proc, string, error) { return r.runTwemproxy(name, backends) }
	p, addr, err := r.runTwemproxy(fmt.Sprintf("twemproxy-%d", n), backends)
	if err == nil {
		err = smokeTest(addr)
	}
	if err != nil {
		if p != nil {
			p.stop()
		}
		t.down = "twemproxy not serving: " + err.Error()
		return t
	}
	t.addrs, t.proxy = []string{addr}, p
	return t
}

// runTwemproxy starts nutcracker in front of backends and waits until it
// answers version.
func (r *runner) runTwemproxy(name string, backends []string) (*proc, string, error) {
	conf := filepath.Join(r.procs.dir, name+".yml")
	args := func(port int) []string {
		_ = os.WriteFile(conf, []byte(twemproxyConfig(loopback(port), backends)), 0o644)
		stats, _ := freePort()
		return []string{"-c", conf, "-s", strconv.Itoa(stats), "-a", "127.0.0.1",
			"-o", filepath.Join(r.procs.dir, name+".nutcracker.log"),
			"-p", filepath.Join(r.procs.dir, name+".pid")}
	}
	return r.startServing(name, r.nutcracker, args, r.opts.StartTimeout)
}

// mcrouteConfig is the mcrouter-style config for one pool of backends.
func mcrouteConfig(backends []string) string {
	cfg := map[string]any{
		"pools": map[string]any{"A": map[string]any{"servers": backends}},
		"route": "PoolRoute|A",
	}
	b, _ := json.Marshal(cfg)
	return string(b)
}

func (r *runner) startMcroute(n int, backends []string) *target {
	t := &target{name: Mcroute}
	if _, err := os.Stat(r.opts.Mcroute); err != nil {
		t.down = fmt.Sprintf("mcroute not serving: %s not found (run make build)", r.opts.Mcroute)
		return t
	}
	if _, err := exec.LookPath(r.opts.Mcroute); err != nil && !strings.Contains(r.opts.Mcroute, "/") {
		t.down = "mcroute not serving: " + err.Error()
		return t
	}
	t.another = func(name string) (*proc, string, error) { return r.runMcroute(name, backends) }
	p, addr, err := r.runMcroute(fmt.Sprintf("mcroute-%d", n), backends)
	if err == nil {
		err = smokeTest(addr)
	}
	if err != nil {
		if p != nil {
			p.stop()
		}
		t.down = "mcroute not serving: " + err.Error()
		return t
	}
	t.addrs, t.proxy = []string{addr}, p
	return t
}

// runMcroute starts mcroute in front of backends and waits until it
// answers version.
func (r *runner) runMcroute(name string, backends []string) (*proc, string, error) {
	conf := filepath.Join(r.procs.dir, name+".json")
	if err := os.WriteFile(conf, []byte(mcrouteConfig(backends)), 0o644); err != nil {
		return nil, "", err
	}
	bin := r.opts.Mcroute
	if !filepath.IsAbs(bin) && !strings.HasPrefix(bin, ".") && strings.Contains(bin, "/") {
		bin = "./" + bin
	}
	args := func(port int) []string {
		return []string{"-p", strconv.Itoa(port), "--listen-address", "127.0.0.1",
			"--config", "file:" + conf, "--num-proxies", strconv.Itoa(r.opts.McrouteProxies)}
	}
	return r.startServing(name, bin, args, r.opts.StartTimeout)
}

// memcachedProxyConfig is the route library (routelib, built into memcached
// 1.6.45 with --enable-proxy) config for one pool of backends: every key
// goes to the pool, which hashes it with the proxy's defaults (XXH3 of the
// key, jump consistent hash over the backends).
func memcachedProxyConfig(backends []string) string {
	var b strings.Builder
	b.WriteString("-- generated by mcroute-bench compare\npools{\n    main = {\n        backends = {\n")
	for _, a := range backends {
		fmt.Fprintf(&b, "            %q,\n", a)
	}
	b.WriteString("        }\n    }\n}\n\nroutes{\n    default = route_direct{ child = \"main\" }\n}\n")
	return b.String()
}

// memcachedProxyArgs runs the proxy on one worker thread (-t 1), the equal
// footing with single-threaded twemproxy and mcroute --num-proxies 1.
func (r *runner) memcachedProxyArgs(conf string) func(port int) []string {
	return func(port int) []string {
		args := []string{"-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0", "-t", "1", "-c", "4096",
			"-o", "proxy_config=routelib,proxy_arg=" + conf}
		if os.Geteuid() == 0 {
			args = append(args, "-u", "root")
		}
		return args
	}
}

func (r *runner) startMemcachedProxy(n int, backends []string) *target {
	t := &target{name: MemcachedProxy}
	if r.memcachedProxy == "" {
		t.down = "memcached-proxy not serving: " + r.memcachedProxyWhy
		return t
	}
	t.another = func(name string) (*proc, string, error) { return r.runMemcachedProxy(name, backends) }
	p, addr, err := r.runMemcachedProxy(fmt.Sprintf("memcached-proxy-%d", n), backends)
	if err == nil {
		err = smokeTest(addr)
	}
	if err != nil {
		if p != nil {
			p.stop()
		}
		t.down = "memcached-proxy not serving: " + err.Error()
		return t
	}
	t.addrs, t.proxy = []string{addr}, p
	return t
}

// runMemcachedProxy starts memcached's proxy in front of backends and
// waits until it answers version.
func (r *runner) runMemcachedProxy(name string, backends []string) (*proc, string, error) {
	conf := filepath.Join(r.procs.dir, name+".lua")
	if err := os.WriteFile(conf, []byte(memcachedProxyConfig(backends)), 0o644); err != nil {
		return nil, "", err
	}
	return r.startServing(name, r.memcachedProxy, r.memcachedProxyArgs(conf), r.opts.StartTimeout)
}

// findMemcachedProxy resolves a memcached built with --enable-proxy: name
// on PATH (or a path), checked by its -h text offering proxy_config.
// Returns the path, or "" and why not.
func findMemcachedProxy(name string) (string, string) {
	if name == "" {
		return "", "disabled"
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		return "", name + " not found: build memcached with ./configure --enable-proxy (see bench/README.md) or set MEMCACHED_PROXY=path"
	}
	out, _ := exec.Command(bin, "-h").CombinedOutput()
	if !strings.Contains(string(out), "proxy_config") {
		return "", bin + " was built without --enable-proxy"
	}
	return bin, ""
}
