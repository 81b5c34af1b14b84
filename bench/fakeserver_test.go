package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeServer is a small memcached-text server for tests: correct by default,
// with knobs that make it answer wrongly or stall.
type fakeServer struct {
	ln   net.Listener
	tls  *tls.Config // set by configure: serve TLS
	addr string

	setReply    string        // answer every set with this line instead of STORED
	corruptGets bool          // flip a byte of every value returned
	dropNth     int64         // never answer the Nth request (1-based, over all connections)
	garbageNth  int64         // after answering the Nth request, send an extra line
	stallAfter  time.Duration // once this long after the first request…
	stallFor    time.Duration // …hold every reply for this long

	mu         sync.Mutex
	data       map[string][]byte
	requests   atomic.Int64
	firstReq   atomic.Int64
	stallUntil atomic.Int64
	stalled    atomic.Bool
	wg         sync.WaitGroup
}

func startFake(t *testing.T, configure func(*fakeServer)) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{ln: ln, addr: ln.Addr().String(), data: map[string][]byte{}}
	if configure != nil {
		configure(s)
	}
	if s.tls != nil {
		s.ln = tls.NewListener(ln, s.tls)
		ln = s.ln
	}
	var conns sync.Map
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Store(c, true)
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer conns.Delete(c)
				s.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		s.wg.Wait()
	})
	return s
}

func (s *fakeServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		n := s.requests.Add(1)
		now := time.Now().UnixNano()
		s.firstReq.CompareAndSwap(0, now)
		if s.stallFor > 0 && time.Duration(now-s.firstReq.Load()) >= s.stallAfter && s.stalled.CompareAndSwap(false, true) {
			s.stallUntil.Store(now + int64(s.stallFor))
		}
		fields := strings.Fields(line)
		var reply bytes.Buffer
		switch {
		case len(fields) == 5 && fields[0] == "set":
			size, _ := strconv.Atoi(fields[4])
			data := make([]byte, size+2)
			if _, err := ioReadFull(r, data); err != nil {
				return
			}
			s.mu.Lock()
			s.data[fields[1]] = data[:size]
			s.mu.Unlock()
			if s.setReply != "" {
				reply.WriteString(s.setReply + "\r\n")
			} else {
				reply.WriteString("STORED\r\n")
			}
		case len(fields) >= 2 && fields[0] == "get":
			s.mu.Lock()
			for _, k := range fields[1:] {
				if v, ok := s.data[k]; ok {
					v = bytes.Clone(v)
					if s.corruptGets && len(v) > 0 {
						v[0] ^= 1
					}
					reply.WriteString("VALUE " + k + " 0 " + strconv.Itoa(len(v)) + "\r\n")
					reply.Write(v)
					reply.WriteString("\r\n")
				}
			}
			s.mu.Unlock()
			reply.WriteString("END\r\n")
		default:
			reply.WriteString("ERROR\r\n")
		}
		if n == s.dropNth {
			continue
		}
		if n == s.garbageNth {
			reply.WriteString("HELLO\r\n")
		}
		if until := s.stallUntil.Load(); until > 0 {
			if d := time.Until(time.Unix(0, until)); d > 0 {
				w.Flush()
				time.Sleep(d)
			}
		}
		w.Write(reply.Bytes())
		if r.Buffered() == 0 {
			if w.Flush() != nil {
				return
			}
		}
	}
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func testConfig(addr string) Config {
	c := DefaultConfig()
	c.Servers = []string{addr}
	c.Threads, c.Clients = 1, 4
	c.KeyMin, c.KeyMax = 1, 200
	c.KeyPrefix = "t:"
	c.DataSizeMin, c.DataSizeMax = 10, 300
	c.Requests = 300
	c.ReplyTimeout = 300 * time.Millisecond
	return c
}

// checkAccounting asserts the invariant every run must keep.
func checkAccounting(t *testing.T, r *Result) {
	t.Helper()
	if r.Sent != r.Checked {
		t.Errorf("sent %d requests but checked %d replies", r.Sent, r.Checked)
	}
	if r.OK+r.Errors-r.NotSent != r.Checked {
		t.Errorf("ok %d + errors %d != checked %d", r.OK, r.Errors-r.NotSent, r.Checked)
	}
	if r.Sets.Count+r.Gets.Count != r.OK {
		t.Errorf("sets %d + gets %d != ok %d", r.Sets.Count, r.Gets.Count, r.OK)
	}
}

