//go:build linux

package tlsconn

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestTLSCertRotationWatched: with an hour's ReloadInterval, a key then
// a certificate written in place are picked up (inotify), whether or not
// a check fell between the two writes.
func TestTLSCertRotationWatched(t *testing.T) {
	p := newPKI(t)
	g := startWatched(t, p, time.Hour, nil)
	if !g.first {
		t.Fatal("not watched with inotify")
	}
	next := p.ca.Issue(t, "router-2", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	writeBytes(t, p.files.Key, next.KeyPEM)
	writeBytes(t, p.files.Cert, next.CertPEM)
	g.waitFor("new pair presented", func() bool { return g.cn() == "router-2" })
	if n := g.s.Stats().Reloads.Load(); n != 1 {
		t.Errorf("%d reloads counted, want 1", n)
	}
}

// TestTLSCertHalfWrittenWatched: a key written without its certificate
// fails to load and the old pair stays; the certificate written later is
// picked up by its own event (an hour's retry period cannot be it).
func TestTLSCertHalfWrittenWatched(t *testing.T) {
	p := newPKI(t)
	g := startWatched(t, p, time.Hour, nil)
	next := p.ca.Issue(t, "router-2", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	writeBytes(t, p.files.Key, next.KeyPEM)
	g.waitFor("half-written pair refused", func() bool { return g.s.Stats().ReloadFails.Load() >= 1 })
	if cn := g.cn(); cn != "router" {
		t.Fatalf("presenting %q after a half-written pair", cn)
	}
	writeBytes(t, p.files.Cert, next.CertPEM)
	g.waitFor("completed pair presented", func() bool { return g.cn() == "router-2" })
}

// TestTLSCertRetryWithoutEvent: a pair that fails to load is tried again
// every ReloadInterval with no file event (the backstop is a minute away),
// until it loads.
func TestTLSCertRetryWithoutEvent(t *testing.T) {
	p := newPKI(t)
	g := startWatched(t, p, 20*time.Millisecond, nil)
	next := p.ca.Issue(t, "router-2", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	writeBytes(t, p.files.Key, next.KeyPEM) // a few events at most
	g.waitFor("retries", func() bool { return g.s.Stats().ReloadFails.Load() >= 6 })
	writeBytes(t, p.files.Cert, next.CertPEM)
	g.waitFor("completed pair presented", func() bool { return g.cn() == "router-2" })
}

// TestTLSWatchIdle: with the files unchanged and no seed file, the watcher
// checks nothing after its first check (the random key's rotation is a
// day away), even while other files in the certificates' directory change.
func TestTLSWatchIdle(t *testing.T) {
	p := newPKI(t)
	g := startWatched(t, p, time.Hour, nil)
	if c := g.s.checks.Load(); c != 1 {
		t.Fatalf("%d checks at start, want 1", c)
	}
	dir := filepath.Dir(p.files.Cert)
	writeBytes(t, filepath.Join(dir, "unrelated"), []byte("x"))
	if err := os.Remove(filepath.Join(dir, "unrelated")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // absence of checks: nothing to wait for
	if c := g.s.checks.Load(); c != 1 {
		t.Errorf("%d checks with the files unchanged, want 1", c)
	}
	// Alive: a touch of the CA (same contents) is checked, and no reload.
	writeBytes(t, p.files.CA, p.ca.PEM)
	g.waitFor("touch checked", func() bool { return g.s.checks.Load() >= 2 })
	if n := g.s.Stats().Reloads.Load(); n != 0 {
		t.Errorf("%d reloads of unchanged contents", n)
	}
}
