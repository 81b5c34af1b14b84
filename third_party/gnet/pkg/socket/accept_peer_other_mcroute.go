// mcroute patch (PATCH.md §8), ours whole: AcceptPeer where accept4 is not
// ours (accept_mcroute_linux.go): Accept, its Sockaddr kept as it is.

//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package socket

// AcceptPeer is Accept with the peer as a Peer (here always its Sockaddr).
func AcceptPeer(fd int) (int, Peer, error) {
	nfd, sa, err := Accept(fd)
	return nfd, Peer{Sockaddr: sa}, err
}
