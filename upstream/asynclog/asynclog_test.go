package asynclog

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestAppendRecord(t *testing.T) {
	at := time.UnixMilli(1410611229747)
	v2 := Format{V2: true, Service: "mcrouter", Flavor: "5000", Region: "."}
	cases := []struct {
		name string
		f    Format
		at   time.Time
		host string
		port int
		key  string
		want string
	}{
		{"v1", Format{}, at, "127.0.0.1", 5001, "key",
			`["AS1.0",1410611229.747,"C",["127.0.0.1",5001,"delete key\r\n"]]` + "\n"},
		{"v1 whole second", Format{}, time.UnixMilli(1410611229000), "127.0.0.1", 5001, "k",
			`["AS1.0",1410611229,"C",["127.0.0.1",5001,"delete k\r\n"]]` + "\n"},
		{"v1 escaping", Format{}, at, "::1", 11211, "a\"b\\c\x01\xff/é",
			`["AS1.0",1410611229.747,"C",["::1",11211,"delete a\"b\\c\u0001` + "\xff/é" + `\r\n"]]` + "\n"},
		{"v2", v2, at, "127.0.0.1", 5001, "key",
			`["AS2.0",1410611229.747,"C",{"s":"mcrouter","f":"5000","r":".","h":"[127.0.0.1]:5001","p":"A","k":"key","a":{"al":1}}]` + "\n"},
		{"v2 v6 escaping", v2, at, "::1", 5001, "q\"\t",
			`["AS2.0",1410611229.747,"C",{"s":"mcrouter","f":"5000","r":".","h":"[::1]:5001","p":"A","k":"q\"\t","a":{"al":1}}]` + "\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(c.f.AppendRecord(nil, c.at, c.host, c.port, "A", []byte(c.key)))
			if got != c.want {
				t.Fatalf("got  %s\nwant %s", got, c.want)
			}
			r, err := ParseRecord([]byte(strings.TrimSuffix(got, "\n")))
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Key) != c.key || r.Host != c.host || r.Port != c.port || !r.Time.Equal(c.at) {
				t.Fatalf("parsed back %+v (key %q)", r, r.Key)
			}
		})
	}
}

func TestParseRecordErrors(t *testing.T) {
	for _, line := range []string{
		``, `[]`, `{"a":1}`, `["AS1.0",1,"C"]`, `["AS9.0",1,"C",[]]`,
		`["AS1.0",1,"C",["h",1,"get k\r\n"]]`, `["AS1.0",1,"C",["h",0,"delete k\r\n"]]`,
		`["AS2.0",1,"C",{"h":"nope","k":"k"}]`, `["AS2.0",1,"C",{"h":"[h]:1"}]`,
		`["AS1.0",1,"C",["h",1,"delete k\r\n"]`, // a partial line
	} {
		if _, err := ParseRecord([]byte(line)); err == nil {
			t.Errorf("%s: no error", line)
		}
	}
	// The surrogate pair and \/ of other writers.
	r, err := ParseRecord([]byte(`["AS2.0",1.5,"C",{"h":"[h]:1","k":"a\/\ud83d\ude00","p":"P"}]`))
	if err != nil || string(r.Key) != "a/😀" || r.Pool != "P" || r.Time.UnixMilli() != 1500 {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestNames(t *testing.T) {
	loc := time.FixedZone("X", 2*3600)
	at := time.Unix(1410614363, 0).In(loc) // 2014-09-13 13:19:23 UTC
	if got, want := DirName(at), "20140913T15-1410613200"; got != want {
		t.Errorf("DirName = %s, want %s", got, want)
	}
	name := FileName(at, "mcrouter", "5000", 42, 0x1f)
	if want := "20140913T151923-1410614363-mcrouter-5000-t42-0x1f"; name != want {
		t.Errorf("FileName = %s, want %s", name, want)
	}
	if ot, ok := ParseFileName(name); !ok || ot.Unix() != 1410614363 {
		t.Errorf("ParseFileName = %v %v", ot, ok)
	}
	for _, bad := range []string{".x.progress", "20140913T151923", "20140913T151923-x-a", "README"} {
		if _, ok := ParseFileName(bad); ok {
			t.Errorf("ParseFileName(%q) ok", bad)
		}
	}
}

type ackChan chan *Entry

func (c ackChan) Acked(e *Entry) { c <- e }

func TestSpoolWritesRotatesAndLocks(t *testing.T) {
	dir := t.TempDir()
	now := time.Unix(1410614363, 0)
	clock := make(chan time.Time, 1)
	clock <- now
	cur := now
	s := New(Options{Dir: dir, Format: Format{Service: "svc"}, Router: "5000", Now: func() time.Time {
		select {
		case cur = <-clock:
		default:
		}
		return cur
	}})
	acks := make(ackChan, 10)
	put := func(key string) {
		e := &Entry{Line: s.Format().AppendRecord(nil, cur, "127.0.0.1", 1, "A", []byte(key)), Ack: acks}
		if !s.Append(e) {
			t.Fatal("refused")
		}
		if e := <-acks; e.Err != nil {
			t.Fatal(e.Err)
		}
	}
	put("a")
	put("b")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	first := files[0]
	if filepath.Base(filepath.Dir(first)) != DirName(now) ||
		!strings.HasPrefix(filepath.Base(first), FileName(now, "svc", "5000", os.Getpid(), 1)) {
		t.Fatalf("path %s", first)
	}
	// The open file is locked: a replayer cannot take it.
	f, _ := os.Open(first)
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		t.Fatal("open spool file is not locked")
	}
	f.Close()
	clock <- now.Add(Lifetime)
	put("c")
	files, _ = filepath.Glob(filepath.Join(dir, "*", "*"))
	if len(files) != 2 {
		t.Fatalf("after 15 min: files %v", files)
	}
	if st, _ := os.Stat(first); st.Mode().Perm() != 0o444 {
		t.Fatalf("rotated file mode %v, want read-only", st.Mode())
	}
	b, _ := os.ReadFile(first)
	if n := bytes.Count(b, []byte("\n")); n != 2 {
		t.Fatalf("first file has %d records:\n%s", n, b)
	}
	s.Close()
	if s.Append(&Entry{Ack: acks}) {
		t.Fatal("Append after Close accepted")
	}
	if w, f, r := s.Stats(); w != 3 || f != 0 || r != 1 {
		t.Fatalf("stats %d %d %d", w, f, r)
	}
}

func TestSpoolUnwritable(t *testing.T) {
	s := New(Options{Dir: "/dev/null/spool"})
	defer s.Close()
	acks := make(ackChan, 1)
	s.Append(&Entry{Line: []byte("x\n"), Ack: acks})
	if e := <-acks; e.Err == nil {
		t.Fatal("no error for a spool under /dev/null")
	}
}

func TestSpoolQueueFull(t *testing.T) {
	s := &Spool{opts: Options{QueueLen: 1}, ch: make(chan *Entry, 1)} // no writer
	if !s.Append(&Entry{}) || s.Append(&Entry{}) {
		t.Fatal("a full queue must refuse without blocking")
	}
}
