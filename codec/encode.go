package codec

import (
	"mcroute/codec/mc"
	"strconv"
)

// Canned reply lines, written to clients as they are. They are shared: never
// modify them (append them to your own buffer, or write them as they are).
var (
	CRLF        = []byte("\r\n")
	End         = []byte("END\r\n")
	Stored      = []byte("STORED\r\n")
	NotStored   = []byte("NOT_STORED\r\n")
	Exists      = []byte("EXISTS\r\n")
	NotFound    = []byte("NOT_FOUND\r\n")
	Deleted     = []byte("DELETED\r\n")
	Touched     = []byte("TOUCHED\r\n")
	OK          = []byte("OK\r\n")
	Error       = []byte("ERROR\r\n")
	ClientError = []byte("CLIENT_ERROR\r\n")
	ServerError = []byte("SERVER_ERROR\r\n")
	// UnknownResult is what mcrouter writes for a result it cannot encode
	// (mcrouter-behaviour.md §5.4).
	UnknownResult = []byte("SERVER_ERROR unknown result\r\n")
)

// AppendUint appends the decimal form of n to dst.
func AppendUint(dst []byte, n uint64) []byte { return strconv.AppendUint(dst, n, 10) }

// AppendInt appends the decimal form of n to dst.
func AppendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

// AppendCRLF appends "\r\n" to dst.
func AppendCRLF(dst []byte) []byte { return append(dst, '\r', '\n') }

// AppendValue appends one hit of a retrieval reply,
// "VALUE <key> <flags> <len(data)>[ <cas>]\r\n<data>\r\n", to dst. The cas
// unique is written when withCas is set (gets, gats).
func AppendValue(dst, key []byte, flags uint64, data []byte, cas uint64, withCas bool) []byte {
	dst = append(dst, "VALUE "...)
	dst = append(dst, key...)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, flags, 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(len(data)), 10)
	if withCas {
		dst = append(dst, ' ')
		dst = strconv.AppendUint(dst, cas, 10)
	}
	dst = append(dst, '\r', '\n')
	dst = append(dst, data...)
	return append(dst, '\r', '\n')
}

// AppendNumber appends an incr/decr reply, "<n>\r\n", to dst.
func AppendNumber(dst []byte, n uint64) []byte {
	dst = strconv.AppendUint(dst, n, 10)
	return append(dst, '\r', '\n')
}

// AppendStat appends "STAT <name> <value>\r\n" to dst.
func AppendStat(dst, name, value []byte) []byte {
	dst = append(dst, "STAT "...)
	dst = append(dst, name...)
	dst = append(dst, ' ')
	dst = append(dst, value...)
	return append(dst, '\r', '\n')
}

// AppendReplyLine appends the one-line reply of the given kind to dst
// (mcrouter-behaviour.md §5.4):
//
//   - ReplyClientError: "CLIENT_ERROR <msg>", or a bare "CLIENT_ERROR" when
//     msg is empty;
//   - ReplyServerError: "SERVER_ERROR <msg>" ("SERVER_ERROR" when empty);
//   - ReplyError: "ERROR[ <msg>]"; ReplyVersion: "VERSION <msg>";
//   - ReplyStat: "STAT <msg>", msg holding "<name> <value>";
//   - ReplyNumber: msg as it is (the decimal text);
//   - the fixed words (END, STORED, …, RESET): the word, msg ignored;
//   - ReplyValue, ReplyNone and unknown kinds, which no single line can
//     carry: "SERVER_ERROR unknown result".
//
// Every line ends with "\r\n".
func AppendReplyLine(dst []byte, kind ReplyKind, msg []byte) []byte {
	var word string
	switch kind {
	case ReplyEnd:
		return append(dst, End...)
	case ReplyStored:
		return append(dst, Stored...)
	case ReplyNotStored:
		return append(dst, NotStored...)
	case ReplyExists:
		return append(dst, Exists...)
	case ReplyNotFound:
		return append(dst, NotFound...)
	case ReplyDeleted:
		return append(dst, Deleted...)
	case ReplyTouched:
		return append(dst, Touched...)
	case ReplyOK:
		return append(dst, OK...)
	case ReplyReset:
		return append(dst, "RESET\r\n"...)
	case ReplyNumber:
		dst = append(dst, msg...)
		return append(dst, '\r', '\n')
	case ReplyError:
		word = "ERROR"
	case ReplyClientError:
		word = "CLIENT_ERROR"
	case ReplyServerError:
		word = "SERVER_ERROR"
	case ReplyVersion:
		word = "VERSION"
	case ReplyStat:
		word = "STAT"
	default:
		return append(dst, UnknownResult...)
	}
	dst = append(dst, word...)
	if len(msg) > 0 {
		dst = append(dst, ' ')
		dst = append(dst, msg...)
	}
	return append(dst, '\r', '\n')
}

