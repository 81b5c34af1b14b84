package upstream

import (
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"mcroute/codec/mc"
)

// tkoPort gives every test a destination (and so a tracker) of its own.
var tkoPort atomic.Int64

func tkoServer(timeout time.Duration) *Server {
	return NewServer("127.0.0.9", int(20000+tkoPort.Add(1)), timeout, 0)
}

// tkoLoop is a loop whose dials are counted and left pending: the test
// decides how they end (dialFailed or Attach).
func tkoLoop(o TKOOptions) (*Loop, *int) {
	if o.Rand == nil {
		o.Rand = func() float64 { return 0 } // jitter: exactly +5%
	}
	l := NewLoop(nil, Options{TKO: o})
	dials := new(int)
	l.dialHook = func(*Conn, *Server) { *dials++ }
	return l, dials
}

func refuse(c *Conn) {
	c.dialFailed(c.gen, syscall.ECONNREFUSED)
	c.loop.Flush()
}

func tkoSend(c *Conn, srv *Server, r *recorder, op mc.Op, key string) {
	c.Send(srv, &mc.Request{Op: op, Key: []byte(key)}, []byte(key), cb{r, key})
	c.loop.Flush()
}

func last(r *recorder) string {
	if len(r.got) == 0 {
		return ""
	}
	return r.got[len(r.got)-1]
}

func TestTrackerSoftHardReset(t *testing.T) {
	tr := &Tracker{addr: "x:1"}
	for i := 0; i < 2; i++ {
		if tr.failure(0, mc.ResTimeout, false, 3) || tr.IsTKO() {
			t.Fatalf("soft TKO after %d timeouts, threshold 3", i+1)
		}
	}
	tr.success()
	if n := tr.ConsecutiveFailures(); n != 0 {
		t.Fatalf("a good reply left %d failures", n)
	}
	tr.failure(0, mc.ResTimeout, false, 3)
	tr.failure(0, mc.ResTimeout, false, 3)
	if !tr.failure(1, mc.ResTimeout, false, 3) || !tr.IsTKO() || tr.IsHardTKO() || tr.Reason() != mc.ResTimeout {
		t.Fatalf("3 timeouts: tko %v hard %v reason %v", tr.IsTKO(), tr.IsHardTKO(), tr.Reason())
	}
	if !tr.ownedBy(1) || tr.ownedBy(0) {
		t.Fatal("the loop that marked it must own it")
	}
	// A good reply does not clear TKO; only the owner's unmark does.
	tr.success()
	if !tr.IsTKO() {
		t.Fatal("a good reply cleared TKO")
	}
	// Soft upgrades to hard; the owner stays.
	if tr.failure(0, mc.ResConnectError, true, 3) || !tr.IsHardTKO() || tr.Reason() != mc.ResConnectError || !tr.ownedBy(1) {
		t.Fatalf("upgrade: hard %v reason %v", tr.IsHardTKO(), tr.Reason())
	}
	tr.unmark(0)
	if !tr.IsTKO() {
		t.Fatal("a loop that does not own the TKO cleared it")
	}
	tr.unmark(1)
	if tr.IsTKO() || tr.ConsecutiveFailures() != 0 {
		t.Fatal("unmark by the owner must clear TKO and failures")
	}
	// Hard: at once. Threshold 1: the first timeout.
	if !tr.failure(0, mc.ResConnectTimeout, true, 3) || tr.Reason() != mc.ResConnectTimeout {
		t.Fatal("a hard failure must mark TKO at once")
	}
	tr2 := &Tracker{}
	if !tr2.failure(0, mc.ResTimeout, false, 1) {
		t.Fatal("--timeouts-until-tko 1: the first timeout marks TKO")
	}
	if s, h := tr.TKOCounts(); s != 1 || h != 2 {
		t.Fatalf("counts soft %d hard %d", s, h)
	}
}

func TestTKOGroupFailOpen(t *testing.T) {
	var ds []*Destination
	for i := 0; i < 4; i++ {
		ds = append(ds, tkoServer(time.Second).Dest)
	}
	g := NewTKOGroup("P", 3, 1, append(ds, ds[0])) // a duplicate counts once
	if len(g.Members()) != 4 {
		t.Fatalf("%d members", len(g.Members()))
	}
	var srvs []*Server
	for _, d := range ds {
		srvs = append(srvs, &Server{Dest: d})
	}
	InstallTKOGroups(srvs, []*TKOGroup{g})
	tr := func(i int) *Tracker { return ds[i].tko }
	for i := 0; i < 3; i++ {
		if !tr(i).failure(0, mc.ResConnectError, true, 3) {
			t.Fatalf("server %d not marked", i)
		}
	}
	if tr(3).failure(0, mc.ResConnectError, true, 3) || tr(3).IsTKO() || !g.FailOpen() {
		t.Fatal("upper (3) servers TKO: no more may be marked")
	}
	tr(0).unmark(0)
	if tr(3).failure(0, mc.ResConnectError, true, 3) {
		t.Fatal("fail-open lasts until the count drops to lower (1); it is 2")
	}
	tr(1).unmark(0)
	if !tr(3).failure(0, mc.ResConnectError, true, 3) || g.FailOpen() {
		t.Fatal("count at lower: marking resumes")
	}
	// A config without the group unbinds it.
	InstallTKOGroups(srvs, nil)
	if tr(0).group.Load() != nil {
		t.Fatal("group still bound")
	}
}

