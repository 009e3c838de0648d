package server

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// TestRedisDownAtStartup: a gateway (re)started while its Redis is down
// starts anyway and behaves as in any other outage (local serves, closed
// answers 503), /readyz says so, and everything recovers with Redis.
func TestRedisDownAtStartup(t *testing.T) {
	for _, policy := range []string{"local", "closed"} {
		t.Run(policy, func(t *testing.T) {
			r := newFlakyRedis(t)
			r.stop()
			fake := upstreamfake.New(t, upstreamfake.WithAPIKey(""), upstreamfake.WithAnswer(budgetAnswer))
			env := map[string]string{"TEST_REDIS_URL": r.url(), "TEST_REDIS_POLICY": policy}
			g := startGateway(t, fake, "budgets: {global_usd: 100}\n", env)
			if !strings.Contains(g.logs.String(), "Redis unreachable at startup") {
				t.Error("no startup warning about the unreachable Redis")
			}
			auth := []string{"Authorization", "Bearer " + gatewayKey}
			status, _, body := g.post("/v1/chat/completions", outageBody, auth...)
			wantReady := 200
			switch policy {
			case "local":
				if status != 200 {
					t.Fatalf("request with Redis down since startup: %d %s", status, body)
				}
			case "closed":
				wantReady = 503
				if status != 503 || !strings.Contains(body, "budget store unavailable") {
					t.Fatalf("request with Redis down since startup: %d %s, want 503", status, body)
				}
			}
			if body := waitReady(t, g, wantReady); !strings.Contains(body, `"redis":{"status":"down"`) {
				t.Errorf("/readyz with Redis down since startup: %s", body)
			}
			r.start()
			waitReady(t, g, 200)
			if status, _, body := g.post("/v1/chat/completions", outageBody, auth...); status != 200 {
				t.Fatalf("after Redis came up: %d %s", status, body)
			}
			// Spend records are written in batches, so the store may lag
			// the last answer for a moment.
			deadline := time.Now().Add(3 * time.Second)
			for {
				recorded := g.summary().CostUSD
				spent, err := g.srv.deps.Budgets.Spent(context.Background(), "tester")
				if err != nil {
					t.Fatal(err)
				}
				if recorded > 0 && math.Abs(spent-recorded) <= 1e-9 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("Redis holds $%.6f after recovery, the store recorded $%.6f", spent, recorded)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
