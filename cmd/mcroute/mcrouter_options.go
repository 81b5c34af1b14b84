package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// mcrouter's command line: every option of mcrouter's
// mcrouter_options_list.h and standalone_options_list.h (and the few that
// StandaloneUtils.cpp adds) is accepted, so that an mcrouter command line
// starts mcroute. mcrouterOptions says, option by option, whether mcroute
// implements it, accepts it without effect (and why), or plans it; the
// README's option table is rendered from it (TestREADMEOptionTable).
//
// Real flags win: acceptMcrouterOptions runs after every flag of mcroute is
// defined, and registers a placeholder (accepted, no effect, one start-up
// warning) only for a name that is not defined yet. A branch that defines
// one of these names as a real flag needs no change here.

type optStatus uint8

const (
	implemented optStatus = iota
	ignored               // accepted without effect
	planned               // accepted without effect for now
)

func (s optStatus) String() string {
	return [...]string{"implemented", "accepted without effect", "planned"}[s]
}

type optKind uint8

const (
	value   optKind = iota // --name=value, --name value
	toggle                 // --name, --name=1|0|true|false
	builtin                // handled by the flag package (-h, --help)
)

// mcrOption is one mcrouter option.
type mcrOption struct {
	name   string // long name; "" for a short-only option
	short  string // one-letter form, "" if none
	kind   optKind
	dflt   string // mcrouter's default
	status optStatus
	note   string // why it has no effect, which issue plans it, how mcroute differs
}

