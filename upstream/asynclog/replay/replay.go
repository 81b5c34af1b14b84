// Package replay sends the deletes of an asynclog spool to their servers:
// the logic of `mcroute replay`. It reads spool files written by mcroute
// or mcrouter (AS1.0 and AS2.0 records), sends each delete to the server
// its record names, retrying with back-off until that server answers
// DELETED or NOT_FOUND, and removes a file once every record in it has
// been applied and nobody can append to it any more.
//
// Nothing is lost if the replayer is killed at any point: progress is kept
// per file in a small side file (.<name>.progress: the byte offset up to
// which every record was applied), replaced atomically, and a file is
// removed only after all its records were applied; a record may be sent
// twice, which is harmless for a delete.
//
// A file is complete (may be removed once drained) when nobody holds its
// flock (mcroute's writer locks the file it appends to) and either it is
// read-only (mcroute's writer does that when it closes a file) or it was
// opened more than asynclog.Lifetime plus a grace period ago (mcrouter's
// files, which are not locked). Records appended to a file that is still
// being written are read on a later pass.
package replay

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"mcroute/upstream/asynclog"
)

// Options configure a replay.
type Options struct {
	// Dir is the spool root (-a/--async-dir of mcroute or mcrouter).
	Dir string
	// Follow keeps watching for new records until ctx ends; otherwise one
	// pass over the current files (each drained, or ctx's deadline).
	Follow bool
	// Interval is how often Follow rescans the spool (default 1 s).
	Interval time.Duration
	// Timeout bounds each connect and each batch's round trip (default 1 s).
	Timeout time.Duration
	// MaxBackoff caps the wait between tries to a server that fails
	// (doubling from 100 ms; default 10 s).
	MaxBackoff time.Duration
	// Grace is how long after asynclog.Lifetime an unlocked, writable file
	// is taken as complete (default 1 min).
	Grace time.Duration
	// Report is how often Follow logs the counts (default 1 min; <0: never).
	Report time.Duration
	// Logf logs progress and problems; nil: quiet.
	Logf func(format string, args ...any)
}

// DestStats are the counts for one server.
type DestStats struct {
	Deleted, NotFound uint64 // records applied, by reply
	Failures          uint64 // failed tries (connect, I/O, other replies)
	Pending           uint64 // records not applied yet (at the last pass)
}

// Summary is what a replay did.
type Summary struct {
	Dests        map[string]*DestStats // by host:port
	FilesRemoved int
	FilesActive  int // drained but still being written (kept)
	BadRecords   int // lines that are not records (skipped)
}

// Pending is the number of records not applied yet.
func (s *Summary) Pending() uint64 {
	var n uint64
	for _, d := range s.Dests {
		n += d.Pending
	}
	return n
}