func TestRunAgainstCorrectServer(t *testing.T) {
	s := startFake(t, nil)
	cfg := testConfig(s.addr)
	cfg.Ratio = Ratio{1, 3}
	cfg.Pipeline = 4
	cfg.MultiKeyGet = 3
	cfg.Verify = true
	r, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkAccounting(t, r)
	if r.Sent != 4*300 || r.Errors != 0 || r.Problems() != 0 {
		t.Fatalf("sent %d (want 1200), errors %d, kinds %v", r.Sent, r.Errors, r.ErrorKinds)
	}
	if r.Sets.Count != 300 || r.Gets.Count != 900 || r.Gets.Hits == 0 || r.Gets.Hits+r.Gets.Misses != 2700 {
		t.Fatalf("sets %d gets %d hits %d misses %d", r.Sets.Count, r.Gets.Count, r.Gets.Hits, r.Gets.Misses)
	}
	if s.requests.Load() != int64(r.Sent) {
		t.Fatalf("server saw %d requests, generator sent %d", s.requests.Load(), r.Sent)
	}
}

func TestRunCatchesWrongServer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		configure func(*fakeServer)
		verify    bool
		kind      errKind
	}{
		{"sets refused", func(s *fakeServer) { s.setReply = "NOT_STORED" }, false, errUnexpected},
		{"sets fail", func(s *fakeServer) { s.setReply = "SERVER_ERROR out of memory" }, false, errServerError},
		{"values corrupted", func(s *fakeServer) { s.corruptGets = true }, true, errBadValue},
		{"reply dropped", func(s *fakeServer) { s.dropNth = 50 }, false, errNoReply},
		{"extra line", func(s *fakeServer) { s.garbageNth = 50 }, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startFake(t, tc.configure)
			cfg := testConfig(s.addr)
			cfg.Ratio = Ratio{1, 1}
			cfg.KeyMax = 20 // gets mostly hit
			cfg.Verify = tc.verify
			r, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkAccounting(t, r)
			if r.Problems() == 0 {
				t.Fatalf("a wrong server went unnoticed: %+v", r.ErrorKinds)
			}
			if tc.kind != 0 {
				found := false
				for _, k := range r.ErrorKinds {
					found = found || k.Kind == tc.kind.String()
				}
				if !found {
					t.Fatalf("want an error of kind %q, got %+v", tc.kind, r.ErrorKinds)
				}
			}
			switch tc.kind {
			case errUnexpected, errServerError:
				if r.Sets.Count != 0 || r.Sets.Errors != r.Sent/2 {
					t.Fatalf("%d sets counted as successes, %d as errors, of %d", r.Sets.Count, r.Sets.Errors, r.Sent/2)
				}
			case errBadValue:
				if r.Gets.Hits != 0 {
					t.Fatalf("%d corrupted values counted as hits", r.Gets.Hits)
				}
			}
		})
	}
}

func TestRunFailsFastWhenNothingListens(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if _, err := Run(context.Background(), testConfig(addr)); err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("want a connect error naming %s, got %v", addr, err)
	}
}

// TestOpenLoopShowsStall: a server that holds every reply for 200 ms once
// must show it in p99.9 and max, because every request scheduled during the
// stall waits (no coordinated omission).
func TestOpenLoopShowsStall(t *testing.T) {
	s := startFake(t, func(s *fakeServer) {
		s.stallAfter = 700 * time.Millisecond
		s.stallFor = 200 * time.Millisecond
	})
	cfg := testConfig(s.addr)
	cfg.Clients = 2
	cfg.Rate = 2000
	cfg.Requests = 0
	cfg.TestTime = 1500 * time.Millisecond
	cfg.ReplyTimeout = 2 * time.Second
	r, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkAccounting(t, r)
	if r.Errors != 0 {
		t.Fatalf("errors: %+v", r.ErrorKinds)
	}
	if want := uint64(2000 * 1.5 * 0.9); r.Sent < want {
		t.Errorf("sent %d, want about %d at 2000/s for 1.5 s", r.Sent, 3000)
	}
	l := r.Totals.Latency
	t.Logf("open loop with a 200 ms stall: p50 %.3f p99 %.3f p99.9 %.3f max %.3f ms", l.P50, l.P99, l.P999, l.Max)
	if l.Max < 190 || l.P999 < 150 {
		t.Fatalf("the stall is hidden: p99.9 %.1f ms, max %.1f ms; want >= 150 and >= 190", l.P999, l.Max)
	}
}

func TestProgressLines(t *testing.T) {
	s := startFake(t, nil)
	cfg := testConfig(s.addr)
	cfg.Requests = 0
	cfg.TestTime = 1200 * time.Millisecond
	var buf syncBuffer
	cfg.Progress = &buf
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "ops/s") || !strings.Contains(out, "avg") {
		t.Fatalf("no progress line: %q", out)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
