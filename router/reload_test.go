package router

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

type memFS struct {
	mu    sync.Mutex
	files map[string]string
}

func (m *memFS) read(p string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.files[p]
	if !ok {
		return nil, errors.New("no such file")
	}
	return []byte(s), nil
}

func TestReloaderKeepsRunningConfigOnFailure(t *testing.T) {
	fs := &memFS{files: map[string]string{
		"c.json": `{"pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}}, "route": "PoolRoute|A"}`,
	}}
	text, _ := fs.read("c.json")
	cfg, err := Build("c.json", text, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := New(cfg)
	w := &Reloader{R: r, File: "c.json", ReadFile: fs.read}
	if sig := w.signature(cfg); sig != builtSignature("c.json", cfg) {
		t.Fatalf("unchanged files look changed:\n%s\n%s", sig, builtSignature("c.json", cfg))
	}

	fs.files["c.json"] = `{"pools": {"A": {"servers": ["127.0.0.1:1"]}}, "route": {"type": "Nope"}}`
	if err := w.Reload(); err == nil || !strings.Contains(err.Error(), "Unknown RouteHandle: Nope") {
		t.Fatalf("bad config: %v", err)
	}
	if r.Current() != cfg || r.Failures.Load() != 1 {
		t.Fatal("a bad config replaced the running one")
	}
	if w.signature(r.Current()) != w.failed {
		t.Fatal("a failed build must not be retried until the files change")
	}

	fs.files["c.json"] = `{"pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:3"]}}, "route": "PoolRoute|A"}`
	if err := w.Reload(); err != nil {
		t.Fatal(err)
	}
	next := r.Current()
	if next == cfg || len(next.Servers) != 2 || r.Reloads.Load() != 1 {
		t.Fatalf("new config not installed: %+v", next.Servers)
	}
	if next.Servers[0].Dest != cfg.Servers[0].Dest {
		t.Error("a server kept across the reload is not mapped to its registry destination")
	}
	if next.Servers[1].Dest == cfg.Servers[1].Dest {
		t.Error("a new server shares a removed server's destination")
	}
}

// TestPoolsSharingAServerKeepTheirTimeouts: two pools naming one host with
// different connect timeouts get a Server each (each request dials with
// its own pool's timeout), sharing one Destination.
func TestPoolsSharingAServerKeepTheirTimeouts(t *testing.T) {
	cfg, err := Build("", []byte(`{"pools": {
		"A": {"servers": ["127.0.0.1:7101"], "connect_timeout": 50},
		"B": {"servers": ["127.0.0.1:7101"], "connect_timeout": 900}},
		"route": {"type": "AllSyncRoute", "children": ["PoolRoute|A", "PoolRoute|B"]}}`), Options{ServerTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Servers) != 2 || cfg.Servers[0].Dest != cfg.Servers[1].Dest ||
		cfg.Servers[0].ConnectTimeout == cfg.Servers[1].ConnectTimeout {
		t.Fatalf("servers: %+v", cfg.Servers)
	}
}
