// Package mctest starts real memcached servers and mcroute engines for
// tests, on loopback ports chosen at run time, and stops them when the
// test ends. It also has a small blocking memcached client for checking
// replies byte for byte.
//
// It is test support only: nothing outside _test.go files imports it.
package mctest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Memcached is a memcached process started for a test.
type Memcached struct {
	Host string
	Port int
	Addr string // host:port, IPv6 in brackets
	cmd  *exec.Cmd
}

// NeedMemcached skips t when the memcached binary is not installed.
func NeedMemcached(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("memcached")
	if err != nil {
		t.Skip("memcached is not installed (make test installs it: apt-get install -y memcached)")
	}
	return path
}

// handedOut holds every port FreePort has returned in this process.
// mcroute's destination registry is process-wide and keyed by address (a
// server's stats and health outlive configs), so a test that got a port an
// earlier test's server used would inherit that server's counters and TKO
// state. FreePort never returns a port twice.
var handedOut sync.Map

// FreePort returns a TCP port on host that was free a moment ago and that
// no earlier FreePort call in this process returned.
func FreePort(t testing.TB, host string) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			t.Fatalf("no free port on %s: %v", host, err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if _, used := handedOut.LoadOrStore(port, true); !used {
			return port
		}
	}
	t.Fatalf("no fresh port on %s after 100 tries", host)
	return 0
}

// StartMemcached starts memcached on 127.0.0.1 and stops it when t ends.
func StartMemcached(t testing.TB, extra ...string) *Memcached {
	return StartMemcachedOn(t, "127.0.0.1", extra...)
}

// StartMemcachedOn starts memcached listening on host ("::1" for IPv6).
func StartMemcachedOn(t testing.TB, host string, extra ...string) *Memcached {
	t.Helper()
	return startMemcached(t, host, 0, extra)
}

// RestartMemcached starts a new memcached on the host and port of m (after
// m was killed), as an operator restarting a server would.
func RestartMemcached(t testing.TB, m *Memcached) *Memcached {
	t.Helper()
	return startMemcached(t, m.Host, m.Port, nil)
}

func startMemcached(t testing.TB, host string, fixedPort int, extra []string) *Memcached {
	t.Helper()
	path := NeedMemcached(t)
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port := fixedPort
		if port == 0 {
			port = FreePort(t, host)
		}
		args := []string{"-p", strconv.Itoa(port), "-U", "0", "-l", host, "-t", "1", "-m", "64", "-c", "4096"}
		if os.Geteuid() == 0 {
			args = append(args, "-u", "root")
		}
		args = append(args, extra...)
		cmd := exec.Command(path, args...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("start memcached: %v", err)
		}
		m := &Memcached{Host: host, Port: port, Addr: net.JoinHostPort(host, strconv.Itoa(port)), cmd: cmd}
		if err := WaitListening(m.Addr, 5*time.Second); err != nil {
			lastErr = err
			m.Kill()
			continue
		}
		t.Cleanup(m.Kill)
		return m
	}
	t.Fatalf("memcached did not start: %v", lastErr)
	return nil
}

// Kill stops the server (idempotent).
func (m *Memcached) Kill() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	_ = m.cmd.Process.Signal(syscall.SIGCONT)
	_ = m.cmd.Wait()
	m.cmd = nil
}

// Pause stops the server with SIGSTOP: its socket stays open and accepts
// connections (the kernel's backlog) but nothing is answered. Resume
// undoes it; a paused server is resumed before it is killed.
//
// It returns once every thread of the server is stopped: kill(2) returns
// before a busy thread on another CPU has stopped, and such a thread could
// still answer a request sent right after Pause.
func (m *Memcached) Pause() {
	m.signal(syscall.SIGSTOP)
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) && !allStopped(m.cmd.Process.Pid) {
		time.Sleep(time.Millisecond)
	}
}

// allStopped reports whether every thread of process pid is in state T
// (stopped), from /proc; true where /proc cannot be read.
func allStopped(pid int) bool {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return true
	}
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
		if err != nil {
			continue // the thread exited
		}
		// The state is the field after the parenthesised command name.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) {
			return true
		}
		if st := b[i+2]; st != 'T' && st != 't' {
			return false
		}
	}
	return true
}

// Resume continues a paused server (SIGCONT).
func (m *Memcached) Resume() { m.signal(syscall.SIGCONT) }

func (m *Memcached) signal(sig syscall.Signal) {
	if m.cmd != nil && m.cmd.Process != nil {
		_ = m.cmd.Process.Signal(sig)
	}
}

// WaitListening waits until addr accepts TCP connections.
func WaitListening(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening after %v: %v", addr, d, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Client is a blocking memcached text-protocol client for tests.
type Client struct {
	t    testing.TB
	Conn net.Conn
	r    *bufio.Reader
}

// Dial connects to addr.
func Dial(t testing.TB, addr string) *Client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &Client{t: t, Conn: c, r: bufio.NewReader(c)}
}

// Send writes raw bytes.
func (c *Client) Send(s string) {
	c.t.Helper()
	_ = c.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Conn.Write([]byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// ReadReply reads one complete reply: for retrievals everything up to END
// (or a single error line), for stats up to END, otherwise one line. It
// returns the raw bytes.
func (c *Client) ReadReply() string {
	c.t.Helper()
	s, err := c.TryReadReply(5 * time.Second)
	if err != nil {
		c.t.Fatalf("read reply: %v (got %q)", err, s)
	}
	return s
}

// TryReadReply is ReadReply returning errors instead of failing.
func (c *Client) TryReadReply(timeout time.Duration) (string, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(timeout))
	var out bytes.Buffer
	for {
		line, err := c.r.ReadBytes('\n')
		out.Write(line)
		if err != nil {
			return out.String(), err
		}
		switch {
		case bytes.HasPrefix(line, []byte("VALUE ")):
			f := bytes.Fields(line)
			if len(f) < 4 {
				return out.String(), fmt.Errorf("bad VALUE line %q", line)
			}
			n, err := strconv.Atoi(string(f[3]))
			if err != nil {
				return out.String(), err
			}
			data := make([]byte, n+2)
			if _, err := ioReadFull(c.r, data); err != nil {
				return out.String(), err
			}
			out.Write(data)
		case bytes.HasPrefix(line, []byte("STAT ")):
		default:
			return out.String(), nil
		}
	}
}

// Do sends s and reads one reply.
func (c *Client) Do(s string) string {
	c.t.Helper()
	c.Send(s)
	return c.ReadReply()
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
