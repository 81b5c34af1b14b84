package tlsconn

import (
	"crypto/tls"
	"strings"
	"testing"
)

// ktlsPair is a Client of a real handshake with tp (TLS 1.3, suite as the
// peer's config says), its offload going to k, switched to its own record
// layer by the tickets and a first reply, with one request sealed by
// crypto/tls before the switch and one after, so that both sequence
// numbers are past their start.
func ktlsPair(t *testing.T, tp *tlsPeer, o ClientOptions) (*Client, *peer) {
	t.Helper()
	o.CAFile = tp.certs.CA
	cc, err := NewClientConfig(o)
	if err != nil {
		t.Fatal(err)
	}
	c, p := tp.dial(t, cc)
	sealTo(t, c, p, "get a\r\n") // crypto/tls's
	if res, _ := c.OffloadKTLS(3, 0, 0); res != OffloadLater && o.KTLSSetsockopt != nil {
		t.Fatalf("before the switch: %v, want later", res)
	}
	if err := c.Open(cat(p.tickets, p.data("END\r\n"), p.data("END\r\n"))); err != nil {
		t.Fatal(err)
	}
	if !c.InLoopRecordLayer() {
		t.Fatal("not on the own record layer")
	}
	c.Consume(len(c.Plain()))
	sealTo(t, c, p, "get b\r\n") // ours
	return c, p
}

// TestClientKTLSOffload: at a record boundary with nothing held the
// session goes to the (fake) kernel: TCP_ULP, TLS_RX, TLS_TX in that
// order; the RX crypto_info opens the server's next record and a record
// sealed with the TX one is what the server reads; the Client then
// refuses to be used and the attempt is not repeated. Each thing held
// (bytes read not opened, a partial record, plaintext not consumed,
// output not taken, bytes not written) puts it off. Both AES-GCM suites.
func TestClientKTLSOffload(t *testing.T) {
	for _, suite := range []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384} {
		t.Run(tls.CipherSuiteName(suite), func(t *testing.T) {
			tp := newTLSPeer(t, nil)
			if suite == tls.TLS_AES_256_GCM_SHA384 {
				// crypto/tls's server follows the client's preference,
				// which puts AES-128 first; a client that prefers 256 is
				// not configurable, so this suite runs on made-up secrets.
				testClientKTLSOffloadRecord(t, suite)
				return
			}
			k := &fakeKernel{}
			c, p := ktlsPair(t, tp, ClientOptions{KTLSSetsockopt: k.set})
			testClientKTLSOffload(t, c, p, k)
		})
	}
}

func testClientKTLSOffloadRecord(t *testing.T, suite uint16) {
	c, p := recordPairSuite(t, suite)
	k := &fakeKernel{}
	c.ktls = k.set
	c.state.Version, c.state.CipherSuite = tls.VersionTLS13, suite
	sealTo(t, c, p, "get b\r\n")
	if err := c.Open(p.data("END\r\n")); err != nil {
		t.Fatal(err)
	}
	c.Consume(len(c.Plain()))
	testClientKTLSOffload(t, c, p, k)
}

func testClientKTLSOffload(t *testing.T, c *Client, p *peer, k *fakeKernel) {
	t.Helper()
	later := func(what string, heldIn, heldOut int) {
		t.Helper()
		if res, err := c.OffloadKTLS(7, heldIn, heldOut); res != OffloadLater || err != nil {
			t.Fatalf("%s: %v, %v; want later", what, res, err)
		}
		if len(k.calls) > 0 {
			t.Fatalf("%s: setsockopt called: %v", what, k.calls)
		}
	}
	later("bytes read, not opened", 1, 0)
	later("bytes not written", 0, 1)
	// A partial record.
	rec := p.data("VALUE a 0 1\r\nx\r\nEND\r\n")
	if err := c.Open(rec[:9]); err != nil {
		t.Fatal(err)
	}
	later("partial record", 0, 0)
	if err := c.Open(rec[9:]); err != nil {
		t.Fatal(err)
	}
	later("plaintext not consumed", 0, 0)
	c.Consume(len(c.Plain()))
	// Output not taken: a KeyUpdate answer.
	if err := c.Open(p.keyUpdate(true)); err != nil {
		t.Fatal(err)
	}
	later("output not taken", 0, 0)
	if got, err := p.read(c.Out()); err != nil || got != "" {
		t.Fatalf("KeyUpdate answer: %q, %v", got, err)
	}
	c.Sent()

	before := clientKTLS.Offloaded.Load()
	rxSeq, txSeq := c.rx.seq, c.tx.seq
	if res, err := c.OffloadKTLS(7, 0, 0); res != OffloadDone || err != nil {
		t.Fatalf("offload: %v, %v", res, err)
	}
	if got := strings.Join(k.calls, ","); got != "ulp,rx,tx" {
		t.Fatalf("setsockopt calls %s", got)
	}
	if got := clientKTLS.Offloaded.Load() - before; got != 1 {
		t.Fatalf("num_ssl_ktls_server_connections +%d", got)
	}
	// What the kernel would do with the crypto_info payloads.
	krx, ktx := halfConnFromInfo(t, k.rx), halfConnFromInfo(t, k.tx)
	if krx.seq != rxSeq || ktx.seq != txSeq {
		t.Fatalf("crypto_info seq rx %d tx %d, want %d %d", krx.seq, ktx.seq, rxSeq, txSeq)
	}
	if out, typ, err := krx.open(nil, p.data("STORED\r\n")); err != nil || typ != typeAppData || string(out) != "STORED\r\n" {
		t.Fatalf("kernel RX opens %q (type %d), %v", out, typ, err)
	}
	var s sealer
	s.begin(ktx, nil)
	s.write([]byte("get c\r\n"))
	if got, err := p.read(s.end()); err != nil || got != "get c\r\n" {
		t.Fatalf("server reads kernel TX record: %q, %v", got, err)
	}
	// Done for good.
	if res, _ := c.OffloadKTLS(7, 0, 0); res != OffloadNever {
		t.Fatalf("second attempt: %v", res)
	}
	if c.Seal([]byte("x")) == nil || c.Open([]byte{23}) == nil {
		t.Fatal("Client usable after the offload")
	}
}

