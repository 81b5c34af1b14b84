package tlsconn

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
)

// chunkConn delivers data in the chunk sizes of cuts (cycled), like a
// socket whose reads end anywhere.
type chunkConn struct {
	net.Conn
	data []byte
	cuts []byte
	i    int
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(c.data)
	if len(c.cuts) > 0 {
		n = int(c.cuts[c.i%len(c.cuts)])%64 + 1
		c.i++
	}
	n = copy(p, c.data[:min(n, len(c.data))])
	c.data = c.data[n:]
	return n, nil
}

// checkRecordConn reads stream (TLS records, possibly followed by other
// bytes) through a recordConn fed in chunks and checks that no read
// crosses a record boundary and that every byte comes through in order.
func checkRecordConn(t *testing.T, stream, cuts []byte, bufLen int) {
	r := &recordConn{Conn: &chunkConn{data: stream, cuts: cuts}}
	// Boundaries: the offsets where a record header or a record body ends.
	var bounds []int
	for off := 0; off+recordHeader <= len(stream); {
		n := int(binary.BigEndian.Uint16(stream[off+3:]))
		bounds = append(bounds, off+recordHeader, off+recordHeader+n)
		off += recordHeader + n
	}
	var got []byte
	buf := make([]byte, bufLen)
	for {
		n, err := r.Read(buf)
		start := len(got)
		got = append(got, buf[:n]...)
		for _, b := range bounds {
			if b > start && b < len(got) {
				t.Fatalf("a read of [%d,%d) crosses the boundary at %d", start, len(got), b)
			}
		}
		if err != nil {
			break
		}
	}
	if !bytes.Equal(got, stream) {
		t.Fatalf("read %d bytes, want %d", len(got), len(stream))
	}
}

func records(sizes ...int) []byte {
	var b []byte
	for i, n := range sizes {
		b = append(b, typeHandshake, 3, 3, byte(n>>8), byte(n))
		b = append(b, bytes.Repeat([]byte{byte(i)}, n)...)
	}
	return b
}

// TestRecordConnSplits: whatever the socket's read sizes (every cut
// length from 1 to 64) and the caller's buffer, a handshake reading
// through recordConn never reads past a record.
func TestRecordConnSplits(t *testing.T) {
	stream := append(records(0, 1, 70, 300, 5), "get k\r\n"...)
	for cut := range 64 {
		for _, bufLen := range []int{1, 5, 7, 512} {
			checkRecordConn(t, stream, []byte{byte(cut)}, bufLen)
		}
	}
}

func FuzzRecordConn(f *testing.F) {
	f.Add(records(1, 2, 3), []byte{0, 7, 63}, uint16(16))
	f.Add(append(records(100), "plain"...), []byte{4}, uint16(1))
	f.Fuzz(func(t *testing.T, stream, cuts []byte, bufLen uint16) {
		checkRecordConn(t, stream, cuts, int(bufLen%2048)+1)
	})
}
