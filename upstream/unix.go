package upstream

import (
	"strconv"
	"strings"
	"time"
)

// UnixPrefix starts the dial address of a server on a UNIX socket,
// "unix:<path>", as mcrouter's server strings write it.
const UnixPrefix = "unix:"

// NewUnixServer returns a Server for the UNIX socket at path, speaking
// protocol, with the given timeouts (connectTimeout 0: same as timeout).
// As in mcrouter's AccessPoint its host is the path and its port 0: `stats
// servers` names it "<path>:0:<protocol>:plain:notcompressed-<ms>"; it
// dials "unix:<path>", which is also its DestKey address.
func NewUnixServer(path, protocol string, timeout, connectTimeout time.Duration) *Server {
	if connectTimeout <= 0 {
		connectTimeout = timeout
	}
	addr := UnixPrefix + path
	s := &Server{
		Host:           path,
		Addr:           addr,
		Timeout:        timeout,
		ConnectTimeout: connectTimeout,
		Protocol:       protocol,
		Transport:      TransportPlain,
		Dest:           registry.lookupAddr(addr, path, 0, TransportPlain, protocol),
	}
	s.Key = path + ":0:" + protocol + ":" + TransportPlain + ":notcompressed-" + strconv.FormatInt(timeout.Milliseconds(), 10)
	return s
}

// dialNetwork returns the network and address net.Dial takes for a dial
// address: ("unix", path) for "unix:<path>", ("tcp", addr) otherwise.
func dialNetwork(addr string) (string, string) {
	if path, ok := strings.CutPrefix(addr, UnixPrefix); ok {
		return "unix", path
	}
	return "tcp", addr
}
