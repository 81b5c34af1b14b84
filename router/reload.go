package router

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mcroute/fswatch"
)

// Reloader watches the files a config was built from (the main file, its
// @imports and file: pools) and, when one changes, rebuilds the config and
// installs it in the Router, as mcrouter does: after the change it waits
// Delay (mcrouter's --reconfiguration-delay-ms) so that an editor's
// several writes become one reload; a config that fails to build is
// reported and changes nothing, and is not tried again until the files
// change again.
//
// What counts as a change is the signature: the MD5 of every file, which
// Run compares with the one the running config was built from. On Linux
// Run checks it when inotify reports an event on one of the files' names
// in their directories, or on a symbolic link on the way to them
// (fswatch.Watcher), so an idle process with unchanged files does not run
// at all; it also checks every Backstop(Poll), for filesystems where
// inotify misses changes (NFS written from another host, some bind and
// FUSE mounts). Where inotify is not available (not Linux, no inotify
// instance, no watch left: fs.inotify.max_user_watches) it checks every
// Poll, and logs that once.
//
// It runs in its own goroutine (Run) and never touches the event loops:
// they pick the new config up on their next event.
type Reloader struct {
	R    *Router
	File string
	Opts Options
	// Poll is how often the files are checked without inotify (default
	// 1s); Delay how long to wait after a change before rebuilding
	// (default 1s; <0 for none).
	Poll, Delay time.Duration
	// Logf reports reloads and failures; nil discards them.
	Logf func(format string, args ...any)
	// ReadFile reads the config files; nil means os.ReadFile.
	ReadFile func(string) ([]byte, error)

	mu     sync.Mutex
	failed string // signature of the files whose build failed

	// Test hooks. inotifyInit replaces inotify_init1 (nil: the real
	// one); armed, if set, is called by Run each time it has set the
	// watches, with whether inotify covers every file; checks counts
	// Run's signature checks.
	inotifyInit func() (int, error)
	armed       func(inotify bool)
	checks      atomic.Uint64
}

// Backstop is how often Run checks the files while inotify watches them:
// fswatch.Backstop (60 × poll, and at least a minute).
func Backstop(poll time.Duration) time.Duration { return fswatch.Backstop(poll) }

func (w *Reloader) read(path string) ([]byte, error) {
	if w.ReadFile != nil {
		return w.ReadFile(path)
	}
	return os.ReadFile(path)
}

func (w *Reloader) logf(format string, args ...any) {
	if w.Logf != nil {
		w.Logf(format, args...)
	}
}

// watchedPaths lists the files cfg was built from: file first, then its
// @imports and file: pools in a stable order.
func watchedPaths(file string, cfg *Config) []string {
	paths := []string{file}
	for p := range cfg.Imports {
		paths = append(paths, p)
	}
	for p := range cfg.PoolFiles {
		paths = append(paths, p)
	}
	sort.Strings(paths[1:])
	return paths
}

// signature hashes the current contents of every file cfg was built from;
// unreadable files count as changed contents.
func (w *Reloader) signature(cfg *Config) string {
	var sb strings.Builder
	for _, p := range watchedPaths(w.File, cfg) {
		b, err := w.read(p)
		sb.WriteString(p)
		sb.WriteByte('=')
		if err != nil {
			sb.WriteString("error:" + err.Error())
		} else {
			sum := md5.Sum(b)
			sb.WriteString(hex.EncodeToString(sum[:]))
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// builtSignature is the signature of the files as cfg was built from them.
func builtSignature(file string, cfg *Config) string {
	var sb strings.Builder
	for i, p := range watchedPaths(file, cfg) {
		sb.WriteString(p)
		sb.WriteByte('=')
		switch {
		case i == 0:
			sb.WriteString(cfg.MD5)
		case cfg.Imports[p] != "":
			sb.WriteString(cfg.Imports[p])
		default:
			sb.WriteString(cfg.PoolFiles[p])
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// Run watches the files until ctx is done, on fswatch.Loop's policy: it
// checks their signature at start, on every inotify event on them, and
// every Backstop(Poll) (every Poll without inotify), and after a change
// waits Delay and reloads. Before every check the watches move to the
// running config's files, so a reload that adds or drops an @import, or a
// symlink swap, moves them.
func (w *Reloader) Run(ctx context.Context) {
	delay := w.Delay
	if delay < 0 {
		delay = 0
	} else if delay == 0 {
		delay = time.Second
	}
	l := fswatch.Loop{
		Paths: func() []string { return watchedPaths(w.File, w.R.Current()) },
		Poll:  w.Poll,
		What:  "config files",
		Logf:  w.Logf,
		Init:  w.inotifyInit,
		Armed: w.armed,
		Check: func() time.Duration {
			if !w.changed(w.R.Current()) {
				return 0
			}
			select {
			case <-ctx.Done():
				return 0
			case <-time.After(delay):
			}
			_ = w.Reload()
			return time.Nanosecond // at once: watch the new config's files
		},
	}
	l.Run(ctx.Done())
}

// changed reports whether the files' signature differs from the running
// config's and from the last one that failed to build.
func (w *Reloader) changed(cfg *Config) bool {
	w.checks.Add(1)
	sig := w.signature(cfg)
	w.mu.Lock()
	defer w.mu.Unlock()
	return sig != builtSignature(w.File, cfg) && sig != w.failed
}

// Reload rebuilds the config from its files now and installs it if it
// builds. The error says why the running config was kept.
func (w *Reloader) Reload() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.R.LastAttempt.Store(time.Now().Unix())
	text, err := w.read(w.File)
	if err == nil {
		var cfg *Config
		cfg, err = Build(w.File, text, w.Opts)
		if err == nil {
			old := w.R.Current()
			w.R.Store(cfg)
			for _, ap := range removedTKO(old, cfg) {
				w.logf("%s was TKO, removed from config", ap)
			}
			w.R.Reloads.Add(1)
			w.R.LastSuccess.Store(time.Now().Unix())
			w.failed = ""
			w.logf("reconfigured from %s: %d servers, md5 %s", w.File, len(cfg.Servers), cfg.MD5)
			for _, warn := range cfg.Warnings {
				w.logf("warning: %s", warn)
			}
			return nil
		}
	}
	w.R.Failures.Add(1)
	w.failed = w.signature(w.R.Current())
	w.logf("reconfiguration failed, keeping the running config: %v", err)
	return err
}

// removedTKO lists the host:port of servers of old that are TKO and that
// cfg no longer has (mcrouter logs them on reconfiguration).
func removedTKO(old, cfg *Config) []string {
	kept := map[string]bool{}
	for _, s := range cfg.Servers {
		kept[s.Addr] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range old.Servers {
		if !kept[s.Addr] && !seen[s.Addr] && s.Dest.Tracker().IsTKO() {
			seen[s.Addr] = true
			out = append(out, s.Addr)
		}
	}
	return out
}
