package tlsconn_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"mcroute/tlsconn"
	"mcroute/tlsconn/clienttest"
)

// echoServer serves TLS on loopback with cert: every line it reads comes
// back prefixed with "echo ". It returns the address.
func echoServer(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := io.WriteString(c, "echo "+line); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func handshake(t *testing.T, cc *tlsconn.ClientConfig, host, addr string) (*tlsconn.Client, net.Conn, error) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c, err := cc.Handshake(nc, host, addr, time.Now().Add(2*time.Second))
	return c, nc, err
}

func clientConfig(t *testing.T, o tlsconn.ClientOptions) *tlsconn.ClientConfig {
	t.Helper()
	cc, err := tlsconn.NewClientConfig(o)
	if err != nil {
		t.Fatal(err)
	}
	return cc
}

// TestClientVerification: the server's certificate is checked against
// --pem-ca-path (or the system roots) and against the name or IP the
// config gives; NoVerify is the explicit opt-out.
func TestClientVerification(t *testing.T) {
	pki := clienttest.New(t)
	srv := func(p clienttest.Pair) string {
		return echoServer(t, &tls.Config{Certificates: []tls.Certificate{p.TLS}})
	}
	good, foreign, expired, wrong := srv(pki.Server), srv(pki.Foreign), srv(pki.Expired), srv(pki.WrongName)
	_, goodPort, _ := net.SplitHostPort(good)
	verified := tlsconn.ClientOptions{CAFile: pki.CA}
	for _, tc := range []struct {
		name string
		opts tlsconn.ClientOptions
		host string
		addr string
		want string // "" = success, else a substring of the error
		as   any
	}{
		{"by IP", verified, "127.0.0.1", good, "", nil},
		{"by name", verified, "localhost", net.JoinHostPort("localhost", goodPort), "", nil},
		{"other CA", verified, "127.0.0.1", foreign, "unknown authority", &x509.UnknownAuthorityError{}},
		{"expired", verified, "127.0.0.1", expired, "expired", &x509.CertificateInvalidError{}},
		{"name mismatch", verified, "localhost", wrong, "localhost", &x509.HostnameError{}},
		{"IP mismatch", verified, "127.0.0.1", wrong, "127.0.0.1", &x509.HostnameError{}},
		{"system roots", tlsconn.ClientOptions{}, "127.0.0.1", good, "unknown authority", &x509.UnknownAuthorityError{}},
		{"no verify", tlsconn.ClientOptions{NoVerify: true}, "127.0.0.1", foreign, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := handshake(t, clientConfig(t, tc.opts), tc.host, tc.addr)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				if st := c.ConnectionState(); !st.HandshakeComplete {
					t.Fatal("handshake not complete")
				}
				return
			}
			var he *tlsconn.HandshakeError
			if !errors.As(err, &he) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a HandshakeError naming %q", err, tc.want)
			}
			switch tc.as.(type) {
			case *x509.UnknownAuthorityError:
				var e x509.UnknownAuthorityError
				if !errors.As(err, &e) {
					t.Errorf("%v is not an x509.UnknownAuthorityError", err)
				}
			case *x509.CertificateInvalidError:
				var e x509.CertificateInvalidError
				if !errors.As(err, &e) || e.Reason != x509.Expired {
					t.Errorf("%v is not an expired certificate error", err)
				}
			case *x509.HostnameError:
				var e x509.HostnameError
				if !errors.As(err, &e) {
					t.Errorf("%v is not an x509.HostnameError", err)
				}
			}
		})
	}
}

// TestClientSNI: a server named by DNS name receives it as SNI; one named
// by IP receives none.
func TestClientSNI(t *testing.T) {
	pki := clienttest.New(t)
	got := make(chan string, 2)
	addr := echoServer(t, &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		got <- h.ServerName
		return &pki.Server.TLS, nil
	}})
	_, port, _ := net.SplitHostPort(addr)
	cc := clientConfig(t, tlsconn.ClientOptions{CAFile: pki.CA})
	if _, _, err := handshake(t, cc, "localhost", net.JoinHostPort("localhost", port)); err != nil {
		t.Fatal(err)
	}
	if sni := <-got; sni != "localhost" {
		t.Errorf("SNI = %q, want localhost", sni)
	}
	if _, _, err := handshake(t, cc, "127.0.0.1", addr); err != nil {
		t.Fatal(err)
	}
	if sni := <-got; sni != "" {
		t.Errorf("SNI for an IP = %q, want none", sni)
	}
}

