package router

import (
	"strings"
	"time"

	"mcroute/router/jsonm"
)

// regionTimeout applies --within-cluster-timeout-ms,
// --cross-cluster-timeout-ms and --cross-region-timeout-ms to the server
// timeout of a pool that has both "region" and "cluster"
// (mcrouter-behaviour.md §1.4, McRouteHandleProvider::makePool): the pool
// is within the cluster of -R, in another cluster of its region, or in
// another region, and the matching option, when not 0, replaces timeout.
// The connect timeout is not changed (mcrouter takes it before). A region
// or cluster that is not a string is reported and ignored, as mcrouter
// logs it and goes on.
func (b *builder) regionTimeout(name string, def *jsonm.Value, timeout time.Duration) time.Duration {
	str := func(field string) string {
		v := def.Get(field)
		if v == nil {
			return ""
		}
		s, ok := v.String()
		if !ok {
			e := &ConfigError{File: b.file, Line: v.Line, Msg: "Pool " + name + ": pool_" + field + " is not a string"}
			if v.File != "" {
				e.File = v.File
			}
			b.warnings = append(b.warnings, e.Error())
		}
		return s
	}
	region, cluster := str("region"), str("cluster")
	if region == "" || cluster == "" {
		return timeout
	}
	// DefaultRoute is normalised: "/region/cluster/".
	parts := strings.Split(b.opts.DefaultRoute, "/")
	var o time.Duration
	switch {
	case len(parts) != 4:
		return timeout
	case region == parts[1] && cluster == parts[2]:
		o = b.opts.WithinClusterTimeout
	case region == parts[1]:
		o = b.opts.CrossClusterTimeout
	default:
		o = b.opts.CrossRegionTimeout
	}
	if o > 0 {
		return o
	}
	return timeout
}
