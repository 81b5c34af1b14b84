package router

import (
	"fmt"
	"strings"

	"mcroute/codec/mc"
)

// memRoute is a fake child that behaves like a tiny memcached (get, gets,
// gat, gats, set, add, cas, delete), for handles whose behaviour depends
// on what a child stores (warm-up, L1/L2). It records every request it
// gets; err makes it answer that error to everything; deferred holds
// replies until flush (a slow child).
type memRoute struct {
	name     string
	items    map[string]memItem
	nextCas  uint64
	err      mc.Result
	deferred bool
	seen     []string
	queue    []func()
}

type memItem struct {
	flags   uint64
	exptime int64
	val     string
	cas     uint64
}

func newMem(name string) *memRoute {
	return &memRoute{name: name, items: map[string]memItem{}}
}

// put stores an item directly.
func (m *memRoute) put(key, val string, flags uint64) *memRoute {
	m.nextCas++
	m.items[key] = memItem{flags: flags, val: val, cas: m.nextCas}
	return m
}

// get returns "val/flags/exptime" of key, or "-".
func (m *memRoute) get(key string) string {
	it, ok := m.items[key]
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%s/%#x/%d", it.val, it.flags, it.exptime)
}

func (m *memRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	s := req.Op.String() + " " + string(req.Key)
	if req.Op.IsStorage() {
		s += fmt.Sprintf(" %#x %d %q", req.Flags, req.Exptime, req.Value)
	}
	m.seen = append(m.seen, s)
	rep := m.apply(req)
	if m.deferred {
		m.queue = append(m.queue, func() { m.reply(cb, rep) })
		return
	}
	m.reply(cb, rep)
}

func (m *memRoute) reply(cb mc.Callback, rep mc.Reply) {
	rep.Value = append([]byte(nil), rep.Value...)
	cb.OnReply(&rep)
	for i := range rep.Value { // only valid during OnReply
		rep.Value[i] = '#'
	}
}

func (m *memRoute) flush() {
	for len(m.queue) > 0 {
		q := m.queue
		m.queue = nil
		for _, f := range q {
			f()
		}
	}
}

func (m *memRoute) apply(req *mc.Request) mc.Reply {
	if m.err != 0 {
		return mc.Reply{Result: m.err, Msg: []byte("down")}
	}
	key := string(req.Key)
	it, ok := m.items[key]
	if ok && it.exptime < 0 {
		delete(m.items, key)
		ok = false
	}
	store := func() mc.Reply {
		m.nextCas++
		m.items[key] = memItem{flags: req.Flags, exptime: req.Exptime, val: string(req.Value), cas: m.nextCas}
		if req.Exptime < 0 {
			delete(m.items, key)
		}
		return mc.Reply{Result: mc.ResStored}
	}
	switch req.Op {
	case mc.OpGet, mc.OpGets, mc.OpGat, mc.OpGats:
		if !ok {
			return mc.Reply{Result: mc.ResNotFound}
		}
		return mc.Reply{Result: mc.ResFound, Flags: it.flags, Value: []byte(it.val), Cas: it.cas, HasCas: req.Op.HasCas()}
	case mc.OpSet:
		return store()
	case mc.OpAdd:
		if ok {
			return mc.Reply{Result: mc.ResNotStored}
		}
		return store()
	case mc.OpCas:
		if !ok {
			return mc.Reply{Result: mc.ResNotFound}
		}
		if it.cas != req.Cas {
			return mc.Reply{Result: mc.ResExists}
		}
		return store()
	case mc.OpDelete:
		if !ok {
			return mc.Reply{Result: mc.ResNotFound}
		}
		delete(m.items, key)
		return mc.Reply{Result: mc.ResDeleted}
	}
	return mc.Reply{Result: mc.ResNotFound}
}

func (m *memRoute) Name() string       { return m.name }
func (m *memRoute) Children() []Handle { return nil }
func (m *memRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(m, depth)
}

// seenString is m.seen joined with "; ".
func (m *memRoute) seenString() string { return strings.Join(m.seen, "; ") }

// reply captures one reply with its flags and cas, as text.
type flagCapture struct{ got []string }

func (c *flagCapture) OnReply(rep *mc.Reply) {
	s := rep.Result.String()
	if rep.Result == mc.ResFound {
		s += fmt.Sprintf("=%s/%#x", rep.Value, rep.Flags)
		if rep.HasCas {
			s += fmt.Sprintf("/cas%d", rep.Cas)
		}
	}
	c.got = append(c.got, s)
}

func (c *flagCapture) String() string { return strings.Join(c.got, ",") }

// storeReq returns a storage request.
func storeReq(op, key, val string, flags uint64, exptime int64) *mc.Request {
	r := req(op, key)
	r.Value, r.Flags, r.Exptime = []byte(val), flags, exptime
	return r
}
