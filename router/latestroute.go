package router

import (
	"strconv"

	"mcroute/router/hashfunc"
	"mcroute/router/jsonm"
)

func init() { register("LatestRoute", newLatestRoute) }

// latestHostID is the host id LatestRoute uses; tests replace it.
var latestHostID = HostID

// newLatestRoute builds LatestRoute (mcrouter-behaviour.md §2.2): at
// config time it picks min(failover_count, n) distinct children by
// WeightedCh3-hashing a per-host key, and the result is a FailoverRoute
// over them in that order (same host, same order):
//
//	{"type": "LatestRoute", "children": [...], "failover_count": 5,
//	 "weights": [1.0, ...], "salt": "", "thread_local_failover": false,
//	 + FailoverRoute's failover_errors, failover_policy, ...}
//
// thread_local_failover has no effect: mcrouter salts the key with the
// proxy thread's id, but here one tree serves every loop.
func newLatestRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	const typ = "LatestRoute"
	hs, err := b.children(typ, cfg, at)
	if err != nil {
		return nil, err
	}
	return b.latest(cfg, hs)
}

// latest builds a LatestRoute over hs with the settings in cfg (a
// LatestRoute object, or the HashRoute/PoolRoute "hash" object that asked
// for hash_func "Latest").
func (b *builder) latest(cfg *jsonm.Value, hs []Handle) (Handle, error) {
	const typ = "LatestRoute"
	count := 5
	salt := ""
	if cfg.IsObject() {
		if v := cfg.Get("failover_count"); v != nil {
			c, ok := v.Int()
			if !ok {
				return nil, b.errf(v, "%s: failover_count is not an integer", typ)
			}
			if c < 0 || c > int64(len(hs)) {
				c = int64(len(hs)) // mcrouter's size_t: negative is huge
			}
			count = int(c)
		}
		if v := cfg.Get("salt"); v != nil {
			var ok bool
			if salt, ok = v.String(); !ok {
				return nil, b.errf(v, "%s: salt is not a string", typ)
			}
		}
		if v := cfg.Get("thread_local_failover"); v != nil {
			if _, ok := v.Bool(); !ok {
				return nil, b.errf(v, "%s: thread_local_failover is not a boolean", typ)
			}
		}
	}
	weights := make([]float64, len(hs))
	for i := range weights {
		weights[i] = 1
	}
	if wv := cfg.Get("weights"); wv != nil {
		if !wv.IsArray() {
			return nil, b.errf(wv, "%s: weights is not an array", typ)
		}
		for i := range weights {
			weights[i] = hashfunc.DefaultWeight
			if i >= len(wv.Elems) {
				continue
			}
			w, ok := wv.Elems[i].Float()
			if !ok || w < 0 || w > 1 {
				return nil, b.errf(wv.Elems[i], "%s: weight must be a number in range [0, 1.0]", typ)
			}
			weights[i] = w
		}
	}
	var picked []Handle
	for _, i := range latestOrder(weights, count, latestHostID(), salt) {
		picked = append(picked, hs[i])
	}
	return b.failover(typ, cfg, picked)
}

// latestOrder returns the indexes LatestRoute picks among len(weights)
// children: key = hash_combine(0, hostid) (folly, std::hash: identity on
// integers) [then folly::Hash()(key, salt)]; each pick is WeightedCh3 of
// the decimal key over the children left (removed by swapping in the last
// one), then key = hash_combine(key, i).
func latestOrder(weights []float64, count int, hostid uint32, salt string) []int {
	idx := make([]int, len(weights))
	for i := range idx {
		idx[i] = i
	}
	w := append([]float64(nil), weights...)
	key := hashfunc.Hash128to64(0, uint64(hostid))
	if salt != "" {
		key = hashfunc.Hash128to64(twangMix64(key), hashfunc.SpookyHash64([]byte(salt), 0))
	}
	var out []int
	for i := range min(count, len(w)) {
		id := hashfunc.WeightedCh3(strconv.AppendUint(nil, key, 10), w)
		out = append(out, idx[id])
		last := len(w) - 1
		idx[id], w[id] = idx[last], w[last]
		idx, w = idx[:last], w[:last]
		key = hashfunc.Hash128to64(key, uint64(i))
	}
	return out
}
