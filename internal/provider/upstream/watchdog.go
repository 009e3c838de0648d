package upstream

import (
	"context"
	"sync"
	"time"
)

// Watchdog cancels a stream's context when no data arrived for the idle
// timeout, so a hung upstream cannot hold a connection (and a client) open
// forever. Kick it on every read; Stop it when the stream is closed.
type Watchdog struct {
	mu      sync.Mutex
	timer   *time.Timer
	idle    time.Duration
	fired   bool
	stopped bool
}

// NewWatchdog starts a watchdog calling cancel after idle without a Kick.
// A zero or negative idle disables it.
func NewWatchdog(idle time.Duration, cancel context.CancelFunc) *Watchdog {
	w := &Watchdog{idle: idle}
	if idle > 0 {
		w.timer = time.AfterFunc(idle, func() {
			w.mu.Lock()
			if !w.stopped {
				w.fired = true
			}
			w.mu.Unlock()
			cancel()
		})
	}
	return w
}

// Kick restarts the idle countdown.
func (w *Watchdog) Kick() {
	if w.timer == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped && !w.fired {
		w.timer.Reset(w.idle)
	}
}

// Fired reports whether the watchdog cancelled the stream.
func (w *Watchdog) Fired() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fired
}

// Stop disarms the watchdog.
func (w *Watchdog) Stop() {
	if w.timer == nil {
		return
	}
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	w.timer.Stop()
}
