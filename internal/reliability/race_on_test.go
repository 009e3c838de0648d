//go:build race

package reliability

// raceEnabled: the race detector's own bookkeeping grows the heap with the
// number of goroutines and sync events, so the soak's heap margin is wider.
const raceEnabled = true
