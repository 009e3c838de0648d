package oracle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/judge"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/registry"
	"github.com/llmrouter/llmrouter/internal/provider/replay"
	"github.com/llmrouter/llmrouter/internal/syncbuf"
	fake "github.com/llmrouter/llmrouter/internal/upstreamfake"
)

const rlKeyEnv = "ORACLE_TEST_FAKE_KEY"

// rlAnswer plays both answering models and the judge: judge prompts (which
// quote the gold target) get "A", questions an echo with some thinking, so
// every usage field is exercised.
func rlAnswer(req *fake.Request) fake.Reply {
	if strings.Contains(req.LastUser(), "Gold target:") {
		return fake.Reply{Text: "A"}
	}
	return fake.Reply{Text: "Answer from " + req.Model + ": " + req.LastUser(), ThinkingTokens: 5}
}

// realRegistry drives the real Gemini and OpenAI clients (with the client
// retries every real run has) against srv. The client's waits are capped
// at a few milliseconds so the test is fast; the oracle then sees 429s
// that survived those retries, as in a real run under sustained limits.
func realRegistry(t *testing.T, srv *fake.Server) *registry.Registry {
	t.Helper()
	cat, err := catalog.ParseCatalogue(fmt.Appendf(nil, `models:
  flash:
    provider: gemini
    upstream_model: gemini-2.5-flash
    base_url: %[1]s
    api_key_env: %[2]s
    price: {input: 0.30, output: 2.50}
  pro:
    provider: openai
    upstream_model: gpt-4o
    base_url: %[1]s/v1
    api_key_env: %[2]s
    price: {input: 2.50, output: 10.00}
  grader:
    provider: openai
    upstream_model: gpt-4o-mini
    base_url: %[1]s/v1
    api_key_env: %[2]s
    price: {input: 0.15, output: 0.60}
`, srv.URL, rlKeyEnv), "test catalogue")
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	t.Cleanup(tr.CloseIdleConnections)
	return registry.New(cat, registry.Options{Replay: replay.Lazy(replay.Options{}),
		Getenv:     func(k string) string { return map[string]string{rlKeyEnv: "k"}[k] },
		HTTPClient: &http.Client{Transport: tr},
		Timeout:    10 * time.Second,
		Retry:      provider.RetryOptions{MaxAttempts: 2, MaxDelay: 2 * time.Millisecond, Seed: 1},
	})
}

func rlConfig(t *testing.T, reg *registry.Registry, items []dataset.Item, dir string) Config {
	t.Helper()
	p, m, err := reg.Get("grader")
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		Items: items, Cheap: "flash", Strong: "pro", Judge: judge.NewLLM(p, m), JudgeName: "grader",
		Providers: reg, OutputDir: dir, Concurrency: 64,
		// The fake's Retry-After is whole seconds; cap it so the test is fast.
		RateLimitBackoff: 2 * time.Millisecond, RateLimitMaxBackoff: 20 * time.Millisecond,
	}
}

func TestRunRidesOutSustainedRateLimit(t *testing.T) {
	// 64 calls at once against a bucket of 4 refilled at 300/s: most first
	// attempts are refused, and many still are after the client's retry.
	srv := fake.New(t, fake.WithRateLimit(300, 4), fake.WithLatency(2*time.Millisecond), fake.WithAnswer(rlAnswer))
	items := testItems(40)
	dir := t.TempDir()
	cfg := rlConfig(t, realRegistry(t, srv), items, dir)
	var logs syncbuf.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sum := mustRun(t, cfg)
	if err := srv.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := srv.Stats()

	rows, err := jsonl.Read[Row](filepath.Join(dir, DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(items) || sum.Rows != len(items) {
		t.Fatalf("rows = %d (summary %d), want one per item (%d)", len(rows), sum.Rows, len(items))
	}
	for i, row := range rows {
		if row.ID != items[i].ID || row.Cheap.Grade != grade.Correct || row.Strong.Grade != grade.Correct {
			t.Fatalf("row %d = %s %s/%s, want %s graded by the judge", i, row.ID, row.Cheap.Grade, row.Strong.Grade, items[i].ID)
		}
	}
	limited := st.ByFault["rate_limited"]
	if limited == 0 || sum.RateLimitRequeues == 0 {
		t.Fatalf("429s at the fake %d, requeues %d: the test must drive calls past the client's retries", limited, sum.RateLimitRequeues)
	}
	// Every call that reached the fake was either answered (and paid, and
	// journaled once) or refused with 429; nothing else.
	if st.Calls != st.Served+limited {
		t.Fatalf("fake calls %d != served %d + rate limited %d (faults %v)", st.Calls, st.Served, limited, st.ByFault)
	}
	journal, err := jsonl.Read[CallRecord](filepath.Join(dir, JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := 4 * len(items); st.Served != want || sum.CallsMade != want || len(journal) != want {
		t.Fatalf("served %d, calls made %d, journal %d: want %d (2 answers + 2 grades per item)", st.Served, sum.CallsMade, len(journal), want)
	}
	if rep := srv.Repeats(); len(rep) > 0 {
		t.Fatalf("answers paid twice: %v", rep)
	}
	var got fake.Usage
	for _, tt := range []TokenTotals{sum.Cheap.TokenTotals, sum.Strong.TokenTotals, sum.Judge.TokenTotals} {
		got.Input += int64(tt.InputTokens)
		got.Output += int64(tt.OutputTokens)
		got.Thinking += int64(tt.ThinkingTokens)
	}
	if got != st.Usage || got.Thinking == 0 {
		t.Fatalf("summary tokens %+v, fake reported %+v", got, st.Usage)
	}
	if st.MaxInFlight > cfg.Concurrency {
		t.Fatalf("max in flight %d > concurrency %d", st.MaxInFlight, cfg.Concurrency)
	}
	if !strings.Contains(logs.String(), "halving concurrency") {
		t.Fatalf("no concurrency adjustment logged:\n%s", logs.String())
	}
}

func TestRateLimitPatienceStopsRunResumably(t *testing.T) {
	srv := fake.New(t, fake.WithScript(fake.Always(fake.RateLimited(time.Second))), fake.WithAnswer(rlAnswer))
	items := testItems(6)
	dir := t.TempDir()
	cfg := rlConfig(t, realRegistry(t, srv), items, dir)
	cfg.Concurrency = 4
	cfg.RateLimitPatience = 60 * time.Millisecond
	start := time.Now()
	_, err := Run(context.Background(), cfg)
	elapsed := time.Since(start)
	if !errors.Is(err, ErrRateLimitPatience) {
		t.Fatalf("err = %v, want ErrRateLimitPatience", err)
	}
	msg := err.Error()
	for _, want := range []string{"--rate-limit-patience 60ms", "rerun to resume", "429"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	// Patience bounds the run: it stops soon after one call has waited 60ms
	// (generous slack for -race on a loaded machine).
	if elapsed > 5*time.Second {
		t.Errorf("run took %v to give up with 60ms of patience", elapsed)
	}
	if err := srv.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.Served != 0 || st.Calls < 2 {
		t.Fatalf("served %d of %d calls; every call should have been refused and retried", st.Served, st.Calls)
	}

	// Later the limit has lifted: the same command resumes and finishes.
	healthy := fake.New(t, fake.WithAnswer(rlAnswer))
	cfg2 := rlConfig(t, realRegistry(t, healthy), items, dir)
	sum := mustRun(t, cfg2)
	if sum.Rows != len(items) || sum.RateLimitRequeues != 0 {
		t.Fatalf("resume: rows %d, requeues %d", sum.Rows, sum.RateLimitRequeues)
	}
}
