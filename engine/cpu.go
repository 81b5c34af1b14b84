package engine

// DefaultLoops is the default number of event loops (--num-proxies): one
// per physical core, but no more than the CPUs the process may run on.
// physical is the machine's physical core count (cpuid; 0 when unknown),
// logical its logical CPU count (runtime.NumCPU at start: the CPUs of the
// process's affinity mask), usable the CPUs the process may actually use
// (the runtime's default GOMAXPROCS, which also counts a cgroup CPU quota;
// 0 when unknown). The result is at least 1.
//
// Hyper-threads are not counted: two loops on the two threads of one core
// share its execution units and gain little, while each loop holds its
// upstream connections and buffers.
func DefaultLoops(physical, logical, usable int) int {
	n := physical
	if n <= 0 {
		n = logical
	}
	if logical > 0 && n > logical {
		n = logical
	}
	if usable > 0 && n > usable {
		n = usable
	}
	return max(n, 1)
}

// LoopCPU is the CPU that event loop i is pinned to under --thread-affinity:
// the i-th CPU of allowed (the process's affinity mask at start, in
// increasing order), wrapping around when there are more loops than CPUs.
// It returns -1 when allowed is empty.
func LoopCPU(i int, allowed []int) int {
	if len(allowed) == 0 || i < 0 {
		return -1
	}
	return allowed[i%len(allowed)]
}

// GOMAXPROCSFor is the GOMAXPROCS to run loops event loops with: at least
// loops+1, so that the dialer, the config reloader, timers and the GC's
// workers find a P while every loop is busy. current is the runtime's
// GOMAXPROCS; it is kept when larger, and always when the user set the
// GOMAXPROCS environment variable (set). Measured in RUNTIME.md: with
// GOMAXPROCS equal to the loops, context switches per request went up by
// a quarter to a half and ops per CPU-second down.
func GOMAXPROCSFor(loops, current int, set bool) int {
	if set || loops+1 <= current {
		return current
	}
	return loops + 1
}
