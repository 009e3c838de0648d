package provider

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
)

// RetryOptions configures WithRetry. The zero value gives sensible defaults.
type RetryOptions struct {
	// MaxAttempts counts the first call; 0 means 4, 1 disables retries.
	MaxAttempts int
	// BaseDelay is the first backoff (default 500ms); it doubles per attempt.
	BaseDelay time.Duration
	// MaxDelay caps every wait, including an upstream's Retry-After
	// (default 30s).
	MaxDelay time.Duration
	// Seed seeds the jitter source so tests and runs are reproducible.
	Seed uint64
	// Sleep waits for d or until ctx is done; nil uses a real timer. Tests
	// inject a fake to run instantly and record the delays.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives one line per retry; nil discards.
	Logger *slog.Logger
}

func (o RetryOptions) withDefaults() RetryOptions {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 4
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = 500 * time.Millisecond
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 30 * time.Second
	}
	if o.Sleep == nil {
		o.Sleep = SleepContext
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// SleepContext waits for d, returning ctx.Err() early if ctx is done.
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

type retrying struct {
	p  Provider
	o  RetryOptions
	mu sync.Mutex
	r  *rand.Rand
}

// WithRetry wraps p so that calls failing with a retryable error
// (apierr.Retryable: rate limits, unavailable upstreams, timeouts) are
// retried with exponential backoff and jitter, honouring Retry-After.
// Streams are retried only when opening fails, never after a chunk was
// delivered, since the caller may already have forwarded it.
func WithRetry(p Provider, o RetryOptions) Provider {
	o = o.withDefaults()
	return &retrying{p: p, o: o, r: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))}
}

func (r *retrying) Complete(ctx context.Context, req *Request) (*Response, error) {
	var resp *Response
	err := r.do(ctx, req, "complete", func() error {
		var err error
		resp, err = r.p.Complete(ctx, req)
		return err
	})
	return resp, err
}

func (r *retrying) Stream(ctx context.Context, req *Request) (Stream, error) {
	var s Stream
	err := r.do(ctx, req, "stream", func() error {
		var err error
		s, err = r.p.Stream(ctx, req)
		return err
	})
	return s, err
}

func (r *retrying) do(ctx context.Context, req *Request, op string, call func() error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = call()
		if err == nil || !apierr.Retryable(err) || attempt >= r.o.MaxAttempts || ctx.Err() != nil {
			return err
		}
		d := r.delay(attempt, err)
		r.o.Logger.LogAttrs(ctx, slog.LevelWarn, "upstream call failed, retrying",
			slog.String("op", op), slog.String("model", req.Model), slog.Int("attempt", attempt),
			slog.Duration("wait", d), slog.String("code", string(apierr.CodeOf(err))), slog.String("error", err.Error()))
		if serr := r.o.Sleep(ctx, d); serr != nil {
			// The caller gave up while we waited: report the upstream's error,
			// which says why we were waiting, with the cancellation.
			return errors.Join(err, serr)
		}
	}
}

// delay is the wait before attempt+1: the upstream's Retry-After when given,
// else exponential backoff with "equal jitter" (half fixed, half random) so
// that many clients hitting the same limit spread out. Both are capped.
func (r *retrying) delay(attempt int, err error) time.Duration {
	var ae *apierr.Error
	if errors.As(err, &ae) && ae.RetryAfter > 0 {
		return min(ae.RetryAfter, r.o.MaxDelay)
	}
	d := r.o.BaseDelay
	for i := 1; i < attempt && d < r.o.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, r.o.MaxDelay)
	half := d / 2
	r.mu.Lock()
	j := time.Duration(r.r.Int64N(int64(half) + 1))
	r.mu.Unlock()
	return half + j
}
