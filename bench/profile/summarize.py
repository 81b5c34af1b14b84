#!/usr/bin/env python3
"""Tables for engine/PERF.md from the output of bench/profile/rounds.sh.

    summarize.py OUTDIR

From OUTDIR/stat.tsv (run.sh stat): per proxy and workload, median (min–max)
over rounds of proxy CPU µs per request (perf task-clock / requests the
backend counted), the user/kernel split (utime/stime), syscalls and
context switches per request, memtier's p99. From OUTDIR/*.data (run.sh
record): the share of each cost family (classify.py), pooled over rounds,
times the median CPU per request: ns per request by family.
"""
import collections
import os
import statistics
import subprocess
import sys

out = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
COLS = ["proxy", "wl", "tag", "reqs", "utime", "stime", "taskclock", "ctx", "sys",
        "read", "write", "epoll_pwait", "epoll_wait", "nanosleep", "futex", "readv", "writev",
        "recvfrom", "sendmsg", "sendto", "p99", "rundelay"]


def med(xs):
    xs = sorted(xs)
    return statistics.median(xs), xs[0], xs[-1]


def fmt(t, f="%.2f"):
    return (f + " (" + f + "–" + f + ")") % t


rows = collections.defaultdict(list)
for line in open(os.path.join(out, "stat.tsv")):
    v = line.rstrip("\n").split("\t")
    d = dict(zip(COLS, v))
    for k in COLS[3:]:
        try:
            d[k] = float(d.get(k, "")) if d.get(k, "") not in ("", "<not counted>") else 0.0
        except ValueError:
            d[k] = 0.0
    if d["reqs"] <= 0:
        continue
    rows[(d["proxy"], d["wl"])].append(d)

usreq = {}
print("| workload | proxy | runs | CPU µs/req | user % | syscalls/req | ctx sw/req | read+recv/req | write+send/req | epoll/req | nanosleep/req | futex/req | run delay µs/req | p99 ms |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for (p, wl), rs in sorted(rows.items(), key=lambda x: (x[0][1], x[0][0])):
    us = [r["taskclock"] * 1000 / r["reqs"] for r in rs]
    usreq[(p, wl)] = statistics.median(us)
    user = [100 * r["utime"] / max(1, r["utime"] + r["stime"]) for r in rs]
    per = lambda *ks: [sum(r[k] for k in ks) / r["reqs"] for r in rs]
    print("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        wl, p, len(rs), fmt(med(us), "%.1f"), fmt(med(user), "%.0f"), fmt(med(per("sys"))),
        fmt(med(per("ctx"))), fmt(med(per("read", "readv", "recvfrom"))),
        fmt(med(per("write", "writev", "sendmsg", "sendto"))), fmt(med(per("epoll_pwait", "epoll_wait"))),
        fmt(med(per("nanosleep")), "%.3f"), fmt(med(per("futex")), "%.3f"),
        fmt(med([r["rundelay"] / 1000 / r["reqs"] for r in rs]), "%.1f") if all(r["rundelay"] for r in rs) else "–",
        fmt(med([r["p99"] for r in rs]), "%.3f")))

# Paired within each round (the runs of a round are adjacent in time, so
# they share the machine's load): ops per proxy CPU-second of mcroute over
# each other proxy's = their CPU per request over mcroute's.
print()
print("| workload | mcroute / … (ops per proxy CPU-s, paired by round) | ratio |")
print("|---|---|---:|")
for (p, wl), rs in sorted(rows.items(), key=lambda x: (x[0][1], x[0][0])):
    if p == "mcroute" or (("mcroute", wl) not in rows):
        continue
    base = {r["tag"]: r["taskclock"] / r["reqs"] for r in rows[("mcroute", wl)]}
    rat = [(r["taskclock"] / r["reqs"]) / base[r["tag"]] for r in rs if r["tag"] in base]
    if rat:
        print("| %s | %s | %s |" % (wl, p, fmt(med(rat))))

# Families from the profiles.
fams = collections.defaultdict(collections.Counter)
nsamp = collections.Counter()
for f in sorted(os.listdir(out)):
    if not f.endswith(".data"):
        continue
    p, wl, _ = f.rsplit("-", 2)
    cache = os.path.join(out, f + ".fam")
    if not os.path.exists(cache):
        script = subprocess.run(["perf", "script", "-F", "comm,tid,ip,sym,dso", "-i", os.path.join(out, f)],
                                capture_output=True, text=True).stdout
        res = subprocess.run([sys.executable, os.path.join(here, "classify.py"), "--counts"],
                             input=script, capture_output=True, text=True).stdout
        open(cache, "w").write(res)
    for line in open(cache):
        name, k = line.rsplit(None, 1)
        fams[(p, wl)][name.strip()] += int(k)
        nsamp[(p, wl)] += int(k)

