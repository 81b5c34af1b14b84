// Package clienttest makes the certificates the TLS tests need: a CA, a
// server certificate for 127.0.0.1 and localhost, an expired one, one from
// another CA, one for another name, and a client certificate; written as
// PEM files for memcached -Z and mcroute's --pem-* flags. Tests only.
package clienttest

import (
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
	"sync/atomic"
	"testing"
	"time"
)

// Pair is a certificate and its key as PEM files.
type Pair struct {
	Cert, Key string
	TLS       tls.Certificate
}

// Certs are the files of one test's PKI, under Dir.
type Certs struct {
	Dir string
	// CA signs Server, Expired, WrongName and Client; OtherCA signs
	// Foreign. CA and OtherCA are PEM files of the root certificates.
	CA, OtherCA string
	CAPool      *x509.CertPool
	// Server: SAN IP 127.0.0.1 and ::1, DNS localhost. Expired: the same
	// names, expired yesterday. Foreign: the same names, from OtherCA.
	// WrongName: DNS other.example only. Client: a client certificate.
	Server, Expired, Foreign, WrongName, Client Pair
}

// New writes a fresh PKI to t.TempDir().
func New(t testing.TB) *Certs {
	t.Helper()
	dir := t.TempDir()
	c := &Certs{Dir: dir}
	ca, caKey := newCA(t, "mcroute test CA")
	other, otherKey := newCA(t, "some other CA")
	c.CA = writePEM(t, dir, "ca.pem", "CERTIFICATE", ca.Raw)
	c.OtherCA = writePEM(t, dir, "other-ca.pem", "CERTIFICATE", other.Raw)
	c.CAPool = x509.NewCertPool()
	c.CAPool.AddCert(ca)
	now := time.Now()
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	c.Server = leaf(t, dir, "server", ca, caKey, "localhost", []string{"localhost"}, ips, now.Add(-time.Hour), now.Add(24*time.Hour), false)
	c.Expired = leaf(t, dir, "expired", ca, caKey, "localhost", []string{"localhost"}, ips, now.Add(-48*time.Hour), now.Add(-24*time.Hour), false)
	c.Foreign = leaf(t, dir, "foreign", other, otherKey, "localhost", []string{"localhost"}, ips, now.Add(-time.Hour), now.Add(24*time.Hour), false)
	c.WrongName = leaf(t, dir, "wrongname", ca, caKey, "other.example", []string{"other.example"}, nil, now.Add(-time.Hour), now.Add(24*time.Hour), false)
	c.Client = leaf(t, dir, "client", ca, caKey, "mcroute client", nil, ips, now.Add(-time.Hour), now.Add(24*time.Hour), true)
	return c
}

// MemcachedArgs returns memcached's flags to serve TLS with p; with
// requireClient, memcached also requires a client certificate signed by
// ca (ssl_verify_mode=2).
func MemcachedArgs(p Pair, ca string, requireClient bool) []string {
	o := []string{"ssl_chain_cert=" + p.Cert, "ssl_key=" + p.Key}
	if requireClient {
		o = append(o, "ssl_ca_cert="+ca, "ssl_verify_mode=2")
	}
	return []string{"-Z", "-o", strings.Join(o, ",")}
}

var serial atomic.Int64

func nextSerial() *big.Int { return big.NewInt(serial.Add(1) + time.Now().UnixNano()) }

func newCA(t testing.TB, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-72 * time.Hour),
		NotAfter:              time.Now().Add(72 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func leaf(t testing.TB, dir, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string, dns []string, ips []net.IP, from, to time.Time, client bool) Pair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	usage := x509.ExtKeyUsageServerAuth
	if client {
		usage = x509.ExtKeyUsageClientAuth
	}
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     dns,
		IPAddresses:  ips,
		NotBefore:    from,
		NotAfter:     to,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := Pair{
		Cert: writePEM(t, dir, name+".pem", "CERTIFICATE", der),
		Key:  writePEM(t, dir, name+"-key.pem", "PRIVATE KEY", kder),
	}
	if p.TLS, err = tls.LoadX509KeyPair(p.Cert, p.Key); err != nil {
		t.Fatal(err)
	}
	return p
}

func writePEM(t testing.TB, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
