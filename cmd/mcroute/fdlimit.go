package main

import "syscall"

// raiseFDLimit raises the soft RLIMIT_NOFILE to the hard limit and returns
// the soft limit in force afterwards. (Go's runtime already does this for
// the process at start-up; doing it here as well makes the value a fact
// mcroute logs rather than an assumption.)
func raiseFDLimit() (cur uint64, raised bool, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, false, err
	}
	if lim.Cur >= lim.Max {
		return lim.Cur, false, nil
	}
	want := lim
	want.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		return lim.Cur, false, err
	}
	return want.Cur, true, nil
}
