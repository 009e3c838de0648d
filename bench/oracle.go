package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter/bench/internal/proc"
	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/judge"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/provider/registry"
	"github.com/llmrouter/llmrouter/internal/provider/replay"
	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// The fake upstream's key; not a secret, it only exercises the clients'
// auth headers.
const (
	fakeKeyEnv = "LLMROUTER_BENCH_FAKE_KEY"
	fakeKey    = "bench-fake-key"
	// fakeBurst is the fake's token-bucket burst: 100 ms at 400 calls/s.
	fakeBurst = 40
)

type oracleReq struct {
	URL         string
	Items       []dataset.Item
	Concurrency int
	RPS         float64
	Dir         string
}

type oracleResp struct {
	Wall      time.Duration
	Calls     int
	RSSBefore int64
	HWM       int64
}

// fakeCatalogue has two models on the fake, one per wire protocol, so the
// oracle drives both real clients: the cheap one over Gemini's native API,
// the strong one over OpenAI chat completions.
func fakeCatalogue(url string) (*catalog.Catalogue, error) {
	y := fmt.Sprintf(`models:
  fake-flash:
    provider: gemini
    upstream_model: gemini-2.5-flash
    base_url: %[1]s
    api_key_env: %[2]s
    price: {input: 0.30, output: 2.50}
  fake-pro:
    provider: openai
    upstream_model: gpt-4o
    base_url: %[1]s/v1
    api_key_env: %[2]s
    price: {input: 2.50, output: 10.00}
`, url, fakeKeyEnv)
	return catalog.ParseCatalogue([]byte(y), "bench fake catalogue")
}

func fakeGetenv(k string) string {
	if k == fakeKeyEnv {
		return fakeKey
	}
	return ""
}

// childOracle runs oracle.Run once against the fake and reports its wall
// time; the parent reads the fake's counters and this process's peak RSS.
func childOracle(ctx context.Context, dec *json.Decoder, emit func(any) error) error {
	var req oracleReq
	if err := dec.Decode(&req); err != nil {
		return err
	}
	cat, err := fakeCatalogue(req.URL)
	if err != nil {
		return err
	}
	before, err := proc.Read(0)
	if err != nil {
		return err
	}
	reg := registry.New(cat, registry.Options{Replay: replay.Lazy(replay.Options{}), Getenv: fakeGetenv})
	t := time.Now()
	_, err = oracle.Run(ctx, oracle.Config{
		Items: req.Items, Cheap: "fake-flash", Strong: "fake-pro",
		Judge: judge.Rule(nil), JudgeName: "rule", Providers: reg, OutputDir: req.Dir,
		Concurrency: req.Concurrency, RPS: req.RPS, Progress: io.Discard,
	})
	if err != nil {
		return err
	}
	wall := time.Since(t)
	after, err := proc.Read(0)
	if err != nil {
		return err
	}
	return emit(oracleResp{Wall: wall, Calls: 2 * len(req.Items), RSSBefore: before.RSS, HWM: after.HWM})
}

type oracleRow struct {
	conc                  int
	bound, achieved       float64
	calls, limited, other int
	wall                  time.Duration
	peak, before          int64
	maxInFlight           int
	failed                string // why oracle.Run failed, if it did
}

