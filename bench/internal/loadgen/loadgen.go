// Package loadgen drives an HTTP endpoint at a constant arrival rate (open
// loop) or with a fixed number of busy clients (closed loop, to find
// saturation), bounded by a request count and a time limit.
//
// Open-loop latencies are measured from each request's scheduled send
// time, not from when the generator got round to sending it, so a stalled
// server cannot hide its queueing delay (the "coordinated omission"
// correction wrk2 makes).
package loadgen

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Do performs one request; a non-nil error counts against the error rate.
type Do func(ctx context.Context) error

// Result is one load run.
type Result struct {
	// Sent requests were started; Errors of them failed (an error, a bad
	// status or the per-request timeout).
	Sent, Errors int
	// Latencies of the requests that succeeded.
	Latencies []time.Duration
	// Elapsed is from the first send to the last completion.
	Elapsed time.Duration
	// MaxLag is the largest delay between a scheduled and an actual send:
	// a large value means the generator, not the server, was the limit.
	MaxLag time.Duration
	// FirstError is kept for the report's notes.
	FirstError error
}

// Throughput is successful requests per second.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Elapsed.Seconds()
}

// ErrorRate is Errors ÷ Sent.
func (r Result) ErrorRate() float64 {
	if r.Sent == 0 {
		return 0
	}
	return float64(r.Errors) / float64(r.Sent)
}

type collector struct {
	mu  sync.Mutex
	res Result
}

func (c *collector) done(lat time.Duration, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.res.Errors++
		if c.res.FirstError == nil {
			c.res.FirstError = err
		}
		return
	}
	c.res.Latencies = append(c.res.Latencies, lat)
}

// OpenLoop sends count requests at rate per second, stopping early at
// maxDuration; each request gets timeout. It returns when every started
// request has finished.
func OpenLoop(ctx context.Context, rate float64, count int, maxDuration, timeout time.Duration, do Do) (Result, error) {
	if !(rate > 0) || count < 1 || maxDuration <= 0 || timeout <= 0 {
		return Result{}, errors.New("loadgen: rate, count, duration and timeout must be positive")
	}
	c := &collector{res: Result{Latencies: make([]time.Duration, 0, min(count, 1<<16))}}
	interval := time.Duration(float64(time.Second) / rate)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(maxDuration)
	for i := 0; i < count && ctx.Err() == nil; i++ {
		due := start.Add(time.Duration(i) * interval)
		if due.After(deadline) {
			break
		}
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if lag := time.Since(due); lag > c.res.MaxLag {
			c.res.MaxLag = lag
		}
		c.res.Sent++
		wg.Add(1)
		go func(due time.Time) {
			defer wg.Done()
			rctx, cancel := context.WithTimeout(ctx, timeout)
			err := do(rctx)
			cancel()
			c.done(time.Since(due), err)
		}(due)
	}
	wg.Wait()
	c.res.Elapsed = time.Since(start)
	return c.res, ctx.Err()
}

// ClosedLoop runs workers clients, each sending its next request as soon
// as the previous one finishes, for duration (or count requests in all).
// Its throughput is the server's capacity at that concurrency.
func ClosedLoop(ctx context.Context, workers, count int, duration, timeout time.Duration, do Do) (Result, error) {
	if workers < 1 || count < 1 || duration <= 0 || timeout <= 0 {
		return Result{}, errors.New("loadgen: workers, count, duration and timeout must be positive")
	}
	c := &collector{res: Result{Latencies: make([]time.Duration, 0, min(count, 1<<16))}}
	var mu sync.Mutex
	left := count
	take := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if left == 0 {
			return false
		}
		left--
		c.mu.Lock()
		c.res.Sent++
		c.mu.Unlock()
		return true
	}
	start := time.Now()
	deadline := start.Add(duration)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) && take() {
				t := time.Now()
				rctx, cancel := context.WithTimeout(ctx, timeout)
				err := do(rctx)
				cancel()
				c.done(time.Since(t), err)
			}
		}()
	}
	wg.Wait()
	c.res.Elapsed = time.Since(start)
	return c.res, ctx.Err()
}
