package tlsconn

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// seed returns a random 32-byte seed in hex, as mcrouter's seed files hold.
func seed(t testing.TB) string {
	t.Helper()
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

func seedJSON(old, current, next []string) string {
	q := func(s []string) string {
		if len(s) == 0 {
			return "[]"
		}
		return `["` + strings.Join(s, `", "`) + `"]`
	}
	return fmt.Sprintf(`{"old": %s, "current": %s, "new": %s}`, q(old), q(current), q(next))
}

func writeSeeds(t testing.TB, path, content string) {
	t.Helper()
	// Written beside and renamed, as an operator's tooling would: the
	// watcher never sees half a file (the half-written case has its own
	// test).
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// seededServer is a server whose ticket keys come from a seed file of its
// own (so that each can be rotated on its own), written with content.
func seededServer(t *testing.T, p *pki, content string, mod func(*ServerOptions)) (*Server, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "seeds.json")
	writeSeeds(t, path, content)
	s := newServer(t, p, func(o *ServerOptions) {
		o.TicketSeedFile = path
		if mod != nil {
			mod(o)
		}
	})
	return s, path
}

// connect makes one TLS connection to s with the session cache cache and
// reports whether it resumed. It round-trips a message so that a TLS 1.3
// ticket has arrived when it returns.
func connect(t *testing.T, s *Server, p *pki, cache tls.ClientSessionCache, maxVersion uint16) bool {
	t.Helper()
	cr, sr := pair(t)
	serve(t, s, sr, whole, nil)
	cc := clientConfig(p, p.client)
	cc.ClientSessionCache = cache
	cc.MaxVersion = maxVersion
	c := tls.Client(cr, cc)
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	echoRoundTrip(t, c, "hello")
	return c.ConnectionState().DidResume
}

var tlsVersions = []struct {
	name string
	v    uint16
}{{"TLS1.3", tls.VersionTLS13}, {"TLS1.2", tls.VersionTLS12}}

// TestTicketSeedsShared: two servers given the same seed file resume each
// other's sessions; a server with another file does not, and neither does
// one without a file (a random key of its own).
func TestTicketSeedsShared(t *testing.T) {
	p := newPKI(t)
	shared := seedJSON([]string{seed(t)}, []string{seed(t)}, []string{seed(t)})
	a, _ := seededServer(t, p, shared, nil)
	b, _ := seededServer(t, p, shared, nil)
	other, _ := seededServer(t, p, seedJSON(nil, []string{seed(t)}, nil), nil)
	random := newServer(t, p, nil)
	for _, tv := range tlsVersions {
		t.Run(tv.name, func(t *testing.T) {
			cache := tls.NewLRUClientSessionCache(4)
			if connect(t, a, p, cache, tv.v) {
				t.Fatal("first connection resumed")
			}
			if !connect(t, b, p, cache, tv.v) {
				t.Fatal("a session from a server with the same seed file did not resume")
			}
			if !connect(t, a, p, cache, tv.v) {
				t.Fatal("a session from b did not resume on a")
			}
			for name, s := range map[string]*Server{"another seed file": other, "no seed file": random} {
				cache := tls.NewLRUClientSessionCache(4)
				connect(t, a, p, cache, tv.v)
				if connect(t, s, p, cache, tv.v) {
					t.Fatalf("a session resumed on a server with %s", name)
				}
			}
		})
	}
}

// TestTicketSeedsRotation: the file rotated one step (current → old,
// new → current) keeps sessions resuming in both directions while the
// routers pick it up at different moments; two steps drop the oldest key.
func TestTicketSeedsRotation(t *testing.T) {
	p := newPKI(t)
	w, x, y, z, v := seed(t), seed(t), seed(t), seed(t), seed(t)
	step0 := seedJSON([]string{w}, []string{x}, []string{y})
	step1 := seedJSON([]string{x}, []string{y}, []string{z})
	step2 := seedJSON([]string{y}, []string{z}, []string{v})
	for _, tv := range tlsVersions {
		t.Run(tv.name, func(t *testing.T) {
			a, _ := seededServer(t, p, step0, nil)
			b, bPath := seededServer(t, p, step0, nil)

			fromA := tls.NewLRUClientSessionCache(4) // a ticket under x
			connect(t, a, p, fromA, tv.v)
			writeSeeds(t, bPath, step1)
			if changed, err := b.ReloadTickets(); !changed || err != nil {
				t.Fatalf("reload: %v %v", changed, err)
			}
			if !connect(t, b, p, fromA, tv.v) {
				t.Fatal("an old ticket (current before the rotation) did not resume")
			}
			fromB := tls.NewLRUClientSessionCache(4) // a ticket under y
			connect(t, b, p, fromB, tv.v)
			if !connect(t, a, p, fromB, tv.v) {
				t.Fatal("a ticket of the rotated router did not resume on one not yet rotated (new seed)")
			}

			stale := tls.NewLRUClientSessionCache(4) // a ticket under x
			connect(t, a, p, stale, tv.v)
			writeSeeds(t, bPath, step2)
			if changed, err := b.ReloadTickets(); !changed || err != nil {
				t.Fatalf("reload: %v %v", changed, err)
			}
			if connect(t, b, p, stale, tv.v) {
				t.Fatal("a ticket under a seed no longer in the file resumed")
			}
			if got := b.Stats().TicketReloads.Load(); got != 2 {
				t.Fatalf("ticket reloads %d", got)
			}
		})
	}
}

// TestTicketSeedsBadFile: a bad file refuses to start with an error naming
// the file and the field, and never the seed; on reload the running keys
// stay and the error is counted.
func TestTicketSeedsBadFile(t *testing.T) {
	p := newPKI(t)
	good := seed(t)
	cases := []struct {
		name, content, want string
	}{
		{"not JSON", `{"current": [`, "not a JSON object"},
		{"array", `["` + good + `"]`, "not a JSON object"},
		{"null", `null`, "not a JSON object"},
		{"no current", `{"old": ["` + good + `"]}`, `no "current" array`},
		{"empty current", `{"current": [], "new": ["` + good + `"]}`, `"current" holds no seed`},
		{"null current", `{"current": null}`, `"current" holds no seed`},
		{"current a string", `{"current": "` + good + `"}`, `"current" is not an array of hex strings`},
		{"old numbers", `{"current": ["` + good + `"], "old": [1]}`, `"old" is not an array of hex strings`},
		{"new not hex", `{"current": ["` + good + `"], "new": ["` + good + `", "zz` + good + `"]}`, `"new"[1] is not a hex string`},
		{"odd length", `{"current": ["` + good + `0"]}`, `"current"[0] is not a hex string`},
		{"short", `{"current": ["00112233445566778899aabbccddee"]}`, `"current"[0] is 15 bytes, at least 16`},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".json")
			writeSeeds(t, path, c.content)
			_, err := NewServer(ServerOptions{CertFile: p.files.Cert, KeyFile: p.files.Key, CAFile: p.files.CA, ReloadInterval: -1, TicketSeedFile: path})
			if err == nil {
				t.Fatal("bad seed file accepted")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q: want the file and %q", err, c.want)
			}
			if strings.Contains(err.Error(), good) {
				t.Fatalf("error %q shows a seed", err)
			}
		})
	}
	_, err := NewServer(ServerOptions{CertFile: p.files.Cert, KeyFile: p.files.Key, CAFile: p.files.CA, ReloadInterval: -1, TicketSeedFile: filepath.Join(dir, "missing.json")})
	if err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing file: %v", err)
	}

	t.Run("reload", func(t *testing.T) {
		s, path := seededServer(t, p, seedJSON(nil, []string{good}, nil), nil)
		cache := tls.NewLRUClientSessionCache(4)
		connect(t, s, p, cache, tls.VersionTLS13)
		writeSeeds(t, path, `{"current": ["`+good+`"], "new": ["nothex"]}`)
		changed, err := s.ReloadTickets()
		if changed || err == nil || !strings.Contains(err.Error(), `"new"[0]`) {
			t.Fatalf("bad reload: %v %v", changed, err)
		}
		if !connect(t, s, p, cache, tls.VersionTLS13) {
			t.Fatal("the running keys were dropped by a bad file")
		}
		if s.Stats().TicketReloadFails.Load() != 1 || s.Stats().TicketReloads.Load() != 0 {
			t.Fatalf("reloads %d, failures %d", s.Stats().TicketReloads.Load(), s.Stats().TicketReloadFails.Load())
		}
	})
}

