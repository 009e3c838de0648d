package reliability

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// Every budget request: "hi" in, exactly 100 words out, at $0.001 a token.
const (
	budgetRequests = 200
	budgetAnswered = 100
	// costPerAnswer is 1 input token + 100 output tokens.
	costPerAnswer = 101 * pricePerM / 1e6
	budgetUSD     = budgetAnswered * costPerAnswer
	// maxCostPerRequest bounds one reservation: the prompt estimate (a few
	// tokens for "hi" and the chat framing) plus max_tokens 100.
	maxCostPerRequest = (16 + 100) * pricePerM / 1e6
)

var hundredWords = strings.TrimSpace(strings.Repeat("word ", 100))

func hundredWordAnswer(*upstreamfake.Request) upstreamfake.Reply {
	return upstreamfake.Reply{Text: hundredWords}
}

// TestGatewayBudget200 sends 200 concurrent requests, half of them
// streamed, through one gateway whose global budget allows about 100.
func TestGatewayBudget200(t *testing.T) {
	fake := upstreamfake.New(t, upstreamfake.WithAPIKey(upstreamKey), upstreamfake.WithAnswer(hundredWordAnswer),
		upstreamfake.WithLatency(20*time.Millisecond))
	g := startGateway(t, gatewayYAML(fake, filepath.Join(t.TempDir(), "spend.db"), budgetYAML("")), map[string]string{"GEMINI_API_KEY": upstreamKey})
	checkBudget(t, fake, hammerBudget(t, g), g)
}

// TestGatewayBudget200TwoReplicas spreads the same load over two gateways
// sharing their budget counters in one Redis: the real redis-server when
// LLMROUTER_TEST_REDIS_URL is set (in a database of its own, flushed
// first), else miniredis.
func TestGatewayBudget200TwoReplicas(t *testing.T) {
	fake := upstreamfake.New(t, upstreamfake.WithAPIKey(upstreamKey), upstreamfake.WithAnswer(hundredWordAnswer),
		upstreamfake.WithLatency(20*time.Millisecond))
	env := map[string]string{"GEMINI_API_KEY": upstreamKey, "RELIABILITY_REDIS_URL": budgetRedis(t)}
	dir := t.TempDir()
	a := startGateway(t, gatewayYAML(fake, filepath.Join(dir, "a.db"), budgetYAML("RELIABILITY_REDIS_URL")), env)
	b := startGateway(t, gatewayYAML(fake, filepath.Join(dir, "b.db"), budgetYAML("RELIABILITY_REDIS_URL")), env)
	checkBudget(t, fake, hammerBudget(t, a, b), a, b)
}

func budgetYAML(redisEnv string) string {
	s := fmt.Sprintf("budgets: {global_usd: %v}\n", budgetUSD)
	if redisEnv != "" {
		// Appended after gatewayYAML's spend section: extend it.
		s = "  redis_url_env: " + redisEnv + "\n" + s
	}
	return s
}

// budgetRedis returns a Redis URL for the shared counters.
func budgetRedis(t *testing.T) string {
	t.Helper()
	raw := os.Getenv("LLMROUTER_TEST_REDIS_URL")
	if raw == "" {
		return "redis://" + miniredis.RunT(t).Addr() + "/0"
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("LLMROUTER_TEST_REDIS_URL: %v", err)
	}
	// The gateway's counter keys are fixed names: a database of our own
	// keeps other packages' tests on the same server out of the way.
	u.Path = "/13"
	opt, err := redis.ParseURL(u.String())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("flush test database: %v", err)
	}
	return u.String()
}

// hammerBudget sends budgetRequests concurrent requests spread over gws
// and returns the status counts.
func hammerBudget(t *testing.T, gws ...*gateway) map[int]int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	start := make(chan struct{})
	for i := range budgetRequests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			body := fmt.Sprintf(`{"model":"mini","max_tokens":100,"stream":%v,"messages":[{"role":"user","content":"hi"}]}`, i%2 == 0)
			status, _, resp := gws[i%len(gws)].do("POST", "/v1/chat/completions", body, authHdr()...)
			if status == 429 && !strings.Contains(resp, "insufficient_quota") {
				t.Errorf("429 without insufficient_quota: %.200s", resp)
			}
			if status == 200 && i%2 == 0 && !strings.Contains(resp, "data: [DONE]") {
				t.Errorf("stream did not end with [DONE]: %.200s", resp)
			}
			mu.Lock()
			codes[status]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

// checkBudget: spend stays within the budget plus one request's maximum
// cost, every request was answered 200 or 429, and the recorded total is
// exactly the upstream's reported usage priced.
func checkBudget(t *testing.T, fake *upstreamfake.Server, codes map[int]int, gws ...*gateway) {
	t.Helper()
	var recorded float64
	var records int64
	outage := false
	for _, g := range gws {
		g.stop()
		// A Redis call that timed out on an overloaded machine opens the
		// breaker, and each replica then counts its share locally: the
		// documented outage bound, one more budget at most, applies.
		outage = outage || strings.Contains(g.logs.String(), "breaker open")
		s := spent(t, g.db)
		recorded += s.CostUSD
		records += s.Requests
	}
	waitIdle(t, fake)
	st := fake.Stats()
	upstream := float64(st.Usage.Total()) * pricePerM / 1e6
	t.Logf("statuses %v; recorded $%.4f over %d records; upstream answered %d calls worth $%.4f; budget $%.2f",
		codes, recorded, records, st.Served, upstream, budgetUSD)
	if codes[200]+codes[429] != budgetRequests {
		t.Errorf("statuses %v: every request must be answered 200 or 429", codes)
	}
	most, over := budgetAnswered+1, maxCostPerRequest
	if outage {
		t.Logf("Redis timed out under load and the breaker opened: allowing the outage bound of one more budget")
		most, over = 2*budgetAnswered+1, budgetUSD+maxCostPerRequest
	}
	if codes[200] < budgetAnswered*8/10 || codes[200] > most {
		t.Errorf("%d answered, want about %d", codes[200], budgetAnswered)
	}
	if recorded > budgetUSD+over+1e-9 {
		t.Errorf("spent $%.4f: over the budget $%.4f by more than $%.4f", recorded, budgetUSD, over)
	}
	if math.Abs(recorded-upstream) > 1e-9 {
		t.Errorf("recorded $%.9f, upstream usage prices at $%.9f", recorded, upstream)
	}
	if records != budgetRequests || st.Served != codes[200] {
		t.Errorf("%d records for %d requests; %d upstream answers for %d successes", records, budgetRequests, st.Served, codes[200])
	}
}
