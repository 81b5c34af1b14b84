package router

import "testing"

// TestAllowOnlyGets: with --allow-only-gets only get-like requests are
// routed; the rest get the default reply, and flush_all is not sent.
func TestAllowOnlyGets(t *testing.T) {
	cfg, err := Build("", []byte(`{"route":"ErrorRoute|routed"}`), Options{AllowOnlyGets: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ op, want string }{
		{"get", "mc_res_local_error(routed)"}, {"gets", "mc_res_local_error(routed)"},
		{"gat", "mc_res_local_error(routed)"},
		{"set", "mc_res_notstored"}, {"cas", "mc_res_notstored"}, {"delete", "mc_res_notfound"},
		{"incr", "mc_res_notfound"}, {"touch", "mc_res_notfound"},
	} {
		cb := &capture{}
		cfg.Root.Route(testCtx(), req(tc.op, "k"), cb)
		if cb.String() != tc.want {
			t.Errorf("%s: %s, want %s", tc.op, cb, tc.want)
		}
	}
	if _, ok := cfg.Broadcast.(nullRoute); !ok {
		t.Errorf("flush_all is routed")
	}
}
