package router

import (
	"context"
	"errors"
	"fmt"
	"mcroute/fswatch/fswatchtest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests here run Reloader.Run on real files in a temporary directory
// and wait for what they expect with generous deadlines; nothing depends
// on how fast it happens. "An hour" poll periods make the backstop poll
// (Backstop: 60 hours) unable to be what found a change.

const hour = time.Hour

// poolConfig is a config whose one pool has n servers, so that a reload
// shows in len(cfg.Servers).
func poolConfig(n int) string {
	var s []string
	for i := range n {
		s = append(s, fmt.Sprintf(`"127.0.0.1:%d"`, 7000+i))
	}
	return `{"pools": {"A": {"servers": [` + strings.Join(s, ", ") + `]}}, "route": "PoolRoute|A"}`
}

// reloadRig runs a Reloader on file until the test ends.
type reloadRig struct {
	t     *testing.T
	r     *Router
	w     *Reloader
	armed chan bool // every arm's inotify flag, in order (dropped when full)
	mu    sync.Mutex
	log   strings.Builder
}

// startReloader builds file, starts Run with poll and no delay, and waits
// until the watches are set. init replaces inotify_init1 when non-nil.
func startReloader(t *testing.T, file string, poll time.Duration, init func() (int, error)) *reloadRig {
	t.Helper()
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Build(file, text, Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := &reloadRig{t: t, r: New(cfg), armed: make(chan bool, 1000)}
	g.w = &Reloader{R: g.r, File: file, Poll: poll, Delay: -1, inotifyInit: init,
		Logf: func(format string, args ...any) {
			g.mu.Lock()
			defer g.mu.Unlock()
			fmt.Fprintf(&g.log, format+"\n", args...)
		},
		armed: func(inotify bool) {
			select {
			case g.armed <- inotify:
			default:
			}
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-g.armed:
	case <-time.After(10 * time.Second):
		t.Fatal("Run never set its watches")
	}
	return g
}

func (g *reloadRig) logs() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.log.String()
}

// waitServers waits until a reload has installed a config with n servers.
func (g *reloadRig) waitServers(n int) {
	g.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if len(g.r.Current().Servers) == n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	g.t.Fatalf("no reload to %d servers (have %d, %d reloads, %d checks)\n%s",
		n, len(g.r.Current().Servers), g.r.Reloads.Load(), g.w.checks.Load(), g.logs())
}

// TestReloadPollsWithoutInotify: when inotify cannot start, Run says so
// once and checks the files every Poll, as before.
func TestReloadPollsWithoutInotify(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.json")
	fswatchtest.WriteFile(t, file, poolConfig(1))
	g := startReloader(t, file, 10*time.Millisecond, func() (int, error) { return -1, errors.New("injected: no inotify") })
	fswatchtest.WriteFile(t, file, poolConfig(2))
	g.waitServers(2)
	for c := g.w.checks.Load(); g.w.checks.Load() < c+5; {
		time.Sleep(5 * time.Millisecond) // a few more polls, to see the log line stays single
	}
	if n := strings.Count(g.logs(), "inotify unavailable (injected: no inotify); polling them every 10ms"); n != 1 {
		t.Errorf("fallback logged %d times:\n%s", n, g.logs())
	}
}

func TestBackstop(t *testing.T) {
	for _, tc := range []struct{ poll, want time.Duration }{
		{100 * time.Millisecond, time.Minute},
		{time.Second, time.Minute},
		{5 * time.Second, 5 * time.Minute},
		{hour, 60 * hour},
	} {
		if got := Backstop(tc.poll); got != tc.want {
			t.Errorf("Backstop(%v) = %v, want %v", tc.poll, got, tc.want)
		}
	}
}
