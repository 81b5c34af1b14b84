package compare

import (
	"fmt"
	"strings"
)

// Workload is one traffic shape of the side-by-side run.
type Workload struct {
	Name     string `json:"name"`
	Desc     string `json:"description"`
	Conns    int    `json:"connections"`
	Pipeline int    `json:"pipeline"`
	MultiKey int    `json:"multi_key_get"`
	Size     int    `json:"value_bytes"`
	Keys     int64  `json:"keys"`
	Prefix   string `json:"key_prefix"`
	OpenLoop bool   `json:"open_loop"`
}

// eKeys is workload E's keyspace: 16 KiB values over 100 k keys would be
// 1.6 GB per backend to preload and hold (every backend holds every key, see
// preload), so E uses its own 10 k keys: 160 MB.
const eKeys = 10_000

// Workloads returns A-F for a keyspace of keys (100 000 in `make bench`).
// All use 1:10 set:get, uniform random keys and the keyspace preloaded.
func Workloads(keys int64, rateFraction float64) []Workload {
	k := fmt.Sprintf("%d k keys", keys/1000)
	if keys < 1000 {
		k = fmt.Sprintf("%d keys", keys)
	}
	a := Workload{Name: "A", Conns: 4, Pipeline: 1, MultiKey: 1, Size: 100, Keys: keys, Prefix: "k:",
		Desc: "4 connections, 1:10 set:get, " + k + ", 100 B values, no pipelining"}
	b, c, d, e, f := a, a, a, a, a
	b.Name, b.Pipeline, b.Desc = "B", 16, "A with pipeline 16"
	c.Name, c.Conns, c.Desc = "C", 50, "A with 50 connections"
	d.Name, d.MultiKey, d.Desc = "D", 10, "A with gets of 10 keys (multi-key get)"
	e.Name, e.Size, e.Keys, e.Prefix = "E", 16384, eKeys, "e:"
	e.Desc = fmt.Sprintf("A with 16 KiB values (own keyspace of %d k keys)", eKeys/1000)
	f.Name, f.OpenLoop = "F", true
	f.Desc = fmt.Sprintf("A in open loop at %.0f %% of twemproxy's workload-A ops/s (same topology); latency from intended send time", rateFraction*100)
	return []Workload{a, b, c, d, e, f}
}

// selectWorkloads picks names (e.g. "A,B,F") out of all, in A-F order; F
// needs A's twemproxy figure, so asking for F brings A along.
func selectWorkloads(all []Workload, names []string) ([]Workload, error) {
	want := map[string]bool{}
	for _, n := range names {
		n = strings.ToUpper(strings.TrimSpace(n))
		if n == "" {
			continue
		}
		found := false
		for _, w := range all {
			found = found || w.Name == n
		}
		if !found {
			return nil, fmt.Errorf("workload %q: not one of A-F", n)
		}
		want[n] = true
	}
	if want["F"] {
		want["A"] = true
	}
	var out []Workload
	for _, w := range all {
		if want[w.Name] {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no workload selected")
	}
	return out, nil
}
