package tlsconn

import (
	"strings"
	"testing"
)

// BenchmarkClientRoundTrip: one request sealed and one reply record
// opened by an outbound session, on the own record layer ("own") and on
// crypto/tls's ("crypto-tls", ClientOptions.StdRecordLayer). The server's
// side is the test's (a real handshake, then records sealed while the
// timer is stopped), so only the Client's work is timed.
//
//	go test ./tlsconn/ -run '^$' -bench ClientRoundTrip -benchmem
func BenchmarkClientRoundTrip(b *testing.B) {
	for _, tc := range []struct {
		name string
		std  bool
	}{{"own", false}, {"crypto-tls", true}} {
		b.Run(tc.name, func(b *testing.B) {
			tp := newTLSPeer(b, nil)
			cc, err := NewClientConfig(ClientOptions{CAFile: tp.certs.CA, StdRecordLayer: tc.std})
			if err != nil {
				b.Fatal(err)
			}
			c, p := tp.dial(b, cc)
			if err := c.Open(cat(p.tickets, p.data("x"))); err != nil {
				b.Fatal(err)
			}
			c.Consume(len(c.Plain()))
			if c.InLoopRecordLayer() == tc.std {
				b.Fatalf("on the own record layer: %v", c.InLoopRecordLayer())
			}
			req := []byte("get memtier-1234567\r\n")
			reply := []byte("VALUE memtier-1234567 0 32\r\n" + strings.Repeat("v", 32) + "\r\nEND\r\n")
			const chunk = 256
			var recs []byte
			var sl sealer
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += chunk {
				n := min(chunk, b.N-i)
				b.StopTimer()
				sl.begin(p.tx, recs[:0])
				for range n {
					sl.write(reply)
					sl.finish(typeAppData)
				}
				recs = sl.end()
				b.StartTimer()
				off := 0
				for range n {
					if err := c.Seal(req); err != nil {
						b.Fatal(err)
					}
					c.Sent()
					k := recordLen(recs[off:])
					if err := c.Open(recs[off : off+k]); err != nil {
						b.Fatal(err)
					}
					off += k
					if len(c.Plain()) != len(reply) {
						b.Fatalf("%d bytes of plaintext", len(c.Plain()))
					}
					c.Consume(len(reply))
				}
			}
		})
	}
}
