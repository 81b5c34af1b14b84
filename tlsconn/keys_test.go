package tlsconn

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"net"
	"strings"
	"syscall"
	"testing"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// RFC 8448 §3 (simple 1-RTT handshake), TLS_AES_128_GCM_SHA256.
var (
	rfcServerHS  = unhex("b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38")
	rfcServerApp = unhex("a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43")
)

func TestKeyScheduleRFC8448(t *testing.T) {
	h, keyLen, _ := suiteHash(tls.TLS_AES_128_GCM_SHA256)
	for _, tc := range []struct {
		name            string
		secret, key, iv []byte
	}{
		{"server handshake", rfcServerHS, unhex("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc"), unhex("5d 31 3e b2 67 12 76 ee 13 00 0b 30")},
		{"server application", rfcServerApp, unhex("9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56"), unhex("cf 78 2b 88 dd 83 54 9a ad f1 e9 84")},
	} {
		key, iv := trafficKeys(h, keyLen, tc.secret)
		if !bytes.Equal(key, tc.key) || !bytes.Equal(iv, tc.iv) {
			t.Errorf("%s: key %x iv %x", tc.name, key, iv)
		}
	}
}

// TestCryptoInfoLayout: the kernel's tls12_crypto_info_aes_gcm_128 is 40
// bytes, _256 is 56; salt and iv are the HKDF IV's two parts; rec_seq is
// big-endian.
func TestCryptoInfoLayout(t *testing.T) {
	b, err := CryptoInfo(tls.TLS_AES_128_GCM_SHA256, rfcServerApp, 1)
	if err != nil {
		t.Fatal(err)
	}
	iv := unhex("cf 78 2b 88 dd 83 54 9a ad f1 e9 84")
	if len(b) != 40 || binary.NativeEndian.Uint16(b[0:]) != 0x0304 || binary.NativeEndian.Uint16(b[2:]) != cipherAES128 ||
		!bytes.Equal(b[4:12], iv[4:]) || !bytes.Equal(b[12:28], unhex("9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56")) ||
		!bytes.Equal(b[28:32], iv[:4]) || binary.BigEndian.Uint64(b[32:]) != 1 {
		t.Fatalf("crypto_info %x", b)
	}
	b, err = CryptoInfo(tls.TLS_AES_256_GCM_SHA384, make([]byte, 48), 0)
	if err != nil || len(b) != 56 || binary.NativeEndian.Uint16(b[2:]) != cipherAES256 {
		t.Fatalf("aes-256 crypto_info: %d bytes, %v", len(b), err)
	}
	if _, err := CryptoInfo(tls.TLS_CHACHA20_POLY1305_SHA256, make([]byte, 32), 0); err == nil {
		t.Fatal("ChaCha20 accepted")
	}
	if !ktlsListed([]byte("mptcp tls\n")) || ktlsListed([]byte("mptcp\n")) {
		t.Fatal("ULP list parsing")
	}
}

// TestKTLSKernel: where the kernel has the tls ULP, a TCP socket accepts
// it and a TLS_TX key. Skipped elsewhere (this development machine).
func TestKTLSKernel(t *testing.T) {
	if !KTLSAvailable() {
		t.Skip("kernel without the tls TCP ULP")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc, _ := c.(*net.TCPConn).SyscallConn()
	info, _ := CryptoInfo(tls.TLS_AES_128_GCM_SHA256, rfcServerApp, 0)
	var serr error
	_ = rc.Control(func(fd uintptr) {
		if serr = syscall.SetsockoptString(int(fd), syscall.IPPROTO_TCP, tcpULP, "tls"); serr == nil {
			serr = syscall.SetsockoptString(int(fd), solTLS, tlsTX, string(info))
		}
	})
	if serr != nil {
		t.Fatalf("kTLS setup: %v", serr)
	}
}
