package spend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmrouter/llmrouter/internal/breaker"
)

// Policy is what the gateway does while the shared budget store (Redis)
// is unreachable: spend.on_redis_error in router.yaml.
type Policy string

// Policies.
const (
	// PolicyLocal keeps serving on per-replica in-memory counters, each
	// capped at its share of the budget (limit / replicas), and adds the
	// spend to Redis when it returns.
	PolicyLocal Policy = "local"
	// PolicyClosed refuses requests with 503 until Redis returns.
	PolicyClosed Policy = "closed"
)

// ValidatePolicy names the setting on an unknown policy.
func ValidatePolicy(p Policy) error {
	switch p {
	case "", PolicyLocal, PolicyClosed:
		return nil
	}
	return fmt.Errorf("spend.on_redis_error: unknown policy %q (one of local, closed)", p)
}

// ErrStoreUnavailable is in the chain of errors returned while the shared
// store is down under PolicyClosed.
var ErrStoreUnavailable = errors.New("budget store unavailable")

// StoreRetryAfter is the Retry-After of a refusal while the store is down:
// about as long as the breaker's probe takes to notice it is back.
const StoreRetryAfter = time.Second

// Adder adds spend to a bucket outside any reservation: how spend counted
// locally during an outage reaches the shared store afterwards.
type Adder interface {
	Add(ctx context.Context, b Bucket, amount int64) error
}

// SharedCounter is a shared Counter that can also take reconciled spend.
type SharedCounter interface {
	Counter
	Adder
}

// Degrading is a Counter in front of a shared one: calls go to the shared
// counter while its breaker is closed; while it is open they follow the
// Policy. Under PolicyLocal each replica may spend at most limit/replicas
// per bucket during one outage, so an outage adds at most one budget's
// worth across all replicas beyond what Redis had counted.
type Degrading struct {
	shared   SharedCounter
	br       *breaker.Breaker
	policy   Policy
	replicas int64
	log      *slog.Logger

	mu      sync.Mutex
	local   *MemoryCounter
	owned   map[string]struct{} // reservations held by local
	pending map[string]pendingSpend
	// seeds are budget totals restored while the store was down (a
	// gateway started during an outage), written on recovery before the
	// pending spend is added.
	seeds map[string]pendingSpend

	degraded   atomic.Int64
	reconciled atomic.Int64
}

type pendingSpend struct {
	b      Bucket
	amount int64
}

