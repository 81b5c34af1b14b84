package compare

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a child process this package started.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	waitErr error
}

// pid is the child's process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// alive reports whether the child is still running.
func (p *proc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// logTail returns the last non-empty line of the child's output, for error
// messages a person can act on.
func (p *proc) logTail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if len(last) > 200 {
		last = last[:200] + "…"
	}
	return last
}

// procs is every child started, so that all of them can be stopped.
type procs struct {
	mu   sync.Mutex
	list []*proc
	dir  string // logs and configs
}

// start runs bin with args, its output going to dir/name.log. The child is
// in its own process group (a terminal's Ctrl-C reaches only us, and we stop
// it in order) and gets SIGKILL if this process dies without stopping it.
func (ps *procs) start(name, bin string, args ...string) (*proc, error) {
	logPath := filepath.Join(ps.dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	ps.mu.Lock()
	ps.list = append(ps.list, p)
	ps.mu.Unlock()
	return p, nil
}

// stop ends one child: SIGTERM, then SIGKILL after two seconds.
func (p *proc) stop() {
	if !p.alive() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(2 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// stopAll stops every child started so far, concurrently.
func (ps *procs) stopAll() {
	ps.mu.Lock()
	list := ps.list
	ps.list = nil
	ps.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.stop()
		}()
	}
	wg.Wait()
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before the child binds it; starting the child reports that.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// roundTripWith sends req on a fresh connection, over TLS with tc (nil:
// plaintext), and reads until a reply's last line, or times out.
func roundTripWith(tc *tls.Config, addr, req string, timeout time.Duration) (string, error) {
	var c net.Conn
	var err error
	if tc != nil {
		c, err = tls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", addr, tc)
	} else {
		c, err = net.DialTimeout("tcp", addr, timeout)
	}
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte(req)); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	var out strings.Builder
	for {
		line, err := r.ReadString('\n')
		out.WriteString(line)
		if err != nil {
			return out.String(), err
		}
		l := strings.TrimRight(line, "\r\n")
		if l == "END" || l == "STORED" || strings.HasPrefix(l, "VERSION ") || l == "ERROR" ||
			strings.HasPrefix(l, "SERVER_ERROR") || strings.HasPrefix(l, "CLIENT_ERROR") || l == "NOT_STORED" {
			return out.String(), nil
		}
	}
}

// waitServingWith waits until addr answers "version" with "VERSION …"
// (over TLS with tc; nil: plaintext), the process has exited, or timeout
// passes; the error says which.
func waitServingWith(tc *tls.Config, p *proc, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if p != nil && !p.alive() {
			msg := fmt.Sprintf("%s exited (%v)", p.name, p.waitErr)
			if t := p.logTail(); t != "" {
				msg += ": " + t
			}
			return errors.New(msg)
		}
		reply, err := roundTripWith(tc, addr, "version\r\n", time.Second)
		if err == nil && strings.HasPrefix(reply, "VERSION ") {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("version answered %q", strings.TrimSpace(reply))
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no reply to version within %s: %v", timeout, last)
}

// smokeTest checks one set and one get through addr, so a target that
// accepts connections but cannot serve is caught before it is measured.
func smokeTest(addr string) error { return smokeTestWith(nil, addr) }

// smokeTestWith is smokeTest over TLS with tc (nil: plaintext).
func smokeTestWith(tc *tls.Config, addr string) error {
	reply, err := roundTripWith(tc, addr, "set mcroute-bench:smoke 0 0 2\r\nok\r\n", 2*time.Second)
	if err != nil || reply != "STORED\r\n" {
		return fmt.Errorf("set answered %q (%v)", strings.TrimSpace(reply), err)
	}
	reply, err = roundTripWith(tc, addr, "get mcroute-bench:smoke\r\n", 2*time.Second)
	if err != nil || reply != "VALUE mcroute-bench:smoke 0 2\r\nok\r\nEND\r\n" {
		return fmt.Errorf("get answered %q (%v)", strings.TrimSpace(reply), err)
	}
	return nil
}

// clockTicks is the unit of utime and stime in /proc/PID/stat (USER_HZ),
// read from the auxiliary vector; 100 when it cannot be read.
var clockTicks = func() float64 {
	b, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return 100
	}
	const atClkTck = 17
	for i := 0; i+16 <= len(b); i += 16 {
		tag, val := binary.NativeEndian.Uint64(b[i:]), binary.NativeEndian.Uint64(b[i+8:])
		if tag == atClkTck && val > 0 {
			return float64(val)
		}
	}
	return 100
}()

// procCPU returns the user+system CPU seconds process pid has used, all its
// threads included, from /proc/PID/stat (fields 14 and 15).
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

func parseStatCPU(b []byte) (float64, error) {
	// The command name (field 2) is in parentheses and may contain spaces
	// or parentheses itself: fields are counted after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("/proc stat: no ')'")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("/proc stat: too few fields")
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc stat: utime %q stime %q", f[11], f[12])
	}
	return float64(utime+stime) / clockTicks, nil
}

// cpuOf sums procCPU over ps; processes that cannot be read count 0.
func cpuOf(ps []*proc) float64 {
	var sum float64
	for _, p := range ps {
		if s, err := procCPU(p.pid()); err == nil {
			sum += s
		}
	}
	return sum
}

// versionOf returns the first line a binary prints for its version flag.
func versionOf(bin string, flag string) string {
	out, err := exec.Command(bin, flag).CombinedOutput()
	if err != nil && len(out) == 0 {
		return "unknown"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}
