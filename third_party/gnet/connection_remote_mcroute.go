// mcroute patch (PATCH.md §5, §8), ours whole: a conn keeps its remote
// address in one field, compact for accepted IPv4 and IPv6 peers, and
// builds RemoteAddr from it on demand.

//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package gnet

import (
	"encoding/binary"
	"net"

	"golang.org/x/sys/unix"

	"github.com/panjf2000/gnet/v2/pkg/socket"
)

// conn.peer holds (upstream kept remote unix.Sockaddr and remoteAddr
// net.Addr, 32 B of fields, plus a 32 B Sockaddr and, before §5, a 48 B
// net.TCPAddr per accepted connection):
//
//   - nil: a closed (released) stream conn; a released UDP conn keeps
//     its Sockaddr for sendTo, as upstream kept remote, and RemoteAddr
//     returns nil for it (released), as upstream's;
//   - net.Addr: the remoteAddr upstream was given (enrolled connections,
//     and accepted ones under the source-address-hash balancer, which
//     needs it anyway); RemoteAddr returns it as upstream did;
//   - inet4Peer, inet6Peer: an accepted IPv4 or IPv6 peer (8 B and 24 B
//     on the heap, instead of the 32 B Sockaddr);
//   - unix.Sockaddr: UDP peers (sendTo needs it) and accepted peers of
//     other families.

// inet4Peer is an IPv4 peer: the address (big-endian) << 16 | the port.
type inet4Peer uint64

// inet6Peer is an IPv6 peer.
type inet6Peer struct {
	addr [16]byte
	port uint16
	zone uint32
}

// newAcceptedConn is newStreamConn for an accepted socket: remoteAddr is
// non-nil only when the load balancer needed one (balanceAddr).
func newAcceptedConn(proto string, fd int, el *eventloop, p socket.Peer, localAddr, remoteAddr net.Addr) *conn {
	c := newStreamConn(proto, fd, el, nil, localAddr, remoteAddr)
	if remoteAddr == nil {
		c.peer = compactPeer(&p)
	}
	return c
}

func compactPeer(p *socket.Peer) any {
	switch p.Family {
	case unix.AF_INET:
		return inet4Peer(uint64(binary.BigEndian.Uint32(p.Addr[:4]))<<16 | uint64(p.Port))
	case unix.AF_INET6:
		return inet6Peer{addr: p.Addr, port: p.Port, zone: p.Zone}
	}
	return p.Sockaddr
}

// balanceAddr returns the remote address the load balancer needs to pick
// a loop for an accepted connection: only the source-address hash looks at
// it, so the others get nil and no net.TCPAddr is built.
func (el *eventloop) balanceAddr(p socket.Peer) net.Addr {
	if _, ok := el.engine.eventLoops.(*sourceAddrHashLoadBalancer); ok {
		return socket.SockaddrToTCPOrUnixAddr(p.ToSockaddr())
	}
	return nil
}

// remoteAddr is RemoteAddr: the net.Addr given at creation, or a new one
// built from the peer at each call (nil once the connection is closed, as
// upstream's). Building it per call rather than caching it keeps
// RemoteAddr free of writes, so it stays as safe to call off the loop as
// upstream's.
func (c *conn) remoteAddr() net.Addr {
	if c.released {
		return nil
	}
	switch p := c.peer.(type) {
	case net.Addr:
		return p
	case inet4Peer:
		sa := &unix.SockaddrInet4{Port: int(uint16(p))}
		binary.BigEndian.PutUint32(sa.Addr[:], uint32(p>>16))
		return socket.SockaddrToTCPOrUnixAddr(sa)
	case inet6Peer:
		return socket.SockaddrToTCPOrUnixAddr(&unix.SockaddrInet6{Port: int(p.port), ZoneId: p.zone, Addr: p.addr})
	case unix.Sockaddr:
		if c.isDatagram {
			return socket.SockaddrToUDPAddr(p)
		}
		return socket.SockaddrToTCPOrUnixAddr(p)
	}
	return nil
}
