package upstream

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"mcroute/codec/mc"
)

// fuzzReq is one client request of TestWrongReplySequences and what
// it got back.
type fuzzReq struct {
	t       *testing.T
	client  int
	op      mc.Op
	key     string
	replies int
	res     mc.Result
}

func (q *fuzzReq) OnReply(rep *mc.Reply) {
	q.replies++
	q.res = rep.Result
	if q.replies > 1 {
		q.t.Errorf("client %d %s %s: answered twice", q.client, q.op, q.key)
	}
	switch rep.Result {
	case mc.ResFound:
		if !q.op.IsGet() || string(rep.Value) != "val-of-"+q.key {
			q.t.Errorf("client %d %s %s got a hit with %q: another request's reply", q.client, q.op, q.key, rep.Value)
		}
	case mc.ResNotFound:
		if !q.op.IsGet() && q.op != mc.OpDelete {
			q.t.Errorf("client %d %s %s got NOT_FOUND", q.client, q.op, q.key)
		}
	case mc.ResStored:
		if q.op != mc.OpSet {
			q.t.Errorf("client %d %s %s got STORED", q.client, q.op, q.key)
		}
	case mc.ResDeleted:
		if q.op != mc.OpDelete {
			q.t.Errorf("client %d %s %s got DELETED", q.client, q.op, q.key)
		}
	default:
		if !rep.Result.IsError() {
			q.t.Errorf("client %d %s %s got %s", q.client, q.op, q.key, rep.Result)
		}
	}
}

// serverReplies answers what the fake server read: a list of reply units
// (a VALUE block, END, a one-line reply), correct for the requests.
func serverReplies(wire []byte) []string {
	var units []string
	for len(wire) > 0 {
		i := bytes.Index(wire, []byte("\r\n"))
		line := string(wire[:i])
		wire = wire[i+2:]
		f := strings.Fields(line)
		switch f[0] {
		case "get":
			for _, k := range f[1:] {
				if hit(k) {
					v := "val-of-" + k
					units = append(units, fmt.Sprintf("VALUE %s 0 %d\r\n%s\r\n", k, len(v), v))
				}
			}
			units = append(units, "END\r\n")
		case "set":
			n, _ := strconv.Atoi(f[4])
			wire = wire[n+2:]
			units = append(units, "STORED\r\n")
		case "delete":
			units = append(units, "DELETED\r\n")
		}
	}
	return units
}

func hit(k string) bool { return len(k)%2 == 0 }

// corrupt applies one wrong-reply pattern to units.
func corrupt(rng *rand.Rand, units []string, otherKey string) []string {
	pos := rng.IntN(len(units) + 1)
	ins := func(s string) []string {
		return append(units[:pos:pos], append([]string{s}, units[pos:]...)...)
	}
	v := "val-of-" + otherKey
	switch rng.IntN(9) {
	case 0: // extra line
		return ins([]string{"STORED\r\n", "END\r\n", "DELETED\r\n", "NOT_FOUND\r\n", "EXISTS\r\n"}[rng.IntN(5)])
	case 1: // missing line
		if len(units) > 0 {
			i := rng.IntN(len(units))
			return append(units[:i:i], units[i+1:]...)
		}
	case 2: // VALUE for a key nobody here asked for
		return ins(fmt.Sprintf("VALUE %s 0 %d\r\n%s\r\n", otherKey, len(v), v))
	case 3: // a duplicated line
		if len(units) > 0 {
			return ins(units[rng.IntN(len(units))])
		}
	case 4: // garbage
		return ins("HELLO there\r\n")
	case 5: // a number where a get reply should be
		return ins("42\r\n")
	case 6: // STORED to a get: replace an END
		for i, u := range units {
			if u == "END\r\n" {
				units[i] = "STORED\r\n"
				break
			}
		}
	case 7: // two replies swapped
		if len(units) > 1 {
			i := rng.IntN(len(units) - 1)
			units[i], units[i+1] = units[i+1], units[i]
		}
	case 8: // an error line somewhere
		return ins([]string{"ERROR\r\n", "CLIENT_ERROR bad data chunk\r\n", "SERVER_ERROR out of memory\r\n"}[rng.IntN(3)])
	}
	return units
}

