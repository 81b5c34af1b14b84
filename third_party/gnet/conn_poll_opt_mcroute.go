// mcroute patch (PATCH.md §8), ours whole: with poll_opt the poller keeps
// a pointer to the conn's PollAttachment and calls its Callback, so the
// conn holds one, as upstream's.

//go:build (darwin || dragonfly || freebsd || linux || netbsd || openbsd) && poll_opt

package gnet

import "github.com/panjf2000/gnet/v2/pkg/netpoll"

// connPoll is embedded in conn: the attachment the poller points to.
type connPoll struct {
	pollAttachment netpoll.PollAttachment // connection attachment for poller
}

// attachment is the conn's PollAttachment.
func (c *conn) attachment() *netpoll.PollAttachment {
	return &c.pollAttachment
}

// initStreamPoll and initUDPPoll set up the conn's PollAttachment with
// the callback the poller calls for its events, as upstream's
// constructors did.
func (c *conn) initStreamPoll() {
	c.pollAttachment = netpoll.PollAttachment{FD: c.fd, Callback: c.processIO}
}

func (c *conn) initUDPPoll() {
	c.pollAttachment = netpoll.PollAttachment{FD: c.fd, Callback: c.loop.readUDP}
}