func TestProbeSchedule(t *testing.T) {
	ms := time.Millisecond
	d := 10 * time.Second
	var got []string
	for i := 0; i < 6; i++ {
		got = append(got, d.String())
		d = nextProbeDelay(d, 60*time.Second)
	}
	if g := strings.Join(got, " "); g != "10s 15s 22.5s 33.75s 50.625s 1m0s" {
		t.Fatal(g)
	}
	if nextProbeDelay(ms, time.Minute) != 2*ms || nextProbeDelay(2*ms, time.Minute) != 3*ms {
		t.Fatal("1 → 2 → 3 ms")
	}
	if jitter(10*time.Second, 0) != 10500*ms || jitter(10*time.Second, 1) != 15*time.Second {
		t.Fatalf("jitter %v %v", jitter(10*time.Second, 0), jitter(10*time.Second, 1))
	}
}

// TestTKOFastFailAndProbe: a refused connect marks the server hard TKO at
// once; requests then fail without a dial; the loop that marked it probes
// on its timers with the growing delay, and the first good probe reply
// brings it back.
func TestTKOFastFailAndProbe(t *testing.T) {
	l, dials := tkoLoop(TKOOptions{ProbeInitial: 100 * time.Millisecond, ProbeMax: time.Second})
	srv := tkoServer(time.Second)
	c := l.Conn(srv)
	r := &recorder{}
	tkoSend(c, srv, r, mc.OpGet, "a")
	refuse(c)
	if !strings.HasPrefix(last(r), "a:mc_res_connect_error") || !srv.Dest.tko.IsHardTKO() {
		t.Fatalf("%q, tko %v", last(r), srv.Dest.tko.IsTKO())
	}
	for i := 0; i < 3; i++ {
		tkoSend(c, srv, r, mc.OpGet, "b")
		if last(r) != "b:mc_res_tko(Server unavailable. Reason: mc_res_connect_error)" {
			t.Fatal(last(r))
		}
	}
	if *dials != 1 {
		t.Fatalf("%d dials: a TKO server must not be dialed", *dials)
	}
	start := l.now
	if d := time.Duration(l.Deadline() - start); d != 105*time.Millisecond {
		t.Fatalf("first probe in %v, want 100ms + 5%%", d)
	}
	l.Sweep(start + int64(105*time.Millisecond))
	if *dials != 2 {
		t.Fatalf("probe did not dial (%d dials)", *dials)
	}
	refuse(c) // the probe fails: next one 150ms (+5%) later
	if d := time.Duration(l.Deadline() - l.now); d != 157500*time.Microsecond {
		t.Fatalf("second probe in %v, want 157.5ms", d)
	}
	if !srv.Dest.tko.IsTKO() || c.probe.results[0] != 1 {
		t.Fatal("a failed probe must leave it TKO")
	}
	l.Sweep(l.Deadline())
	if *dials != 3 {
		t.Fatalf("second probe did not dial (%d dials)", *dials)
	}
	f := &fakeConn{}
	Opened(&dialTag{c: c, gen: c.gen}, f)
	l.Flush()
	if f.Out.String() != "version\r\n" {
		t.Fatalf("probe wire %q", f.Out.String())
	}
	// Only one probe at a time: no timer while it is in flight.
	if l.NextTimer() != int64(^uint64(0)>>1) {
		t.Fatal("a second probe was scheduled")
	}
	feed(t, c, f, "VERSION 1.6.21\r\n")
	if srv.Dest.tko.IsTKO() || srv.Dest.tko.ConsecutiveFailures() != 0 {
		t.Fatal("a good probe must clear TKO")
	}
	tkoSend(c, srv, r, mc.OpGet, "c")
	feed(t, c, f, "END\r\n")
	if last(r) != "c:mc_res_notfound" {
		t.Fatal(last(r))
	}
}