// TestWrongReplySequences: clients pipeline requests with distinct keys
// through one Conn while the fake server answers with random, plausible
// but wrong reply sequences. No request may ever get a reply that belongs
// to another (a value naming another key, a reply kind its command cannot
// get), every request is answered exactly once, and a connection whose
// replies went wrong is dropped.
func TestWrongReplySequences(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	l := NewLoop(nil, Options{TKO: noTKO, MaxBatchKeys: 4})
	srv := NewServer("127.0.0.1", 7010, time.Second, 0)
	c := l.Conn(srv)
	l.dialHook = func(*Conn, *Server) {}
	var f *fakeConn
	seq, drops, errs, hits := 0, 0, 0, 0
	start := time.Now()
	for round := 0; round < 2000 && time.Since(start) < 3*time.Second; round++ {
		if !c.Up() {
			f = &fakeConn{}
			c.Attach(f)
		}
		var reqs []*fuzzReq
		for n := 1 + rng.IntN(12); n > 0; n-- {
			seq++
			q := &fuzzReq{t: t, client: rng.IntN(4), key: fmt.Sprintf("c%dk%d", rng.IntN(4), seq)}
			q.key += strings.Repeat("x", rng.IntN(2))
			if rng.IntN(40) == 0 {
				q.key = strings.Repeat("z", 251) // never sent
			}
			req := &mc.Request{Key: []byte(q.key)}
			switch r := rng.IntN(10); {
			case r < 6:
				q.op = []mc.Op{mc.OpGet, mc.OpGet, mc.OpGets}[rng.IntN(3)]
			case r < 8:
				q.op = mc.OpSet
				req.Value = []byte("val-of-" + q.key)
			default:
				q.op = mc.OpDelete
			}
			req.Op = q.op
			c.Send(srv, req, req.Key, q)
			reqs = append(reqs, q)
		}
		l.Flush()
		units := serverReplies(f.Out.Bytes())
		f.Out.Reset()
		bad := rng.IntN(3) != 0
		if bad {
			for k := 1 + rng.IntN(2); k > 0; k-- {
				units = corrupt(rng, units, fmt.Sprintf("c%dk%d", rng.IntN(4), seq-rng.IntN(20)))
			}
		}
		stream := strings.Join(units, "")
		wasUp := c.Up()
		for len(stream) > 0 && c.Up() && f.In.Len() == 0 {
			n := 1 + rng.IntN(len(stream))
			feed(t, c, f, stream[:n])
			stream = stream[n:]
		}
		if wasUp && !c.Up() {
			drops++
		}
		// Requests whose replies went missing: time out, then the
		// wedged connection is dropped.
		if c.Pending() > 0 {
			l.Sweep(l.now + int64(time.Hour))
			l.Flush()
		}
		if c.Pending() != 0 {
			t.Fatalf("round %d: %d requests still pending", round, c.Pending())
		}
		for _, q := range reqs {
			if q.replies != 1 {
				t.Fatalf("round %d: %s %s answered %d times", round, q.op, q.key, q.replies)
			}
			if q.res.IsError() {
				errs++
			}
			if q.res == mc.ResFound {
				hits++
			}
		}
		if t.Failed() {
			t.Fatalf("round %d, stream %q", round, strings.Join(units, ""))
		}
	}
	if drops == 0 || errs == 0 || hits == 0 {
		t.Fatalf("the test did not exercise much: %d drops, %d errors, %d hits", drops, errs, hits)
	}
	t.Logf("%d drops, %d errors, %d hits", drops, errs, hits)
}
