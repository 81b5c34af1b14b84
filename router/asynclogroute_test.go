package router

import (
	"errors"
	"strings"
	"testing"
	"time"

	"mcroute/codec/mc"
	"mcroute/upstream"
	"mcroute/upstream/asynclog"
)

// overDest is a fake child whose traversal reaches a destination (as a
// PoolRoute's hash does), so the asynclogRoute can name the server.
type overDest struct {
	*fakeRoute
	d *destination
}

func (o overDest) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(o, depth)
	o.d.Traverse(req, depth+1, visit)
}

// fakeSpool records entries; the test acknowledges them (as the writer
// goroutine would) with ack.
type fakeSpool struct {
	format  asynclog.Format
	full    bool
	entries []*asynclog.Entry
	lines   []string
}

func (s *fakeSpool) Format() *asynclog.Format { return &s.format }
func (s *fakeSpool) Append(e *asynclog.Entry) bool {
	if s.full {
		return false
	}
	s.entries = append(s.entries, e)
	s.lines = append(s.lines, string(e.Line))
	return true
}

func (s *fakeSpool) ack(err error) {
	q := s.entries
	s.entries = nil
	for _, e := range q {
		e.Err = err
		e.Ack.Acked(e)
	}
}

func TestAsynclogRoute(t *testing.T) {
	srv := upstream.NewServerProtocol("10.0.0.1", 11211, upstream.ProtocolASCII, time.Second, time.Second)
	cases := []struct {
		name     string
		op, key  string
		res      mc.Result
		keep     bool
		override int
		v2       bool
		full     bool
		shadow   bool
		writeErr error
		// want: reply before the ack, the record written ("" none), the
		// reply after the ack.
		before, record, after string
	}{
		{name: "get passes", op: "get", key: "k", res: mc.ResTimeout, before: "mc_res_timeout(boom)"},
		{name: "set error passes", op: "set", key: "k", res: mc.ResConnectError, before: "mc_res_connect_error(boom)"},
		{name: "delete ok", op: "delete", key: "k", res: mc.ResDeleted, before: "mc_res_deleted"},
		{name: "delete miss", op: "delete", key: "k", res: mc.ResNotFound, before: "mc_res_notfound"},
		{name: "client error is not spooled", op: "delete", key: "k", res: mc.ResClientError, before: "mc_res_client_error(boom)"},
		{name: "timeout spooled", op: "delete", key: "/a/b/k", res: mc.ResTimeout,
			record: `["AS1.0",T,"C",["10.0.0.1",11211,"delete k\r\n"]]`, after: "mc_res_notfound"},
		{name: "keep routing prefix", op: "delete", key: "/a/b/k", res: mc.ResConnectError, keep: true,
			record: `["AS1.0",T,"C",["10.0.0.1",11211,"delete /a/b/k\r\n"]]`, after: "mc_res_notfound"},
		{name: "port override, tko", op: "delete", key: "k", res: mc.ResTko, override: 9999,
			record: `["AS1.0",T,"C",["10.0.0.1",9999,"delete k\r\n"]]`, after: "mc_res_notfound"},
		{name: "v2", op: "delete", key: "k\"", res: mc.ResRemoteError, v2: true,
			record: `["AS2.0",T,"C",{"s":"svc","f":"5000","r":"a","h":"[10.0.0.1]:11211","p":"logname","k":"k\"","a":{"al":1}}]`, after: "mc_res_notfound"},
		{name: "a shadow's delete is never spooled", op: "delete", key: "k", res: mc.ResTimeout, shadow: true, before: "mc_res_timeout(boom)"},
		{name: "queue full: real error", op: "delete", key: "k", res: mc.ResTimeout, full: true, before: "mc_res_timeout(boom)"},
		{name: "write failed: real error", op: "delete", key: "k", res: mc.ResBusy, writeErr: errors.New("disk full"),
			record: `["AS1.0",T,"C",["10.0.0.1",11211,"delete k\r\n"]]`, after: "mc_res_busy(boom)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := fake("pool", c.res)
			if c.res.IsError() {
				f.msg = "boom"
			}
			d := newDestination(0, srv, "A", 0, c.keep, 0)
			sp := &fakeSpool{full: c.full, format: asynclog.Format{V2: c.v2, Service: "svc", Flavor: "5000", Region: "a"}}
			var posted []func()
			r := &asynclogRoute{name: "asynclog:logname", logName: "logname", child: overDest{f, d}, spool: sp,
				portOverride: c.override, post: func(_ *Ctx, fn func()) bool { posted = append(posted, fn); return true }}
			ctx := testCtx()
			cb := &capture{}
			rq := req(c.op, c.key)
			rq.Shadow = c.shadow
			r.Route(ctx, rq, cb)
			if cb.String() != c.before {
				t.Fatalf("before the ack: %q, want %q", cb.String(), c.before)
			}
			var rec string
			if len(sp.lines) > 0 {
				rec = sp.lines[0]
				// The time: unix seconds, ms precision.
				i, j := strings.Index(rec, ","), strings.Index(rec, `,"C"`)
				if i < 0 || j < i {
					t.Fatalf("record %q", rec)
				}
				rec = rec[:i+1] + "T" + rec[j:]
				if !strings.HasSuffix(rec, "\n") {
					t.Fatalf("record not newline-terminated: %q", rec)
				}
				rec = strings.TrimSuffix(rec, "\n")
			}
			if rec != c.record {
				t.Fatalf("record %s\nwant   %s", rec, c.record)
			}
			if c.record == "" {
				return
			}
			sp.ack(c.writeErr)
			if cb.String() != "" || len(posted) != 1 {
				t.Fatalf("answered on the writer goroutine (%q) or not posted (%d)", cb.String(), len(posted))
			}
			posted[0]()
			if cb.String() != c.after {
				t.Fatalf("after the ack: %q, want %q", cb.String(), c.after)
			}
		})
	}
}

