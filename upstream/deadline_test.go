package upstream

import (
	"math"
	"strings"
	"testing"
	"time"

	"mcroute/codec/mc"
)

// TestDeadlineFollowsRequests: the loop's deadline is a request's reply
// timeout while one is pending, the wedge check after it timed out, and
// none once everything is answered, so an idle loop can sleep.
func TestDeadlineFollowsRequests(t *testing.T) {
	c, f, r := newTestConn(t)
	l := c.loop
	if d := l.Deadline(); d != math.MaxInt64 {
		t.Fatalf("a Conn with nothing queued gave the loop deadline %d", d)
	}
	get(c, r, mc.OpGet, "a")
	l.Flush()
	timeout := int64(testSrv.Timeout)
	if d := l.Deadline(); d != l.now+timeout {
		t.Fatalf("deadline %d, want the reply timeout %d", d-l.now, timeout)
	}
	// Answered: the next sweep finds nothing and leaves no deadline.
	feed(t, c, f, "END\r\n")
	l.Sweep(l.now + timeout)
	if d := l.Deadline(); d != math.MaxInt64 {
		t.Fatalf("deadline %d after everything was answered", d)
	}
	// Timed out: the deadline becomes the wedge check.
	start := l.now
	get(c, r, mc.OpGet, "b")
	l.Flush()
	l.Sweep(start + timeout)
	if g := strings.Join(r.got, " "); !strings.HasSuffix(g, "b:mc_res_timeout(Reply timeout)") {
		t.Fatal(g)
	}
	wedge := start + timeout + l.opts.WedgeAfter.Nanoseconds() + timeout + 1
	if d := l.Deadline(); d != wedge {
		t.Fatalf("deadline %v after a timeout, want the wedge check at %v", time.Duration(d-start), time.Duration(wedge-start))
	}
	l.Sweep(wedge)
	if !f.Closed {
		t.Fatal("wedged connection not closed at its deadline")
	}
	// A timer bounds the deadline too.
	l.After(time.Millisecond, recTimer{name: "t", log: new([]string)})
	if d := l.Deadline(); d != l.now+int64(time.Millisecond) {
		t.Fatalf("deadline %d, want the timer's", d-l.now)
	}
}
