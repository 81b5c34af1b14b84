package router

import "testing"

func TestDevNullRoute(t *testing.T) {
	cfg, err := Build("", []byte(`{"route":"DevNullRoute"}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.Root.(*rootRoute).def
	if h.Name() != "devnull" {
		t.Errorf("name %s", h.Name())
	}
	before := DevNullRequests()
	for op, want := range map[string]string{
		"get": "mc_res_notfound", "set": "mc_res_notstored", "prepend": "mc_res_notstored",
		"delete": "mc_res_notfound", "decr": "mc_res_notfound", "touch": "mc_res_notfound",
	} {
		cb := &capture{}
		h.Route(testCtx(), req(op, "k"), cb)
		if cb.String() != want {
			t.Errorf("%s: %s, want %s", op, cb, want)
		}
	}
	if n := DevNullRequests() - before; n != 6 {
		t.Errorf("dev_null_requests grew by %d, want 6", n)
	}
}
