package engine_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
	"mcroute/router/hashfunc"
)

// bigSuffix is BigValueRoute's chunk suffix for value.
func bigSuffix(value []byte) string {
	h1, _ := hashfunc.SpookyHash128(value, 0, 0)
	return strconv.FormatUint(h1&0xffffffff, 10)
}

// rawConn is a client that writes and reads big values without copies of
// its own, so that allocations measured around it are mcroute's.
type rawConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, r: bufio.NewReaderSize(c, 64<<10)}
}

// set sends "set key flags 0 len" and the value; it returns the reply line.
func (rc *rawConn) set(key string, flags int, value []byte) string {
	rc.t.Helper()
	_ = rc.c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := fmt.Fprintf(rc.c, "set %s %d 0 %d\r\n", key, flags, len(value)); err != nil {
		rc.t.Fatal(err)
	}
	if _, err := rc.c.Write(value); err != nil {
		rc.t.Fatal(err)
	}
	if _, err := rc.c.Write([]byte("\r\n")); err != nil {
		rc.t.Fatal(err)
	}
	line, err := rc.r.ReadString('\n')
	if err != nil {
		rc.t.Fatalf("set %s: %v (%q)", key, err, line)
	}
	return line
}

// get reads a get reply into buf: the VALUE line (or the only line) and
// the value.
func (rc *rawConn) get(key string, buf []byte) (string, []byte) {
	rc.t.Helper()
	_ = rc.c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := fmt.Fprintf(rc.c, "get %s\r\n", key); err != nil {
		rc.t.Fatal(err)
	}
	line, err := rc.r.ReadString('\n')
	if err != nil {
		rc.t.Fatalf("get %s: %v (%q)", key, err, line)
	}
	if !strings.HasPrefix(line, "VALUE ") {
		return line, nil
	}
	f := strings.Fields(line)
	n, _ := strconv.Atoi(f[3])
	if n > len(buf) {
		rc.t.Fatalf("get %s: %q, more than %d bytes", key, line, len(buf))
	}
	if _, err := io.ReadFull(rc.r, buf[:n]); err != nil {
		rc.t.Fatal(err)
	}
	end := make([]byte, 7)
	if _, err := io.ReadFull(rc.r, end); err != nil || string(end) != "\r\nEND\r\n" {
		rc.t.Fatalf("get %s: after the value %q, %v", key, end, err)
	}
	return line, buf[:n]
}

// allocated runs f and returns the bytes the process allocated meanwhile.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestBigValueThroughSmallItems: mcrouter's test_bigvalue — a
// 21,000,015-byte value, threshold 5000, batch 2, through memcached
// servers whose item limit is 1 MiB, with the global BigValueRoute of
// --big-value-split-threshold.
func TestBigValueThroughSmallItems(t *testing.T) {
	ms := []*mctest.Memcached{mctest.StartMemcached(t, "-I", "1m"), mctest.StartMemcached(t, "-I", "1m")}
	p := startProxy(t, poolConfig(addrs(ms)...), engine.Options{},
		router.Options{BigValueSplitThreshold: 5000, BigValueBatchSize: 2})
	value := bytes.Repeat([]byte("abc"), 7000005)
	rc := dialRaw(t, p.Addr)

	// The servers refuse the value whole.
	if got := dialRaw(t, ms[0].Addr).set("whole", 0, value); !strings.HasPrefix(got, "SERVER_ERROR") {
		t.Fatalf("memcached -I 1m took a 21 MB value: %q", got)
	}

	var line string
	setAlloc := allocated(func() { line = rc.set("big", 7, value) })
	if line != "STORED\r\n" {
		t.Fatalf("set: %q", line)
	}
	buf := make([]byte, len(value))
	var got []byte
	getAlloc := allocated(func() { line, got = rc.get("big", buf) })
	if line != "VALUE big 32775 21000015\r\n" || !bytes.Equal(got, value) {
		t.Fatalf("get: %q, value equal: %v", line, bytes.Equal(got, value))
	}
	// The same value without BigValueRoute, through a server that takes
	// it whole: what the engine itself allocates for it.
	whole := mctest.StartMemcached(t, "-I", "32m", "-m", "128")
	pw := startProxy(t, poolConfig(whole.Addr), engine.Options{}, router.Options{})
	rw := dialRaw(t, pw.Addr)
	baseSet := allocated(func() { line = rw.set("big", 7, value) })
	baseGet := allocated(func() { _, got = rw.get("big", buf) })
	if line != "STORED\r\n" || !bytes.Equal(got, value) {
		t.Fatalf("baseline: %q", line)
	}
	mib := func(n uint64) float64 { return float64(n) / (1 << 20) }
	t.Logf("21,000,015-byte value (%.1f MiB): set allocated %.1f MiB, get %.1f MiB; without BigValueRoute (memcached -I 32m) %.1f and %.1f MiB",
		mib(uint64(len(value))), mib(setAlloc), mib(getAlloc), mib(baseSet), mib(baseGet))

	// The index and the chunks, as mcrouter writes them, spread over the
	// servers by the chunk keys.
	s := bigSuffix(value)
	var idx, chunk0 string
	for _, m := range ms {
		c := mctest.Dial(t, m.Addr)
		if r := c.Do("get big\r\n"); r != "END\r\n" {
			idx = r
		}
		if r := c.Do("get big:0:" + s + "\r\n"); r != "END\r\n" {
			chunk0 = r
		}
	}
	if idx != "VALUE big 32775 "+strconv.Itoa(len("1-4201-"+s))+"\r\n1-4201-"+s+"\r\nEND\r\n" {
		t.Errorf("index on the servers: %q", idx)
	}
	if chunk0 != "VALUE big:0:"+s+" 7 5000\r\n"+string(value[:5000])+"\r\nEND\r\n" {
		t.Errorf("chunk 0 on the servers: %.60q", chunk0)
	}

	// route_handles shows the one global big-value route over the root.
	c := mctest.Dial(t, p.Addr)
	rh := c.Do("get __mcrouter__.route_handles(get,big)\r\n")
	if !strings.Contains(rh, "\r\nproxy\n big-value|split_threshold=5000|batch_size=2|hide_reply_flag=false\n  root\n") || strings.Count(rh, "big-value") != 1 {
		t.Errorf("route_handles: %q", rh)
	}
}

