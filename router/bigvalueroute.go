package router

import (
	"math"
	"strconv"

	"mcroute/codec/mc"
	"mcroute/router/hashfunc"
	"mcroute/router/jsonm"
)

func init() { register("BigValueRoute", newBigValueRoute) }

// BigValueFlag marks an index item of a value BigValueRoute split into
// chunks (mcrouter's MC_MSG_FLAG_BIG_VALUE).
const BigValueFlag = 0x8000

// bigValueRoute stores values larger than threshold as chunks, in
// mcrouter's format (mcrouter-behaviour.md §10.1), so that a value larger
// than the servers' item size limit fits:
//
//   - update-like (set, add, replace, append, prepend, cas) with a value
//     longer than threshold: N = ceil(len/threshold) chunks, suffix S =
//     the low 32 bits of SpookyHashV2-128(value, 0, 0).h1; chunk i is
//     set as "<key>:<i>:<S>" with the request's flags and exptime, in
//     batches of batchSize sent in parallel (0: all at once). When the
//     worst chunk reply is STORED, the request itself goes out with the
//     value "1-<N>-<S>" and flags|0x8000 (the index) and its reply is the
//     answer; otherwise the worst chunk result, bare.
//   - get, gets, gat, gats: the request goes out; a reply with 0x8000 in
//     its flags is an index: not a hit → that result, bare; a value that
//     is not "1-<N>-<S>" → the default reply (a miss); else every chunk
//     is fetched with get (batched), and if the worst is a hit the index
//     reply (its flags, cas) carries the chunks' values joined, else the
//     worst result, bare (a missing chunk is a miss). hide clears 0x8000
//     from the replies.
//   - everything else (delete, touch, incr, decr) passes through: a delete
//     removes the index only and the chunks expire.
//
// Memory: chunk sets send slices of the client's value (the upstream
// encodes them into its buffer), so a set holds the value plus one batch
// of encoded chunks; a get holds the joined value (allocated once, sized
// from the index and the first chunk) plus one batch of chunk replies.
// Those per-request buffers are dropped, not pooled, when large.
type bigValueRoute struct {
	target    Handle
	kids      []Handle // {target}
	threshold int
	batch     int // 0: all chunks at once
	hide      bool
	name      string
}

const (
	// maxBigValue bounds a joined value (the codec's MaxValueLen).
	maxBigValue = 1 << 30
	// maxBigWindow bounds the chunks in flight at once (batch_size 0 on a
	// huge index): an upstream connection refuses more pending requests
	// than this (upstream.DefaultOptions.MaxPending) anyway.
	maxBigWindow = 1 << 16
	// bigKeep is the largest buffer a pooled state keeps.
	bigKeep = 64 << 10
)

var bigValueKind = newStateKind()

// Phases of a bigValueState.
const (
	bigIndexGet = iota // get: the index (or plain) reply is awaited
	bigChunks          // chunk requests in flight, batch by batch
	bigIndexSet        // set: the index is being stored
)

// bigValueState is one request through a bigValueRoute.
type bigValueState struct {
	r     *bigValueRoute
	ctx   *Ctx
	cb    mc.Callback
	req   *mc.Request // the caller's: valid until cb is answered
	get   bool
	phase uint8

	n, next int    // chunks; next chunk to send
	suffix  uint64 // S
	// The current batch: chunks[:inBatch], pending of them unanswered.
	chunks   []bigChunk
	inBatch  int
	pending  int
	sending  bool
	worst    mc.Result // worst chunk result so far, of chunk worstIdx
	worstIdx int
	have     bool

	index  ReplyCopy // get: the index reply
	out    []byte    // get: the joined value
	idxReq mc.Request
	idxVal []byte
	rep    mc.Reply // replies made here
}

// bigChunk is one chunk request of the current batch, and its Callback.
type bigChunk struct {
	st  *bigValueState
	idx int
	req mc.Request
	key []byte
	rep ReplyCopy // get: the chunk's reply, until the batch is joined
}

