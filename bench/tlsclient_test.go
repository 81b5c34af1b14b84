package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned is a certificate for 127.0.0.1 that is its own CA.
func selfSigned(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestRunOverTLS(t *testing.T) {
	cert, caPEM := selfSigned(t)
	s := startFake(t, func(s *fakeServer) { s.tls = &tls.Config{Certificates: []tls.Certificate{cert}} })
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, caPEM, 0o600)
	cfg := testConfig(s.addr)
	var err error
	if cfg.TLS, err = TLSClientConfig(ca, ""); err != nil {
		t.Fatal(err)
	}
	cfg.Verify = true
	r, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkAccounting(t, r)
	if r.Problems() != 0 || r.OK == 0 {
		t.Fatalf("over TLS: %d ok, %d problems: %+v", r.OK, r.Problems(), r.ErrorKinds)
	}

	// Without the CA the handshake fails verification: every dial fails.
	cfg.TLS, _ = TLSClientConfig("", "")
	cfg.Requests = 5
	r, err = Run(context.Background(), cfg)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if r != nil {
		msg += " " + r.ConnectError
	}
	if !strings.Contains(msg, "certificate") {
		t.Fatalf("unverifiable server: want a failure naming the certificate, got %q", msg)
	}
}

func TestTLSClientConfigBadCA(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.pem")
	os.WriteFile(p, []byte("not pem"), 0o600)
	if _, err := TLSClientConfig(p, ""); err == nil {
		t.Fatal("want an error for a file without a certificate")
	}
	if _, err := TLSClientConfig(p+".missing", ""); err == nil {
		t.Fatal("want an error for a missing file")
	}
}