// roundTrip seals req, writes it, and reads until want has been
// decrypted, feeding Open step bytes at a time.
func roundTrip(t *testing.T, c *tlsconn.Client, nc net.Conn, req, want string, step int) {
	t.Helper()
	if err := c.Seal([]byte(req)); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(c.Out()); err != nil {
		t.Fatal(err)
	}
	c.Sent()
	buf := make([]byte, 64<<10)
	_ = nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	for len(c.Plain()) < len(want) {
		n, err := nc.Read(buf)
		if err != nil {
			t.Fatalf("read: %v (have %q)", err, c.Plain())
		}
		for off := 0; off < n; off += step {
			if err := c.Open(buf[off:min(off+step, n)]); err != nil {
				t.Fatalf("open: %v", err)
			}
			if len(c.Out()) > 0 {
				_, _ = nc.Write(c.Out())
				c.Sent()
			}
		}
	}
	if got := string(c.Plain()); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	c.Consume(len(want))
}

// TestClientPartialRecords feeds records whole and one byte at a time:
// crypto/tls must keep a partial record and carry on (it relies on
// crypto/tls not storing a temporary error; a Go upgrade that changes
// that fails here). TLS 1.2 and 1.3 (whose session moves to the own
// record layer at the first reply, here mid-stream when fed bytewise).
func TestClientPartialRecords(t *testing.T) {
	pki := clienttest.New(t)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		addr := echoServer(t, &tls.Config{Certificates: []tls.Certificate{pki.Server.TLS}, MaxVersion: v})
		c, nc, err := handshake(t, clientConfig(t, tlsconn.ClientOptions{CAFile: pki.CA}), "127.0.0.1", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.ConnectionState().Version; got != v {
			t.Fatalf("version %x, want %x", got, v)
		}
		big := strings.Repeat("x", 40<<10) // several records
		for _, step := range []int{1 << 20, 1, 7} {
			roundTrip(t, c, nc, "a\nb\n", "echo a\necho b\n", step)
			roundTrip(t, c, nc, big+"\n", "echo "+big+"\n", step)
		}
		if c.InLoopRecordLayer() != (v == tls.VersionTLS13) {
			t.Errorf("TLS %x: own record layer %v", v, c.InLoopRecordLayer())
		}
	}
}

// TestClientResumes: a reconnect to the same server resumes the session
// from the ticket the first connection received in-loop.
func TestClientResumes(t *testing.T) {
	pki := clienttest.New(t)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		addr := echoServer(t, &tls.Config{Certificates: []tls.Certificate{pki.Server.TLS}, MaxVersion: v})
		cc := clientConfig(t, tlsconn.ClientOptions{CAFile: pki.CA})
		c, nc, err := handshake(t, cc, "127.0.0.1", addr)
		if err != nil {
			t.Fatal(err)
		}
		if c.ConnectionState().DidResume {
			t.Fatal("first connection resumed")
		}
		roundTrip(t, c, nc, "x\n", "echo x\n", 1<<20) // takes the TLS 1.3 ticket
		c2, _, err := handshake(t, cc, "127.0.0.1", addr)
		if err != nil {
			t.Fatal(err)
		}
		if !c2.ConnectionState().DidResume {
			t.Errorf("TLS %x: reconnect did not resume", v)
		}
	}
}

// TestClientCertificate: the client certificate is presented when the
// server requires one.
func TestClientCertificate(t *testing.T) {
	pki := clienttest.New(t)
	addr := echoServer(t, &tls.Config{Certificates: []tls.Certificate{pki.Server.TLS}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pki.CAPool})
	with := clientConfig(t, tlsconn.ClientOptions{CAFile: pki.CA, CertFile: pki.Client.Cert, KeyFile: pki.Client.Key})
	c, nc, err := handshake(t, with, "127.0.0.1", addr)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, nc, "hi\n", "echo hi\n", 1<<20)
	// Without one, TLS 1.3 fails on the first exchange (the server
	// rejects the empty certificate after the client's handshake ended).
	c, nc, err = handshake(t, clientConfig(t, tlsconn.ClientOptions{CAFile: pki.CA}), "127.0.0.1", addr)
	if err == nil {
		_ = c.Seal([]byte("hi\n"))
		_, _ = nc.Write(c.Out())
		buf := make([]byte, 4096)
		_ = nc.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, _ := nc.Read(buf)
		err = c.Open(buf[:n])
	}
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without a client certificate: err = %v, want a certificate error", err)
	}
}

func TestClientOptionErrors(t *testing.T) {
	for _, o := range []tlsconn.ClientOptions{
		{CertFile: "x.pem"},
		{CAFile: "/nonexistent/ca.pem"},
		{CertFile: "/nonexistent/c.pem", KeyFile: "/nonexistent/k.pem"},
	} {
		if _, err := tlsconn.NewClientConfig(o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}
