package router

import (
	"fmt"
	"strings"
)

// parseUnixServer parses a server string "unix:<path>[:protocol[:mech[:compression]]]"
// (mcrouter's AccessPoint: the path ends at the next ':', there is no
// port). It returns the path and upstream's protocol name ("" when the
// string has none: the pool's applies). As in mcrouter a UNIX socket
// cannot use TLS: a mech other than plain is refused.
func parseUnixServer(s string) (string, string, error) {
	rest := strings.TrimPrefix(s, "unix:")
	path, rest, _ := strings.Cut(rest, ":")
	if path == "" {
		return "", "", fmt.Errorf("bad server %q: empty UNIX socket path", s)
	}
	parts := strings.Split(rest, ":")
	if len(parts) > 3 {
		return "", "", fmt.Errorf("bad server %q: too many fields", s)
	}
	protocol := ""
	if parts[0] != "" {
		var ok bool
		if protocol, ok = parseProtocol(parts[0]); !ok {
			return "", "", fmt.Errorf("server %q: protocol %q is not supported (ascii or meta)", s, parts[0])
		}
	}
	if len(parts) > 1 && parts[1] != "" && parts[1] != "plain" {
		return "", "", fmt.Errorf("server %q: UNIX sockets do not support security mech %q (only plain)", s, parts[1])
	}
	return path, protocol, nil
}
