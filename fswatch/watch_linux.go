//go:build linux

package fswatch

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// inotifyInit1 opens the inotify instance: non-blocking, so that the Go
// netpoller parks the reader without a thread or a timer.
func inotifyInit1() (int, error) {
	return unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
}

// dirMask is what a watched directory reports: entries created, renamed
// in or out, written, deleted or chmod-ed, and the directory itself going
// away. Files are never watched themselves: editors and config pushers
// replace them by rename, and a symlink swap (Kubernetes ConfigMaps'
// ..data) changes a link in a directory, not the file.
const dirMask = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM |
	unix.IN_CLOSE_WRITE | unix.IN_MODIFY | unix.IN_DELETE | unix.IN_ATTRIB |
	unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR

// selfMask: events about the watched directory itself, or lost events;
// any of them calls for a check, after which the user re-arms the watches
// (Set).
const selfMask = unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_IGNORED |
	unix.IN_UNMOUNT | unix.IN_Q_OVERFLOW

// Watcher watches, with one inotify instance, the directories holding a
// set of files and the symbolic links on the way to them, and says on
// Events when an entry that may change what reading one of the files
// returns has changed. It decides nothing itself: its user's check does.
//
// Set and Close are called by the user's goroutine only (one goroutine);
// the reader goroutine (started by New) owns the reads of the inotify fd.
type Watcher struct {
	// c receives (capacity 1, never blocking the reader) after an event
	// on a watched entry; several events before a receive make one.
	c chan struct{}
	// done is closed when the reader stops: after Close, or on a read
	// error, after which nothing is reported any more.
	done chan struct{}

	f  *os.File // the inotify fd, read through the netpoller
	fd int      // the same fd, for inotify_add_watch/inotify_rm_watch

	mu   sync.Mutex
	byWD map[int32]map[string]bool // watch descriptor → entry names that matter
}

// New opens an inotify instance with init (inotify_init1 when nil; tests
// pass a failing one, or a pipe posing as an instance) and starts its
// reader. It watches nothing until Set. Without inotify (not Linux, no
// instance left) it fails, and the caller polls.
func New(init func() (int, error)) (*Watcher, error) {
	if init == nil {
		init = inotifyInit1
	}
	fd, err := init()
	if err != nil {
		return nil, err
	}
	// A non-blocking fd given to os.NewFile is registered with the
	// netpoller: Read parks the goroutine until epoll says it is readable.
	// Never call f.Fd(): it would switch the fd back to blocking.
	w := &Watcher{
		c:    make(chan struct{}, 1),
		done: make(chan struct{}),
		f:    os.NewFile(uintptr(fd), "inotify"),
		fd:   fd,
		byWD: map[int32]map[string]bool{},
	}
	go w.read()
	return w, nil
}

// Events receives after an event on a watched entry (or a lost event):
// something may have changed. Several events before a receive make one.
func (w *Watcher) Events() <-chan struct{} { return w.c }

// Done is closed when the watcher stops reporting: after Close, or when
// reading the inotify instance failed; the caller then polls.
func (w *Watcher) Done() <-chan struct{} { return w.done }

// Set makes the watches cover paths: the directory of every entry that
// resolving each path goes through (see linkEntries), and nothing else.
// It re-adds every directory each time, which also re-arms watches the
// kernel dropped (a directory deleted and made again). The error names
// the first directory that could not be watched (ENOSPC when
// fs.inotify.max_user_watches is reached); the others are watched anyway.
func (w *Watcher) Set(paths []string) error {
	want := map[string]map[string]bool{}
	for _, p := range paths {
		linkEntries(p, func(dir, name string) {
			if want[dir] == nil {
				want[dir] = map[string]bool{}
			}
			want[dir][name] = true
		})
	}
	byWD := map[int32]map[string]bool{}
	var firstErr error
	for dir, names := range want {
		wd, err := unix.InotifyAddWatch(w.fd, dir, dirMask)
		if err != nil {
			if firstErr == nil {
				firstErr = &os.PathError{Op: "inotify_add_watch", Path: dir, Err: err}
			}
			continue
		}
		// Two paths naming one directory (a bind mount, a symlinked
		// parent) get the same watch descriptor: merge their names.
		m := byWD[int32(wd)]
		if m == nil {
			m = map[string]bool{}
			byWD[int32(wd)] = m
		}
		for n := range names {
			m[n] = true
		}
	}
	w.mu.Lock()
	old := w.byWD
	w.byWD = byWD
	w.mu.Unlock()
	for wd := range old {
		if byWD[wd] == nil {
			// Its IN_IGNORED finds no entry in byWD and is dropped.
			_, _ = unix.InotifyRmWatch(w.fd, uint32(wd))
		}
	}
	return firstErr
}

// Close stops the reader and releases the inotify instance and its
// watches. The watcher must not be used afterwards.
func (w *Watcher) Close() {
	_ = w.f.Close()
	<-w.done
}

// read is the reader goroutine: it blocks in the netpoller until events
// arrive and signals c for those on watched entries.
func (w *Watcher) read() {
	defer close(w.done)
	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return // closed, or inotify broke: the user polls instead
		}
		if w.relevant(buf[:n]) {
			select {
			case w.c <- struct{}{}:
			default:
			}
		}
	}
}

// relevant reports whether the events in b (one read's worth) include
// one on a watched entry or on a watched directory itself.
func (w *Watcher) relevant(b []byte) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(b) >= unix.SizeofInotifyEvent {
		wd := int32(binary.NativeEndian.Uint32(b[0:]))
		mask := binary.NativeEndian.Uint32(b[4:])
		n := int(binary.NativeEndian.Uint32(b[12:]))
		if unix.SizeofInotifyEvent+n > len(b) {
			return true // cannot happen; check rather than miss a change
		}
		name := strings.TrimRight(string(b[unix.SizeofInotifyEvent:unix.SizeofInotifyEvent+n]), "\x00")
		b = b[unix.SizeofInotifyEvent+n:]
		if mask&unix.IN_Q_OVERFLOW != 0 {
			return true
		}
		names, ok := w.byWD[wd]
		if !ok {
			continue // a watch set removed
		}
		if mask&selfMask != 0 || names[name] {
			return true
		}
	}
	return false
}

// linkEntries calls add(dir, name) for every directory entry whose change
// can change what reading p returns: each symbolic link met while
// resolving p, in p's own name or in a parent directory's (a deploy's
// "current" link, a ConfigMap's ..data), and the entry p finally resolves
// to. A component that does not exist is reported in the deepest
// directory that does, so that its creation is seen. dir is absolute and
// free of links.
func linkEntries(p string, add func(dir, name string)) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return
	}
	done, rest := "/", abs // resolved prefix, components still to resolve
	for links := 0; ; {
		rest = strings.TrimLeft(rest, "/")
		if rest == "" {
			if done != "/" {
				add(filepath.Dir(done), filepath.Base(done))
			}
			return
		}
		comp := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			comp, rest = rest[:i], rest[i:]
		} else {
			rest = ""
		}
		switch comp {
		case ".":
			continue
		case "..":
			done = filepath.Dir(done)
			continue
		}
		next := filepath.Join(done, comp)
		fi, err := os.Lstat(next)
		if err != nil {
			add(done, comp)
			return
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			done = next
			continue
		}
		add(done, comp)
		target, err := os.Readlink(next)
		if links++; err != nil || links > 40 {
			return
		}
		if filepath.IsAbs(target) {
			done = "/"
		}
		rest = target + "/" + rest
	}
}