// String is the report: one line per server, then the files.
func (s *Summary) String() string {
	var b strings.Builder
	addrs := make([]string, 0, len(s.Dests))
	for a := range s.Dests {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	for _, a := range addrs {
		d := s.Dests[a]
		fmt.Fprintf(&b, "%s: deleted %d, not_found %d, failed tries %d, pending %d\n", a, d.Deleted, d.NotFound, d.Failures, d.Pending)
	}
	fmt.Fprintf(&b, "files removed %d, files still being written %d, bad records %d", s.FilesRemoved, s.FilesActive, s.BadRecords)
	return b.String()
}

type replayer struct {
	o  Options
	mu sync.Mutex // guards sum
	s  Summary
}

// Run replays the spool under o.Dir until it is drained (not Follow) or
// ctx ends. It returns the summary; the error is a lock held by another
// replayer, ctx's error when it ended with records pending (not Follow),
// or a spool that cannot be read.
func Run(ctx context.Context, o Options) (*Summary, error) {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = time.Minute
	}
	if o.Report == 0 {
		o.Report = time.Minute
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	r := &replayer{o: o, s: Summary{Dests: map[string]*DestStats{}}}
	if err := os.MkdirAll(o.Dir, 0o777); err != nil {
		return &r.s, err
	}
	lock, err := os.OpenFile(filepath.Join(o.Dir, ".mcroute-replay.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return &r.s, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return &r.s, fmt.Errorf("another replayer is running on %s", o.Dir)
	}
	lastReport := time.Now()
	for {
		err := r.pass(ctx)
		if err != nil && ctx.Err() == nil {
			return r.summary(), err
		}
		if !o.Follow {
			s := r.summary()
			if ctx.Err() != nil && s.Pending() > 0 {
				return s, ctx.Err()
			}
			if s.Pending() == 0 || ctx.Err() != nil {
				return s, nil
			}
			continue // records left behind by a failed pass: again
		}
		if o.Report > 0 && time.Since(lastReport) >= o.Report {
			o.Logf("replay: %s", strings.ReplaceAll(r.summary().String(), "\n", "; "))
			lastReport = time.Now()
		}
		select {
		case <-ctx.Done():
			return r.summary(), nil
		case <-time.After(o.Interval):
		}
	}
}

func (r *replayer) summary() *Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.s
	s.Dests = make(map[string]*DestStats, len(r.s.Dests))
	for a, d := range r.s.Dests {
		c := *d
		s.Dests[a] = &c
	}
	return &s
}

func (r *replayer) dest(addr string) *DestStats {
	d := r.s.Dests[addr]
	if d == nil {
		d = &DestStats{}
		r.s.Dests[addr] = d
	}
	return d
}

// pass drains every spool file once, oldest first.
func (r *replayer) pass(ctx context.Context) error {
	dirs, err := os.ReadDir(r.o.Dir)
	if err != nil {
		return err
	}
	r.mu.Lock()
	for _, d := range r.s.Dests {
		d.Pending = 0
	}
	r.s.FilesActive = 0
	r.mu.Unlock()
	for _, hd := range dirs {
		if !hd.IsDir() || strings.HasPrefix(hd.Name(), ".") {
			continue
		}
		dir := filepath.Join(r.o.Dir, hd.Name())
		files, err := os.ReadDir(dir)
		if err != nil {
			r.o.Logf("replay: %v", err)
			continue
		}
		live := 0
		for _, f := range files {
			name := f.Name()
			if strings.HasPrefix(name, ".") {
				if base, ok := strings.CutSuffix(name[1:], ".progress"); ok {
					if _, err := os.Stat(filepath.Join(dir, base)); errors.Is(err, os.ErrNotExist) {
						_ = os.Remove(filepath.Join(dir, name)) // its file is gone
						continue
					}
				}
				live++
				continue
			}
			opened, ok := asynclog.ParseFileName(name)
			if !ok || f.IsDir() {
				live++
				continue
			}
			if ctx.Err() != nil {
				return nil
			}
			removed, err := r.drain(ctx, filepath.Join(dir, name), opened)
			if err != nil {
				r.o.Logf("replay: %s: %v", name, err)
			}
			if !removed {
				live++
			}
		}
		// An emptied hour directory more than an hour old is removed (a
		// writer recreates a directory it needs).
		if live == 0 {
			if _, hs, ok := strings.Cut(hd.Name(), "-"); ok {
				if h, err := strconv.ParseInt(hs, 10, 64); err == nil && time.Now().Unix() > h+2*3600 {
					_ = os.Remove(dir)
				}
			}
		}
	}
	return nil
}

// rec is one record of a file and where its line ends.
type rec struct {
	asynclog.Record
	end  int64
	done bool
}

// drain applies the records of one file past its progress and removes the
// file when it is complete and fully applied.
func (r *replayer) drain(ctx context.Context, path string, opened time.Time) (removed bool, err error) {
	prog := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".progress")
	off := readProgress(prog)
	for {
		data, err := readFrom(path, off)
		if err != nil {
			return false, err
		}
		complete := int64(bytes.LastIndexByte(data, '\n') + 1)
		if complete > 0 {
			if err := r.apply(ctx, data[:complete], off, prog); err != nil {
				return false, err
			}
			off += complete
			if err := writeProgress(prog, off); err != nil {
				return false, err
			}
			continue // more may have been appended meanwhile
		}
		// Nothing new: is the file complete?
		f, err := os.Open(path)
		if err != nil {
			return false, err
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			f.Close()
			r.active()
			return false, nil // a writer holds it
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return false, err
		}
		if st.Mode().Perm()&0o222 != 0 && time.Since(opened) < asynclog.Lifetime+r.o.Grace {
			f.Close()
			r.active()
			return false, nil // mcrouter may still append to it
		}
		if st.Size() > off+int64(len(data)) {
			f.Close()
			continue // appended just before we locked: read it
		}
		if len(data) > 0 {
			r.o.Logf("replay: %s: dropping a partial last line (%d bytes) of a complete file", path, len(data))
			r.bad()
		}
		if err := os.Remove(path); err != nil {
			f.Close()
			return false, err
		}
		f.Close()
		_ = os.Remove(prog)
		r.mu.Lock()
		r.s.FilesRemoved++
		r.mu.Unlock()
		r.o.Logf("replay: %s: all records applied, removed", path)
		return true, nil
	}
}

func (r *replayer) active() {
	r.mu.Lock()
	r.s.FilesActive++
	r.mu.Unlock()
}

func (r *replayer) bad() {
	r.mu.Lock()
	r.s.BadRecords++
	r.mu.Unlock()
}