// TestBigValueHandMadeIndex: an index and chunks written directly on
// memcached in mcrouter's format are read back; a missing chunk is a
// miss; values under the threshold are stored as they are.
func TestBigValueHandMadeIndex(t *testing.T) {
	m := mctest.StartMemcached(t, "-I", "1m")
	cfg := fmt.Sprintf(`{"pools": {"A": {"servers": [%q]}},
  "route": {"type": "BigValueRoute", "target": "PoolRoute|A", "split_threshold": 10, "batch_size": 3, "hide_reply_flag": true}}`, m.Addr)
	p := startProxy(t, cfg, engine.Options{}, router.Options{})
	mc := mctest.Dial(t, m.Addr)
	for _, cmd := range []string{
		"set hm:0:123 0 0 5\r\nhello\r\n", "set hm:1:123 0 0 1\r\n,\r\n", "set hm:2:123 0 0 6\r\nworld!\r\n",
		"set hm 32769 0 7\r\n1-3-123\r\n",
	} {
		if got := mc.Do(cmd); got != "STORED\r\n" {
			t.Fatalf("%q: %q", cmd, got)
		}
	}
	c := mctest.Dial(t, p.Addr)
	// hide_reply_flag: the client sees its own flags (1) only.
	if got := c.Do("get hm\r\n"); got != "VALUE hm 1 12\r\nhello,world!\r\nEND\r\n" {
		t.Errorf("hand-made index: %q", got)
	}
	if got := c.Do("get a hm b\r\n"); got != "VALUE hm 1 12\r\nhello,world!\r\nEND\r\n" {
		t.Errorf("in a multi-get: %q", got)
	}
	if got := mc.Do("delete hm:1:123\r\n"); got != "DELETED\r\n" {
		t.Fatal(got)
	}
	if got := c.Do("get hm\r\n"); got != "END\r\n" {
		t.Errorf("missing chunk: %q, want a miss", got)
	}
	// A big value set through mcroute, then one of its chunks lost.
	value := "0123456789abcdefghijKLMNOPQRSTuvwxyz"
	s := bigSuffix([]byte(value))
	if got := c.Do("set big 3 0 36\r\n" + value + "\r\n"); got != "STORED\r\n" {
		t.Fatal(got)
	}
	if got := mc.Do("get big\r\n"); got != "VALUE big 32771 "+strconv.Itoa(len("1-4-"+s))+"\r\n1-4-"+s+"\r\nEND\r\n" {
		t.Errorf("index: %q", got)
	}
	if got := c.Do("gets big\r\n"); !strings.HasPrefix(got, "VALUE big 3 36 ") || !strings.HasSuffix(got, "\r\n"+value+"\r\nEND\r\n") {
		t.Errorf("gets: %q", got)
	}
	if got := mc.Do("delete big:3:" + s + "\r\n"); got != "DELETED\r\n" {
		t.Fatal(got)
	}
	if got := c.Do("get big\r\n"); got != "END\r\n" {
		t.Errorf("lost last chunk: %q, want a miss", got)
	}
	// At the threshold: stored whole.
	if got := c.Do("set small 0 0 10\r\n0123456789\r\n"); got != "STORED\r\n" {
		t.Fatal(got)
	}
	if got := mc.Do("get small\r\n"); got != "VALUE small 0 10\r\n0123456789\r\nEND\r\n" {
		t.Errorf("small value on the server: %q", got)
	}
}
