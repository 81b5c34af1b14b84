// Copyright (c) 2023 The Gnet Authors. All rights reserved.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//      http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

//go:build (darwin || dragonfly || freebsd || linux || netbsd || openbsd) && !gc_opt

package gnet

import (
	"math/bits"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2/internal/gfd"
)

// connGFD is embedded in conn: without gc_opt nothing reads a conn's gnet
// fd, so it takes no room (mcroute patch, PATCH.md §8; upstream: a 16 B
// gfd field in every conn).
type connGFD struct{}

func (*connGFD) setGFD(gfd.GFD) {}

// connMatrix holds a loop's connections by fd. mcroute patch (PATCH.md §8):
// upstream's map[int]*conn took ~36 B per connection and threw away as
// much again each time it grew; this is an open-addressing table of conn
// pointers keyed by conn.fd (linear probing, Fibonacci hashing, no key
// stored: the key is the conn's own fd), 8 B per slot at a load between
// 3/16 and 3/4: 11-43 B per connection, ~16 B at 1,000. It shrinks when a
// burst of connections has gone. Only the loop's goroutine touches slots;
// connCount is read by the load balancer from the acceptor.
type connMatrix struct {
	connCount int32
	slots     []*conn // nil, or a power of two of them; nil slots are empty
	shift     uint8   // 64 - log2(len(slots))
	used      int     // non-nil slots
}

const connTableMin = 16 // slots, once the first connection arrives

func (cm *connMatrix) init() {}

// home is fd's first slot.
func (cm *connMatrix) home(fd int) int {
	return int((uint64(fd) * 0x9E3779B97F4A7C15) >> cm.shift)
}

// find returns the slot holding the conn with this fd, or -1.
func (cm *connMatrix) find(fd int) int {
	if cm.used == 0 {
		return -1
	}
	mask := len(cm.slots) - 1
	for i := cm.home(fd); ; i = (i + 1) & mask {
		c := cm.slots[i]
		if c == nil {
			return -1
		}
		if c.fd == fd {
			return i
		}
	}
}

// resize rehashes the table into n slots (a power of two, or 0).
func (cm *connMatrix) resize(n int) {
	old := cm.slots
	cm.slots, cm.used = nil, 0
	if n == 0 {
		return
	}
	cm.slots = make([]*conn, n)
	cm.shift = uint8(64 - bits.TrailingZeros(uint(n)))
	for _, c := range old {
		if c != nil {
			cm.insert(c)
		}
	}
}

// insert puts c in the slot of its fd (replacing a conn with the same fd,
// as the map did); there is room.
func (cm *connMatrix) insert(c *conn) {
	mask := len(cm.slots) - 1
	i := cm.home(c.fd)
	for cm.slots[i] != nil && cm.slots[i].fd != c.fd {
		i = (i + 1) & mask
	}
	if cm.slots[i] == nil {
		cm.used++
	}
	cm.slots[i] = c
}

// remove empties slot i, shifting back the entries after it that probed
// past it, so that every entry stays reachable from its home slot.
func (cm *connMatrix) remove(i int) {
	mask := len(cm.slots) - 1
	cm.slots[i] = nil
	cm.used--
	for j := (i + 1) & mask; cm.slots[j] != nil; j = (j + 1) & mask {
		k := cm.home(cm.slots[j].fd)
		// The entry at j may move to i unless its home k lies cyclically
		// in (i, j].
		if (i <= j && (k <= i || k > j)) || (i > j && k <= i && k > j) {
			cm.slots[i], cm.slots[j] = cm.slots[j], nil
			i = j
		}
	}
}

// iterate calls f for each connection until f returns false. f may close
// connections (closeConns does): it runs over a copy, and a conn that is
// no longer in the table when its turn comes is skipped, as deleting from
// the map during range skipped it.
func (cm *connMatrix) iterate(f func(*conn) bool) {
	conns := make([]*conn, 0, cm.used)
	for _, c := range cm.slots {
		if c != nil {
			conns = append(conns, c)
		}
	}
	for _, c := range conns {
		if i := cm.find(c.fd); i < 0 || cm.slots[i] != c {
			continue
		}
		if !f(c) {
			return
		}
	}
}

func (cm *connMatrix) incCount(_ int, delta int32) {
	atomic.AddInt32(&cm.connCount, delta)
}

func (cm *connMatrix) loadCount() (n int32) {
	return atomic.LoadInt32(&cm.connCount)
}

func (cm *connMatrix) addConn(c *conn, index int) {
	c.setGFD(gfd.NewGFD(c.fd, index, 0, 0)) // mcroute patch: a no-op without gc_opt
	if (cm.used+1)*4 > len(cm.slots)*3 {
		n := 2 * len(cm.slots)
		if n < connTableMin {
			n = connTableMin
		}
		cm.resize(n)
	}
	cm.insert(c)
	cm.incCount(0, 1)
}

func (cm *connMatrix) delConn(c *conn) {
	if i := cm.find(c.fd); i >= 0 {
		cm.remove(i)
		if n := len(cm.slots); n > connTableMin && cm.used*16 < n*3 {
			cm.resize(n / 2) // load 3/8 after
		}
	}
	cm.incCount(0, -1)
}

func (cm *connMatrix) getConn(fd int) *conn {
	if i := cm.find(fd); i >= 0 {
		return cm.slots[i]
	}
	return nil
}

/*
func (cm *connMatrix) getConnByGFD(fd gfd.GFD) *conn {
	return cm.connMap[fd.Fd()]
}
*/
