package tlsconn

import (
	"bytes"
	"testing"
)

// FuzzClientOpen feeds arbitrary server bytes, cut in two at any point,
// to a Client on its own record layer: it must not panic, must not
// produce more plaintext than it was given, and must decrypt the same
// whatever the cut. Seeds (testdata/fuzz/FuzzClientOpen) are streams the
// peer of recordPair sealed: replies, a KeyUpdate, close_notify.
func FuzzClientOpen(f *testing.F) {
	_, p := recordPair(f)
	f.Add(cat(p.data("VALUE a 0 1\r\nx\r\nEND\r\n"), p.keyUpdate(true), p.data("STORED\r\n"), p.alert(0)), uint16(30))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		at := int(cut) % (len(data) + 1)
		whole, _ := recordPair(t)
		errWhole := whole.Open(data)
		c, _ := recordPair(t)
		err := c.Open(data[:at])
		if err == nil {
			err = c.Open(data[at:])
		}
		if len(c.Plain()) > len(data) {
			t.Fatalf("%d bytes of plaintext from %d", len(c.Plain()), len(data))
		}
		if !bytes.Equal(c.Plain(), whole.Plain()) || (err == nil) != (errWhole == nil) {
			t.Fatalf("cut at %d: %q, %v; whole: %q, %v", at, c.Plain(), err, whole.Plain(), errWhole)
		}
	})
}
