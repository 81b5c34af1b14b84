package engine_test

import (
	"encoding/json"
	"strings"
	"testing"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// TestRouteMadeKeyTooLong: a route that makes a key longer than memcached
// accepts (here a suffix on a 245-byte key) fails that request with
// SERVER_ERROR The key provided is invalid and never sends it, so the
// requests pipelined after it get their own replies (memcached would have
// answered the set twice, and bob's incr would have got alice's value).
func TestRouteMadeKeyTooLong(t *testing.T) {
	m := mctest.StartMemcached(t)
	cfg, _ := json.Marshal(map[string]any{
		"pools": map[string]any{"A": map[string]any{"servers": []string{m.Addr}}},
		"route": map[string]any{"type": "ModifyKeyRoute", "set_key_suffix": ":suffix12345", "target": "PoolRoute|A"},
	})
	p := startProxy(t, string(cfg), engine.Options{NumLoops: 1}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	if got := c.Do("set alice 0 0 2\r\n10\r\n"); got != "STORED\r\n" {
		t.Fatalf("set alice: %q", got)
	}
	if got := c.Do("set bob 0 0 3\r\n100\r\n"); got != "STORED\r\n" {
		t.Fatalf("set bob: %q", got)
	}
	long := strings.Repeat("k", 245)
	c.Send("set " + long + " 0 0 1\r\nx\r\nincr alice 1\r\nincr bob 1\r\nget a " + long + " alice\r\n")
	want := []string{
		"SERVER_ERROR The key provided is invalid\r\n",
		"11\r\n",
		"101\r\n",
	}
	for i, w := range want {
		if got := c.ReadReply(); got != w {
			t.Fatalf("reply %d: %q, want %q", i, got, w)
		}
	}
	// A multi-get with the bad key: the engine reports the key's error
	// (mcrouter's multi-get rule), and the server connection stays in step.
	if got := c.ReadReply(); strings.Contains(got, "VALUE a ") {
		t.Fatalf("get: %q", got)
	}
	if got := c.Do("get alice bob\r\n"); got != "VALUE alice 0 2\r\n11\r\nVALUE bob 0 3\r\n101\r\nEND\r\n" {
		t.Fatalf("get after: %q", got)
	}
}

// TestTenThousandByteKey: as mcrouter's test_bad_key_* expect, a
// 10,000-byte key in set, get, delete, append and prepend is answered
// CLIENT_ERROR bad key, nothing reaches memcached, and the connection stays
// usable.
func TestTenThousandByteKey(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startProxy(t, poolConfig(m.Addr), engine.Options{NumLoops: 1}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	k := strings.Repeat("x", 10000)
	for _, req := range []string{
		"set " + k + " 0 0 5\r\nhello\r\n",
		"get " + k + "\r\n",
		"delete " + k + "\r\n",
		"append " + k + " 0 0 5\r\nhello\r\n",
		"prepend " + k + " 0 0 5\r\nhello\r\n",
	} {
		if got := c.Do(req); got != "CLIENT_ERROR bad key\r\n" {
			t.Fatalf("%.12s…: %q, want CLIENT_ERROR bad key", req, got)
		}
		if got := c.Do("set after 0 0 2\r\nok\r\n"); got != "STORED\r\n" {
			t.Fatalf("after %.12s…: %q", req, got)
		}
	}
}
