package main

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"mcroute/engine/mctest"
)

// TestClientLibraries runs real memcached client libraries (pymemcache and
// pylibmc, which is libmemcached) against the built binary in front of two
// memcached servers. make test installs them from Debian; the test skips
// when they are missing.
func TestClientLibraries(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	if err := exec.Command(py, "-c", "import pymemcache, pylibmc").Run(); err != nil {
		t.Skip("python3-pymemcache or python3-pylibmc not installed (make test installs them)")
	}
	bin := buildBinary(t)
	m1, m2 := mctest.StartMemcached(t), mctest.StartMemcached(t)
	port := mctest.FreePort(t, "127.0.0.1")
	cfg := fmt.Sprintf(`{"pools":{"A":{"servers":["%s","%s"]}},"route":"PoolRoute|A"}`, m1.Addr, m2.Addr)
	cmd := exec.Command(bin, "-p", fmt.Sprint(port), "--listen-address", "127.0.0.1", "--config-str", cfg, "--num-proxies", "2")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if err := mctest.WaitListening(fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "../../testdata/clients/pyclients.py", fmt.Sprint(port)).CombinedOutput()
	if err != nil {
		t.Fatalf("client libraries: %v\n%s", err, out)
	}
}
