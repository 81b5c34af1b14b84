package router

import (
	"hash/fnv"
	"net"
	"strings"
	"testing"

	"mcroute/router/hashfunc"
)

func TestFnv32Signed(t *testing.T) {
	// ASCII bytes: plain FNV-1.
	for _, s := range []string{"", "a", "foobar", "\x0a\x00\x00\x01"} {
		h := fnv.New32()
		h.Write([]byte(s))
		if got, want := fnv32Signed([]byte(s)), h.Sum32(); got != want {
			t.Errorf("fnv32(%q) = %#x, want FNV-1 %#x", s, got, want)
		}
	}
	// Bytes >= 0x80 are sign-extended (folly's "forcing signed char").
	basis, prime := uint32(2166136261), uint32(16777619)
	want := (basis * prime) ^ 0xffffffc0
	if got := fnv32Signed([]byte{0xc0}); got != want {
		t.Errorf("fnv32(0xc0) = %#x, want %#x", got, want)
	}
}

func TestHostIDOf(t *testing.T) {
	ip := net.ParseIP
	v4 := uint32(hashfunc.Hash128to64(2, uint64(fnv32Signed([]byte{10, 1, 2, 3}))))
	v6h1, v6h2 := hashfunc.SpookyHash128(ip("2001:db8::1").To16(), 0, 0)
	v6 := uint32(hashfunc.Hash128to64(10, hashfunc.Hash128to64(v6h1, v6h2)))
	for _, tc := range []struct {
		name string
		ips  []net.IP
		want uint32
	}{
		{"none", nil, 0},
		{"only loopback and link-local", []net.IP{ip("127.0.0.1"), ip("::1"), ip("169.254.1.1"), ip("fe80::1")}, 0},
		{"first usable v4", []net.IP{ip("127.0.0.1"), ip("169.254.3.3"), ip("10.1.2.3"), ip("192.168.0.1")}, v4},
		{"v4 in 16-byte form", []net.IP{ip("10.1.2.3").To16()}, v4},
		{"v4-mapped v6 hashes as v4", []net.IP{ip("::ffff:10.1.2.3")}, v4},
		{"v6", []net.IP{ip("fe80::2"), ip("2001:db8::1"), ip("10.1.2.3")}, v6},
	} {
		if got := hostIDOf(tc.ips); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if v4 == v6 || v4 == 0 {
		t.Errorf("suspicious hashes %d %d", v4, v6)
	}
}

func TestHostID(t *testing.T) {
	a, b := HostID(), HostID()
	if a != b {
		t.Fatalf("HostID changed: %d, %d", a, b)
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skip(err)
	}
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ips = append(ips, n.IP)
		}
	}
	if want := hostIDOf(ips); a != want {
		t.Errorf("HostID %d, want %d from %v", a, want, ips)
	}
	t.Logf("hostid %d (from %v)", a, ips)
}

func TestHostIdRoute(t *testing.T) {
	defer func(f func() uint32) { hostIDFunc = f }(hostIDFunc)
	pool := `"pools":{"A":{"servers":["127.0.0.1:1","127.0.0.1:2","127.0.0.1:3"]}}`
	for _, tc := range []struct {
		hostid uint32
		cfg    string
		want   string
	}{
		{7, `{` + pool + `,"route":"HostIdRoute|Pool|A"}`, "host|pool=A|id=1|ap=127.0.0.1:2:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0"},
		{9, `{` + pool + `,"route":{"type":"HostIdRoute","children":"Pool|A"}}`, "host|pool=A|id=0|ap=127.0.0.1:1:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0"},
		{4, `{` + pool + `,"route":{"type":"HostIdRoute","children":["PoolRoute|A","NullRoute"]}}`, "selection|hash|Ch3"},
		{5, `{` + pool + `,"route":{"type":"HostIdRoute","children":["PoolRoute|A","NullRoute"]}}`, "null"},
		{5, `{` + pool + `,"route":{"type":"HostIdRoute","children":[]}}`, "null"},
		{5, `{` + pool + `,"route":{"type":"HostIdRoute"}}`, "null"},
	} {
		hostIDFunc = func() uint32 { return tc.hostid }
		if got := built(t, tc.cfg).Name(); got != tc.want {
			t.Errorf("hostid %d, %s: built %s, want %s", tc.hostid, tc.cfg, got, tc.want)
		}
	}
	// With a salt: folly::Hash()(hostid, salt) % n.
	for hostid := uint32(0); hostid < 50; hostid++ {
		hostIDFunc = func() uint32 { return hostid }
		h := saltedHostID(hostid, "abc")
		want := []string{"host|pool=A|id=0|ap=127.0.0.1:1:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0", "host|pool=A|id=1|ap=127.0.0.1:2:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0", "host|pool=A|id=2|ap=127.0.0.1:3:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0"}[h%3]
		if got := built(t, `{`+pool+`,"route":{"type":"HostIdRoute","children":"Pool|A","salt":"abc"}}`).Name(); got != want {
			t.Fatalf("hostid %d salted: built %s, want %s", hostid, got, want)
		}
	}
	if msg := buildErr(t, `{`+pool+`,
"route":{"type":"HostIdRoute","children":"Pool|A",
"salt":1}}`); !strings.Contains(msg, "t.json:3") || !strings.Contains(msg, "salt") {
		t.Errorf("error %q does not name the place and the field", msg)
	}
}

// TestSaltedHostID pins the salted hash to its definition: hash_128_to_64
// of twang_mix64(hostid) and SpookyHashV2-64(salt, 0).
func TestSaltedHostID(t *testing.T) {
	if twangMix64(0) == 0 || twangMix64(1) == twangMix64(2) {
		t.Fatal("twang_mix64 broken")
	}
	// twang_mix64 is a bijection: distinct inputs, distinct outputs.
	seen := map[uint64]bool{}
	for i := uint64(0); i < 1000; i++ {
		seen[twangMix64(i)] = true
	}
	if len(seen) != 1000 {
		t.Fatal("twang_mix64 collides")
	}
	got := saltedHostID(12345, "s")
	want := hashfunc.Hash128to64(twangMix64(12345), hashfunc.SpookyHash64([]byte("s"), 0))
	if got != want {
		t.Fatalf("%d != %d", got, want)
	}
	if hostIDIndex(12345, "", 7) != 12345%7 {
		t.Fatal("unsalted index is not hostid % n")
	}
}
