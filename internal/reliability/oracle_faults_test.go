package reliability

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/judge"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/registry"
	"github.com/llmrouter/llmrouter/internal/provider/replay"
	"github.com/llmrouter/llmrouter/internal/provider/upstream"
	fk "github.com/llmrouter/llmrouter/internal/upstreamfake"
)

const (
	faultItems  = 4
	faultCalls  = faultItems * 4 // two answers and two LLM grades per item
	maxAttempts = 3
)

// recSleeps records retry waits instead of sleeping, so the test asserts
// the documented delays (Retry-After honoured) and stays fast.
type recSleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *recSleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

type oracleFaultCase struct {
	name   string
	script fk.Script
	skip   bool // --skip-errors
	// wantErr is a substring of the run's error; "" means it succeeds.
	wantErr string
	// retries is the number of retry waits expected (-1: don't check).
	retries int
	// sleep, if set, must be among the waits (Retry-After honoured).
	sleep   time.Duration
	missing int // calls answered without usage (tokens estimated)
	skipped int // items left out under --skip-errors
	// timeout bounds one upstream call (default 5s; short for hangs).
	timeout time.Duration
}

// firstAttempts faults the first attempt of every distinct prompt with the
// next of kinds, in turn, and lets its retries through: every kind is
// exercised whatever the arrival order.
func firstAttempts(kinds []fk.Fault) fk.Script {
	var mu sync.Mutex
	seen := map[string]bool{}
	n := 0
	return func(_ int, r *fk.Request) fk.Fault {
		mu.Lock()
		defer mu.Unlock()
		k := r.Model + "\x00" + r.Hash()
		if seen[k] {
			return fk.Fault{}
		}
		seen[k] = true
		n++
		return kinds[(n-1)%len(kinds)]
	}
}

func first(f ...fk.Fault) fk.Script { return fk.Queue(f...) }

func oracleFaultCases() []oracleFaultCase {
	return []oracleFaultCase{
		{name: "no fault", retries: 0},
		{name: "429 Retry-After honoured", script: first(fk.RateLimited(2 * time.Second)), retries: 1, sleep: 2 * time.Second},
		{name: "500 502 503 retried", script: firstAttempts([]fk.Fault{fk.HTTPStatus(500), fk.HTTPStatus(502), fk.HTTPStatus(503)}), retries: faultItems * 4},
		{name: "connection reset retried", script: first(fk.Fault{Kind: fk.Reset}), retries: 1},
		{name: "hang times out, retried", script: first(fk.Fault{Kind: fk.Hang}), retries: 1, timeout: 250 * time.Millisecond},
		{name: "malformed JSON retried", script: first(fk.Fault{Kind: fk.Malformed}), retries: 1},
		{name: "truncated body retried", script: first(fk.Fault{Kind: fk.Truncate}), retries: 1},
		{name: "corrupt body retried", script: first(fk.Fault{Kind: fk.Corrupt}), retries: 1},
		{name: "trickle", script: first(fk.Fault{TrickleBytes: 16, TrickleDelay: time.Millisecond}), retries: 0},
		{name: "missing usage estimated", script: first(fk.Fault{Kind: fk.NoUsage}, fk.Fault{Kind: fk.NoUsage}), retries: 0, missing: 2},
		{name: "large answer accepted", script: first(fk.Fault{Kind: fk.Enormous, Size: 1 << 20}), retries: 0},
		{name: "enormous answer refused, retried", script: first(fk.Fault{Kind: fk.Enormous, Size: 40 << 20}), retries: 1},
		// 16 calls take the 10 kinds in turn on their first attempt: 14 of
		// them are retryable failures, one answer comes without usage.
		{name: "every kind on first attempts", script: firstAttempts(fk.EveryKind()), retries: 14, sleep: time.Second, missing: 1},
		{name: "400 halts the run", script: first(fk.HTTPStatus(400)), wantErr: "400", retries: 0},
		{name: "400 skipped with --skip-errors", script: first(fk.HTTPStatus(400)), skip: true, retries: 0, skipped: 1},
		{name: "401 not retried", script: fk.Always(fk.HTTPStatus(401)), wantErr: "401", retries: 0},
		{name: "403 not retried", script: fk.Always(fk.HTTPStatus(403)), wantErr: "403", retries: 0},
		{name: "always 503 gives up", script: fk.Always(fk.HTTPStatus(503)), wantErr: "503", retries: -1},
		{name: "always 429 gives up", script: fk.Always(fk.RateLimited(time.Second)), wantErr: "429", retries: -1, sleep: time.Second},
		{name: "always hangs gives up", script: fk.Always(fk.Fault{Kind: fk.Hang}), wantErr: "time", retries: -1, timeout: 250 * time.Millisecond},
		{name: "always malformed gives up", script: fk.Always(fk.Fault{Kind: fk.Malformed}), wantErr: "malformed", retries: -1},
	}
}

