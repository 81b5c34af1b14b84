//go:build !linux

package fswatch

import (
	"errors"
	"runtime"
)

// inotifyInit1 fails: there is no inotify here, and the user polls.
func inotifyInit1() (int, error) {
	return -1, errors.New("no inotify on " + runtime.GOOS)
}

// Watcher is Linux-only (watch_linux.go); elsewhere New fails and the user
// polls the files every period.
type Watcher struct{}

// New fails: without inotify the caller polls. A test's init is still
// called, so that its failure is the one reported.
func New(init func() (int, error)) (*Watcher, error) {
	if init == nil {
		init = inotifyInit1
	}
	if _, err := init(); err != nil {
		return nil, err
	}
	return nil, errors.New("no inotify on " + runtime.GOOS)
}

func (*Watcher) Events() <-chan struct{} { return nil }
func (*Watcher) Done() <-chan struct{}   { return nil }
func (*Watcher) Set([]string) error      { return nil }
func (*Watcher) Close()                  {}
