package compare

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWriteTLSFiles(t *testing.T) {
	f, err := writeTLSFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(f.CA)
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("ca.pem holds no certificate")
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "127.0.0.1"}); err != nil {
		t.Fatalf("server certificate does not verify for 127.0.0.1 against the CA file: %v", err)
	}
	if b, _ := pem.Decode(caPEM); b == nil || b.Type != "CERTIFICATE" {
		t.Fatal("ca.pem is not a PEM certificate")
	}
	// A handshake with the generator's client configuration succeeds.
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", ln.Addr().String(), f.clientConfig())
	if err != nil {
		t.Fatalf("handshake with clientConfig: %v", err)
	}
	c.Close()
}

func TestStunnelConfig(t *testing.T) {
	f := &tlsFiles{CA: "/d/ca.pem", Cert: "/d/server.pem", Key: "/d/server-key.pem"}
	srv := stunnelConfig(false, "127.0.0.1:1", "127.0.0.1:2", f)
	for _, want := range []string{"foreground = yes", "accept = 127.0.0.1:1", "connect = 127.0.0.1:2", "cert = /d/server.pem", "key = /d/server-key.pem"} {
		if !strings.Contains(srv, want+"\n") {
			t.Errorf("server config lacks %q:\n%s", want, srv)
		}
	}
	if strings.Contains(srv, "client = yes") {
		t.Errorf("server config in client mode:\n%s", srv)
	}
	cli := stunnelConfig(true, "127.0.0.1:3", "127.0.0.1:4", f)
	for _, want := range []string{"client = yes", "verifyChain = yes", "CAfile = /d/ca.pem", "checkIP = 127.0.0.1", "accept = 127.0.0.1:3", "connect = 127.0.0.1:4"} {
		if !strings.Contains(cli, want+"\n") {
			t.Errorf("client config lacks %q:\n%s", want, cli)
		}
	}
}

func TestMcrouteTLSClientConfig(t *testing.T) {
	var cfg struct {
		Pools map[string]struct {
			Servers []string `json:"servers"`
			UseSSL  bool     `json:"use_ssl"`
		} `json:"pools"`
		Route string `json:"route"`
	}
	if err := json.Unmarshal([]byte(mcrouteTLSClientConfig("127.0.0.1:9")), &cfg); err != nil {
		t.Fatal(err)
	}
	a := cfg.Pools["A"]
	if !a.UseSSL || len(a.Servers) != 1 || a.Servers[0] != "127.0.0.1:9" || cfg.Route != "PoolRoute|A" {
		t.Fatalf("config %+v", cfg)
	}
}

func TestTLSMarkdown(t *testing.T) {
	tr := func(name string, ops, perCPU float64) *TargetResult {
		r := &TargetResult{Target: name, Status: "ok", Generator: GenMcrouteBench,
			Runs: []RunResult{{Round: 1, OpsPerSec: ops, OpsPerProxyCPUSec: perCPU, ProxyCPUSeconds: new(float64), ProxyCores: 0.5}}}
		*r.Runs[0].ProxyCPUSeconds = 1
		r.Runs[0].Latency.P99 = 0.5
		r.summarize()
		return r
	}
	w := &WorkloadResult{Workload: Workload{Name: "A"}, Targets: []*TargetResult{
		tr(TLSMcroutePlain, 1000, 4000), tr(TLSMcrouteServer, 900, 3000), tr(TLSStunnelServer, 600, 1000),
		tr(TLSMcrouteClient, 800, 2000), {Target: TLSStunnelClient, Status: TLSStunnelClient + " not serving: " + tlsStunnelMissing},
	}}
	res := &TLSResult{Stunnel: "stunnel 5.68", Workloads: []*WorkloadResult{w}}
	res.computeRatios()
	r := res.Ratios[0]
	if *r.ServerOverStunnelPerCPU != 3 || *r.ServerOverPlainPerCPU != 0.75 || *r.ServerOverStunnelOps != 1.5 || *r.ClientOverPlainPerCPU != 0.5 || r.ClientOverStunnelPerCPU != nil {
		t.Fatalf("ratios %+v", r)
	}
	md := res.Markdown()
	for _, want := range []string{"### TLS", "| A | server | mcroute TLS listener |", "| A | baseline | mcroute plaintext |",
		"| A | client | stunnel client → memcached -Z | stunnel client → memcached -Z not serving: stunnel not installed",
		"| A | 1.50× / **3.00×** | 0.90× / **0.75×** | — / **—** | 0.80× / **0.50×** |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	// The report puts the section after the summary.
	rep := &Report{TLS: res, Topologies: []*TopologyResult{{Backends: 1}}}
	full := rep.Markdown("")
	if i, j := strings.Index(full, "### Summary"), strings.Index(full, "### TLS"); i < 0 || j < i {
		t.Fatalf("TLS section not after the summary:\n%s", full)
	}
}

// TestRunTLS runs the TLS section for real; it needs memcached built with
// TLS, stunnel and a Go toolchain to build mcroute.
func TestRunTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	mc, err := exec.LookPath("memcached")
	if err != nil {
		t.Skip("memcached is not installed (apt-get install memcached)")
	}
	st := findStunnel("")
	if st == "" {
		t.Skip("stunnel is not installed (apt-get install stunnel4)")
	}
	bin := filepath.Join(t.TempDir(), "mcroute")
	if out, err := exec.Command("go", "build", "-o", bin, "mcroute/cmd/mcroute").CombinedOutput(); err != nil {
		t.Skipf("cannot build mcroute: %v %s", err, out)
	}
	o := DefaultOptions()
	o.Mcroute, o.Rounds, o.Duration, o.Warmup, o.Keys = bin, 1, 300*time.Millisecond, 0, 1000
	r := &runner{opts: o, memcached: mc, stunnel: st, generators: []string{GenMcrouteBench}, procs: &procs{dir: t.TempDir()}}
	defer r.procs.stopAll()
	res, err := r.runTLS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Notes) > 0 {
		t.Fatalf("targets down: %v", res.Notes)
	}
	for _, w := range res.Workloads {
		for _, tr := range w.Targets {
			if tr.OpsPerSec == nil || tr.OpsPerSec.Median <= 0 || tr.Errors > 0 || tr.OpsPerProxyCPUSec == nil {
				t.Errorf("%s %s: %+v %v", w.Name, tr.Target, tr.OpsPerSec, tr.ErrorExamples)
			}
		}
	}
	if len(res.Ratios) != 2 || res.Ratios[0].ServerOverStunnelPerCPU == nil || res.Ratios[1].ClientOverStunnelPerCPU == nil {
		t.Fatalf("ratios %+v", res.Ratios)
	}
	if !strings.HasPrefix(res.Stunnel, "stunnel ") {
		t.Errorf("stunnel version %q", res.Stunnel)
	}
}
