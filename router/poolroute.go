package router

import (
	"mcroute/router/hashfunc"
	"mcroute/router/jsonm"
	"mcroute/upstream"
)

// newPoolRoute builds PoolRoute: a hash over the pool's servers
// (mcrouter-behaviour.md §1.5). "PoolRoute|A" or
// {"type": "PoolRoute", "pool": A, "hash": ...}. A pool with weights
// switches the default hash to WeightedCh3; the salt lives in "hash".
func newPoolRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if cfg == nil {
		return nil, b.errf(at, "PoolRoute needs a pool: PoolRoute|NAME")
	}
	ref := cfg
	var hv *jsonm.Value
	if cfg.IsObject() {
		ref = cfg.Get("pool")
		if ref == nil {
			return nil, b.errf(cfg, "PoolRoute: missing \"pool\"")
		}
		hv = cfg.Get("hash")
	}
	p, err := b.pool(ref)
	if err != nil {
		return nil, err
	}
	name := "PoolRoute|" + p.name
	if len(p.dests) == 0 {
		return emptyHash(b, p.v, p.name)
	}
	fname := "Ch3"
	var opts hashfunc.Options
	if p.weights != nil {
		fname = "WeightedCh3"
		opts.Weights = p.weights
	}
	if hv != nil {
		if fname, err = b.hashOptions(hv, fname, &opts); err != nil {
			return nil, err
		}
	}
	fn, err := hashfunc.New(fname, len(p.dests), opts)
	if err != nil {
		return nil, b.errf(at, "PoolRoute|%s: %v", p.name, err)
	}
	return &hashRoute{name: name, fn: fn, children: p.dests}, nil
}

// emptyHash is what a HashRoute over no children becomes: an ErrorRoute
// (mcrouter's "HashRoute with empty children").
func emptyHash(b *builder, v *jsonm.Value, name string) (Handle, error) {
	if e := v.Get("error_on_empty"); e != nil {
		if on, ok := e.Bool(); ok && !on {
			return nullRoute{}, nil
		}
	}
	return &errorRoute{res: upstream.ResLocalError, msg: []byte("HashRoute with empty children, name: " + name)}, nil
}

// hashOptions reads a "hash" value: a string names hash_func; an object
// may carry hash_func, salt, weights and tags. It returns the function name.
func (b *builder) hashOptions(hv *jsonm.Value, fname string, opts *hashfunc.Options) (string, error) {
	if s, ok := hv.String(); ok {
		return s, nil
	}
	if !hv.IsObject() {
		return "", b.errf(hv, "hash must be a string or an object")
	}
	return b.hashFields(hv, fname, opts)
}

// hashFields reads hash_func, salt, weights and tags from an object.
func (b *builder) hashFields(v *jsonm.Value, fname string, opts *hashfunc.Options) (string, error) {
	if f := v.Get("hash_func"); f != nil {
		s, ok := f.String()
		if !ok {
			return "", b.errf(f, "hash_func must be a string")
		}
		fname = s
	}
	if s := v.Get("salt"); s != nil {
		str, ok := s.String()
		if !ok {
			return "", b.errf(s, "salt must be a string")
		}
		opts.Salt = str
	}
	if w := v.Get("weights"); w != nil {
		if !w.IsArray() {
			return "", b.errf(w, "weights must be an array of numbers")
		}
		opts.Weights = opts.Weights[:0:0]
		for _, e := range w.Elems {
			f, ok := e.Float()
			if !ok {
				return "", b.errf(e, "weights must be numbers")
			}
			opts.Weights = append(opts.Weights, f)
		}
	}
	if t := v.Get("tags"); t != nil {
		if !t.IsArray() {
			return "", b.errf(t, "tags must be an array of strings")
		}
		for _, e := range t.Elems {
			s, ok := e.String()
			if !ok {
				return "", b.errf(e, "tags must be strings")
			}
			opts.Tags = append(opts.Tags, s)
		}
	}
	return fname, nil
}

// newHashRoute builds HashRoute: "HashRoute|Pool|A" or
// {"type": "HashRoute", "children": ..., "hash_func": ..., "salt": ...}.
func newHashRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if cfg == nil {
		return nil, b.errf(at, "HashRoute needs children")
	}
	children := cfg
	fname := "Ch3"
	var opts hashfunc.Options
	if cfg.IsObject() {
		children = cfg.Get("children")
		if children == nil {
			return nil, b.errf(cfg, "HashRoute: missing \"children\"")
		}
		var err error
		if fname, err = b.hashFields(cfg, fname, &opts); err != nil {
			return nil, err
		}
	}
	hs, err := b.list(children)
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return &errorRoute{res: upstream.ResLocalError, msg: []byte("HashRoute with empty children, name: ")}, nil
	}
	fn, err := hashfunc.New(fname, len(hs), opts)
	if err != nil {
		return nil, b.errf(at, "HashRoute: %v", err)
	}
	return &hashRoute{name: "hash", fn: fn, children: hs}, nil
}

// newErrorRoute builds ErrorRoute: "ErrorRoute", "ErrorRoute|msg" or
// {"type": "ErrorRoute", "response": "msg"}.
func newErrorRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	e := &errorRoute{res: upstream.ResLocalError}
	if cfg == nil {
		return e, nil
	}
	if s, ok := cfg.String(); ok {
		e.msg = []byte(s)
		return e, nil
	}
	if r := cfg.Get("response"); r != nil {
		s, ok := r.String()
		if !ok {
			return nil, b.errf(r, "ErrorRoute: response must be a string")
		}
		e.msg = []byte(s)
	}
	return e, nil
}

// newNullRoute builds NullRoute.
func newNullRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) { return nullRoute{}, nil }
