//go:build race

package features

// raceOn: the race detector empties sync.Pools at random, so allocation
// counts mean nothing under it.
const raceOn = true
