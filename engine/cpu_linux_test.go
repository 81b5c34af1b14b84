package engine

import (
	"runtime"
	"sort"
	"testing"
)

func TestAllowedCPUs(t *testing.T) {
	cpus, err := AllowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	if len(cpus) != runtime.NumCPU() {
		t.Errorf("AllowedCPUs() = %v, runtime.NumCPU() = %d", cpus, runtime.NumCPU())
	}
	if !sort.IntsAreSorted(cpus) {
		t.Errorf("AllowedCPUs() = %v, not in order", cpus)
	}
}
