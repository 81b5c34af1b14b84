package tlsconn

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// The watcher tests run Server.watch on real files and wait for what they
// expect with generous deadlines; nothing depends on how fast it happens.
// An hour's ReloadInterval makes the backstop (60 hours) and the retry
// timer unable to be what found a change.

// tlsRig is a Server whose watcher runs, with its hooks set.
type tlsRig struct {
	t     *testing.T
	s     *Server
	armed chan bool
	first bool // the first check's inotify flag
	mu    sync.Mutex
	log   strings.Builder
}

// startWatched starts a server on p's files checked every interval (or on
// inotify events) and waits for its watcher's first check. init replaces
// inotify_init1 when non-nil.
func startWatched(t *testing.T, p *pki, interval time.Duration, init func() (int, error)) *tlsRig {
	t.Helper()
	g := &tlsRig{t: t, armed: make(chan bool, 1000)}
	o := ServerOptions{CertFile: p.files.Cert, KeyFile: p.files.Key, CAFile: p.files.CA, ReloadInterval: interval, Workers: 1,
		Logf: func(format string, args ...any) {
			g.mu.Lock()
			defer g.mu.Unlock()
			fmt.Fprintf(&g.log, format+"\n", args...)
		},
	}
	s, err := newServerHooked(o, func(s *Server) {
		s.inotifyInit = init
		s.armed = func(inotify bool) {
			select {
			case g.armed <- inotify:
			default:
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	g.s = s
	select {
	case g.first = <-g.armed:
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher never checked")
	}
	return g
}

func (g *tlsRig) logs() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.log.String()
}

// cn is the common name of the certificate new handshakes present.
func (g *tlsRig) cn() string {
	return g.s.cfg.Load().Certificates[0].Leaf.Subject.CommonName
}

// waitFor waits until cond holds.
func (g *tlsRig) waitFor(what string, cond func() bool) {
	g.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			st := g.s.Stats()
			g.t.Fatalf("%s: never happened (%d checks, %d reloads, %d failed); log:\n%s",
				what, g.s.checks.Load(), st.Reloads.Load(), st.ReloadFails.Load(), g.logs())
		}
	}
}

func writeBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTLSWatchPollsWithoutInotify: when inotify cannot start, the watcher
// says so once and picks a new pair up by polling.
func TestTLSWatchPollsWithoutInotify(t *testing.T) {
	p := newPKI(t)
	g := startWatched(t, p, 10*time.Millisecond, func() (int, error) { return -1, errors.New("injected: no inotify") })
	if g.first {
		t.Error("armed with inotify")
	}
	next := p.ca.Issue(t, "router-2", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	writeBytes(t, p.files.Key, next.KeyPEM)
	writeBytes(t, p.files.Cert, next.CertPEM)
	g.waitFor("new pair presented", func() bool { return g.cn() == "router-2" })
	if n := strings.Count(g.logs(), "inotify unavailable (injected: no inotify); polling them every 10ms"); n != 1 {
		t.Errorf("logged %d times:\n%s", n, g.logs())
	}
}

// TestRandomTicketKeyDue: without a seed file the watcher's next wake-up
// is the random key's rotation, a day after it was drawn, not a poll.
func TestRandomTicketKeyDue(t *testing.T) {
	s := newServer(t, newPKI(t), nil)
	if d := s.checkTickets(); d < randomKeyLife-time.Minute || d > randomKeyLife {
		t.Fatalf("next check in %v, want the key's life %v", d, randomKeyLife)
	}
	s.mu.Lock()
	s.tickets.made = time.Now().Add(-randomKeyLife - time.Second)
	first := s.tickets.keys[0]
	s.mu.Unlock()
	if d := s.checkTickets(); d < randomKeyLife-time.Minute || d > randomKeyLife {
		t.Fatalf("after a due rotation: next check in %v, want %v", d, randomKeyLife)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tickets.keys[0] == first || s.tickets.keys[1] != first {
		t.Fatal("the due key was not rotated")
	}
}
