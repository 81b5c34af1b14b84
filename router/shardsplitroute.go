package router

import (
	"bytes"
	"slices"
	"strconv"
	"time"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

// shardSplitRoute is mcrouter's ShardSplitRoute, made by PoolRoute's
// "shard_splits" around the pool's selection (mcrouter-behaviour.md §2.2).
// A key "prefix:<shard>:rest" whose shard has N > 1 splits is routed as
// split hostid % N of it: split 0 is the key itself, split i > 0 the key
// with two letters after the shard id, 'a'+(i-1)%26 then 'a'+(i-1)/26
// ("a:1:x" → "a:1aa:x", "a:1ba:x", …). A delete goes to every split when
// the shard fans deletes out (the integer form always does): split 0
// answers, the others get fire-and-forget copies. Keys of shards without
// splits, or without a shard id, pass through.
//
// The object form {"old_split_size", "new_split_size", "split_start" (unix
// s), "migration_period" (s), "fanout_deletes"} migrates: before
// split_start the old size applies, after split_start+migration_period the
// new one, and in between each host switches at its own moment,
// split_start + hostid % migration_period; deletes then fan out to the
// larger of the two sizes.
type shardSplitRoute struct {
	child  Handle
	splits []shardSplit // sorted by shard
	hostID uint32
	now    func() int64 // unix seconds
}

type shardSplit struct {
	shard            []byte
	oldSize, newSize int
	start, period    int64 // period 0: no migration (newSize applies)
	fanoutDeletes    bool
}

// maxShardSplits is mcrouter's kMaxSplits (26·26 + 1).
const maxShardSplits = 26*26 + 1

// size returns the split count for a request at time now, and the count
// a delete fans out to.
func (s *shardSplit) size(now int64, hostID uint32) (size, deletes int) {
	if s.period == 0 {
		return s.newSize, s.newSize
	}
	switch {
	case now < s.start:
		return s.oldSize, s.oldSize
	case now >= s.start+s.period:
		return s.newSize, s.newSize
	}
	size = s.oldSize
	if now >= s.start+int64(hostID)%s.period {
		size = s.newSize
	}
	return size, max(s.oldSize, s.newSize)
}

// shardID returns the shard id of routing key rk (between its first and
// second ':') and its offset in rk.
func shardID(rk []byte) ([]byte, int, bool) {
	i := bytes.IndexByte(rk, ':')
	if i < 0 {
		return nil, 0, false
	}
	j := bytes.IndexByte(rk[i+1:], ':')
	if j <= 0 {
		return nil, 0, false
	}
	return rk[i+1 : i+1+j], i + 1, true
}

// appendSplitKey appends key with split i's suffix inserted at end (the
// end of the shard id in key).
func appendSplitKey(dst, key []byte, end, i int) []byte {
	dst = append(dst, key[:end]...)
	dst = append(dst, byte('a'+(i-1)%26), byte('a'+(i-1)/26))
	return append(dst, key[end:]...)
}

func (r *shardSplitRoute) lookup(req *mc.Request) (*shardSplit, int) {
	pl := RoutingPrefixLen(req.Key)
	shard, off, ok := shardID(RoutingKey(req.Key))
	if !ok {
		return nil, 0
	}
	i, found := slices.BinarySearchFunc(r.splits, shard, func(s shardSplit, k []byte) int { return bytes.Compare(s.shard, k) })
	if !found {
		return nil, 0
	}
	return &r.splits[i], pl + off + len(shard)
}

func (r *shardSplitRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	s, end := r.lookup(req)
	if s == nil {
		r.child.Route(ctx, req, cb)
		return
	}
	var now int64
	if s.period != 0 {
		now = r.now()
	}
	size, deletes := s.size(now, r.hostID)
	if req.Op == mc.OpDelete && s.fanoutDeletes {
		for i := 1; i < deletes; i++ {
			st := acquire[keyedAsync](ctx, keyedAsyncKind)
			st.ctx = ctx
			st.req.Set(req)
			st.key = appendSplitKey(st.key[:0], req.Key, end, i)
			st.req.R.Key = st.key
			r.child.Route(ctx, &st.req.R, st)
		}
		r.child.Route(ctx, req, cb)
		return
	}
	i := int(r.hostID % uint32(size))
	if i == 0 {
		r.child.Route(ctx, req, cb)
		return
	}
	st := acquire[keyedCall](ctx, keyedCallKind)
	st.ctx, st.cb = ctx, cb
	st.req = *req
	st.key = appendSplitKey(st.key[:0], req.Key, end, i)
	st.req.Key = st.key
	r.child.Route(ctx, &st.req, st)
}

func (r *shardSplitRoute) Name() string       { return "shard-split" }
func (r *shardSplitRoute) Children() []Handle { return []Handle{r.child} }
func (r *shardSplitRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	r.child.Traverse(req, depth+1, visit)
}

var keyedCallKind = newStateKind()

// keyedCall is a request sent on with another key, answered to cb: the
// rest of the request (its value) is the client's, valid until cb is
// answered.
type keyedCall struct {
	ctx *Ctx
	req mc.Request
	key []byte
	cb  mc.Callback
}

func (st *keyedCall) OnReply(rep *mc.Reply) {
	ctx, cb := st.ctx, st.cb
	st.ctx, st.cb, st.req = nil, nil, mc.Request{}
	release(ctx, keyedCallKind, st)
	cb.OnReply(rep)
}

var keyedAsyncKind = newStateKind()

// keyedAsync is a fire-and-forget copy of a request with another key.
type keyedAsync struct {
	ctx *Ctx
	req RequestCopy
	key []byte
}

func (st *keyedAsync) OnReply(*mc.Reply) {
	ctx := st.ctx
	st.ctx = nil
	release(ctx, keyedAsyncKind, st)
}

// shardSplits wraps h (a PoolRoute's selection) in a shardSplitRoute as
// v (PoolRoute's "shard_splits") says; nil v, or
// --disable-shard-split-route, leaves h as it is.
func (b *builder) shardSplits(v *jsonm.Value, h Handle) (Handle, error) {
	if v == nil || b.opts.DisableShardSplitRoute {
		return h, nil
	}
	if !v.IsObject() {
		return nil, b.errf(v, "ShardSplitter: shard_splits is not an object")
	}
	r := &shardSplitRoute{child: h, hostID: b.opts.HostID, now: func() int64 { return time.Now().Unix() }}
	for _, m := range v.Members {
		s := shardSplit{shard: []byte(m.Key)}
		size := func(nv *jsonm.Value, name string) (int, error) {
			n, ok := nv.Int()
			if !ok || n <= 0 {
				return 0, b.errf(nv, "ShardSplitter: shard %s: %s must be a positive integer", m.Key, name)
			}
			if n > maxShardSplits {
				b.warn(nv, "ShardSplitter: shard "+m.Key+": "+name+" "+strconv.FormatInt(n, 10)+" is more than "+strconv.Itoa(maxShardSplits)+"; "+strconv.Itoa(maxShardSplits)+" is used")
				n = maxShardSplits
			}
			return int(n), nil
		}
		switch {
		case m.Val.IsObject():
			var err error
			get := func(name string) (*jsonm.Value, error) {
				fv := m.Val.Get(name)
				if fv == nil {
					return nil, b.errf(m.Val, "ShardSplitter: shard %s: %s is required", m.Key, name)
				}
				return fv, nil
			}
			var fv *jsonm.Value
			if fv, err = get("old_split_size"); err != nil {
				return nil, err
			}
			if s.oldSize, err = size(fv, "old_split_size"); err != nil {
				return nil, err
			}
			if fv, err = get("new_split_size"); err != nil {
				return nil, err
			}
			if s.newSize, err = size(fv, "new_split_size"); err != nil {
				return nil, err
			}
			for _, f := range []struct {
				name string
				p    *int64
			}{{"split_start", &s.start}, {"migration_period", &s.period}} {
				if fv, err = get(f.name); err != nil {
					return nil, err
				}
				n, ok := fv.Int()
				if !ok || n < 0 {
					return nil, b.errf(fv, "ShardSplitter: shard %s: %s must be a non-negative integer", m.Key, f.name)
				}
				*f.p = n
			}
			if s.period == 0 {
				// No migration window: the new size from split_start on.
				s.period = 1
			}
			if fv := m.Val.Get("fanout_deletes"); fv != nil {
				on, ok := fv.Bool()
				if !ok {
					return nil, b.errf(fv, "ShardSplitter: shard %s: fanout_deletes must be a bool", m.Key)
				}
				s.fanoutDeletes = on
			}
		default:
			n, err := size(m.Val, "split count")
			if err != nil {
				return nil, err
			}
			if n == 1 {
				continue // one split: nothing to do
			}
			s.oldSize, s.newSize, s.fanoutDeletes = n, n, true
		}
		r.splits = append(r.splits, s)
	}
	slices.SortFunc(r.splits, func(a, c shardSplit) int { return bytes.Compare(a.shard, c.shard) })
	for i := 1; i < len(r.splits); i++ {
		if bytes.Equal(r.splits[i].shard, r.splits[i-1].shard) {
			return nil, b.errf(v, "ShardSplitter: shard %s given twice", r.splits[i].shard)
		}
	}
	if len(r.splits) == 0 {
		return h, nil
	}
	return r, nil
}
