#!/usr/bin/env python3
"""bench/profile/p99sum.py: the tables of engine/PERF.md, "p99 on A", from
the p99.tsv lines of bench/profile/p99.sh.

    python3 bench/profile/p99sum.py OUTDIR/p99.tsv [BASE]

Per target: median (min-max) over the rounds of ops/s, p50, p99, p99.9
(ms), CPU µs per request, run delay µs per request, context switches per
request. Then, paired by round (the tag), every target's p99 and p99.9
minus BASE's (default mcproxy): median (min-max) of the differences, how
many rounds were above, and the two-sided sign test's p; and the median
paired ratio target/BASE of p50, p99, p99.9 and CPU per request with the
exact two-sided Wilcoxon signed-rank p of their logs.
"""
import math
import sys
from collections import defaultdict

COLS = ["ops/s", "p50", "p99", "p99.9", "CPU us/req", "run delay us/req", "ctx sw/req"]


def med(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def fmt(x):
    return "%.0f" % x if x >= 1000 else "%.3f" % x if x < 1 else "%.1f" % x


def sign_p(k, n):
    # two-sided exact sign test: P(X <= min(k, n-k)) * 2 under Bin(n, 1/2)
    m = min(k, n - k)
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(m + 1)) / 2 ** n)


def wilcoxon_p(d):
    # exact two-sided signed-rank test; zeros dropped
    d = [x for x in d if x != 0]
    n = len(d)
    if n == 0:
        return 1.0
    order = sorted(range(n), key=lambda i: abs(d[i]))
    rank = [0] * n
    for r, i in enumerate(order):
        rank[i] = r + 1
    w = sum(rank[i] for i in range(n) if d[i] > 0)
    dist = {0: 1}
    for k in range(1, n + 1):
        nd = defaultdict(int)
        for s, c in dist.items():
            nd[s] += c
            nd[s + k] += c
        dist = nd
    lo = min(w, n * (n + 1) // 2 - w)
    return min(1.0, 2 * sum(c for s, c in dist.items() if s <= lo) / 2 ** n)


def main():
    base = sys.argv[2] if len(sys.argv) > 2 else "mcproxy"
    rows = defaultdict(dict)  # target -> tag -> values
    order = []
    for line in open(sys.argv[1]):
        f = line.rstrip("\n").split("\t")
        if len(f) < 10:
            continue
        t, tag = f[0], f[1]
        if t not in order:
            order.append(t)
        v = [float(f[2]), float(f[3]), float(f[4]), float(f[5]), float(f[7]), float(f[8]), float(f[9])]
        rows[t][tag] = v
    print("| target | rounds | " + " | ".join(COLS) + " |")
    print("|---|---:|" + "---:|" * len(COLS))
    for t in order:
        vs = list(rows[t].values())
        cells = []
        for i in range(len(COLS)):
            xs = [v[i] for v in vs]
            cells.append("%s (%s–%s)" % (fmt(med(xs)), fmt(min(xs)), fmt(max(xs))))
        print("| %s | %d | %s |" % (t, len(vs), " | ".join(cells)))
    print()
    print("Paired by round, minus %s (ms): median (min–max), rounds above, sign test p" % base)
    print()
    print("| target | p99 − %s | above | p | p99.9 − %s | above | p |" % (base, base))
    print("|---|---:|---:|---:|---:|---:|---:|")
    for t in order:
        if t == base:
            continue
        tags = [g for g in rows[t] if g in rows[base]]
        if not tags:
            continue
        cells = []
        for i in (2, 3):
            d = [rows[t][g][i] - rows[base][g][i] for g in tags]
            k = sum(1 for x in d if x > 0)
            cells += ["%+.3f (%+.3f–%+.3f)" % (med(d), min(d), max(d)), "%d/%d" % (k, len(d)), "%.2f" % sign_p(k, len(d))]
        print("| %s | %s |" % (t, " | ".join(cells)))
    print()
    print("Paired ratios target/%s: median (min–max), Wilcoxon signed-rank p" % base)
    print()
    print("| target | p50 | p99 | p99.9 | CPU us/req |")
    print("|---|---:|---:|---:|---:|")
    for t in order:
        if t == base:
            continue
        tags = [g for g in rows[t] if g in rows[base]]
        if not tags:
            continue
        cells = []
        for i in (1, 2, 3, 4):
            r = [rows[t][g][i] / rows[base][g][i] for g in tags]
            cells.append("%.2f (%.2f–%.2f), p = %.2f" % (med(r), min(r), max(r), wilcoxon_p([math.log(x) for x in r])))
        print("| %s | %s |" % (t, " | ".join(cells)))


if __name__ == "__main__":
    main()
