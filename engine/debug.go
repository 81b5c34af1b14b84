package engine

import (
	"bytes"

	"mcroute/codec"
	"mcroute/codec/mc"
	"mcroute/router"
)

// mcrouter's service-info commands: `get __mcrouter__.<cmd>[(<args>)]`
// with a single key is answered here, from the config in force
// (mcrouter-behaviour.md §5.5); the text comes from router.Debug. Any other
// command, or a get of several keys, routes such a key like any other.

var debugPrefix = []byte(router.DebugPrefix)

// isDebugGet reports whether r is a service-info command.
func isDebugGet(r *codec.Request) bool {
	return r.Op == mc.OpGet && len(r.Keys) == 1 && bytes.HasPrefix(r.Keys[0], debugPrefix)
}

// debugGet answers a service-info command: always a hit,
// "VALUE <key> 0 <len>\r\n<text>\r\nEND\r\n".
func (s *session) debugGet(r *codec.Request) {
	key := r.Keys[0]
	cfg := s.ls.routerCtx().Cfg
	text := router.Debug(cfg, &s.ls.e.debug, string(key[len(debugPrefix):]))
	sl := s.localSlot(r.Op, false)
	sl.out = codec.AppendValue(sl.out[:0], key, 0, []byte(text), 0, false)
	sl.out = append(sl.out, codec.End...)
}

// newDebugInfo is what the debug commands know about this engine.
func (e *Engine) newDebugInfo() router.DebugInfo {
	return router.DebugInfo{
		Version:   Version + " mcroute",
		Options:   e.opts.Flags,
		Verbosity: &e.verbosity,
	}
}
