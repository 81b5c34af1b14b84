// mcroute patch (PATCH.md §8), ours whole: without poll_opt the poller
// finds a conn by fd and calls c.processIO itself, and reads nothing but
// the fd from a PollAttachment, so a conn keeps none (16 B).

//go:build (darwin || dragonfly || freebsd || linux || netbsd || openbsd) && !poll_opt

package gnet

import "github.com/panjf2000/gnet/v2/pkg/netpoll"

// connPoll is embedded in conn: empty here.
type connPoll struct{}

// attachment is the conn's PollAttachment for the poller's Add/Mod calls:
// built on the caller's stack (the poller does not keep it).
func (c *conn) attachment() *netpoll.PollAttachment {
	return c.connPoll.forFD(c.fd)
}

func (connPoll) forFD(fd int) *netpoll.PollAttachment {
	return &netpoll.PollAttachment{FD: fd}
}

// initStreamPoll and initUDPPoll set up the conn's PollAttachment:
// nothing to keep here.
func (*conn) initStreamPoll() {}
func (*conn) initUDPPoll()    {}
