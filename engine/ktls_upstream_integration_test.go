package engine_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
	"mcroute/tlsconn"
	"mcroute/tlsconn/clienttest"
	"mcroute/upstream"
)

// Outbound kTLS (mcroute → a TLS server). The kernel here has no kTLS, so
// these tests inject the setsockopt step (tlsconn.ClientOptions
// .KTLSSetsockopt); tlsconn's own tests check the crypto_info payloads.

// outKTLS is a fake kernel for outbound offloads: it records the
// setsockopts, refuses the one named by fail ("ulp", "rx", "tx") and, once
// the offload is decided, says how on done ("done", "rx_only", "failed").
type outKTLS struct {
	mu    sync.Mutex
	calls []string
	fail  string
	done  chan string
}

func newOutKTLS(fail string) *outKTLS { return &outKTLS{fail: fail, done: make(chan string, 8)} }

func (k *outKTLS) set(fd, level, opt int, val string) error {
	name := "ulp"
	if level != syscall.IPPROTO_TCP {
		name = map[int]string{1: "tx", 2: "rx"}[opt]
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls = append(k.calls, name)
	refused := name == k.fail
	switch {
	case refused && name == "tx":
		k.done <- "rx_only"
	case refused:
		k.done <- "failed"
	case name == "tx":
		k.done <- "done"
	}
	if refused {
		return syscall.ENOENT
	}
	return nil
}

func (k *outKTLS) callList() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return strings.Join(k.calls, ",")
}

// ktlsEmuServer is a TLS 1.3 server in front of memcached at mcAddr that
// plays the kernel's part of the client's offload: it answers the first
// request (one line) over TLS, then waits for k to say how the offload
// went. From then on it writes plaintext where the client's kernel would
// decrypt (done, rx_only) and reads plaintext where the client's kernel
// would encrypt (done): with a real kernel the socket would carry records
// made from (or opened into) exactly those bytes.
func ktlsEmuServer(t *testing.T, certs *clienttest.Certs, mcAddr string, k *outKTLS) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	cfg := &tls.Config{Certificates: []tls.Certificate{certs.Server.TLS}, MinVersion: tls.VersionTLS13}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			mc, err := net.Dial("tcp", mcAddr)
			if err != nil {
				raw.Close()
				return
			}
			mu.Lock()
			conns = append(conns, raw, mc)
			mu.Unlock()
			go serveKTLSEmu(raw, mc, cfg, k)
		}
	}()
	return ln.Addr().String()
}

func serveKTLSEmu(raw, mc net.Conn, cfg *tls.Config, k *outKTLS) {
	defer raw.Close()
	defer mc.Close()
	tc := tls.Server(raw, cfg)
	if tc.Handshake() != nil {
		return
	}
	// The first request, over TLS: one line (the tests send a get).
	var req []byte
	buf := make([]byte, 4096)
	for !bytes.HasSuffix(req, []byte("\r\n")) {
		n, err := tc.Read(buf)
		if err != nil {
			return
		}
		req = append(req, buf[:n]...)
	}
	if _, err := mc.Write(req); err != nil {
		return
	}
	var rep []byte
	for !bytes.HasSuffix(rep, []byte("END\r\n")) {
		n, err := mc.Read(buf)
		if err != nil {
			return
		}
		rep = append(rep, buf[:n]...)
	}
	if _, err := tc.Write(rep); err != nil {
		return
	}
	var in io.Reader = tc
	var out io.Writer = tc
	select {
	case how := <-k.done:
		switch how {
		case "done":
			in, out = raw, raw
		case "rx_only":
			out = raw
		}
	case <-time.After(10 * time.Second):
		return
	}
	go func() { _, _ = io.Copy(mc, in); mc.Close() }()
	_, _ = io.Copy(out, mc)
}

// ktlsUpstreamRef is a client of a plain path (mcroute → a fresh
// memcached), whose replies the TLS paths must match.
func ktlsUpstreamRef(t *testing.T) *mctest.Client {
	ref := mctest.StartMemcached(t)
	plain := startProxy(t, poolConfig(ref.Addr), engine.Options{NumLoops: 1}, router.Options{})
	return mctest.Dial(t, plain.Addr)
}

func statDelta(t *testing.T, addr, name string, before uint64) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(stats(t, addr)[name], 10, 64)
	if err != nil {
		t.Fatalf("stat %s: %v", name, err)
	}
	return v - before
}

