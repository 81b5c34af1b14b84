package asynclog

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Format is how records are written: the version and the names a v2
// record carries.
type Format struct {
	// V2 writes "AS2.0" records (--use-asynclog-version2); else "AS1.0".
	V2 bool
	// Service is --service-name ("s"), Flavor the flavor name ("f"),
	// Region the region of the default route -R ("r"). v2 only.
	Service, Flavor, Region string
}

// AppendRecord appends the record of a failed delete of key (without
// routing prefix unless the pool keeps it), for server host:port, under
// asynclog name pool, at time now, '\n' terminated, to dst:
//
//	v1: ["AS1.0",1410611229.747,"C",["127.0.0.1",5001,"delete key\r\n"]]
//	v2: ["AS2.0",1410611229.747,"C",{"s":"mcrouter","f":"5000","r":".","h":"[127.0.0.1]:5001","p":"A","k":"key","a":{"al":1}}]
//
// JSON as folly::toJson writes it: compact; '"', '\\' and control bytes
// escaped; other bytes (UTF-8 or not) as they are.
func (f *Format) AppendRecord(dst []byte, now time.Time, host string, port int, pool string, key []byte) []byte {
	ver := "AS1.0"
	if f.V2 {
		ver = "AS2.0"
	}
	dst = append(dst, `["`...)
	dst = append(dst, ver...)
	dst = append(dst, `",`...)
	dst = appendTime(dst, now)
	dst = append(dst, `,"C",`...)
	if !f.V2 {
		dst = append(dst, '[')
		dst = appendString(dst, host)
		dst = append(dst, ',')
		dst = strconv.AppendInt(dst, int64(port), 10)
		dst = append(dst, `,"delete `...)
		dst = appendEscaped(dst, key)
		dst = append(dst, `\r\n"]]`...)
		return append(dst, '\n')
	}
	dst = append(dst, `{"s":`...)
	dst = appendString(dst, f.Service)
	dst = append(dst, `,"f":`...)
	dst = appendString(dst, f.Flavor)
	dst = append(dst, `,"r":`...)
	dst = appendString(dst, f.Region)
	dst = append(dst, `,"h":"[`...)
	dst = appendEscaped(dst, []byte(host))
	dst = append(dst, "]:"...)
	dst = strconv.AppendInt(dst, int64(port), 10)
	dst = append(dst, `","p":`...)
	dst = appendString(dst, pool)
	dst = append(dst, `,"k":"`...)
	dst = appendEscaped(dst, key)
	dst = append(dst, `","a":{"al":1}}]`...)
	return append(dst, '\n')
}

// appendTime writes unix seconds with millisecond precision, as the
// shortest decimal of the double (folly's toJson of now_ms/1000.0):
// 1410611229.747, 1410611229.5, 1410611229.
func appendTime(dst []byte, now time.Time) []byte {
	return strconv.AppendFloat(dst, float64(now.UnixMilli())/1000, 'f', -1, 64)
}

