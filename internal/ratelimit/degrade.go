package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/llmrouter/llmrouter/internal/breaker"
)

// ErrStoreUnavailable is in the chain of Take's error while the shared
// store is down and the limiter is to refuse (spend.on_redis_error: closed).
var ErrStoreUnavailable = errors.New("rate limit store unavailable")

// Degrading is a Store in front of a shared one (Redis) behind a breaker,
// normally the budget counter's, as both use one Redis. While the breaker
// is open it refuses (closed) or counts in memory with each limit divided
// by replicas, so the replicas together stay near the configured rate. A
// minute's window needs no reconciliation: the shared counts resume when
// Redis returns.
type Degrading struct {
	shared   Store
	br       *breaker.Breaker
	closed   bool
	replicas int64
	local    *Memory
	degraded atomic.Int64
}

// NewDegrading wraps shared; replicas < 1 counts as 1.
func NewDegrading(shared Store, br *breaker.Breaker, closed bool, replicas int) *Degrading {
	return &Degrading{shared: shared, br: br, closed: closed, replicas: int64(max(1, replicas)), local: NewMemory()}
}

// Degraded counts Takes answered without the shared store.
func (d *Degrading) Degraded() int64 { return d.degraded.Load() }

func (d *Degrading) share(scopes []Scope) []Scope {
	out := make([]Scope, len(scopes))
	for i, s := range scopes {
		if s.Limit.RequestsPerMinute > 0 {
			s.Limit.RequestsPerMinute = max(1, s.Limit.RequestsPerMinute/d.replicas)
		}
		if s.Limit.TokensPerMinute > 0 {
			s.Limit.TokensPerMinute = max(1, s.Limit.TokensPerMinute/d.replicas)
		}
		out[i] = s
	}
	return out
}

// Take implements Store.
func (d *Degrading) Take(ctx context.Context, scopes []Scope, win int64, frac float64, tokens int64) (int, []Counts, error) {
	var err error
	if d.br.Allow() {
		var n int
		var c []Counts
		if n, c, err = d.shared.Take(ctx, scopes, win, frac, tokens); err == nil {
			return n, c, nil
		}
		d.br.Fail()
	}
	d.degraded.Add(1)
	if d.closed {
		if err == nil {
			return 0, nil, ErrStoreUnavailable
		}
		return 0, nil, fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
	}
	return d.local.Take(ctx, d.share(scopes), win, frac, tokens)
}

// Adjust implements Store. Which store took a request is not tracked: the
// correction goes where the next Take would go, and a lost one only skews
// one window's token count.
func (d *Degrading) Adjust(ctx context.Context, scopes []Scope, win int64, delta int64) error {
	if d.br.Allow() {
		if err := d.shared.Adjust(ctx, scopes, win, delta); err == nil {
			return nil
		}
		d.br.Fail()
	}
	if d.closed {
		return nil
	}
	return d.local.Adjust(ctx, d.share(scopes), win, delta)
}

var _ Store = (*Degrading)(nil)
