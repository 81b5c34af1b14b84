package engine_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// TestCarbonLookasideRouteCaches: a get misses the lookaside cache (its
// own memcached, reached through the flavor's embedded config), is served
// by the backend and lands in the cache under the prefixed key; the next
// get is served from the cache even after the backend's copy is gone.
func TestCarbonLookasideRouteCaches(t *testing.T) {
	ms := startMemcacheds(t, 2)
	cacheMc, backend := mctest.Dial(t, ms[0].Addr), mctest.Dial(t, ms[1].Addr)
	dir := t.TempDir()
	client, _ := json.Marshal(map[string]any{
		"pools": map[string]any{"C": map[string]any{"servers": []string{ms[0].Addr}}},
		"route": "PoolRoute|C",
	})
	flavor := `{"options": {"config": "file:client.json", "num_proxies": "4"}}`
	if err := os.WriteFile(filepath.Join(dir, "client.json"), client, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lookaside.json"), []byte(flavor), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]any{
		"pools": map[string]any{"B": map[string]any{"servers": []string{ms[1].Addr}}},
		"route": map[string]any{
			"type": "CarbonLookasideRoute", "child": "PoolRoute|B", "prefix": "la:", "ttl": 60,
			"flavor": "file:" + filepath.Join(dir, "lookaside.json"),
		},
	})
	p := startProxy(t, string(cfg), engine.Options{EnableFlush: true}, router.Options{})
	c := mctest.Dial(t, p.Addr)

	backend.Do("set k 9 0 4\r\nback\r\n")
	if got := c.Do("get k\r\n"); got != "VALUE k 9 4\r\nback\r\nEND\r\n" {
		t.Fatalf("first get: %q", got)
	}
	eventually(t, "the cache filled under the prefixed key", func() bool {
		return cacheMc.Do("get la:k\r\n") == "VALUE la:k 9 4\r\nback\r\nEND\r\n"
	})
	if got := cacheMc.Do("get k\r\n"); got != "END\r\n" {
		t.Fatalf("cache has the unprefixed key: %q", got)
	}
	backend.Do("delete k\r\n")
	if got := c.Do("get k\r\n"); got != "VALUE k 9 4\r\nback\r\nEND\r\n" {
		t.Fatalf("get after the backend's delete: %q", got)
	}
	// Writes go to the backend only; a miss everywhere is a miss.
	if got := c.Do("set w 0 0 1\r\nx\r\n"); got != "STORED\r\n" {
		t.Fatalf("set: %q", got)
	}
	if got := cacheMc.Do("get la:w\r\n"); got != "END\r\n" {
		t.Fatalf("set reached the cache: %q", got)
	}
	if got := backend.Do("get w\r\n"); got != "VALUE w 0 1\r\nx\r\nEND\r\n" {
		t.Fatalf("backend after set: %q", got)
	}
	if got := c.Do("get nothing\r\n"); got != "END\r\n" {
		t.Fatalf("miss: %q", got)
	}
	// flush_all goes to the config's servers, not the embedded router's.
	if got := c.Do("flush_all\r\n"); got != "OK\r\n" {
		t.Fatalf("flush_all: %q", got)
	}
	if got := cacheMc.Do("get la:k\r\n"); got != "VALUE la:k 9 4\r\nback\r\nEND\r\n" {
		t.Fatalf("flush_all reached the lookaside cache: %q", got)
	}
	if got := backend.Do("get w\r\n"); got != "END\r\n" {
		t.Fatalf("flush_all did not reach the backend: %q", got)
	}
}
