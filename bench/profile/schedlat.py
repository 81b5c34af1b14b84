#!/usr/bin/env python3
"""bench/profile/schedlat.py: wake-up to run delay and run time per wake-up
of one process's threads, from `perf sched record -a` (engine/PERF.md,
"p99 on A").

    python3 bench/profile/schedlat.py FILE.sched PID|NAME [REQUESTS]

Reads `perf sched timehist -i FILE` (one line per time a thread got a CPU:
wait time asleep, sch delay = wake-up to run, run time of the slice) and
prints, per thread of PID (or of the processes whose thread names start
with NAME, e.g. memcached-prox, mcroute) with at least 10 slices: slices, the sch delay's
mean, p50, p99, p99.9 and max (µs), the share of slices that waited more
than 50 and 200 µs, and the run time's mean and p99. With REQUESTS (the
requests the window served), slices per request too. Time a thread was
preempted while runnable shows as a slice whose sch delay is that wait.
"""
import re
import subprocess
import sys


def pct(xs, q):
    if not xs:
        return 0.0
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main():
    f, pid = sys.argv[1], sys.argv[2]
    reqs = float(sys.argv[3]) if len(sys.argv) > 3 else 0
    out = subprocess.run(["perf", "sched", "timehist", "-i", f], capture_output=True, text=True).stdout
    pat = re.compile(r"^\s*([\d.]+)\s+\[(\d+)\]\s+(.*?)\[(\d+)/(\d+)\]\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)")
    th = {}
    t0 = t1 = None
    for line in out.splitlines():
        m = pat.match(line)
        if not m:
            continue
        t = float(m.group(1))
        t0 = t if t0 is None else t0
        t1 = t
        comm = m.group(3).strip()
        if m.group(5) != pid and not comm.startswith(pid):
            continue
        name = "%s[%s/%s]" % (comm, m.group(4), m.group(5))
        d = th.setdefault(name, ([], []))
        d[0].append(float(m.group(7)) * 1e3)  # sch delay, µs
        d[1].append(float(m.group(8)) * 1e3)  # run time, µs
    span = (t1 - t0) if t0 is not None else 0
    print("window %.2f s" % span)
    print("thread\tslices\tslices/s\tslices/req\tdelay_mean\tp50\tp99\tp99.9\tmax\t>50us\t>200us\trun_mean\trun_p99\tcpu%")
    for name, (dl, rt) in sorted(th.items(), key=lambda kv: -len(kv[1][0])):
        if len(dl) < 10:
            continue
        n = len(dl)
        s = sorted(dl)
        r = sorted(rt)
        print("%s\t%d\t%.0f\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.2f%%\t%.2f%%\t%.1f\t%.1f\t%.1f" % (
            name, n, n / span if span else 0, "%.3f" % (n / reqs) if reqs else "-",
            sum(dl) / n, pct(s, .5), pct(s, .99), pct(s, .999), s[-1],
            100.0 * sum(1 for x in dl if x > 50) / n, 100.0 * sum(1 for x in dl if x > 200) / n,
            sum(rt) / n, pct(r, .99), 100.0 * sum(rt) / 1e6 / span if span else 0))


if __name__ == "__main__":
    main()
