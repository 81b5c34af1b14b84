package router

import (
	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("ErrorRoute", newErrorRoute) }

// errorRoute answers every request with an error result and message:
// mcrouter's ErrorRoute, and what an empty pool under a HashRoute becomes.
// An empty msg is sent as the result's canned text (mc_res_busy →
// "SERVER_ERROR 307 busy", mcrouter-behaviour.md §5.4).
type errorRoute struct {
	msg   []byte // the response text; empty: the canned text of res
	res   mc.Result
	noLog bool // enable_logging: false (only shows in the name)
}

func (e *errorRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	ctx.replyLocal(cb, e.res, e.msg)
}

// Name is mcrouter's "error|log|mc_res_local_error[|<response>]" ("no-log"
// with enable_logging false).
func (e *errorRoute) Name() string {
	log := "log"
	if e.noLog {
		log = "no-log"
	}
	name := "error|" + log + "|" + e.res.String()
	if len(e.msg) > 0 {
		name += "|" + string(e.msg)
	}
	return name
}

func (e *errorRoute) Children() []Handle { return nil }

func (e *errorRoute) Traverse(req *mc.Request, depth int, visit Visitor) { visit(e, depth) }

// unsupportedErrorResults are carbon error results mcroute never produces
// and cannot answer with.
var unsupportedErrorResults = map[string]bool{
	"mc_res_ooo": true, "mc_res_bad_command": true, "mc_res_bad_flags": true,
	"mc_res_bad_exptime": true, "mc_res_bad_lease_id": true, "mc_res_bad_cas_id": true,
	"mc_res_permission_denied": true, "mc_res_hot_key": true, "mc_res_overloaded": true,
}

// newErrorRoute builds ErrorRoute: "ErrorRoute", "ErrorRoute|<response>"
// or {"type": "ErrorRoute", "response": "", "result": "mc_res_local_error",
// "enable_logging": true}. result must name an error result.
func newErrorRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	e := &errorRoute{res: mc.ResLocalError}
	switch {
	case cfg == nil || cfg.IsNull():
		return e, nil
	case cfg.IsString():
		s, _ := cfg.String()
		e.msg = []byte(s)
		return e, nil
	case !cfg.IsObject():
		return nil, b.errf(cfg, "ErrorRoute: should be string or object")
	}
	if r := cfg.Get("response"); r != nil {
		s, ok := r.String()
		if !ok {
			return nil, b.errf(r, "ErrorRoute: response is not a string")
		}
		e.msg = []byte(s)
	}
	if v := cfg.Get("enable_logging"); v != nil {
		on, ok := v.Bool()
		if !ok {
			return nil, b.errf(v, "ErrorRoute: enable_logging is not a boolean")
		}
		e.noLog = !on
	}
	if v := cfg.Get("result"); v != nil {
		s, ok := v.String()
		if !ok {
			return nil, b.errf(v, "ErrorRoute: result is not a string")
		}
		if unsupportedErrorResults[s] {
			return nil, b.errf(v, "ErrorRoute: result %s is not supported by mcroute", s)
		}
		found := false
		for r := mc.ResTimeout; r <= mc.ResDeadlineExceeded; r++ {
			if r.String() == s {
				e.res, found = r, true
				break
			}
		}
		if !found {
			return nil, b.errf(v, "ErrorRoute: result %s is not a valid error result", s)
		}
	}
	return e, nil
}
