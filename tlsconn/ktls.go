package tlsconn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"sync"
)

// Kernel TLS constants x/sys lacks (linux/tls.h).
const (
	solTLS       = 282
	tcpULP       = 31
	tlsTX        = 1
	tlsRX        = 2
	tls13Version = 0x0304
	cipherAES128 = 51
	cipherAES256 = 52
)

var ktlsOnce = sync.OnceValue(func() bool {
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_available_ulp")
	return err == nil && ktlsListed(b)
})

func ktlsListed(ulps []byte) bool {
	for _, f := range bytes.Fields(ulps) {
		if string(f) == "tls" {
			return true
		}
	}
	return false
}

// KTLSAvailable reports whether the kernel offers the "tls" TCP ULP. mcroute
// does not hand connections to it yet (see doc.go); the in-loop record layer
// serves the same connections, and CryptoInfo is what the kernel would take.
func KTLSAvailable() bool { return ktlsOnce() }

// CryptoInfo returns the struct tls12_crypto_info_aes_gcm_{128,256} that
// setsockopt(SOL_TLS, TLS_TX or TLS_RX) takes for a TLS 1.3 AES-GCM traffic
// secret whose next record has sequence number seq: {u16 version, u16
// cipher, iv[8], key[16|32], salt[4], rec_seq[8] big-endian}, where salt is
// the first 4 bytes of the HKDF IV and iv the last 8.
func CryptoInfo(suite uint16, secret []byte, seq uint64) ([]byte, error) {
	h, keyLen, ok := suiteHash(suite)
	if !ok {
		return nil, errors.New("tlsconn: kTLS needs TLS 1.3 with AES-GCM")
	}
	key, iv := trafficKeys(h, keyLen, secret)
	cipher := uint16(cipherAES128)
	if keyLen == 32 {
		cipher = cipherAES256
	}
	b := make([]byte, 0, 4+8+keyLen+4+8)
	b = binary.NativeEndian.AppendUint16(b, tls13Version)
	b = binary.NativeEndian.AppendUint16(b, cipher)
	b = append(b, iv[4:]...)
	b = append(b, key...)
	b = append(b, iv[:4]...)
	b = binary.BigEndian.AppendUint64(b, seq)
	return b, nil
}
