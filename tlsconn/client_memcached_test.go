package tlsconn_test

import (
	"crypto/tls"
	"testing"

	"mcroute/engine/mctest"
	"mcroute/tlsconn"
	"mcroute/tlsconn/clienttest"
)

// TestClientMemcachedResumes: against memcached -Z, the in-loop session
// works (set, get) and a reconnect resumes the session from the tickets
// taken in-loop before the switch to the own record layer.
func TestClientMemcachedResumes(t *testing.T) {
	pki := clienttest.New(t)
	m := mctest.StartMemcached(t, clienttest.MemcachedArgs(pki.Server, "", false)...)
	cc := clientConfig(t, tlsconn.ClientOptions{CAFile: pki.CA})
	c, nc, err := handshake(t, cc, "127.0.0.1", m.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if c.ConnectionState().DidResume {
		t.Fatal("first connection resumed")
	}
	roundTrip(t, c, nc, "set k 0 0 2\r\nhi\r\nget k\r\n", "STORED\r\nVALUE k 0 2\r\nhi\r\nEND\r\n", 1<<20)
	c2, nc2, err := handshake(t, cc, "127.0.0.1", m.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if !c2.ConnectionState().DidResume {
		t.Error("reconnect did not resume the session")
	}
	roundTrip(t, c2, nc2, "get k\r\n", "VALUE k 0 2\r\nhi\r\nEND\r\n", 1)
	// Both sessions (OpenSSL sends two tickets first) moved to the own
	// record layer at the first reply, and keep working there.
	for _, c := range []*tlsconn.Client{c, c2} {
		if !c.InLoopRecordLayer() {
			t.Errorf("%s session still on crypto/tls", tls.CipherSuiteName(c.ConnectionState().CipherSuite))
		}
	}
	roundTrip(t, c, nc, "get k\r\n", "VALUE k 0 2\r\nhi\r\nEND\r\n", 3)
}
