package engine_test

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/tlsconn"
)

// fakeKTLS stands for the kernel's kTLS setsockopts: it records them and
// refuses those named in fail ("ulp", "rx", "tx").
type fakeKTLS struct {
	mu    sync.Mutex
	calls []string
	fail  string
}

func (k *fakeKTLS) set(fd, level, opt int, val string) error {
	name := "ulp"
	if level != syscall.IPPROTO_TCP {
		name = map[int]string{1: "tx", 2: "rx"}[opt]
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls = append(k.calls, name)
	if name == k.fail {
		return syscall.ENOENT
	}
	return nil
}

func (k *fakeKTLS) n() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.calls)
}

// TestKTLSRefusedKeepsWorking: a kernel that refuses the offload (TCP_ULP
// or TLS_RX) leaves the connection on the in-loop record layer, byte for
// byte as before, counted as a fallback; --ssl-no-ktls never tries.
func TestKTLSRefusedKeepsWorking(t *testing.T) {
	m := mctest.StartMemcached(t)
	for _, tc := range []struct {
		name, fail string
		noKTLS     bool
	}{
		{"ULP refused", "ulp", false},
		{"RX refused", "rx", false},
		{"--ssl-no-ktls", "", true},
	} {
		k := &fakeKTLS{fail: tc.fail}
		p := startTLSProxy(t, poolConfig(m.Addr), tlsconn.ServerOptions{KTLSSetsockopt: k.set, NoKTLS: tc.noKTLS}, engine.Options{})
		cfg := p.pki.clientConfig(p.pki.client)
		tc2, err := tls.Dial("tcp", p.TLS, cfg)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := net.Dial("tcp", p.Plain)
		if err != nil {
			t.Fatal(err)
		}
		tb, pb := bufio.NewReader(tc2), bufio.NewReader(plain)
		// The script leaves the keys as it found them: whole on one
		// connection, then on the other.
		var want []string
		for _, s := range tlsScript {
			want = append(want, exchange(t, plain, pb, s.req, s.last))
		}
		for i, s := range tlsScript {
			if got := exchange(t, tc2, tb, s.req, s.last); got != want[i] {
				t.Fatalf("%s: %.40q: TLS %.200q, plain %.200q", tc.name, s.req, got, want[i])
			}
		}
		st := stats(t, p.Plain)
		wantFallbacks := "1"
		if tc.noKTLS {
			wantFallbacks = "0"
			if k.n() != 0 {
				t.Fatalf("--ssl-no-ktls: setsockopt called %v", k.calls)
			}
		}
		if st["num_ssl_ktls_fallbacks"] != wantFallbacks || st["num_ssl_ktls_connections"] != "0" || p.E.TLSDirect() != 0 {
			t.Fatalf("%s: fallbacks %s, ktls %s", tc.name, st["num_ssl_ktls_fallbacks"], st["num_ssl_ktls_connections"])
		}
		tc2.Close()
		plain.Close()
	}
}

// skipRecords drops the TLS records at the head of r: what the server
// sealed before the offload (its session tickets), which a Go client would
// read on its first Read and the kernel's TLS RX would have taken.
// Memcached replies never start with 0x17.
func skipRecords(t *testing.T, r *bufio.Reader) {
	t.Helper()
	for {
		b, err := r.Peek(5)
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != 0x17 {
			return
		}
		if _, err := r.Discard(5 + int(binary.BigEndian.Uint16(b[3:]))); err != nil {
			t.Fatal(err)
		}
	}
}

// TestKTLSOffloadGoesDirect: once the (fake) kernel accepted the offload,
// the session reads and writes the socket as plaintext, as it would with
// kTLS doing the records: the client's plaintext on the raw socket gets
// byte for byte a plaintext client's replies.
func TestKTLSOffloadGoesDirect(t *testing.T) {
	m := mctest.StartMemcached(t)
	k := &fakeKTLS{}
	p := startTLSProxy(t, poolConfig(m.Addr), tlsconn.ServerOptions{KTLSSetsockopt: k.set}, engine.Options{})
	raw, err := net.Dial("tcp", p.TLS)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	tc := tls.Client(&recordConn{Conn: raw}, p.pki.clientConfig(p.pki.client))
	_ = raw.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	_ = raw.SetDeadline(time.Time{})
	// The offload is tried at the end of the loop's pass that finished
	// the handshake.
	waitStat(t, p.Plain, "num_ssl_ktls_connections", "1")
	if k.n() != 3 {
		t.Fatalf("setsockopt calls %v", k.calls)
	}
	plain, err := net.Dial("tcp", p.Plain)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	rb, pb := bufio.NewReader(raw), bufio.NewReader(plain)
	var wants []string
	for _, s := range tlsScript {
		wants = append(wants, exchange(t, plain, pb, s.req, s.last))
	}
	for i, s := range tlsScript {
		want := wants[i]
		if i == 0 {
			if _, err := raw.Write([]byte(s.req)); err != nil {
				t.Fatal(err)
			}
			skipRecords(t, rb)
			got, err := rb.ReadString('\n')
			if err != nil || got != want {
				t.Fatalf("first reply %q %v, want %q", got, err, want)
			}
			continue
		}
		if got := exchange(t, raw, rb, s.req, s.last); got != want {
			t.Fatalf("%.40q: after the offload %.200q, plain %.200q", s.req, got, want)
		}
	}
	if n := p.E.TLSDirect(); n != 1 {
		t.Fatalf("%d connections went direct, want 1", n)
	}
	waitStat(t, p.Plain, "num_ssl_client_connections", "1")
	raw.Close()
	waitStat(t, p.Plain, "num_ssl_client_connections", "0")
}
