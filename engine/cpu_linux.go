package engine

import (
	"golang.org/x/sys/unix"
)

// AllowedCPUs returns the CPUs in the calling thread's affinity mask, in
// increasing order. Call it before any thread is pinned: at start every
// thread has the process's mask.
func AllowedCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, err
	}
	var cpus []int
	for c := 0; c < len(set)*64 && len(cpus) < set.Count(); c++ {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

// pinThread restricts the calling OS thread to cpu. The caller must hold
// its thread (runtime.LockOSThread); otherwise the goroutine moves on and
// leaves some other goroutine's thread pinned.
func pinThread(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	return unix.SchedSetaffinity(0, &set)
}
