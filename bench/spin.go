package main

import (
	"context"
	"time"

	"github.com/llmrouter/llmrouter/internal/router"
)

// spinRouter is a Router that does nothing but n steps of register-only
// arithmetic: no memory traffic, no allocation. Calibrated to the
// classifier's p50, its p99 is this machine's own tail for a call that
// long (timer interrupts and CPU steal hit any call longer than a few
// microseconds here), so the classifier's p99 can be read against what
// no code of that length could beat.
type spinRouter struct {
	n    int
	sink *uint64
}

func (s spinRouter) Name() string { return "spin" }

func (s spinRouter) Route(_ context.Context, q string) (router.Decision, error) {
	x := uint64(len(q))
	for range s.n {
		x = x*6364136223846793005 + 1442695040888963407
	}
	*s.sink += x
	return router.Decision{}, nil
}

// calibrateSpin returns a spinRouter whose median call takes about target.
func calibrateSpin(target time.Duration) spinRouter {
	s := spinRouter{n: 1 << 16, sink: new(uint64)}
	best := time.Duration(1 << 62)
	for range 20 { // the fastest of several runs is the undisturbed cost
		t := time.Now()
		_, _ = s.Route(context.Background(), "")
		best = min(best, time.Since(t))
	}
	perStep := float64(best) / float64(s.n)
	s.n = max(1, int(float64(target)/perStep))
	return s
}
