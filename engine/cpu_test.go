package engine

import "testing"

func TestDefaultLoops(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		physical, logical, usable int
		want                      int
	}{
		{"one loop per physical core", 8, 16, 16, 8},
		{"no hyper-threads", 2, 2, 2, 2},
		{"cpuid unknown: logical CPUs", 0, 4, 4, 4},
		{"affinity mask smaller than the cores", 8, 3, 3, 3},
		{"cgroup quota of 2 CPUs", 8, 16, 2, 2},
		{"usable unknown", 4, 8, 0, 4},
		{"nothing known", 0, 0, 0, 1},
		{"single CPU", 1, 1, 1, 1},
	} {
		if got := DefaultLoops(tc.physical, tc.logical, tc.usable); got != tc.want {
			t.Errorf("%s: DefaultLoops(%d, %d, %d) = %d, want %d", tc.name, tc.physical, tc.logical, tc.usable, got, tc.want)
		}
	}
}

func TestLoopCPU(t *testing.T) {
	allowed := []int{2, 3, 6, 7} // e.g. taskset -c 2,3,6,7
	for i, want := range []int{2, 3, 6, 7, 2, 3} {
		if got := LoopCPU(i, allowed); got != want {
			t.Errorf("LoopCPU(%d, %v) = %d, want %d", i, allowed, got, want)
		}
	}
	if got := LoopCPU(0, nil); got != -1 {
		t.Errorf("LoopCPU(0, nil) = %d, want -1", got)
	}
	if got := LoopCPU(-1, allowed); got != -1 {
		t.Errorf("LoopCPU(-1, ...) = %d, want -1", got)
	}
}

func TestGOMAXPROCSFor(t *testing.T) {
	for _, tc := range []struct {
		loops, current int
		set            bool
		want           int
	}{
		{2, 2, false, 3}, // 2 cores, 2 loops: one P beyond the loops
		{1, 2, false, 2}, // already loops+1
		{4, 16, false, 16},
		{8, 8, true, 8}, // GOMAXPROCS set by the user: kept
		{1, 1, false, 2},
	} {
		if got := GOMAXPROCSFor(tc.loops, tc.current, tc.set); got != tc.want {
			t.Errorf("GOMAXPROCSFor(%d, %d, %v) = %d, want %d", tc.loops, tc.current, tc.set, got, tc.want)
		}
	}
}
