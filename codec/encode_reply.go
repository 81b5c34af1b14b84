package codec

import (
	"strconv"

	"mcroute/codec/mc"
)

// AppendReply appends the reply to a non-get request the way mcrouter does
// (mcrouter-behaviour.md §5.4).
func AppendReply(dst []byte, op mc.Op, rep *mc.Reply) []byte {
	if rep.Result.IsError() {
		return AppendError(dst, rep)
	}
	switch op {
	case mc.OpSet, mc.OpAdd, mc.OpReplace, mc.OpAppend, mc.OpPrepend, mc.OpCas:
		switch rep.Result {
		case mc.ResStored, mc.ResOK:
			return append(dst, Stored...)
		case mc.ResNotStored:
			return append(dst, NotStored...)
		case mc.ResExists:
			return append(dst, Exists...)
		case mc.ResNotFound:
			return append(dst, NotFound...)
		case mc.ResFound:
			return append(dst, found...)
		}
	case mc.OpDelete:
		switch rep.Result {
		case mc.ResDeleted:
			return append(dst, Deleted...)
		case mc.ResNotFound:
			return append(dst, NotFound...)
		}
	case mc.OpTouch:
		switch rep.Result {
		case mc.ResTouched:
			return append(dst, Touched...)
		case mc.ResNotFound:
			return append(dst, NotFound...)
		}
	case mc.OpIncr, mc.OpDecr:
		switch rep.Result {
		case mc.ResFound:
			dst = strconv.AppendUint(dst, rep.Number, 10)
			return append(dst, CRLF...)
		case mc.ResNotFound:
			return append(dst, NotFound...)
		}
	case mc.OpFlushAll:
		if rep.Result == mc.ResOK {
			return append(dst, OK...)
		}
	}
	dst = append(dst, "SERVER_ERROR unexpected result "...)
	dst = append(dst, rep.Result.String()...)
	dst = append(dst, " ("...)
	dst = strconv.AppendUint(dst, uint64(mcResCode(rep.Result)), 10)
	dst = append(dst, ") for "...)
	dst = append(dst, op.String()...)
	return append(dst, CRLF...)
}

// mcResCode is the number mcrouter prints for a non-error result in
// "unexpected result" replies: carbon::Result's value (mc_res_unknown 0,
// deleted 1, touched 2, found 3, notfound 5, notstored 7, ok 9, stored 10,
// exists 11), which differs from mc.Result's order.
func mcResCode(r mc.Result) int {
	switch r {
	case mc.ResDeleted:
		return 1
	case mc.ResTouched:
		return 2
	case mc.ResFound:
		return 3
	case mc.ResNotFound:
		return 5
	case mc.ResNotStored:
		return 7
	case mc.ResOK:
		return 9
	case mc.ResStored:
		return 10
	case mc.ResExists:
		return 11
	}
	return 0 // mc_res_unknown; error results never get here
}

// AppendError appends an error reply: the message when there is one
// (CLIENT_ERROR for client errors, SERVER_ERROR otherwise), else mcrouter's
// canned text for the result.
func AppendError(dst []byte, rep *mc.Reply) []byte {
	if len(rep.Msg) > 0 {
		if rep.Result == mc.ResClientError {
			dst = append(dst, "CLIENT_ERROR "...)
		} else {
			dst = append(dst, "SERVER_ERROR "...)
		}
		dst = append(dst, rep.Msg...)
		return append(dst, CRLF...)
	}
	var s string
	switch rep.Result {
	case mc.ResTimeout:
		s = "SERVER_ERROR timeout"
	case mc.ResConnectTimeout:
		s = "SERVER_ERROR connection timeout"
	case mc.ResConnectError:
		s = "SERVER_ERROR connection error"
	case mc.ResBusy:
		s = "SERVER_ERROR 307 busy"
	case mc.ResTryAgain:
		s = "SERVER_ERROR 302 try again"
	case mc.ResShutdown:
		s = "SERVER_ERROR 301 shutdown"
	case mc.ResTko:
		s = "SERVER_ERROR unavailable"
	case mc.ResBadKey:
		s = "CLIENT_ERROR bad key"
	case mc.ResBadValue:
		s = "SERVER_ERROR bad value"
	case mc.ResAborted:
		s = "SERVER_ERROR aborted"
	case mc.ResClientError:
		s = "CLIENT_ERROR"
	case mc.ResLocalError:
		s = "SERVER_ERROR local error"
	case mc.ResRemoteError:
		s = "SERVER_ERROR remote error"
	case mc.ResDeadlineExceeded:
		s = "SERVER_ERROR request deadline exceeded"
	default:
		s = "SERVER_ERROR unknown result"
	}
	dst = append(dst, s...)
	return append(dst, CRLF...)
}

var found = []byte("FOUND\r\n")

// Replies mcroute writes for requests it answers itself
// (mcrouter-behaviour.md §5.4).
var (
	// CommandDisabled answers flush_all and shutdown unless enabled.
	CommandDisabled = []byte("SERVER_ERROR Command disabled\r\n")
	// CommandNotSupported answers flush_regex.
	CommandNotSupported = []byte("SERVER_ERROR Command not supported\r\n")
	// ExecNotSupported answers exec.
	ExecNotSupported = []byte("SERVER_ERROR Couldn't route request of type exec because the operation is not supported by RouteHandles library!\r\n")
	// BadStatsCommand answers stats with an unknown group.
	BadStatsCommand = []byte("CLIENT_ERROR bad stats command\r\n")
)