func TestAsynclogRouteNameAndTraverse(t *testing.T) {
	srv := upstream.NewServerProtocol("10.0.0.1", 11211, upstream.ProtocolASCII, time.Second, time.Second)
	d := newDestination(0, srv, "A", 0, false, 0)
	r := &asynclogRoute{name: "asynclog:A", child: overDest{fake("hash", mc.ResOK), d}}
	var got []string
	r.Traverse(req("delete", "k"), 0, func(h Handle, depth int) {
		got = append(got, strings.Repeat(" ", depth)+h.Name())
	})
	if len(got) != 3 || got[0] != "asynclog:A" || got[1] != " hash" || !strings.HasPrefix(got[2], "  host|pool=A") {
		t.Fatalf("%q", got)
	}
}

func TestAsynclogBuild(t *testing.T) {
	sp := asynclog.New(asynclog.Options{Dir: t.TempDir()})
	defer sp.Close()
	pools := `"pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}, "B": {"servers": ["127.0.0.1:3"]}}`
	cases := []struct {
		route string
		spool *asynclog.Spool
		want  string // the asynclog handle's name, "" none
	}{
		{`"PoolRoute|A"`, sp, "asynclog:A"},
		{`"PoolRoute|B"`, sp, "asynclog:B"},
		{`{"type": "PoolRoute", "pool": "A", "asynclog_name": "X"}`, sp, "asynclog:X"},
		{`{"type": "PoolRoute", "pool": "A", "name": "N"}`, sp, "asynclog:N"},
		{`{"type": "PoolRoute", "pool": "A", "asynclog": false}`, sp, ""},
		{`"Pool|B"`, sp, ""},
		{`"HashRoute|Pool|A"`, sp, ""},
		{`"PoolRoute|A"`, nil, ""}, // --asynclog-disable
	}
	for _, c := range cases {
		cfg, err := Build("", []byte(`{`+pools+`, "route": `+c.route+`}`), Options{Asynclog: c.spool})
		if err != nil {
			t.Fatalf("%s: %v", c.route, err)
		}
		got := ""
		var walk func(h Handle)
		walk = func(h Handle) {
			if a, ok := h.(*asynclogRoute); ok {
				got = a.Name()
			}
			for _, ch := range h.Children() {
				walk(ch)
			}
		}
		walk(cfg.Root)
		if got != c.want {
			t.Errorf("%s (spool %v): asynclog %q, want %q", c.route, c.spool != nil, got, c.want)
		}
	}
	cfg, err := Build("", []byte(`{`+pools+`, "route": "PoolRoute|A"}`), Options{Asynclog: sp})
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := debugRouteHandles(cfg, []string{"delete", "k"}); !strings.Contains(out, "\n  asynclog:A\n   selection|hash|Ch3\n    host|pool=A") {
		t.Errorf("route_handles:\n%s", out)
	}
	if _, err := Build("", []byte(`{`+pools+`, "route": {"type": "PoolRoute", "pool": "A", "asynclog": 1}}`), Options{Asynclog: sp}); err == nil {
		t.Error("asynclog: 1 accepted")
	}
}
