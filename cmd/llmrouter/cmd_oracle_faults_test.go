package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/registry"
	"github.com/llmrouter/llmrouter/internal/provider/replay"
	fake "github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// faultPlan scripts faults per (model, question number): the listed faults
// apply to that prompt's first calls in order, then it answers normally.
type faultPlan struct {
	mu    sync.Mutex
	plans map[string][]fake.Fault
}

func (p *faultPlan) script(_ int, req *fake.Request) fake.Fault {
	if strings.Contains(req.LastUser(), "Gold target:") {
		return fake.Fault{} // judge calls answer normally
	}
	var n int
	fmt.Sscanf(req.LastUser(), "What is the capital of country %d?", &n)
	k := fmt.Sprintf("%s/%d", req.Model, n)
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.plans[k]
	if len(q) == 0 {
		return fake.Fault{}
	}
	p.plans[k] = q[1:]
	return q[0]
}

// useFastRetryRegistry points the real registry (Gemini client + retries) at the
// fake, with instant backoff so the test stays fast.
func useFastRetryRegistry(t *testing.T) {
	t.Helper()
	old := newModelRegistry
	newModelRegistry = func(cat *catalog.Catalogue, getenv func(string) string) (modelRegistry, error) {
		return registry.New(cat, registry.Options{Replay: replay.Lazy(replay.Options{}), Getenv: getenv, Timeout: 5 * time.Second,
			Retry: provider.RetryOptions{Seed: 1, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}}), nil
	}
	t.Cleanup(func() { newModelRegistry = old })
}

// capitals are n questions about made-up countries with gold answers,
// which crashAnswer and the fakes' answerers recognise.
func capitals(n int) []dataset.Item {
	var items []dataset.Item
	for i := range n {
		items = append(items, dataset.Item{ID: fmt.Sprintf("c-%02d", i), Problem: fmt.Sprintf("What is the capital of country %d?", i),
			Answer: fmt.Sprintf("City %d", i), Benchmark: "custom"})
	}
	return items
}

func capitalItems(t *testing.T, dir string, n int) string {
	t.Helper()
	p := filepath.Join(dir, "items.jsonl")
	writeCapitals(t, p, n)
	return p
}

func TestOracleThroughUpstreamFaults(t *testing.T) {
	useFastRetryRegistry(t)
	plan := &faultPlan{plans: map[string][]fake.Fault{
		"gemini-2.5-pro/3":   {fake.RateLimited(time.Second)},
		"gemini-2.5-flash/4": {fake.HTTPStatus(503), fake.HTTPStatus(500)},
		"gemini-2.5-flash/5": {{Kind: fake.NoUsage}},
		"gemini-2.5-pro/6":   {{Kind: fake.Reset}},
		"gemini-2.5-flash/2": {fake.HTTPStatus(400)},
	}}
	srv, err := fake.Start("", fake.WithAnswer(crashAnswer), fake.WithScript(plan.script))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	in := capitalItems(t, dir, 10)
	out := filepath.Join(dir, "gen")
	vars := map[string]string{"GEMINI_API_KEY": "k-secret-123", "GEMINI_BASE_URL": srv.URL}
	args := []string{"oracle", "--input-file", in, "--output-dir", out, "--concurrency", "3",
		"--cheap-model", "gemini-2.5-flash", "--strong-model", "gemini-2.5-pro", "--judge-model", "gemini-2.5-flash"}

	// A 400 is not retried and, without --skip-errors, fails the run with
	// an error naming the item, after persisting what finished.
	code, _, stderr := runCmdEnv(t, vars, args...)
	if code != 1 || !strings.Contains(stderr, "item c-02: cheap answer") || strings.Contains(stderr, "k-secret-123") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	paid := len(srv.Calls())

	// With --skip-errors the rejected item is left out and listed; the rest
	// survive 429 (Retry-After), 5xx, a reset and a missing usage block.
	plan.mu.Lock()
	plan.plans["gemini-2.5-flash/2"] = []fake.Fault{fake.HTTPStatus(400)}
	plan.mu.Unlock()
	code, stdout, stderr := runCmdEnv(t, vars, append(args, "--skip-errors")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "skipped 1 questions") {
		t.Fatalf("stdout: %s", stdout)
	}
	var sum oracle.Summary
	b, _ := os.ReadFile(filepath.Join(out, oracle.SummaryFile))
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 9 || len(sum.Skipped) != 1 || sum.Skipped[0].ID != "c-02" {
		t.Fatalf("rows %d skipped %+v", sum.Rows, sum.Skipped)
	}
	if sum.Cheap.MissingUsageCnt != 1 {
		t.Fatalf("missing-usage calls = %d, want 1", sum.Cheap.MissingUsageCnt)
	}
	if sum.CallsResumed == 0 || sum.CallsMade+sum.CallsResumed != 9*4+2 {
		t.Fatalf("made %d resumed %d: want 38 calls in all (c-02's strong side was answered and graded)", sum.CallsMade, sum.CallsResumed)
	}
	// Every answer the fake served (was paid for) is in the journal exactly
	// once, across the failed run and the resume.
	recs, err := jsonl.Read[oracle.CallRecord](filepath.Join(out, oracle.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.Served != len(recs) {
		t.Fatalf("fake served %d answers, journal holds %d (first run had made %d calls)", st.Served, len(recs), paid)
	}
	assertNoSecret(t, "k-secret-123", out, stdout, stderr)
}

func TestOracleUnauthorizedFailsFast(t *testing.T) {
	useFastRetryRegistry(t)
	srv, err := fake.Start("", fake.WithAnswer(crashAnswer), fake.WithScript(fake.Always(fake.HTTPStatus(401))))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	in := capitalItems(t, dir, 20)
	vars := map[string]string{"GEMINI_API_KEY": "k-secret-456", "GEMINI_BASE_URL": srv.URL}
	code, _, stderr := runCmdEnv(t, vars, "oracle", "--input-file", in, "--output-dir", filepath.Join(dir, "gen"), "--concurrency", "2", "--skip-errors")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != 1 || strings.Contains(stderr, "k-secret-456") || !strings.Contains(lines[len(lines)-1], "401") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	// Auth errors are never per-item: the run stops instead of failing all
	// 40 answers one by one.
	if n := len(srv.Calls()); n > 4 {
		t.Fatalf("%d calls made after a 401; the run should stop at once", n)
	}
}
