//go:build !linux

package bench

import "time"

// pacer falls back to time.Sleep outside Linux, which may be up to ~1 ms
// late for short waits; the open-loop send lag shows it.
type pacer struct{}

func newPacer() *pacer { return &pacer{} }

func (p *pacer) sleep(d time.Duration) { time.Sleep(d) }

func (p *pacer) close() {}

// cpuTime is not measured outside Linux.
func cpuTime() (user, sys time.Duration) { return 0, 0 }