// oracleThroughput runs the real oracle with the real Gemini and OpenAI
// clients against the fake upstream at fixed latency and a rate limit.
func (b *bench) oracleThroughput(ctx context.Context) (*Section, error) {
	latency, limit := b.dur(100*time.Millisecond, 20*time.Millisecond), 400.0
	window := b.dur(5*time.Second, 150*time.Millisecond)
	s := &Section{Title: "Oracle generation throughput",
		Intro: fmt.Sprintf("`oracle.Run` (journal, group commit, rule judge) with the real Gemini-native and OpenAI-compatible clients from `provider/registry`, "+
			"against `upstreamfake` answering every call after a fixed %v and admitting %.0f calls/s (token bucket with a burst of %d calls, i.e. 100 ms of tokens, since real limits are per minute and tolerate short bursts; 429 with Retry-After beyond it). "+
			"The oracle is configured with `--rps %.0f` as a user would for such an upstream. Each question is two upstream calls (cheap via Gemini, strong via OpenAI); "+
			"the run is sized to last about %v at the bound. Bound = min(concurrency ÷ latency, rate limit); each oracle run is its own process, whose peak RSS is shown.",
			latency, limit, fakeBurst, limit, window)}
	items, err := dataset.RecordedItems("gsm8k")
	if err != nil {
		return nil, err
	}
	t := Table{Header: []string{"concurrency", "bound (calls/s)", "achieved (calls/s)", "achieved ÷ bound", "calls", "429s", "other faults", "max in flight", "peak RSS", "RSS at start"}}
	for _, conc := range []int{1, 8, 32, 128} {
		row, err := b.oracleRun(ctx, items, conc, latency, limit, window)
		if err != nil {
			return nil, fmt.Errorf("concurrency %d: %w", conc, err)
		}
		if row.failed != "" {
			t.add(fmt.Sprint(conc), f(row.bound, 0), fmt.Sprintf("**run failed** after %v (%s calls/s until then)", row.wall.Round(100*time.Millisecond), f(row.achieved, 1)), "—", fmt.Sprint(row.calls), fmt.Sprint(row.limited), fmt.Sprint(row.other), fmt.Sprint(row.maxInFlight), "—", "—")
			s.note("At concurrency %d `oracle.Run` failed after %v: %s. The table shows the fake's counters up to then.", conc, row.wall.Round(time.Millisecond), row.failed)
			continue
		}
		t.add(fmt.Sprint(conc), f(row.bound, 0), f(row.achieved, 1), pct(row.achieved/row.bound), fmt.Sprint(row.calls),
			fmt.Sprint(row.limited), fmt.Sprint(row.other), fmt.Sprint(row.maxInFlight), mib(row.peak), mib(row.before))
	}
	s.Tables = append(s.Tables, t)
	s.note("Achieved = calls answered ÷ wall time of `oracle.Run` (including its start-up and final fsync), so short runs understate the steady rate slightly.")
	s.note("429s are calls the fake refused although the oracle paces itself at the same rate: sends bunch up when the oracle process is descheduled (the machine is shared), and the clients' retries after Retry-After are not paced by the oracle's limiter. A call still refused after the client's last retry is requeued after a backoff while the oracle halves its concurrency window (AIMD), so the run slows down instead of failing.")
	return s, nil
}

func (b *bench) oracleRun(ctx context.Context, all []dataset.Item, conc int, latency time.Duration, limit float64, window time.Duration) (oracleRow, error) {
	r := oracleRow{conc: conc, bound: min(float64(conc)/latency.Seconds(), limit)}
	n := max(2, int(r.bound*window.Seconds()/2))
	if n > len(all) {
		n = len(all)
	}
	fake, err := upstreamfake.Start("", upstreamfake.WithLatency(latency), upstreamfake.WithRateLimit(limit, fakeBurst), upstreamfake.WithAPIKey(fakeKey))
	if err != nil {
		return r, err
	}
	defer fake.Close()
	dir := filepath.Join(b.opts.workDir, fmt.Sprintf("oracle_c%d", conc))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return r, err
	}
	var resp oracleResp
	t := time.Now()
	if err := runChildJob(ctx, "oracle", oracleReq{URL: fake.URL, Items: all[:n], Concurrency: conc, RPS: limit, Dir: dir}, &resp); err != nil {
		if ctx.Err() != nil {
			return r, err
		}
		// A failed run is a result, not a broken benchmark: report it.
		msg, _, _ := strings.Cut(oneLine(err.Error()), " (finished calls are saved")
		r.failed, resp.Wall = msg, time.Since(t)
	}
	st := fake.Stats()
	r.calls, r.wall, r.peak, r.before, r.maxInFlight = st.Served, resp.Wall, resp.HWM, resp.RSSBefore, st.MaxInFlight
	r.limited = st.ByFault["rate_limited"]
	for k, v := range st.ByFault {
		if k != "" && k != "rate_limited" && k != "none" {
			r.other += v
		}
	}
	r.achieved = float64(st.Served) / resp.Wall.Seconds()
	b.opts.log.Info("oracle run", "concurrency", conc, "calls", st.Served, "achieved", f(r.achieved, 1), "bound", r.bound, "faults", st.ByFault, "failed", r.failed)
	return r, nil
}
