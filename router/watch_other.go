//go:build !linux

package router

import (
	"errors"
	"runtime"
)

// inotifyInit1 fails: there is no inotify here, and the Reloader polls.
func inotifyInit1() (int, error) {
	return -1, errors.New("no inotify on " + runtime.GOOS)
}

// dirWatcher is Linux-only (watch_linux.go); elsewhere newDirWatcher
// fails and the Reloader polls the files every Poll.
type dirWatcher struct {
	C    chan struct{}
	done chan struct{}
}

func newDirWatcher(init func() (int, error)) (*dirWatcher, error) {
	if init == nil {
		init = inotifyInit1
	}
	if _, err := init(); err != nil {
		return nil, err
	}
	return nil, errors.New("no inotify on " + runtime.GOOS)
}

func (*dirWatcher) set([]string) error { return nil }
func (*dirWatcher) close()             {}
