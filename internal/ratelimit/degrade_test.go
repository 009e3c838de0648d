package ratelimit

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/breaker"
)

// flaky is a shared store that can be taken down.
type flaky struct {
	Store
	down  atomic.Bool
	calls atomic.Int64
}

func (f *flaky) Take(ctx context.Context, s []Scope, w int64, frac float64, n int64) (int, []Counts, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return 0, nil, errors.New("connection refused")
	}
	return f.Store.Take(ctx, s, w, frac, n)
}

func newFlaky(t *testing.T, closed bool, replicas int) (*flaky, *Limiter, *breaker.Breaker) {
	f := &flaky{Store: NewMemory()}
	br := breaker.New(func(context.Context) error {
		if f.down.Load() {
			return errors.New("down")
		}
		return nil
	}, 5*time.Millisecond, nil)
	t.Cleanup(br.Close)
	cfg := Config{PerKey: Limit{RequestsPerMinute: 10}}
	return f, New(cfg, NewDegrading(f, br, closed, replicas)), br
}

func TestDegradingLocalSharesTheLimit(t *testing.T) {
	f, l, br := newFlaky(t, false, 2)
	f.down.Store(true)
	ok := 0
	for range 10 {
		if _, err := l.Admit(context.Background(), "k", 0); err == nil {
			ok++
		}
	}
	if ok != 5 {
		t.Fatalf("admitted %d during the outage, want 5 (10 rpm over 2 replicas)", ok)
	}
	if f.calls.Load() != 1 || !br.Open() {
		t.Fatalf("shared store called %d times, breaker open %v: want one call, then the breaker", f.calls.Load(), br.Open())
	}
}

func TestDegradingClosedRefuses503(t *testing.T) {
	f, l, br := newFlaky(t, true, 1)
	f.down.Store(true)
	_, err := l.Admit(context.Background(), "k", 0)
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Code != apierr.Unavailable || ae.RetryAfter <= 0 {
		t.Fatalf("closed outage: %v, want code unavailable with Retry-After", err)
	}
	f.down.Store(false)
	deadline := time.Now().Add(2 * time.Second)
	for br.Open() && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	if _, err := l.Admit(context.Background(), "k", 0); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}