// mcrouterOptions are mcrouter's options (at the commit the behaviour spec
// names), in the headers' order, then those StandaloneUtils.cpp adds.
var mcrouterOptions = []mcrOption{
	{"log-path", "L", value, "", implemented, ""},
	{"carbon-router-name", "", value, "Memcache", ignored, "Carbon (fbthrift) routers are not built: mcroute speaks the memcached protocol"},
	{"listen-addresses", "", value, "", implemented, ""},
	{"port", "p", value, "", implemented, ""},
	{"ssl-port", "", value, "", implemented, "TLS issue"},
	{"tls-ticket-key-seed-path", "", value, "", implemented, "same JSON seed file; keys are mcroute's own (HKDF-SHA256), so sessions resume across mcroutes, not with mcrouters; without it tickets use a random key replaced daily (mcrouter: no tickets)"},
	{"ssl-require-peer-certs", "", toggle, "false", implemented, "TLS issue"},
	{"server-pem-cert-path", "", value, "", implemented, "TLS issue"},
	{"server-pem-key-path", "", value, "", implemented, "TLS issue"},
	{"server-pem-ca-path", "", value, "", implemented, "TLS issue"},
	{"ssl-use-ktls12", "", toggle, "false", ignored, "kTLS after a TLS 1.2 handshake is not done; TLS 1.3 AES-GCM client connections go to the kernel's TLS whenever it offers it (mcroute's --ssl-no-ktls turns that off)"},
	{"listen-sock-fd", "", value, "-1", planned, "socket hand-over; restart with --reuse-port instead (README: Stopping and restarting)"},
	{"unix-domain-sock", "", value, "", planned, "UNIX socket listener"},
	{"max-conns", "", value, "0", planned, "client connection eviction"},
	{"tcp-listen-backlog", "", value, "SOMAXCONN", ignored, "the listen backlog is the kernel somaxconn, as mcrouter defaults to"},
	{"max-client-outstanding-reqs", "", value, "34133", implemented, ""},
	{"retain-source-ip", "", toggle, "false", implemented, "gives OriginalClientHashRoute the client's IP"},
	{"enable-server-compression", "", toggle, "false", ignored, "compression is a Caret protocol feature"},
	{"client-timeout", "", value, "1000", planned, "client write timeout; mcroute bounds slow clients by memory (README: Memory bounds)"},
	{"server-load-interval-ms", "", value, "0", ignored, "server load is reported over Caret/Thrift only"},
	{"tfo-queue-size", "", value, "100000", ignored, "TCP Fast Open is not used"},
	{"enable-pass-through-mode", "", toggle, "false", ignored, "Caret pass-through"},
	{"tcp-zero-copy-threshold", "", value, "0", ignored, "zero-copy sends are not used"},
	{"acl-checker-enable", "", toggle, "false", ignored, "Facebook-internal ACL checker"},
	{"acl-checker-enforce", "", toggle, "false", ignored, "Facebook-internal ACL checker"},
	{"prefix-acl-checker-enable", "", toggle, "false", ignored, "Facebook-internal ACL checker"},
	{"server-ssl-service-identity", "", value, "memcache", ignored, "service identity authorization hooks are Facebook-internal"},
	{"num-listening-sockets", "", value, "1", ignored, "gnet opens one listening socket per address"},
	{"remote-thread", "", toggle, "false", ignored, "Thrift server thread"},
	{"enable-qos", "", toggle, "false", planned, "DSCP marking of sockets"},
	{"default-qos-class", "", value, "0", planned, "DSCP marking of sockets"},
	{"default-qos-path", "", value, "0", planned, "DSCP marking of sockets"},
	{"use-thrift", "", toggle, "false", ignored, "Thrift server"},
	{"thrift-port", "", value, "0", ignored, "Thrift server"},
	{"thrift-listen-sock-fd", "", value, "-1", ignored, "Thrift server"},
	{"core-multiplier", "", value, "0.0", implemented, ""},
	{"core-multiplier-threshold", "", value, "0", implemented, ""},
	{"key-client-binding-enable", "", toggle, "false", ignored, "Facebook-internal"},
	{"key-client-binding-nonlookaside-enable", "", toggle, "false", ignored, "Facebook-internal"},
	{"key-client-binding-nonlookaside-verifier", "", value, "ucache", ignored, "Facebook-internal"},
	{"asynclog-disable", "", toggle, "false", implemented, ""},
	{"async-dir", "a", value, "/var/spool/mcrouter", implemented, ""},
	{"use-asynclog-version2", "", toggle, "false", implemented, ""},
	{"num-proxies", "", value, "1", implemented, "default: the physical cores mcroute may use, not 1"},
	{"use-mux-io-thread-pool", "", toggle, "false", ignored, "folly IO thread pool; mcroute has one event loop per proxy"},
	{"big-value-split-threshold", "", value, "0", implemented, ""},
	{"big-value-batch-size", "", value, "10", implemented, ""},
	{"big-value-hide-reply-flag", "", toggle, "false", implemented, ""},
	{"fibers-max-pool-size", "", value, "1000", ignored, "no fibers: routes are callbacks on the event loop"},
	{"fibers-stack-size", "", value, "24576", ignored, "no fibers"},
	{"fibers-record-stack-size-every", "", value, "100000", ignored, "no fibers"},
	{"disable-fibers-use-guard-pages", "", toggle, "true", ignored, "no fibers"},
	{"runtime-vars-file", "", value, "", implemented, ""},
	{"file-observer-poll-period-ms", "", value, "100", implemented, "default 1000 (mcrouter: 100, beside its inotify); where inotify watches the files mcroute polls only as a backstop, every 60 × it (at least 1 min)"},
	{"file-observer-sleep-before-update-ms", "", value, "1000", ignored, "covered by --reconfiguration-delay-ms"},
	{"fibers-pool-resize-period-ms", "", value, "60000", ignored, "no fibers"},
	{"keepalive-count", "K", value, "0", planned, "TCP keepalive to servers"},
	{"keepalive-interval", "i", value, "60", planned, "TCP keepalive to servers"},
	{"keepalive-idle", "I", value, "300", planned, "TCP keepalive to servers"},
	{"max-no-flush-event-loops", "", value, "5", ignored, "mcroute writes once per event loop wake-up"},
	{"reset-inactive-connection-interval", "", value, "60000", planned, "closing idle server connections"},
	{"tcp-rto-min", "", value, "-1", planned, "per-route TCP RTO"},
	{"target-max-inflight-requests", "", value, "0", implemented, "default 65536 (mcrouter: 0, no cap); past it SERVER_ERROR busy, no second queue"},
	{"target-max-pending-requests", "", value, "100000", ignored, "no second queue: see --target-max-inflight-requests"},
	{"target-max-shadow-requests", "", value, "1000", implemented, ""},
	{"proxy-max-inflight-requests", "", value, "0", planned, "per-proxy admission control"},
	{"proxy-max-inflight-shadow-requests", "", value, "0", planned, "per-proxy admission control"},
	{"proxy-max-throttled-requests", "", value, "0", planned, "per-proxy admission control"},
	{"pem-cert-path", "", value, "", implemented, "TLS issue"},
	{"pem-key-path", "", value, "", implemented, "TLS issue"},
	{"pem-ca-path", "", value, "", implemented, "TLS issue"},
	{"ssl-service-identity", "", value, "", ignored, "service identity authorization hooks are Facebook-internal"},
	{"additional-ssl-service-identities", "", value, "", ignored, "service identity authorization hooks are Facebook-internal"},
	{"ssl-service-identity-authorization-log", "", toggle, "false", ignored, "Facebook-internal authorization hook"},
	{"ssl-service-identity-authorization-enforce", "", toggle, "false", ignored, "Facebook-internal authorization hook"},
	{"ssl-connection-cache", "", toggle, "false", ignored, "mcroute always resumes TLS sessions to servers (a session cache per server)"},
	{"ssl-handshake-offload", "", toggle, "false", ignored, "mcroute always runs TLS handshakes off the event loops"},
	{"ssl-verify-peers", "", toggle, "false", implemented, "TLS issue"},
	{"enable-compression", "", toggle, "false", ignored, "compression is a Caret protocol feature"},
	{"constantly-reload-configs", "", toggle, "false", ignored, "mcrouter test-only switch"},
	{"disable-reload-configs", "", toggle, "false", implemented, ""},
	{"config", "", value, "", implemented, ""},
	{"config-dump-root", "", value, "/var/mcrouter/config", planned, "last-good config backups"},
	{"max-dumped-config-age", "", value, "43200", planned, "last-good config backups"},
	{"config-file", "f", value, "", implemented, ""},
	{"pool-stats-config-file", "", value, "", planned, "stats files"},
	{"config-str", "", value, "", implemented, ""},
	{"route-prefix", "R", value, "/././", implemented, ""},
	{"group-remote-errors", "", toggle, "false", planned, "error reply grouping"},
	{"send-invalid-route-to-default", "", toggle, "false", implemented, ""},
	{"enable-flush-cmd", "", toggle, "false", implemented, ""},
	{"disable-request-deadline-check", "", toggle, "false", ignored, "ASCII requests carry no deadline"},
	{"reconfiguration-delay-ms", "", value, "1000", implemented, ""},
	{"reconfiguration-jitter-ms", "", value, "0", planned, "reload jitter"},
	{"post-reconfiguration-delay-ms", "", value, "0", planned, "reload pacing"},
	{"config-params", "", value, "{}", implemented, ""},
	{"disable-tko-tracking", "", toggle, "false", implemented, "TKO issue"},
	{"probe-timeout-initial", "r", value, "10000", implemented, "TKO issue"},
	{"probe-timeout-max", "", value, "60000", implemented, "TKO issue"},
	{"timeouts-until-tko", "", value, "3", implemented, "TKO issue"},
	{"allow-only-gets", "", toggle, "false", implemented, ""},
	{"server-timeout", "t", value, "1000", implemented, ""},
	{"cross-region-timeout-ms", "", value, "0", implemented, ""},
	{"cross-cluster-timeout-ms", "", value, "0", implemented, ""},
	{"within-cluster-timeout-ms", "", value, "0", implemented, ""},
	{"waiting-request-timeout-ms", "", value, "0", planned, "per-proxy admission control"},
	{"connect-timeout-retries", "", value, "0", planned, "connect retries"},
	{"jemalloc-nodump-buffers", "", toggle, "false", ignored, "no jemalloc: Go has its own allocator"},
	{"stats-root", "", value, "/var/mcrouter/stats", planned, "stats files"},
	{"debug-fifo-root", "", value, "/var/mcrouter/fifos", ignored, "mcpiper debug fifos are not built"},
	{"stats-logging-interval", "", value, "10000", planned, "stats files"},
	{"logging-rtt-outlier-threshold-us", "", value, "0", ignored, "Facebook-internal logging"},
	{"stats-async-queue-length", "", value, "50", ignored, "stats files are written synchronously"},
	{"disable-failure-logging", "", toggle, "true", ignored, "failures are logged as they happen"},
	{"test-mode", "", toggle, "false", ignored, "mcrouter test-only switch"},
	{"enable-logging-route", "", toggle, "false", implemented, "one log line per request, at most 100 a second"},
	{"collect-rxmit-stats-every-hz", "", value, "0", ignored, "retransmit stats are not collected"},
	{"rxmit-latency-deviation-us", "", value, "0", ignored, "retransmit stats are not collected"},
	{"min-rxmit-reconnect-threshold", "", value, "0", ignored, "retransmit stats are not collected"},
	{"max-rxmit-reconnect-threshold", "", value, "0", ignored, "retransmit stats are not collected"},
	{"disable-send-to-main-shard-split", "", toggle, "true", ignored, "deprecated in mcrouter"},
	{"max-shadow-token-map-size", "", value, "1024", ignored, "no shadow tokens: shadow requests are copies"},
	{"enable-ssl-tfo", "", toggle, "false", ignored, "TCP Fast Open is not used"},
	{"force-same-thread", "", toggle, "false", ignored, "a request always stays on its event loop"},
	{"thread-affinity", "", toggle, "false", implemented, ""},
	{"disable-shard-split-route", "", toggle, "false", implemented, ""},
	{"enable-service-router", "", toggle, "false", ignored, "Facebook-internal service router"},
	{"thrift-compression-threshold", "", value, "0", ignored, "Thrift transport"},
	{"xdp-tx-truncate-bytes", "", value, "3072", ignored, "XDP transport"},
	{"enable-axonlog", "", toggle, "false", ignored, "Facebook-internal logging"},
	{"external-carbon-connection-logging-enabled", "", toggle, "false", ignored, "Carbon connections"},
	{"external-carbon-connection-log-rate-per-hour", "", value, "3600", ignored, "Carbon connections"},
	{"external-carbon-connection-log-max-burst", "", value, "500", ignored, "Carbon connections"},
	{"external-carbon-connection-log-sample-rate", "", value, "10000", ignored, "Carbon connections"},
	{"proxy-cpu-interval-s", "", value, "0", ignored, "proxy CPU stats are not collected"},
	{"delete-carbon-instance-upon-init-failure", "", toggle, "true", ignored, "Carbon instances"},
	{"dump_preprocessed_config_enabled", "", toggle, "false", ignored, "Facebook-internal config history"},
	{"max_preprocessed_config_history", "", value, "0", ignored, "Facebook-internal config history"},
	// StandaloneUtils.cpp's own.
	{"verbosity", "v", value, "0", ignored, "mcroute's log has no verbosity levels"},
	{"help", "h", builtin, "", implemented, ""},
	{"version", "V", toggle, "", implemented, ""},
	{"validate-config", "", toggle, "", implemented, "`--validate-config[=exit|run]`"},
	{"proxy-threads", "", value, "", implemented, "`N` or `auto`: --num-proxies"},
	{"service-name", "", value, "mcrouter", implemented, ""},
	{"additional-config-params", "", value, "", implemented, "merged over --config-params"},
	{"gets", "", toggle, "", ignored, "deprecated in mcrouter"},
	{"skip-sanity-checks", "", toggle, "", ignored, "deprecated in mcrouter"},
	{"retry-timeout", "", value, "", implemented, "TKO issue; deprecated alias of --probe-timeout-initial"},
	{"", "d", toggle, "", ignored, "deprecated in mcrouter (daemonize)"},
	{"", "D", value, "", ignored, "deprecated in mcrouter"},
}

