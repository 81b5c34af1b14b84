package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"mcroute/engine/mctest"
)

// buildBinary builds cmd/mcroute into a temp dir, as a user would run it.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mcroute")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinaryEndToEnd runs the built binary with a config file in front of
// two real memcached servers, talks to it, and stops it with SIGTERM.
func TestBinaryEndToEnd(t *testing.T) {
	bin := buildBinary(t)
	m1, m2 := mctest.StartMemcached(t), mctest.StartMemcached(t)
	cfg := filepath.Join(t.TempDir(), "mcrouter.json")
	text := fmt.Sprintf(`// an mcrouter config, comments and trailing commas included
{
  "pools": {
    "main": { "servers": [ "%s", "%s", ] },
  },
  "route": "PoolRoute|main",
}`, m1.Addr, m2.Addr)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	port := mctest.FreePort(t, "127.0.0.1")
	var stderr syncBuffer
	cmd := exec.Command(bin, "-p", fmt.Sprint(port), "--listen-address", "127.0.0.1",
		"--config", "file:"+cfg, "--num-proxies", "2", "--server-timeout", "500")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := mctest.WaitListening(addr, 10*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	c := mctest.Dial(t, addr)
	if got := c.Do("set e2e 0 0 5\r\nhello\r\n"); got != "STORED\r\n" {
		t.Fatalf("set: %q", got)
	}
	if got := c.Do("get e2e\r\n"); got != "VALUE e2e 0 5\r\nhello\r\nEND\r\n" {
		t.Fatalf("get: %q", got)
	}
	if got := c.Do("version\r\n"); !strings.HasPrefix(got, "VERSION ") {
		t.Fatalf("version: %q", got)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("mcroute did not stop on SIGTERM\n%s", stderr.String())
	}
}

// TestValidateConfig: --validate-config exits 0 on a good config and 3 on
// a bad one, naming the file, the line and what is wrong.
func TestValidateConfig(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(good, []byte(`{"pools":{"A":{"servers":["127.0.0.1:1"]}},"route":"PoolRoute|A"}`), 0o644)
	os.WriteFile(bad, []byte("{\n  \"pools\": {\"A\": {\"servers\": [\"127.0.0.1:1\"]}},\n  \"route\": {\"type\": \"XYZRoute\"}\n}\n"), 0o644)
	if out, err := exec.Command(bin, "--validate-config", "--config", "file:"+good).CombinedOutput(); err != nil {
		t.Errorf("good config: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--validate-config", "--config", "file:"+bad).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Errorf("bad config: exit %v, want 3\n%s", err, out)
	}
	if want := "bad config: " + bad + ":3: Unknown RouteHandle: XYZRoute line: 3"; !strings.Contains(string(out), want) {
		t.Errorf("bad config message %q does not contain %q", out, want)
	}
	// Unknown flags are an error, not ignored.
	out, err = exec.Command(bin, "--no-such-flag", "--config", "file:"+good).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no-such-flag") {
		t.Errorf("unknown flag: %v %s", err, out)
	}
	out, err = exec.Command(bin, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "mcroute ") {
		t.Errorf("--version: %v %q", err, out)
	}
}
