package router

import "mcroute/router/jsonm"

// children builds the child list of a list-taking handle: the "children"
// field of an object config (absent: no children, as in mcrouter), or the
// whole config (short form "Type|Pool|A", a string or an array) as
// mcrouter's createList does.
func (b *builder) children(typ string, cfg, at *jsonm.Value) ([]Handle, error) {
	if cfg == nil {
		return nil, b.errf(at, "%s needs children", typ)
	}
	if cfg.IsObject() {
		cv := cfg.Get("children")
		if cv == nil {
			return nil, nil
		}
		return b.list(cv)
	}
	return b.list(cfg)
}

// fanIn applies mcrouter's rule for list-taking handles (§2 conventions):
// no children → NullRoute, one child → the child itself, otherwise
// wrap(children).
func fanIn(hs []Handle, wrap func([]Handle) Handle) Handle {
	switch len(hs) {
	case 0:
		return nullRoute{}
	case 1:
		return hs[0]
	}
	return wrap(hs)
}