// TestClientKTLSRefused: a kernel that refuses TCP_ULP or TLS_RX leaves
// the session on the own record layer (counted, the error says which
// step), requests and replies carry on; one that refuses TLS_TX after
// TLS_RX leaves sealing here (RX only): Open is refused from then on, and
// what Seal writes is still read by the server.
func TestClientKTLSRefused(t *testing.T) {
	for _, step := range []string{"ulp", "rx", "tx"} {
		t.Run(step, func(t *testing.T) {
			tp := newTLSPeer(t, nil)
			k := &fakeKernel{fail: step}
			c, p := ktlsPair(t, tp, ClientOptions{KTLSSetsockopt: k.set})
			fb, rxo := clientKTLS.Fallbacks.Load(), clientKTLS.RXOnly.Load()
			res, err := c.OffloadKTLS(7, 0, 0)
			want, wantStep := OffloadFailed, map[string]string{"ulp": "TCP_ULP", "rx": "TLS_RX", "tx": "TLS_TX"}[step]
			if step == "tx" {
				want = OffloadRXOnly
			}
			if res != want || err == nil || !strings.Contains(err.Error(), wantStep) {
				t.Fatalf("%v, %v; want %v naming %s", res, err, want, wantStep)
			}
			if clientKTLS.Fallbacks.Load()-fb != 1 {
				t.Fatal("fallback not counted")
			}
			if got := clientKTLS.RXOnly.Load() - rxo; got != map[bool]uint64{true: 1}[step == "tx"] {
				t.Fatalf("rx_only +%d", got)
			}
			if res, _ := c.OffloadKTLS(7, 0, 0); res != OffloadNever {
				t.Fatalf("second attempt: %v", res)
			}
			sealTo(t, c, p, "get c\r\n")
			err = c.Open(p.data("END\r\n"))
			if step == "tx" {
				if err == nil {
					t.Fatal("Open after RX went to the kernel")
				}
				return
			}
			if err != nil || string(c.Plain()) != "END\r\n" {
				t.Fatalf("after the refusal: %q, %v", c.Plain(), err)
			}
		})
	}
}

// TestClientKTLSOff: no attempt with NoKTLS (--ssl-no-ktls), with
// StdRecordLayer, or on a TLS 1.2 session; with neither option nor a
// kernel that offers it, none either.
func TestClientKTLSOff(t *testing.T) {
	k := &fakeKernel{}
	for _, tc := range []struct {
		name string
		o    ClientOptions
		max  uint16
	}{
		{"NoKTLS", ClientOptions{NoKTLS: true, KTLSSetsockopt: k.set}, tls.VersionTLS13},
		{"StdRecordLayer", ClientOptions{StdRecordLayer: true, KTLSSetsockopt: k.set}, tls.VersionTLS13},
		{"TLS 1.2", ClientOptions{KTLSSetsockopt: k.set}, tls.VersionTLS12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp := newTLSPeer(t, func(c *tls.Config) { c.MaxVersion = tc.max })
			tc.o.CAFile = tp.certs.CA
			cc, err := NewClientConfig(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			c, p := tp.dial(t, cc)
			if p != nil {
				if err := c.Open(cat(p.tickets, p.data("END\r\n"))); err != nil {
					t.Fatal(err)
				}
				c.Consume(len(c.Plain()))
			}
			if res, _ := c.OffloadKTLS(7, 0, 0); res != OffloadNever {
				t.Fatalf("%v, want never", res)
			}
		})
	}
	if len(k.calls) > 0 {
		t.Fatalf("setsockopt called: %v", k.calls)
	}
}
