package router

import (
	"mcroute/codec/mc"
	"strings"
	"testing"
)

func TestErrorRoute(t *testing.T) {
	for _, tc := range []struct {
		route, name, reply string
	}{
		{`"ErrorRoute"`, "error|log|mc_res_local_error", "mc_res_local_error"},
		{`"ErrorRoute|go away"`, "error|log|mc_res_local_error|go away", "mc_res_local_error(go away)"},
		{`{"type":"ErrorRoute"}`, "error|log|mc_res_local_error", "mc_res_local_error"},
		{`{"type":"ErrorRoute","response":"nope"}`, "error|log|mc_res_local_error|nope", "mc_res_local_error(nope)"},
		{`{"type":"ErrorRoute","result":"mc_res_busy"}`, "error|log|mc_res_busy", "mc_res_busy"},
		{`{"type":"ErrorRoute","result":"mc_res_timeout","response":"slow","enable_logging":false}`, "error|no-log|mc_res_timeout|slow", "mc_res_timeout(slow)"},
		{`{"type":"ErrorRoute","result":"mc_res_client_error","response":"bad"}`, "error|log|mc_res_client_error|bad", "mc_res_client_error(bad)"},
		{`{"type":"ErrorRoute","result":"mc_res_deadline_exceeded"}`, "error|log|mc_res_deadline_exceeded", "mc_res_deadline_exceeded"},
	} {
		cfg, err := Build("", []byte(`{"route":`+tc.route+`}`), Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.route, err)
		}
		h := cfg.Root.(*rootRoute).def
		if h.Name() != tc.name {
			t.Errorf("%s: name %s, want %s", tc.route, h.Name(), tc.name)
		}
		for _, op := range []string{"get", "set", "delete", "incr"} {
			cb := &capture{}
			h.Route(testCtx(), req(op, "k"), cb)
			if cb.String() != tc.reply {
				t.Errorf("%s: %s answered %s, want %s", tc.route, op, cb, tc.reply)
			}
		}
	}
	for _, tc := range []struct{ route, want string }{
		{`{"type":"ErrorRoute","result":"mc_res_found"}`, "ErrorRoute: result mc_res_found is not a valid error result"},
		{`{"type":"ErrorRoute","result":"busy"}`, "ErrorRoute: result busy is not a valid error result"},
		{`{"type":"ErrorRoute","result":"mc_res_ooo"}`, "ErrorRoute: result mc_res_ooo is not supported by mcroute"},
		{`{"type":"ErrorRoute","result":3}`, "ErrorRoute: result is not a string"},
		{`{"type":"ErrorRoute","response":3}`, "ErrorRoute: response is not a string"},
		{`{"type":"ErrorRoute","enable_logging":"no"}`, "ErrorRoute: enable_logging is not a boolean"},
	} {
		_, err := Build("f.json", []byte(`{"route":`+tc.route+`}`), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "f.json:1:") {
			t.Errorf("%s: error %v, want f.json:1: ... %q", tc.route, err, tc.want)
		}
	}
	// A route handle that builds an errorRoute by hand gets the same name.
	e := &errorRoute{res: mc.ResLocalError, msg: []byte("HashRoute with empty children, name: A")}
	if e.Name() != "error|log|mc_res_local_error|HashRoute with empty children, name: A" {
		t.Errorf("name %s", e.Name())
	}
}
