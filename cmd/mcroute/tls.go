package main

import (
	"errors"
	"time"

	"mcroute/tlsconn"
)

// tlsOptions are the inbound TLS flags (README "TLS").
type tlsOptions struct {
	sslPorts                        string
	serverCert, serverKey, serverCA string
	pemCert, pemKey, pemCA          string
	ticketSeedPath                  string
	requirePeerCerts                bool
	handshakeTimeoutMs              int
	noKTLS                          bool
}

// defineTLSFlags adds the inbound TLS flags with newFlagSet's helpers.
// --pem-cert-path, --pem-key-path and --pem-ca-path are defined with the
// outbound ones (main.go); run copies them into pemCert, pemKey and pemCA,
// which the listeners use when the --server-pem-* flags are absent.
func defineTLSFlags(o *tlsOptions, str func(*string, string, string, ...string), integer func(*int, int, string, ...string), boolean func(*bool, string, ...string)) {
	str(&o.sslPorts, "", "comma-separated TLS listen ports (needs a certificate, key and CA)", "ssl-port")
	str(&o.serverCert, "", "PEM certificate of the TLS listeners (default: --pem-cert-path)", "server-pem-cert-path")
	str(&o.serverKey, "", "PEM key of the TLS listeners (default: --pem-key-path)", "server-pem-key-path")
	str(&o.serverCA, "", "PEM CA that client certificates must chain to (default: --pem-ca-path)", "server-pem-ca-path")
	str(&o.ticketSeedPath, "", `JSON file of session-ticket seeds ({"old":[hex…],"current":[hex…],"new":[hex…]}); routers given the same file resume each other's TLS sessions (re-read when it changes)`, "tls-ticket-key-seed-path")
	boolean(&o.requirePeerCerts, "refuse TLS clients that present no certificate", "ssl-require-peer-certs")
	integer(&o.handshakeTimeoutMs, 10000, "close a TLS connection whose handshake takes longer, ms", "ssl-handshake-timeout-ms")
	boolean(&o.noKTLS, "keep TLS records in mcroute: never hand TLS 1.3 connections (from clients or to servers) to the kernel's TLS (kTLS)", "ssl-no-ktls")
}

// tlsServer builds the listener-side TLS state, or returns nil without
// --ssl-port.
func (o *tlsOptions) tlsServer(logf func(string, ...any)) (*tlsconn.Server, error) {
	if o.sslPorts == "" {
		if o.ticketSeedPath != "" {
			logf("warning: --tls-ticket-key-seed-path has no effect without --ssl-port")
		}
		return nil, nil
	}
	pick := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	so := tlsconn.ServerOptions{
		CertFile:         pick(o.serverCert, o.pemCert),
		KeyFile:          pick(o.serverKey, o.pemKey),
		CAFile:           pick(o.serverCA, o.pemCA),
		TicketSeedFile:   o.ticketSeedPath,
		RequirePeerCerts: o.requirePeerCerts,
		HandshakeTimeout: time.Duration(o.handshakeTimeoutMs) * time.Millisecond,
		NoKTLS:           o.noKTLS,
		Logf:             logf,
	}
	if so.CertFile == "" || so.KeyFile == "" || so.CAFile == "" {
		return nil, errors.New("--ssl-port needs --server-pem-cert-path, --server-pem-key-path and --server-pem-ca-path (or --pem-cert-path, --pem-key-path and --pem-ca-path)")
	}
	return tlsconn.NewServer(so)
}
