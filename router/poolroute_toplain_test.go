package router

import (
	"strings"
	"testing"

	"mcroute/tlsconn"
	"mcroute/upstream"
)

// TestPoolTLSToPlain: security mech tls_to_plain, from a pool's
// security_mech or a server string's 4th field, makes servers with their
// own transport and Destination (distinct from ssl and plain ones of the
// same address) that use the configured TLS client; UNIX sockets refuse
// it.
func TestPoolTLSToPlain(t *testing.T) {
	cc, err := tlsconn.NewClientConfig(tlsconn.ClientOptions{NoVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Build("tls.json", []byte(`{
  "pools": {
    "A": {"servers": ["127.0.0.1:7001", "127.0.0.1:7002:ascii:ssl"], "security_mech": "tls_to_plain"},
    "B": {"servers": ["127.0.0.1:7001:ascii:tls_to_plain", "127.0.0.1:7001:ascii:plain"]}
  },
  "route": {"type": "AllSyncRoute", "children": ["PoolRoute|A", "PoolRoute|B"]}
}`), Options{TLSClient: cc})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"127.0.0.1:7001:ascii:tls_to_plain:notcompressed-1000": upstream.TransportTLSToPlain,
		"127.0.0.1:7002:ascii:ssl:notcompressed-1000":          upstream.TransportSSL,
		"127.0.0.1:7001:ascii:plain:notcompressed-1000":        upstream.TransportPlain,
	}
	if len(cfg.Servers) != len(want) {
		t.Fatalf("%d servers, want %d", len(cfg.Servers), len(want))
	}
	for _, s := range cfg.Servers {
		tr, ok := want[s.Key]
		if !ok || s.Transport != tr || s.Dest.Key.Transport != tr {
			t.Errorf("server %s: transport %s (dest %s)", s.Key, s.Transport, s.Dest.Key.Transport)
		}
		if tr != upstream.TransportPlain && s.TLS != cc {
			t.Errorf("server %s: not using the configured TLS client", s.Key)
		}
	}
	_, err = Build("u.json", []byte(`{"pools": {"A": {"servers": ["unix:/tmp/mc.sock"], "security_mech": "tls_to_plain"}}, "route": "PoolRoute|A"}`), Options{TLSClient: cc})
	if err == nil || !strings.Contains(err.Error(), `security mech "tls_to_plain"`) {
		t.Errorf("UNIX socket with tls_to_plain: %v", err)
	}
}
