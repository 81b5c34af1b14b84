package asynclog

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Lifetime is how long a spool file is appended to before the writer
// opens a new one (mcrouter's DEFAULT_ASYNCLOG_LIFETIME, 900 s; the
// replayer relies on it).
const Lifetime = 15 * time.Minute

// DirName is the hour directory for time t (in t's location, local time
// in use): <YYYYMMDD>T<HH>-<unix hour start>, e.g. 20140913T13-1410613200.
func DirName(t time.Time) string {
	u := t.Unix()
	return fmt.Sprintf("%04d%02d%02dT%02d-%d", t.Year(), int(t.Month()), t.Day(), t.Hour(), u-u%3600)
}

// FileName is a spool file's name for a file opened at t:
// <YYYYMMDD>T<HHMMSS>-<unix now>-<service>-<router>-t<tid>-0x<id>, e.g.
// 20140913T131923-1410614363-mcrouter-5000-t4242-0x1. mcrouter writes its
// thread id and an object address; mcroute's writer writes its process id
// and a per-process file counter.
func FileName(t time.Time, service, router string, tid int, id uint64) string {
	return fmt.Sprintf("%04d%02d%02dT%02d%02d%02d-%d-%s-%s-t%d-0x%x",
		t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Unix(),
		service, router, tid, id)
}

// ParseFileName returns the time a spool file was opened, from its name
// (the unix seconds after the first '-'); ok is false for names that are
// not spool files.
func ParseFileName(name string) (opened time.Time, ok bool) {
	stamp, rest, found := strings.Cut(name, "-")
	if !found || len(stamp) != 15 || stamp[8] != 'T' {
		return time.Time{}, false
	}
	unix, _, _ := strings.Cut(rest, "-")
	u, err := strconv.ParseInt(unix, 10, 64)
	if err != nil || u <= 0 {
		return time.Time{}, false
	}
	return time.Unix(u, 0), true
}
