package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/llmrouter/llmrouter/internal/apierr"
)

// stores are the Store implementations under test: memory, miniredis,
// and a real Redis when LLMROUTER_TEST_REDIS_URL names one (under a
// random prefix, so packages sharing CI's server do not collide).
func stores(t *testing.T) map[string]func(t *testing.T) Store {
	out := map[string]func(t *testing.T) Store{
		"memory": func(*testing.T) Store { return NewMemory() },
		"miniredis": func(t *testing.T) Store {
			rdb := goredis.NewClient(&goredis.Options{Addr: miniredis.RunT(t).Addr()})
			t.Cleanup(func() { rdb.Close() })
			return NewRedis(rdb, "")
		},
	}
	if url := os.Getenv("LLMROUTER_TEST_REDIS_URL"); url != "" {
		out["redis"] = func(t *testing.T) Store {
			opt, err := goredis.ParseURL(url)
			if err != nil {
				t.Fatal(err)
			}
			rdb := goredis.NewClient(opt)
			t.Cleanup(func() { rdb.Close() })
			var b [6]byte
			_, _ = rand.Read(b[:])
			return NewRedis(rdb, "test-"+hex.EncodeToString(b[:]))
		}
	}
	return out
}

// clock is a settable time for the limiter.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func minute(n int, frac float64) time.Time {
	return time.Date(2026, 4, 1, 12, n, 0, 0, time.UTC).Add(time.Duration(frac * float64(time.Minute)))
}

func TestLimiter(t *testing.T) {
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clk := &clock{t: minute(0, 0.1)}
			cfg := Config{Global: Limit{RequestsPerMinute: 8}, PerKey: Limit{RequestsPerMinute: 5, TokensPerMinute: 1000},
				Keys: map[string]Limit{"big": {TokensPerMinute: 100000}}}
			l := New(cfg, newStore(t)).WithClock(clk.now)
			admit := func(key string, tokens int64) error {
				tk, err := l.Admit(ctx, key, tokens)
				if err == nil && tk == nil {
					t.Fatal("no ticket and no error")
				}
				return err
			}
			for i := range 5 {
				if err := admit("a", 10); err != nil {
					t.Fatalf("request %d of key a: %v", i, err)
				}
			}
			err := admit("a", 10)
			var ref *Refusal
			if !errors.As(err, &ref) || apierr.CodeOf(err) != apierr.RateLimitExceeded || ref.Err.RetryAfter <= 0 ||
				ref.Headers["x-ratelimit-remaining-requests"] != "0" || ref.Headers["x-ratelimit-limit-requests"] != "5" {
				t.Fatalf("6th request of key a: %v %+v", err, ref)
			}
			// Key a's refusal counted nothing globally: b gets the 3 left.
			for i := range 3 {
				if err := admit("b", 10); err != nil {
					t.Fatalf("request %d of key b: %v", i, err)
				}
			}
			if err := admit("big", 10); apierr.CodeOf(err) != apierr.RateLimitExceeded {
				t.Fatalf("global limit not applied: %v", err)
			}
			// Half way through the next window, half of the previous count
			// still weighs: 8*0.5 = 4 of the global 8.
			clk.set(minute(1, 0.5))
			for i := range 4 {
				if err := admit("big", 10); err != nil {
					t.Fatalf("next window, request %d: %v", i, err)
				}
			}
			if err := admit("big", 10); apierr.CodeOf(err) != apierr.RateLimitExceeded {
				t.Fatalf("5th request half way through the next window: %v", err)
			}
		})
	}
}

