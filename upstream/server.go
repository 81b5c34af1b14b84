package upstream

import (
	"net"
	"strconv"
	"time"
)

// Server is one destination from the config: where it is and how long to
// wait for it. Servers are built once per config and are immutable; a Loop
// keeps one Conn per distinct Server.Key.
type Server struct {
	// Host is the host part as written in the config (IPv6 without
	// brackets), Port the port.
	Host string
	Port int
	// Addr is the dial address ("host:port", "[v6]:port").
	Addr string
	// Timeout is the reply timeout (server_timeout / --server-timeout).
	Timeout time.Duration
	// ConnectTimeout bounds the TCP connect.
	ConnectTimeout time.Duration
	// Key identifies the destination the way mcrouter's `stats servers`
	// does: host:port:ascii:plain:notcompressed-<timeout_ms>. Servers with
	// the same Key share one connection per loop.
	Key string
	// Stats are shared by every loop's Conn to this server.
	Stats *ServerStats
}

// NewServer returns a Server for host and port with the given timeouts.
// connectTimeout 0 means "same as timeout", as in mcrouter.
func NewServer(host string, port int, timeout, connectTimeout time.Duration) *Server {
	if connectTimeout <= 0 {
		connectTimeout = timeout
	}
	s := &Server{
		Host:           host,
		Port:           port,
		Addr:           net.JoinHostPort(host, strconv.Itoa(port)),
		Timeout:        timeout,
		ConnectTimeout: connectTimeout,
		Stats:          &ServerStats{},
	}
	s.Key = s.Addr + ":ascii:plain:notcompressed-" + strconv.FormatInt(timeout.Milliseconds(), 10)
	return s
}

// Name is how mcrouter prints the destination in route debug output:
// host:port, IPv6 in brackets.
func (s *Server) Name() string { return s.Addr }
