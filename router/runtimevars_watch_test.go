package router

import (
	"context"
	"errors"
	"fmt"
	"mcroute/fswatch/fswatchtest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// rvRig runs RuntimeVars.Watch on a file until the test ends.
type rvRig struct {
	t     *testing.T
	v     *RuntimeVars
	slot  int
	armed chan bool
	first bool // the first check's inotify flag
	mu    sync.Mutex
	log   strings.Builder
}

// startRuntimeVars loads path (holding text), registers the variable
// key_fraction_range_foo, starts Watch with poll and waits for its first
// check. init replaces inotify_init1 when non-nil.
func startRuntimeVars(t *testing.T, path, text string, poll time.Duration, init func() (int, error)) *rvRig {
	t.Helper()
	fswatchtest.WriteFile(t, path, text)
	g := &rvRig{t: t, v: NewRuntimeVars(path), armed: make(chan bool, 1000)}
	g.v.Logf = func(format string, args ...any) {
		g.mu.Lock()
		defer g.mu.Unlock()
		fmt.Fprintf(&g.log, format+"\n", args...)
	}
	g.v.inotifyInit = init
	g.v.armed = func(inotify bool) {
		select {
		case g.armed <- inotify:
		default:
		}
	}
	if _, err := g.v.Load(); err != nil {
		t.Fatal(err)
	}
	g.slot = g.v.slot("key_fraction_range_foo")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.v.Watch(ctx, poll) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case g.first = <-g.armed:
	case <-time.After(10 * time.Second):
		t.Fatal("Watch never checked")
	}
	return g
}

func (g *rvRig) logs() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.log.String()
}

// waitRange waits until the variable's published upper bound is hi.
func (g *rvRig) waitRange(hi float64) {
	g.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, h, ok := g.v.keyRange(g.slot); ok && h == fractionToHash(hi) {
			return
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("range never ended at %v (%d checks)\n%s", hi, g.v.checks.Load(), g.logs())
		}
	}
}

// TestRuntimeVarsWatchPollsWithoutInotify: when inotify cannot start,
// Watch says so once and picks a change up by polling.
func TestRuntimeVarsWatchPollsWithoutInotify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rv.json")
	g := startRuntimeVars(t, path, `{"key_fractions": {"foo": 0.1}}`, 10*time.Millisecond,
		func() (int, error) { return -1, errors.New("injected: no inotify") })
	fswatchtest.WriteFile(t, path, `{"key_fractions": {"foo": 0.2}}`)
	g.waitRange(0.2)
	if n := strings.Count(g.logs(), "inotify unavailable (injected: no inotify); polling them every 10ms"); n != 1 {
		t.Errorf("logged %d times:\n%s", n, g.logs())
	}
}
