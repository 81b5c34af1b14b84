package router

import (
	"strings"
	"testing"
	"time"
)

func TestPoolRegionTimeouts(t *testing.T) {
	o := Options{DefaultRoute: "/reg/clu/", WithinClusterTimeout: 11 * time.Millisecond,
		CrossClusterTimeout: 22 * time.Millisecond, CrossRegionTimeout: 33 * time.Millisecond}
	for _, tc := range []struct {
		pool string
		opts Options
		want time.Duration
	}{
		{`"region":"reg","cluster":"clu"`, o, 11 * time.Millisecond},
		{`"region":"reg","cluster":"other"`, o, 22 * time.Millisecond},
		{`"region":"far","cluster":"clu"`, o, 33 * time.Millisecond},
		{`"region":"far","cluster":"clu","server_timeout":5`, o, 33 * time.Millisecond},
		{`"region":"far"`, o, time.Second},                                                   // both needed
		{`"region":"far","cluster":"x","server_timeout":5`, Options{}, 5 * time.Millisecond}, // options off
		{`"server_timeout":5`, o, 5 * time.Millisecond},
	} {
		c, err := Build("", []byte(`{"pools":{"A":{"servers":["127.0.0.1:1"],"connect_timeout":77,`+tc.pool+`}},"route":"PoolRoute|A"}`), tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		s := c.Servers[0]
		if s.Timeout != tc.want || s.ConnectTimeout != 77*time.Millisecond {
			t.Errorf("%s: timeout %v connect %v, want %v and 77ms", tc.pool, s.Timeout, s.ConnectTimeout, tc.want)
		}
	}
	c, err := Build("", []byte(`{"pools":{"A":{"servers":["127.0.0.1:1"],"region":1,"cluster":"c"}},"route":"PoolRoute|A"}`), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "pool_region is not a string") {
		t.Errorf("warnings %q", c.Warnings)
	}
}
