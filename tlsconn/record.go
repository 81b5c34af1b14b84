package tlsconn

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"hash"
)

// TLS record constants (RFC 8446 §5).
const (
	recordHeader  = 5
	maxPlaintext  = 16384
	maxCiphertext = maxPlaintext + 256
	gcmTag        = 16

	typeAlert     = 21
	typeHandshake = 22
	typeAppData   = 23

	msgKeyUpdate        = 24
	msgNewSessionTicket = 4
)

var (
	errBadRecord    = errors.New("tls: bad record")
	errRecordMAC    = errors.New("tls: bad record MAC")
	errAlert        = errors.New("tls: alert received")
	errUnexpected   = errors.New("tls: unexpected post-handshake message")
	errRecordTooBig = errors.New("tls: record overflow")
)

// suiteHash returns the hash and key length of a TLS 1.3 AES-GCM suite,
// the suites the in-loop record layer (and kTLS) implement.
func suiteHash(suite uint16) (func() hash.Hash, int, bool) {
	switch suite {
	case tls.TLS_AES_128_GCM_SHA256:
		return sha256.New, 16, true
	case tls.TLS_AES_256_GCM_SHA384:
		return sha512.New384, 32, true
	}
	return nil, 0, false
}

// expandLabel is HKDF-Expand-Label (RFC 8446 §7.1).
func expandLabel(h func() hash.Hash, secret []byte, label string, context []byte, length int) []byte {
	info := make([]byte, 0, 4+6+len(label)+len(context))
	info = append(info, byte(length>>8), byte(length), byte(6+len(label)))
	info = append(info, "tls13 "...)
	info = append(info, label...)
	info = append(info, byte(len(context)))
	info = append(info, context...)
	out, err := hkdf.Expand(h, secret, string(info), length)
	if err != nil {
		panic("tlsconn: hkdf: " + err.Error()) // only for absurd lengths
	}
	return out
}

// trafficKeys derives the record key and IV of a traffic secret (RFC 8446
// §7.3).
func trafficKeys(h func() hash.Hash, keyLen int, secret []byte) (key, iv []byte) {
	return expandLabel(h, secret, "key", nil, keyLen), expandLabel(h, secret, "iv", nil, 12)
}

// halfConn is one direction of a TLS 1.3 AES-GCM record layer: the AEAD,
// the static IV and the record sequence number. Opening and sealing are in
// place and allocate nothing.
type halfConn struct {
	aead   cipher.AEAD
	iv     [12]byte
	nonce  [12]byte // scratch, kept here so that it does not escape per call
	seq    uint64
	secret []byte
	hash   func() hash.Hash
	keyLen int
}

func newHalfConn(suite uint16, secret []byte, seq uint64) (*halfConn, error) {
	h, keyLen, ok := suiteHash(suite)
	if !ok {
		return nil, errors.New("tlsconn: suite not supported by the in-loop record layer")
	}
	hc := &halfConn{hash: h, keyLen: keyLen}
	if err := hc.setSecret(secret); err != nil {
		return nil, err
	}
	hc.seq = seq
	return hc, nil
}

func (hc *halfConn) setSecret(secret []byte) error {
	key, iv := trafficKeys(hc.hash, hc.keyLen, secret)
	block, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	hc.aead, hc.secret, hc.seq = aead, secret, 0
	copy(hc.iv[:], iv)
	return nil
}

// update moves to the next traffic secret (KeyUpdate, RFC 8446 §7.2).
func (hc *halfConn) update() error {
	return hc.setSecret(expandLabel(hc.hash, hc.secret, "traffic upd", nil, len(hc.secret)))
}

func (hc *halfConn) nextNonce() []byte {
	hc.nonce = hc.iv
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], hc.seq)
	for i := range s {
		hc.nonce[4+i] ^= s[i]
	}
	hc.seq++
	return hc.nonce[:]
}

// open decrypts one whole record rec (header included) and appends its
// content to dst; it returns dst and the record's inner content type.
func (hc *halfConn) open(dst, rec []byte) ([]byte, byte, error) {
	if rec[0] != typeAppData {
		return dst, 0, errBadRecord
	}
	start := len(dst)
	out, err := hc.aead.Open(dst, hc.nextNonce(), rec[recordHeader:], rec[:recordHeader])
	if err != nil {
		return dst, 0, errRecordMAC
	}
	// Strip the zero padding; the last non-zero byte is the content type.
	i := len(out) - 1
	for i >= start && out[i] == 0 {
		i--
	}
	if i < start {
		return dst, 0, errBadRecord
	}
	return out[:i], out[i], nil
}

// sealer packs plaintext pieces into records of up to maxPlaintext bytes
// appended to buf, so that a batch of replies becomes as few records as
// its size allows.
type sealer struct {
	hc    *halfConn
	buf   []byte
	start int // offset of the open record's header, -1 if none
	fill  int
}

func (s *sealer) begin(hc *halfConn, buf []byte) {
	s.hc, s.buf, s.start, s.fill = hc, buf, -1, 0
}

func (s *sealer) write(p []byte) {
	for len(p) > 0 {
		if s.start < 0 {
			s.start = len(s.buf)
			s.buf = append(s.buf, typeAppData, 3, 3, 0, 0)
			s.fill = 0
		}
		n := min(len(p), maxPlaintext-s.fill)
		s.buf = append(s.buf, p[:n]...)
		s.fill += n
		p = p[n:]
		if s.fill == maxPlaintext {
			s.finish(typeAppData)
		}
	}
}

// finish seals the open record with inner content type typ.
func (s *sealer) finish(typ byte) {
	if s.start < 0 {
		return
	}
	s.buf = append(s.buf, typ)
	n := len(s.buf) - s.start - recordHeader // inner plaintext
	binary.BigEndian.PutUint16(s.buf[s.start+3:], uint16(n+gcmTag))
	if cap(s.buf)-len(s.buf) < gcmTag {
		s.buf = append(s.buf, make([]byte, gcmTag)...)[:len(s.buf)]
	}
	payload := s.buf[s.start+recordHeader:]
	sealed := s.hc.aead.Seal(payload[:0], s.hc.nextNonce(), payload, s.buf[s.start:s.start+recordHeader])
	s.buf = s.buf[:s.start+recordHeader+len(sealed)]
	s.start = -1
}

// end closes the open record and returns the buffer.
func (s *sealer) end() []byte {
	s.finish(typeAppData)
	b := s.buf
	s.buf = nil
	return b
}

// sealControl appends one record of type typ holding p.
func (hc *halfConn) sealControl(dst []byte, typ byte, p []byte) []byte {
	var s sealer
	s.begin(hc, dst)
	s.start = len(s.buf)
	s.buf = append(s.buf, typeAppData, 3, 3, 0, 0)
	s.buf = append(s.buf, p...)
	s.finish(typ)
	return s.buf
}