// placeholder is the flag.Value of an option accepted without effect.
type placeholder struct {
	opt *mcrOption
	val string
}

// String is the value given, else mcrouter's default (what
// __mcrouter__.options shows).
func (p *placeholder) String() string {
	if p == nil || p.opt == nil { // flag.PrintDefaults' zero value

		return ""
	}
	if p.val == "" && p.opt.kind == toggle {
		return p.opt.dflt
	}
	return p.val
}

func (p *placeholder) Set(s string) error {
	if p.opt.kind == toggle {
		if _, err := parseToggle(s); err != nil {
			return err
		}
	}
	p.val = s
	return nil
}

func (p *placeholder) IsBoolFlag() bool { return p.opt.kind == toggle }

// parseToggle parses a toggle's value as mcrouter (folly::to<bool>) does.
func parseToggle(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "t", "yes", "y", "on":
		return true, nil
	case "0", "false", "f", "no", "n", "off":
		return false, nil
	}
	return false, fmt.Errorf("want 1, 0, true or false, not %q", s)
}

// mcrouterExtras are the options of mcrouter's command line that mcroute
// implements in this file rather than in newFlagSet.
type mcrouterExtras struct {
	logPath          string
	proxyThreads     string
	additionalParams string
	coreMultiplier   float64
	coreThreshold    int
	retryTimeout     bool // --retry-timeout given (deprecated)
	reusePort        bool // mcroute's own: --reuse-port
}

