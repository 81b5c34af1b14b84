package router

import (
	"strings"
	"testing"

	"mcroute/codec/mc"
)

// The client always gets warm's reply (worst of both for deletes);
// staging is fed behind it.
func TestStagingRoute(t *testing.T) {
	for _, tc := range []struct {
		name            string
		op              string
		warm, staging   mc.Result
		slow            bool
		reply           string
		warmSaw, stgSaw string
	}{
		{"get hit fills staging", "get", mc.ResFound, mc.ResNotStored, false, "mc_res_found=w", "get k=v", "add k=w"},
		{"get miss", "get", mc.ResNotFound, mc.ResFound, false, "mc_res_notfound", "get k=v", ""},
		{"get error", "get", mc.ResTimeout, mc.ResFound, true, "mc_res_timeout", "get k=v", ""},
		{"set stored", "set", mc.ResStored, mc.ResTimeout, false, "mc_res_stored", "set k=v", "set k=v"},
		{"set not stored", "add", mc.ResNotStored, mc.ResStored, false, "mc_res_notstored", "add k=v", ""},
		{"delete worst", "delete", mc.ResDeleted, mc.ResTimeout, true, "mc_res_timeout", "delete k=v", "delete k=v"},
		{"incr both", "incr", mc.ResFound, mc.ResNotFound, false, "mc_res_found=w", "incr k=v", "incr k=v"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &lateRoute{name: "W", res: tc.warm}
			s := &lateRoute{name: "S", res: tc.staging}
			h, err := newStagingRoute(&builder{named: map[string]Handle{"W": w, "S": s}}, mustParse(t, `{"warm": "W", "staging": "S"}`), nil)
			if err != nil {
				t.Fatal(err)
			}
			if h.Name() != "staging" {
				t.Errorf("name %q", h.Name())
			}
			r := setReq("k", "v")
			r.Op = req(tc.op, "k").Op
			c := &capture{}
			h.Route(testCtx(), r, c)
			// warm answers; lateRoute's reply carries no value: give one.
			reqs, cbs := w.reqs, w.cbs
			w.reqs, w.cbs = nil, nil
			for i, rq := range reqs {
				w.seen = append(w.seen, rq.Op.String()+" "+string(rq.Key)+"="+string(rq.Value))
				rep := mc.Reply{Result: tc.warm}
				if tc.warm == mc.ResFound {
					rep.Value = []byte("w")
				}
				cbs[i].OnReply(&rep)
			}
			if !tc.slow || tc.op != "delete" {
				scribble(r)
			}
			s.flush()
			if c.String() != tc.reply {
				t.Errorf("reply %s, want %s", c, tc.reply)
			}
			if got := strings.Join(w.seen, ","); strings.TrimSuffix(got, "=") != tc.warmSaw {
				t.Errorf("warm saw %s, want %s", got, tc.warmSaw)
			}
			if got := strings.Join(s.seen, ","); got != tc.stgSaw {
				t.Errorf("staging saw %s, want %s", got, tc.stgSaw)
			}
		})
	}
}
