package oracle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// Defaults for riding out an upstream's rate limit.
const (
	DefaultRateLimitPatience   = 10 * time.Minute
	DefaultRateLimitBackoff    = time.Second
	DefaultRateLimitMaxBackoff = time.Minute
)

// ErrRateLimitPatience marks a call given up after Config.RateLimitPatience
// of waiting out 429s. Every finished call is journaled, so rerunning the
// same command later resumes the run.
var ErrRateLimitPatience = errors.New("upstream still rate limiting")

// limited makes one upstream call under the adaptive concurrency window
// and the rate limit. A call the upstream still refuses with 429 after the
// client's own retries is put back in the queue after a backoff instead of
// failing the run: a long paid run should slow down, not die, when it hits
// a provider's limit. It gives up once the call has spent
// Config.RateLimitPatience rate limited, counting its refused attempts and
// its backoffs but not its time queued behind calls that are progressing.
func (r *runner) limited(do func(context.Context) (CallResult, error)) (CallResult, error) {
	var waited time.Duration
	for n := 1; ; n++ {
		res, spent, err := r.attempt(do)
		if err == nil || apierr.CodeOf(err) != apierr.UpstreamRateLimited {
			return res, err
		}
		if r.stopped() {
			// Not paid for, so a resume simply makes it again.
			return CallResult{}, errStopped
		}
		waited += spent
		left := r.cfg.RateLimitPatience - waited
		if left <= 0 {
			return CallResult{}, fmt.Errorf("%w after %v spent on this call (--rate-limit-patience %v): %w",
				ErrRateLimitPatience, waited.Round(time.Millisecond), r.cfg.RateLimitPatience, err)
		}
		d := min(r.backoff(n, err), left)
		r.prog.requeued()
		r.mu.Lock()
		r.requeues++
		r.mu.Unlock()
		r.log.Debug("oracle: call rate limited after the client's retries; requeued", "attempt", n, "wait", d, "waited", waited)
		if provider.SleepContext(r.stopCtx, d) != nil {
			return CallResult{}, errStopped
		}
		waited += d
	}
}

// attempt runs do once holding a window slot, after a rate token, and
// tells the window how it went. The slot is released before journaling:
// the fsync need not hold up the next call.
func (r *runner) attempt(do func(context.Context) (CallResult, error)) (CallResult, time.Duration, error) {
	epoch, err := r.gate.acquire(r.stopCtx)
	if err != nil {
		return CallResult{}, 0, errStopped
	}
	defer r.gate.release()
	if r.stopped() {
		return CallResult{}, 0, errStopped
	}
	if r.limiter != nil {
		// Waiting for a token ends early when dispatch stops.
		if err := r.limiter.Wait(r.stopCtx); err != nil || r.stopped() {
			return CallResult{}, 0, errStopped
		}
	}
	start := time.Now()
	res, err := do(r.callCtx)
	spent := time.Since(start)
	switch {
	case err == nil:
		r.gate.succeeded(epoch)
	case apierr.CodeOf(err) == apierr.UpstreamRateLimited:
		r.gate.rateLimited(epoch)
	}
	return res, spent, err
}

// backoff is the wait before a rate-limited call's next attempt n+1: the
// upstream's Retry-After when it sent one, else exponential from
// RateLimitBackoff, both capped by RateLimitMaxBackoff. Jitter spreads the
// requeued calls so they do not all return in one burst and get refused
// together again.
func (r *runner) backoff(n int, err error) time.Duration {
	maxD := r.cfg.RateLimitMaxBackoff
	var ae *apierr.Error
	if errors.As(err, &ae) && ae.RetryAfter > 0 {
		d := min(ae.RetryAfter, maxD)
		return d + r.jitter(d/10)
	}
	d := r.cfg.RateLimitBackoff
	for i := 1; i < n && d < maxD; i++ {
		d *= 2
	}
	d = min(d, maxD)
	return d/2 + r.jitter(d/2)
}

// jitter returns a duration in [0, d].
func (r *runner) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Duration(r.rng.Int64N(int64(d) + 1))
}

// windowChanged reports an adjustment of the concurrency window once, in
// the log and in progress. Steps back up are frequent while recovering, so
// only the return to full speed is logged above debug level.
func (r *runner) windowChanged(from, to, limit int) {
	switch {
	case to < from:
		r.log.Warn("oracle: upstream rate limiting; halving concurrency", "concurrency", to, "was", from, "max", limit)
	case to == limit:
		r.log.Info("oracle: rate limit eased; back to full concurrency", "concurrency", to)
	default:
		r.log.Debug("oracle: raising concurrency", "concurrency", to, "max", limit)
	}
	if r.prog != nil {
		r.prog.setWindow(to, limit)
	}
}
