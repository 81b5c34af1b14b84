package tlsconn

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// Session-ticket keys (mcrouter's --tls-ticket-key-seed-path).
//
// The seed file is the one wangle's TLSCredProcessor reads for mcrouter: a
// JSON object whose "old", "current" and "new" arrays hold hex-encoded
// seeds, e.g. {"old": ["a1…"], "current": ["b2…"], "new": ["c3…"]}. Every
// seed gives one 32-byte key, HKDF-SHA256 of the decoded seed (no salt,
// info ticketKeyInfo); crypto/tls derives its ticket cipher and MAC keys
// from it. The first "current" seed's key encrypts new tickets; the keys of
// every seed decrypt. Rotating the file one step (current → old, new →
// current, a fresh seed → new) on every router therefore keeps tickets
// resumable across the fleet while the routers pick the file up at
// different moments. Tickets are not byte-compatible with mcrouter's (fizz
// and OpenSSL have ticket formats of their own): the same file shares
// sessions among mcroutes, not between mcrouter and mcroute.

// ticketKeyInfo is the HKDF info of a ticket key; a new derivation would
// change its version so that old and new routers never take each other's
// keys for their own.
const ticketKeyInfo = "mcroute tls session ticket key v1"

// minSeedLen is the shortest seed accepted, in bytes once decoded: fizz,
// which mcrouter uses for TLS 1.3, refuses ticket secrets under 32
// characters, i.e. 16 bytes of hex.
const minSeedLen = 16

// ticketSeedFields are the seed file's arrays, in the order their keys are
// handed to crypto/tls after the first "current" one.
var ticketSeedFields = [...]string{"current", "old", "new"}

// ticketKeys is the Server's session-ticket state: the keys every new
// tls.Config gets, and what the seed file looked like when they were read.
// All fields are guarded by Server.mu.
type ticketKeys struct {
	keys  [][32]byte
	stamp [sha256.Size]byte // hash of the seed file's content loaded
	stat  string            // its size and mtime when last read
	made  time.Time         // without a seed file: when keys[0] was drawn
}

// randomKeyLife is how long a random ticket key (no seed file) encrypts new
// tickets; it then decrypts for as long again, so a session stays
// resumable for one to two periods and a key stolen from memory opens at
// most two days of tickets (forward secrecy of resumed sessions).
const randomKeyLife = 24 * time.Hour

// parseTicketSeeds derives the ticket keys from a seed file's content,
// the first "current" seed's key first. The error names the file and the
// field at fault but never a seed.
func parseTicketSeeds(path string, data []byte) ([][32]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		if err == nil {
			err = errors.New("null")
		}
		return nil, fmt.Errorf("tlsconn: ticket seed file %s: not a JSON object with \"old\", \"current\" and \"new\" arrays of hex seeds: %w", path, err)
	}
	if _, ok := obj["current"]; !ok {
		return nil, fmt.Errorf("tlsconn: ticket seed file %s: no \"current\" array (its first seed encrypts new tickets)", path)
	}
	var keys [][32]byte
	seen := make(map[[32]byte]bool)
	for _, field := range ticketSeedFields {
		raw, ok := obj[field]
		if !ok {
			continue
		}
		var seeds []string
		if err := json.Unmarshal(raw, &seeds); err != nil {
			return nil, fmt.Errorf("tlsconn: ticket seed file %s: %q is not an array of hex strings", path, field)
		}
		for i, s := range seeds {
			seed, err := hex.DecodeString(s)
			if err != nil {
				return nil, fmt.Errorf("tlsconn: ticket seed file %s: %q[%d] is not a hex string", path, field, i)
			}
			if len(seed) < minSeedLen {
				return nil, fmt.Errorf("tlsconn: ticket seed file %s: %q[%d] is %d bytes, at least %d (%d hex digits) are needed", path, field, i, len(seed), minSeedLen, 2*minSeedLen)
			}
			k, err := hkdf.Key(sha256.New, seed, nil, ticketKeyInfo, 32)
			if err != nil {
				return nil, err
			}
			if key := [32]byte(k); !seen[key] {
				seen[key] = true
				keys = append(keys, key)
			}
		}
		if field == "current" && len(keys) == 0 {
			return nil, fmt.Errorf("tlsconn: ticket seed file %s: \"current\" holds no seed (its first seed encrypts new tickets)", path)
		}
	}
	return keys, nil
}

