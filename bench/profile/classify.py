#!/usr/bin/env python3
"""Classify perf samples of a proxy into cost families (engine/PERF.md,
"Where the CPU goes on A (profiles)").

    perf script -F comm,tid,ip,sym,dso -i FILE.data | classify.py [--top N] [--writes]

Every sample (cpu-clock, with its call chain, leaf first) gets one family:
kernel samples by the system call they are under and what the leaf does
there; user samples by the leaf function's owner (Go runtime part, gnet,
mcroute package, or the C proxies' binaries and libraries). Prints the
share of each family in percent of all samples, and with --top the
heaviest leaf functions of one family (--family NAME); with --writes the
samples of a write (send, wake-up, preemption on return) split by who
wrote: a server connection or a client.
"""
import re
import sys
from collections import Counter

SYSCALLS = {
    "read": "recv", "readv": "recv", "recvfrom": "recv", "recvmsg": "recv",
    "write": "send", "writev": "send", "sendto": "send", "sendmsg": "send",
    "epoll_wait": "epoll", "epoll_pwait": "epoll", "epoll_ctl": "epoll",
    "futex": "futex", "nanosleep": "sleep", "clock_nanosleep": "sleep",
}
ENTRY = re.compile(r"^(entry_SYSCALL|do_syscall_64|syscall_exit_to_user_mode|exit_to_user_mode|"
                   r"syscall_return_via_sysret|__x64_sys_|x64_sys_call|__rseq|rseq_|"
                   r"syscall_enter_from_user_mode|fpregs_|switch_fpu|entry_SYSRETQ|"
                   r"__audit|audit_|srso_|__pfx_|ret_from_fork)")
WAKE = re.compile(r"^(try_to_wake_up|ttwu_|__wake_up|ep_poll_callback|sock_def_readable|"
                  r"wake_up_q|futex_wake|select_task_rq|enqueue_task|activate_task|"
                  r"check_preempt|resched_curr|wakeup_preempt)")
SCHED = re.compile(r"^(__schedule|schedule|finish_task_switch|pick_next_task|"
                   r"dequeue_task|put_prev_task|__switch_to|context_switch)")

GO_SCHED = re.compile(r"^runtime\.(schedule|findRunnable|findrunnable|runqgrab|runqsteal|stealWork|park_m|"
                      r"mcall|gogo|execute|wakep|startm|stopm|mPark|notesleep|notewakeup|futexsleep|"
                      r"futexwakeup|handoffp|acquirep|releasep|lock2|unlock2|lock|unlock|gosched|"
                      r"goschedImpl|checkTimers|runqget|runqput|globrunq|pidleget|pidleput|"
                      r"resetspinning|injectglist|ready|goready|casgstatus|gopark|goexit|"
                      r"mstart|newm|templateThread|osyield|usleep|procyield|nanotime|"
                      r"wirep|mget|mput|schedEnableUser|traceAcquire|traceEnabled|checkdead|"
                      r"(\(\*timers\)\.)|timeSleepUntil|netpollinited|pollWork|.*[sS]pinning)")
GO_SYSCALL = re.compile(r"^(runtime\.(entersyscall|exitsyscall|reentersyscall|exitsyscallfast|"
                        r"entersyscall_sysmon|exitsyscall0|save|.*[sS]yscall)|internal/runtime/syscall|syscall\.|"
                        r"golang\.org/x/sys/unix\.)")
GO_GC = re.compile(r"^runtime\.(gc|scan|mark|sweep|malloc|mallocgc|bgsweep|bgscavenge|"
                   r"greyobject|findObject|heapBits|wbBuf|memclrNoHeap|nextFreeFast|"
                   r"spanOf|(\(\*mspan\))|(\(\*mheap\))|(\(\*mcache\))|(\(\*gcWork\))|"
                   r"(\(\*mcentral\))|(\(\*pageAlloc\))|(\(\*scavenger)|(\(\*gcControllerState\)))")
HELPERS = re.compile(r"^(runtime\.(memmove|memequal|memclr|cmpbody|indexbytebody|memhash|aeshash|"
                     r"strhash|typedmemmove|bulkBarrier|wbBuf|gcWriteBarrier|duffcopy|duffzero|"
                     r"morestack|newstack|panicIndex|panicSlice|growslice|asyncPreempt|"
                     r"(\(\*_?type\))|mapaccess|mapassign|ifaceeq|efaceeq|assertE2I|typeAssert)|"
                     r"internal/bytealg|bytes\.|strings\.|sync/atomic|internal/runtime/atomic|"
                     r"internal/runtime/maps|strconv\.)")


SYSCALL_SYMS = [
    ("send", re.compile(r"sys_(write|writev|sendto|sendmsg)\b|^ksys_write|^vfs_write|^do_writev|^__sys_send|^___sys_sendmsg|^tcp_sendmsg")),
    ("recv", re.compile(r"sys_(read|readv|recvfrom|recvmsg)\b|^ksys_read|^vfs_read|^do_readv|^__sys_recv|^___sys_recvmsg|^tcp_recvmsg")),
    ("epoll", re.compile(r"epoll|^ep_poll")),
    ("futex", re.compile(r"futex")),
    ("sleep", re.compile(r"nanosleep")),
]


def syscall_of(frames):
    """The system call a kernel sample is under, None outside one."""
    syms = [s for s, _ in frames]
    idx = None
    for i, s in enumerate(syms):
        if s in ("do_syscall_64", "x64_sys_call", "entry_SYSCALL_64_after_hwframe", "entry_SYSCALL_64"):
            idx = i
            break
    if idx is None:
        return None
    below = syms[:idx]
    for s in reversed(below):  # outermost first
        for name, rx in SYSCALL_SYMS:
            if rx.search(s):
                return name
    return "other syscall" if below else "entry"


