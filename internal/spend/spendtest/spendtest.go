// Package spendtest holds the conformance tests every spend.Counter must
// pass, shared by the in-process and Redis backends, and the concurrent
// budget test the gateway's tests can reuse.
package spendtest

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/spend"
)

// ConcurrencyResult is what a concurrent budget run observed.
type ConcurrencyResult struct {
	Admitted, Rejected int
	// CommittedNanos is the sum of the actual costs committed.
	CommittedNanos int64
	// SpentNanos is the global spend the counters report afterwards.
	SpentNanos int64
}

// Concurrency runs n goroutines at once, spread round-robin over budgets
// (several instances sharing one counter model several replicas). Each
// reserves maxCost for keyID, then commits a seeded random actual cost in
// [maxCost/2, maxCost]. It fails t on any error other than BudgetExceeded.
func Concurrency(t testing.TB, budgets []*spend.Budgets, keyID string, n int, maxCost float64, seed uint64) ConcurrencyResult {
	t.Helper()
	ctx := context.Background()
	var (
		wg                 sync.WaitGroup
		admitted, rejected atomic.Int64
		committed          atomic.Int64
		start              = make(chan struct{})
		errs               = make(chan error, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := budgets[i%len(budgets)]
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			actual := maxCost * (0.5 + 0.5*rng.Float64())
			<-start
			res, err := b.Reserve(ctx, keyID, maxCost)
			if err != nil {
				if apierr.CodeOf(err) != apierr.BudgetExceeded {
					errs <- err
				}
				rejected.Add(1)
				return
			}
			admitted.Add(1)
			// Hold the reservation briefly, as a real upstream call would,
			// so reservations overlap.
			time.Sleep(time.Duration(rng.IntN(500)) * time.Microsecond)
			if err := res.Commit(ctx, actual); err != nil {
				errs <- err
				return
			}
			committed.Add(spend.Nanos(actual))
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent reserve/commit: %v", err)
	}
	spent, err := budgets[0].Spent(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	return ConcurrencyResult{
		Admitted: int(admitted.Load()), Rejected: int(rejected.Load()),
		CommittedNanos: committed.Load(), SpentNanos: spend.Nanos(spent),
	}
}

// CheckBudgetHeld asserts the acceptance criteria: recorded spend equals the
// sum of actual costs, and never exceeds budget by more than one maxCost.
func CheckBudgetHeld(t testing.TB, r ConcurrencyResult, budget, maxCost float64, n int) {
	t.Helper()
	if r.Admitted+r.Rejected != n {
		t.Fatalf("admitted %d + rejected %d != %d requests", r.Admitted, r.Rejected, n)
	}
	if r.SpentNanos != r.CommittedNanos {
		t.Fatalf("counter spend %d nano$ != sum of committed actual costs %d nano$", r.SpentNanos, r.CommittedNanos)
	}
	if spend.USD(r.SpentNanos) > budget+maxCost {
		t.Fatalf("spent $%.6f exceeds budget $%.2f + one max cost $%.2f", spend.USD(r.SpentNanos), budget, maxCost)
	}
	// Every reservation was a true maximum, so the budget holds exactly.
	if r.SpentNanos > spend.Nanos(budget) {
		t.Fatalf("spent $%.6f exceeds budget $%.2f although no request exceeded its reservation", spend.USD(r.SpentNanos), budget)
	}
	if minAdmit := int(budget / maxCost); r.Admitted < minAdmit {
		t.Fatalf("admitted only %d requests; the budget allows at least %d", r.Admitted, minAdmit)
	}
	if r.Rejected == 0 {
		t.Fatalf("no request was rejected; the test did not reach the budget")
	}
}

// RunCounter runs the Counter contract against fresh counters from newC.
func RunCounter(t *testing.T, newC func(t *testing.T) spend.Counter) {
	ctx := context.Background()
	b1 := spend.Bucket{Name: "t/key/a", Limit: 100}
	g := spend.Bucket{Name: "t/global", Limit: 150}
	both := []spend.Bucket{b1, g}

	t.Run("reserve within limit", func(t *testing.T) {
		c := newC(t)
		mustBlocked(t, c, "r1", both, 60, -1)
		mustBlocked(t, c, "r2", both, 40, -1)
		mustBlocked(t, c, "r3", both, 1, 0) // key bucket full
		mustUsage(t, c, b1.Name, 0, 100)
		mustUsage(t, c, g.Name, 0, 100)
	})
	t.Run("global blocks with index 1", func(t *testing.T) {
		c := newC(t)
		other := []spend.Bucket{{Name: "t/key/b", Limit: 0}, g}
		mustBlocked(t, c, "r1", other, 150, -1)
		mustBlocked(t, c, "r2", both, 1, 1)
		mustUsage(t, c, b1.Name, 0, 0) // a blocked reservation holds nothing
	})
	t.Run("commit moves reserved to spent", func(t *testing.T) {
		c := newC(t)
		mustBlocked(t, c, "r1", both, 60, -1)
		must(t, c.Commit(ctx, "r1", both, 25))
		mustUsage(t, c, b1.Name, 25, 0)
		mustUsage(t, c, g.Name, 25, 0)
		mustBlocked(t, c, "r2", both, 75, -1)
		mustBlocked(t, c, "r3", both, 1, 0)
	})
	t.Run("release frees without spending", func(t *testing.T) {
		c := newC(t)
		mustBlocked(t, c, "r1", both, 100, -1)
		must(t, c.Release(ctx, "r1", both))
		mustUsage(t, c, b1.Name, 0, 0)
		mustBlocked(t, c, "r2", both, 100, -1)
	})
	t.Run("commit may exceed reservation", func(t *testing.T) {
		c := newC(t)
		mustBlocked(t, c, "r1", both, 10, -1)
		must(t, c.Commit(ctx, "r1", both, 130))
		mustUsage(t, c, b1.Name, 130, 0)
		mustBlocked(t, c, "r2", both, 1, 0)
	})
	t.Run("unlimited bucket", func(t *testing.T) {
		c := newC(t)
		free := []spend.Bucket{{Name: "t/free"}}
		mustBlocked(t, c, "r1", free, 1<<50, -1)
		must(t, c.Commit(ctx, "r1", free, 1<<50))
		mustUsage(t, c, "t/free", 1<<50, 0)
	})
	t.Run("expired reservation is dropped", func(t *testing.T) {
		c := newC(t)
		mustReserve(t, c, "dead", both, 100, time.Millisecond)
		time.Sleep(20 * time.Millisecond)
		mustBlocked(t, c, "r2", both, 100, -1)
		// Committing the dead reservation later still charges, once.
		must(t, c.Commit(ctx, "dead", both, 5))
		mustUsage(t, c, b1.Name, 5, 100)
	})
	t.Run("seed only fills empty buckets", func(t *testing.T) {
		c := newC(t)
		must(t, c.Seed(ctx, b1, 42))
		mustUsage(t, c, b1.Name, 42, 0)
		must(t, c.Seed(ctx, b1, 7))
		mustUsage(t, c, b1.Name, 42, 0)
		mustBlocked(t, c, "r1", both, 58, -1)
		mustBlocked(t, c, "r2", both, 1, 0)
	})
	t.Run("unknown bucket reads zero", func(t *testing.T) {
		mustUsage(t, newC(t), "t/none", 0, 0)
	})
}

func mustBlocked(t *testing.T, c spend.Counter, id string, bs []spend.Bucket, amount int64, want int) {
	t.Helper()
	got, err := c.Reserve(context.Background(), id, bs, amount, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("Reserve(%s, %d) blocked = %d, want %d", id, amount, got, want)
	}
}

func mustReserve(t *testing.T, c spend.Counter, id string, bs []spend.Bucket, amount int64, ttl time.Duration) {
	t.Helper()
	got, err := c.Reserve(context.Background(), id, bs, amount, ttl)
	if err != nil || got != -1 {
		t.Fatalf("Reserve(%s) = %d, %v", id, got, err)
	}
}

func mustUsage(t *testing.T, c spend.Counter, name string, spent, reserved int64) {
	t.Helper()
	s, r, err := c.Usage(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if s != spent || r != reserved {
		t.Fatalf("Usage(%s) = spent %d reserved %d, want %d, %d", name, s, r, spent, reserved)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// ErrIsBudget reports whether err is a BudgetExceeded *apierr.Error.
func ErrIsBudget(err error) bool {
	var e *apierr.Error
	return errors.As(err, &e) && e.Code == apierr.BudgetExceeded
}
