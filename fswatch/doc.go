// Package fswatch tells mcroute's file watchers when a file they re-read
// may have changed, so that an idle process with unchanged files does not
// run at all.
//
// It owns:
//
//	Watcher   one inotify instance (Linux; New fails elsewhere) watching
//	          the directories that hold a set of paths and every symbolic
//	          link met resolving them (a deploy's "current" link, a
//	          Kubernetes ConfigMap's ..data), read through the netpoller
//	          (no thread, no timer); Events says "something may have
//	          changed" after an event on one of those entries.
//	Backstop  the period of the check that still runs while inotify
//	          watches (60 × the poll period, at least a minute), for
//	          filesystems where inotify misses changes.
//	Loop      the policy of every watcher (the config Reloader, TLS
//	          files, runtime vars): check at start, on an event, on the
//	          backstop or sooner when the check asks (a failed load
//	          retried, a key due, a reload's new files to watch); poll
//	          every period without inotify, logged once.
//
// It must not read or parse the watched files, decide whether they
// changed (the caller's check compares contents), or block anyone: the
// reader never blocks on a slow receiver (one pending signal stands for
// any number of events), and nothing here runs on an event loop.
package fswatch
