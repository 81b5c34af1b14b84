package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"mcroute/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var code int
	if len(os.Args) > 1 && os.Args[1] == "compare" {
		code = runCompare(ctx, os.Args[2:], os.Stdout, os.Stderr)
	} else {
		code = runGenerator(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	os.Exit(code)
}

// generatorFlags are the load generator's command-line settings.
type generatorFlags struct {
	cfg           bench.Config
	jsonOut       string
	hideHistogram bool
	hideProgress  bool
}

// parseGenerator turns memtier-style arguments into a Config.
func parseGenerator(args []string, stderr io.Writer) (*generatorFlags, error) {
	g := &generatorFlags{cfg: bench.DefaultConfig()}
	c := &g.cfg
	fs := flag.NewFlagSet("mcroute-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		server, ratio, pattern, sizeRange, requests, protocol string
		port, dataSize, testTime                              int
	)
	str := func(p *string, short, long, def, usage string) {
		if short != "" {
			fs.StringVar(p, short, def, usage)
		}
		fs.StringVar(p, long, def, usage)
	}
	num := func(p *int, short, long string, def int, usage string) {
		if short != "" {
			fs.IntVar(p, short, def, usage)
		}
		fs.IntVar(p, long, def, usage)
	}
	str(&server, "s", "server", "127.0.0.1", "server `host` (several: comma-separated; connection i uses host i mod n)")
	num(&port, "p", "port", 11211, "server `port`")
	str(&protocol, "P", "protocol", "memcache_text", "protocol: only memcache_text")
	num(&c.Threads, "t", "threads", c.Threads, "number of threads (connection groups)")
	num(&c.Clients, "c", "clients", c.Clients, "connections per thread")
	str(&ratio, "", "ratio", "1:10", "SET:GET ratio")
	str(&pattern, "", "key-pattern", "R:R", "SET:GET key pattern: R uniform random, G gaussian, S sequential, P parallel")
	fs.Int64Var(&c.KeyMin, "key-minimum", c.KeyMin, "smallest key number")
	fs.Int64Var(&c.KeyMax, "key-maximum", c.KeyMax, "largest key number")
	str(&c.KeyPrefix, "", "key-prefix", c.KeyPrefix, "prefix of every key")
	fs.Float64Var(&c.KeyMedian, "key-median", 0, "gaussian pattern: median key (default: middle of the range)")
	fs.Float64Var(&c.KeyStddev, "key-stddev", 0, "gaussian pattern: standard deviation (default: range/6)")
	num(&dataSize, "d", "data-size", 32, "value size in `bytes`")
	str(&sizeRange, "", "data-size-range", "", "value sizes `min-max` in bytes (each key has its own size in the range)")
	num(&c.Pipeline, "", "pipeline", c.Pipeline, "requests outstanding per connection (closed loop)")
	num(&testTime, "", "test-time", 0, "run for this many `seconds` (instead of -n)")
	str(&requests, "n", "requests", "10000", "requests per client, or allkeys: one pass over the key range, split between clients")
	num(&c.MultiKeyGet, "", "multi-key-get", 1, "keys per get")
	fs.Float64Var(&c.Rate, "rate", 0, "open loop: total requests per `second`, latency measured from each request's intended send time")
	num(&c.MaxInflight, "", "max-inflight", c.MaxInflight, "open loop: most requests outstanding per connection")
	fs.BoolVar(&c.Verify, "verify", false, "check that every value read back is the value written")
	fs.DurationVar(&c.ReplyTimeout, "reply-timeout", c.ReplyTimeout, "a connection silent this long with requests outstanding fails them")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "random seed (connection i uses seed, i)")
	var useTLS bool
	var tlsCA string
	fs.BoolVar(&useTLS, "tls", false, "connect with TLS (verified against the system roots, or --tls-ca)")
	str(&tlsCA, "", "tls-ca", "", "TLS: the server certificate must chain to this PEM CA `file` (implies --tls)")
	str(&g.jsonOut, "", "json-out-file", "", "also write the result as JSON to this `file`")
	fs.BoolVar(&g.hideHistogram, "hide-histogram", false, "do not print the latency distribution")
	fs.BoolVar(&g.hideProgress, "hide-progress", false, "do not print the per-second progress line")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mcroute-bench [flags]          (load generator, memtier_benchmark flags)\n"+
			"       mcroute-bench compare [flags]  (side-by-side: memcached, twemproxy, mcroute; -h for its flags)\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if protocol != "memcache_text" {
		return nil, fmt.Errorf("protocol %q: only memcache_text is supported", protocol)
	}
	c.Servers = nil
	for _, h := range strings.Split(server, ",") {
		c.Servers = append(c.Servers, net.JoinHostPort(strings.TrimSpace(h), strconv.Itoa(port)))
	}
	var err error
	if useTLS || tlsCA != "" {
		if c.TLS, err = bench.TLSClientConfig(tlsCA, ""); err != nil {
			return nil, fmt.Errorf("tls-ca: %w", err)
		}
	}
	if c.Ratio, err = bench.ParseRatio(ratio); err != nil {
		return nil, err
	}
	if c.SetPattern, c.GetPattern, err = bench.ParseKeyPattern(pattern); err != nil {
		return nil, err
	}
	c.DataSizeMin, c.DataSizeMax = dataSize, dataSize
	if sizeRange != "" {
		a, b, ok := strings.Cut(sizeRange, "-")
		lo, err1 := strconv.Atoi(a)
		hi, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("data-size-range %q: want min-max, e.g. 32-1024", sizeRange)
		}
		c.DataSizeMin, c.DataSizeMax = lo, hi
	}
	if testTime > 0 {
		c.TestTime = time.Duration(testTime) * time.Second
		c.Requests = 0
	} else if requests == "allkeys" {
		span := c.KeyMax - c.KeyMin + 1
		conns := int64(c.Conns())
		c.Requests = (span + conns - 1) / conns
	} else if c.Requests, err = strconv.ParseInt(requests, 10, 64); err != nil {
		return nil, fmt.Errorf("requests %q: want a number or allkeys", requests)
	}
	return g, c.Validate()
}

func runGenerator(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g, err := parseGenerator(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "mcroute-bench:", err)
		return 2
	}
	c := &g.cfg
	if !g.hideProgress {
		c.Progress = stderr
	}
	mode := "closed loop"
	if c.Rate > 0 {
		mode = fmt.Sprintf("open loop at %.0f requests/s", c.Rate)
	}
	length := fmt.Sprintf("%d requests per client", c.Requests)
	if c.TestTime > 0 {
		length = c.TestTime.String()
	}
	fmt.Fprintf(stderr, "mcroute-bench: %s, %d threads × %d connections, %s, ratio %s, pipeline %d, %s\n",
		strings.Join(c.Servers, ","), c.Threads, c.Clients, mode, c.Ratio, c.Pipeline, length)
	r, err := bench.Run(ctx, *c)
	if r == nil {
		fmt.Fprintln(stderr, "mcroute-bench:", err)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "mcroute-bench: run ended early:", err)
	}
	r.WriteTable(stdout, g.hideHistogram)
	if g.jsonOut != "" {
		if werr := writeJSONFile(g.jsonOut, r); werr != nil {
			fmt.Fprintln(stderr, "mcroute-bench:", werr)
			return 1
		}
	}
	if err != nil || r.Problems() > 0 {
		return 1
	}
	return 0
}

func writeJSONFile(path string, r *bench.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := r.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
