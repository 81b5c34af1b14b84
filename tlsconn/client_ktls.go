package tlsconn

import (
	"errors"
	"fmt"
	"sync/atomic"
)

var (
	errOffloaded = errors.New("tls: session handed to kernel TLS")
	errKernelRX  = errors.New("tls: the kernel decrypts this session (kTLS RX)")
)

// Outbound kTLS: a Client on the own record layer hands its socket to the
// kernel once both directions are at a record boundary (Client.OffloadKTLS);
// the loop then reads and writes plaintext on the socket, as for
// tls_to_plain.

// ClientKTLSStats counts the kTLS offloads of outbound sessions (mcroute →
// servers with security mech ssl). Safe from any goroutine.
type ClientKTLSStats struct {
	Offloaded atomic.Uint64 // sessions handed to the kernel, both directions
	Fallbacks atomic.Uint64 // offloads the kernel refused (in-loop record layer kept)
	RXOnly    atomic.Uint64 // of the fallbacks: the kernel took RX, refused TX
}

// Each calls f with the `stats` names of these counters (mcrouter has
// none: it never offloads).
func (s *ClientKTLSStats) Each(f func(name string, v int64)) {
	f("num_ssl_ktls_server_connections", int64(s.Offloaded.Load()))
	f("num_ssl_ktls_server_fallbacks", int64(s.Fallbacks.Load()))
	f("num_ssl_ktls_server_rx_only", int64(s.RXOnly.Load()))
}

var clientKTLS ClientKTLSStats

// ClientKTLS returns the process's outbound kTLS counters.
func ClientKTLS() *ClientKTLSStats { return &clientKTLS }

// ktlsSet returns the setsockopt outbound offloads use, nil when kTLS is
// off (--ssl-no-ktls, StdRecordLayer) or the kernel lacks it.
func (cc *ClientConfig) ktlsSet() Setsockopt {
	switch {
	case cc.opts.NoKTLS || cc.opts.StdRecordLayer:
		return nil
	case cc.opts.KTLSSetsockopt != nil:
		return cc.opts.KTLSSetsockopt
	case KTLSAvailable():
		return kernelSetsockopt
	}
	return nil
}

// OffloadKTLS hands the session to the kernel: TCP_ULP "tls", TLS_RX keyed
// with the server's traffic secret at the next sequence number the Client
// would open, TLS_TX with the client's at the next one it would seal
// (InstallKTLS). Call it on the connection's loop after a pass, with fd
// the socket, heldIn the ciphertext bytes the loop has read and not given
// to Open, heldOut the bytes the loop has handed to the socket that are
// not written yet (gnet's outbound buffer).
//
// It answers OffloadLater until the Client is on its own record layer
// (the server's first reply has arrived) and both directions are at a
// record boundary with nothing left inside the Client: no partial record,
// no plaintext not consumed (its bytes would never reach the parser once
// the socket carries plaintext), nothing in Out, heldIn and heldOut zero
// (sealed bytes not yet written would be encrypted again by the kernel).
// OffloadNever: kTLS is off or missing, the session stays on crypto/tls
// (TLS 1.2, ChaCha20, StdRecordLayer) or is broken, or the attempt was
// made. Otherwise it tries once and the result is final:
//
//   - OffloadDone: the socket carries plaintext both ways; the Client
//     must not be used any more (the loop drops it and runs the
//     connection as a plain one).
//   - OffloadRXOnly: the kernel decrypts (TLS_RX took) but refused
//     TLS_TX: the loop reads plaintext from the socket and goes on
//     sealing with Seal; Open must not be called any more.
//   - OffloadFailed: the socket is unchanged and the Client carries on.
//
// err says why the kernel refused (RXOnly, Failed), for a log line: only
// at the first refusal among the sessions of a ClientConfig (a kernel that
// refuses one likely refuses all; the others are only counted).
// Afterwards the kernel's read(2) fails with EIO on any record that is not
// application data (a later ticket, KeyUpdate, close_notify, an alert), so
// the connection closes then, as a lost connection.
func (c *Client) OffloadKTLS(fd, heldIn, heldOut int) (Offload, error) {
	if c.ktlsTried || c.ktls == nil || c.mode == clientStd || c.err != nil {
		c.ktlsTried = true
		return OffloadNever, nil
	}
	if c.mode != clientRecord || heldIn > 0 || heldOut > 0 || len(c.part) > 0 || len(c.plain) > 0 || len(c.p.out) > 0 {
		return OffloadLater, nil
	}
	c.ktlsTried = true
	res, step, err := InstallKTLS(c.ktls, fd, c.state.CipherSuite, c.rx.secret, c.rx.seq, c.tx.secret, c.tx.seq)
	switch res {
	case OffloadDone:
		c.rx, c.tx, c.rxKernel = nil, nil, true
		c.err = errOffloaded
		clientKTLS.Offloaded.Add(1)
	case OffloadRXOnly:
		c.rx, c.rxKernel = nil, true
		clientKTLS.Fallbacks.Add(1)
		clientKTLS.RXOnly.Add(1)
		err = fmt.Errorf("kTLS refused (%s): %w; only decryption is offloaded", step, err)
	case OffloadFailed:
		clientKTLS.Fallbacks.Add(1)
		err = fmt.Errorf("kTLS refused (%s): %w; the in-loop record layer carries on", step, err)
	}
	if err != nil && c.ktlsLogged != nil && !c.ktlsLogged.CompareAndSwap(false, true) {
		err = nil
	}
	return res, err
}
