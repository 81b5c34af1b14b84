package router

import (
	"bytes"
	"strings"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("ModifyKeyRoute", newModifyKeyRoute) }

// modifyKeyRoute rewrites the key before sending the request to target
// (mcrouter-behaviour.md §2.4). With rp = set_routing_prefix if given,
// else the key's own routing prefix, and kwr the key without its routing
// prefix, the first rule that applies makes the new key:
//
//	(a) replace_key_prefix given and kwr starts with it:
//	    rp + ensure_key_prefix + kwr after replace_key_prefix + suffix
//	(b) kwr does not start with ensure_key_prefix:
//	    rp + ensure_key_prefix + kwr + suffix, where modify_inplace drops
//	    the first len(ensure_key_prefix) bytes of kwr (if it has them)
//	(c) set_routing_prefix given and not the key's: rp + kwr + suffix
//	(d) set_key_suffix not empty: key + suffix
//
// and otherwise the key is left alone. A new key that is empty, longer
// than 2048 bytes or has a space or control character is answered with
// LOCAL_ERROR "ModifyKeyRoute: invalid key: ...".
type modifyKeyRoute struct {
	target     Handle
	kids       []Handle // {target}
	hasRP      bool     // set_routing_prefix given ("" removes the prefix)
	rp         []byte
	ensure     []byte // ensure_key_prefix
	hasReplace bool
	replace    []byte // replace_key_prefix
	suffix     []byte // set_key_suffix
	inplace    bool   // modify_inplace
}

var modifyKeyKind = newStateKind()

// modifyKeyState is the request with its new key while target has it.
// Value aliases the caller's request, which stays valid until it is
// answered, after target answers.
type modifyKeyState struct {
	ctx *Ctx
	cb  mc.Callback
	req mc.Request
	key []byte
}

// appendKey appends the new key for full to dst; changed is false when
// no rule applies (dst is then returned as is).
func (r *modifyKeyRoute) appendKey(dst, full []byte) (out []byte, changed bool) {
	n := RoutingPrefixLen(full)
	own, kwr := full[:n], full[n:]
	rp := own
	if r.hasRP {
		rp = r.rp
	}
	switch {
	case r.hasReplace && bytes.HasPrefix(kwr, r.replace):
		dst = append(dst, rp...)
		dst = append(dst, r.ensure...)
		dst = append(dst, kwr[len(r.replace):]...)
	case !bytes.HasPrefix(kwr, r.ensure):
		dst = append(dst, rp...)
		dst = append(dst, r.ensure...)
		if r.inplace && len(kwr) >= len(r.ensure) {
			kwr = kwr[len(r.ensure):]
		}
		dst = append(dst, kwr...)
	case r.hasRP && !bytes.Equal(rp, own):
		dst = append(dst, rp...)
		dst = append(dst, kwr...)
	case len(r.suffix) > 0:
		dst = append(dst, full...)
	default:
		return dst, false
	}
	return append(dst, r.suffix...), true
}

// Why a key is invalid, as mcrouter's mc_req_err_to_string words it.
var (
	msgKeyMissing = []byte("ModifyKeyRoute: invalid key: invalid key: missing")
	msgKeyTooLong = []byte("ModifyKeyRoute: invalid key: invalid key: too long")
	msgKeySpace   = []byte("ModifyKeyRoute: invalid key: invalid key: space or control character")
)

// keyError returns why key is not a valid key, or nil.
func keyError(key []byte) []byte {
	switch {
	case len(key) == 0:
		return msgKeyMissing
	case len(key) > mcKeyMaxLen:
		return msgKeyTooLong
	}
	for _, c := range key {
		if c <= ' ' || c == 0x7f { // iscntrl || isspace in the C locale
			return msgKeySpace
		}
	}
	return nil
}

func (r *modifyKeyRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	st := acquire[modifyKeyState](ctx, modifyKeyKind)
	key, changed := r.appendKey(st.key[:0], req.Key)
	st.key = key
	if !changed {
		release(ctx, modifyKeyKind, st)
		r.target.Route(ctx, req, cb)
		return
	}
	if msg := keyError(key); msg != nil {
		release(ctx, modifyKeyKind, st)
		ctx.replyLocal(cb, mc.ResLocalError, msg)
		return
	}
	st.ctx, st.cb, st.req = ctx, cb, *req
	st.req.Key = key
	r.target.Route(ctx, &st.req, st)
}