// TestTicketSeedsWatched: the watcher picks up a rotated file by itself
// and logs a bad one, keeping the keys; waits are on counters, not time.
// With an hour's ReloadInterval only inotify can find the changes (on
// Linux; elsewhere the hour variant is skipped).
func TestTicketSeedsWatched(t *testing.T) {
	for _, interval := range []time.Duration{10 * time.Millisecond, time.Hour} {
		t.Run(interval.String(), func(t *testing.T) {
			if interval == time.Hour && runtime.GOOS != "linux" {
				t.Skip("no inotify")
			}
			testTicketSeedsWatched(t, interval)
		})
	}
}

func testTicketSeedsWatched(t *testing.T, interval time.Duration) {
	p := newPKI(t)
	var mu sync.Mutex
	var logged strings.Builder
	x, y := seed(t), seed(t)
	s, path := seededServer(t, p, seedJSON(nil, []string{x}, []string{y}), func(o *ServerOptions) {
		o.ReloadInterval = interval
		o.Logf = func(format string, args ...any) {
			mu.Lock()
			fmt.Fprintf(&logged, format+"\n", args...)
			mu.Unlock()
		}
	})
	cache := tls.NewLRUClientSessionCache(4)
	connect(t, s, p, cache, tls.VersionTLS13)
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("%s: never happened; log:\n%s", what, logged.String())
			}
		}
	}
	writeSeeds(t, path, `{"current": "`+y+`"}`)
	waitFor("bad file counted", func() bool { return s.Stats().TicketReloadFails.Load() == 1 })
	mu.Lock()
	if !strings.Contains(logged.String(), path) || !strings.Contains(logged.String(), `"current" is not an array`) || !strings.Contains(logged.String(), "keeping the previous session-ticket keys") {
		t.Fatalf("log: %s", logged.String())
	}
	mu.Unlock()
	writeSeeds(t, path, seedJSON([]string{x}, []string{y}, nil))
	waitFor("rotated file loaded", func() bool { return s.Stats().TicketReloads.Load() == 1 })
	if !connect(t, s, p, cache, tls.VersionTLS13) {
		t.Fatal("a ticket under the old current seed did not resume after the rotation")
	}
}

