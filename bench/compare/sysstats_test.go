package compare

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseMemtierJSON(t *testing.T) {
	// Written by memtier_benchmark 2f74d61, --protocol=memcache_text -c 4
	// --test-time=1 --hide-histogram --json-out-file, through memcached-proxy.
	r, err := ParseMemtierJSON(readFixture(t, "memtier-2f74d61.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Count != 21833 || r.OpsPerSec != 21825.78 || r.MissesPerSec != 15556.85 || r.ConnectionErrors != 0 {
		t.Fatalf("totals: %+v", r)
	}
	if r.Latency.P50 != 0.175 || r.Latency.P99 != 0.343 || r.Latency.P999 != 1.119 || r.Latency.Max != 3.279 {
		t.Fatalf("latency: %+v", r.Latency)
	}
	if r.Seconds <= 0.9 || r.Seconds > 1.5 {
		t.Fatalf("seconds %v, want the run's ~1 s", r.Seconds)
	}
	for _, bad := range []string{``, `{}`, `{"ALL STATS":{"Totals":{"Count":5,"Percentile Latencies":{}}}}`, `{"ALL STATS":{"Totals":[1]}}`} {
		if _, err := ParseMemtierJSON([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestMemtierArgs(t *testing.T) {
	w := Workloads(100_000, 0.5)[1] // B: pipeline 16
	got := strings.Join(memtierArgs("127.0.0.1:4000", w, 4, 1500*1e6, "/tmp/o.json"), " ")
	for _, want := range []string{"-s 127.0.0.1 -p 4000", "--protocol=memcache_text", "-t 1 -c 4", "--pipeline=16", "--ratio=1:10",
		"--data-size=100", "--key-pattern=R:R", "--key-maximum=100000", "--key-prefix=mtk:", "--test-time=2", "--hide-histogram", "--json-out-file=/tmp/o.json"} {
		if !strings.Contains(got, want) {
			t.Errorf("memtier args lack %q: %s", want, got)
		}
	}
	if ok, _ := memtierWorkload(Workloads(1000, 0.5)[3]); ok {
		t.Error("memtier would run D, whose multi-key gets it cannot size exactly")
	}
}

func TestParseProcStatus(t *testing.T) {
	b := readFixture(t, "proc-status.txt")
	c, err := parseStatusCtx(b)
	if err != nil || c != (CtxSwitches{Voluntary: 1, Nonvoluntary: 14}) || c.Total() != 15 {
		t.Fatalf("ctx switches %+v, %v", c, err)
	}
	rss, err := parseStatusRSS(b)
	if err != nil || rss != 2072 {
		t.Fatalf("rss %d, %v", rss, err)
	}
	if _, err := parseStatusCtx([]byte("Name:\tx\nvoluntary_ctxt_switches:\t3\n")); err == nil {
		t.Error("status without nonvoluntary_ctxt_switches accepted")
	}
	if _, err := parseStatusCtx([]byte("voluntary_ctxt_switches:\tx\nnonvoluntary_ctxt_switches:\t1\n")); err == nil {
		t.Error("non-numeric count accepted")
	}
	if _, err := parseStatusRSS([]byte("Name:\tx\n")); err == nil {
		t.Error("status without VmRSS accepted")
	}
	// The live process: every thread summed.
	if c, err := procCtxSwitches(os.Getpid()); err != nil || c.Total() == 0 {
		t.Fatalf("own context switches: %+v, %v", c, err)
	}
	if rss, err := procRSSKiB(os.Getpid()); err != nil || rss == 0 {
		t.Fatalf("own RSS: %d, %v", rss, err)
	}
}

func TestParseProcIO(t *testing.T) {
	n, err := parseIORWSyscalls(readFixture(t, "proc-io.txt"))
	if err != nil || n != 16 {
		t.Fatalf("syscr+syscw = %d, %v; want 16", n, err)
	}
	if _, err := parseIORWSyscalls([]byte("rchar: 1\n")); err == nil {
		t.Error("io without syscr/syscw accepted")
	}
	if _, err := procRWSyscalls(os.Getpid()); err != nil {
		t.Logf("own /proc/PID/io unreadable here: %v", err)
	}
}

func TestParsePerfCount(t *testing.T) {
	n, err := parsePerfCount(readFixture(t, "perf-stat.csv"))
	if err != nil || n != 395694 {
		t.Fatalf("perf count %d, %v", n, err)
	}
	// A process that never ran while perf watched: no syscalls.
	if n, err := parsePerfCount(readFixture(t, "perf-stat-not-counted.csv")); err != nil || n != 0 {
		t.Fatalf("<not counted>: %d, %v", n, err)
	}
	for _, bad := range []string{"", "# started\n\n", "<not supported>,,raw_syscalls:sys_enter,0,100.00,,\n"} {
		if _, err := parsePerfCount([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestMemcachedProxyConfig(t *testing.T) {
	c := memcachedProxyConfig([]string{"127.0.0.1:1001", "127.0.0.1:1002"})
	for _, want := range []string{"pools{", "main = {", `"127.0.0.1:1001",`, `"127.0.0.1:1002",`, "routes{", `default = route_direct{ child = "main" }`} {
		if !strings.Contains(c, want) {
			t.Errorf("memcached-proxy config lacks %q:\n%s", want, c)
		}
	}
}

func TestThreadCPU(t *testing.T) {
	if ns, err := parseSchedstat([]byte("123456789 2000 17\n")); err != nil || ns != 123456789 {
		t.Fatalf("parseSchedstat = %v, %v", ns, err)
	}
	for _, bad := range []string{"", "1 2", "x 1 2"} {
		if _, err := parseSchedstat([]byte(bad)); err == nil {
			t.Errorf("parseSchedstat accepted %q", bad)
		}
	}
	before := threadCPU{1: 1000, 2: 5000, 3: 7}
	// Thread 1 ran 2 µs, 2 nothing, 3 exited, 4 was born and ran 0.5 µs.
	got, exited := threadCPU{1: 3000, 2: 5000, 4: 500}.since(before)
	if got != 2500e-9 || exited != 1 {
		t.Fatalf("since = %v s, %d exited; want 2.5e-06, 1", got, exited)
	}
	tc, err := procThreadCPU(os.Getpid())
	if err != nil || len(tc) == 0 {
		t.Fatalf("procThreadCPU(self) = %v, %v", tc, err)
	}
}
