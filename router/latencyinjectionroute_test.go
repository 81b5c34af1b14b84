package router

import (
	"slices"
	"strings"
	"testing"
	"time"

	"mcroute/codec/mc"
	"mcroute/upstream"
)

// timerCtx is a Ctx on a real upstream loop (for timers), with its clock at
// a fixed start.
func timerCtx() (*Ctx, int64) {
	up := upstream.NewLoop(nil, upstream.Options{})
	t0 := upstream.Now()
	up.SetNow(t0)
	ctx := testCtx()
	ctx.Up = up
	return ctx, t0
}

func TestLatencyInjectionRoute(t *testing.T) {
	ms := func(n int) int64 { return int64(time.Duration(n) * time.Millisecond) }
	cases := []struct {
		name                 string
		before, after, total time.Duration
		res                  mc.Result
		childAt              int // ms at which a deferred child answers; -1: at once
		sentAt, answeredAt   int // ms
	}{
		{"before", 10 * time.Millisecond, 0, 0, mc.ResFound, -1, 10, 10},
		{"after", 0, 20 * time.Millisecond, 0, mc.ResStored, -1, 0, 20},
		{"before and after, slow child", 10 * time.Millisecond, 20 * time.Millisecond, 0, mc.ResNotFound, 15, 10, 35},
		{"total pads", 0, 0, 50 * time.Millisecond, mc.ResFound, 5, 0, 50},
		{"total already spent", 10 * time.Millisecond, 0, 5 * time.Millisecond, mc.ResFound, -1, 10, 10},
		{"total after after", 0, 10 * time.Millisecond, 30 * time.Millisecond, mc.ResTimeout, 5, 0, 30},
		{"error passes", 0, 5 * time.Millisecond, 0, mc.ResTimeout, -1, 0, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, t0 := timerCtx()
			child := &reqRec{fakeRoute: fake("c", tc.res, "val")}
			child.deferred = tc.childAt >= 0
			r := &latencyInjectionRoute{child: child, kids: []Handle{child}, before: tc.before, after: tc.after, total: tc.total}
			key := []byte("key")
			cb := &capture{}
			r.Route(ctx, &mc.Request{Op: req("get", "").Op, Key: key}, cb)
			copy(key, "###") // the caller's buffer may change meanwhile
			sentAt, answeredAt := -1, -1
			for now := 0; now <= 100; now++ {
				ctx.Up.Sweep(t0 + ms(now))
				if sentAt < 0 && len(child.seen) > 0 {
					sentAt = now
				}
				if now == tc.childAt {
					child.flush()
				}
				if answeredAt < 0 && len(cb.got) > 0 {
					answeredAt = now
				}
			}
			if sentAt != tc.sentAt || answeredAt != tc.answeredAt {
				t.Errorf("sent at %dms, answered at %dms; want %d, %d", sentAt, answeredAt, tc.sentAt, tc.answeredAt)
			}
			want := tc.res.String()
			if tc.res.IsError() {
				want += "(val)"
			} else {
				want += "=val"
			}
			if cb.String() != want {
				t.Errorf("reply %s, want %s", cb, want)
			}
			if tc.before > 0 && child.seen[0] != "get key" {
				t.Errorf("child got %v", child.seen)
			}
		})
	}
}

// TestLatencyInjectionMany: requests delayed together keep their own keys
// and replies.
func TestLatencyInjectionMany(t *testing.T) {
	ctx, t0 := timerCtx()
	child := fake("c", mc.ResFound, "v")
	r := &latencyInjectionRoute{child: child, kids: []Handle{child}, before: time.Millisecond, after: time.Millisecond}
	var cbs []*capture
	for i := range 5 {
		cb := &capture{}
		cbs = append(cbs, cb)
		r.Route(ctx, req("get", string(rune('a'+i))), cb)
	}
	ctx.Up.Sweep(t0 + int64(time.Millisecond))
	ctx.Up.Sweep(t0 + int64(2*time.Millisecond))
	seen := slices.Sorted(slices.Values(child.seen)) // equal timers fire in any order
	if strings.Join(seen, ",") != "get a,get b,get c,get d,get e" {
		t.Errorf("child saw %v", child.seen)
	}
	for i, cb := range cbs {
		if cb.String() != "mc_res_found=v" {
			t.Errorf("request %d: %s", i, cb)
		}
	}
}

func TestLatencyInjectionRouteBuild(t *testing.T) {
	pools := `"pools":{"A":{"servers":["127.0.0.1:1","127.0.0.1:2"]}},`
	for _, tc := range []struct{ route, want string }{
		{`{"type":"LatencyInjectionRoute","child":"PoolRoute|A","before_latency_ms":10}`,
			"latency-injection|before:10ms|after:0ms|total:0ms|request_payload:false|max_request_latency_us:0"},
		{`{"type":"LatencyInjectionRoute","child":"PoolRoute|A","after_latency_ms":5,"total_latency_ms":20,"max_request_latency_us":7}`,
			"latency-injection|before:0ms|after:5ms|total:20ms|request_payload:false|max_request_latency_us:7"},
		{`{"type":"LatencyInjectionRoute","child":"PoolRoute|A","before_latency_ms":0}`, builtName(t, pools, `"PoolRoute|A"`)},
	} {
		if got := builtName(t, pools, tc.route); got != tc.want {
			t.Errorf("%s: built %s, want %s", tc.route, got, tc.want)
		}
	}
	for _, tc := range []struct{ route, want string }{
		{`"LatencyInjectionRoute|PoolRoute|A"`, "LatencyInjectionRoute: config is not an object"},
		{`{"type":"LatencyInjectionRoute","before_latency_ms":10}`, "LatencyInjectionRoute: 'child' property is missing"},
		{`{"type":"LatencyInjectionRoute","child":"PoolRoute|A"}`, "LatencyInjectionRoute must specify either"},
		{`{"type":"LatencyInjectionRoute","child":"PoolRoute|A","after_latency_ms":"5"}`, "LatencyInjectionRoute: 'after_latency_ms' must be an integer"},
		{`{"type":"LatencyInjectionRoute","child":"PoolRoute|A","request_payload_latency":1}`, "LatencyInjectionRoute: 'request_payload_latency' is not a bool"},
	} {
		_, err := Build("f.json", []byte(`{`+pools+`"route":`+tc.route+`}`), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "f.json:1:") {
			t.Errorf("%s: error %v, want f.json:1: ... %q", tc.route, err, tc.want)
		}
	}
}
