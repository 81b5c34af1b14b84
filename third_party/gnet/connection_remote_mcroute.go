// mcroute patch (PATCH.md §5), ours whole: accepted stream connections
// keep only the kernel's Sockaddr and build RemoteAddr from it on demand.

//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package gnet

import (
	"net"

	"golang.org/x/sys/unix"

	"github.com/panjf2000/gnet/v2/pkg/socket"
)

// balanceAddr returns the remote address the load balancer needs to pick
// a loop for an accepted connection: only the source-address hash looks at
// it, so the others get nil and no net.TCPAddr is built.
func (el *eventloop) balanceAddr(sa unix.Sockaddr) net.Addr {
	if _, ok := el.engine.eventLoops.(*sourceAddrHashLoadBalancer); ok {
		return socket.SockaddrToTCPOrUnixAddr(sa)
	}
	return nil
}

// lazyRemoteAddr is RemoteAddr for an accepted stream connection, whose
// remoteAddr is left nil: a new net.Addr built from the Sockaddr at each
// call (nil once the connection is closed, as upstream's). Building it
// per call rather than caching it keeps RemoteAddr free of writes, so it
// stays as safe to call off the loop as upstream's.
func (c *conn) lazyRemoteAddr() net.Addr {
	if sa := c.remote; sa != nil && !c.isDatagram {
		return socket.SockaddrToTCPOrUnixAddr(sa)
	}
	return nil
}
