package upstream

// Error replies with mcrouter's wording (mcrouter-behaviour.md §5.4).
var (
	msgReplyTimeout = []byte("Reply timeout")
	msgConnTimeout  = []byte("Timed out when trying to connect to server. Ex: AsyncSocketException: connect timed out, type = Timed out")
	msgConnRefused  = []byte("AsyncSocketException: connect failed, type = Socket not open, errno = 111 (Connection refused)")
	msgConnClosed   = []byte("AsyncSocketException: Network error, type = End of file")
	msgBadReply     = []byte("Failed to parse reply from server")
	msgOutOfStep    = []byte("Connection reset: a reply left the connection out of step")
	msgWedged       = []byte("Connection reset: server stopped answering")
	msgBusy         = []byte("307 busy")
	msgShutdown     = []byte("Connection closed: mcroute is shutting down")
	msgBadKey       = []byte("The key provided is invalid")
)
