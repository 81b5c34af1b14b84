package fswatch

import "time"

// Backstop is how often a watched set of files is checked while inotify
// watches them: 60 × poll, and at least a minute. inotify makes the poll a
// backstop for the filesystems where it misses changes (NFS written from
// another host, some bind and FUSE mounts), and a change there is then
// picked up within this period; with mcrouter's 100 ms poll that is a
// minute, with mcroute's default 1 s too.
func Backstop(poll time.Duration) time.Duration {
	return max(time.Minute, 60*poll)
}

// Loop is the watch policy shared by the files mcroute re-reads (its config
// files, the TLS certificates and ticket seeds, the runtime vars): it
// calls Check at start, after every inotify event on Paths, and every
// Backstop(Poll); where inotify is not available (not Linux, no inotify
// instance, no watch left: fs.inotify.max_user_watches, or the instance
// broke) it calls Check every Poll, and logs that once. Check decides
// whether anything changed; Loop never reads the files.
//
// Check returns how soon it wants to be called again without an event (0:
// no sooner than the backstop): a load that failed and must be retried, a
// key due for rotation, a reload whose new files must be watched. Loop
// then waits at most that long.
type Loop struct {
	// Paths returns the files Check reads. Loop calls it before every
	// Check and moves the watches to what it returns (a config whose
	// imports changed with a reload).
	Paths func() []string
	// Poll is the period without inotify, and sets the backstop (default
	// 1 s).
	Poll time.Duration
	// What names the files in the log ("TLS files").
	What string
	// Logf reports inotify being unavailable or back; nil discards.
	Logf func(format string, args ...any)
	// Check is called on Run's goroutine only.
	Check func() (again time.Duration)

	// Test hooks. Init replaces inotify_init1 (nil: the real one); Armed,
	// if set, is called after every Check with whether inotify covers
	// every path.
	Init  func() (int, error)
	Armed func(inotify bool)
}

func (l *Loop) logf(format string, args ...any) {
	if l.Logf != nil {
		l.Logf(format, args...)
	}
}

// Run runs the loop on the calling goroutine until done is closed. After
// every check it sets the watches again, which re-arms those the kernel
// dropped (a directory removed and made again) and follows symlink swaps.
func (l *Loop) Run(done <-chan struct{}) {
	poll := l.Poll
	if poll <= 0 {
		poll = time.Second
	}
	var events, dead <-chan struct{} // nil (never ready) without inotify
	w, err := New(l.Init)
	if err != nil {
		l.logf("%s: inotify unavailable (%v); polling them every %v", l.What, err, poll)
	} else {
		defer w.Close()
		events, dead = w.Events(), w.Done()
	}
	watching := w != nil // inotify covers every path
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		if events != nil {
			err := w.Set(l.Paths())
			switch {
			case err != nil && watching:
				l.logf("%s: cannot watch them all with inotify (%v); polling them every %v", l.What, err, poll)
			case err == nil && !watching:
				l.logf("%s: watched with inotify again", l.What)
			}
			watching = err == nil
		}
		again := l.Check()
		wait := poll
		if watching {
			wait = Backstop(poll)
		}
		if again > 0 && again < wait {
			wait = again
		}
		t.Reset(wait) // Go ≥ 1.23: no stale tick survives Reset
		if l.Armed != nil {
			l.Armed(watching)
		}
		select {
		case <-done:
			return
		case <-events:
		case <-t.C:
		case <-dead:
			l.logf("%s: inotify stopped; polling them every %v", l.What, poll)
			events, dead, watching = nil, nil, false
		}
	}
}
