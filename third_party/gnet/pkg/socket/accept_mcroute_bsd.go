// mcroute patch (PATCH.md §6), ours whole: accept4 as upstream's elsewhere.

//go:build dragonfly || freebsd

package socket

import "golang.org/x/sys/unix"

func accept4(fd, flags int) (int, unix.Sockaddr, error) { return unix.Accept4(fd, flags) }
