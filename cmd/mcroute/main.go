// Command mcroute is a memcached protocol router: it speaks the memcached
// text protocol to clients, routes each request through a route tree built
// from an mcrouter JSON config, and forwards it to pools of memcached
// servers.
//
//	mcroute -p 5000 --config file:testdata/quickstart.json
//
// Flags follow mcrouter's names where mcrouter has them; see README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/klauspost/cpuid/v2"

	"mcroute/engine"
	"mcroute/router"
	"mcroute/upstream"
)

// Exit codes, as mcrouter's: 2 for a transient error, 3 for a bad config
// or bad options.
const (
	exitTransient = 2
	exitBadConfig = 3
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "replay" { // replay.go
		os.Exit(runReplay(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// validateFlag is --validate-config[=exit|run]: a flag that may be given
// without a value.
type validateFlag struct{ mode string }

func (v *validateFlag) String() string { return v.mode }
func (v *validateFlag) Set(s string) error {
	switch s {
	case "true", "exit", "":
		v.mode = "exit"
	case "run":
		v.mode = "run"
	case "false":
		v.mode = ""
	default:
		return fmt.Errorf("want exit or run, not %q", s)
	}
	return nil
}
func (v *validateFlag) IsBoolFlag() bool { return true }

type options struct {
	ports                 string
	listen                string
	config                string
	configFile            string
	configStr             string
	configParams          string
	routePrefix           string
	numProxies            int
	serverTimeout         int
	maxClientOutstanding  int
	enableFlush           bool
	enableShutdown        bool
	sendInvalidToDefault  bool
	allowOnlyGets         bool
	lockOSThread          bool
	threadAffinity        bool
	validate              validateFlag
	version               bool
	targetMaxInflight     int
	clientOutboundHighMiB int
	serviceName           string
	missOnGetErrors       bool
	disableReload         bool
	pollPeriodMs          int
	reconfigDelayMs       int
	disableMissOnGet      bool
	bigValueThreshold     int
	bigValueBatch         int
	bigValueHide          bool

	// asynclog: reliable deletes (README "Reliable deletes (asynclog)").
	asyncDir             string
	asynclogDisable      bool
	asynclogV2           bool
	asynclogPortOverride int
	routerName           string
	flavorName           string
	runtimeVarsFile      string
	targetMaxShadow      int
	disableShardSplit    bool
	tls                  tlsOptions

	// Issue 11 handles: OriginalClientHashRoute, LoggingRoute, pool
	// region/cluster timeouts (README "Route handles").
	retainSourceIP     bool
	enableLoggingRoute bool
	withinClusterMs    int
	crossClusterMs     int
	crossRegionMs      int

	// Health tracking (TKO): README "Health tracking (TKO)".
	timeoutsUntilTKO    int
	probeTimeoutInitial int
	probeTimeoutMax     int
	disableTKO          bool

	// Outbound TLS (client_tls.go, README "TLS sidecar for a managed
	// memcached").
	pemCertPath, pemKeyPath, pemCAPath string
	sslNoVerifyServers, sslVerifyPeers bool

	// defs is every option's long name in definition order (what
	// __mcrouter__.options lists); aliases are in names.
	defs  []string
	names map[string]bool
}

func newFlagSet(o *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mcroute", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o.names = map[string]bool{}
	def := func(names []string) {
		o.defs = append(o.defs, names[len(names)-1])
		for _, n := range names {
			o.names[n] = true
		}
	}
	str := func(p *string, dflt, usage string, names ...string) {
		def(names)
		for _, n := range names {
			fs.StringVar(p, n, dflt, usage)
		}
	}
	integer := func(p *int, dflt int, usage string, names ...string) {
		def(names)
		for _, n := range names {
			fs.IntVar(p, n, dflt, usage)
		}
	}
	boolean := func(p *bool, usage string, names ...string) {
		def(names)
		for _, n := range names {
			fs.BoolVar(p, n, false, usage)
		}
	}
	str(&o.ports, "", "comma-separated listen ports", "p", "port")
	str(&o.listen, "", "comma-separated listen addresses (IPv4 or IPv6); default: all", "listen-address", "listen-addresses")
	str(&o.config, "", "config: file:PATH, or inline JSON", "config")
	str(&o.configFile, "", "config file path (same as --config file:PATH)", "f", "config-file")
	str(&o.configStr, "", "inline JSON config", "config-str")
	str(&o.configParams, "", "JSONM global params NAME:VALUE,...", "config-params")
	str(&o.routePrefix, "/././", "default routing prefix /region/cluster/", "R", "route-prefix")
	str(&o.serviceName, "mcrouter", "service name, JSONM's %service-name%", "service-name")
	integer(&o.numProxies, defaultNumProxies(), "event loops (proxy threads); default: number of physical cores the process may use", "num-proxies")
	integer(&o.serverTimeout, 1000, "server reply timeout in ms", "t", "server-timeout")
	integer(&o.maxClientOutstanding, 34133, "max requests in flight per client connection (0: no limit)", "max-client-outstanding-reqs")
	integer(&o.targetMaxInflight, 1<<16, "max requests awaiting replies per server connection per loop; more get SERVER_ERROR 307 busy", "target-max-inflight-requests")
	integer(&o.clientOutboundHighMiB, 4, "stop reading a client while its unsent replies exceed this many MiB", "client-outbound-high-water-mib")
	boolean(&o.enableFlush, "allow flush_all (sent to every server)", "enable-flush-cmd")
	boolean(&o.enableShutdown, "allow the shutdown command to stop mcroute", "enable-shutdown-cmd")
	boolean(&o.sendInvalidToDefault, "send keys with an unknown routing prefix to the default route", "send-invalid-route-to-default")
	boolean(&o.allowOnlyGets, "testing: answer everything but gets with the default reply, unrouted", "allow-only-gets")
	boolean(&o.lockOSThread, "pin each event loop to an OS thread", "lock-os-thread")
	boolean(&o.threadAffinity, "pin event loop i's thread to CPU i of the process's CPU mask (implies --lock-os-thread)", "thread-affinity")
	boolean(&o.missOnGetErrors, "answer get-like requests that fail with a miss (END) instead of the error line", "miss-on-get-errors")
	boolean(&o.disableMissOnGet, "report get errors as errors (mcroute's default; accepted for mcrouter command lines)", "disable-miss-on-get-errors")
	boolean(&o.disableReload, "do not reload the config file when it (or a file it imports) changes", "disable-reload-configs")
	integer(&o.pollPeriodMs, 1000, "how often to check the config files for changes, ms, where inotify cannot watch them; with inotify every 60 × this, at least a minute", "file-observer-poll-period-ms")
	integer(&o.reconfigDelayMs, 1000, "wait this long after a config file changes before reloading, ms", "reconfiguration-delay-ms")
	// asynclog: failed deletes are spooled (README "Reliable deletes
	// (asynclog)"); --service-name above also names the spool files.
	str(&o.asyncDir, "/var/spool/mcrouter", "asynclog spool root: deletes that fail are written there, replayed by mcroute replay", "a", "async-dir")
	boolean(&o.asynclogDisable, "do not spool failed deletes: clients get the error", "asynclog-disable")
	boolean(&o.asynclogV2, "write asynclog records in the AS2.0 format", "use-asynclog-version2")
	integer(&o.asynclogPortOverride, 0, "port written in asynclog records instead of the server's (0: the server's)", "asynclog-port-override")
	str(&o.routerName, "", "router name (spool file names, JSONM %router-name%); default: the first listen port", "router-name")
	str(&o.flavorName, "", "flavor name in AS2.0 records; default: the router name", "flavor-name")
	integer(&o.bigValueThreshold, 0, "store values larger than this many bytes as chunks (BigValueRoute over every route); 0: off", "big-value-split-threshold")
	integer(&o.bigValueBatch, 10, "big value chunks sent in parallel per batch (0: all at once)", "big-value-batch-size")
	boolean(&o.bigValueHide, "clear the big value flag (0x8000) in replies", "big-value-hide-reply-flag")
	str(&o.runtimeVarsFile, "", "JSON file of runtime variables (shadow key fractions); re-read when it changes", "runtime-vars-file")
	integer(&o.targetMaxShadow, 1000, "max shadow requests pending per server per loop; more are dropped (<0: no cap)", "target-max-shadow-requests")
	boolean(&o.disableShardSplit, "ignore PoolRoute shard_splits", "disable-shard-split-route")
	boolean(&o.retainSourceIP, "give the router each client's IP (needed by OriginalClientHashRoute)", "retain-source-ip")
	boolean(&o.enableLoggingRoute, "log every request and its reply (LoggingRoute over the whole tree; at most 100 lines a second)", "enable-logging-route")
	integer(&o.withinClusterMs, 0, "server timeout, ms, of pools whose region and cluster are -R's (0: off)", "within-cluster-timeout-ms")
	integer(&o.crossClusterMs, 0, "server timeout, ms, of pools in -R's region but another cluster (0: off)", "cross-cluster-timeout-ms")
	integer(&o.crossRegionMs, 0, "server timeout, ms, of pools in another region than -R's (0: off)", "cross-region-timeout-ms")
	// Health tracking (TKO, README "Health tracking (TKO)"): servers that
	// fail are marked TKO and answered at once until a probe succeeds.
	integer(&o.timeoutsUntilTKO, 3, "consecutive reply timeouts that mark a server TKO", "timeouts-until-tko")
	integer(&o.probeTimeoutInitial, 10000, "delay before the first probe of a TKO server, ms (each later one ×1.5)", "r", "retry-timeout", "probe-timeout-initial")
	integer(&o.probeTimeoutMax, 60000, "longest delay between probes of a TKO server, ms", "probe-timeout-max")
	boolean(&o.disableTKO, "no TKO tracking: requests to failing servers are always sent (no probes)", "disable-tko-tracking")
	// Outbound TLS (client_tls.go): servers with security mech ssl
	// (use_ssl, security_mech, host:port:ascii:ssl) are verified by
	// default, unlike mcrouter's, which verify only with
	// --ssl-verify-peers.
	str(&o.pemCertPath, "", "client certificate (PEM chain) presented to TLS servers that ask for one", "pem-cert-path")
	str(&o.pemKeyPath, "", "private key (PEM) of --pem-cert-path", "pem-key-path")
	str(&o.pemCAPath, "", "CA certificates (PEM) that TLS servers' certificates must chain to; default: the system roots", "pem-ca-path")
	boolean(&o.sslNoVerifyServers, "accept any TLS server certificate (self-signed test set-ups only: no protection from a man in the middle)", "ssl-no-verify-servers")
	boolean(&o.sslVerifyPeers, "accepted for mcrouter command lines: mcroute always verifies TLS servers (see --ssl-no-verify-servers)", "ssl-verify-peers")
	defineTLSFlags(&o.tls, str, integer, boolean)
	boolean(&o.version, "print the version and exit", "V", "version")
	fs.Var(&o.validate, "validate-config", "check the config and exit 0 (good) or 3 (bad); =run checks then serves")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mcroute [options] -p port(s) --config file:<config-file>\n\noptions:\n")
		fs.PrintDefaults()
	}
	return fs
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := newFlagSet(&o, stderr)
	extra := acceptMcrouterOptions(fs) // mcrouter_options.go: last, so that real flags win
	if err := fs.Parse(splitShortArgs(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitBadConfig
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mcroute: unexpected argument %q\n", fs.Arg(0))
		return exitBadConfig
	}
	if o.version {
		fmt.Fprintf(stdout, "mcroute %s\n", engine.Version)
		return 0
	}
	stderr, err := extra.logOutput(stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mcroute: %v\n", err)
		return exitBadConfig
	}
	logger := log.New(stderr, "mcroute: ", log.LstdFlags)
	if err := extra.apply(fs, &o.numProxies, logger); err != nil {
		logger.Printf("%v", err)
		return exitBadConfig
	}
	// Each client and server connection is a descriptor; systemd's default
	// soft limit (1024) is far below what a proxy needs.
	if n, raised, err := raiseFDLimit(); err != nil {
		logger.Printf("open file limit: %v", err)
	} else if raised {
		logger.Printf("open file limit: raised the soft limit to the hard limit, %d", n)
	} else {
		logger.Printf("open file limit: %d", n)
	}

	file, text, err := loadConfig(&o)
	if err != nil {
		logger.Printf("%v", err)
		return exitBadConfig
	}
	params, err := parseParams(o.configParams)
	if err == nil {
		err = extra.mergeParams(params)
	}
	if err != nil {
		logger.Printf("--config-params: %v", err)
		return exitBadConfig
	}
	if o.serverTimeout < 1 {
		logger.Printf("--server-timeout must be at least 1 ms")
		return exitBadConfig
	}
	flags, mcrOpts := optionList(fs, &o)
	rname := routerName(o.ports)
	if o.routerName != "" {
		rname = o.routerName
	}
	spool := newSpool(&o, rname, logger)
	defer spool.Close()
	bopts := router.Options{
		DefaultRoute:              o.routePrefix,
		ServerTimeout:             time.Duration(o.serverTimeout) * time.Millisecond,
		SendInvalidRouteToDefault: o.sendInvalidToDefault,
		AllowOnlyGets:             o.allowOnlyGets,
		Params:                    params,
		RouterName:                rname,
		ServiceName:               o.serviceName,
		NumProxies:                o.numProxies,
		McrOpts:                   mcrOpts,
		BigValueSplitThreshold:    o.bigValueThreshold,
		BigValueBatchSize:         o.bigValueBatch,
		BigValueHideReplyFlag:     o.bigValueHide,
		RuntimeVars:               router.NewRuntimeVars(o.runtimeVarsFile),
		TargetMaxShadowRequests:   o.targetMaxShadow,
		DisableShardSplitRoute:    o.disableShardSplit,
		EnableLoggingRoute:        o.enableLoggingRoute,
		Logf:                      logger.Printf,
		WithinClusterTimeout:      time.Duration(o.withinClusterMs) * time.Millisecond,
		CrossClusterTimeout:       time.Duration(o.crossClusterMs) * time.Millisecond,
		CrossRegionTimeout:        time.Duration(o.crossRegionMs) * time.Millisecond,
	}
	if bopts.TLSClient, err = newTLSClient(&o, logger); err != nil { // client_tls.go
		logger.Printf("%v", err)
		return exitBadConfig
	}
	if !o.asynclogDisable {
		bopts.Asynclog, bopts.AsynclogPortOverride = spool, o.asynclogPortOverride
	}
	bopts.RuntimeVars.Logf = logger.Printf
	if _, err := bopts.RuntimeVars.Load(); err != nil {
		logger.Printf("%v", err)
	}
	go bopts.RuntimeVars.Watch(context.Background(), time.Duration(o.pollPeriodMs)*time.Millisecond)
	cfg, err := router.Build(file, text, bopts)
	if err != nil {
		logger.Printf("bad config: %v", err)
		return exitBadConfig
	}
	for _, w := range cfg.Warnings {
		logger.Printf("warning: %s", w)
	}
	if o.validate.mode == "exit" {
		fmt.Fprintf(stdout, "config %s is valid: %d servers\n", displayName(file), len(cfg.Servers))
		return 0
	}

	var addrs, tlsAddrs []string
	if o.ports != "" || o.tls.sslPorts == "" {
		addrs, err = listenAddrs(o.listen, o.ports)
	}
	if err == nil && o.tls.sslPorts != "" {
		tlsAddrs, err = listenAddrs(o.listen, o.tls.sslPorts)
	}
	if err != nil {
		logger.Printf("%v", err)
		return exitBadConfig
	}
	o.tls.pemCert, o.tls.pemKey, o.tls.pemCA = o.pemCertPath, o.pemKeyPath, o.pemCAPath
	tlsSrv, err := o.tls.tlsServer(logger.Printf)
	if err != nil {
		logger.Printf("%v", err)
		return exitBadConfig
	}
	if tlsSrv != nil {
		defer tlsSrv.Close()
	}
	if o.numProxies < 1 {
		logger.Printf("--num-proxies must be at least 1")
		return exitBadConfig
	}
	// Leave the runtime one P beyond the loops for the dialer, the
	// reloader, timers and the GC's workers (engine/RUNTIME.md).
	if n := engine.GOMAXPROCSFor(o.numProxies, runtime.GOMAXPROCS(0), os.Getenv("GOMAXPROCS") != ""); n != runtime.GOMAXPROCS(0) {
		logger.Printf("GOMAXPROCS %d (event loops + 1)", n)
		runtime.GOMAXPROCS(n)
	}
	r := router.New(cfg)
	var e *engine.Engine
	stop := make(chan struct{}, 1)
	eopts := engine.Options{
		Addrs:                addrs,
		TLSAddrs:             tlsAddrs,
		TLS:                  tlsSrv,
		NumLoops:             o.numProxies,
		LockOSThread:         o.lockOSThread,
		ThreadAffinity:       o.threadAffinity,
		MaxClientOutstanding: o.maxClientOutstanding,
		OutboundHighWater:    o.clientOutboundHighMiB << 20,
		EnableFlush:          o.enableFlush,
		EnableShutdown:       o.enableShutdown,
		RetainSourceIP:       o.retainSourceIP,
		MissOnGetErrors:      o.missOnGetErrors && !o.disableMissOnGet,
		CommandArgs:          strings.Join(args, " "),
		Flags:                flags,
		Logf:                 logger.Printf,
		OnShutdownCommand: func() {
			select {
			case stop <- struct{}{}:
			default:
			}
		},
	}
	eopts.Upstream.Logf = logger.Printf // TLS servers refused, and why
	eopts.Upstream.MaxPending = o.targetMaxInflight
	eopts.Upstream.TKO = upstream.TKOOptions{
		Disable:          o.disableTKO,
		TimeoutsUntilTKO: o.timeoutsUntilTKO,
		ProbeInitial:     time.Duration(o.probeTimeoutInitial) * time.Millisecond,
		ProbeMax:         time.Duration(o.probeTimeoutMax) * time.Millisecond,
	}
	eopts.ReusePort = extra.reusePort
	e = engine.New(r, eopts)

	// Online reconfiguration: a config file is watched (with its imports
	// and file: pools) and SIGHUP reloads it at once. Inline configs have
	// nothing to watch.
	if file != "" {
		rl := &router.Reloader{
			R: r, File: file, Opts: bopts, Logf: logger.Printf,
			Poll:  time.Duration(o.pollPeriodMs) * time.Millisecond,
			Delay: time.Duration(o.reconfigDelayMs) * time.Millisecond,
		}
		if o.reconfigDelayMs == 0 {
			rl.Delay = -1 // no delay
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if !o.disableReload {
			go rl.Run(ctx)
		}
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-hup:
					logger.Printf("SIGHUP: reloading %s", file)
					_ = rl.Reload()
				}
			}
		}()
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	var requested atomic.Bool // a signal or the shutdown command asked to stop
	go func() {
		select {
		case s := <-sigs:
			logger.Printf("%v: shutting down", s)
		case <-stop:
			logger.Printf("shutdown command: shutting down")
		}
		requested.Store(true)
		gracefulStop(e, time.Duration(o.serverTimeout)*time.Millisecond, sigs, logger) // shutdown.go
	}()
	go func() {
		<-e.Started()
		logger.Printf("serving on %s with %d event loops, config %s (%d servers)",
			strings.Join(addrs, ","), o.numProxies, displayName(file), len(cfg.Servers))
	}()
	// Every way Run returns: an error (a listener that cannot be opened, an
	// event loop or listener that failed) exits non-zero with the reason;
	// so does a stop nobody asked for, so that systemd's
	// Restart=on-failure restarts mcroute.
	if err := e.Run(); err != nil {
		logger.Printf("stopped: %v", err)
		return exitTransient
	}
	if !requested.Load() {
		logger.Printf("stopped: the engine stopped without a signal or shutdown command")
		return exitTransient
	}
	return 0
}

// defaultNumProxies is --num-proxies' default: one event loop per
// physical core, capped by the CPUs the process may use (its affinity
// mask, and a cgroup CPU quota as the runtime's default GOMAXPROCS counts
// it). Called before anything changes GOMAXPROCS.
func defaultNumProxies() int {
	return engine.DefaultLoops(cpuid.CPU.PhysicalCores, runtime.NumCPU(), runtime.GOMAXPROCS(0))
}

func displayName(file string) string {
	if file == "" {
		return "<inline>"
	}
	return file
}

// loadConfig returns the config's file name ("" when inline) and text,
// from the first of --config, --config-str, --config-file that is set.
func loadConfig(o *options) (string, []byte, error) {
	switch {
	case o.config != "":
		if path, ok := strings.CutPrefix(o.config, "file:"); ok {
			b, err := os.ReadFile(path)
			if err != nil {
				return "", nil, &readError{err}
			}
			return path, b, nil
		}
		return "", []byte(o.config), nil
	case o.configStr != "":
		return "", []byte(o.configStr), nil
	case o.configFile != "":
		b, err := os.ReadFile(o.configFile)
		if err != nil {
			return "", nil, &readError{err}
		}
		return o.configFile, b, nil
	}
	return "", nil, errors.New("no config: use --config file:PATH")
}

// readError is a config file that cannot be read; it prints as mcrouter's
// "Can not read config" message.
type readError struct{ err error }

func (e *readError) Error() string { return "Can not read config: " + e.err.Error() }

// mcrouterOptionNames are mcrouter's option names where they are not the
// flag's long name with '-' turned into '_'.
var mcrouterOptionNames = map[string]string{
	"port":           "ports",
	"ssl-port":       "ssl_ports",
	"route-prefix":   "default_route",
	"server-timeout": "server_timeout_ms",
}

func optionName(flagName string) string {
	if n, ok := mcrouterOptionNames[flagName]; ok {
		return n
	}
	return strings.ReplaceAll(flagName, "-", "_")
}

// optionList returns every option as (mcrouter option name, value) in
// definition order, toggles as 1/0 (what __mcrouter__.options prints),
// and the integer and toggle options by name for JSONM's mcr_opts-*.
func optionList(fs *flag.FlagSet, o *options) ([][2]string, map[string]string) {
	names := append([]string(nil), o.defs...)
	fs.VisitAll(func(f *flag.Flag) {
		if !o.names[f.Name] && len(f.Name) > 1 {
			names = append(names, f.Name)
		}
	})
	var list [][2]string
	mcr := map[string]string{}
	for _, n := range names {
		f := fs.Lookup(n)
		if f == nil {
			continue
		}
		name, val := optionName(n), f.Value.String()
		if g, ok := f.Value.(flag.Getter); ok {
			switch v := g.Get().(type) {
			case bool:
				val = "0"
				if v {
					val = "1"
				}
				mcr[name] = val
			case int:
				mcr[name] = val
			}
		}
		list = append(list, [2]string{name, val})
	}
	return list, mcr
}

// routerName is mcrouter's router name for the standalone binary: the
// first listen port, "0" without one.
func routerName(ports string) string {
	p, _, _ := strings.Cut(ports, ",")
	if p = strings.TrimSpace(p); p == "" {
		return "0"
	}
	return p
}

// parseParams parses --config-params NAME:VALUE,NAME:VALUE.
func parseParams(s string) (map[string]string, error) {
	m := map[string]string{}
	if s == "" {
		return m, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, ":")
		if !ok || k == "" {
			return nil, fmt.Errorf("bad NAME:VALUE pair %q", kv)
		}
		m[k] = v
	}
	return m, nil
}

// listenAddrs combines --listen-address and -p into host:port pairs.
func listenAddrs(hosts, ports string) ([]string, error) {
	if ports == "" {
		return nil, errors.New("invalid ports: give at least one with -p/--port")
	}
	var hs []string
	if hosts == "" {
		hs = []string{""}
	} else {
		for _, h := range strings.Split(hosts, ",") {
			h = strings.Trim(strings.TrimSpace(h), "[]")
			if h != "" && net.ParseIP(h) == nil {
				return nil, fmt.Errorf("--listen-address: %q is not an IP address", h)
			}
			hs = append(hs, h)
		}
	}
	var out []string
	for _, p := range strings.Split(ports, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 || n > 65535 {
			return nil, fmt.Errorf("invalid port %q", p)
		}
		for _, h := range hs {
			out = append(out, net.JoinHostPort(h, strconv.Itoa(n)))
		}
	}
	return out, nil
}
