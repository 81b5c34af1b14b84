package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"mcroute/engine/mctest"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite README.md's mcrouter option table from mcrouterOptions")

// awaitingMerge are implemented options whose real flags are defined on
// other branches (TKO, TLS); until they land, they are placeholders here.
var awaitingMerge = map[string]bool{
	"ssl-port": true, "pem-cert-path": true, "pem-key-path": true, "pem-ca-path": true,
	"server-pem-cert-path": true, "server-pem-key-path": true, "server-pem-ca-path": true,
	"ssl-require-peer-certs": true, "ssl-verify-peers": true,
}

// TestMcrouterOptionTable: the table has every long option of mcrouter's
// headers once; implemented options are real flags, the others
// placeholders; every short form is defined.
func TestMcrouterOptionTable(t *testing.T) {
	b, err := os.ReadFile("testdata/mcrouter-option-names.txt")
	if err != nil {
		t.Fatal(err)
	}
	inTable := map[string]bool{}
	for _, o := range mcrouterOptions {
		if o.name == "" {
			continue
		}
		if inTable[o.name] {
			t.Errorf("--%s is in the table twice", o.name)
		}
		inTable[o.name] = true
	}
	for _, n := range strings.Split(string(b), "\n") {
		if n = strings.TrimSpace(n); strings.HasPrefix(n, "#") || n == "" {
			continue
		}
		if !inTable[n] {
			t.Errorf("mcrouter option --%s is not in mcrouterOptions", n)
		}
	}
	var o options
	fs := newFlagSet(&o, io.Discard)
	real := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { real[f.Name] = true })
	acceptMcrouterOptions(fs)
	for _, m := range mcrouterOptions {
		if m.kind == builtin {
			continue
		}
		name := m.name
		if name == "" {
			name = m.short
		}
		f := fs.Lookup(name)
		if f == nil {
			t.Errorf("%s: not defined", name)
			continue
		}
		_, isPlaceholder := f.Value.(*placeholder)
		switch {
		case m.status == implemented && isPlaceholder && !awaitingMerge[name]:
			t.Errorf("--%s: implemented, but only a placeholder", name)
		case m.status != implemented && !isPlaceholder:
			t.Errorf("--%s: %s, but mcroute defines it: update the table", name, m.status)
		case m.status != implemented && m.note == "":
			t.Errorf("--%s: %s needs a note saying why or which issue", name, m.status)
		}
		if m.short != "" && fs.Lookup(m.short) == nil {
			t.Errorf("-%s (--%s) not defined", m.short, m.name)
		}
		if m.short != "" && m.name != "" && fs.Lookup(m.short).Value != f.Value {
			t.Errorf("-%s is not an alias of --%s", m.short, m.name)
		}
	}
}

// TestRealFlagWins: a name defined before acceptMcrouterOptions keeps its
// definition (as when the TKO and TLS flags land), and its short form
// becomes an alias of it.
func TestRealFlagWins(t *testing.T) {
	// --probe-timeout-initial is a real flag (with -r and --retry-timeout
	// as aliases): the table must not shadow it with a placeholder.
	var o options
	fs := newFlagSet(&o, io.Discard)
	acceptMcrouterOptions(fs)
	if err := fs.Parse(splitShortArgs(fs, []string{"-r5000", "--fibers-stack-size", "1", "-p", "5000"})); err != nil {
		t.Fatal(err)
	}
	if o.probeTimeoutInitial != 5000 || o.ports != "5000" {
		t.Errorf("probe %d ports %q", o.probeTimeoutInitial, o.ports)
	}
	if err := fs.Parse([]string{"--retry-timeout=7000"}); err != nil || o.probeTimeoutInitial != 7000 {
		t.Errorf("--retry-timeout: %v, probe %d", err, o.probeTimeoutInitial)
	}
}

// renderOptionTable is README's table of mcrouter's options.
func renderOptionTable() string {
	var b strings.Builder
	count := map[optStatus]int{}
	b.WriteString("| option | mcrouter default | in mcroute | notes |\n|---|---|---|---|\n")
	for _, o := range mcrouterOptions {
		count[o.status]++
		var names []string
		if o.name != "" {
			names = append(names, "`--"+o.name+"`")
		}
		if o.short != "" {
			names = append(names, "`-"+o.short+"`")
		}
		d := o.dflt
		if d != "" {
			d = "`" + d + "`"
		}
		note := strings.ReplaceAll(o.note, "|", `\|`)
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", strings.Join(names, ", "), d, o.status, note)
	}
	fmt.Fprintf(&b, "\n%d options: %d implemented, %d accepted without effect, %d planned.\n",
		len(mcrouterOptions), count[implemented], count[ignored], count[planned])
	return b.String()
}

const (
	tableBegin = "<!-- mcrouter option table: generated from cmd/mcroute/mcrouter_options.go; go test ./cmd/mcroute -run TestREADMEOptionTable -update-readme -->\n"
	tableEnd   = "<!-- end of mcrouter option table -->\n"
)

