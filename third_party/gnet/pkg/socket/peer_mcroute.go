// mcroute patch (PATCH.md §8), ours whole: an accepted connection's peer
// address as a value, so that accepting allocates nothing for it.

//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package socket

import "golang.org/x/sys/unix"

// Peer is the remote address of an accepted socket. For IPv4 and IPv6
// peers Family is AF_INET or AF_INET6 and Port, Zone and Addr (IPv4 in its
// first four bytes) hold it; otherwise Family is 0 and Sockaddr holds it.
type Peer struct {
	Family   uint16
	Port     uint16
	Zone     uint32 // IPv6 scope id
	Addr     [16]byte
	Sockaddr unix.Sockaddr
}

// ToSockaddr returns p as the unix.Sockaddr that Accept would have
// returned (a new one for IPv4 and IPv6).
func (p *Peer) ToSockaddr() unix.Sockaddr {
	switch p.Family {
	case unix.AF_INET:
		sa := &unix.SockaddrInet4{Port: int(p.Port)}
		copy(sa.Addr[:], p.Addr[:4])
		return sa
	case unix.AF_INET6:
		return &unix.SockaddrInet6{Port: int(p.Port), ZoneId: p.Zone, Addr: p.Addr}
	}
	return p.Sockaddr
}
