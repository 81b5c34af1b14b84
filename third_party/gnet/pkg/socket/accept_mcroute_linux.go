// mcroute patch (PATCH.md §6), ours whole: accept4(2) without garbage.

//go:build linux

package socket

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// accept4 is unix.Accept4 without its heap allocations for IPv4 and
// IPv6 peers: x/sys's RawSockaddrAny (and the length word) escape to the
// heap, 228 B of garbage per accepted connection; here they stay on the
// stack and only the returned Sockaddr (kept by the conn) is allocated.
// Other families are decoded as x/sys does, through unix.Getpeername.
func accept4(fd, flags int) (int, unix.Sockaddr, error) {
	var rsa unix.RawSockaddrAny
	n := uint32(unix.SizeofSockaddrAny)
	r, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&n)), uintptr(flags), 0, 0)
	if e != 0 {
		return -1, nil, e
	}
	nfd := int(r)
	switch rsa.Addr.Family {
	case unix.AF_INET:
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(&rsa))
		port := (*[2]byte)(unsafe.Pointer(&p.Port))
		return nfd, &unix.SockaddrInet4{Port: int(port[0])<<8 | int(port[1]), Addr: p.Addr}, nil
	case unix.AF_INET6:
		p := (*unix.RawSockaddrInet6)(unsafe.Pointer(&rsa))
		port := (*[2]byte)(unsafe.Pointer(&p.Port))
		return nfd, &unix.SockaddrInet6{Port: int(port[0])<<8 | int(port[1]), ZoneId: p.Scope_id, Addr: p.Addr}, nil
	}
	sa, err := unix.Getpeername(nfd)
	if err != nil {
		_ = unix.Close(nfd)
		return -1, nil, err
	}
	return nfd, sa, nil
}

// AcceptPeer is Accept (accept4(2) with SOCK_NONBLOCK and SOCK_CLOEXEC)
// returning the peer as a value: for IPv4 and IPv6 peers nothing is
// allocated at all (PATCH.md §8), so a conn can keep a compact form of it.
func AcceptPeer(fd int) (int, Peer, error) {
	var rsa unix.RawSockaddrAny
	n := uint32(unix.SizeofSockaddrAny)
	r, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&n)),
		uintptr(unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC), 0, 0)
	if e != 0 {
		return -1, Peer{}, e
	}
	nfd := int(r)
	var p Peer
	switch rsa.Addr.Family {
	case unix.AF_INET:
		raw := (*unix.RawSockaddrInet4)(unsafe.Pointer(&rsa))
		port := (*[2]byte)(unsafe.Pointer(&raw.Port))
		p.Family, p.Port = unix.AF_INET, uint16(port[0])<<8|uint16(port[1])
		copy(p.Addr[:4], raw.Addr[:])
		return nfd, p, nil
	case unix.AF_INET6:
		raw := (*unix.RawSockaddrInet6)(unsafe.Pointer(&rsa))
		port := (*[2]byte)(unsafe.Pointer(&raw.Port))
		p.Family, p.Port, p.Zone, p.Addr = unix.AF_INET6, uint16(port[0])<<8|uint16(port[1]), raw.Scope_id, raw.Addr
		return nfd, p, nil
	}
	sa, err := unix.Getpeername(nfd)
	if err != nil {
		_ = unix.Close(nfd)
		return -1, Peer{}, err
	}
	p.Sockaddr = sa
	return nfd, p, nil
}
