package router

import (
	"net/netip"
	"strconv"

	"mcroute/codec/mc"
	"mcroute/upstream"
)

// destination is a leaf: one server of a pool (mcrouter's
// DestinationRoute). It sends the key without its routing prefix unless
// the pool keeps it (keep_routing_prefix).
type destination struct {
	idx  int // index in Config.Servers
	srv  *upstream.Server
	pool string
	keep bool
	fd   int64  // failure domain
	name string // routeName, built once
	ap   string // host:port as mcrouter prints it ([v6]:port, v6 in full)
	// maxShadow > 0 caps the shadow requests pending on one loop
	// (--target-max-shadow-requests); shadowroute.go.
	maxShadow int
}

// newDestination returns server srv (index idx of the config's servers)
// as server number id of pool, with failure domain fd.
func newDestination(idx int, srv *upstream.Server, pool string, id int, keep bool, fd int64) *destination {
	ap := accessPointHostPort(srv.Host, srv.Port)
	name := "host|pool=" + pool + "|id=" + strconv.Itoa(id) +
		"|ap=" + ap + ":" + srv.Protocol + ":" + srv.Transport + ":notcompressed" +
		"|timeout=" + strconv.FormatInt(srv.Timeout.Milliseconds(), 10) + "ms" +
		"|keep_routing_prefix=" + strconv.FormatBool(keep) +
		"|msb=" + strconv.FormatInt(fd, 10)
	return &destination{idx: idx, srv: srv, pool: pool, keep: keep, fd: fd, name: name, ap: ap}
}

func (d *destination) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	key := req.Key
	if !d.keep {
		key = key[RoutingPrefixLen(key):]
	}
	if req.Shadow && d.maxShadow > 0 {
		d.sendShadow(ctx, req, key, cb)
		return
	}
	ctx.conns[d.idx].Send(d.srv, req, key, cb)
}

// Name is mcrouter's DestinationRoute routeName:
// host|pool=<pool>|id=<index in pool>|ap=<host>:<port>:<protocol>:<mech>:notcompressed|timeout=<ms>ms|keep_routing_prefix=<bool>|msb=<failure domain>.
func (d *destination) Name() string       { return d.name }
func (d *destination) Children() []Handle { return nil }

func (d *destination) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(d, depth)
}

// Server returns the destination's server (for debug output).
func (d *destination) Server() *upstream.Server { return d.srv }

// HostPort is the destination as __mcrouter__.route prints it: host:port,
// [v6]:port with the IPv6 address written in full.
func (d *destination) HostPort() string { return d.ap }

// accessPointHostPort writes host:port as mcrouter's AccessPoint does: an
// IP address fully qualified (IPv6: eight 4-digit groups, in brackets), a
// host name as written.
func accessPointHostPort(host string, port int) string {
	p := strconv.Itoa(port)
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host + ":" + p
	}
	if a.Is4() {
		return a.String() + ":" + p
	}
	b := a.As16()
	const hexDigits = "0123456789abcdef"
	full := make([]byte, 0, 39)
	for i := 0; i < 16; i += 2 {
		if i > 0 {
			full = append(full, ':')
		}
		full = append(full, hexDigits[b[i]>>4], hexDigits[b[i]&15], hexDigits[b[i+1]>>4], hexDigits[b[i+1]&15])
	}
	return "[" + string(full) + "]:" + p
}
