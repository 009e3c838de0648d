package redis

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/spendtest"
)

// backend gives each test fresh counters on one Redis: miniredis always,
// and the real server named by LLMROUTER_TEST_REDIS_URL when set (CI
// starts one). Each test uses its own key prefix, so runs never collide.
type backend struct {
	name string
	url  func(t *testing.T) string
}

func backends() []backend {
	bs := []backend{{"miniredis", func(t *testing.T) string {
		m := miniredis.RunT(t)
		return "redis://" + m.Addr()
	}}}
	if u := os.Getenv("LLMROUTER_TEST_REDIS_URL"); u != "" {
		bs = append(bs, backend{"redis-server", func(*testing.T) string { return u }})
	}
	return bs
}

var prefixSeq atomic.Int64

func uniquePrefix(t *testing.T) string {
	return fmt.Sprintf("llmrouter-test-%d-%d", time.Now().UnixNano(), prefixSeq.Add(1))
}

// open returns n counters, each with its own client, sharing one prefix:
// n replicas of the gateway. These tests check the counters' arithmetic
// under contention, not outages (degrade_test does), so the URL gives
// timeouts a loaded 2-core machine running -race cannot reach, in place
// of the gateway's fail-fast defaults.
func open(t *testing.T, url, prefix string, n int) []*Counter {
	t.Helper()
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	url += sep + "dial_timeout=5s&read_timeout=5s&write_timeout=5s"
	var cs []*Counter
	for range n {
		c, err := Open(context.Background(), url, prefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cleanup(c)
			c.Close()
		})
		cs = append(cs, c)
	}
	return cs
}

// cleanup deletes a test's keys from a shared real server.
func cleanup(c *Counter) {
	ctx := context.Background()
	iter := c.rdb.Scan(ctx, 0, "{"+c.prefix+"}:*", 1000).Iterator()
	for iter.Next(ctx) {
		c.rdb.Del(ctx, iter.Val())
	}
}

func TestCounterContract(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			url := b.url(t)
			spendtest.RunCounter(t, func(t *testing.T) spend.Counter {
				return open(t, url, uniquePrefix(t), 1)[0]
			})
		})
	}
}

// The acceptance tests against Redis, with one and two gateway
// instances (separate clients and Budgets) sharing one Redis.
func TestBudgetConcurrency(t *testing.T) {
	for _, b := range backends() {
		for _, tc := range []struct {
			n         int
			budget    float64
			instances int
		}{{100, 50, 1}, {200, 100, 1}, {200, 100, 2}} {
			t.Run(fmt.Sprintf("%s/%d_vs_%v/%d_instances", b.name, tc.n, tc.budget, tc.instances), func(t *testing.T) {
				t.Parallel() // own miniredis or own key prefix
				const maxCost = 1.0
				counters := open(t, b.url(t), uniquePrefix(t), tc.instances)
				var bs []*spend.Budgets
				for _, c := range counters {
					bud, err := spend.NewBudgets(spend.BudgetConfig{PerKeyUSD: tc.budget, GlobalUSD: 10 * tc.budget}, c)
					if err != nil {
						t.Fatal(err)
					}
					bs = append(bs, bud)
				}
				r := spendtest.Concurrency(t, bs, "k_shared", tc.n, maxCost, 11)
				spendtest.CheckBudgetHeld(t, r, tc.budget, maxCost, tc.n)
				// Every instance sees the same spend.
				for i, bud := range bs {
					got, err := bud.Spent(context.Background(), "k_shared")
					if err != nil || spend.Nanos(got) != r.CommittedNanos {
						t.Fatalf("instance %d sees $%v (%v), want %d nano$", i, got, err, r.CommittedNanos)
					}
				}
			})
		}
	}
}

// A retried commit whose first reply was lost must not charge twice.
func TestCommitIdempotent(t *testing.T) {
	c := open(t, backends()[0].url(t), uniquePrefix(t), 1)[0]
	ctx := context.Background()
	bs := []spend.Bucket{{Name: "k", Limit: 100}}
	if n, err := c.Reserve(ctx, "r1", bs, 50, time.Minute); err != nil || n != -1 {
		t.Fatal(n, err)
	}
	for range 2 {
		if err := c.Commit(ctx, "r1", bs, 30); err != nil {
			t.Fatal(err)
		}
	}
	if s, r, err := c.Usage(ctx, "k"); err != nil || s != 30 || r != 0 {
		t.Fatalf("Usage = %d, %d, %v", s, r, err)
	}
}

func TestDailyBucketsExpire(t *testing.T) {
	m := miniredis.RunT(t)
	c := open(t, "redis://"+m.Addr(), "p", 1)[0]
	ctx := context.Background()
	b, err := spend.NewBudgets(spend.BudgetConfig{Period: spend.PeriodDaily, PerKeyUSD: 1}, c)
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Reserve(ctx, "k", 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(ctx, 0.5); err != nil {
		t.Fatal(err)
	}
	var withTTL int
	for _, k := range m.Keys() {
		if strings.Contains(k, "daily/") && m.TTL(k) > 0 {
			withTTL++
		}
	}
	if withTTL == 0 {
		t.Fatalf("no daily key has a TTL: %v", m.Keys())
	}
	m.FastForward(50 * time.Hour)
	for _, k := range m.Keys() {
		if strings.Contains(k, "daily/") && strings.HasSuffix(k, ":spent") {
			t.Fatalf("daily key %s outlived its period", k)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	// Short: the unreachable case would otherwise wait out go-redis's
	// dial retries.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := Open(ctx, "http://user:hunter2@localhost:1/0", "")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("bad scheme: %v", err)
	}
	_, err = Open(ctx, "redis://:hunter2@127.0.0.1:1/0", "")
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("unreachable: %v", err)
	}
	_, err = Open(ctx, "redis://%zz", "")
	if err == nil {
		t.Fatal("unparsable URL accepted")
	}
}

func TestUsageRejectsForeignValue(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := goredis.NewClient(&goredis.Options{Addr: m.Addr()})
	defer rdb.Close()
	c := New(rdb, "")
	m.Set("{llmrouter}:b:x:spent", "twelve")
	if _, _, err := c.Usage(context.Background(), "x"); err == nil || !strings.Contains(err.Error(), "not an integer") {
		t.Fatalf("Usage: %v", err)
	}
}

func BenchmarkReserveCommitMiniredis(b *testing.B) {
	m := miniredis.RunT(b)
	c, err := Open(context.Background(), "redis://"+m.Addr(), "")
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	bud, err := spend.NewBudgets(spend.BudgetConfig{PerKeyUSD: 1e9}, c)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		r, err := bud.Reserve(ctx, "k", 0.01)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Commit(ctx, 0.005); err != nil {
			b.Fatal(err)
		}
	}
}