def kernel_family(frames):
    syscall = syscall_of(frames)
    leaf = frames[0][0]
    syms = [s for s, d in frames if d == "[kernel.kallsyms]"]
    in_sched = any(SCHED.match(s) for s in syms)
    in_wake = any(WAKE.match(s) for s in syms)
    if syscall is None:
        if any(s.startswith(("asm_exc_page_fault", "exc_page_fault")) for s in syms):
            return "k: page faults"
        if in_sched:
            return "k: context switch (preempted, irq return)"
        return "k: interrupts, timers, other"
    if in_sched:
        # Where the switch happened: blocking inside the call, or preemption
        # on the way back to user space (exit_to_user_mode_loop).
        if any(s.startswith("exit_to_user_mode") for s in syms):
            return "k: context switch (preempted on syscall return)"
        return "k: context switch (blocking: %s)" % syscall
    if in_wake:
        return "k: wake-ups (in %s)" % syscall
    if syscall == "entry" or ENTRY.match(leaf):
        return "k: syscall entry/exit"
    return {"send": "k: TCP send (incl. loopback delivery)", "recv": "k: TCP receive",
            "epoll": "k: epoll", "futex": "k: futex", "sleep": "k: nanosleep"}.get(syscall, "k: other syscalls")


def go_family(frames):
    syms = [s for s, _ in frames]
    if any(s == "runtime.sysmon" for s in syms):
        return "u: Go sysmon"
    if any(s.startswith("runtime.gcBgMarkWorker") or s.startswith("runtime.bgsweep") or
           s.startswith("runtime.bgscavenge") or s.startswith("runtime.forEachP") for s in syms):
        return "u: Go GC"
    i = 0
    while i < len(syms) - 1 and HELPERS.match(syms[i]):
        i += 1  # a helper's cost goes to its caller
    s = syms[i]
    if s.startswith("runtime.netpoll"):
        return "u: Go netpoll"
    if GO_SYSCALL.match(s):
        return "u: Go syscall enter/exit"
    if GO_GC.match(s):
        return "u: Go GC"
    if GO_SCHED.match(s):
        return "u: Go scheduler"
    if s.startswith("github.com/panjf2000/gnet"):
        return "u: gnet"
    m = re.match(r"^mcroute/(\w+)", s)
    if m:
        return "u: mcroute " + m.group(1)
    if s.startswith("runtime."):
        return "u: Go runtime other"
    return "u: other Go"


def family(frames):
    dso = frames[0][1]
    if dso == "[kernel.kallsyms]":
        return kernel_family(frames)
    if any(s.startswith("runtime.") or s.startswith("mcroute/") for s, _ in frames):
        return go_family(frames)
    base = dso.rsplit("/", 1)[-1].strip("()")
    if base.startswith("libc"):
        return "u: libc"
    if base.startswith("memcached"):
        s = frames[0][0]
        if s.startswith(("lua", "luaV", "luaH", "luaD", "luaG", "luaC", "luaS", "luaF", "luaT", "luaL", "luaO")):
            return "u: memcached-proxy Lua"
        return "u: memcached-proxy"
    return "u: " + base


def samples(f):
    frames = []
    for line in f:
        line = line.rstrip("\n")
        if not line.strip():
            if frames:
                yield frames
            frames = []
            continue
        if not line.startswith((" ", "\t")):
            continue  # the sample's header
        parts = line.strip().split(None, 1)
        if len(parts) < 2:
            continue
        rest = parts[1]
        m = re.match(r"^(.*?)(?:\+0x[0-9a-f]+)? \((.*)\)$", rest)
        if m:
            frames.append((m.group(1), m.group(2)))
    if frames:
        yield frames


# --writes: the cost of a write (the send, waking the peer, being preempted
# on the way back) split by the mcroute function that wrote: a server
# connection (upstream) or a client (engine session). PERF.md, "Cuts after
# the hold-back".
WRITE_FAMILIES = ("k: TCP send", "k: wake-ups (in send)", "k: context switch (preempted on syscall return)")


def writer(fr):
    for sym, _ in fr:
        if sym.startswith("mcroute/upstream.(*transport).write"):
            return "server write"
        if sym.startswith("mcroute/engine.(*session).write"):
            return "client write"
    return "other"


def main():
    top = 0
    fam = None
    args = sys.argv[1:]
    if "--top" in args:
        top = int(args[args.index("--top") + 1])
    if "--family" in args:
        fam = args[args.index("--family") + 1]
    c = Counter()
    leaves = Counter()
    writes = Counter()
    n = 0
    for fr in samples(sys.stdin):
        f = family(fr)
        c[f] += 1
        n += 1
        if top and (fam is None or f == fam):
            leaves[(f, fr[0][0])] += 1
        if "--writes" in args and f.startswith(WRITE_FAMILIES):
            writes[(f, writer(fr))] += 1
    if "--writes" in args:
        for (f, w), k in sorted(writes.items()):
            print("%-52s %-16s %6.2f" % (f, w, 100.0 * k / n))
        return
    if "--counts" in args:
        for f, k in c.items():
            print("%s %d" % (f, k))
        return
    for f, k in sorted(c.items(), key=lambda x: (x[0][0], -x[1])):
        print("%-52s %6.2f" % (f, 100.0 * k / n))
    print("%-52s %6d" % ("samples", n))
    for (f, s), k in leaves.most_common(top):
        print("  %6.2f  %-40s %s" % (100.0 * k / n, f, s))


if __name__ == "__main__":
    main()
