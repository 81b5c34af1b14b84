package engine_test

import (
	"regexp"
	"strconv"
	"testing"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// TestVersionMajorAtLeastOne: libmemcached (php-memcached's getVersion,
// memcping, memcstat) reads "VERSION <major>.<minor>.<micro>" and treats a
// major version of 0 as a parse error, so mcroute must answer 1.x.y or
// later, followed by its name as mcrouter follows its version with its own.
func TestVersionMajorAtLeastOne(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startProxy(t, poolConfig(m.Addr), engine.Options{NumLoops: 1}, router.Options{})
	got := mctest.Dial(t, p.Addr).Do("version\r\n")
	match := regexp.MustCompile(`^VERSION ([0-9]+)\.([0-9]+)\.([0-9]+) mcroute\r\n$`).FindStringSubmatch(got)
	if match == nil {
		t.Fatalf("version reply %q, want VERSION <major>.<minor>.<micro> mcroute", got)
	}
	if major, _ := strconv.Atoi(match[1]); major < 1 {
		t.Fatalf("version reply %q: major version %d, libmemcached needs at least 1", got, major)
	}
}
