package oracle

import (
	"container/list"
	"context"
	"sync"
)

// gate bounds upstream calls in flight with a window that adapts to the
// upstream's rate limit (AIMD, as TCP congestion control): a call refused
// with 429 halves the window, `window` successes in a row grow it by one,
// back up to the configured concurrency. Waiters are served first in,
// first out, and each release wakes exactly one of them, so thousands of
// queued calls cost nothing while they wait.
type gate struct {
	mu       sync.Mutex
	max      int
	window   int
	inflight int
	// epoch counts decreases. A call remembers the epoch it started in, and
	// only a 429 from the current epoch shrinks the window: a burst of
	// refusals from calls sent together is one congestion signal, not many.
	epoch   uint64
	grown   int // successes in the current epoch since the window last changed
	waiters list.List
	// onChange is called after every window change, under the lock: it
	// must not call back into the gate.
	onChange func(from, to, max int)
}

type gateWaiter struct {
	ready   chan uint64 // receives the epoch when the slot is granted
	granted bool
}

func newGate(max int, onChange func(from, to, max int)) *gate {
	return &gate{max: max, window: max, onChange: onChange}
}

// acquire waits for a slot and returns the epoch it was granted in; it
// fails only when ctx is done, holding no slot.
func (g *gate) acquire(ctx context.Context) (uint64, error) {
	g.mu.Lock()
	if g.inflight < g.window && g.waiters.Len() == 0 {
		g.inflight++
		e := g.epoch
		g.mu.Unlock()
		return e, nil
	}
	w := &gateWaiter{ready: make(chan uint64, 1)}
	el := g.waiters.PushBack(w)
	g.mu.Unlock()
	select {
	case e := <-w.ready:
		return e, nil
	case <-ctx.Done():
	}
	g.mu.Lock()
	if w.granted {
		// Granted while we were giving up: pass the slot on.
		g.inflight--
		g.grantLocked()
	} else {
		g.waiters.Remove(el)
	}
	g.mu.Unlock()
	return 0, ctx.Err()
}

// release frees a slot taken by acquire.
func (g *gate) release() {
	g.mu.Lock()
	g.inflight--
	g.grantLocked()
	g.mu.Unlock()
}

func (g *gate) grantLocked() {
	for g.inflight < g.window && g.waiters.Len() > 0 {
		w := g.waiters.Remove(g.waiters.Front()).(*gateWaiter)
		w.granted = true
		g.inflight++
		w.ready <- g.epoch
	}
}

// succeeded records a call started in epoch that the upstream accepted.
func (g *gate) succeeded(epoch uint64) {
	g.mu.Lock()
	if epoch != g.epoch || g.window >= g.max {
		g.mu.Unlock()
		return
	}
	g.grown++
	if g.grown < g.window {
		g.mu.Unlock()
		return
	}
	g.window++
	g.grown = 0
	g.notifyLocked(g.window-1, g.window)
	g.grantLocked()
	g.mu.Unlock()
}

// rateLimited records a call started in epoch that the upstream refused
// with 429 after the client's retries; the caller still holds its slot. The
// window halves from what was really in flight, not from the configured
// maximum: with --concurrency 128 but only 40 calls in flight under --rps,
// halving 128 would not slow anything down.
func (g *gate) rateLimited(epoch uint64) {
	g.mu.Lock()
	if epoch != g.epoch {
		g.mu.Unlock()
		return
	}
	g.epoch++
	g.grown = 0
	from := g.window
	g.window = max(1, min(g.window, g.inflight)/2)
	if g.window != from {
		g.notifyLocked(from, g.window)
	}
	g.mu.Unlock()
}

// notifyLocked runs under the lock so that changes are reported in the
// order they happened; they are rare (at most one per window of calls).
func (g *gate) notifyLocked(from, to int) {
	if g.onChange != nil {
		g.onChange(from, to, g.max)
	}
}

// size returns the current window.
func (g *gate) size() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.window
}
