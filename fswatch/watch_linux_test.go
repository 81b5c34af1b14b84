//go:build linux

package fswatch

import (
	"encoding/binary"
	"mcroute/fswatch/fswatchtest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Tests wait for what they expect with generous deadlines; nothing depends
// on how fast it happens.

func waitEvent(t *testing.T, w *Watcher, what string) {
	t.Helper()
	select {
	case <-w.Events():
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: no event", what)
	}
}

// TestWatcherEvents: an edit in place, a rename over, a symlink swap on
// the way to the file and the file's creation each give an event.
func TestWatcherEvents(t *testing.T) {
	dir := t.TempDir()
	fswatchtest.WriteFile(t, filepath.Join(dir, "..v1", "f"), "1")
	fswatchtest.WriteFile(t, filepath.Join(dir, "..v2", "f"), "2")
	fswatchtest.Symlink(t, "..v1", filepath.Join(dir, "..data"))
	fswatchtest.Symlink(t, "..data/f", filepath.Join(dir, "f"))
	plain := filepath.Join(dir, "plain")
	later := filepath.Join(dir, "sub", "later")
	w, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Set([]string{filepath.Join(dir, "f"), plain, later}); err != nil {
		t.Fatal(err)
	}
	fswatchtest.WriteFile(t, plain, "x")
	waitEvent(t, w, "plain created")
	fswatchtest.ReplaceFile(t, plain, "y")
	waitEvent(t, w, "plain renamed over")
	fswatchtest.WriteFile(t, filepath.Join(dir, "..v1", "f"), "1'")
	waitEvent(t, w, "linked file written in place")
	fswatchtest.Symlink(t, "..v2", filepath.Join(dir, "..data_tmp"))
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, w, "..data swapped")
	fswatchtest.WriteFile(t, later, "z") // creates sub: seen in dir
	waitEvent(t, w, "missing directory created")
}

// TestWatcherClose: Close stops the reader (Done closes).
func TestWatcherClose(t *testing.T) {
	w, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Set([]string{filepath.Join(t.TempDir(), "f")}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	select {
	case <-w.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
}

// TestLinkEntries: the entries watched for a path are those its
// resolution goes through.
func TestLinkEntries(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fswatchtest.WriteFile(t, filepath.Join(dir, "..v1", "c.json"), "{}")
	fswatchtest.Symlink(t, "..v1", filepath.Join(dir, "..data"))
	fswatchtest.Symlink(t, "..data/c.json", filepath.Join(dir, "c.json"))
	fswatchtest.Symlink(t, dir, filepath.Join(dir, "abs"))
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"plain", []string{dir + " plain"}}, // missing: watched for
		{"..v1/c.json", []string{dir + "/..v1 c.json"}},
		{"c.json", []string{dir + " ..data", dir + " c.json", dir + "/..v1 c.json"}},
		{"abs/./x/../c.json", []string{dir + " ..data", dir + " abs", dir + " c.json", dir + "/..v1 c.json"}},
		{"nodir/c.json", []string{dir + " nodir"}},
	} {
		var got []string
		linkEntries(filepath.Join(dir, tc.path), func(d, n string) { got = append(got, d+" "+n) })
		sort.Strings(got)
		got = dedup(got)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.path, got, tc.want)
		}
	}
}

func dedup(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// event encodes one inotify event as read(2) returns it: the header, then
// the name padded with NULs to a multiple of 4.
func event(wd int32, mask uint32, name string) []byte {
	n := 0
	if name != "" {
		n = (len(name) + 4) &^ 3
	}
	b := make([]byte, unix.SizeofInotifyEvent+n)
	binary.NativeEndian.PutUint32(b[0:], uint32(wd))
	binary.NativeEndian.PutUint32(b[4:], mask)
	binary.NativeEndian.PutUint32(b[12:], uint32(n))
	copy(b[unix.SizeofInotifyEvent:], name)
	return b
}

// TestRelevant: only events on a watched name, on a watched directory
// itself, or lost events count; a watch set removed is ignored.
func TestRelevant(t *testing.T) {
	w := &Watcher{byWD: map[int32]map[string]bool{1: {"f": true}}}
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"watched name", event(1, unix.IN_MODIFY, "f"), true},
		{"other name", event(1, unix.IN_MODIFY, "g"), false},
		{"prefix of a name", event(1, unix.IN_MODIFY, "ff"), false},
		{"removed watch", event(2, unix.IN_MODIFY, "f"), false},
		{"directory gone", event(1, unix.IN_DELETE_SELF, ""), true},
		{"overflow", event(-1, unix.IN_Q_OVERFLOW, ""), true},
		{"second of two", cat(event(1, unix.IN_CREATE, "f.tmp"), event(1, unix.IN_MOVED_TO, "f")), true},
		{"truncated", event(1, unix.IN_MODIFY, "f")[:unix.SizeofInotifyEvent+1], true},
	} {
		if got := w.relevant(tc.b); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// FuzzRelevant: any read's worth of bytes is parsed without a panic, and
// an event on a watched name after whole events is always relevant. Seeds
// in testdata/fuzz/FuzzRelevant.
func FuzzRelevant(f *testing.F) {
	f.Add(event(1, unix.IN_MODIFY, "f"))
	f.Add(event(1, unix.IN_MODIFY, "other-name"))
	f.Add(append(event(1, unix.IN_CREATE, "f.tmp"), event(1, unix.IN_MOVED_TO, "f")...))
	f.Fuzz(func(t *testing.T, b []byte) {
		w := &Watcher{byWD: map[int32]map[string]bool{1: {"f": true}}}
		w.relevant(b)
		// Whole events (names re-encoded) followed by a watched one.
		var whole []byte
		for rest := b; len(rest) >= unix.SizeofInotifyEvent; {
			n := int(binary.NativeEndian.Uint32(rest[12:]) % 64)
			whole = append(whole, event(int32(binary.NativeEndian.Uint32(rest[0:])), binary.NativeEndian.Uint32(rest[4:]), string(rest[:n%8]))...)
			rest = rest[unix.SizeofInotifyEvent:]
		}
		if !w.relevant(append(whole, event(1, unix.IN_MODIFY, "f")...)) {
			t.Fatal("a watched name's event after whole events was not relevant")
		}
	})
}
