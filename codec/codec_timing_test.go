package codec

import (
	"bytes"
	"mcroute/codec/mc"
	"testing"
)

func benchParse(b *testing.B, in []byte) {
	var p Parser
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		for buf := in; len(buf) > 0; {
			n, _, err := p.Parse(buf)
			if err != nil {
				b.Fatal(err)
			}
			buf = buf[n:]
		}
	}
}

func BenchmarkParseGet(b *testing.B) {
	benchParse(b, []byte("get user:1234567890:profile\r\n"))
}

func BenchmarkParseMultiget10(b *testing.B) {
	benchParse(b, []byte("get user:1000:a user:1001:b user:1002:c user:1003:d user:1004:e "+
		"user:1005:f user:1006:g user:1007:h user:1008:i user:1009:j\r\n"))
}

func BenchmarkParseSet100(b *testing.B) {
	in := append([]byte("set user:1234567890:profile 0 3600 100\r\n"), bytes.Repeat([]byte("v"), 100)...)
	benchParse(b, append(in, "\r\n"...))
}

// BenchmarkParseSet100Split has every set arrive in two reads, the value
// split in the middle, which forces the copy.
func BenchmarkParseSet100Split(b *testing.B) {
	in := append([]byte("set user:1234567890:profile 0 3600 100\r\n"), bytes.Repeat([]byte("v"), 100)...)
	in = append(in, "\r\n"...)
	first, second := in[:90], in[90:]
	var p Parser
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		p.Parse(first)
		if _, ok, err := p.Parse(second); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkParseValueReply(b *testing.B) {
	in := append([]byte("VALUE user:1234567890:profile 0 100\r\n"), bytes.Repeat([]byte("v"), 100)...)
	in = append(in, "\r\nEND\r\n"...)
	var p ReplyParser
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		for buf := in; len(buf) > 0; {
			n, _, err := p.Parse(buf)
			if err != nil {
				b.Fatal(err)
			}
			buf = buf[n:]
		}
	}
}

func BenchmarkEncodeValue(b *testing.B) {
	key, data := []byte("user:1234567890:profile"), bytes.Repeat([]byte("v"), 100)
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(AppendValue(nil, key, 0, data, 0, false))))
	for b.Loop() {
		dst = AppendValue(dst[:0], key, 0, data, 0, false)
	}
}

func BenchmarkEncodeSetRequest(b *testing.B) {
	key := []byte("user:1234567890:profile")
	r := &Request{Op: mc.OpSet, Keys: [][]byte{key}, Exptime: 3600, Value: bytes.Repeat([]byte("v"), 100)}
	sr := r.Single(key)
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendRequest(dst[:0], &sr, key)
	}
}