func TestTokensSettle(t *testing.T) {
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clk := &clock{t: minute(0, 0)}
			l := New(Config{PerKey: Limit{TokensPerMinute: 1000}}, newStore(t)).WithClock(clk.now)
			tk, err := l.Admit(ctx, "a", 600)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Admit(ctx, "a", 600); apierr.CodeOf(err) != apierr.RateLimitExceeded {
				t.Fatalf("second 600-token request under a 1000 limit: %v", err)
			}
			if err := tk.Settle(ctx, 100); err != nil { // it used 100 of its 600
				t.Fatal(err)
			}
			tk2, err := l.Admit(ctx, "a", 600)
			if err != nil {
				t.Fatalf("after settling to 100 tokens: %v", err)
			}
			if got := tk2.Headers["x-ratelimit-remaining-tokens"]; got != "300" {
				t.Errorf("remaining tokens %s, want 300", got)
			}
			_, err = l.Admit(ctx, "a", 5000)
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Code != apierr.RateLimitExceeded || ae.RetryAfter != 0 {
				t.Fatalf("a request larger than the limit: %v", err)
			}
		})
	}
}

func TestWaitOne(t *testing.T) {
	tests := []struct {
		name             string
		limit, prev, cur int64
		frac             float64
		n                int64
		want             time.Duration
	}{
		{"room now", 10, 0, 5, 0.2, 1, 0},
		{"previous window must fade", 10, 10, 5, 0.2, 1, 24 * time.Second},         // 10*(1-f)+5+1 <= 10 at f=0.6
		{"current window full", 10, 0, 10, 0.5, 1, 30*time.Second + 6*time.Second}, // next window: 10*(1-f') <= 9 at f'=0.1
		{"unlimited", 0, 100, 100, 0.5, 1, 0},
	}
	for _, tc := range tests {
		if got := waitOne(tc.limit, tc.prev, tc.cur, tc.frac, tc.n); (got - tc.want).Abs() > time.Millisecond {
			t.Errorf("%s: waitOne = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Two limiters sharing one store, as two replicas, admit exactly the
// limit of a burst sent to both at once.
func TestSharedAcrossReplicas(t *testing.T) {
	for name, newStore := range stores(t) {
		if name == "memory" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			st := newStore(t)
			clk := &clock{t: minute(0, 0.3)}
			cfg := Config{PerKey: Limit{RequestsPerMinute: 120}}
			replicas := []*Limiter{New(cfg, st).WithClock(clk.now), New(cfg, st).WithClock(clk.now)}
			var admitted atomic.Int64
			var wg sync.WaitGroup
			for i := range 400 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := replicas[i%2].Admit(context.Background(), "k", 1)
					switch {
					case err == nil:
						admitted.Add(1)
					case apierr.CodeOf(err) != apierr.RateLimitExceeded:
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if admitted.Load() != 120 {
				t.Errorf("admitted %d of 400, want exactly 120", admitted.Load())
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{}, ""},
		{Config{Global: Limit{RequestsPerMinute: -1}}, "rate_limits.global.requests_per_minute: must be >= 0, got -1"},
		{Config{PerKey: Limit{TokensPerMinute: -5}}, "rate_limits.per_key.tokens_per_minute: must be >= 0, got -5"},
		{Config{Keys: map[string]Limit{"a": {TokensPerMinute: -5}}}, "rate_limits.keys.a.tokens_per_minute: must be >= 0, got -5"},
	}
	for _, tc := range tests {
		err := tc.cfg.Validate()
		if (err == nil) != (tc.want == "") || (err != nil && err.Error() != tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if New(Config{}, NewMemory()) != nil {
		t.Error("a config without limits built a limiter")
	}
}

// TestRedisOutage: without its counters the limiter refuses, as budget
// reservations do, rather than let requests through unlimited.
func TestRedisOutage(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := goredis.NewClient(&goredis.Options{Addr: mr.Addr(), MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer rdb.Close()
	l := New(Config{PerKey: Limit{RequestsPerMinute: 10}}, NewRedis(rdb, ""))
	if _, err := l.Admit(context.Background(), "a", 1); err != nil {
		t.Fatal(err)
	}
	mr.Close()
	_, err := l.Admit(context.Background(), "a", 1)
	if apierr.CodeOf(err) != apierr.Internal || !strings.Contains(err.Error(), "rate limit counters unavailable") {
		t.Fatalf("Admit with Redis down: %v", err)
	}
}
