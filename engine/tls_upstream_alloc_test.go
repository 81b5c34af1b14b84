//go:build !race

package engine_test

import (
	"testing"

	"mcroute/engine/mctest"
	"mcroute/tlsconn"
	"mcroute/tlsconn/clienttest"
)

// TestTLSUpstreamAllocs: a plain client → mcroute → memcached -Z (TLS 1.3,
// verified) allocates nothing per request in steady state, as with a
// plain backend (TestEngineAllocs): the outbound session runs on
// tlsconn's own record layer once the first reply has arrived.
func TestTLSUpstreamAllocs(t *testing.T) {
	pki := clienttest.New(t)
	m := mctest.StartMemcached(t, clienttest.MemcachedArgs(pki.Server, "", false)...)
	p, lb := upstreamTLSProxy(t, tlsconn.ClientOptions{CAFile: pki.CA}, sslServer("127.0.0.1", m))
	testEngineAllocs(t, p)
	if l := lb.String(); l != "" {
		t.Errorf("unexpected log: %s", l)
	}
}
