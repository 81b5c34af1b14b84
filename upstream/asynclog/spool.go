package asynclog

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultQueueLen is how many records may wait for the writer before
// Append refuses more.
const DefaultQueueLen = 4096

// Acker is told when an Entry has been written (or could not be).
type Acker interface {
	// Acked runs on the writer goroutine once e.Err is set (nil: the
	// record is on disk, fsynced). It must not block; it should post the
	// outcome to the goroutine that owns e. After Acked the writer no
	// longer touches e.
	Acked(e *Entry)
}

// Entry is one record handed to the Spool. Its owner fills Line and Ack,
// calls Append and must leave it alone until Ack.Acked(e) runs.
type Entry struct {
	Line []byte // the record, '\n' terminated (Format.AppendRecord)
	Err  error  // the outcome, set before Acked
	Ack  Acker
}

// Options configure a Spool.
type Options struct {
	// Dir is the spool root, -a/--async-dir.
	Dir string
	// Format is the record format; Format.Service also names the files.
	Format Format
	// Router is the router name in file names (the first listen port).
	Router string
	// QueueLen bounds the records waiting for the writer (default
	// DefaultQueueLen).
	QueueLen int
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
	// Logf reports write failures (at most one line per 10 s); nil: quiet.
	Logf func(format string, args ...any)
}

// Spool is the asynclog writer: a goroutine that appends records to the
// current spool file. Append may be called from any goroutine.
type Spool struct {
	opts Options
	ch   chan *Entry
	done chan struct{}

	mu     sync.RWMutex // guards closed against Append racing Close
	closed bool

	written, failed, refused atomic.Uint64

	// writer goroutine only
	f       *os.File
	path    string
	opened  time.Time
	seq     uint64
	buf     []byte
	batch   []*Entry
	lastLog time.Time
	unlog   int
}

// New starts a Spool. It touches no file until the first record.
func New(o Options) *Spool {
	if o.QueueLen <= 0 {
		o.QueueLen = DefaultQueueLen
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Spool{opts: o, ch: make(chan *Entry, o.QueueLen), done: make(chan struct{})}
	go s.run()
	return s
}

// Format returns the record format, for encoding entries.
func (s *Spool) Format() *Format { return &s.opts.Format }

// Dir returns the spool root.
func (s *Spool) Dir() string { return s.opts.Dir }

// Append hands e to the writer without blocking. It returns false, and e
// will not be acknowledged, when the queue is full or the spool closed.
func (s *Spool) Append(e *Entry) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		s.refused.Add(1)
		return false
	}
	select {
	case s.ch <- e:
		return true
	default:
		s.refused.Add(1)
		return false
	}
}

// Stats returns records written, records that failed to be written and
// records refused (queue full or closed).
func (s *Spool) Stats() (written, failed, refused uint64) {
	return s.written.Load(), s.failed.Load(), s.refused.Load()
}

// Close stops taking records, writes and acknowledges those queued, and
// closes the current file (making it read-only: complete). Call it once.
func (s *Spool) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
	s.mu.Unlock()
	<-s.done
	return nil
}

func (s *Spool) run() {
	defer close(s.done)
	defer s.closeFile()
	for e := range s.ch {
		s.batch = append(s.batch[:0], e)
	drain:
		for len(s.batch) < cap(s.ch) {
			select {
			case e, ok := <-s.ch:
				if !ok {
					break drain
				}
				s.batch = append(s.batch, e)
			default:
				break drain
			}
		}
		err := s.write(s.batch)
		if err != nil {
			s.failed.Add(uint64(len(s.batch)))
			s.logf(err)
		} else {
			s.written.Add(uint64(len(s.batch)))
		}
		for i, e := range s.batch {
			s.batch[i] = nil
			e.Err = err
			e.Ack.Acked(e)
		}
	}
}

// write appends the batch's records with one write and fsyncs them.
func (s *Spool) write(batch []*Entry) error {
	now := s.opts.Now()
	if s.f != nil && now.Sub(s.opened) >= Lifetime {
		s.closeFile()
	}
	if s.f == nil {
		if err := s.open(now); err != nil {
			return err
		}
	}
	s.buf = s.buf[:0]
	for _, e := range batch {
		s.buf = append(s.buf, e.Line...)
	}
	if _, err := s.f.Write(s.buf); err != nil {
		s.closeFile() // a partial record may end the file: start a new one
		return err
	}
	if err := s.f.Sync(); err != nil {
		s.closeFile()
		return err
	}
	return nil
}

// open creates a new spool file for time now and locks it.
func (s *Spool) open(now time.Time) error {
	dir := filepath.Join(s.opts.Dir, DirName(now))
	s.seq++
	path := filepath.Join(dir, FileName(now, s.opts.Format.Service, s.opts.Router, os.Getpid(), s.seq))
	var f *os.File
	var err error
	// Twice: a replayer may remove an emptied hour directory between our
	// MkdirAll and OpenFile.
	for range 2 {
		if err = os.MkdirAll(dir, 0o777); err != nil {
			return err
		}
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return &fs.PathError{Op: "flock", Path: path, Err: err}
	}
	s.f, s.path, s.opened = f, path, now
	return nil
}

// closeFile marks the current file complete (read-only) and closes it,
// which releases the lock.
func (s *Spool) closeFile() {
	if s.f == nil {
		return
	}
	_ = s.f.Chmod(0o444)
	_ = s.f.Close()
	s.f = nil
}

func (s *Spool) logf(err error) {
	if s.opts.Logf == nil {
		return
	}
	now := time.Now()
	if now.Sub(s.lastLog) < 10*time.Second {
		s.unlog++
		return
	}
	s.opts.Logf("asynclog: cannot spool failed deletes under %s: %v (%d more failures not logged)", s.opts.Dir, err, s.unlog)
	s.lastLog, s.unlog = now, 0
}