func isHit(r mc.Result) bool {
	return r == mc.ResFound || r == mc.ResDeleted || r == mc.ResTouched
}

func (r *bigValueRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	get := req.Op.IsGet()
	if !get && !(req.Op.IsUpdate() && len(req.Value) > r.threshold) {
		r.target.Route(ctx, req, cb)
		return
	}
	st := acquire[bigValueState](ctx, bigValueKind)
	st.r, st.ctx, st.cb, st.req, st.get = r, ctx, cb, req, get
	st.next, st.have, st.pending, st.sending = 0, false, 0, false
	if get {
		st.phase = bigIndexGet
		// st may be answered and released during this call.
		r.target.Route(ctx, req, st)
		return
	}
	h1, _ := hashfunc.SpookyHash128(req.Value, 0, 0)
	st.suffix = h1 & (1<<32 - 1)
	st.n = (len(req.Value) + r.threshold - 1) / r.threshold
	st.start()
}

// start sends the chunks, batch by batch.
func (st *bigValueState) start() {
	w := st.r.batch
	if w == 0 || w > st.n {
		w = st.n
	}
	w = min(w, maxBigWindow)
	if cap(st.chunks) < w {
		st.chunks = make([]bigChunk, w)
	}
	st.chunks = st.chunks[:w]
	st.phase = bigChunks
	st.sendBatches()
}

// sendBatches sends the next batch, and goes on with the following one
// when every reply came during the sends (instant errors); otherwise the
// last reply of the batch calls it again. It finishes the request after
// the last batch.
func (st *bigValueState) sendBatches() {
	for {
		if st.next >= st.n {
			st.finish()
			return
		}
		first := st.next
		k := min(len(st.chunks), st.n-first)
		st.next += k
		st.inBatch, st.pending, st.sending = k, k, true
		for j := 0; j < k; j++ {
			c := &st.chunks[j]
			c.st, c.idx = st, first+j
			c.key = appendChunkKey(c.key[:0], st.req.Key, c.idx, st.suffix)
			if st.get {
				c.req = mc.Request{Op: mc.OpGet, Key: c.key}
			} else {
				t := st.r.threshold
				end := min((c.idx+1)*t, len(st.req.Value))
				c.req = mc.Request{
					Op: mc.OpSet, Key: c.key, Value: st.req.Value[c.idx*t : end],
					Flags: st.req.Flags, Exptime: st.req.Exptime, HasExptime: st.req.HasExptime,
				}
			}
			st.r.target.Route(st.ctx, &c.req, c)
		}
		st.sending = false
		if st.pending > 0 {
			return
		}
		if !st.endBatch() {
			return
		}
	}
}

// appendChunkKey appends "<key>:<i>:<suffix>".
func appendChunkKey(dst, key []byte, i int, suffix uint64) []byte {
	dst = append(dst, key...)
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, int64(i), 10)
	dst = append(dst, ':')
	return strconv.AppendUint(dst, suffix, 10)
}

func (c *bigChunk) OnReply(rep *mc.Reply) {
	st := c.st
	// The worst result; ties keep the lowest chunk, as mcrouter's reduce
	// over the replies in chunk order does.
	if !st.have || mc.Worse(rep.Result, st.worst) ||
		(rep.Result.Severity() == st.worst.Severity() && c.idx < st.worstIdx) {
		st.worst, st.worstIdx, st.have = rep.Result, c.idx, true
	}
	if st.get && rep.Result == mc.ResFound && st.worst == mc.ResFound {
		c.rep.Set(rep)
	}
	st.pending--
	if st.pending == 0 && !st.sending && st.endBatch() {
		st.sendBatches()
	}
}

