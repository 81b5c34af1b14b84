package router

import (
	"mcroute/router/hashfunc"
	"mcroute/router/jsonm"
	"mcroute/upstream"
)

func init() { register("PoolRoute", newPoolRoute) }

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
