package engine_test

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// scriptedServer is a memcached stand-in whose replies the test releases
// one at a time: each request line read is reported on lines, and each
// string sent on replies is written to the proxy.
type scriptedServer struct {
	addr    string
	lines   chan string
	replies chan string
}

func startScripted(t *testing.T) *scriptedServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scriptedServer{addr: ln.Addr().String(), lines: make(chan string, 64), replies: make(chan string)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		t.Cleanup(func() { c.Close() })
		go func() {
			for r := range s.replies {
				if _, err := c.Write([]byte(r)); err != nil {
					return
				}
			}
		}()
		br := bufio.NewReader(c)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			s.lines <- strings.TrimRight(l, "\r\n")
		}
	}()
	return s
}

// expect waits for the server to read each of want, in order.
func (s *scriptedServer) expect(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case l := <-s.lines:
			if l != w {
				t.Fatalf("server read %q, want %q", l, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("server did not read %q", w)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestReadAnsweredInOneWrite: the replies to the requests of one client
// read are written together once all are in, though they arrive in
// different loop wake-ups (as from several servers); a read answered in
// full is written at once though a later read is still in flight.
func TestReadAnsweredInOneWrite(t *testing.T) {
	srv := startScripted(t)
	p := startProxy(t, poolConfig(srv.addr), engine.Options{NumLoops: 1}, router.Options{})
	c := mctest.Dial(t, p.Addr)

	// One read, two requests (deletes: gets to one server would be
	// coalesced into one line): the first reply is held back until the
	// second arrives.
	c.Send("delete a\r\ndelete b\r\n")
	srv.expect(t, "delete a", "delete b")
	before := p.E.HeldBack()
	srv.replies <- "DELETED\r\n"
	waitFor(t, "the first reply to be held back", func() bool { return p.E.HeldBack() > before })
	srv.replies <- "NOT_FOUND\r\n"
	if got := c.ReadReply(); got != "DELETED\r\n" {
		t.Fatalf("first reply %q", got)
	}
	if got := c.ReadReply(); got != "NOT_FOUND\r\n" {
		t.Fatalf("second reply %q", got)
	}

	// Two reads: the first one's reply is not held for the second's.
	c.Send("get c\r\n")
	srv.expect(t, "get c")
	c.Send("get d\r\n")
	srv.expect(t, "get d")
	srv.replies <- "END\r\n"
	if got, err := c.TryReadReply(5 * time.Second); err != nil || got != "END\r\n" {
		t.Fatalf("reply to an answered read held back: %q, %v", got, err)
	}
	srv.replies <- "VALUE d 0 1\r\n3\r\nEND\r\n"
	if got := c.ReadReply(); got != "VALUE d 0 1\r\n3\r\nEND\r\n" {
		t.Fatalf("reply to the second read: %q", got)
	}

	// A read of three, a local reply last: nothing is written until both
	// servers' replies are in, then all three in order.
	c.Send("delete e\r\nget f\r\nversion\r\n")
	srv.expect(t, "delete e", "get f")
	before = p.E.HeldBack()
	srv.replies <- "NOT_FOUND\r\n"
	waitFor(t, "the reply to be held back", func() bool { return p.E.HeldBack() > before })
	srv.replies <- "END\r\n"
	for _, want := range []string{"NOT_FOUND\r\n", "END\r\n"} {
		if got := c.ReadReply(); got != want {
			t.Fatalf("reply %q, want %q", got, want)
		}
	}
	if got := c.ReadReply(); !strings.HasPrefix(got, "VERSION ") {
		t.Fatalf("version reply %q", got)
	}
}

// TestHoldIsBounded: a reply held back for the rest of its read is
// written after holdMax though the rest never comes (a dead or slow
// server behind a later request of the same read), long before that
// request's own timeout; the late reply follows in order when it comes.
func TestHoldIsBounded(t *testing.T) {
	srv := startScripted(t)
	p := startProxy(t, poolConfig(srv.addr), engine.Options{NumLoops: 1}, router.Options{ServerTimeout: time.Minute})
	c := mctest.Dial(t, p.Addr)
	c.Send("delete a\r\ndelete b\r\n")
	srv.expect(t, "delete a", "delete b")
	before := p.E.HeldBack()
	srv.replies <- "DELETED\r\n"
	// The second reply is not released until the first one has arrived.
	if got, err := c.TryReadReply(10 * time.Second); err != nil || got != "DELETED\r\n" {
		t.Fatalf("first reply %q, %v: held until the second one", got, err)
	}
	if p.E.HeldBack() == before {
		t.Fatal("the first reply was not held back at all")
	}
	srv.replies <- "NOT_FOUND\r\n"
	if got := c.ReadReply(); got != "NOT_FOUND\r\n" {
		t.Fatalf("second reply %q", got)
	}
}
