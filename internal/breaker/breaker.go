// Package breaker is the circuit breaker in front of the gateway's shared
// Redis: after one failed call the breaker opens and callers skip Redis
// entirely (no dial per request, so an outage costs microseconds, not the
// client's timeouts), while a background probe half-opens it and closes it
// once Redis answers again.
package breaker

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Breaker is safe for concurrent use. The zero value is not usable; use New.
type Breaker struct {
	probe    func(context.Context) error
	interval time.Duration
	onChange func(open bool)

	open    atomic.Bool
	trips   atomic.Int64
	mu      sync.Mutex
	probing bool
	stop    chan struct{}
	stopped bool
	wg      sync.WaitGroup
}

// New returns a closed breaker. probe checks the dependency (a PING);
// interval is how often an open breaker probes, also the probe's timeout.
// onChange, if not nil, runs in the probe's goroutine or the failing
// caller's after each transition.
func New(probe func(context.Context) error, interval time.Duration, onChange func(open bool)) *Breaker {
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	return &Breaker{probe: probe, interval: interval, onChange: onChange, stop: make(chan struct{})}
}

// Allow reports whether a call may go to the dependency.
func (b *Breaker) Allow() bool { return !b.open.Load() }

// Open reports whether the breaker is open (the dependency is down).
func (b *Breaker) Open() bool { return b.open.Load() }

// Trips counts the closed → open transitions.
func (b *Breaker) Trips() int64 { return b.trips.Load() }

// Fail records a failed call: the breaker opens and starts probing.
func (b *Breaker) Fail() {
	if !b.open.CompareAndSwap(false, true) {
		return
	}
	b.trips.Add(1)
	if b.onChange != nil {
		b.onChange(true)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.probing || b.stopped {
		return
	}
	b.probing = true
	b.wg.Add(1)
	go b.probeLoop()
}

// probeLoop is the half-open state: one probe per interval, and the
// breaker closes on the first that succeeds.
func (b *Breaker) probeLoop() {
	defer b.wg.Done()
	t := time.NewTicker(b.interval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), b.interval)
		err := b.probe(ctx)
		cancel()
		if err != nil {
			continue
		}
		b.mu.Lock()
		b.probing = false
		b.mu.Unlock()
		b.open.Store(false)
		if b.onChange != nil {
			b.onChange(false)
		}
		return
	}
}

// Close stops the probe; the breaker keeps its last state.
func (b *Breaker) Close() {
	b.mu.Lock()
	if !b.stopped {
		b.stopped = true
		close(b.stop)
	}
	b.mu.Unlock()
	b.wg.Wait()
}
