//go:build !race

package features

const raceOn = false
