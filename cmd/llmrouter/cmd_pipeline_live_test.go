package main

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// simpleQAAnswer plays Gemini Flash and Pro and the blind judge. Answers
// are hashes of (model, question); the judge grades an answer from its text
// alone, Pro's answers being right more often, some abstaining.
func simpleQAAnswer(req *upstreamfake.Request) upstreamfake.Reply {
	msg := req.LastUser()
	const marker = "Answer to grade:\n"
	if i := strings.Index(msg, marker); i >= 0 && strings.Contains(msg, "Reply with a single letter") {
		ans := strings.TrimSpace(strings.SplitN(msg[i+len(marker):], "\n\n", 2)[0])
		h := fnv.New32a()
		h.Write([]byte(ans))
		v := h.Sum32() % 100
		right, wrong := uint32(27), uint32(80)
		if strings.Contains(ans, "pro") {
			right, wrong = 55, 85
		}
		switch {
		case v < right:
			return upstreamfake.Reply{Text: "A"}
		case v < wrong:
			return upstreamfake.Reply{Text: "B"}
		}
		return upstreamfake.Reply{Text: "C"}
	}
	h := fnv.New32a()
	h.Write([]byte(msg))
	return upstreamfake.Reply{Text: fmt.Sprintf("answer-%s-%08x", req.Model, h.Sum32()), ThinkingTokens: 3}
}

// The SimpleQA path end to end against a fake Gemini: live providers, the
// LLM judge, abstentions, and a second run that makes no call at all.
func TestPipelineSimpleQALive(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end pipeline")
	}
	fake := upstreamfake.New(t, upstreamfake.WithAnswer(simpleQAAnswer), upstreamfake.WithAPIKey("test-key"))
	root := t.TempDir()
	cfg := filepath.Join(root, "models.yaml")
	yaml := fmt.Sprintf(`models:
  gemini-2.5-flash: {provider: gemini, base_url: %q, price: {input: 0.30, output: 2.50}}
  gemini-2.5-pro: {provider: gemini, base_url: %q, price: {input: 1.25, output: 10.00}}
`, fake.URL, fake.URL)
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"GEMINI_API_KEY": "test-key", "BENCHMARK_LIMIT": "60", "EVAL_LIMIT": "30"}
	args := pipelineArgs(root, "--benchmark", "simpleqa", "--offline", "--config", cfg)
	code, stdout, stderr := runWithEnv(t, vars, args...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "accuracy given attempted") {
		t.Errorf("no SimpleQA table:\n%s", stdout)
	}
	cmp := readComparison(t, filepath.Join(root, "results"))
	strong := cmp.Baselines[1]
	if cmp.Benchmark != "simpleqa" || cmp.N != 30 || cmp.Models.Strong != "gemini-2.5-pro" || cmp.Models.Judge != "gemini-2.5-flash" {
		t.Errorf("comparison header %+v n=%d", cmp.Models, cmp.N)
	}
	if !(strong.NotAttemptedShare > 0) || !strong.FScore.Valid() || !(strong.Cost > 0) {
		t.Errorf("strong-only: not attempted %v, F %v, cost %v", strong.NotAttemptedShare, strong.FScore, strong.Cost)
	}
	calls := fake.Stats().Calls
	code, _, stderr = runWithEnv(t, vars, args...)
	if code != 0 {
		t.Fatalf("second run exit %d: %s", code, stderr)
	}
	if again := fake.Stats().Calls; again != calls {
		t.Errorf("second run made %d upstream calls, want 0", again-calls)
	}
}
