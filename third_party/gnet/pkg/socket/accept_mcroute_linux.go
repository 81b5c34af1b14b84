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
