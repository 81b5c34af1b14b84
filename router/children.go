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
