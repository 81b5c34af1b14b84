package router

// Some handles keep state per event loop that belongs to one handle
// instance rather than to one request: OutstandingLimitRoute's count and
// queue, SlowWarmUpRoute's hit rate, LoadBalancerRoute's loads. Each such
// handle takes a slot number when it is built (newLoopSlot, shared with
// FailoverRoute's); a Ctx keeps a table of values from the lowest slot it
// has seen, made on first use, so the request path does no map lookup and
// takes no lock.

var handleSlotsKind = newStateKind()

type handleSlots struct {
	base  int64
	items []any
}

// handleState returns ctx's *T for slot, creating it on first use. All
// uses of one slot must agree on T.
func handleState[T any](ctx *Ctx, slot int64) *T {
	t, _ := ctx.pools[handleSlotsKind].(*handleSlots)
	if t != nil {
		if i := slot - t.base; i >= 0 && i < int64(len(t.items)) {
			if v, ok := t.items[i].(*T); ok {
				return v
			}
		}
	}
	return newHandleState[T](ctx, t, slot)
}

func newHandleState[T any](ctx *Ctx, t *handleSlots, slot int64) *T {
	if t == nil {
		t = &handleSlots{base: slot}
		ctx.pools[handleSlotsKind] = t
	}
	if slot < t.base {
		grown := make([]any, t.base-slot+int64(len(t.items)))
		copy(grown[t.base-slot:], t.items)
		t.items, t.base = grown, slot
	}
	for slot-t.base >= int64(len(t.items)) {
		t.items = append(t.items, nil)
	}
	v := new(T)
	t.items[slot-t.base] = v
	return v
}
