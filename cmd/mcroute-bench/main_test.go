package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"mcroute/bench"
)

func TestParseGeneratorMemtierFlags(t *testing.T) {
	g, err := parseGenerator(strings.Fields(
		"-s 127.0.0.1 -p 22122 -t 2 -c 3 --ratio=1:4 --key-pattern=G:S --key-minimum=10 --key-maximum=99 "+
			"--key-prefix=x: --data-size-range=10-20 --pipeline=8 --test-time=5 --multi-key-get=3 --rate=1000 "+
			"--json-out-file=o.json --hide-histogram --verify"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := g.cfg
	if c.Servers[0] != "127.0.0.1:22122" || c.Threads != 2 || c.Clients != 3 || c.Ratio != (bench.Ratio{Sets: 1, Gets: 4}) ||
		c.SetPattern != bench.PatternGaussian || c.GetPattern != bench.PatternSequential || c.KeyMin != 10 || c.KeyMax != 99 ||
		c.KeyPrefix != "x:" || c.DataSizeMin != 10 || c.DataSizeMax != 20 || c.Pipeline != 8 || c.TestTime != 5*time.Second ||
		c.MultiKeyGet != 3 || c.Rate != 1000 || !c.Verify || g.jsonOut != "o.json" || !g.hideHistogram {
		t.Fatalf("parsed %+v", g)
	}
	// Long forms of the short flags, -n allkeys, and several servers.
	g, err = parseGenerator(strings.Fields("--server=a,b --port=1 --threads=1 --clients=4 --key-minimum=1 --key-maximum=10 -n allkeys -d 7"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.cfg.Servers) != 2 || g.cfg.Servers[1] != "b:1" || g.cfg.Requests != 3 || g.cfg.DataSizeMax != 7 {
		t.Fatalf("parsed %+v", g.cfg)
	}
	for _, bad := range []string{"--ratio=x", "--key-pattern=Q:R", "--data-size-range=5", "-P redis", "-n lots", "--pipeline=0", "extra"} {
		if _, err := parseGenerator(strings.Fields(bad), io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestGeneratorReportsUnreachableServer(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	var out, errb bytes.Buffer
	code := runGenerator(context.Background(), []string{"-p", strconv.Itoa(port), "-t", "1", "-c", "1", "-n", "1"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "connect to 127.0.0.1:"+strconv.Itoa(port)) {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if code := runCompare(context.Background(), []string{"--backends", "x"}, &out, &errb); code != 2 {
		t.Fatalf("bad compare flags: exit %d", code)
	}
}