// acceptMcrouterOptions defines the options of mcrouterOptions that fs
// does not define yet: the ones this file implements, then placeholders.
// A short form is an alias of its long option's flag, real or not. Call
// it after every other flag is defined, before Parse.
func acceptMcrouterOptions(fs *flag.FlagSet) *mcrouterExtras {
	x := &mcrouterExtras{}
	define := func(name string, f func()) {
		if name != "" && fs.Lookup(name) == nil {
			f()
		}
	}
	define("reuse-port", func() {
		fs.BoolVar(&x.reusePort, "reuse-port", false,
			"listen with SO_REUSEPORT, one socket per event loop: a new mcroute can take over the port before this one stops")
	})
	define("log-path", func() { fs.StringVar(&x.logPath, "log-path", "", "append the log (stderr) to this file") })
	define("proxy-threads", func() {
		fs.StringVar(&x.proxyThreads, "proxy-threads", "", "event loops, N or auto (as --num-proxies)")
	})
	define("additional-config-params", func() {
		fs.StringVar(&x.additionalParams, "additional-config-params", "", "NAME:VALUE,... merged over --config-params")
	})
	define("core-multiplier", func() {
		fs.Float64Var(&x.coreMultiplier, "core-multiplier", 0, "when > 0, event loops = CPUs × this")
	})
	define("core-multiplier-threshold", func() {
		fs.IntVar(&x.coreThreshold, "core-multiplier-threshold", 0, "apply --core-multiplier only with at least this many CPUs")
	})
	define("retry-timeout", func() {
		if f := fs.Lookup("probe-timeout-initial"); f != nil {
			fs.Func("retry-timeout", "deprecated: --probe-timeout-initial", func(s string) error {
				x.retryTimeout = true
				return f.Value.Set(s)
			})
		}
	})
	for i := range mcrouterOptions {
		o := &mcrouterOptions[i]
		if o.kind == builtin {
			continue
		}
		usage := "mcrouter option, " + o.status.String()
		if o.note != "" {
			usage += ": " + o.note
		}
		define(o.name, func() { fs.Var(&placeholder{opt: o}, o.name, usage) })
		if o.short == "" || fs.Lookup(o.short) != nil {
			continue
		}
		if f := fs.Lookup(o.name); f != nil {
			fs.Var(f.Value, o.short, "same as --"+o.name)
		} else {
			fs.Var(&placeholder{opt: o}, o.short, usage)
		}
	}
	return x
}

