package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"mcroute/engine/mctest"
	"mcroute/tlsconn/tlstest"
)

// TestBinaryTLSTicketSeeds runs two mcroute processes with one
// --tls-ticket-key-seed-path file: a session made with the first resumes
// on the second (mcrouter's shared ticket seeds, across processes).
func TestBinaryTLSTicketSeeds(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "ca")
	f := tlstest.WriteFiles(t, dir, "router", ca.Issue(t, "router", []string{"127.0.0.1"}, time.Time{}, time.Time{}), ca)
	seeds := filepath.Join(dir, "seeds.json")
	if err := os.WriteFile(seeds, []byte(`{"old": [], "current": ["000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"], "new": ["1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func() string {
		port := mctest.FreePort(t, "127.0.0.1")
		var stderr syncBuffer
		cmd := exec.Command(bin, "--ssl-port", fmt.Sprint(port), "--listen-address", "127.0.0.1",
			"--pem-cert-path", f.Cert, "--pem-key-path", f.Key, "--pem-ca-path", f.CA,
			"--tls-ticket-key-seed-path", seeds, "--config-str", `{"route":"NullRoute"}`)
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		if err := mctest.WaitListening(addr, 10*time.Second); err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		return addr
	}
	a, b := start(), start()
	cache := tls.NewLRUClientSessionCache(4)
	resumed := func(addr string) bool {
		t.Helper()
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1", ClientSessionCache: cache})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprint(c, "version\r\n") // the reply comes after the TLS 1.3 ticket
		if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.HasPrefix(line, "VERSION ") {
			t.Fatalf("%q %v", line, err)
		}
		return c.ConnectionState().DidResume
	}
	if resumed(a) {
		t.Fatal("first connection resumed")
	}
	if !resumed(b) {
		t.Fatal("a session made with one mcroute did not resume on another with the same seed file")
	}
}

// TestTicketSeedFileRefused: a bad seed file stops start-up with an error
// naming the file and the field.
func TestTicketSeedFileRefused(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "ca")
	f := tlstest.WriteFiles(t, dir, "router", ca.Issue(t, "router", []string{"127.0.0.1"}, time.Time{}, time.Time{}), ca)
	seeds := filepath.Join(dir, "seeds.json")
	if err := os.WriteFile(seeds, []byte(`{"current": ["not hex"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"--ssl-port", fmt.Sprint(mctest.FreePort(t, "127.0.0.1")), "--listen-address", "127.0.0.1",
		"--pem-cert-path", f.Cert, "--pem-key-path", f.Key, "--pem-ca-path", f.CA,
		"--tls-ticket-key-seed-path", seeds, "--config-str", `{"route":"NullRoute"}`}, &out, &errb)
	if code != exitBadConfig || !strings.Contains(errb.String(), seeds) || !strings.Contains(errb.String(), `"current"[0] is not a hex string`) {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}