GROUPS = [  # (row of the grouped table, families in it)
    ("kernel: TCP send, loopback delivery to the peer, waking it", ("k: TCP send", "k: wake-ups (in send)")),
    ("kernel: TCP receive", ("k: TCP receive", "k: wake-ups (in recv)")),
    ("kernel: epoll_wait (work + switching out and back in)", ("k: epoll", "k: context switch (blocking: epoll)", "k: wake-ups (in epoll)")),
    ("kernel: preempted on the way back from a syscall", ("k: context switch (preempted on syscall return)",)),
    ("kernel: runtime threads (futex, nanosleep, their switches)", ("k: futex", "k: nanosleep", "k: wake-ups (in futex)",
                                                               "k: context switch (blocking: futex)", "k: context switch (blocking: sleep)")),
    ("kernel: syscall entry/exit", ("k: syscall entry/exit",)),
    ("kernel: other (irqs, faults, other syscalls)", ("k: interrupts", "k: page faults", "k: other syscalls",
                                                     "k: context switch (preempted, irq", "k: context switch (blocking: other")),
    ("user: Go runtime: syscall enter/exit", ("u: Go syscall enter/exit",)),
    ("user: Go runtime: scheduler, sysmon, GC, other", ("u: Go scheduler", "u: Go sysmon", "u: Go GC", "u: Go runtime other", "u: other Go")),
    ("user: gnet", ("u: gnet",)),
    ("user: mcroute (engine, upstream, codec, router)", ("u: mcroute",)),
    ("user: C proxy or server (binary, Lua, libevent, libc, vdso)", ("u: memcached", "u: nutcracker", "u: libc", "u: libevent", "u: [vdso]")),
]


def group_of(name):
    for g, prefixes in GROUPS:
        if name.startswith(prefixes):
            return g
    return "unclassified"


for wl in sorted({k[1] for k in fams}):
    keys = [k for k in sorted(fams) if k[1] == wl]
    print()
    print("Workload %s, grouped: ns per request (share of samples)" % wl)
    print()
    print("| | " + " | ".join(k[0] for k in keys) + " |")
    print("|---|" + "---:|" * len(keys))
    print("| CPU µs per request (perf stat, median) | " + " | ".join("%.1f" % usreq.get(k, 0) for k in keys) + " |")
    gsum = {k: collections.Counter() for k in keys}
    for k in keys:
        for n, c in fams[k].items():
            gsum[k][group_of(n)] += c
    for g in [g for g, _ in GROUPS] + ["unclassified"]:
        if not any(gsum[k][g] for k in keys):
            continue
        print("| %s | %s |" % (g, " | ".join(
            "%.0f (%.0f %%)" % (gsum[k][g] / nsamp[k] * usreq.get(k, 0) * 1000, 100 * gsum[k][g] / nsamp[k])
            if gsum[k][g] else "–" for k in keys)))

for wl in sorted({k[1] for k in fams}):
    keys = [k for k in sorted(fams) if k[1] == wl]
    names = sorted({n for k in keys for n in fams[k]}, key=lambda n: (n[0], n))
    print()
    print("Workload %s: ns per request by family (share of samples × median CPU µs/req)" % wl)
    print()
    print("| family | " + " | ".join(k[0] for k in keys) + " |")
    print("|---|" + "---:|" * len(keys))
    tot = collections.Counter()
    for n in names:
        cells = []
        for k in keys:
            share = fams[k][n] / nsamp[k]
            ns = share * usreq.get(k, 0) * 1000
            tot[(k, n[0])] += ns
            cells.append("%.0f (%.1f %%)" % (ns, 100 * share) if fams[k][n] else "–")
        print("| %s | %s |" % (n, " | ".join(cells)))
    for side in "ku":
        print("| **%s total** | %s |" % ({"k": "kernel", "u": "user"}[side],
              " | ".join("**%.0f**" % tot[(k, side)] for k in keys)))
    print("| samples | %s |" % " | ".join(str(nsamp[k]) for k in keys))
