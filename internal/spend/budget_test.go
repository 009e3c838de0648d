package spend_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/spendtest"
)

func TestMemoryCounterContract(t *testing.T) {
	spendtest.RunCounter(t, func(*testing.T) spend.Counter { return spend.NewMemoryCounter() })
}

func newBudgets(t *testing.T, cfg spend.BudgetConfig, c spend.Counter, opts ...spend.Option) *spend.Budgets {
	t.Helper()
	b, err := spend.NewBudgets(cfg, c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The acceptance tests: 100 requests against a budget for about 50,
// and 200 against one for about 100.
func TestBudgetConcurrency(t *testing.T) {
	for _, tc := range []struct {
		name     string
		n        int
		budget   float64
		global   bool
		replicas int
	}{
		{"100 vs 50 per key", 100, 50, false, 1},
		{"200 vs 100 global", 200, 100, true, 1},
		{"200 vs 100 two instances one counter", 200, 100, false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const maxCost = 1.0
			cfg := spend.BudgetConfig{PerKeyUSD: tc.budget}
			if tc.global {
				cfg = spend.BudgetConfig{GlobalUSD: tc.budget}
			}
			c := spend.NewMemoryCounter()
			var bs []*spend.Budgets
			for range tc.replicas {
				bs = append(bs, newBudgets(t, cfg, c))
			}
			r := spendtest.Concurrency(t, bs, "k_test", tc.n, maxCost, 7)
			spendtest.CheckBudgetHeld(t, r, tc.budget, maxCost, tc.n)
		})
	}
}

func TestReserveErrors(t *testing.T) {
	ctx := context.Background()
	b := newBudgets(t, spend.BudgetConfig{PerKeyUSD: 1, GlobalUSD: 1.5, Keys: map[string]float64{"vip": 0}}, spend.NewMemoryCounter())
	r, err := b.Reserve(ctx, "alice", 0.6)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Reserve(ctx, "alice", 0.6)
	if apierr.CodeOf(err) != apierr.BudgetExceeded || !strings.Contains(err.Error(), "key alice total budget of $1.00 exceeded: spent $0.0000, in flight $0.6000, this request up to $0.6000") {
		t.Fatalf("second reserve: %v", err)
	}
	if apierr.HTTPStatus(apierr.CodeOf(err)) != 429 {
		t.Fatalf("status %d", apierr.HTTPStatus(apierr.CodeOf(err)))
	}
	// vip has no key cap, but the global cap still applies.
	if _, err := b.Reserve(ctx, "vip", 0.8); err != nil {
		t.Fatal(err)
	}
	_, err = b.Reserve(ctx, "vip", 0.2)
	if !spendtest.ErrIsBudget(err) || !strings.Contains(err.Error(), "global total budget of $1.50") {
		t.Fatalf("global cap: %v", err)
	}
	if err := r.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Reserve(ctx, "vip", 0.2); err != nil {
		t.Fatalf("after release: %v", err)
	}
	for _, bad := range []float64{-1, math.NaN()} {
		if _, err := b.Reserve(ctx, "alice", bad); apierr.CodeOf(err) != apierr.Invalid {
			t.Fatalf("Reserve(%v): %v", bad, err)
		}
	}
}

func TestReservationLifecycle(t *testing.T) {
	ctx := context.Background()
	b := newBudgets(t, spend.BudgetConfig{PerKeyUSD: 10}, spend.NewMemoryCounter())
	r, err := b.Reserve(ctx, "", 2) // "" is anonymous
	if err != nil {
		t.Fatal(err)
	}
	if r.KeyID() != spend.Anonymous || r.MaxCost() != 2 {
		t.Fatalf("reservation %s %v", r.KeyID(), r.MaxCost())
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := r.Commit(cancelled, 1.25); err != nil { // a finished request is charged even after the client left
		t.Fatal(err)
	}
	if err := r.Commit(ctx, 1.25); err != nil { // second commit: no-op
		t.Fatal(err)
	}
	if err := r.Release(ctx); err != nil { // deferred release after commit: no-op
		t.Fatal(err)
	}
	if got, _ := b.Spent(ctx, spend.Anonymous); got != 1.25 {
		t.Fatalf("Spent = %v, want 1.25", got)
	}
	if got, _ := b.Spent(ctx, ""); got != 1.25 {
		t.Fatalf("global Spent = %v, want 1.25", got)
	}
	if err := r.Commit(ctx, -1); err == nil {
		t.Fatal("negative actual cost accepted")
	}
	spent, limit, err := b.Headroom(ctx, spend.Anonymous)
	if err != nil || spent != 1.25 || limit != 10 {
		t.Fatalf("Headroom = %v, %v, %v", spent, limit, err)
	}
}

func TestDailyPeriod(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	b := newBudgets(t, spend.BudgetConfig{Period: spend.PeriodDaily, PerKeyUSD: 1}, spend.NewMemoryCounter(), spend.WithClock(clock))
	r, err := b.Reserve(ctx, "k", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Reserve(ctx, "k", 0.5); !spendtest.ErrIsBudget(err) {
		t.Fatalf("same day: %v", err)
	}
	now = now.Add(2 * time.Minute) // next day
	if err := r.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// The commit charged the day the reservation was made.
	if got, _ := b.Spent(ctx, "k"); got != 0 {
		t.Fatalf("new day Spent = %v, want 0", got)
	}
	if _, err := b.Reserve(ctx, "k", 1); err != nil {
		t.Fatalf("new day: %v", err)
	}
	if got := b.PeriodStart(now); !got.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("PeriodStart = %v", got)
	}
}

func TestMonthlyPeriodStart(t *testing.T) {
	b := newBudgets(t, spend.BudgetConfig{Period: spend.PeriodMonthly}, spend.NewMemoryCounter())
	if got := b.PeriodStart(time.Date(2026, 5, 17, 8, 0, 0, 0, time.UTC)); !got.Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("PeriodStart = %v", got)
	}
	total := newBudgets(t, spend.BudgetConfig{}, spend.NewMemoryCounter())
	if got := total.PeriodStart(time.Now()); !got.IsZero() {
		t.Fatalf("total PeriodStart = %v", got)
	}
}

type fakeTotals struct {
	byKey map[string]float64
	total float64
	from  time.Time
}

func (f *fakeTotals) SpentSince(_ context.Context, from time.Time) (map[string]float64, float64, error) {
	f.from = from
	return f.byKey, f.total, nil
}

func TestRestore(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	b := newBudgets(t, spend.BudgetConfig{Period: spend.PeriodDaily, PerKeyUSD: 5, GlobalUSD: 8}, spend.NewMemoryCounter(),
		spend.WithClock(func() time.Time { return now }))
	src := &fakeTotals{byKey: map[string]float64{"a": 4.5, "b": 3}, total: 7.5}
	if err := b.Restore(ctx, src); err != nil {
		t.Fatal(err)
	}
	if !src.from.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("restored from %v, want start of day", src.from)
	}
	if got, _ := b.Spent(ctx, "a"); got != 4.5 {
		t.Fatalf("Spent(a) = %v", got)
	}
	if _, err := b.Reserve(ctx, "a", 0.6); !spendtest.ErrIsBudget(err) {
		t.Fatalf("key a after restore: %v", err)
	}
	if _, err := b.Reserve(ctx, "c", 0.6); !spendtest.ErrIsBudget(err) {
		t.Fatalf("global after restore: %v", err)
	}
	if _, err := b.Reserve(ctx, "c", 0.5); err != nil {
		t.Fatalf("within global after restore: %v", err)
	}
}

func TestBudgetConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  spend.BudgetConfig
		want string
	}{
		{"zero", spend.BudgetConfig{}, ""},
		{"daily", spend.BudgetConfig{Period: spend.PeriodDaily, GlobalUSD: 3}, ""},
		{"bad period", spend.BudgetConfig{Period: "weekly"}, `budgets.period: unknown period "weekly"`},
		{"negative global", spend.BudgetConfig{GlobalUSD: -1}, "budgets.global_usd: must be a finite number >= 0, got -1"},
		{"negative per key", spend.BudgetConfig{PerKeyUSD: -0.5}, "budgets.per_key_usd"},
		{"infinite key", spend.BudgetConfig{Keys: map[string]float64{"k1": math.Inf(1)}}, "budgets.keys.k1"},
		{"negative ttl", spend.BudgetConfig{ReservationTTL: -time.Second}, "budgets.reservation_ttl"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := spend.NewBudgets(tc.cfg, spend.NewMemoryCounter())
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("NewBudgets: %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := spend.NewBudgets(spend.BudgetConfig{}, nil); err == nil {
		t.Fatal("nil counter accepted")
	}
}

func TestHelpers(t *testing.T) {
	if spend.HashKey("") != spend.Anonymous {
		t.Fatal("empty key is not anonymous")
	}
	h := spend.HashKey("sk-secret-123")
	if strings.Contains(h, "secret") || h != spend.HashKey("sk-secret-123") || h == spend.HashKey("sk-secret-124") || !strings.HasPrefix(h, "k_") {
		t.Fatalf("HashKey = %q", h)
	}
	for _, tc := range []struct {
		usd  float64
		want int64
	}{{0, 0}, {-1, 0}, {math.NaN(), 0}, {1, 1e9}, {0.000003, 3000}, {1.0000000004, 1e9}} {
		if got := spend.Nanos(tc.usd); got != tc.want {
			t.Errorf("Nanos(%v) = %d, want %d", tc.usd, got, tc.want)
		}
	}
	for _, g := range []string{"model", "policy", "key", "day"} {
		if _, err := spend.ParseGroupBy(g); err != nil {
			t.Error(err)
		}
	}
	if _, err := spend.ParseGroupBy("week"); err == nil || !strings.Contains(err.Error(), `"week"`) {
		t.Fatalf("ParseGroupBy(week): %v", err)
	}
}

func BenchmarkReserveCommitMemory(b *testing.B) {
	ctx := context.Background()
	bud, err := spend.NewBudgets(spend.BudgetConfig{PerKeyUSD: 1e9, GlobalUSD: 1e9}, spend.NewMemoryCounter())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, err := bud.Reserve(ctx, "k", 0.01)
			if err != nil {
				b.Fatal(err)
			}
			if err := r.Commit(ctx, 0.005); err != nil {
				b.Fatal(err)
			}
		}
	})
}