func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, []byte(s))
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendEscaped writes s as the inside of a JSON string.
func appendEscaped(dst, s []byte) []byte {
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\b':
			dst = append(dst, '\\', 'b')
		case c == '\f':
			dst = append(dst, '\\', 'f')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// Record is a record read back from a spool file.
type Record struct {
	Version string    // "AS1.0" or "AS2.0"
	Time    time.Time // when it was written (millisecond precision)
	Host    string
	Port    int
	Key     []byte
	Pool    string // v2 only
}

// Addr is the record's server as host:port ([v6]:port).
func (r *Record) Addr() string { return net.JoinHostPort(r.Host, strconv.Itoa(r.Port)) }

// ParseRecord parses one line (without its '\n') of a spool file, v1 or
// v2. Keys come back byte for byte as they were written (JSON escapes
// undone; other bytes, even invalid UTF-8, kept).
func ParseRecord(line []byte) (Record, error) {
	var r Record
	var arr []json.RawMessage
	if err := json.Unmarshal(line, &arr); err != nil {
		return r, fmt.Errorf("asynclog: bad record: %v", err)
	}
	if len(arr) != 4 {
		return r, errors.New("asynclog: bad record: want a 4-element array")
	}
	ver, err := unquote(arr[0])
	if err != nil {
		return r, err
	}
	r.Version = string(ver)
	var ts float64
	if err := json.Unmarshal(arr[1], &ts); err != nil {
		return r, fmt.Errorf("asynclog: bad record time: %v", err)
	}
	r.Time = time.UnixMilli(int64(ts*1000 + 0.5))
	switch r.Version {
	case "AS1.0":
		var d []json.RawMessage
		if err := json.Unmarshal(arr[3], &d); err != nil || len(d) != 3 {
			return r, errors.New("asynclog: bad AS1.0 record: want [host, port, command]")
		}
		host, err := unquote(d[0])
		if err != nil {
			return r, err
		}
		if err := json.Unmarshal(d[1], &r.Port); err != nil {
			return r, fmt.Errorf("asynclog: bad AS1.0 port: %v", err)
		}
		r.Host = string(host)
		cmd, err := unquote(d[2])
		if err != nil {
			return r, err
		}
		s := string(cmd)
		if !strings.HasPrefix(s, "delete ") || !strings.HasSuffix(s, "\r\n") {
			return r, fmt.Errorf("asynclog: AS1.0 command is not a delete: %q", s)
		}
		r.Key = cmd[len("delete ") : len(cmd)-2]
	case "AS2.0":
		var d map[string]json.RawMessage
		if err := json.Unmarshal(arr[3], &d); err != nil {
			return r, errors.New("asynclog: bad AS2.0 record: want an object")
		}
		h, err := unquote(d["h"])
		if err != nil {
			return r, fmt.Errorf("asynclog: AS2.0 h: %v", err)
		}
		host, port, err := net.SplitHostPort(string(h))
		if err != nil {
			return r, fmt.Errorf("asynclog: AS2.0 h: %v", err)
		}
		if r.Port, err = strconv.Atoi(port); err != nil {
			return r, fmt.Errorf("asynclog: AS2.0 h: bad port %q", port)
		}
		r.Host = host
		if r.Key, err = unquote(d["k"]); err != nil {
			return r, fmt.Errorf("asynclog: AS2.0 k: %v", err)
		}
		if p, ok := d["p"]; ok {
			pool, err := unquote(p)
			if err != nil {
				return r, fmt.Errorf("asynclog: AS2.0 p: %v", err)
			}
			r.Pool = string(pool)
		}
	default:
		return r, fmt.Errorf("asynclog: unknown record version %q", r.Version)
	}
	if r.Port < 1 || r.Port > 65535 || r.Host == "" || len(r.Key) == 0 {
		return r, errors.New("asynclog: record without host, port or key")
	}
	return r, nil
}

// unquote decodes a JSON string byte for byte (encoding/json would replace
// invalid UTF-8, which memcached keys may hold).
func unquote(raw []byte) ([]byte, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, fmt.Errorf("asynclog: not a string: %.40q", raw)
	}
	s := raw[1 : len(raw)-1]
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(s) {
			return nil, errors.New("asynclog: bad escape")
		}
		switch s[i] {
		case '"', '\\', '/':
			out = append(out, s[i])
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'u':
			r, n, ok := hex4(s[i+1:])
			if !ok {
				return nil, errors.New("asynclog: bad \\u escape")
			}
			i += n
			if utf16.IsSurrogate(r) {
				if i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					if r2, _, ok := hex4(s[i+3:]); ok {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							r = d
							i += 6
						}
					}
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, errors.New("asynclog: bad escape")
		}
	}
	return out, nil
}

// hex4 reads 4 hex digits.
func hex4(s []byte) (rune, int, bool) {
	if len(s) < 4 {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(string(s[:4]), 16, 32)
	if err != nil {
		return 0, 0, false
	}
	return rune(v), 4, true
}