// TestTicketKeyDerivation pins the derivation (README "TLS session
// tickets"): routers of different versions given one file must agree. The
// expected key was computed with Python's hmac (RFC 5869 by hand).
func TestTicketKeyDerivation(t *testing.T) {
	keys, err := parseTicketSeeds("f", []byte(`{"old": ["`+strings.Repeat("ab", 16)+`"], "current": ["00112233445566778899aabbccddeeff", "00112233445566778899AABBCCDDEEFF"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(keys[0][:]); got != "141993a9497ca2824301b5cccb7a0d3bba8b69b20b5e0cb4fd7dbcccddface93" {
		t.Fatalf("key of the first current seed: %s", got)
	}
	if len(keys) != 2 { // the upper-case copy is the same seed
		t.Fatalf("%d keys", len(keys))
	}
}

// TestTicketSeedsHalfWritten: a seed file cut at any byte (a writer that
// does not rename) is refused, never read as fewer seeds.
func TestTicketSeedsHalfWritten(t *testing.T) {
	full := seedJSON([]string{seed(t)}, []string{seed(t), seed(t)}, []string{seed(t)})
	for i := range len(full) - 1 {
		if _, err := parseTicketSeeds("f", []byte(full[:i])); err == nil {
			t.Fatalf("accepted the first %d bytes: %q", i, full[:i])
		}
	}
	if keys, err := parseTicketSeeds("f", []byte(full)); err != nil || len(keys) != 4 {
		t.Fatalf("%d keys, %v", len(keys), err)
	}
}

// FuzzTicketSeeds: any file parses or fails cleanly; one that parses gives
// at least one key, the first from the first "current" seed. Seeds in
// testdata/fuzz/FuzzTicketSeeds.
func FuzzTicketSeeds(f *testing.F) {
	f.Add([]byte(seedJSON([]string{seed(f)}, []string{seed(f)}, []string{seed(f)})))
	f.Add([]byte(`{"current": ["00112233445566778899aabbccddeeff"], "extra": 1}`))
	f.Add([]byte(`{"current": [], "old": ["00112233445566778899aabbccddeeff"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := parseTicketSeeds("f", data)
		if err != nil {
			return
		}
		if len(keys) == 0 {
			t.Fatal("no keys and no error")
		}
		var obj map[string]json.RawMessage
		var current []string
		if err := json.Unmarshal(data, &obj); err != nil || json.Unmarshal(obj["current"], &current) != nil || len(current) == 0 {
			t.Fatal("accepted without a current seed")
		}
		first, err := parseTicketSeeds("f", []byte(`{"current": ["`+current[0]+`"]}`))
		if err != nil || first[0] != keys[0] {
			t.Fatalf("first key is not the first current seed's: %v", err)
		}
	})
}

// TestRandomTicketKeyRotates: without a seed file the random key is
// replaced once it has encrypted tickets for its life; a ticket under the
// previous key still resumes, one two keys old does not.
func TestRandomTicketKeyRotates(t *testing.T) {
	p := newPKI(t)
	for _, tv := range tlsVersions {
		t.Run(tv.name, func(t *testing.T) {
			s := newServer(t, p, nil)
			if s.rotateRandomKey(time.Now(), time.Hour) {
				t.Fatal("rotated a key younger than its life")
			}
			first := tls.NewLRUClientSessionCache(4)
			connect(t, s, p, first, tv.v)
			if !s.rotateRandomKey(time.Now().Add(2*time.Hour), time.Hour) {
				t.Fatal("did not rotate an expired key")
			}
			if !connect(t, s, p, first, tv.v) {
				t.Fatal("a ticket under the previous key did not resume")
			}
			old := tls.NewLRUClientSessionCache(4)
			connect(t, s, p, old, tv.v)
			s.rotateRandomKey(time.Now().Add(4*time.Hour), time.Hour)
			s.rotateRandomKey(time.Now().Add(6*time.Hour), time.Hour)
			if connect(t, s, p, old, tv.v) {
				t.Fatal("a ticket two keys old resumed")
			}
		})
	}
}