// splitShortArgs turns mcrouter's attached short forms (-p5000, -a/spool)
// into two arguments (-p 5000) for the flag package, for the one-letter
// options that take a value.
func splitShortArgs(fs *flag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' && a[2] != '=' && fs.Lookup(a[1:]) == nil {
			if f := fs.Lookup(a[1:2]); f != nil {
				if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
					out = append(out, a[:2], a[2:])
					continue
				}
			}
		}
		out = append(out, a)
	}
	return out
}

// apply finishes the options this file implements; it reports options
// accepted without effect in one warning. It returns an error for a bad
// value.
func (x *mcrouterExtras) apply(fs *flag.FlagSet, numProxies *int, logger *log.Logger) error {
	var unused []string
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		given[f.Name] = true
		p, ok := f.Value.(*placeholder)
		if !ok {
			return
		}
		name := "--" + p.opt.name
		if p.opt.name == "" {
			name = "-" + p.opt.short
		}
		switch p.opt.status {
		case planned:
			name += " (planned)"
		case implemented:
			name += " (not in this build)"
		}
		unused = append(unused, name)
	})
	if len(unused) > 0 {
		sort.Strings(unused)
		unused = compactStrings(unused)
		logger.Printf("warning: ignoring options mcroute does not use: %s (README \"mcrouter's options\")", strings.Join(unused, ", "))
	}
	if x.retryTimeout {
		logger.Printf("warning: --retry-timeout is deprecated, use --probe-timeout-initial")
	}
	if x.proxyThreads != "" {
		if x.proxyThreads == "auto" {
			*numProxies = runtime.NumCPU()
		} else {
			n, err := strconv.Atoi(x.proxyThreads)
			if err != nil {
				return fmt.Errorf("--proxy-threads: want a number or auto, not %q", x.proxyThreads)
			}
			*numProxies = n
		}
	}
	if x.coreMultiplier > 0 {
		if c := runtime.NumCPU(); x.coreThreshold == 0 || c >= x.coreThreshold {
			*numProxies = int(float64(c) * x.coreMultiplier)
		}
	}
	return nil
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// mergeParams merges --additional-config-params over params (empty pairs
// skipped, later keys win, as mcrouter).
func (x *mcrouterExtras) mergeParams(params map[string]string) error {
	if x.additionalParams == "" {
		return nil
	}
	for _, kv := range strings.Split(x.additionalParams, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, ":")
		if !ok || k == "" {
			return fmt.Errorf("--additional-config-params: bad NAME:VALUE pair %q", kv)
		}
		params[k] = v
	}
	return nil
}

// logOutput is where the log goes: stderr, or with --log-path the file
// (appended to), as mcrouter redirects its stderr there.
func (x *mcrouterExtras) logOutput(stderr io.Writer) (io.Writer, error) {
	if x.logPath == "" {
		return stderr, nil
	}
	f, err := os.OpenFile(x.logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("--log-path: %w", err)
	}
	return f, nil
}
