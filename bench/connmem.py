#!/usr/bin/env python3
"""Resident memory per client connection of an mcroute binary, idle and
after a burst (engine/PERF.md, "Memory per idle connection").

    bench/connmem.py BINARY [BINARY...] [--rounds N] [--conns N]

Per round and binary (binaries alternate within a round), with a fresh
memcached and a fresh proxy (`--num-proxies 1`, one PoolRoute):

  warm-up  50 connections x 40 set+get pairs, then they close;
  idle     VmRSS before, then N connections each sent one get, then
           every reply read (as bench/compare does), 0.5 s idle, VmRSS
           after: (after - before) / N;
  idle one by one
           the same on another fresh proxy (after its warm-up), but each
           connection's reply is read before the next one opens: at most
           one request in flight, so the loop's free lists do not grow;
  burst    on the first proxy, after its idle connections closed: VmRSS
           before, then N connections each write a pipelined burst of 20
           sets (100 B values) and 20 gets at once, all replies read,
           1 s idle with the connections open, VmRSS after:
           (after - before) / N.

Prints one line per measurement and the median and range per binary.
Loopback only; ports are chosen at run time.
"""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc):
    for _ in range(500):
        if proc.poll() is not None:
            raise RuntimeError("process exited: %s" % proc.args)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.01)
    raise RuntimeError("port %d never opened" % port)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def read_until(s, want_ends, n):
    """Reads until the reply stream ends with n occurrences of lines in
    want_ends (counted over the whole stream)."""
    buf = b""
    seen = 0
    while seen < n:
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed")
        buf += chunk
        seen = sum(buf.count(e) for e in want_ends)
    return buf


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def warm_up(port):
    value = b"x" * 100
    for i in range(50):
        s = connect(port)
        req = b""
        for j in range(40):
            k = b"warm:%d:%d" % (i, j)
            req += b"set %s 0 0 %d\r\n%s\r\nget %s\r\n" % (k, len(value), value, k)
        s.sendall(req)
        read_until(s, [b"END\r\n"], 40)
        s.close()


def idle(port, pid, conns, one_by_one=False):
    before = rss_kib(pid)
    socks = []
    for _ in range(conns):
        s = connect(port)
        s.sendall(b"get mcroute-bench:idle\r\n")
        if one_by_one:
            read_until(s, [b"END\r\n"], 1)
        socks.append(s)
    if not one_by_one:
        for s in socks:
            read_until(s, [b"END\r\n"], 1)
    time.sleep(0.5)
    after = rss_kib(pid)
    for s in socks:
        s.close()
    return (after - before) / conns


def burst(port, pid, conns):
    before = rss_kib(pid)
    value = b"v" * 100
    socks = []
    for i in range(conns):
        socks.append(connect(port))
    for i, s in enumerate(socks):
        req = b""
        for j in range(20):
            req += b"set burst:%d:%d 0 0 %d\r\n%s\r\n" % (i, j, len(value), value)
        for j in range(20):
            req += b"get burst:%d:%d\r\n" % (i, j)
        s.sendall(req)
    for s in socks:
        read_until(s, [b"END\r\n"], 20)
    time.sleep(1.0)
    after = rss_kib(pid)
    for s in socks:
        s.close()
    return (after - before) / conns


def with_proxy(binary, f):
    """Runs f(port, pid) against a fresh memcached and a fresh proxy,
    after the warm-up."""
    mport, pport = free_port(), free_port()
    mc = subprocess.Popen(["memcached", "-u", "nobody", "-l", "127.0.0.1", "-p", str(mport), "-U", "0", "-t", "1", "-m", "256", "-c", "8192"])
    cfg = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    cfg.write('{"pools": {"A": {"servers": ["127.0.0.1:%d"]}}, "route": "PoolRoute|A"}' % mport)
    cfg.close()
    proxy = None
    try:
        wait_port(mport, mc)
        proxy = subprocess.Popen([binary, "-p", str(pport), "--num-proxies", "1", "--config", "file:" + cfg.name],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(pport, proxy)
        warm_up(pport)
        time.sleep(0.5)
        return f(pport, proxy.pid)
    finally:
        if proxy:
            proxy.kill()
            proxy.wait()
        mc.kill()
        mc.wait()
        os.unlink(cfg.name)


def one(binary, conns):
    def idle_then_burst(port, pid):
        i = idle(port, pid, conns)
        time.sleep(1.0)
        return i, burst(port, pid, conns)
    i, b = with_proxy(binary, idle_then_burst)
    i1 = with_proxy(binary, lambda port, pid: idle(port, pid, conns, one_by_one=True))
    return i, i1, b


def main():
    args = sys.argv[1:]
    rounds, conns = 3, 1000
    bins = []
    while args:
        a = args.pop(0)
        if a == "--rounds":
            rounds = int(args.pop(0))
        elif a == "--conns":
            conns = int(args.pop(0))
        else:
            bins.append(a)
    if not bins:
        sys.exit(__doc__)
    res = {b: ([], [], []) for b in bins}
    for r in range(rounds):
        for b in bins:
            i, i1, bu = one(b, conns)
            res[b][0].append(i)
            res[b][1].append(i1)
            res[b][2].append(bu)
            print("round %d %s: idle %.2f KiB/conn, idle one by one %.2f KiB/conn, after burst %.2f KiB/conn" % (r + 1, b, i, i1, bu), flush=True)
    for b in bins:
        for name, v in zip(("idle", "idle one by one", "burst"), res[b]):
            print("%s %s: median %.2f (%.2f-%.2f) KiB/conn, %d runs" % (b, name, statistics.median(v), min(v), max(v), len(v)))


if __name__ == "__main__":
    main()
