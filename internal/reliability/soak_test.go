package reliability

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

const (
	soakRate          = 100 // requests per second
	soakFaultFraction = 0.1
	// Margins for "ends where it started": a few goroutines for timers and
	// pooled connections, and heap noise well below what a per-request
	// leak over thousands of requests would add.
	soakGoroutineSlack = 10
	soakHeapSlack      = 8 << 20
	// Under -race the detector's shadow state adds ~1 KB per request.
	soakHeapSlackRace = 16 << 20
)

func soakDuration(t *testing.T) time.Duration {
	s := os.Getenv("LLMROUTER_SOAK_SECONDS")
	if s == "" {
		return 60 * time.Second
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("LLMROUTER_SOAK_SECONDS=%q: want a positive number of seconds", s)
	}
	return time.Duration(n) * time.Second
}

// TestGatewaySoak drives the gateway at a steady 100 req/s (a third of
// them streamed) for LLMROUTER_SOAK_SECONDS (default 60) while 10% of
// upstream calls fail with a random fault class. Every request must get an
// answer (a 200, or an OpenAI error object with a proper status), and
// goroutines and heap must end within a small margin of where they were
// after warm-up.
func TestGatewaySoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test: skipped with -short")
	}
	dur := soakDuration(t)
	faults := upstreamfake.Random(20250601, soakFaultFraction, upstreamfake.EveryKind()...)
	fake := upstreamfake.New(t, upstreamfake.WithAPIKey(upstreamKey), upstreamfake.WithScript(faults),
		upstreamfake.WithLatency(2*time.Millisecond), upstreamfake.WithCountersOnly())
	g := startGateway(t, gatewayYAML(fake, filepath.Join(t.TempDir(), "spend.db"), "limits: {request_timeout: 10s}\n"),
		map[string]string{"GEMINI_API_KEY": upstreamKey})

	g.logs.Discard()
	warm := dur / 10
	soakLoad(t, g, warm, 0)
	g0, h0 := settle(g)
	codes, bad := soakLoad(t, g, dur, 1)
	g1, h1 := settle(g)
	waitIdle(t, fake)
	st := fake.Stats()
	total := 0
	for _, n := range codes {
		total += n
	}
	t.Logf("%d requests in %v: statuses %v; upstream calls %d, faults %v; goroutines %d -> %d; heap %.1f -> %.1f MiB",
		total, dur, codes, st.Calls, st.ByFault, g0, g1, float64(h0)/(1<<20), float64(h1)/(1<<20))
	if want := int(dur.Seconds()) * soakRate; total < want*9/10 {
		t.Errorf("only %d requests sent, want about %d", total, want)
	}
	for _, b := range bad {
		t.Error(b)
	}
	if codes[200] < total*9/10 {
		t.Errorf("only %d of %d requests succeeded with retries and fallbacks available", codes[200], total)
	}
	if g1 > g0+soakGoroutineSlack {
		t.Errorf("goroutines grew from %d to %d", g0, g1)
	}
	if n := g.logs.Discarded(); n < total {
		t.Errorf("%d request log lines for %d requests", n, total)
	}
	slack := uint64(soakHeapSlack)
	if raceEnabled {
		slack = soakHeapSlackRace
	}
	if h1 > h0+slack {
		t.Errorf("heap grew from %d to %d bytes", h0, h1)
	}
}

// soakLoad sends requests at soakRate for d and returns the status counts
// and a description of every request that got no proper answer.
func soakLoad(t *testing.T, g *gateway, d time.Duration, seed int) (map[int]int, []string) {
	t.Helper()
	var mu sync.Mutex
	codes := map[int]int{}
	var bad []string
	var wg sync.WaitGroup
	var n atomic.Int64
	tick := time.NewTicker(time.Second / soakRate)
	defer tick.Stop()
	start := time.Now()
	end := time.After(d)
	for {
		select {
		case <-end:
			wg.Wait()
			return codes, bad
		case <-tick.C:
		}
		// Catch up on ticks a busy machine dropped: the rate is a schedule.
		due := int64(time.Since(start).Seconds() * soakRate)
		for n.Load() < due {
			soakOne(g, n.Add(1), seed, &wg, &mu, codes, &bad)
		}
	}
}

func soakOne(g *gateway, i int64, seed int, wg *sync.WaitGroup, mu *sync.Mutex, codes map[int]int, bad *[]string) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		stream := i%3 == 0
		body := fmt.Sprintf(`{"model":"mini","max_tokens":30,"stream":%v,"messages":[{"role":"user","content":"soak %d question %d"}]}`, stream, seed, i)
		status, _, resp := g.do("POST", "/v1/chat/completions", body, authHdr()...)
		problem := answerProblem(status, stream, resp)
		mu.Lock()
		codes[status]++
		if problem != "" && len(*bad) < 20 {
			*bad = append(*bad, fmt.Sprintf("request %d: %s", i, problem))
		}
		mu.Unlock()
	}()
}

// answerProblem says what is wrong with a response, "" if it is a proper
// answer: a complete completion or stream, or an OpenAI error object with
// a status the gateway documents for upstream trouble.
func answerProblem(status int, stream bool, body string) string {
	switch status {
	case 200:
		if stream {
			if !strings.Contains(body, "data: [DONE]") && !strings.Contains(body, `"error"`) {
				return "stream ended without [DONE] or an error event"
			}
			return ""
		}
		var c struct {
			Choices []struct{ Message struct{ Content *string } }
		}
		if json.Unmarshal([]byte(body), &c) != nil || len(c.Choices) != 1 || c.Choices[0].Message.Content == nil {
			return fmt.Sprintf("200 without a completion: %.200s", body)
		}
		return ""
	case 429, 502, 503, 504:
		var e struct {
			Error struct{ Message, Type string }
		}
		if json.Unmarshal([]byte(body), &e) != nil || e.Error.Message == "" {
			return fmt.Sprintf("%d without an OpenAI error object: %.200s", status, body)
		}
		return ""
	}
	return fmt.Sprintf("status %d: %.200s", status, body)
}

var heapProfiles int

// settle lets in-flight work finish, drops idle connections on both sides
// and returns the goroutine count and live heap.
func settle(g *gateway) (int, uint64) {
	g.client.CloseIdleConnections()
	g.hc.CloseIdleConnections()
	var ms runtime.MemStats
	n := 0
	for range 20 {
		time.Sleep(50 * time.Millisecond)
		runtime.GC()
		n = runtime.NumGoroutine()
	}
	runtime.ReadMemStats(&ms)
	if dir := os.Getenv("RELIABILITY_HEAPPROF"); dir != "" {
		// For diagnosing a failure: go tool pprof -base heap-1 heap-2.
		heapProfiles++
		if f, err := os.Create(filepath.Join(dir, fmt.Sprintf("heap-%d", heapProfiles))); err == nil {
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	return n, ms.HeapAlloc
}