// TestTKOSoftAfterTimeouts: TIMEOUT replies count; other errors neither
// count nor reset; good replies reset.
func TestTKOSoftAfterTimeouts(t *testing.T) {
	l, _ := tkoLoop(TKOOptions{TimeoutsUntilTKO: 3})
	srv := tkoServer(100 * time.Millisecond)
	c := l.Conn(srv)
	f := &fakeConn{}
	c.Attach(f)
	r := &recorder{}
	timeout := func(k string) {
		tkoSend(c, srv, r, mc.OpGet, k)
		l.Sweep(l.now + int64(srv.Timeout))
	}
	tr := srv.Dest.tko
	timeout("a")
	timeout("b")
	feed(t, c, f, "END\r\nEND\r\n") // late replies to timed-out requests: not counted
	if tr.ConsecutiveFailures() != 2 {
		t.Fatalf("%d failures after 2 timeouts and 2 late replies", tr.ConsecutiveFailures())
	}
	tkoSend(c, srv, r, mc.OpSet, "s")
	feed(t, c, f, "SERVER_ERROR out of memory\r\n")
	if tr.ConsecutiveFailures() != 2 || tr.IsTKO() {
		t.Fatal("SERVER_ERROR must neither count nor reset")
	}
	tkoSend(c, srv, r, mc.OpGet, "g")
	feed(t, c, f, "END\r\n")
	if tr.ConsecutiveFailures() != 0 {
		t.Fatal("a good reply must reset the count")
	}
	timeout("c")
	timeout("d")
	if tr.IsTKO() {
		t.Fatal("TKO after 2 timeouts")
	}
	timeout("e")
	if !tr.IsTKO() || tr.IsHardTKO() || tr.ConsecutiveFailures() != 3 {
		t.Fatalf("after 3 timeouts: tko %v hard %v failures %d", tr.IsTKO(), tr.IsHardTKO(), tr.ConsecutiveFailures())
	}
	tkoSend(c, srv, r, mc.OpGet, "f")
	if last(r) != "f:mc_res_tko(Server unavailable. Reason: mc_res_timeout)" {
		t.Fatal(last(r))
	}
}

// TestTKOConnectionLoss: an established connection the server closes is
// a hard failure.
func TestTKOConnectionLoss(t *testing.T) {
	l, _ := tkoLoop(TKOOptions{})
	srv := tkoServer(time.Second)
	c := l.Conn(srv)
	f := &fakeConn{}
	c.Attach(f)
	c.OnClose(f)
	l.Flush()
	if !srv.Dest.tko.IsHardTKO() || srv.Dest.tko.Reason() != mc.ResConnectError {
		t.Fatal("connection loss must mark hard TKO (connect_error)")
	}
	// The owning Conn leaving the config gives the TKO up.
	c.close()
	if srv.Dest.tko.IsTKO() {
		t.Fatal("TKO kept by a closed Conn: nobody would probe it")
	}
}

// TestTKOSharedByLoops: every loop sees one loop's TKO at once, without
// dialing; only the owner probes; Close gives the TKO up.
func TestTKOSharedByLoops(t *testing.T) {
	a, _ := tkoLoop(TKOOptions{})
	b, bDials := tkoLoop(TKOOptions{})
	srv := tkoServer(time.Second)
	ca, cb2 := a.Conn(srv), b.Conn(srv)
	r := &recorder{}
	tkoSend(ca, srv, r, mc.OpGet, "a")
	refuse(ca)
	tkoSend(cb2, srv, r, mc.OpGet, "b")
	if last(r) != "b:mc_res_tko(Server unavailable. Reason: mc_res_connect_error)" || *bDials != 0 {
		t.Fatalf("%q, %d dials", last(r), *bDials)
	}
	if b.NextTimer() != int64(^uint64(0)>>1) || a.NextTimer() == int64(^uint64(0)>>1) {
		t.Fatal("only the marking loop probes")
	}
	// A meta Destination of the same host:port shares the tracker.
	if m := NewServerProtocol(srv.Host, srv.Port, ProtocolMeta, time.Second, 0); m.Dest.Tracker() != srv.Dest.Tracker() {
		t.Fatal("trackers are per host:port")
	}
	b.Close()
	if !srv.Dest.tko.IsTKO() {
		t.Fatal("a loop that does not own the TKO released it")
	}
	a.Close()
	if srv.Dest.tko.IsTKO() {
		t.Fatal("Close must release the loop's TKOs")
	}
}

func TestTKODisabled(t *testing.T) {
	l, dials := tkoLoop(TKOOptions{Disable: true})
	srv := tkoServer(time.Second)
	c := l.Conn(srv)
	r := &recorder{}
	for i := 0; i < 3; i++ {
		tkoSend(c, srv, r, mc.OpGet, "a")
		refuse(c)
	}
	if *dials != 3 || srv.Dest.tko.IsTKO() || srv.Dest.tko.ConsecutiveFailures() != 0 {
		t.Fatalf("%d dials, tko %v", *dials, srv.Dest.tko.IsTKO())
	}
}
