package engine

import (
	"strconv"

	"mcroute/codec"
	"mcroute/upstream"
)

// appendReply encodes the reply to a non-get request the way mcrouter does
// (mcrouter-behaviour.md §5.4).
func appendReply(dst []byte, op codec.Op, rep *upstream.Reply) []byte {
	if rep.Result.IsError() {
		return appendError(dst, rep)
	}
	switch op {
	case codec.OpSet, codec.OpAdd, codec.OpReplace, codec.OpAppend, codec.OpPrepend, codec.OpCas:
		switch rep.Result {
		case upstream.ResStored, upstream.ResOK:
			return append(dst, "STORED\r\n"...)
		case upstream.ResNotStored:
			return append(dst, "NOT_STORED\r\n"...)
		case upstream.ResExists:
			return append(dst, "EXISTS\r\n"...)
		case upstream.ResNotFound:
			return append(dst, "NOT_FOUND\r\n"...)
		case upstream.ResFound:
			return append(dst, "FOUND\r\n"...)
		}
	case codec.OpDelete:
		switch rep.Result {
		case upstream.ResDeleted:
			return append(dst, "DELETED\r\n"...)
		case upstream.ResNotFound:
			return append(dst, "NOT_FOUND\r\n"...)
		}
	case codec.OpTouch:
		switch rep.Result {
		case upstream.ResTouched:
			return append(dst, "TOUCHED\r\n"...)
		case upstream.ResNotFound:
			return append(dst, "NOT_FOUND\r\n"...)
		}
	case codec.OpIncr, codec.OpDecr:
		switch rep.Result {
		case upstream.ResFound:
			dst = strconv.AppendUint(dst, rep.Number, 10)
			return append(dst, crlf...)
		case upstream.ResNotFound:
			return append(dst, "NOT_FOUND\r\n"...)
		}
	case codec.OpFlushAll:
		if rep.Result == upstream.ResOK {
			return append(dst, replyOK...)
		}
	}
	dst = append(dst, "SERVER_ERROR unexpected result "...)
	dst = append(dst, rep.Result.String()...)
	dst = append(dst, " ("...)
	dst = strconv.AppendUint(dst, uint64(mcResCode(rep.Result)), 10)
	dst = append(dst, ") for "...)
	dst = append(dst, op.String()...)
	return append(dst, crlf...)
}

// mcResCode is the number mcrouter prints for a non-error result in
// "unexpected result" replies: carbon::Result's value (mc_res_unknown 0,
// deleted 1, touched 2, found 3, notfound 5, notstored 7, ok 9, stored 10,
// exists 11), which differs from upstream.Result's order.
func mcResCode(r upstream.Result) int {
	switch r {
	case upstream.ResDeleted:
		return 1
	case upstream.ResTouched:
		return 2
	case upstream.ResFound:
		return 3
	case upstream.ResNotFound:
		return 5
	case upstream.ResNotStored:
		return 7
	case upstream.ResOK:
		return 9
	case upstream.ResStored:
		return 10
	case upstream.ResExists:
		return 11
	}
	return 0 // mc_res_unknown; error results never get here
}

// appendError encodes an error reply: the message when there is one
// (CLIENT_ERROR for client errors, SERVER_ERROR otherwise), else mcrouter's
// canned text for the result.
func appendError(dst []byte, rep *upstream.Reply) []byte {
	if len(rep.Msg) > 0 {
		if rep.Result == upstream.ResClientError {
			dst = append(dst, "CLIENT_ERROR "...)
		} else {
			dst = append(dst, "SERVER_ERROR "...)
		}
		dst = append(dst, rep.Msg...)
		return append(dst, crlf...)
	}
	var s string
	switch rep.Result {
	case upstream.ResTimeout:
		s = "SERVER_ERROR timeout"
	case upstream.ResConnectTimeout:
		s = "SERVER_ERROR connection timeout"
	case upstream.ResConnectError:
		s = "SERVER_ERROR connection error"
	case upstream.ResBusy:
		s = "SERVER_ERROR 307 busy"
	case upstream.ResTryAgain:
		s = "SERVER_ERROR 302 try again"
	case upstream.ResShutdown:
		s = "SERVER_ERROR 301 shutdown"
	case upstream.ResTko:
		s = "SERVER_ERROR unavailable"
	case upstream.ResBadKey:
		s = "CLIENT_ERROR bad key"
	case upstream.ResBadValue:
		s = "SERVER_ERROR bad value"
	case upstream.ResAborted:
		s = "SERVER_ERROR aborted"
	case upstream.ResClientError:
		s = "CLIENT_ERROR"
	case upstream.ResLocalError:
		s = "SERVER_ERROR local error"
	case upstream.ResRemoteError:
		s = "SERVER_ERROR remote error"
	case upstream.ResDeadlineExceeded:
		s = "SERVER_ERROR request deadline exceeded"
	default:
		s = "SERVER_ERROR unknown result"
	}
	dst = append(dst, s...)
	return append(dst, crlf...)
}
