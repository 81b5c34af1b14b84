package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mcroute/engine/mctest"
	"mcroute/upstream/asynclog"
)

// mcrouteProc is the built binary serving a config, for asynclog tests.
type mcrouteProc struct {
	addr   string
	cmd    *exec.Cmd
	stderr *bytes.Buffer
}

func startMcroute(t *testing.T, bin, config string, flags ...string) *mcrouteProc {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "mcrouter.json")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	port := mctest.FreePort(t, "127.0.0.1")
	args := append([]string{"-p", fmt.Sprint(port), "--listen-address", "127.0.0.1",
		"--config", "file:" + cfg, "--num-proxies", "2", "--server-timeout", "300"}, flags...)
	p := &mcrouteProc{addr: fmt.Sprintf("127.0.0.1:%d", port), cmd: exec.Command(bin, args...), stderr: &bytes.Buffer{}}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	})
	if err := mctest.WaitListening(p.addr, 10*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, p.stderr)
	}
	return p
}

// stop sends SIGTERM and waits (the spool file is closed: read-only).
func (p *mcrouteProc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("mcroute exit: %v\n%s", err, p.stderr)
	}
}

// spoolFiles returns the spool files under dir (not the replayer's).
func spoolFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	for _, f := range files {
		if _, ok := asynclog.ParseFileName(filepath.Base(f)); ok {
			out = append(out, f)
		}
	}
	return out
}

func runReplayBin(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, append([]string{"replay"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("mcroute replay %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestAsynclogSpoolAndReplay: a delete to a dead server answers NOT_FOUND
// once spooled, in mcrouter's layout and byte-exact format (v1 and v2);
// `mcroute replay --once` then applies it to the revived server and
// removes the file.
func TestAsynclogSpoolAndReplay(t *testing.T) {
	bin := buildBinary(t)
	for _, v2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v2=%v", v2), func(t *testing.T) {
			dead := mctest.FreePort(t, "127.0.0.1")
			dir := filepath.Join(t.TempDir(), "spool")
			flags := []string{"-a", dir, "--service-name", "svc"}
			if v2 {
				flags = append(flags, "--use-asynclog-version2")
			}
			p := startMcroute(t, bin, fmt.Sprintf(`{"pools":{"A":{"servers":["127.0.0.1:%d"]}},"route":"PoolRoute|A"}`, dead), flags...)
			before := time.Now()
			c := mctest.Dial(t, p.addr)
			for _, k := range []string{"k1", "k2"} {
				if got := c.Do("delete " + k + "\r\n"); got != "NOT_FOUND\r\n" {
					t.Fatalf("delete %s: %q\n%s", k, got, p.stderr)
				}
			}
			if got := c.Do("get k1\r\n"); !strings.HasPrefix(got, "SERVER_ERROR") {
				t.Fatalf("get from a dead server: %q", got)
			}
			files := spoolFiles(t, dir)
			if len(files) != 1 {
				t.Fatalf("spool files %v", files)
			}
			f := files[0]
			router := strings.TrimPrefix(p.addr, "127.0.0.1:")
			nameRe := regexp.MustCompile(`^\d{8}T\d{6}-(\d+)-svc-` + router + `-t\d+-0x1$`)
			if m := nameRe.FindStringSubmatch(filepath.Base(f)); m == nil {
				t.Fatalf("file name %s", filepath.Base(f))
			}
			opened, _ := asynclog.ParseFileName(filepath.Base(f))
			if d := filepath.Base(filepath.Dir(f)); d != asynclog.DirName(opened) ||
				opened.Before(before.Truncate(time.Second)) {
				t.Fatalf("dir %s for a file opened %v", d, opened)
			}
			b, _ := os.ReadFile(f)
			var rec string
			if !v2 {
				rec = `\["AS1\.0",\d+(\.\d{1,3})?,"C",\["127\.0\.0\.1",%d,"delete %s\\r\\n"\]\]\n`
			} else {
				rec = `\["AS2\.0",\d+(\.\d{1,3})?,"C",\{"s":"svc","f":"` + router + `","r":"\.","h":"\[127\.0\.0\.1\]:%d","p":"A","k":"%s","a":\{"al":1\}\}\]\n`
			}
			want := "^" + fmt.Sprintf(rec, dead, "k1") + fmt.Sprintf(rec, dead, "k2") + "$"
			if !regexp.MustCompile(want).Match(b) {
				t.Fatalf("spool file:\n%s\nwant %s", b, want)
			}
			p.stop(t)
			if st, _ := os.Stat(f); st.Mode().Perm() != 0o444 {
				t.Fatalf("closed spool file mode %v", st.Mode())
			}

			m := mctest.RestartMemcached(t, &mctest.Memcached{Host: "127.0.0.1", Port: dead})
			mc := mctest.Dial(t, m.Addr)
			for _, k := range []string{"k1", "k2", "k3"} {
				mc.Do("set " + k + " 0 0 1\r\nx\r\n")
			}
			out := runReplayBin(t, bin, "--async-dir", dir, "--once", "--deadline", "20s")
			if !strings.Contains(out, fmt.Sprintf("127.0.0.1:%d: deleted 2, not_found 0", dead)) || !strings.Contains(out, "files removed 1") {
				t.Fatalf("replay output:\n%s", out)
			}
			for k, want := range map[string]string{"k1": "END\r\n", "k2": "END\r\n", "k3": "VALUE k3 0 1\r\nx\r\nEND\r\n"} {
				if got := mc.Do("get " + k + "\r\n"); got != want {
					t.Fatalf("get %s after replay: %q, want %q", k, got, want)
				}
			}
			if left := spoolFiles(t, dir); len(left) != 0 {
				t.Fatalf("files left after replay: %v", left)
			}
		})
	}
}

// TestAsynclogRealErrors: no spool (-a under a file, which fails even for
// root), "asynclog": false, Pool|X and --asynclog-disable answer the real
// error, never a silent NOT_FOUND.
func TestAsynclogRealErrors(t *testing.T) {
	bin := buildBinary(t)
	dead := mctest.FreePort(t, "127.0.0.1")
	pools := fmt.Sprintf(`"pools":{"A":{"servers":["127.0.0.1:%d"]}}`, dead)
	good := filepath.Join(t.TempDir(), "spool")
	cases := []struct {
		name, route string
		flags       []string
	}{
		{"unwritable spool", `"PoolRoute|A"`, []string{"-a", "/dev/null/spool"}},
		{"asynclog false", `{"type":"PoolRoute","pool":"A","asynclog":false}`, []string{"-a", good}},
		{"Pool|A", `"Pool|A"`, []string{"-a", good}},
		{"--asynclog-disable", `"PoolRoute|A"`, []string{"-a", good, "--asynclog-disable"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := startMcroute(t, bin, `{`+pools+`,"route":`+c.route+`}`, c.flags...)
			cl := mctest.Dial(t, p.addr)
			if got := cl.Do("delete k\r\n"); !strings.HasPrefix(got, "SERVER_ERROR") {
				t.Fatalf("delete: %q, want the real error\n%s", got, p.stderr)
			}
			p.stop(t)
			if c.name == "unwritable spool" && !strings.Contains(p.stderr.String(), "asynclog: cannot spool") {
				t.Errorf("spool failure not logged:\n%s", p.stderr)
			}
		})
	}
	if files := spoolFiles(t, good); len(files) != 0 {
		t.Fatalf("spooled without an AsynclogRoute: %v", files)
	}
}

// slowServer answers each delete DELETED after a pause, and records the
// keys it answered.
type slowServer struct {
	ln    net.Listener
	mu    sync.Mutex
	acked map[string]bool
	conns []net.Conn
}

func startSlowServer(t *testing.T, port int, pause time.Duration) *slowServer {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	s := &slowServer{ln: ln, acked: map[string]bool{}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			go func() {
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					time.Sleep(pause)
					if _, err := c.Write([]byte("DELETED\r\n")); err != nil {
						return
					}
					s.mu.Lock()
					s.acked[strings.TrimSpace(strings.TrimPrefix(line, "delete "))] = true
					s.mu.Unlock()
				}
			}()
		}
	}()
	return s
}