// TestOracleFaults runs the oracle generator in-process, through the real
// registry and Gemini client, against every fault class of the fake. A
// fault that a retry can clear must leave a complete, exactly accounted
// dataset; one that cannot must stop the run with a one-line error naming
// the upstream status, keep every finished call in the journal, and leak
// no goroutine.
func TestOracleFaults(t *testing.T) {
	for _, tc := range oracleFaultCases() {
		t.Run(tc.name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			runOracleFault(t, tc)
		})
	}
}

func faultItemsList() []dataset.Item {
	items := make([]dataset.Item, faultItems)
	for i := range items {
		items[i] = dataset.Item{ID: fmt.Sprintf("f%d", i), Benchmark: "custom",
			Problem: fmt.Sprintf("Which guild kept the lighthouse ledger number %d?", i),
			Answer:  fmt.Sprintf("the harbour guild of %c", 'A'+i)}
	}
	return items
}

func runOracleFault(t *testing.T, tc oracleFaultCase) {
	opts := []fk.Option{fk.WithAnswer(gradingAnswer), fk.WithAPIKey("test-key")}
	if tc.script != nil {
		opts = append(opts, fk.WithScript(tc.script))
	}
	srv := fk.New(t, opts...)
	timeout := tc.timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	hc := upstream.NewHTTPClient()
	t.Cleanup(hc.CloseIdleConnections)
	sl := &recSleeps{}
	cat, err := catalog.DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(cat, registry.Options{Replay: replay.Lazy(replay.Options{}),
		Getenv: func(k string) string {
			return map[string]string{"GEMINI_API_KEY": "test-key", "GEMINI_BASE_URL": srv.URL}[k]
		},
		HTTPClient: hc, Timeout: timeout,
		Retry: provider.RetryOptions{MaxAttempts: maxAttempts, BaseDelay: time.Millisecond, Seed: 3, Sleep: sl.sleep},
	})
	jp, jm, err := reg.Get(judgeModel)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	sum, err := oracle.Run(t.Context(), oracle.Config{
		Items: faultItemsList(), Cheap: cheapModel, Strong: strongModel,
		Judge: judge.Chain(judge.Rule(nil), judge.NewLLM(jp, jm)), JudgeName: judgeModel,
		Providers: reg, OutputDir: out, Concurrency: 4, SkipErrors: tc.skip, Grace: 5 * time.Second,
		// The oracle rides out 429s by requeueing for up to RateLimitPatience
		// (10m by default); a short patience keeps "always 429" bounded.
		RateLimitPatience: 2 * time.Second,
	})
	waitIdle(t, srv)
	st := srv.Stats()
	sl.mu.Lock()
	sleeps := slices.Clone(sl.d)
	sl.mu.Unlock()
	if tc.retries >= 0 && len(sleeps) != tc.retries {
		t.Errorf("%d retry waits %v, want %d (faults %v)", len(sleeps), sleeps, tc.retries, st.ByFault)
	}
	if tc.sleep > 0 && !slices.Contains(sleeps, tc.sleep) {
		t.Errorf("retry waits %v do not honour Retry-After %v", sleeps, tc.sleep)
	}
	for _, d := range sleeps {
		if d > 30*time.Second {
			t.Errorf("retry wait %v above the 30s cap", d)
		}
	}
	recs := journalRecords(t, out)
	if tc.wantErr != "" {
		checkFailedRun(t, tc, err, st, recs)
		return
	}
	if err != nil {
		t.Fatalf("run failed: %v (faults %v)", err, st.ByFault)
	}
	if want := faultItems - tc.skipped; sum.Rows != want || len(sum.Skipped) != tc.skipped {
		t.Errorf("%d rows, %d skipped; want %d rows, %d skipped", sum.Rows, len(sum.Skipped), want, tc.skipped)
	}
	checkExactSpend(t, cat, sum, recs, st, srv.Calls(), tc.missing)
	if n := len(readRows(t, out)); n != sum.Rows {
		t.Errorf("dataset file has %d rows, summary says %d", n, sum.Rows)
	}
}