func (st *modifyKeyState) OnReply(rep *mc.Reply) {
	ctx, cb := st.ctx, st.cb
	st.ctx, st.cb, st.req = nil, nil, mc.Request{}
	cb.OnReply(rep)
	release(ctx, modifyKeyKind, st)
}

func (r *modifyKeyRoute) Name() string       { return "modify-key" }
func (r *modifyKeyRoute) Children() []Handle { return r.kids }

// Traverse follows target with the modified key.
func (r *modifyKeyRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	if key, changed := r.appendKey(nil, req.Key); changed && keyError(key) == nil {
		mod := *req
		mod.Key = key
		req = &mod
	}
	r.target.Traverse(req, depth+1, visit)
}

// parseRoutingPrefix is mcrouter's RoutingPrefix: "/region/cluster/",
// with the leading and trailing slash added when missing.
func parseRoutingPrefix(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	if s[0] != '/' {
		s = "/" + s
	}
	if s[len(s)-1] != '/' {
		s += "/"
	}
	parts := strings.Split(s, "/")
	if len(parts) != 4 || parts[1] == "" || parts[2] == "" {
		return s, false
	}
	return s, true
}

// newModifyKeyRoute builds ModifyKeyRoute: {"type": "ModifyKeyRoute",
// "target": route, "set_routing_prefix": "/r/c/", "ensure_key_prefix": p,
// "replace_key_prefix": p, "set_key_suffix": s, "modify_inplace": false}.
func newModifyKeyRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if !cfg.IsObject() {
		return nil, b.errf(at, "ModifyKeyRoute: should be an object")
	}
	tv := cfg.Get("target")
	if tv == nil {
		return nil, b.errf(cfg, "ModifyKeyRoute: no target")
	}
	target, err := b.route(tv)
	if err != nil {
		return nil, err
	}
	r := &modifyKeyRoute{target: target, kids: []Handle{target}}
	str := func(field string) (string, *jsonm.Value, error) {
		v := cfg.Get(field)
		if v == nil {
			return "", nil, nil
		}
		s, ok := v.String()
		if !ok {
			return "", v, b.errf(v, "ModifyKeyRoute: %s is not a string", field)
		}
		return s, v, nil
	}
	// A key part must itself be a valid key (or empty).
	keyPart := func(field, what string) ([]byte, bool, error) {
		s, v, err := str(field)
		if v == nil || err != nil {
			return nil, false, err
		}
		if msg := keyError([]byte(s)); s != "" && msg != nil {
			why := string(msg[len("ModifyKeyRoute: invalid key: "):])
			return nil, false, b.errf(v, "ModifyKeyRoute: invalid %s '%s', %s", what, s, why)
		}
		return []byte(s), true, nil
	}
	rp, rv, err := str("set_routing_prefix")
	if err != nil {
		return nil, err
	}
	if rv != nil {
		r.hasRP = true
		if rp != "" {
			p, ok := parseRoutingPrefix(rp)
			if !ok {
				return nil, b.errf(rv, "ModifyKeyRoute: set_routing_prefix: Routing prefix (%s) should be of the form /region/cluster/", p)
			}
			r.rp = []byte(p)
		}
	}
	if r.ensure, _, err = keyPart("ensure_key_prefix", "key prefix"); err != nil {
		return nil, err
	}
	if r.replace, r.hasReplace, err = keyPart("replace_key_prefix", "key prefix"); err != nil {
		return nil, err
	}
	if r.suffix, _, err = keyPart("set_key_suffix", "key suffix"); err != nil {
		return nil, err
	}
	if v := cfg.Get("modify_inplace"); v != nil {
		if r.hasReplace {
			return nil, b.errf(v, "ModifyKeyRoute: replace_key_prefix and modify_inplace cannot be used together")
		}
		var ok bool
		if r.inplace, ok = v.Bool(); !ok {
			return nil, b.errf(v, "ModifyKeyRoute: modify_inplace is not a boolean")
		}
	}
	return r, nil
}
