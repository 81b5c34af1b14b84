//go:build !race

package hashfunc

const raceEnabled = false
