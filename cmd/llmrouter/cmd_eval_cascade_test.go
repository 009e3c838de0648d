package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/eval"
	"github.com/llmrouter/llmrouter/internal/report"
)

func readComparison(t *testing.T, dir string) *eval.Comparison {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, report.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmp, err := report.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return cmp
}

// The recorded GSM8K run carries the cheap model's answer texts, so the
// trained model has a cascade and eval reports it next to the routers.
func TestEvalCascadeGSM8K(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end pipeline")
	}
	root := t.TempDir()
	code, stdout, stderr := runWithEnv(t, nil, pipelineArgs(root, "--benchmark", "gsm8k")...)
	if code != 0 {
		t.Fatalf("pipeline exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"; cascade: APGR ", "cascade (learned)", "cascade (rules)", "random escalation",
		"classifier (query-only)", "oracle verifier", "escalation added vs strong-only", "skip 20%", "verdict: pre-routing "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("pipeline summary lacks %q:\n%s", want, stdout)
		}
	}
	out := filepath.Join(root, "eval2")
	code, stdout, stderr = runWithEnv(t, nil, "eval", "--model-path", filepath.Join(root, "model"),
		"--test-file", filepath.Join(root, "data", "splits", "gsm8k_test.jsonl"), "--output-dir", out, "--limit", "80")
	if code != 0 {
		t.Fatalf("eval exit %d\n%s", code, stderr)
	}
	cmp := readComparison(t, out)
	sec := cmp.Cascade
	if sec == nil {
		t.Fatalf("comparison.json has no cascade section\n%s", stderr)
	}
	var names []string
	for _, r := range sec.Results {
		names = append(names, r.Name)
	}
	if got := strings.Join(names, ","); got != "cascade (learned),cascade (rules),random escalation,classifier (query-only),oracle verifier,cheap-only,strong-only" {
		t.Errorf("cascade rows %s", got)
	}
	l := sec.Learned()
	if l.CurveStats == nil || !l.APGR.Valid() || !l.CostPerQueryAt95.Valid() || l.Curve.N != 80 || l.CheapCallShare != 1 {
		t.Errorf("learned cascade row incomplete: %+v", l)
	}
	if sec.Latency.Source != "replay" || !sec.Latency.Escalation.P95.Valid() {
		t.Errorf("latency %+v", sec.Latency)
	}
	if len(sec.Hybrid.Results) != 3 || sec.Hybrid.Verdict == "" {
		t.Errorf("hybrid %+v", sec.Hybrid)
	}
	if !strings.Contains(stdout, "cascade (learned)") {
		t.Errorf("eval summary lacks the cascade:\n%s", stdout)
	}
	html, err := os.ReadFile(filepath.Join(out, report.HTMLFile))
	if err != nil || !strings.Contains(string(html), "Cascade routing") || !strings.Contains(string(html), "These latencies were replayed") {
		t.Errorf("report.html lacks the cascade section: %v", err)
	}
}

// On recorded MMLU the answers are outcome stand-ins: a model trained there
// has no cascade, and a cascade from elsewhere is not fed them.
func TestEvalCascadeSkippedOnMMLU(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end pipeline")
	}
	root := t.TempDir()
	vars := map[string]string{"BENCHMARK_LIMIT": "200", "EVAL_LIMIT": "60"}
	code, stdout, stderr := runWithEnv(t, vars, pipelineArgs(root)...)
	if code != 0 {
		t.Fatalf("pipeline exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "no cascade section: the model has no cascade verifier") || strings.Contains(stdout, "cascade (learned)") {
		t.Errorf("MMLU: want the no-cascade message and no cascade table\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	if readComparison(t, filepath.Join(root, "results")).Cascade != nil {
		t.Error("MMLU comparison.json has a cascade section")
	}

	// A model with a cascade (trained on GSM8K) evaluated on MMLU rows.
	g := filepath.Join(root, "gsm8k")
	if code, _, stderr := runWithEnv(t, map[string]string{"EVAL_LIMIT": "20"}, pipelineArgs(g, "--benchmark", "gsm8k")...); code != 0 {
		t.Fatalf("gsm8k pipeline exit %d\n%s", code, stderr)
	}
	out := filepath.Join(root, "cross")
	code, stdout, stderr = runWithEnv(t, nil, "eval", "--model-path", filepath.Join(g, "model"),
		"--test-file", filepath.Join(root, "data", "splits", "mmlu_test.jsonl"), "--output-dir", out, "--limit", "30")
	if code != 0 {
		t.Fatalf("eval exit %d\n%s", code, stderr)
	}
	var msgs []string
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "cascade not evaluated") {
			msgs = append(msgs, line)
		}
	}
	if len(msgs) != 1 || !strings.Contains(msgs[0], "recorded-outcome stand-ins") || !strings.Contains(msgs[0], "stand_ins=30") {
		t.Errorf("want one line saying the answers are stand-ins, got %q\n%s", msgs, stderr)
	}
	if readComparison(t, out).Cascade != nil || strings.Contains(stdout, "cascade (learned)") {
		t.Error("a cascade was evaluated on outcome stand-ins")
	}
}
