package meta

import (
	"strconv"

	"mcroute/codec"
	"mcroute/codec/mc"
)

// ValidKey reports whether key can be sent as a meta key as it is: 1 to
// MaxKeyLen bytes, none of them a space, a control character or DEL
// (memcached splits a meta command at spaces and ends it at "\n"). The
// ASCII protocol has the same rule, so a key mcroute accepted from a text
// client always passes. A binary key could travel base64-encoded with the
// b flag; mcroute never needs that and does not send it.
func ValidKey(key []byte) bool {
	if len(key) == 0 || len(key) > MaxKeyLen {
		return false
	}
	for _, c := range key {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// SentAsASCII reports whether AppendRequest writes r in the ASCII protocol
// rather than as a meta command. Their replies (OK, VERSION, or an error
// line) carry no opaque token and are matched by order alone:
//
//   - version and flush_all, which have no meta form;
//   - delete with a non-zero exptime, which md cannot express (md's T only
//     works with I, which marks the item stale instead of removing it).
//     mcrouter forwards "delete <key> <exptime>" and memcached 1.6 answers
//     "CLIENT_ERROR bad command line format…"; sending the same line keeps
//     that reply byte for byte;
//   - anything else that is not a single-key data command (never sent to a
//     server by mcroute; written as codec.AppendRequest does).
func SentAsASCII(r *mc.Request) bool {
	switch op := r.Op; {
	case op.IsGet(), op.IsStorage(), op == mc.OpIncr, op == mc.OpDecr, op == mc.OpTouch:
		return false
	case op == mc.OpDelete:
		return r.HasExptime && r.Exptime != 0
	}
	return true
}

// AppendRequest appends the meta form of the single-key request r to dst,
// with key in place of r's own key and opaque as its O token:
//
//	get   mg <key> v f O<opaque>
//	gets  mg <key> v f c O<opaque>
//	gat   mg <key> v f T<exptime> O<opaque>
//	gats  mg <key> v f c T<exptime> O<opaque>
//	touch mg <key> T<exptime> O<opaque>            (HD or EN)
//	set   ms <key> <len> [F<flags>] [T<exptime>] O<opaque>\r\n<data>
//	add, replace, append, prepend: the same with ME, MR, MA, MP
//	cas   ms <key> <len> [F<flags>] [T<exptime>] C<cas> O<opaque>\r\n<data>
//	delete md <key> O<opaque>
//	incr  ma <key> D<delta> v O<opaque>             (no N: a miss is NF)
//	decr  ma <key> MD D<delta> v O<opaque>
//
// F and T are left out when zero (memcached's default), and for append and
// prepend, which ignore them as the ASCII commands do. When r.Quiet is set
// the q flag is added before O (except to incr and decr): memcached then
// stays silent on the common outcome (see Silent) and the caller fences the
// batch with AppendNoop. Requests SentAsASCII are written as
// codec.AppendRequest writes them, without opaque or q. Every line ends
// with "\r\n". key must satisfy ValidKey; AppendRequest does not check.
func AppendRequest(dst []byte, r *mc.Request, key []byte, opaque uint32) []byte {
	op := r.Op
	switch {
	case op.IsGet():
		dst = append(dst, "mg "...)
		dst = append(dst, key...)
		dst = append(dst, " v f"...)
		if op.HasCas() {
			dst = append(dst, " c"...)
		}
		if op == mc.OpGat || op == mc.OpGats {
			dst = append(dst, " T"...)
			dst = strconv.AppendInt(dst, r.Exptime, 10)
		}
	case op == mc.OpTouch:
		dst = append(dst, "mg "...)
		dst = append(dst, key...)
		dst = append(dst, " T"...)
		dst = strconv.AppendInt(dst, r.Exptime, 10)
	case op.IsStorage():
		dst = append(dst, "ms "...)
		dst = append(dst, key...)
		dst = append(dst, ' ')
		dst = strconv.AppendUint(dst, uint64(len(r.Value)), 10)
		if op != mc.OpAppend && op != mc.OpPrepend {
			if r.Flags != 0 {
				dst = append(dst, " F"...)
				dst = strconv.AppendUint(dst, r.Flags, 10)
			}
			if r.Exptime != 0 {
				dst = append(dst, " T"...)
				dst = strconv.AppendInt(dst, r.Exptime, 10)
			}
		}
		switch op {
		case mc.OpAdd:
			dst = append(dst, " ME"...)
		case mc.OpReplace:
			dst = append(dst, " MR"...)
		case mc.OpAppend:
			dst = append(dst, " MA"...)
		case mc.OpPrepend:
			dst = append(dst, " MP"...)
		case mc.OpCas:
			dst = append(dst, " C"...)
			dst = strconv.AppendUint(dst, r.Cas, 10)
		}
		dst = appendTail(dst, r.Quiet, opaque)
		dst = append(dst, r.Value...)
		return append(dst, '\r', '\n')
	case op == mc.OpDelete && !SentAsASCII(r):
		dst = append(dst, "md "...)
		dst = append(dst, key...)
	case op == mc.OpIncr || op == mc.OpDecr:
		dst = append(dst, "ma "...)
		dst = append(dst, key...)
		if op == mc.OpDecr {
			dst = append(dst, " MD"...)
		}
		dst = append(dst, " D"...)
		dst = strconv.AppendUint(dst, r.Delta, 10)
		// Never quiet: ma q would suppress the VA with the new value.
		dst = append(dst, " v O"...)
		dst = strconv.AppendUint(dst, uint64(opaque), 10)
		return append(dst, '\r', '\n')
	default:
		return codec.AppendRequest(dst, r, key)
	}
	return appendTail(dst, r.Quiet, opaque)
}

// appendTail appends "[ q] O<opaque>\r\n".
func appendTail(dst []byte, quiet bool, opaque uint32) []byte {
	if quiet {
		dst = append(dst, " q"...)
	}
	dst = append(dst, " O"...)
	dst = strconv.AppendUint(dst, uint64(opaque), 10)
	return append(dst, '\r', '\n')
}

// AppendNoop appends "mn\r\n", whose answer MN tells that every earlier
// request on the connection has been answered: the fence that ends a batch
// of quiet requests.
func AppendNoop(dst []byte) []byte { return append(dst, "mn\r\n"...) }

// Silent returns the result of a quiet request (r.Quiet) for which
// memcached sent nothing before a later reply or the MN fence, as checked
// against memcached 1.6.18: mg suppresses EN (get-like and touch:
// ResNotFound), ms suppresses HD (ResStored), md suppresses HD
// (ResDeleted). Every other outcome, hits and errors included, is always
// sent. ok is false for the ops AppendRequest never makes quiet: incr and
// decr (ma suppresses even the VA that carries the new value) and
// everything SentAsASCII.
func Silent(op mc.Op) (res mc.Result, ok bool) {
	switch {
	case op.IsGet(), op == mc.OpTouch:
		return mc.ResNotFound, true
	case op.IsStorage():
		return mc.ResStored, true
	case op == mc.OpDelete:
		return mc.ResDeleted, true
	}
	return mc.ResUnknown, false
}
