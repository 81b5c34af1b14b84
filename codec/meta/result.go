package meta

import (
	"bytes"

	"mcroute/codec"
	"mcroute/codec/mc"
)

// ToReply maps the reply element el to the answer of a request of op, the
// way mcrouter answers the same request over ASCII:
//
//   - mg hit (VA) → ResFound with Value, Flags, Cas and HasCas (gets,
//     gats); EN → ResNotFound; touch: HD → ResTouched, EN → ResNotFound;
//   - ms: HD → ResStored, NS → ResNotStored, EX → ResExists, NF →
//     ResNotFound (cas of a missing key);
//   - md: HD → ResDeleted, NF → ResNotFound;
//   - ma: VA → ResFound with Number (the data block's decimal), NF →
//     ResNotFound;
//   - flush_all, verbosity: OK → ResOK; version: VERSION → ResOK with Value = the text;
//   - any op: SERVER_ERROR → ResRemoteError (ResBusy for "307 …"),
//     CLIENT_ERROR → ResClientError, both with Msg; ERROR → ResRemoteError
//     without Msg (upstream's errorResult for ASCII).
//
// ok is false when el cannot answer op (VA to md, MN to anything, a
// non-numeric ma value…): the connection is out of step and must be
// closed. The Reply's slices are el's (borrowed from the ReplyParser).
func ToReply(op mc.Op, el *Reply) (rep mc.Reply, ok bool) {
	switch el.Kind {
	case KindClientError:
		return mc.Reply{Result: mc.ResClientError, Msg: el.Msg}, true
	case KindServerError:
		if bytes.HasPrefix(el.Msg, []byte("307 ")) || bytes.Equal(el.Msg, []byte("307")) {
			return mc.Reply{Result: mc.ResBusy, Msg: el.Msg}, true
		}
		return mc.Reply{Result: mc.ResRemoteError, Msg: el.Msg}, true
	case KindError:
		return mc.Reply{Result: mc.ResRemoteError}, true
	}
	var res mc.Result
	switch {
	case op.IsGet():
		switch el.Kind {
		case KindVA:
			return mc.Reply{Result: mc.ResFound, Flags: el.Flags, Cas: el.Cas,
				HasCas: el.HasCas && op.HasCas(), Value: el.Data}, true
		case KindEN:
			res = mc.ResNotFound
		}
	case op == mc.OpTouch:
		switch el.Kind {
		case KindHD:
			res = mc.ResTouched
		case KindEN:
			res = mc.ResNotFound
		}
	case op.IsStorage():
		switch el.Kind {
		case KindHD:
			res = mc.ResStored
		case KindNS:
			res = mc.ResNotStored
		case KindEX:
			res = mc.ResExists
		case KindNF:
			res = mc.ResNotFound
		}
	case op == mc.OpDelete:
		switch el.Kind {
		case KindHD:
			res = mc.ResDeleted
		case KindNF:
			res = mc.ResNotFound
		}
	case op == mc.OpIncr || op == mc.OpDecr:
		switch el.Kind {
		case KindVA:
			n, ok := codec.ParseUint(el.Data)
			if !ok {
				return mc.Reply{}, false
			}
			return mc.Reply{Result: mc.ResFound, Number: n}, true
		case KindNF:
			res = mc.ResNotFound
		}
	case op == mc.OpFlushAll || op == mc.OpVerbosity:
		if el.Kind == KindOK {
			res = mc.ResOK
		}
	case op == mc.OpVersion:
		if el.Kind == KindVersion {
			return mc.Reply{Result: mc.ResOK, Value: el.Msg}, true
		}
	}
	if res == mc.ResUnknown {
		return mc.Reply{}, false
	}
	return mc.Reply{Result: res}, true
}
