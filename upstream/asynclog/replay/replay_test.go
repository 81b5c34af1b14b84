package replay

import (
	"bufio"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mcroute/upstream/asynclog"
)

// notFoundServer answers every line NOT_FOUND and records the keys.
func notFoundServer(t *testing.T) (port int, keys func() []string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var got []string
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					mu.Lock()
					got = append(got, strings.TrimSpace(strings.TrimPrefix(line, "delete ")))
					mu.Unlock()
					c.Write([]byte("NOT_FOUND\r\n"))
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

type ackChan chan *asynclog.Entry

func (c ackChan) Acked(e *asynclog.Entry) { c <- e }

// TestReplayActiveFile: a file a Spool still holds is replayed up to its
// end but kept; records appended later are replayed by the next pass; once
// the Spool closes it, the file is removed.
func TestReplayActiveFile(t *testing.T) {
	port, keys := notFoundServer(t)
	dir := t.TempDir()
	sp := asynclog.New(asynclog.Options{Dir: dir, Format: asynclog.Format{V2: true}, Router: "r"})
	acks := make(ackChan, 1)
	put := func(k string) {
		e := &asynclog.Entry{Line: sp.Format().AppendRecord(nil, time.Now(), "127.0.0.1", port, "A", []byte(k)), Ack: acks}
		if !sp.Append(e) {
			t.Fatal("refused")
		}
		if e := <-acks; e.Err != nil {
			t.Fatal(e.Err)
		}
	}
	run := func() *Summary {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, err := Run(ctx, Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	files := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, "*", "2*"))
		return m
	}
	put("a")
	put("b")
	s := run()
	if got := strings.Join(keys(), ","); got != "a,b" || s.FilesActive != 1 || s.FilesRemoved != 0 || len(files()) != 1 {
		t.Fatalf("first pass: keys %s, %s, files %v", got, s, files())
	}
	put("c")
	s = run()
	if got := strings.Join(keys(), ","); got != "a,b,c" || s.FilesActive != 1 || len(files()) != 1 {
		t.Fatalf("second pass: keys %s, %s", got, s)
	}
	sp.Close()
	s = run()
	if got := strings.Join(keys(), ","); got != "a,b,c" || s.FilesRemoved != 1 || len(files()) != 0 {
		t.Fatalf("after close: keys %s, %s, files %v", got, s, files())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*", ".*progress*")); len(left) != 0 {
		t.Fatalf("progress files left: %v", left)
	}
	// A bad line is skipped, not retried forever.
	hour := filepath.Join(dir, asynclog.DirName(time.Now().Add(-time.Hour)))
	os.MkdirAll(hour, 0o777)
	old := time.Now().Add(-time.Hour)
	os.WriteFile(filepath.Join(hour, asynclog.FileName(old, "m", "r", 1, 1)), []byte("garbage\n"), 0o666)
	s = run()
	if s.BadRecords != 1 || s.FilesRemoved != 1 {
		t.Fatalf("bad line: %s", s)
	}
}
