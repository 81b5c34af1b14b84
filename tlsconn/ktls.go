package tlsconn

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"os"
	"sync"

	"golang.org/x/sys/unix"
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

// KTLSAvailable reports whether the kernel offers the "tls" TCP ULP, so
// that established TLS 1.3 AES-GCM connections can be handed to it
// (Conn.OffloadKTLS).
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

// Setsockopt is the kernel step of a kTLS offload: setsockopt(fd, level,
// opt, val) with a string value. ServerOptions.KTLSSetsockopt and
// ClientOptions.KTLSSetsockopt replace it in tests, where the kernel has no
// kTLS.
type Setsockopt func(fd, level, opt int, val string) error

func kernelSetsockopt(fd, level, opt int, val string) error {
	return unix.SetsockoptString(fd, level, opt, val)
}

// Offload is the outcome of Conn.OffloadKTLS and Client.OffloadKTLS.
type Offload int

const (
	// OffloadLater: not now. The loop holds ciphertext mcroute has not
	// opened (a partial record, or bytes not fed yet), or sealed records
	// not yet sent, or a KeyUpdate answer is due. Try again after the next
	// pass.
	OffloadLater Offload = iota
	// OffloadNever: not for this connection (kTLS off or missing, not
	// TLS 1.3 AES-GCM, tls_to_plain, a failed connection, or tried once).
	OffloadNever
	// OffloadDone: both directions are the kernel's; the socket now
	// carries plaintext (Conn.Passthrough).
	OffloadDone
	// OffloadRXOnly: the kernel decrypts (TLS_RX was accepted) but refused
	// TLS_TX: mcroute keeps sealing what it sends.
	OffloadRXOnly
	// OffloadFailed: the kernel refused TCP_ULP or TLS_RX; the socket is
	// unchanged and the in-loop record layer carries on.
	OffloadFailed
)

var offloadNames = [...]string{"later", "never", "done", "rx_only", "failed"}

func (o Offload) String() string { return offloadNames[o] }

// OffloadKTLS hands an established TLS 1.3 AES-GCM connection to the
// kernel (TCP_ULP "tls", then TLS_RX, then TLS_TX, each keyed with
// CryptoInfo at the sequence number of the next record in that
// direction). Call it on the connection's loop, between passes, with fd
// the socket, heldIn the ciphertext bytes the loop has read and not fed to
// Input, and heldOut the bytes the loop has accepted for the socket and
// not written yet.
//
// Every record mcroute has read must be opened first, so that the kernel
// starts at a record boundary: with heldIn > 0 or a partial record held
// inside the Conn it answers OffloadLater. Sealed bytes not yet written
// (heldOut > 0) would be encrypted a second time by the kernel: also
// OffloadLater. Otherwise it tries once; the result is final.
//
// Kernel behaviour that follows (Documentation/networking/tls.rst): a
// record that is not application data (close_notify, any alert, a
// KeyUpdate, a ticket) makes read(2) fail with EIO (EKEYEXPIRED after a
// KeyUpdate on newer kernels); gnet then closes the connection, which is
// how a kTLS connection ends on close_notify or on a peer's KeyUpdate.
// Sending close_notify would need sendmsg with a TLS_SET_RECORD_TYPE cmsg:
// an offloaded connection closes without it (CloseNotify appends nothing).
func (c *Conn) OffloadKTLS(fd, heldIn, heldOut int) Offload {
	if c.ktlsTried || c.mode != modeRecord || c.err != nil || c.srv == nil || c.rxPlain {
		return OffloadNever
	}
	set := c.srv.ktlsSet()
	if set == nil {
		c.ktlsTried = true
		return OffloadNever
	}
	if _, _, ok := suiteHash(c.state.CipherSuite); !ok || c.state.Version != tls.VersionTLS13 {
		c.ktlsTried = true
		return OffloadNever
	}
	if heldIn > 0 || len(c.ct) > c.co || heldOut > 0 || len(c.ctrl) > 0 || c.sealKeyUpd {
		return OffloadLater
	}
	c.ktlsTried = true
	st := &c.srv.stats
	res, step, err := InstallKTLS(set, fd, c.state.CipherSuite, c.rx.secret, c.rx.seq, c.tx.secret, c.tx.seq)
	switch res {
	case OffloadFailed:
		st.KTLSFallbacks.Add(1)
		c.srv.ktlsRefused(step, err, "the in-loop record layer carries on")
	case OffloadRXOnly:
		// RX is the kernel's now and cannot be taken back; sealing stays
		// here. Counted as a fallback too.
		c.rxPlain, c.rx = true, nil
		st.KTLSFallbacks.Add(1)
		st.KTLSRXOnly.Add(1)
		c.srv.ktlsRefused(step, err, "only decryption is offloaded")
	case OffloadDone:
		c.rxPlain, c.rx = true, nil
		c.txPlain, c.tx = true, nil
		st.KTLS.Add(1)
	}
	return res
}

// InstallKTLS does the kernel's part of an offload on socket fd: TCP_ULP
// "tls", then TLS_RX and TLS_TX keyed with CryptoInfo for suite, each
// traffic secret and the sequence number of the next record in that
// direction. set nil means the kernel's setsockopt. The caller must make
// sure that the socket is at a record boundary both ways (everything read
// opened, everything sealed written; see OffloadKTLS).
//
// It returns OffloadDone; OffloadFailed when TCP_ULP or TLS_RX was refused
// (the socket is unchanged: with the ULP and no keys it passes bytes
// through); OffloadRXOnly when TLS_TX was refused after TLS_RX (the kernel
// decrypts, the caller keeps sealing); OffloadNever for a suite kTLS does
// not take. step names the refused setsockopt.
//
// Conn.OffloadKTLS (inbound) and Client.OffloadKTLS (outbound) call it.
func InstallKTLS(set Setsockopt, fd int, suite uint16, rxSecret []byte, rxSeq uint64, txSecret []byte, txSeq uint64) (res Offload, step string, err error) {
	if set == nil {
		set = kernelSetsockopt
	}
	rxInfo, err := CryptoInfo(suite, rxSecret, rxSeq)
	if err != nil {
		return OffloadNever, "", err
	}
	txInfo, err := CryptoInfo(suite, txSecret, txSeq)
	if err != nil {
		return OffloadNever, "", err
	}
	if err := set(fd, unix.IPPROTO_TCP, tcpULP, "tls"); err != nil {
		return OffloadFailed, "TCP_ULP", err
	}
	if err := set(fd, solTLS, tlsRX, string(rxInfo)); err != nil {
		return OffloadFailed, "TLS_RX", err
	}
	if err := set(fd, solTLS, tlsTX, string(txInfo)); err != nil {
		return OffloadRXOnly, "TLS_TX", err
	}
	return OffloadDone, "", nil
}

// ktlsRefused logs the first refusal of the kernel; a kernel that refuses
// one connection likely refuses all, so later ones are only counted.
func (s *Server) ktlsRefused(step string, err error, then string) {
	if s.ktlsLogged.CompareAndSwap(false, true) {
		s.opts.Logf("tls: kTLS refused (%s): %v; %s (further refusals are only counted: num_ssl_ktls_fallbacks)", step, err, then)
	}
}

// ktlsSet returns the setsockopt to offload with, nil when kTLS is off
// (--ssl-no-ktls) or the kernel lacks it.
func (s *Server) ktlsSet() Setsockopt {
	switch {
	case s.opts.NoKTLS:
		return nil
	case s.opts.KTLSSetsockopt != nil:
		return s.opts.KTLSSetsockopt
	case KTLSAvailable():
		return kernelSetsockopt
	}
	return nil
}