// apply sends every record of data (complete lines starting at byte base
// of the file) to its server, in parallel across servers, saving progress
// as a prefix of records gets applied. It returns ctx's error if ctx ends
// first.
func (r *replayer) apply(ctx context.Context, data []byte, base int64, prog string) error {
	var recs []*rec
	pos := base
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		line := data[:i]
		data = data[i+1:]
		pos += int64(i + 1)
		rc, err := asynclog.ParseRecord(line)
		if err == nil && !validKey(rc.Key) {
			err = fmt.Errorf("key %q cannot be sent", rc.Key)
		}
		if err != nil {
			r.o.Logf("replay: %s: skipping a bad record: %v", prog, err)
			r.bad()
			recs = append(recs, &rec{end: pos, done: true})
			continue
		}
		recs = append(recs, &rec{Record: rc, end: pos})
	}
	byDest := map[string][]*rec{}
	var order []string
	for _, rc := range recs {
		if rc.done {
			continue
		}
		a := rc.Addr()
		if byDest[a] == nil {
			order = append(order, a)
		}
		byDest[a] = append(byDest[a], rc)
	}
	r.mu.Lock()
	for _, a := range order {
		r.dest(a).Pending += uint64(len(byDest[a]))
	}
	r.mu.Unlock()
	var pmu sync.Mutex // guards done flags and the progress file
	saved := base
	lastSave := time.Now()
	progress := func(force bool) {
		pmu.Lock()
		defer pmu.Unlock()
		at := base
		for _, rc := range recs {
			if !rc.done {
				break
			}
			at = rc.end
		}
		if at > saved && (force || time.Since(lastSave) > 100*time.Millisecond) {
			if err := writeProgress(prog, at); err == nil {
				saved, lastSave = at, time.Now()
			}
		}
	}
	var wg sync.WaitGroup
	for _, a := range order {
		wg.Add(1)
		go func(addr string, rs []*rec) {
			defer wg.Done()
			r.send(ctx, addr, rs, &pmu, progress)
		}(a, byDest[a])
	}
	wg.Wait()
	progress(true)
	return ctx.Err()
}

// batchSize is how many deletes are pipelined per round trip.
const batchSize = 16

// send applies rs (records for addr, in file order), retrying with
// back-off, until all are applied or ctx ends.
func (r *replayer) send(ctx context.Context, addr string, rs []*rec, pmu *sync.Mutex, progress func(bool)) {
	var conn net.Conn
	var br *bufio.Reader
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	backoff := 100 * time.Millisecond
	var lastLog time.Time
	fail := func(err error) {
		if conn != nil {
			conn.Close()
			conn = nil
		}
		r.mu.Lock()
		r.dest(addr).Failures++
		r.mu.Unlock()
		if time.Since(lastLog) > 10*time.Second {
			r.o.Logf("replay: %s: %v (retrying, back-off %v)", addr, err, backoff)
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, r.o.MaxBackoff)
	}
	var buf []byte
	for len(rs) > 0 && ctx.Err() == nil {
		if conn == nil {
			d := net.Dialer{Timeout: r.o.Timeout}
			c, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				fail(err)
				continue
			}
			conn, br = c, bufio.NewReader(c)
		}
		n := min(len(rs), batchSize)
		buf = buf[:0]
		for _, rc := range rs[:n] {
			buf = append(append(append(buf, "delete "...), rc.Key...), "\r\n"...)
		}
		_ = conn.SetDeadline(time.Now().Add(r.o.Timeout))
		if _, err := conn.Write(buf); err != nil {
			fail(err)
			continue
		}
		applied := 0
		var err error
		for applied < n {
			var line string
			if line, err = br.ReadString('\n'); err != nil {
				break
			}
			line = strings.TrimRight(line, "\r\n")
			r.mu.Lock()
			ds := r.dest(addr)
			switch line {
			case "DELETED":
				ds.Deleted++
			case "NOT_FOUND":
				ds.NotFound++
			default:
				err = fmt.Errorf("delete %q: %s", rs[applied].Key, line)
			}
			if err == nil {
				ds.Pending--
			}
			r.mu.Unlock()
			if err != nil {
				break
			}
			pmu.Lock()
			rs[applied].done = true
			pmu.Unlock()
			applied++
		}
		rs = rs[applied:]
		if applied > 0 {
			backoff = 100 * time.Millisecond
			progress(false)
		}
		if err != nil {
			if err == io.EOF {
				err = errors.New("connection closed")
			}
			fail(err)
		}
	}
}

// validKey reports whether memcached can take key in a delete line.
func validKey(k []byte) bool {
	if len(k) == 0 || len(k) > 250 {
		return false
	}
	for _, c := range k {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

func readProgress(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// writeProgress replaces the progress file atomically (a rename); it is
// not fsynced: a lost update only means records are sent again.
func writeProgress(path string, off int64) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatInt(off, 10)+"\n"), 0o666); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readFrom returns the bytes of path from off to its end.
func readFrom(path string, off int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() < off {
		return nil, fmt.Errorf("file is shorter (%d) than its progress (%d)", st.Size(), off)
	}
	b := make([]byte, st.Size()-off)
	_, err = f.ReadAt(b, off)
	if err == io.EOF {
		err = nil
	}
	return b, err
}