// TestREADMEOptionTable: README's table is mcrouterOptions rendered.
func TestREADMEOptionTable(t *testing.T) {
	const path = "../../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, tableBegin), strings.Index(s, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no mcrouter option table markers")
	}
	want := renderOptionTable()
	if got := s[i+len(tableBegin) : j]; got != want {
		if *updateREADME {
			s = s[:i+len(tableBegin)] + want + s[j:]
			if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's mcrouter option table differs from mcrouterOptions: run go test ./cmd/mcroute -run TestREADMEOptionTable -update-readme")
	}
}

// TestMcrouterCommandLine starts the binary with a long mcrouter command
// line (both value syntaxes, toggles with and without values, short forms
// attached and not, options mcroute ignores) and serves through real
// memcached. The ignored options are named in one warning.
func TestMcrouterCommandLine(t *testing.T) {
	bin := buildBinary(t)
	m := mctest.StartMemcached(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "mcrouter.json")
	// %pool% comes from --config-params, overridden by
	// --additional-config-params (pool B does not exist).
	text := fmt.Sprintf(`{"pools": {"A": {"servers": ["%s"]}}, "route": "PoolRoute|%%pool%%"}`, m.Addr)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	port := mctest.FreePort(t, "127.0.0.1")
	logPath := filepath.Join(dir, "mcrouter.log")
	args := []string{
		"-p", fmt.Sprint(port),
		"--listen-addresses=127.0.0.1",
		"-f", cfg,
		"--config-params", "pool:B",
		"--additional-config-params=pool:A",
		"-R", "/././",
		"-a" + filepath.Join(dir, "spool"),
		"--num-proxies=2",
		"-t", "800",
		"--server-timeout=900",
		"--asynclog-disable",
		"--use-asynclog-version2=false",
		"--disable-reload-configs=1",
		"--enable-flush-cmd=true",
		"--send-invalid-route-to-default",
		"--big-value-split-threshold", "0",
		"--max-client-outstanding-reqs=1000",
		"--target-max-inflight-requests", "4096",
		"--service-name", "test",
		"--stats-root", filepath.Join(dir, "stats"),
		"--stats-logging-interval=0",
		"--debug-fifo-root=",
		"--config-dump-root", filepath.Join(dir, "dump"),
		"--fibers-max-pool-size=2000",
		"--fibers-stack-size", "65536",
		"--disable-fibers-use-guard-pages",
		"-K", "3", "-i", "10", "-I5",
		"--keepalive-count=3",
		"--reset-inactive-connection-interval=10000",
		"--connect-timeout-retries=1",
		"--disable-failure-logging",
		"--carbon-router-name", "Memcache",
		"--use-thrift=0",
		"--num-listening-sockets", "1",
		"--ssl-handshake-offload",
		"--timeouts-until-tko=3",
		"--probe-timeout-initial", "5000",
		"--probe-timeout-max=60000",
		"-v", "1",
		"-d",
		"--gets",
		"-L", logPath,
	}
	cmd := exec.Command(bin, args...)
	var out syncBuffer
	cmd.Stderr, cmd.Stdout = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	}()
	logText := func() string { b, _ := os.ReadFile(logPath); return out.String() + string(b) }
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := mctest.WaitListening(addr, 10*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, logText())
	}
	c := mctest.Dial(t, addr)
	if got := c.Do("set cli 0 0 2\r\nok\r\n"); got != "STORED\r\n" {
		t.Fatalf("set: %q\n%s", got, logText())
	}
	if got := c.Do("get cli\r\n"); got != "VALUE cli 0 2\r\nok\r\nEND\r\n" {
		t.Fatalf("get: %q", got)
	}
	direct := mctest.Dial(t, m.Addr)
	if got := direct.Do("get cli\r\n"); got != "VALUE cli 0 2\r\nok\r\nEND\r\n" {
		t.Fatalf("memcached: %q", got)
	}
	if got := c.Do("flush_all\r\n"); got != "OK\r\n" {
		t.Errorf("flush_all with --enable-flush-cmd=true: %q", got)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, logText())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	if out.String() != "" {
		t.Errorf("with -L, stderr should stay empty: %q", out.String())
	}
	log, _ := os.ReadFile(logPath)
	var warnings []string
	sc := bufio.NewScanner(bytes.NewReader(log))
	for sc.Scan() {
		if strings.Contains(sc.Text(), "ignoring options") {
			warnings = append(warnings, sc.Text())
		}
	}
	if len(warnings) != 1 {
		t.Fatalf("want one warning naming the ignored options, got %d:\n%s", len(warnings), log)
	}
	for _, n := range []string{"--fibers-max-pool-size", "--keepalive-count (planned)", "--keepalive-interval (planned)",
		"--keepalive-idle (planned)", "--stats-root (planned)", "--carbon-router-name", "-d", "--gets", "--verbosity"} {
		if !strings.Contains(warnings[0], n) {
			t.Errorf("warning does not name %s: %s", n, warnings[0])
		}
	}
	for _, n := range []string{"--num-proxies", "--server-timeout", "--listen-addresses", "--enable-flush-cmd"} {
		if strings.Contains(warnings[0], n+",") || strings.HasSuffix(warnings[0], n) {
			t.Errorf("warning names implemented %s: %s", n, warnings[0])
		}
	}
}
