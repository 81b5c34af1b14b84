package fswatch

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// "An hour" poll periods make the backstop (60 hours) unable to be what
// ran a check.
const hour = time.Hour

// loopRig runs a Loop until the test ends and counts its checks.
type loopRig struct {
	t      *testing.T
	checks atomic.Uint64
	armed  chan bool // every arm's inotify flag (dropped when full)
	mu     sync.Mutex
	log    strings.Builder
}

// startLoop starts a Loop on paths and waits for its first check. again,
// if set, is Check's answer for its nth call (from 1).
func startLoop(t *testing.T, paths []string, poll time.Duration, init func() (int, error), again func(n uint64) time.Duration) *loopRig {
	t.Helper()
	g := &loopRig{t: t, armed: make(chan bool, 1000)}
	l := &Loop{Paths: func() []string { return paths }, Poll: poll, What: "test files", Init: init,
		Logf: func(format string, args ...any) {
			g.mu.Lock()
			defer g.mu.Unlock()
			fmt.Fprintf(&g.log, format+"\n", args...)
		},
		Check: func() time.Duration {
			n := g.checks.Add(1)
			if again != nil {
				return again(n)
			}
			return 0
		},
		Armed: func(inotify bool) {
			select {
			case g.armed <- inotify:
			default:
			}
		},
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() { defer close(stopped); l.Run(done) }()
	t.Cleanup(func() { close(done); <-stopped })
	select {
	case <-g.armed:
	case <-time.After(10 * time.Second):
		t.Fatal("Run never checked")
	}
	return g
}

func (g *loopRig) logs() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.log.String()
}

// waitChecks waits until at least n checks have run.
func (g *loopRig) waitChecks(n uint64, what string) {
	g.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); g.checks.Load() < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			g.t.Fatalf("%s: %d checks, want %d\n%s", what, g.checks.Load(), n, g.logs())
		}
	}
}

// TestLoopPollsWithoutInotify: when inotify cannot start, Run says so
// once and checks every Poll.
func TestLoopPollsWithoutInotify(t *testing.T) {
	g := startLoop(t, []string{filepath.Join(t.TempDir(), "f")}, 10*time.Millisecond,
		func() (int, error) { return -1, errors.New("injected: no inotify") }, nil)
	g.waitChecks(5, "polling")
	if n := strings.Count(g.logs(), "test files: inotify unavailable (injected: no inotify); polling them every 10ms"); n != 1 {
		t.Errorf("logged %d times:\n%s", n, g.logs())
	}
	if inotify := <-g.armed; inotify {
		t.Error("armed with inotify")
	}
}

// TestLoopRetry: a check that asks to run again soon (a failed load, a key
// due) runs again without any event, and the loop then goes back to
// waiting for events.
func TestLoopRetry(t *testing.T) {
	g := startLoop(t, []string{filepath.Join(t.TempDir(), "f")}, hour, nil, func(n uint64) time.Duration {
		if n < 4 {
			return 10 * time.Millisecond
		}
		return 0
	})
	g.waitChecks(4, "retries")
}

func TestBackstop(t *testing.T) {
	for _, tc := range []struct{ poll, want time.Duration }{
		{100 * time.Millisecond, time.Minute},
		{time.Second, time.Minute},
		{5 * time.Second, 5 * time.Minute},
	} {
		if got := Backstop(tc.poll); got != tc.want {
			t.Errorf("Backstop(%v) = %v, want %v", tc.poll, got, tc.want)
		}
	}
}
