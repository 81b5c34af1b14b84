package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"mcroute/engine/mctest"
	"mcroute/tlsconn/tlstest"
)

// TestBinaryTLS runs the binary with mcrouter's older flag names
// (--pem-*) and only a TLS port: a client with a certificate for
// 127.0.0.1 is served, one without is refused under
// --ssl-require-peer-certs.
func TestBinaryTLS(t *testing.T) {
	bin := buildBinary(t)
	m := mctest.StartMemcached(t)
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "ca")
	f := tlstest.WriteFiles(t, dir, "router", ca.Issue(t, "router", []string{"127.0.0.1"}, time.Time{}, time.Time{}), ca)
	client := ca.Issue(t, "client", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	port := mctest.FreePort(t, "127.0.0.1")
	var stderr syncBuffer
	cmd := exec.Command(bin, "--ssl-port", fmt.Sprint(port), "--listen-address", "127.0.0.1",
		"--pem-cert-path", f.Cert, "--pem-key-path", f.Key, "--pem-ca-path", f.CA, "--ssl-require-peer-certs",
		"--config-str", fmt.Sprintf(`{"pools":{"A":{"servers":["%s"]}},"route":"PoolRoute|A"}`, m.Addr))
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := mctest.WaitListening(addr, 10*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	cfg := &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1", Certificates: []tls.Certificate{client.TLS}}
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	fmt.Fprint(c, "set k 0 0 2\r\nhi\r\nget k\r\n")
	var got strings.Builder
	for !strings.HasSuffix(got.String(), "END\r\n") {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("%v after %q\n%s", err, got.String(), stderr.String())
		}
		got.WriteString(line)
	}
	if got.String() != "STORED\r\nVALUE k 0 2\r\nhi\r\nEND\r\n" {
		t.Fatalf("got %q", got.String())
	}
	cfg.Certificates = nil
	bad, err := tls.Dial("tcp", addr, cfg)
	if err == nil {
		_ = bad.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprint(bad, "get k\r\n")
		_, err = bad.Read(make([]byte, 10))
		bad.Close()
	}
	if err == nil {
		t.Fatal("client without a certificate served")
	}
	// The refusal is logged by a handshake worker, maybe after the client
	// saw the alert: wait for the line rather than a fixed time.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), "no_certificate"); {
		if time.Now().After(deadline) {
			t.Fatalf("refusal not logged:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSSLPortNeedsCertificates(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"--ssl-port", "1", "--config-str", `{"route":"NullRoute"}`}, &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), "--ssl-port needs") {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}

// TestSSLNoKTLSFlag: --ssl-no-ktls reaches the TLS server options and the
// outbound ones (tlsconn.ClientOptions).
func TestSSLNoKTLSFlag(t *testing.T) {
	for _, args := range [][]string{nil, {"--ssl-no-ktls"}} {
		var o options
		var errb bytes.Buffer
		if err := newFlagSet(&o, &errb).Parse(args); err != nil {
			t.Fatal(err)
		}
		if o.tls.noKTLS != (len(args) == 1) {
			t.Fatalf("%v: noKTLS %v", args, o.tls.noKTLS)
		}
		cc, err := newTLSClient(&o, log.New(io.Discard, "", 0))
		if err != nil {
			t.Fatal(err)
		}
		if cc.Options().NoKTLS != (len(args) == 1) {
			t.Fatalf("%v: ClientOptions.NoKTLS %v", args, cc.Options().NoKTLS)
		}
	}
}
