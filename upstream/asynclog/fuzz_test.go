package asynclog

import (
	"bytes"
	"testing"
	"time"
)

// FuzzParseRecord: any line parses or fails cleanly, never panics; a line
// that parses re-encodes (in its own version) to a record that parses back
// to the same server and key. Seeds in testdata/fuzz/FuzzParseRecord.
func FuzzParseRecord(f *testing.F) {
	now := time.UnixMilli(1410611229747)
	for _, v2 := range []bool{false, true} {
		fm := Format{V2: v2, Service: "svc", Flavor: "5000", Region: "a"}
		for _, key := range []string{"key", `k"\`, "k\x01\x7f\xff", ""} {
			line := fm.AppendRecord(nil, now, "127.0.0.1", 11211, "A", []byte(key))
			f.Add(bytes.TrimSuffix(line, []byte("\n")))
		}
	}
	f.Add([]byte(`["AS2.0",1410611229.747,"C",{"k":"key","p":"A","h":"[127.0.0.1]:5001","f":"5000"}]`))
	f.Add([]byte(`["AS1.0",1,"C",["::1",1,"delete \u00e9\r\n"]]`))
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := ParseRecord(line)
		if err != nil {
			return
		}
		fm := Format{V2: r.Version == "AS2.0"}
		again, err := ParseRecord(bytes.TrimSuffix(fm.AppendRecord(nil, r.Time, r.Host, r.Port, r.Pool, r.Key), []byte("\n")))
		if err != nil {
			t.Fatalf("%q parsed to %+v, which re-encodes to a record that does not parse: %v", line, r, err)
		}
		if again.Host != r.Host || again.Port != r.Port || !bytes.Equal(again.Key, r.Key) {
			t.Fatalf("%q: %+v re-encodes to %+v", line, r, again)
		}
	})
}
