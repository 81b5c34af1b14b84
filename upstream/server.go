package upstream

import (
	"net"
	"strconv"
	"time"

	"mcroute/tlsconn"
)

// Server is one destination as a config sees it: where it is, how long to
// wait for it, and its name in mcrouter's `stats servers`. Servers are
// built once per config and are immutable; the connections, stats and
// health live in the process-wide Destination that Dest points to, so they
// survive reloads.
type Server struct {
	// Host is the host part as written in the config (IPv6 without
	// brackets), Port the port.
	Host string
	Port int
	// Addr is the dial address ("host:port", "[v6]:port").
	Addr string
	// Timeout is the reply timeout (server_timeout / --server-timeout) of
	// requests sent through this Server.
	Timeout time.Duration
	// ConnectTimeout bounds a TCP connect started by a request sent
	// through this Server.
	ConnectTimeout time.Duration
	// Protocol is how requests are written to the server: ProtocolASCII
	// or ProtocolMeta.
	Protocol string
	// Transport is TransportPlain or TransportSSL (mcrouter's security
	// mech); TLS is the client configuration of an ssl Server.
	Transport string
	TLS       *tlsconn.ClientConfig
	// Key names the destination the way mcrouter's `stats servers` does:
	// host:port:<protocol>:<mech>:notcompressed-<timeout_ms>.
	Key string
	// Dest is the registry's destination for Addr (Transport, Protocol).
	Dest *Destination
}

// NewServer returns a Server for host and port that speaks the ASCII
// protocol, with the given timeouts, bound to the process-wide Destination
// for host:port. connectTimeout 0 means "same as timeout", as in mcrouter.
func NewServer(host string, port int, timeout, connectTimeout time.Duration) *Server {
	return NewServerProtocol(host, port, ProtocolASCII, timeout, connectTimeout)
}

// NewServerProtocol is NewServer for a given protocol (ProtocolASCII or
// ProtocolMeta). ASCII and meta Servers for one address have distinct
// Destinations, hence distinct connections and stats.
func NewServerProtocol(host string, port int, protocol string, timeout, connectTimeout time.Duration) *Server {
	return newServer(host, port, protocol, TransportPlain, nil, timeout, connectTimeout)
}

func newServer(host string, port int, protocol, transport string, cc *tlsconn.ClientConfig, timeout, connectTimeout time.Duration) *Server {
	if connectTimeout <= 0 {
		connectTimeout = timeout
	}
	s := &Server{
		Host:           host,
		Port:           port,
		Addr:           net.JoinHostPort(host, strconv.Itoa(port)),
		Timeout:        timeout,
		ConnectTimeout: connectTimeout,
		Protocol:       protocol,
		Transport:      transport,
		TLS:            cc,
		Dest:           Lookup(host, port, transport, protocol),
	}
	s.Key = s.Addr + ":" + protocol + ":" + transport + ":notcompressed-" + strconv.FormatInt(timeout.Milliseconds(), 10)
	return s
}

// Name is how mcrouter prints the destination in route debug output:
// host:port, IPv6 in brackets.
func (s *Server) Name() string { return s.Addr }