// NewDegrading wraps shared. ping probes it while the breaker is open,
// every probeEvery. replicas < 1 counts as 1.
func NewDegrading(shared SharedCounter, ping func(context.Context) error, policy Policy, replicas int, probeEvery time.Duration, log *slog.Logger) *Degrading {
	if policy == "" {
		policy = PolicyLocal
	}
	if replicas < 1 {
		replicas = 1
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Degrading{shared: shared, policy: policy, replicas: int64(replicas), log: log,
		local: NewMemoryCounter(), owned: map[string]struct{}{}, pending: map[string]pendingSpend{}, seeds: map[string]pendingSpend{}}
	d.br = breaker.New(ping, probeEvery, d.transition)
	return d
}

// Breaker is the breaker guarding the shared counter (readiness, metrics).
func (d *Degrading) Breaker() *breaker.Breaker { return d.br }

// Policy is the configured outage policy.
func (d *Degrading) Policy() Policy { return d.policy }

// Degraded counts calls answered without the shared store.
func (d *Degrading) Degraded() int64 { return d.degraded.Load() }

// Reconciled counts nano-dollars added to the shared store after outages.
func (d *Degrading) Reconciled() int64 { return d.reconciled.Load() }

// Close stops the breaker's probe.
func (d *Degrading) Close() error { d.br.Close(); return nil }

func (d *Degrading) transition(open bool) {
	if open {
		d.log.Warn("budget store unreachable: breaker open", "policy", string(d.policy))
		return
	}
	d.log.Info("budget store reachable again: breaker closed")
	d.reconcile(context.Background())
}

// reconcile adds the spend counted locally to the shared store and starts
// the next outage's local counters from zero.
func (d *Degrading) reconcile(ctx context.Context) {
	d.mu.Lock()
	pending, seeds := d.pending, d.seeds
	d.pending, d.seeds = map[string]pendingSpend{}, map[string]pendingSpend{}
	if len(d.owned) == 0 {
		d.local = NewMemoryCounter()
	}
	d.mu.Unlock()
	for name, sd := range seeds {
		// Seeding sets only a missing total, so a replica that counted
		// meanwhile is not overwritten.
		if err := d.shared.Seed(ctx, sd.b, sd.amount); err != nil {
			d.log.Warn("budget store: restoring a budget total failed; kept for the next recovery", "bucket", name, "err", err)
			d.mu.Lock()
			d.seeds[name] = sd
			d.mu.Unlock()
			d.br.Fail()
		}
	}
	var total int64
	for name, p := range pending {
		if err := d.shared.Add(ctx, p.b, p.amount); err != nil {
			d.log.Warn("budget store: reconcile failed; kept for the next recovery", "bucket", name, "err", err)
			d.addPending(p.b, p.amount)
			d.br.Fail()
			continue
		}
		total += p.amount
	}
	d.reconciled.Add(total)
	if len(pending) > 0 {
		d.log.Info("budget store: spend counted during the outage reconciled", "buckets", len(pending), "usd", USD(total))
	}
}

func (d *Degrading) addPending(b Bucket, amount int64) {
	if amount <= 0 {
		return
	}
	d.mu.Lock()
	p := d.pending[b.Name]
	p.b, p.amount = b, p.amount+amount
	d.pending[b.Name] = p
	d.mu.Unlock()
}

// share is a replica's part of each bucket's limit.
func (d *Degrading) share(bs []Bucket) []Bucket {
	out := make([]Bucket, len(bs))
	for i, b := range bs {
		if b.Limit > 0 {
			b.Limit = max(1, b.Limit/d.replicas)
		}
		out[i] = b
	}
	return out
}

func (d *Degrading) unavailable(err error) error {
	if err == nil {
		return ErrStoreUnavailable
	}
	return fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
}

// Reserve implements Counter.
func (d *Degrading) Reserve(ctx context.Context, id string, buckets []Bucket, amount int64, ttl time.Duration) (int, error) {
	var err error
	if d.br.Allow() {
		var n int
		if n, err = d.shared.Reserve(ctx, id, buckets, amount, ttl); err == nil {
			return n, nil
		}
		d.br.Fail()
	}
	d.degraded.Add(1)
	if d.policy == PolicyClosed {
		return 0, d.unavailable(err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	n, lerr := d.local.Reserve(ctx, id, d.share(buckets), amount, ttl)
	if lerr == nil && n < 0 {
		d.owned[id] = struct{}{}
	}
	return n, lerr
}

// takeOwned reports whether id was reserved locally, forgetting it.
func (d *Degrading) takeOwned(id string) (*MemoryCounter, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.owned[id]
	delete(d.owned, id)
	return d.local, ok
}

// Commit implements Counter. Spend that cannot reach the shared store is
// kept for reconciliation whatever the policy: the upstream call is paid.
func (d *Degrading) Commit(ctx context.Context, id string, buckets []Bucket, actual int64) error {
	if local, ok := d.takeOwned(id); ok {
		if err := local.Commit(ctx, id, d.share(buckets), actual); err != nil {
			return err
		}
		d.settleLater(ctx, buckets, actual)
		return nil
	}
	if d.br.Allow() {
		if err := d.shared.Commit(ctx, id, buckets, actual); err == nil {
			return nil
		}
		d.br.Fail()
	}
	// The shared reservation expires after its TTL; the spend is added on
	// recovery.
	for _, b := range buckets {
		d.addPending(b, actual)
	}
	return nil
}

// settleLater adds locally committed spend to the shared store now if it
// is up, else on recovery.
func (d *Degrading) settleLater(ctx context.Context, buckets []Bucket, actual int64) {
	for _, b := range buckets {
		if d.br.Allow() && actual > 0 {
			if err := d.shared.Add(ctx, b, actual); err == nil {
				d.reconciled.Add(actual)
				continue
			}
			d.br.Fail()
		}
		d.addPending(b, actual)
	}
}

// Release implements Counter.
func (d *Degrading) Release(ctx context.Context, id string, buckets []Bucket) error {
	if local, ok := d.takeOwned(id); ok {
		return local.Release(ctx, id, d.share(buckets))
	}
	if d.br.Allow() {
		if err := d.shared.Release(ctx, id, buckets); err != nil {
			d.br.Fail()
		}
	}
	return nil // an unreleased shared reservation expires after its TTL
}

// Usage implements Counter: the local figures while the store is down.
func (d *Degrading) Usage(ctx context.Context, bucket string) (int64, int64, error) {
	if d.br.Allow() {
		s, r, err := d.shared.Usage(ctx, bucket)
		if err == nil {
			return s, r, nil
		}
		d.br.Fail()
		if d.policy == PolicyClosed {
			return 0, 0, d.unavailable(err)
		}
	} else if d.policy == PolicyClosed {
		return 0, 0, d.unavailable(nil)
	}
	d.mu.Lock()
	local := d.local
	d.mu.Unlock()
	return local.Usage(ctx, bucket)
}

// Seed implements Counter. A gateway that starts while the store is down
// still starts, as in any other outage: the total is written to the store
// when it returns, and meanwhile this replica's share of it counts against
// its local share of the limit (under local; closed refuses regardless).
func (d *Degrading) Seed(ctx context.Context, b Bucket, spent int64) error {
	if d.br.Allow() {
		err := d.shared.Seed(ctx, b, spent)
		if err == nil {
			return nil
		}
		d.br.Fail()
		d.log.Warn("budget store unreachable while restoring budgets; restoring on recovery", "bucket", b.Name, "err", err)
	}
	d.mu.Lock()
	d.seeds[b.Name] = pendingSpend{b: b, amount: spent}
	local := d.local
	d.mu.Unlock()
	return local.Seed(ctx, b, spent/d.replicas)
}

var _ Counter = (*Degrading)(nil)
