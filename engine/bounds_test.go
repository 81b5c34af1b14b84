package engine_test

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// TestStatsRenderedInTurn: stats pipelined after a set and a get reports
// them: it is rendered when its turn to reply comes, not when parsed.
func TestStatsRenderedInTurn(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startProxy(t, poolConfig(m.Addr), engine.Options{NumLoops: 1}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	c.Send("set st 0 0 1\r\n1\r\nget st\r\nstats servers\r\n")
	if got := c.ReadReply(); got != "STORED\r\n" {
		t.Fatalf("set: %q", got)
	}
	if got := c.ReadReply(); got != "VALUE st 0 1\r\n1\r\nEND\r\n" {
		t.Fatalf("get: %q", got)
	}
	if got := c.ReadReply(); !strings.Contains(got, "stored:1") || !strings.Contains(got, "found:1") {
		t.Fatalf("stats servers does not count the requests before it: %q", got)
	}
}

// TestHugeValueClaimHitsTheCap: a set that claims a 1 GiB value and goes
// on sending it is closed once what mcroute holds for it (here the
// parser's copy of the value) passes the client's hard cap, instead of
// being buffered whole (and then copied twice more).
func TestHugeValueClaimHitsTheCap(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startProxy(t, poolConfig(m.Addr), engine.Options{NumLoops: 1, MaxClientBuffer: 8 << 20}, router.Options{})
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("set huge 0 0 1073741824\r\n")); err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{'x'}, 1<<20)
	sent := 0
	for ; sent < 256; sent++ {
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(chunk); err != nil {
			break
		}
	}
	if sent == 256 {
		t.Fatalf("mcroute accepted 256 MiB of a value with an 8 MiB client cap")
	}
	if got := mctest.Dial(t, p.Addr).Do("version\r\n"); !strings.HasPrefix(got, "VERSION ") {
		t.Fatalf("mcroute after dropping the client: %q", got)
	}
}

// TestWideGetIsWindowed: a get line of 4,000 keys, answered in full and
// in order, even with a high water mark far below what all its keys'
// replies add up to (the keys are sent through a window and the reply
// streamed).
func TestWideGetIsWindowed(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startProxy(t, poolConfig(m.Addr), engine.Options{NumLoops: 1, OutboundHighWater: 64 << 10}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	val := strings.Repeat("v", 1000)
	var sets, get, want strings.Builder
	get.WriteString("get")
	for i := 0; i < 4000; i++ {
		k := "w" + strings.Repeat("k", i%7) + string(rune('a'+i%26)) + itoa(i)
		if i%3 == 0 {
			sets.WriteString("set " + k + " 0 0 1000 noreply\r\n" + val + "\r\n")
			want.WriteString("VALUE " + k + " 0 1000\r\n" + val + "\r\n")
		}
		get.WriteString(" " + k)
	}
	get.WriteString("\r\n")
	want.WriteString("END\r\n")
	c.Send(sets.String())
	if got := c.Do(get.String()); got != want.String() {
		t.Fatalf("wide get: %d bytes, want %d", len(got), want.Len())
	}
}

func itoa(i int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
		if i == 0 {
			return string(b)
		}
	}
}

// TestStreamedGetThenError: a get whose first keys' VALUE blocks were
// streamed and whose last key then fails cannot be answered with the error
// line alone: the connection is closed after what was written.
func TestStreamedGetThenError(t *testing.T) {
	m := mctest.StartMemcached(t)
	l, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	cfg := `{"pools":{"A":{"servers":["` + m.Addr + `"]},"S":{"servers":["` + l.Addr().String() + `"]}},
		"route":{"type":"PrefixSelectorRoute","policies":{"slow":"PoolRoute|S"},"wildcard":"PoolRoute|A"}}`
	p := startProxy(t, cfg, engine.Options{NumLoops: 1}, router.Options{ServerTimeout: 300 * time.Millisecond})
	c := mctest.Dial(t, p.Addr)
	val := strings.Repeat("v", 20000)
	c.Do("set big 0 0 20000\r\n" + val + "\r\n")
	c.Send("get big slow\r\n")
	_ = c.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c.Conn)
	if want := "VALUE big 0 20000\r\n" + val + "\r\n"; string(got) != want {
		t.Fatalf("got %d bytes (%.40q), err %v; want the streamed VALUE block, then close", len(got), got, err)
	}
}