// checkFailedRun: one clean line naming the cause, no retry of a 4xx, and
// every answer the fake served either journaled or lost only in flight.
func checkFailedRun(t *testing.T, tc oracleFaultCase, err error, st fk.Stats, recs []oracle.CallRecord) {
	t.Helper()
	if err == nil {
		t.Fatalf("run succeeded, want an error containing %q", tc.wantErr)
	}
	msg := err.Error()
	if !strings.Contains(msg, tc.wantErr) || strings.Contains(msg, "\n") || strings.Contains(msg, "test-key") {
		t.Errorf("error is not one clean line naming %q: %q", tc.wantErr, msg)
	}
	if !strings.Contains(msg, "rerun to resume") {
		t.Errorf("error does not say the run can be resumed: %q", msg)
	}
	if strings.HasPrefix(tc.wantErr, "4") && tc.wantErr != "429" {
		for k, n := range st.ByPrompt {
			if n > 1 {
				t.Errorf("a %s was retried: %s called %d times", tc.wantErr, k.Model, n)
			}
		}
	}
	if len(recs) > st.Served {
		t.Errorf("journal holds %d calls, the fake served only %d", len(recs), st.Served)
	}
}

// checkExactSpend: the summary's tokens and costs are exactly what the
// fake reported in the answers it served (each call counted once), except
// for calls without usage, which are counted, flagged and estimated.
func checkExactSpend(t *testing.T, cat *catalog.Catalogue, sum *oracle.Summary, recs []oracle.CallRecord, st fk.Stats, calls []fk.Call, missing int) {
	t.Helper()
	if len(recs) != st.Served {
		t.Errorf("journal holds %d calls, the fake served %d complete answers", len(recs), st.Served)
	}
	var reported provider.Usage
	var cost float64
	flagged := 0
	for _, r := range recs {
		if r.Result.Usage.Missing || r.Result.Usage.Estimated {
			flagged++
			continue
		}
		reported = reported.Add(r.Result.Usage)
		cost += r.Result.Cost
	}
	if flagged != missing {
		t.Errorf("%d calls flagged as estimated, want %d", flagged, missing)
	}
	if int64(reported.InputTokens) != st.Usage.Input || int64(reported.OutputTokens) != st.Usage.Output || int64(reported.ThinkingTokens) != st.Usage.Thinking {
		t.Errorf("journaled usage %+v, fake reported %+v", reported, st.Usage)
	}
	var want float64
	for _, c := range calls {
		if !c.Served {
			continue
		}
		m, err := cat.Lookup(c.Model)
		if err != nil {
			t.Fatal(err)
		}
		want += m.Price.Cost(int(c.Usage.Input), int(c.Usage.Output+c.Usage.Thinking))
	}
	if math.Abs(cost-want) > 1e-9 {
		t.Errorf("journaled cost $%.9f, fake usage prices at $%.9f", cost, want)
	}
	all := sum.Cheap.CostUSD + sum.Strong.CostUSD + sum.Judge.CostUSD
	if math.Abs(all-sum.TotalCost) > 1e-12 {
		t.Errorf("summary total $%v is not the sum of its parts $%v", sum.TotalCost, all)
	}
	if missing == 0 && math.Abs(sum.TotalCost-want) > 1e-9 {
		t.Errorf("summary total $%.9f, fake usage prices at $%.9f", sum.TotalCost, want)
	}
}
