package engine_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// protocolPoolConfig is poolConfig with the pool's "protocol" set.
func protocolPoolConfig(protocol string, servers ...string) string {
	b, _ := json.Marshal(map[string]any{
		"pools": map[string]any{"A": map[string]any{"protocol": protocol, "servers": servers}},
		"route": "PoolRoute|A",
	})
	return string(b)
}

// TestMetaPoolSameBytesAsASCII runs one script through two mcroutes, each
// in front of three fresh memcacheds: one pool speaks ASCII to them, the
// other meta. Every reply the client gets must be byte-identical.
func TestMetaPoolSameBytesAsASCII(t *testing.T) {
	start := func(protocol string) *mctest.Client {
		ms := []*mctest.Memcached{mctest.StartMemcached(t), mctest.StartMemcached(t), mctest.StartMemcached(t)}
		p := startProxy(t, protocolPoolConfig(protocol, addrs(ms)...), engine.Options{EnableFlush: true}, router.Options{})
		return mctest.Dial(t, p.Addr)
	}
	ac, mc := start("ascii"), start("meta")

	big := strings.Repeat("x", 300*1024)
	keys := make([]string, 12)
	for i := range keys {
		keys[i] = fmt.Sprintf("mk%d", i)
	}
	multi := "get " + strings.Join(keys, " ") + " missing " + keys[3] + "\r\n"
	cmds := []string{
		"get missing\r\n",
		"gets missing\r\n",
		"gat 100 missing\r\n",
		"gats 100 missing\r\n",
		"set k 1 0 5\r\nhello\r\n",
		"get k\r\n",
		"gets k\r\n",
		"gat 100 k\r\n",
		"gats 0 k\r\n",
		"set k2 4294967295 0 0\r\n\r\n",
		"get k2 k missing k\r\n",
	}
	for i, k := range keys {
		if i%3 != 0 { // a third of them miss
			cmds = append(cmds, fmt.Sprintf("set %s %d 0 %d\r\n%s\r\n", k, i, len(k), k))
		}
	}
	cmds = append(cmds, multi, "gets "+strings.Join(keys, " ")+"\r\n",
		"add k 0 0 1\r\nx\r\n",
		"add k3 0 0 1\r\nx\r\n",
		"replace k3 7 0 2\r\nyy\r\n",
		"replace nope 0 0 1\r\nx\r\n",
		"append k 0 0 3\r\n!!!\r\n",
		"prepend k 0 0 3\r\n>>>\r\n",
		"append nope 0 0 1\r\nx\r\n",
		"prepend nope 0 0 1\r\nx\r\n",
		"get k\r\n",
		"cas k 0 0 1 999999\r\nz\r\n",
		"cas nope 0 0 1 1\r\nz\r\n",
		"set n 0 0 2\r\n10\r\n",
		"incr n 5\r\n",
		"decr n 100\r\n",
		"incr n 18446744073709551615\r\n",
		"incr k 1\r\n",
		"decr k 1\r\n",
		"incr nope 1\r\n",
		"decr nope 1\r\n",
		"touch k 100\r\n",
		"touch nope 100\r\n",
		"delete k3\r\n",
		"delete k3\r\n",
		"delete k 0\r\n",
		"delete k2 10\r\n",
		"set bin 0 0 6\r\na\r\nb\r\n\r\n",
		"get bin\r\n",
		"set big 0 0 "+fmt.Sprint(len(big))+"\r\n"+big+"\r\n",
		"get big\r\n",
		"set nr 0 0 1 noreply\r\n1\r\nget nr\r\n",
		"flush_all\r\n",
		multi,
		"get nr bin\r\n",
	)
	same := func(cmd string) (string, string) {
		t.Helper()
		ac.Send(cmd)
		mc.Send(cmd)
		a, m := ac.ReadReply(), mc.ReadReply()
		if a != m {
			t.Errorf("%q:\n ascii: %q\n meta:  %q", short(cmd), short(a), short(m))
		}
		return a, m
	}
	for _, cmd := range cmds {
		same(cmd)
	}

	// cas with the unique each side read (they may differ).
	same("set c 0 0 1\r\n1\r\n")
	a, m := same("gets c\r\n")
	casOf := func(s string) string {
		f := strings.Fields(strings.SplitN(s, "\r\n", 2)[0])
		if len(f) != 5 {
			t.Fatalf("gets: %q", s)
		}
		return f[4]
	}
	ac.Send("cas c 0 0 1 " + casOf(a) + "\r\n2\r\n")
	mc.Send("cas c 0 0 1 " + casOf(m) + "\r\n2\r\n")
	if a, m := ac.ReadReply(), mc.ReadReply(); a != "STORED\r\n" || m != a {
		t.Errorf("cas with the right unique: ascii %q, meta %q", a, m)
	}
	same("cas c 0 0 1 " + casOf(m) + "\r\n3\r\n") // the unique changed: EXISTS
	same("get c\r\n")

	// The meta pool really is meta, and no connection was dropped.
	st := mc.Do("stats servers\r\n")
	if strings.Count(st, ":meta:plain:notcompressed-1000 ") != 3 || strings.Contains(st, "remote_error") {
		t.Errorf("meta stats servers: %q", st)
	}
	if st := ac.Do("stats servers\r\n"); strings.Count(st, ":ascii:plain:notcompressed-1000 ") != 3 {
		t.Errorf("ascii stats servers: %q", st)
	}
}
