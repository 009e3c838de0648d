//go:build race

package router

// raceEnabled reports a -race build, where the golden digests (six full
// trainings) are skipped: TestTrainDeterministicBytes already trains
// under the race detector.
const raceEnabled = true