// endBatch joins a get's batch of chunk values onto out. It returns false
// when the request was answered instead (a joined value too large).
func (st *bigValueState) endBatch() bool {
	if !st.get || st.worst != mc.ResFound {
		return true
	}
	if len(st.out) == 0 {
		// Sized from the index: N chunks as long as the first.
		if need := min(st.n*len(st.chunks[0].rep.R.Value), maxBigValue); cap(st.out) < need {
			st.out = make([]byte, 0, need)
		}
	}
	for j := 0; j < st.inBatch; j++ {
		c := &st.chunks[j]
		if len(st.out)+len(c.rep.R.Value) > maxBigValue {
			st.rep = mc.Reply{Result: mc.ResLocalError, Msg: msgBigTooLarge}
			st.answer(&st.rep)
			return false
		}
		st.out = append(st.out, c.rep.R.Value...)
	}
	return true
}

var msgBigTooLarge = []byte("BigValueRoute: value larger than 1 GiB")

// finish answers after the last batch (or stores the index).
func (st *bigValueState) finish() {
	if st.get {
		if !isHit(st.worst) {
			st.rep = mc.Reply{Result: st.worst}
			st.answer(&st.rep)
			return
		}
		st.rep = st.index.R
		st.rep.Result = st.worst
		st.rep.Value = st.out
		st.answer(&st.rep)
		return
	}
	if st.worst != mc.ResStored {
		st.rep = mc.Reply{Result: st.worst}
		st.answer(&st.rep)
		return
	}
	st.idxReq = *st.req
	st.idxReq.Flags |= BigValueFlag
	st.idxVal = appendIndex(st.idxVal[:0], st.n, st.suffix)
	st.idxReq.Value = st.idxVal
	st.phase = bigIndexSet
	st.r.target.Route(st.ctx, &st.idxReq, st)
}

// appendIndex appends the index value "1-<n>-<suffix>".
func appendIndex(dst []byte, n int, suffix uint64) []byte {
	dst = append(dst, "1-"...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, suffix, 10)
}

// OnReply receives the reply to the request itself: a get's (maybe an
// index), or the stored index of a set.
func (st *bigValueState) OnReply(rep *mc.Reply) {
	if st.phase == bigIndexSet || rep.Flags&BigValueFlag == 0 {
		st.answer(rep)
		return
	}
	if st.r.hide {
		rep.Flags &^= BigValueFlag
	}
	if !isHit(rep.Result) {
		st.rep = mc.Reply{Result: rep.Result}
		st.answer(&st.rep)
		return
	}
	n, suffix, ok := parseIndex(rep.Value)
	if !ok {
		st.rep = mc.Reply{Result: defaultResult(st.req)}
		st.answer(&st.rep)
		return
	}
	st.index.Set(rep)
	st.index.R.Value = nil
	st.n, st.suffix = n, suffix
	st.start()
}

// parseIndex parses "<version>-<n>-<suffix>" (version 1; decimal numbers:
// n a uint32, suffix a uint64), as mcrouter's parseChunksInfo. An index
// of no chunks, or of more than a joined value could hold, is invalid.
func parseIndex(v []byte) (n int, suffix uint64, ok bool) {
	var parts [3]uint64
	p := 0
	for i := range parts {
		start := p
		var num uint64
		for p < len(v) && v[p] >= '0' && v[p] <= '9' {
			d := uint64(v[p] - '0')
			if num > (math.MaxUint64-d)/10 {
				return 0, 0, false
			}
			num = num*10 + d
			p++
		}
		if p == start {
			return 0, 0, false
		}
		parts[i] = num
		if i < 2 {
			if p >= len(v) || v[p] != '-' {
				return 0, 0, false
			}
			p++
		}
	}
	if p != len(v) || parts[0] != 1 || parts[1] == 0 || parts[1] > math.MaxUint32 || parts[1] > maxBigValue {
		return 0, 0, false
	}
	return int(parts[1]), parts[2], true
}

