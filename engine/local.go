package engine

import (
	"bytes"
	"os"
	"strconv"
	"time"

	"mcroute/codec"
	"mcroute/codec/mc"
	"mcroute/router"
	"mcroute/tlsconn"
	"mcroute/upstream"
)

var (
	// replyVersion is "VERSION <version> mcroute": libmemcached-based
	// clients need a major version of at least 1.
	replyVersion = codec.AppendReplyLine(nil, codec.ReplyVersion, []byte(Version+" mcroute"))
)

// local answers requests that mcroute handles itself.
func (s *session) local(r *codec.Request) {
	switch r.Op {
	case mc.OpVersion:
		s.localReply(r.Op, false, replyVersion)
	case mc.OpVerbosity:
		// mcroute has no verbosity to change; answer like memcached.
		s.localReply(r.Op, r.Noreply, codec.OK)
	case mc.OpStats:
		// Rendered when its turn to reply comes (flush), so that it counts
		// every request pipelined before it.
		sl := s.localSlot(r.Op, false)
		sl.out = append(sl.out[:0], r.Args...)
		sl.stats = true
	case mc.OpFlushAll:
		if !s.ls.e.opts.EnableFlush {
			s.localReply(r.Op, r.Noreply, codec.CommandDisabled)
			return
		}
		s.flushAll(r)
	case mc.OpFlushRegex:
		s.localReply(r.Op, false, codec.CommandNotSupported)
	case mc.OpExec:
		s.localReply(r.Op, false, codec.ExecNotSupported)
	case mc.OpQuit:
		sl := s.localSlot(r.Op, false)
		sl.quit = true
		s.closing = true
	case mc.OpShutdown:
		if !s.ls.e.opts.EnableShutdown {
			s.localReply(r.Op, false, codec.CommandDisabled)
			return
		}
		sl := s.localSlot(r.Op, false)
		sl.quit = true
		s.closing = true
		if f := s.ls.e.opts.OnShutdownCommand; f != nil {
			go f()
		}
	default:
		s.localReply(mc.OpNone, false, []byte(codec.ErrMalformed.Reply))
	}
}

// localReply queues a reply mcroute answers itself (text is copied).
func (s *session) localReply(op mc.Op, noreply bool, text []byte) {
	sl := s.localSlot(op, noreply)
	sl.out = append(sl.out[:0], text...)
}

// flushAll sends flush_all through the config's broadcast handle (AllSync
// over every destination, as mcrouter does) and answers its worst reply.
func (s *session) flushAll(r *codec.Request) {
	ctx := s.ls.routerCtx()
	sl := s.push(r.Op, r.Noreply)
	sl.useOut = true
	if len(ctx.Cfg.Servers) == 0 {
		sl.out = append(sl.out[:0], codec.OK...)
		s.complete(sl)
		return
	}
	k := s.addKey(sl, r, nil)
	k.Key = nil
	sl.pending, sl.next = 1, 1
	sl.ctx = ctx
	k.est = minEst
	sl.estimate(k.est)
	s.inflight++
	ctx.Cfg.Broadcast.Route(ctx, &k.Request, k)
}