// TestKTLSUpstreamOffload: once the (fake) kernel took the session, after
// the server's first reply, the connection is a plain one: requests and
// replies cross the socket as plaintext, as kTLS would hand them over,
// and every reply is byte for byte what a plain path gives. Counted in
// num_ssl_ktls_server_connections. RX only (TLS_TX refused): replies are
// read as plaintext, requests still sealed in mcroute; counted as a
// fallback and in num_ssl_ktls_server_rx_only.
func TestKTLSUpstreamOffload(t *testing.T) {
	for _, tc := range []struct{ name, fail, stat string }{
		{"both directions", "", "num_ssl_ktls_server_connections"},
		{"RX only", "tx", "num_ssl_ktls_server_rx_only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			certs := clienttest.New(t)
			m := mctest.StartMemcached(t)
			k := newOutKTLS(tc.fail)
			addr := ktlsEmuServer(t, certs, m.Addr, k)
			before := map[string]uint64{
				"num_ssl_ktls_server_connections": tlsconn.ClientKTLS().Offloaded.Load(),
				"num_ssl_ktls_server_rx_only":     tlsconn.ClientKTLS().RXOnly.Load(),
				"num_ssl_ktls_server_fallbacks":   tlsconn.ClientKTLS().Fallbacks.Load(),
			}
			p, lb := upstreamTLSProxy(t, tlsconn.ClientOptions{CAFile: certs.CA, KTLSSetsockopt: k.set}, addr+":ascii:ssl")
			pc, ac := ktlsUpstreamRef(t), mctest.Dial(t, p.Addr)
			if got := ac.Do("get warmup\r\n"); got != "END\r\n" {
				t.Fatalf("first request: %q", got)
			}
			for i, req := range upstreamTLSScript {
				want, got := pc.Do(req), ac.Do(req)
				if got != want {
					t.Fatalf("request %d %.40q: after the offload %.200q, plain %.200q", i, req, got, want)
				}
			}
			if got := k.callList(); got != "ulp,rx,tx" {
				t.Fatalf("setsockopt calls %q", got)
			}
			if d := statDelta(t, p.Addr, tc.stat, before[tc.stat]); d != 1 {
				t.Fatalf("%s +%d, want +1", tc.stat, d)
			}
			wantFallbacks := uint64(0)
			if tc.fail != "" {
				wantFallbacks = 1
			}
			if d := statDelta(t, p.Addr, "num_ssl_ktls_server_fallbacks", before["num_ssl_ktls_server_fallbacks"]); d != wantFallbacks {
				t.Fatalf("fallbacks +%d, want +%d", d, wantFallbacks)
			}
			if l := lb.String(); (tc.fail != "") != strings.Contains(l, "kTLS refused (TLS_TX)") {
				t.Errorf("log %q", l)
			}
		})
	}
}

// TestKTLSUpstreamRefused: against memcached -Z, a kernel that refuses the
// offload (TCP_ULP or TLS_RX) leaves the connection on the in-loop record
// layer: the script gives a plain path's replies byte for byte, the
// refusal is counted and logged once; with --ssl-no-ktls (NoKTLS) nothing
// is tried.
func TestKTLSUpstreamRefused(t *testing.T) {
	certs := clienttest.New(t)
	for _, tc := range []struct {
		name, fail string
		noKTLS     bool
	}{
		{"ULP refused", "ulp", false},
		{"RX refused", "rx", false},
		{"--ssl-no-ktls", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mctest.StartMemcached(t, clienttest.MemcachedArgs(certs.Server, "", false)...) // fresh: gets shows cas
			k := newOutKTLS(tc.fail)
			fb := tlsconn.ClientKTLS().Fallbacks.Load()
			p, lb := upstreamTLSProxy(t, tlsconn.ClientOptions{CAFile: certs.CA, KTLSSetsockopt: k.set, NoKTLS: tc.noKTLS}, sslServer("127.0.0.1", m))
			pc, ac := ktlsUpstreamRef(t), mctest.Dial(t, p.Addr)
			for i, req := range upstreamTLSScript {
				want, got := pc.Do(req), ac.Do(req)
				if got != want {
					t.Fatalf("request %d %.40q: TLS %.200q, plain %.200q", i, req, got, want)
				}
			}
			wantCalls, wantFB := map[string]string{"ulp": "ulp", "rx": "ulp,rx", "": ""}[tc.fail], uint64(1)
			if tc.noKTLS {
				wantFB = 0
			}
			if got := k.callList(); got != wantCalls {
				t.Fatalf("setsockopt calls %q, want %q", got, wantCalls)
			}
			if d := statDelta(t, p.Addr, "num_ssl_ktls_server_fallbacks", fb); d != wantFB {
				t.Fatalf("fallbacks +%d, want +%d", d, wantFB)
			}
			if l := lb.String(); !tc.noKTLS && !strings.Contains(l, "kTLS refused") {
				t.Errorf("refusal not logged: %q", l)
			}
		})
	}
}

// TestKTLSUpstreamKernel: with the kernel's kTLS (skipped where
// /proc/sys/net/ipv4/tcp_available_ulp lacks "tls", as on the machines
// these tests were written on), mcroute's connection to memcached -Z goes
// to the kernel after the first reply, and the script still gives a plain
// path's replies byte for byte.
func TestKTLSUpstreamKernel(t *testing.T) {
	if !tlsconn.KTLSAvailable() {
		b, _ := os.ReadFile("/proc/sys/net/ipv4/tcp_available_ulp")
		t.Skipf("kernel without the tls TCP ULP (tcp_available_ulp: %q; modprobe tls)", strings.TrimSpace(string(b)))
	}
	certs := clienttest.New(t)
	m := mctest.StartMemcached(t, clienttest.MemcachedArgs(certs.Server, "", false)...)
	before := tlsconn.ClientKTLS().Offloaded.Load()
	cc, err := tlsconn.NewClientConfig(tlsconn.ClientOptions{CAFile: certs.CA})
	if err != nil {
		t.Fatal(err)
	}
	lb := &logBuf{}
	opts := engine.Options{NumLoops: 1, Upstream: upstream.Options{Logf: lb.logf, TKO: upstream.TKOOptions{Disable: true}}}
	p := startProxy(t, poolConfig(sslServer("127.0.0.1", m)), opts, router.Options{TLSClient: cc})
	pc, ac := ktlsUpstreamRef(t), mctest.Dial(t, p.Addr)
	for i, req := range upstreamTLSScript {
		want, got := pc.Do(req), ac.Do(req)
		if got != want {
			t.Fatalf("request %d %.40q: %.200q, plain %.200q (log: %s)", i, req, got, want, lb)
		}
	}
	if d := statDelta(t, p.Addr, "num_ssl_ktls_server_connections", before); d != 1 {
		t.Fatalf("num_ssl_ktls_server_connections +%d, want +1 (log: %s)", d, lb)
	}
}
