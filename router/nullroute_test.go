package router

import "testing"

// TestNullRoute: the default reply, NOT_STORED for updates and NOT_FOUND
// for everything else.
func TestNullRoute(t *testing.T) {
	cfg, err := Build("", []byte(`{"route":"NullRoute"}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.Root.(*rootRoute).def
	if h.Name() != "null" {
		t.Errorf("name %s", h.Name())
	}
	for op, want := range map[string]string{
		"get": "mc_res_notfound", "gets": "mc_res_notfound", "gat": "mc_res_notfound",
		"set": "mc_res_notstored", "add": "mc_res_notstored", "cas": "mc_res_notstored", "append": "mc_res_notstored",
		"delete": "mc_res_notfound", "incr": "mc_res_notfound", "touch": "mc_res_notfound",
	} {
		cb := &capture{}
		h.Route(testCtx(), req(op, "k"), cb)
		if cb.String() != want {
			t.Errorf("%s: %s, want %s", op, cb, want)
		}
	}
}
