package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"mcroute/engine/mctest"
)

// loadClient pipelines `set k<id>-<n>` requests (up to window unanswered)
// and reads their replies, until mcroute ends the connection.
type loadClient struct {
	id      int
	conn    net.Conn
	sent    atomic.Int64 // requests written in full
	replies atomic.Int64 // STORED replies read, in order
	atSig   int64        // sent when the signal was sent
	bad     string       // first reply that was not STORED
	endErr  error        // how the reading ended (io.EOF: a clean close)
	done    chan struct{}
}

func (c *loadClient) run(window int64) {
	defer close(c.done)
	stop := make(chan struct{})
	go func() { // writer
		w := bufio.NewWriterSize(c.conn, 64<<10)
		var n int64
		for {
			select {
			case <-stop:
				return
			default:
			}
			if n-c.replies.Load() >= window {
				time.Sleep(100 * time.Microsecond)
				continue
			}
			for i := 0; i < 16; i++ {
				k := fmt.Sprintf("k%d-%d", c.id, n+int64(i))
				fmt.Fprintf(w, "set %s 0 0 %d\r\n%s\r\n", k, len(k), k)
			}
			if err := w.Flush(); err != nil {
				return
			}
			n += 16
			c.sent.Store(n)
		}
	}()
	r := bufio.NewReader(c.conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if line != "" && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			c.endErr = err
			break
		}
		if line != "STORED\r\n" {
			c.bad = line
			break
		}
		c.replies.Add(1)
	}
	close(stop)
	c.conn.Close()
}

// TestGracefulShutdown: SIGTERM under a pipelining load. What mcroute
// promises (engine/drain.go):
//   - the listeners close at once: a new connection is refused while
//     requests in flight are still being answered;
//   - every request it had parsed gets its reply, in order, even one
//     waiting for a server that does not answer (its timeout error);
//   - a request it had not parsed is never executed: after the replies the
//     connection ends with a clean FIN (EOF, not a reset), and the set
//     requests without a reply are not in memcached, those with one are;
//   - the process exits 0 within --server-timeout plus a margin.
func TestGracefulShutdown(t *testing.T) {
	bin := buildBinary(t)
	t.Run("accept-reactor", func(t *testing.T) { testGracefulShutdown(t, bin) })
	// With SO_REUSEPORT every loop has its own listener to close.
	t.Run("reuse-port", func(t *testing.T) { testGracefulShutdown(t, bin, "--reuse-port") })
}