// Upstream requests. mcroute always wants the server's reply, so these
// encoders never write noreply: a client's noreply is honoured by not
// forwarding the reply.

// AppendGetStart appends the start of a retrieval request to dst: "get",
// "gets", "gat <exptime>" or "gats <exptime>" by op (any other op writes
// "get"). Follow it with AppendKey for each key and AppendCRLF.
func AppendGetStart(dst []byte, op mc.Op, exptime int64) []byte {
	switch op {
	case mc.OpGets:
		return append(dst, "gets"...)
	case mc.OpGat, mc.OpGats:
		dst = append(dst, op.String()...)
		dst = append(dst, ' ')
		return strconv.AppendInt(dst, exptime, 10)
	}
	return append(dst, "get"...)
}

// AppendKey appends " <key>" to dst.
func AppendKey(dst, key []byte) []byte {
	dst = append(dst, ' ')
	return append(dst, key...)
}

// AppendRequest appends the upstream form of a single-key request r to dst,
// with key in place of r's own key (routing may have rewritten it):
//
//   - get/gets/gat/gats: the retrieval of key alone;
//   - set/add/replace/append/prepend/cas: the command line and r.Value as
//     its data block;
//   - delete: "delete <key>", with r.Exptime only when HasExptime and
//     non-zero (mcrouter-behaviour.md §5.2);
//   - incr/decr: "<op> <key> <delta>"; touch: "touch <key> <exptime>";
//   - version and flush_all: as AppendVersion and AppendFlushAll;
//   - other commands: "<op>", key unused.
//
// Everything ends with "\r\n"; noreply is never written.
func AppendRequest(dst []byte, r *mc.Request, key []byte) []byte {
	op := r.Op
	switch {
	case op.IsGet():
		dst = AppendGetStart(dst, op, r.Exptime)
		dst = AppendKey(dst, key)
	case op.IsStorage():
		dst = append(dst, op.String()...)
		dst = AppendKey(dst, key)
		dst = append(dst, ' ')
		dst = strconv.AppendUint(dst, r.Flags, 10)
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, r.Exptime, 10)
		dst = append(dst, ' ')
		dst = strconv.AppendUint(dst, uint64(len(r.Value)), 10)
		if op == mc.OpCas {
			dst = append(dst, ' ')
			dst = strconv.AppendUint(dst, r.Cas, 10)
		}
		dst = append(dst, '\r', '\n')
		dst = append(dst, r.Value...)
	case op == mc.OpDelete:
		dst = append(dst, "delete"...)
		dst = AppendKey(dst, key)
		if r.HasExptime && r.Exptime != 0 {
			dst = append(dst, ' ')
			dst = strconv.AppendInt(dst, r.Exptime, 10)
		}
	case op == mc.OpIncr || op == mc.OpDecr:
		dst = append(dst, op.String()...)
		dst = AppendKey(dst, key)
		dst = append(dst, ' ')
		dst = strconv.AppendUint(dst, r.Delta, 10)
	case op == mc.OpTouch:
		dst = append(dst, "touch"...)
		dst = AppendKey(dst, key)
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, r.Exptime, 10)
	case op == mc.OpVersion:
		return AppendVersion(dst)
	case op == mc.OpFlushAll:
		return AppendFlushAll(dst, r)
	default:
		dst = append(dst, op.String()...)
	}
	return append(dst, '\r', '\n')
}

// AppendFlushAll appends "flush_all[ <delay>]\r\n" to dst, with r.Exptime
// as the delay when r.HasExptime.
func AppendFlushAll(dst []byte, r *mc.Request) []byte {
	dst = append(dst, "flush_all"...)
	if r.HasExptime {
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, r.Exptime, 10)
	}
	return append(dst, '\r', '\n')
}

// AppendVersion appends "version\r\n" to dst.
func AppendVersion(dst []byte) []byte { return append(dst, "version\r\n"...) }
