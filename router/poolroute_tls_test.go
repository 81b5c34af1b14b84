package router

import (
	"strings"
	"testing"

	"mcroute/tlsconn"
	"mcroute/upstream"
)

// TestPoolTLS: use_ssl, security_mech ssl and a server string's mech part
// make TLS servers (Transport ssl, their own Destination), named with ssl
// in the mech position in `stats servers` and route names; a server's
// mech overrides its pool's.
func TestPoolTLS(t *testing.T) {
	cc, err := tlsconn.NewClientConfig(tlsconn.ClientOptions{NoVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Build("tls.json", []byte(`{
  "pools": {
    "A": {"servers": ["127.0.0.1:7001", "127.0.0.1:7002:ascii:plain"], "use_ssl": true},
    "B": {"servers": ["localhost:7003", "127.0.0.1:7001:ascii:plain"], "security_mech": "ssl"},
    "C": {"servers": ["127.0.0.1:7004:ascii:ssl", "127.0.0.1:7005"], "security_mech": "plain"}
  },
  "route": {"type": "AllSyncRoute", "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C"]}
}`), Options{TLSClient: cc})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"127.0.0.1:7001:ascii:ssl:notcompressed-1000":   upstream.TransportSSL,
		"127.0.0.1:7002:ascii:plain:notcompressed-1000": upstream.TransportPlain,
		"localhost:7003:ascii:ssl:notcompressed-1000":   upstream.TransportSSL,
		"127.0.0.1:7001:ascii:plain:notcompressed-1000": upstream.TransportPlain,
		"127.0.0.1:7004:ascii:ssl:notcompressed-1000":   upstream.TransportSSL,
		"127.0.0.1:7005:ascii:plain:notcompressed-1000": upstream.TransportPlain,
	}
	if len(cfg.Servers) != len(want) {
		t.Fatalf("%d servers, want %d", len(cfg.Servers), len(want))
	}
	dests := map[*upstream.Destination]string{}
	for _, s := range cfg.Servers {
		tr, ok := want[s.Key]
		if !ok || s.Transport != tr || s.Dest.Key.Transport != tr {
			t.Errorf("server %s: transport %s (dest %s)", s.Key, s.Transport, s.Dest.Key.Transport)
		}
		if tr == upstream.TransportSSL && s.TLS != cc {
			t.Errorf("server %s: not using the configured TLS client", s.Key)
		}
		if other, dup := dests[s.Dest]; dup {
			t.Errorf("%s and %s share a destination", s.Key, other)
		}
		dests[s.Dest] = s.Key
	}
	got := tree(t, cfg, "get", "k")
	for _, name := range []string{
		"host|pool=A|id=0|ap=127.0.0.1:7001:ascii:ssl:notcompressed|",
		"host|pool=B|id=0|ap=localhost:7003:ascii:ssl:notcompressed|",
		"host|pool=C|id=0|ap=127.0.0.1:7004:ascii:ssl:notcompressed|",
	} {
		if !strings.Contains(got, name) {
			t.Errorf("route tree lacks %q:\n%s", name, got)
		}
	}
}

// TestPoolTLSDefaultVerifies: without a TLS client configuration, TLS
// servers verify against the system roots.
func TestPoolTLSDefaultVerifies(t *testing.T) {
	cfg, err := Build("tls.json", []byte(`{"pools": {"A": {"servers": ["127.0.0.1:7001:ascii:ssl"]}}, "route": "PoolRoute|A"}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.Servers[0]; s.TLS != tlsconn.DefaultClientConfig() || s.TLS.Options().NoVerify {
		t.Errorf("server TLS config %+v, want the verifying default", s.TLS)
	}
}
