package engine

// LoopYields returns how many times the event loops passed through the Go
// scheduler (loopState.yield), summed over loops.
func (e *Engine) LoopYields() uint64 {
	var n uint64
	for _, ls := range *e.list.Load() {
		n += ls.stats.yields.Load()
	}
	return n
}

// LoopYieldsUnwritten returns how many of the loops' yields were taken
// with replies not yet written, summed over loops.
func (e *Engine) LoopYieldsUnwritten() uint64 {
	var n uint64
	for _, ls := range *e.list.Load() {
		n += ls.stats.yieldsUnwritten.Load()
	}
	return n
}

// LoopYieldEvery is loopYieldEvery.
const LoopYieldEvery = loopYieldEvery