func (s *slowServer) close() {
	s.ln.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
}

// TestReplayKilledMidFile: a replayer killed (SIGKILL) while a slow server
// answers loses nothing: the rerun applies every record the slow server
// did not acknowledge, and removes the file.
func TestReplayKilledMidFile(t *testing.T) {
	bin := buildBinary(t)
	port := mctest.FreePort(t, "127.0.0.1")
	dir := filepath.Join(t.TempDir(), "spool")
	now := time.Now().Add(-time.Hour) // a complete file of an mcrouter (by age)
	hour := filepath.Join(dir, asynclog.DirName(now))
	os.MkdirAll(hour, 0o777)
	var buf []byte
	var f asynclog.Format
	const n = 60
	for i := range n {
		buf = f.AppendRecord(buf, now, "127.0.0.1", port, "A", []byte(fmt.Sprintf("key%d", i)))
	}
	path := filepath.Join(hour, asynclog.FileName(now, "mcrouter", "5000", 1, 0xabc))
	if err := os.WriteFile(path, buf, 0o666); err != nil {
		t.Fatal(err)
	}

	slow := startSlowServer(t, port, 20*time.Millisecond)
	cmd := exec.Command(bin, "replay", "-a", dir, "--once", "--timeout", "10s")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(900 * time.Millisecond) // a few batches of 16 at 20 ms a delete
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	slow.close()
	slow.mu.Lock()
	acked := slow.acked
	slow.mu.Unlock()
	if len(acked) == 0 || len(acked) == n {
		t.Fatalf("the slow server acknowledged %d of %d deletes before the kill; want some", len(acked), n)
	}
	if len(spoolFiles(t, dir)) != 1 {
		t.Fatal("the file is gone after a killed replay")
	}

	m := mctest.RestartMemcached(t, &mctest.Memcached{Host: "127.0.0.1", Port: port})
	mc := mctest.Dial(t, m.Addr)
	for i := range n {
		mc.Do(fmt.Sprintf("set key%d 0 0 1\r\nx\r\n", i))
	}
	out := runReplayBin(t, bin, "-a", dir, "--once", "--deadline", "20s")
	resent := 0
	for i := range n {
		k := fmt.Sprintf("key%d", i)
		got := mc.Do("get " + k + "\r\n")
		if got == "END\r\n" {
			resent++
		} else if !acked[k] {
			t.Fatalf("%s was neither acknowledged before the kill nor replayed after it (%q)\n%s", k, got, out)
		}
	}
	if resent == 0 || resent == n {
		t.Logf("resent %d of %d (progress is saved per batch)", resent, n)
	}
	if left := spoolFiles(t, dir); len(left) != 0 {
		t.Fatalf("files left: %v\n%s", left, out)
	}
}
