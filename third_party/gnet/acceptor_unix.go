// Copyright (c) 2021 The Gnet Authors. All rights reserved.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package gnet

import (
	"net"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/panjf2000/gnet/v2/pkg/netpoll"
	"github.com/panjf2000/gnet/v2/pkg/queue"
	"github.com/panjf2000/gnet/v2/pkg/socket"
)

func (el *eventloop) accept0(fd int, _ netpoll.IOEvent, _ netpoll.IOFlags) error {
	if el.backoff.paused { // mcroute patch: accepts are paused
		return nil
	}
	for {
		nfd, peer, err := socket.AcceptPeer(fd) // mcroute patch: the peer as a value (PATCH.md §8)
		switch err {
		case nil:
		case unix.EAGAIN: // the Accept queue has been drained out, we can return now
			el.endAcceptBackoff() // mcroute patch: ends a back-off episode
			return nil
		case unix.EINTR, unix.ECONNRESET, unix.ECONNABORTED,
			// mcroute patch: accept(2) passes on a pending network error
			// of the new socket; Linux's man page says to retry.
			unix.EPROTO, unix.EPERM, unix.ENETDOWN, unix.ENOPROTOOPT, unix.EHOSTDOWN,
			unix.EHOSTUNREACH, unix.ENETUNREACH:
			// ECONNRESET or ECONNABORTED could indicate that a socket
			// in the Accept queue was closed before we Accept()ed it.
			// It's a silly error, let's retry it.
			continue
		default:
			// mcroute patch: only a broken listener stops the engine; out
			// of descriptors or memory, stop polling the listeners for a
			// while instead (acceptor_backoff_unix.go).
			return el.acceptFailed(err, true)
		}

		// mcroute patch: no net.TCPAddr per connection (connection_remote_mcroute.go).
		remoteAddr := el.balanceAddr(peer)
		network := el.listeners[fd].network
		if opts := el.engine.opts; opts.TCPKeepAlive > 0 && network == "tcp" &&
			(runtime.GOOS != "linux" && runtime.GOOS != "freebsd" && runtime.GOOS != "dragonfly") {
			// TCP keepalive options are not inherited from the listening socket
			// on platforms other than Linux, FreeBSD, or DragonFlyBSD.
			// We therefore need to set them on the accepted socket explicitly.
			//
			// Check out https://github.com/nginx/nginx/pull/337 for details.
			if err = setKeepAlive(
				nfd,
				true,
				opts.TCPKeepAlive,
				opts.TCPKeepInterval,
				opts.TCPKeepCount); err != nil {
				el.getLogger().Errorf("failed to set TCP keepalive on fd=%d: %v", fd, err)
			}
		}

		el := el.engine.eventLoops.next(remoteAddr)
		c := newAcceptedConn(network, nfd, el, peer, el.listeners[fd].addr, remoteAddr) // mcroute patch
		err = el.poller.Trigger(queue.HighPriority, registerConn, c)                    // mcroute patch: no method value
		if err != nil {
			el.getLogger().Errorf("failed to enqueue the accepted socket fd=%d to poller: %v", c.fd, err)
			_ = unix.Close(nfd)
			c.release()
		}
	}
}

func (el *eventloop) accept(fd int, ev netpoll.IOEvent, flags netpoll.IOFlags) error {
	network := el.listeners[fd].network
	if network == "udp" {
		return el.readUDP(fd, ev, flags)
	}

	if el.backoff.paused { // mcroute patch: accepts are paused
		return nil
	}
	nfd, peer, err := socket.AcceptPeer(fd) // mcroute patch: the peer as a value (PATCH.md §8)
	switch err {
	case nil:
		el.endAcceptBackoff() // mcroute patch: ends a back-off episode
	case unix.EINTR, unix.EAGAIN, unix.ECONNRESET, unix.ECONNABORTED,
		// mcroute patch: pending network errors of the new socket.
		unix.EPROTO, unix.EPERM, unix.ENETDOWN, unix.ENOPROTOOPT, unix.EHOSTDOWN,
		unix.EHOSTUNREACH, unix.ENETUNREACH:
		// ECONNRESET or ECONNABORTED could indicate that a socket
		// in the Accept queue was closed before we Accept()ed it.
		// It's a silly error, let's retry it.
		return nil
	default:
		// mcroute patch: see accept0.
		return el.acceptFailed(err, false)
	}

	// mcroute patch: no net.TCPAddr per connection (connection_remote_mcroute.go).
	var remoteAddr net.Addr
	if opts := el.engine.opts; opts.TCPKeepAlive > 0 && el.listeners[fd].network == "tcp" &&
		(runtime.GOOS != "linux" && runtime.GOOS != "freebsd" && runtime.GOOS != "dragonfly") {
		// TCP keepalive options are not inherited from the listening socket
		// on platforms other than Linux, FreeBSD, or DragonFlyBSD.
		// We therefore need to set them on the accepted socket explicitly.
		//
		// Check out https://github.com/nginx/nginx/pull/337 for details.
		if err = setKeepAlive(
			nfd,
			true,
			opts.TCPKeepAlive,
			opts.TCPKeepInterval,
			opts.TCPKeepCount); err != nil {
			el.getLogger().Errorf("failed to set TCP keepalive on fd=%d: %v", fd, err)
		}
	}

	c := newAcceptedConn(network, nfd, el, peer, el.listeners[fd].addr, remoteAddr) // mcroute patch
	return el.register0(c)
}
