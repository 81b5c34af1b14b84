package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"mcroute/upstream/asynclog"
	"mcroute/upstream/asynclog/replay"
)

// runReplay is `mcroute replay`: send the deletes spooled in an asynclog
// directory to their servers (README: "Reliable deletes (asynclog)").
// Exit status 0 when every record was applied (--once) or on a signal
// (--follow), 1 when records are left (deadline or signal), 3 for bad
// flags, 2 when the spool cannot be read or another replayer runs.
func runReplay(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mcroute replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o replay.Options
	var once, follow bool
	var deadline time.Duration
	for _, n := range []string{"a", "async-dir"} {
		fs.StringVar(&o.Dir, n, "/var/spool/mcrouter", "asynclog spool root (mcroute's or mcrouter's -a/--async-dir)")
	}
	fs.BoolVar(&once, "once", false, "drain the files there now, then exit (the default)")
	fs.BoolVar(&follow, "follow", false, "keep replaying new records until SIGINT/SIGTERM")
	fs.DurationVar(&o.Interval, "interval", time.Second, "--follow: how often to look for new records")
	fs.DurationVar(&o.Timeout, "timeout", time.Second, "connect and reply timeout per round trip to a server")
	fs.DurationVar(&o.MaxBackoff, "max-backoff", 10*time.Second, "longest wait between tries to a server that fails")
	fs.DurationVar(&deadline, "deadline", 0, "--once: give up after this long (records left stay spooled); 0: no limit")
	fs.DurationVar(&o.Report, "report", time.Minute, "--follow: how often to log the counts per server")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mcroute replay --async-dir DIR [--once|--follow] [options]\n\noptions:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitBadConfig
	}
	if once && follow {
		fmt.Fprintln(stderr, "mcroute replay: --once and --follow exclude each other")
		return exitBadConfig
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mcroute replay: unexpected argument %q\n", fs.Arg(0))
		return exitBadConfig
	}
	o.Follow = follow
	logger := log.New(stderr, "mcroute: ", log.LstdFlags)
	o.Logf = logger.Printf
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	if deadline > 0 && !follow {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, deadline)
		defer c2()
	}
	sum, err := replay.Run(ctx, o)
	fmt.Fprintf(stdout, "%s\n", sum)
	switch {
	case err != nil && sum.Pending() > 0:
		logger.Printf("replay: %v: %d records left in %s", err, sum.Pending(), o.Dir)
		return 1
	case err != nil:
		logger.Printf("replay: %v", err)
		return exitTransient
	}
	return 0
}

// newSpool returns the asynclog writer for mcroute's flags (its goroutine
// touches no file until a delete fails).
func newSpool(o *options, routerName string, logger *log.Logger) *asynclog.Spool {
	flavor := o.flavorName
	if flavor == "" {
		flavor = routerName
	}
	region, _, _ := strings.Cut(strings.TrimPrefix(o.routePrefix, "/"), "/")
	return asynclog.New(asynclog.Options{
		Dir: o.asyncDir,
		Format: asynclog.Format{
			V2: o.asynclogV2, Service: o.serviceName, Flavor: flavor, Region: region,
		},
		Router: routerName,
		Logf:   logger.Printf,
	})
}