// initTickets sets up the ticket keys before the first config is built:
// from the seed file, or one random key for the process's life.
func (s *Server) initTickets() error {
	if s.opts.TicketSeedFile == "" {
		var k [32]byte
		if _, err := rand.Read(k[:]); err != nil {
			return err
		}
		s.tickets.keys, s.tickets.made = [][32]byte{k}, time.Now()
		return nil
	}
	s.tickets.stat = statKey(s.opts.TicketSeedFile)
	data, err := os.ReadFile(s.opts.TicketSeedFile)
	if err != nil {
		return fmt.Errorf("tlsconn: ticket seed file: %w", err)
	}
	keys, err := parseTicketSeeds(s.opts.TicketSeedFile, data)
	if err != nil {
		return err
	}
	s.tickets.keys, s.tickets.stamp = keys, sha256.Sum256(data)
	return nil
}

// statKey is a file's size and mtime, "" when it cannot be read.
func statKey(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d/%d", fi.Size(), fi.ModTime().UnixNano())
}

// checkTickets re-reads the seed file if its size or mtime changed, or,
// without a seed file, rotates the random key once it is due (watcher
// goroutine). A file that does not load is logged and counted, and the
// running keys stay; it is read again when it changes. It returns how soon
// it must run again without a file event: when the random key is next due
// (at least a second from now), 0 with a seed file.
func (s *Server) checkTickets() time.Duration {
	if s.opts.TicketSeedFile == "" {
		now := time.Now()
		s.rotateRandomKey(now, randomKeyLife)
		s.mu.Lock()
		due := s.tickets.made.Add(randomKeyLife)
		s.mu.Unlock()
		return max(due.Sub(now), time.Second)
	}
	s.mu.Lock()
	same := statKey(s.opts.TicketSeedFile) == s.tickets.stat
	s.mu.Unlock()
	if same {
		return 0
	}
	if _, err := s.ReloadTickets(); err != nil {
		s.opts.Logf("tls: %v (keeping the previous session-ticket keys)", err)
	}
	return 0
}

// ReloadTickets reads the seed file now and, if its content changed,
// installs the keys it gives: new handshakes issue and accept tickets with
// them. It reports whether the keys changed; on error the previous keys
// stay. The watcher calls it when the file changes; tests call it
// directly. Safe from any goroutine.
func (s *Server) ReloadTickets() (bool, error) {
	if s.opts.TicketSeedFile == "" {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	stat := statKey(s.opts.TicketSeedFile)
	data, err := os.ReadFile(s.opts.TicketSeedFile)
	if err != nil {
		// A missing file is read again when it reappears (its creation
		// is an event), not on every check.
		s.tickets.stat = stat
		s.stats.TicketReloadFails.Add(1)
		return false, fmt.Errorf("tlsconn: ticket seed file: %w", err)
	}
	sum := sha256.Sum256(data)
	if sum == s.tickets.stamp {
		s.tickets.stat = stat
		return false, nil
	}
	keys, err := parseTicketSeeds(s.opts.TicketSeedFile, data)
	if err != nil {
		// A half-written file fails too: its next change is read again.
		s.tickets.stat = stat
		s.stats.TicketReloadFails.Add(1)
		return false, err
	}
	cfg := s.cfg.Load().Clone()
	cfg.SetSessionTicketKeys(keys)
	s.tickets.keys, s.tickets.stamp, s.tickets.stat = keys, sum, stat
	s.cfg.Store(cfg)
	s.stats.TicketReloads.Add(1)
	s.opts.Logf("tls: reloaded session-ticket seeds from %s (%d keys)", s.opts.TicketSeedFile, len(keys))
	return true, nil
}

// rotateRandomKey draws a new random ticket key once the current one has
// encrypted tickets for life, keeping the previous one to decrypt (no seed
// file only; watcher goroutine, tests). It reports whether it rotated.
func (s *Server) rotateRandomKey(now time.Time, life time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.tickets.made) < life {
		return false
	}
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		s.opts.Logf("tls: new session-ticket key: %v (keeping the current one)", err)
		return false
	}
	keys := [][32]byte{k, s.tickets.keys[0]}
	cfg := s.cfg.Load().Clone()
	cfg.SetSessionTicketKeys(keys)
	s.tickets.keys, s.tickets.made = keys, now
	s.cfg.Store(cfg)
	return true
}

// setTicketKeys gives a new config the current ticket keys (under s.mu).
func (s *Server) setTicketKeys(cfg *tls.Config) { cfg.SetSessionTicketKeys(s.tickets.keys) }
