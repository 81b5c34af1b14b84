package router

import (
	"strings"
	"testing"

	"mcroute/codec/mc"
)

func TestRoutingGroupRoute(t *testing.T) {
	get := fake("get", mc.ResNotFound)
	upd := fake("upd", mc.ResTimeout, "Reply timeout")
	del := &fakeRoute{name: "del", res: mc.ResDeleted, deferred: true}
	ari := fake("ari", mc.ResFound, "7")
	def := fake("def", mc.ResTouched)
	named := map[string]Handle{"G": get, "U": upd, "D": del, "A": ari, "DEF": def}
	h := mustBuildNamed(t, "RoutingGroupRoute", `{"default_policy":"DEF","routing_group_policies":
		{"get_like":"G","update_like":"U","delete_like":"D","arithmetic_like":"A"}}`, named)
	if h.Name() != "routing-group" || len(h.Children()) != 5 {
		t.Fatalf("built %s with %d children", h.Name(), len(h.Children()))
	}
	for _, tc := range []struct{ op, to, want string }{
		{"get", "get", "mc_res_notfound"}, // miss
		{"gets", "get", "mc_res_notfound"},
		{"gat", "get", "mc_res_notfound"},
		{"gats", "get", "mc_res_notfound"},
		{"set", "upd", "mc_res_timeout(Reply timeout)"}, // error
		{"add", "upd", "mc_res_timeout(Reply timeout)"},
		{"cas", "upd", "mc_res_timeout(Reply timeout)"},
		{"append", "upd", "mc_res_timeout(Reply timeout)"},
		{"delete", "del", "mc_res_deleted"}, // slow
		{"incr", "ari", "mc_res_found=7"},
		{"decr", "ari", "mc_res_found=7"},
		{"touch", "def", "mc_res_touched"},
	} {
		cb := &capture{}
		h.Route(testCtx(), req(tc.op, "k"), cb)
		del.flush()
		if cb.String() != tc.want {
			t.Errorf("%s: %s, want %s", tc.op, cb, tc.want)
		}
		if p := path(h, req(tc.op, "k")); strings.Join(p, ",") != "routing-group,"+tc.to {
			t.Errorf("%s traverses %v", tc.op, p)
		}
	}
}

func TestRoutingGroupRouteNoDefault(t *testing.T) {
	h := mustBuildNamed(t, "RoutingGroupRoute", `{"routing_group_policies":{"get_like":"G"}}`,
		map[string]Handle{"G": fake("g", mc.ResFound, "v")})
	for _, tc := range []struct{ op, want string }{
		{"get", "mc_res_found=v"}, {"set", "mc_res_unknown"}, {"delete", "mc_res_unknown"}, {"touch", "mc_res_unknown"},
	} {
		cb := &capture{}
		h.Route(testCtx(), req(tc.op, "k"), cb)
		if cb.String() != tc.want {
			t.Errorf("%s: %s, want %s", tc.op, cb, tc.want)
		}
	}
	// Without routing_group_policies, or not an object: just the route.
	f := fake("d", mc.ResFound)
	if h := mustBuildNamed(t, "RoutingGroupRoute", `{"default_policy":"D"}`, map[string]Handle{"D": f}); h != f {
		t.Errorf("default only built %s", h.Name())
	}
	if h := mustBuildNamed(t, "RoutingGroupRoute", `"D"`, map[string]Handle{"D": f}); h != f {
		t.Errorf("string built %s", h.Name())
	}
}

func TestRoutingGroupRouteBuildErrors(t *testing.T) {
	named := map[string]Handle{"G": fake("g", mc.ResFound)}
	for _, tc := range []struct{ cfg, want string }{
		{`{}`, "RoutingGroupRoute needs either 'default_policy' or 'routing_group_policies'"},
		{`{"routing_group_policies":[]}`, "routing_group_policies is not an object"},
		{`{"routing_group_policies":{"get":"G"}}`, "t.json:1: RoutingGroupRoute: get is not a valid routing group."},
	} {
		_, err := buildNamedWith(t, "RoutingGroupRoute", tc.cfg, named)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
