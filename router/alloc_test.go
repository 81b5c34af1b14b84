//go:build !race

package router_test

import "testing"

// TestPathAllocs: parse → route → send → reply → encode allocates nothing
// per request in steady state.
func TestPathAllocs(t *testing.T) {
	p := newPipe(t, 3)
	get := []byte("get user:12345:profile\r\n")
	getReply := "VALUE user:12345:profile 0 5\r\nhello\r\nEND\r\n"
	set := []byte("set user:12345:profile 0 0 5\r\nhello\r\n")
	for i := 0; i < 100; i++ { // warm up buffers
		p.roundTrip(get, getReply)
		p.roundTrip(set, "STORED\r\n")
	}
	if n := testing.AllocsPerRun(1000, func() { p.roundTrip(get, getReply) }); n != 0 {
		t.Errorf("get: %v allocs per request", n)
	}
	if n := testing.AllocsPerRun(1000, func() { p.roundTrip(set, "STORED\r\n") }); n != 0 {
		t.Errorf("set: %v allocs per request", n)
	}
}
