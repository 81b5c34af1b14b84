//go:build !race

package router

import (
	"net/netip"
	"testing"

	"mcroute/codec/mc"
)

// TestIssue11Allocs: KeyParseRoute (over a HashRoute), RoutingGroupRoute,
// HashStopAllowListRoute, BlackholeRoute and OriginalClientHashRoute
// allocate nothing per request in steady state.
func TestIssue11Allocs(t *testing.T) {
	kids := map[string]Handle{}
	for _, n := range []string{"A", "B", "C"} {
		kids[n] = nullRoute{}
	}
	hash := mustBuildNamed(t, "HashRoute", `{"children":["A","B","C"]}`, kids)
	kids["H"] = hash
	slow := &holdRoute{}
	kids["S"] = slow
	for _, tc := range []struct{ typ, cfg string }{
		{"KeyParseRoute", `{"target":"H","num_routing_parts":2,"delimiter":":"}`},
		{"KeyParseRoute", `{"target":"S","num_routing_parts":1,"delimiter":":"}`},
		{"RoutingGroupRoute", `{"default_policy":"A","routing_group_policies":{"get_like":"H","update_like":"B"}}`},
		{"HashStopAllowListRoute", `{"target":"H","prefixes":["u:"]}`},
		{"BlackholeRoute", `{"default":"H","policies":{"flags":[{"op":"equals","value":7}],"key":[{"op":"equals","value":"x"}]}}`},
		{"OriginalClientHashRoute", `{"children":["A","B","C"],"offset":1}`},
	} {
		h := mustBuildNamed(t, tc.typ, tc.cfg, kids)
		ctx := testCtx()
		r := req("get", "/a/b/u:1:name|#|x")
		r.ClientIP = netip.MustParseAddr("127.0.0.2")
		cb := discard{}
		rep := &mc.Reply{Result: mc.ResFound}
		run := func() {
			h.Route(ctx, r, cb)
			if slow.cb != nil { // the slow child answers after Route returned
				cb := slow.cb
				slow.cb = nil
				cb.OnReply(rep)
			}
		}
		for i := 0; i < 10; i++ {
			run()
		}
		if n := testing.AllocsPerRun(1000, run); n != 0 {
			t.Errorf("%s %s: %v allocs per request", tc.typ, tc.cfg, n)
		}
	}
}

// holdRoute keeps the callback of the request it is sent, to be answered
// later by the test, without allocating.
type holdRoute struct{ cb mc.Callback }

func (h *holdRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) { h.cb = cb }
func (h *holdRoute) Name() string                                    { return "hold" }
func (h *holdRoute) Children() []Handle                              { return nil }
func (h *holdRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(h, depth)
}