// answer replies to the caller and releases st.
func (st *bigValueState) answer(rep *mc.Reply) {
	ctx, cb := st.ctx, st.cb
	cb.OnReply(rep)
	st.ctx, st.cb, st.req, st.r = nil, nil, nil, nil
	st.rep, st.idxReq = mc.Reply{}, mc.Request{}
	if cap(st.out) > bigKeep {
		st.out = nil
	}
	st.out = st.out[:0]
	if cap(st.index.val) > bigKeep {
		st.index = ReplyCopy{}
	}
	if len(st.chunks) > 1024 {
		st.chunks = nil
	}
	for j := range st.chunks {
		c := &st.chunks[j]
		c.st, c.req = nil, mc.Request{}
		if cap(c.rep.val) > bigKeep {
			c.rep = ReplyCopy{}
		}
	}
	release(ctx, bigValueKind, st)
}

func (r *bigValueRoute) Name() string       { return r.name }
func (r *bigValueRoute) Children() []Handle { return r.kids }
func (r *bigValueRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	r.target.Traverse(req, depth+1, visit)
}

// bigValue wraps target; threshold must be positive.
func bigValue(target Handle, threshold, batch int, hide bool) Handle {
	return &bigValueRoute{
		target: target, kids: []Handle{target}, threshold: threshold, batch: batch, hide: hide,
		name: "big-value|split_threshold=" + strconv.Itoa(threshold) + "|batch_size=" + strconv.Itoa(batch) +
			"|hide_reply_flag=" + strconv.FormatBool(hide),
	}
}

// newBigValueRoute builds BigValueRoute: {"type": "BigValueRoute",
// "target": route, "split_threshold": T, "batch_size": B,
// "hide_reply_flag": bool}; T and B are required.
func newBigValueRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if !cfg.IsObject() {
		return nil, b.errf(at, "BigValueRoute is not an object")
	}
	tv := cfg.Get("target")
	if tv == nil {
		return nil, b.errf(cfg, "BigValueRoute: Missing target parameter")
	}
	target, err := b.route(tv)
	if err != nil {
		return nil, err
	}
	var nums [2]int
	for i, f := range []string{"split_threshold", "batch_size"} {
		v := cfg.Get(f)
		if v == nil {
			return nil, b.errf(cfg, "BigValueRoute: '%s' is missing", f)
		}
		n, ok := v.Int()
		if !ok || n < 0 || n > maxBigValue {
			return nil, b.errf(v, "BigValueRoute: %s must be an integer from 0 to %d", f, maxBigValue)
		}
		nums[i] = int(n)
	}
	if nums[0] == 0 {
		// mcrouter would divide by zero on the first big set.
		return nil, b.errf(cfg.Get("split_threshold"), "BigValueRoute: split_threshold must be positive")
	}
	hide := false
	if hv := cfg.Get("hide_reply_flag"); hv != nil {
		var ok bool
		if hide, ok = hv.Bool(); !ok {
			return nil, b.errf(hv, "BigValueRoute: hide_reply_flag is not a bool")
		}
	}
	return bigValue(target, nums[0], nums[1], hide), nil
}

// globalBigValue wraps the root in the BigValueRoute of
// --big-value-split-threshold, unless the config's
// "routing_options": {"enable_global_big_value_route": false} opts out
// (mcrouter's implicit chain, §2.5: proxy → big-value → root).
func (b *builder) globalBigValue(root Handle) (Handle, error) {
	o := b.opts
	if o.BigValueSplitThreshold <= 0 {
		return root, nil
	}
	if o.BigValueSplitThreshold > maxBigValue || o.BigValueBatchSize < 0 || o.BigValueBatchSize > maxBigValue {
		return nil, &ConfigError{File: b.file, Msg: "--big-value-split-threshold and --big-value-batch-size must be from 0 to " + strconv.Itoa(maxBigValue)}
	}
	if ro := b.top.Get("routing_options"); ro != nil {
		if v := ro.Get("enable_global_big_value_route"); v != nil {
			on, ok := v.Bool()
			if !ok {
				return nil, b.errf(v, "routing_options: enable_global_big_value_route is not a bool")
			}
			if !on {
				return root, nil
			}
		}
	}
	return bigValue(root, o.BigValueSplitThreshold, o.BigValueBatchSize, o.BigValueHideReplyFlag), nil
}
