package router

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mcroute/fswatch"
)

// RuntimeVars is mcrouter's --runtime-vars-file: a JSON object of
// variables that change routing without a config reload. mcroute reads
// the shadow key fractions from it (mcrouter-behaviour.md §10.3): a
// shadow's "key_fraction_range_rv": NAME takes its range from the
// top-level "NAME": [a, b], or from "key_fractions": {"<NAME without its
// key_fraction_range_ prefix>": b}, which means [0, b]. A variable the file
// lacks (or has in a bad shape) leaves the shadow with its configured
// key_fraction_range.
//
// One RuntimeVars serves every config the process builds (pass it in
// Options); Watch re-reads the file when it changes. Handles read it with
// one atomic load per request.
type RuntimeVars struct {
	path string
	// Logf reports loads and bad variables; nil discards them.
	Logf func(format string, args ...any)

	mu    sync.Mutex
	names []string                   // slot → variable name
	vars  map[string]json.RawMessage // the file's top level, as last read
	sum   [md5.Size]byte
	read  bool
	snap  atomic.Pointer[rvSnapshot]

	// Test hooks: inotifyInit replaces inotify_init1 (nil: the real one);
	// armed, if set, is called after every check of Watch with whether
	// inotify watches the file; checks counts Watch's checks.
	inotifyInit func() (int, error)
	armed       func(inotify bool)
	checks      atomic.Uint64
}

// rvSnapshot is the key fraction ranges of every registered variable, by
// slot; replaced whole when the file or the set of names changes.
type rvSnapshot struct{ ranges []rvRange }

type rvRange struct {
	lo, hi uint32
	ok     bool
}

// NewRuntimeVars returns the runtime variables of the file at path, not
// read yet (Load). An empty path gives variables that are never set.
func NewRuntimeVars(path string) *RuntimeVars {
	v := &RuntimeVars{path: path}
	v.snap.Store(&rvSnapshot{})
	return v
}

// Path returns the file's path.
func (v *RuntimeVars) Path() string { return v.path }

func (v *RuntimeVars) logf(format string, args ...any) {
	if v.Logf != nil {
		v.Logf(format, args...)
	}
}

// Load reads the file if its contents changed since the last Load and
// publishes the new values; changed reports whether it did. On an error
// (unreadable file, bad JSON) the values in force are kept.
func (v *RuntimeVars) Load() (changed bool, err error) {
	if v == nil || v.path == "" {
		return false, nil
	}
	text, err := os.ReadFile(v.path)
	if err != nil {
		return false, fmt.Errorf("runtime vars %s: %w", v.path, err)
	}
	sum := md5.Sum(text)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.read && sum == v.sum {
		return false, nil
	}
	var vars map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(text))
	d.UseNumber()
	if err := d.Decode(&vars); err != nil {
		return false, fmt.Errorf("runtime vars %s: not a JSON object: %v", v.path, err)
	}
	v.vars, v.sum, v.read = vars, sum, true
	v.publish()
	return true, nil
}

// Watch re-reads the file until ctx is done, logging what it loads and
// why it could not: at start, when inotify reports an event on the file's
// name in its directory (or on a symbolic link on the way to it), and
// every fswatch.Backstop(poll) (poll: 1s when ≤ 0); every poll where
// inotify is not available (fswatch.Loop). An idle process with the file
// unchanged does not run. Call it on a goroutine of its own.
func (v *RuntimeVars) Watch(ctx context.Context, poll time.Duration) {
	if v == nil || v.path == "" {
		return
	}
	var lastErr string
	l := fswatch.Loop{
		Paths: func() []string { return []string{v.path} },
		Poll:  poll,
		What:  "runtime vars " + v.path,
		Logf:  v.Logf,
		Init:  v.inotifyInit,
		Armed: v.armed,
		Check: func() time.Duration {
			v.checks.Add(1)
			changed, err := v.Load()
			switch {
			case err != nil && err.Error() != lastErr:
				lastErr = err.Error()
				v.logf("%v; keeping the values in force", err)
			case err == nil && changed:
				lastErr = ""
				v.logf("runtime vars reloaded from %s", v.path)
			}
			return 0 // a bad file is read again when it changes
		},
	}
	l.Run(ctx.Done())
}

// slot registers variable name (at config build time) and returns the
// slot its range is published under.
func (v *RuntimeVars) slot(name string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	for i, n := range v.names {
		if n == name {
			return i
		}
	}
	v.names = append(v.names, name)
	v.publish()
	return len(v.names) - 1
}

// publish rebuilds the snapshot from vars; v.mu is held.
func (v *RuntimeVars) publish() {
	s := &rvSnapshot{ranges: make([]rvRange, len(v.names))}
	for i, n := range v.names {
		a, b, found, err := v.lookup(n)
		if err != nil {
			v.logf("runtime vars %s: %s: %v; the configured key_fraction_range applies", v.path, n, err)
			continue
		}
		if found {
			s.ranges[i] = rvRange{lo: fractionToHash(a), hi: fractionToHash(b), ok: true}
		}
	}
	v.snap.Store(s)
}

// lookup finds variable name's key fraction range in vars.
func (v *RuntimeVars) lookup(name string) (a, b float64, found bool, err error) {
	if raw, ok := v.vars[name]; ok {
		var r []json.Number
		if err := json.Unmarshal(raw, &r); err != nil || len(r) != 2 {
			return 0, 0, false, fmt.Errorf("want [start, end]")
		}
		if a, err = r[0].Float64(); err == nil {
			b, err = r[1].Float64()
		}
		if err != nil {
			return 0, 0, false, fmt.Errorf("want [start, end] numbers")
		}
		if err := checkFractions(a, b); err != nil {
			return 0, 0, false, err
		}
		return a, b, true, nil
	}
	if raw, ok := v.vars["key_fractions"]; ok {
		var kf map[string]json.Number
		if err := json.Unmarshal(raw, &kf); err != nil {
			return 0, 0, false, fmt.Errorf("key_fractions: want an object of numbers")
		}
		if n, ok := kf[strings.TrimPrefix(name, "key_fraction_range_")]; ok {
			if b, err = n.Float64(); err != nil {
				return 0, 0, false, fmt.Errorf("key_fractions: want a number")
			}
			if err := checkFractions(0, b); err != nil {
				return 0, 0, false, err
			}
			return 0, b, true, nil
		}
	}
	return 0, 0, false, nil
}

// keyRange returns the hash range published for slot, ok false when the
// variable is not set. Safe on any goroutine; allocates nothing.
func (v *RuntimeVars) keyRange(slot int) (lo, hi uint32, ok bool) {
	s := v.snap.Load()
	if slot >= len(s.ranges) {
		return 0, 0, false
	}
	r := s.ranges[slot]
	return r.lo, r.hi, r.ok
}

// checkFractions checks a key fraction range: 0 ≤ a ≤ b ≤ 1.
func checkFractions(a, b float64) error {
	if !(a >= 0 && a <= b && b <= 1) {
		return fmt.Errorf("key fraction range [%v, %v] is not within 0 ≤ start ≤ end ≤ 1", a, b)
	}
	return nil
}

// fractionToHash maps a key fraction to a SpookyHash32 value, as mcrouter
// does: floor(f · (2^32 − 1)).
func fractionToHash(f float64) uint32 {
	return uint32(math.Floor(f * math.MaxUint32))
}
