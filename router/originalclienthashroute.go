package router

import (
	"mcroute/codec/mc"
	"mcroute/router/hashfunc"
	"mcroute/router/jsonm"
)

func init() { register("OriginalClientHashRoute", newOriginalClientHashRoute) }

// originalClientHashRoute picks a child by the client's source IP:
// (SpookyHashV2-64(ip as text, seed 0) + offset) % n, mcrouter's
// OriginalClientHashRoute (mcrouter-behaviour.md §2.2). The IP is text as
// folly prints it ("127.0.0.1", "::1"); requests carry it only with
// --retain-source-ip, and one without it (or from a UNIX-socket client) is
// answered LOCAL_ERROR "Missing IP".
type originalClientHashRoute struct {
	children []Handle
	offset   uint64
}

var msgMissingIP = []byte("Missing IP")

// pick returns the child index for req, or -1 without a client IP.
func (r *originalClientHashRoute) pick(req *mc.Request) int {
	if !req.ClientIP.IsValid() {
		return -1
	}
	var buf [48]byte
	h := hashfunc.SpookyHash64(req.ClientIP.AppendTo(buf[:0]), 0)
	return int((h + r.offset) % uint64(len(r.children)))
}

func (r *originalClientHashRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	i := r.pick(req)
	if i < 0 {
		ctx.replyLocal(cb, mc.ResLocalError, msgMissingIP)
		return
	}
	r.children[i].Route(ctx, req, cb)
}

func (r *originalClientHashRoute) Name() string       { return "OriginalClientHashRoute" }
func (r *originalClientHashRoute) Children() []Handle { return r.children }

func (r *originalClientHashRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	if i := r.pick(req); i >= 0 {
		r.children[i].Traverse(req, depth+1, visit)
	}
}

// newOriginalClientHashRoute builds {"type": "OriginalClientHashRoute",
// "children": [...], "offset": 0 <= n < len(children)}; one child is the
// child itself.
func newOriginalClientHashRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	cv := cfg.Get("children")
	if !cfg.IsObject() || !cv.IsArray() {
		return nil, b.errf(at, "OriginalClientHashRoute: The 'children' must be specified.")
	}
	hs, err := b.list(cv)
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nil, b.errf(cv, "OriginalClientHashRoute: At least one 'children' is required")
	}
	if len(hs) == 1 {
		return hs[0], nil
	}
	r := &originalClientHashRoute{children: hs}
	if ov := cfg.Get("offset"); ov != nil {
		o, ok := ov.Int()
		if !ok || o < 0 || o >= int64(len(hs)) {
			return nil, b.errf(ov, "OriginalClientHashRoute: The 'offset' must be non-negative integer and less than size of 'children'.")
		}
		r.offset = uint64(o)
	}
	return r, nil
}