// appendStats renders `stats [args]`.
func (e *Engine) appendStats(dst []byte, args []byte) []byte {
	group := string(bytes.TrimSpace(args))
	switch group {
	case "", "all", "detailed", "ods", "count":
	case "version":
		return append(append(dst, "STAT mcrouter-version "+Version+" mcroute\r\n"...), codec.End...)
	case "cmd-error", "external":
		return append(dst, codec.End...)
	case "suspect_servers":
		return e.appendSuspectServers(dst)
	case "servers":
		return e.appendServerStats(dst)
	default:
		return append(dst, codec.BadStatsCommand...)
	}
	stat := func(name string, v string) {
		dst = append(dst, "STAT "...)
		dst = append(dst, name...)
		dst = append(dst, ' ')
		dst = append(dst, v...)
		dst = append(dst, codec.CRLF...)
	}
	num := func(name string, v int64) { stat(name, strconv.FormatInt(v, 10)) }
	now := time.Now()
	stat("version", Version+" mcroute")
	stat("commandargs", e.opts.CommandArgs)
	num("pid", int64(os.Getpid()))
	num("parent_pid", int64(os.Getppid()))
	num("time", now.Unix())
	num("uptime", int64(now.Sub(e.start).Seconds()))
	loops := *e.list.Load()
	cfg := e.router.Current()
	sNew, sUp, sDown, sClosed := serverStates(cfg.Servers)
	num("num_servers", sNew+sUp+sDown+sClosed)
	num("num_servers_new", sNew)
	num("num_servers_up", sUp)
	num("num_servers_down", sDown)
	num("num_servers_closed", sClosed)
	num("num_suspect_servers", suspectServers(cfg.Servers))
	num("config_age", int64(now.Sub(cfg.Built).Seconds()))
	num("config_last_attempt", e.router.LastAttempt.Load())
	num("config_last_success", e.router.LastSuccess.Load())
	num("config_failures", int64(e.router.Failures.Load()))
	num("config_reloads", int64(e.router.Reloads.Load()))
	num("num_proxies", int64(max(e.opts.NumLoops, len(loops))))
	var open, total, perr, badKeys, paused, closedBig, closedMid int64
	var cmds [mc.NumOps]uint64
	for _, ls := range loops {
		open += ls.stats.connsOpen.Load()
		total += int64(ls.stats.connsTotal.Load())
		perr += int64(ls.stats.parseErrors.Load())
		badKeys += int64(ls.stats.badKeys.Load())
		paused += int64(ls.stats.paused.Load())
		closedBig += int64(ls.stats.closedBig.Load())
		closedMid += int64(ls.stats.closedMidReply.Load())
		for i := range cmds {
			cmds[i] += ls.stats.cmd[i].Load()
		}
	}
	num("num_client_connections", open)
	num("num_client_connections_total", total)
	num("client_parse_errors", perr)
	num("client_bad_keys", badKeys)
	num("client_paused_for_backpressure", paused)
	num("client_closed_buffer_cap", closedBig)
	num("client_closed_error_mid_reply", closedMid)
	num("num_client_connections_refused", int64(e.acceptRefused.Load()))
	if e.opts.TLS != nil {
		e.opts.TLS.Stats().Each(num)
	}
	tlsconn.ToPlainClient().Each(num) // outbound tls_to_plain
	tlsconn.ClientKTLS().Each(num)    // outbound kTLS
	num("dev_null_requests", int64(router.DevNullRequests()))
	for op := mc.OpGet; int(op) < mc.NumOps; op++ {
		name := op.String()
		if name == "flush_all" {
			name = "flushall"
		}
		if name == "flush_regex" {
			name = "flushre"
		}
		num("cmd_"+name+"_count", int64(cmds[op]))
	}
	return append(dst, codec.End...)
}

// appendServerStats lists, from the process-wide upstream registry, the
// destinations the config in force uses, in mcrouter's `stats servers`
// format; each is named by the first of the config's Servers that uses it.
func (e *Engine) appendServerStats(dst []byte) []byte {
	seen := map[*upstream.Destination]bool{}
	for _, srv := range e.router.Current().Servers {
		if seen[srv.Dest] {
			continue
		}
		seen[srv.Dest] = true
		dst = append(dst, "STAT "...)
		dst = append(dst, srv.Key...)
		dst = append(dst, ' ')
		dst = srv.Dest.AppendStats(dst)
		dst = append(dst, codec.CRLF...)
	}
	return append(dst, codec.End...)
}

// appendSuspectServers renders `stats suspect_servers`: one line per
// server of the config in force whose tracker has consecutive failures
// or is TKO, `STAT host:port status:tko|down num_failures:N`.
func (e *Engine) appendSuspectServers(dst []byte) []byte {
	seen := map[*upstream.Tracker]bool{}
	for _, srv := range e.router.Current().Servers {
		t := srv.Dest.Tracker()
		if seen[t] {
			continue
		}
		seen[t] = true
		n, tko := t.ConsecutiveFailures(), t.IsTKO()
		if n == 0 && !tko {
			continue
		}
		status := " status:down num_failures:"
		if tko {
			status = " status:tko num_failures:"
		}
		dst = append(dst, "STAT "...)
		dst = append(dst, t.Addr()...)
		dst = append(dst, status...)
		dst = strconv.AppendInt(dst, n, 10)
		dst = append(dst, codec.CRLF...)
	}
	return append(dst, codec.End...)
}

// suspectServers counts the servers of the config in force that have
// failures or are TKO (num_suspect_servers).
func suspectServers(servers []*upstream.Server) (n int64) {
	seen := map[*upstream.Tracker]bool{}
	for _, s := range servers {
		t := s.Dest.Tracker()
		if !seen[t] && (t.IsTKO() || t.ConsecutiveFailures() > 0) {
			n++
		}
		seen[t] = true
	}
	return n
}

// serverStates sums the connection states of every destination the config
// uses (mcrouter's num_servers_new/up/down/closed count per-thread
// connections).
func serverStates(servers []*upstream.Server) (n, up, down, closed int64) {
	seen := map[*upstream.Destination]bool{}
	for _, s := range servers {
		if seen[s.Dest] {
			continue
		}
		seen[s.Dest] = true
		a, b, c, d := s.Dest.States()
		n, up, down, closed = n+a, up+b, down+c, closed+d
	}
	return
}
