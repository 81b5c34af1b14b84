//go:build race

package hashfunc

// raceEnabled trims the slowest bulk loops under -race, which slows this
// single-goroutine arithmetic down 20-fold without finding anything in it.
const raceEnabled = true