func testGracefulShutdown(t *testing.T, bin string, extra ...string) {
	m := mctest.StartMemcached(t)
	// A server that accepts and never answers: gets go there and wait for
	// the server timeout.
	hole, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hole.Close()
	go func() {
		for {
			c, err := hole.Accept()
			if err != nil {
				return
			}
			go io.Copy(io.Discard, c)
		}
	}()
	cfg := filepath.Join(t.TempDir(), "drain.json")
	text := fmt.Sprintf(`{
  "pools": {"A": {"servers": ["%s"]}, "hole": {"servers": ["%s"]}},
  "route": {"type": "OperationSelectorRoute",
            "operation_policies": {"get": "PoolRoute|hole"},
            "default_policy": "PoolRoute|A"}
}`, m.Addr, hole.Addr())
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	const serverTimeout = 1500 * time.Millisecond
	port := mctest.FreePort(t, "127.0.0.1")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var stderr syncBuffer
	cmd := exec.Command(bin, "-p", fmt.Sprint(port), "--listen-address", "127.0.0.1",
		"--config", "file:"+cfg, "--num-proxies", "2", "-t", fmt.Sprint(serverTimeout.Milliseconds()),
		"--asynclog-disable")
	cmd.Args = append(cmd.Args, extra...)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Only the waiting goroutine touches cmd's state; the test learns of
	// the exit through waitDone.
	exited := make(chan error, 1)
	waitDone := make(chan struct{})
	go func() { exited <- cmd.Wait(); close(waitDone) }()
	defer func() {
		select {
		case <-waitDone:
		default:
			_ = cmd.Process.Kill()
		}
	}()
	if err := mctest.WaitListening(addr, 10*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}

	// An idle connection, and one whose get waits for the silent server.
	idle := mctest.Dial(t, addr)
	slow := mctest.Dial(t, addr)
	slow.Send("get waits-for-timeout\r\n")

	const nClients = 8
	clients := make([]*loadClient, nClients)
	for i := range clients {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = &loadClient{id: i, conn: c, done: make(chan struct{})}
		go clients[i].run(256)
	}
	time.Sleep(300 * time.Millisecond)
	for _, c := range clients {
		c.atSig = c.sent.Load()
	}
	sigAt := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	// While the slow get is still waiting, new connections are refused
	// once the signal has been handled (how soon depends on the machine's
	// load: poll, within the slow get's wait).
	refuseBy := sigAt.Add(serverTimeout * 2 / 3)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("dial after SIGTERM: %v, want connection refused", err)
			}
			break
		}
		c.Close()
		if time.Now().After(refuseBy) {
			t.Errorf("connections still accepted %v after SIGTERM", time.Since(sigAt))
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case <-waitDone:
		t.Fatalf("mcroute exited before the slow request was answered\n%s", stderr.String())
	default:
	}

	// The slow get is answered with its timeout, then the connection ends.
	rep, err := slow.TryReadReply(serverTimeout + 2*time.Second)
	if err != nil || !strings.HasPrefix(rep, "SERVER_ERROR") {
		t.Errorf("slow get: %q, %v; want its SERVER_ERROR timeout reply", rep, err)
	}
	if _, err := slow.TryReadReply(2 * time.Second); err != io.EOF {
		t.Errorf("slow connection after its reply: %v, want EOF", err)
	}
	if _, err := idle.TryReadReply(time.Second); err != io.EOF {
		t.Errorf("idle connection: %v, want EOF", err)
	}
	slow.Conn.Close()
	// idle stays open: mcroute does not wait for it past a short linger.

	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, stderr.String())
		}
		if d := time.Since(sigAt); d > serverTimeout+drainMargin+time.Second {
			t.Errorf("exit %v after SIGTERM, want within server timeout + margin", d)
		}
	case <-time.After(serverTimeout + 5*time.Second):
		t.Fatalf("mcroute did not exit after SIGTERM\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "drained") {
		t.Errorf("no drain in the log:\n%s", stderr.String())
	}

	// Every client: only STORED replies, a clean end; what was answered is
	// stored, what was not was never executed.
	mc := mctest.Dial(t, m.Addr)
	var answeredAfter, unansweredBefore int64
	for _, c := range clients {
		<-c.done
		if c.bad != "" {
			t.Errorf("client %d: reply %q, want STORED", c.id, c.bad)
		}
		if c.endErr != io.EOF {
			t.Errorf("client %d: connection ended with %v, want EOF after the last reply", c.id, c.endErr)
		}
		got, sent := c.replies.Load(), c.sent.Load()
		answeredAfter += max(got-c.atSig, 0)
		unansweredBefore += max(c.atSig-got, 0)
		// The first unanswered request may have been written only in part;
		// none of the unanswered ones may be stored.
		check := func(n int64, want bool) {
			k := fmt.Sprintf("k%d-%d", c.id, n)
			stored := strings.HasPrefix(mc.Do("get "+k+"\r\n"), "VALUE ")
			if stored != want {
				t.Errorf("client %d: %s stored=%v, want %v (replies %d, sent %d)", c.id, k, stored, want, got, sent)
			}
		}
		for n := max(got-64, 0); n < got; n++ {
			check(n, true)
		}
		for n := got; n < min(sent, got+64); n++ {
			check(n, false)
		}
	}
	t.Logf("requests sent before the signal and unanswered (never parsed, not executed): %d; answered after the signal: %d",
		unansweredBefore, answeredAfter)
}
