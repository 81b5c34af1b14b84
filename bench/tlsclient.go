package bench

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// TLSClientConfig is the generator's TLS client configuration: the server's
// certificate must chain to the PEM CA file caPath (empty: the system
// roots) and name serverName (a DNS name or IP; empty: the host of each
// connection's address, which crypto/tls takes from the dial).
func TLSClientConfig(caPath, serverName string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if caPath != "" {
		pem, err := os.ReadFile(caPath)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate", caPath)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
