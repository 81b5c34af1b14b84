package router

import (
	"net"
	"sync"

	"mcroute/router/hashfunc"
)

// HostID returns mcrouter's host id (mcrouter-behaviour.md §2.1, §3.5): a
// 32-bit hash of the first local IP address that is neither loopback nor
// link-local, or 0 when there is none (or the addresses cannot be read).
// It is computed once per process. HostIdRoute, and the JSONM global
// "hostid", use it.
//
// The hash is folly's IPAddress::hash() truncated to 32 bits, as mcrouter
// stores it (Linux, 64-bit size_t):
//
//	IPv4: hash_128_to_64(AF_INET=2, fnv32(the 4 address bytes))
//	      where fnv32 is folly's FNV-1 over *signed* chars
//	IPv6: hash_128_to_64(10 /* AF_INET6 on Linux */,
//	      hash_128_to_64(SpookyHashV2_128(the 16 bytes, 0, 0)))
//	      (an IPv4-mapped IPv6 address hashes as its IPv4 address)
//
// Differences from mcrouter that can remain: mcrouter walks getifaddrs(3)
// and takes the first usable address; this walks net.InterfaceAddrs, which
// on Linux reads the same netlink address dump in the same order (IPv4
// addresses before IPv6, by interface), so the same address should win, but
// on other systems the order (and AF_INET6's value, 30 on macOS) may
// differ. No mcrouter-computed hostid was available to check against; the
// pieces (FNV-1, CityHash's Hash128to64, SpookyHash V2) are the same code
// the hash functions use.
func HostID() uint32 { return hostID() }

var hostID = sync.OnceValue(func() uint32 {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return 0
	}
	ips := make([]net.IP, 0, len(addrs))
	for _, a := range addrs {
		switch a := a.(type) {
		case *net.IPNet:
			ips = append(ips, a.IP)
		case *net.IPAddr:
			ips = append(ips, a.IP)
		}
	}
	return hostIDOf(ips)
})

// hostIDOf is the host id given the local addresses in enumeration order.
func hostIDOf(ips []net.IP) uint32 {
	for _, ip := range ips {
		if ip == nil || ip.IsLoopback() || ip.IsLinkLocalUnicast() {
			continue
		}
		if v4 := ip.To4(); v4 != nil {
			return uint32(ipv4Hash(v4))
		}
		if v6 := ip.To16(); v6 != nil {
			return uint32(ipv6Hash(v6))
		}
	}
	return 0
}

// ipv4Hash is folly::IPAddressV4::hash().
func ipv4Hash(ip net.IP) uint64 {
	const afInet = 2
	return hashfunc.Hash128to64(afInet, uint64(fnv32Signed(ip)))
}

// ipv6Hash is folly::IPAddressV6::hash() for a non-IPv4-mapped address.
func ipv6Hash(ip net.IP) uint64 {
	const afInet6 = 10 // Linux
	h1, h2 := hashfunc.SpookyHash128(ip, 0, 0)
	return hashfunc.Hash128to64(afInet6, hashfunc.Hash128to64(h1, h2))
}

// fnv32Signed is folly::hash::fnv32_buf: FNV-1 whose bytes are
// sign-extended before the xor ("forcing signed char").
func fnv32Signed(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h *= 16777619 // h += h<<1 + h<<4 + h<<7 + h<<8 + h<<24
		h ^= uint32(int32(int8(c)))
	}
	return h
}

// twangMix64 is hashfunc.TwangMix64 (folly::hash::twang_mix64).
var twangMix64 = hashfunc.TwangMix64

// saltedHostID is mcrouter's HostIdRoute hash with a salt:
// folly::Hash()(size_t(hostid), salt) = hash_128_to_64(twang_mix64(hostid),
// SpookyHashV2_64(salt, 0)).
func saltedHostID(hostid uint32, salt string) uint64 {
	return hashfunc.Hash128to64(twangMix64(uint64(hostid)), hashfunc.SpookyHash64([]byte(salt), 0))
}
