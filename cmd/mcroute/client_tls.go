package main

import (
	"log"

	"mcroute/tlsconn"
)

// newTLSClient builds the TLS client configuration for servers with
// security mech ssl from the --pem-* flags; a file that cannot be used is
// a startup error. Turning verification off is logged: it is for
// self-signed test set-ups only.
func newTLSClient(o *options, logger *log.Logger) (*tlsconn.ClientConfig, error) {
	cc, err := tlsconn.NewClientConfig(tlsconn.ClientOptions{
		CertFile: o.pemCertPath,
		KeyFile:  o.pemKeyPath,
		CAFile:   o.pemCAPath,
		NoVerify: o.sslNoVerifyServers,
		NoKTLS:   o.tls.noKTLS,
	})
	if err != nil {
		return nil, err
	}
	if o.sslNoVerifyServers {
		logger.Printf("warning: --ssl-no-verify-servers: TLS servers' certificates are NOT verified; anyone on the path can impersonate them")
	}
	return cc, nil
}
