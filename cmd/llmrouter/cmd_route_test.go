package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/router"
)

var (
	routerFixtureSFT = filepath.Join("..", "..", "internal", "router", "testdata", "sft_small.jsonl")
	routerFixtureDPO = filepath.Join("..", "..", "internal", "router", "testdata", "dpo_small.jsonl")
)

// runRouterCmd runs a command line in-process with the given environment.
func runRouterCmd(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &Env{Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader(""), Getenv: func(k string) string { return vars[k] }}
	code := run(context.Background(), args, env)
	return code, stdout.String(), stderr.String()
}

// trainSmallModel trains on the router fixture with a small hash space.
func trainSmallModel(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "router_final")
	code, out, errOut := runRouterCmd(t, nil, "train", "--sft-data-path", routerFixtureSFT, "--dpo-data-path", routerFixtureDPO,
		"--sft-epochs", "2", "--dpo-epochs", "1", "--hash-bits", "11", "--output", dir, "--cheap-model", "cheap-x", "--strong-model", "strong-y")
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, errOut)
	}
	for _, want := range []string{"sft", "dpo", "saved classifier model"} {
		if !strings.Contains(out, want) {
			t.Errorf("train summary lacks %q:\n%s", want, out)
		}
	}
	return dir
}

func TestTrainCalibrateRoute(t *testing.T) {
	dir := trainSmallModel(t)
	m, err := router.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Meta.Hyper.SFTEpochs != 2 || m.CheapModel() != "cheap-x" || m.StrongModel() != "strong-y" {
		t.Fatalf("flags not recorded: %+v", m.Meta.Hyper)
	}

	code, out, errOut := runRouterCmd(t, nil, "calibrate", "--model-path", dir, "--strong-share", "0.25")
	if code != 0 || !strings.Contains(out, "threshold") || !strings.Contains(out, "25.0%") {
		t.Fatalf("calibrate exit %d: %s %s", code, out, errOut)
	}
	m2, err := router.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Meta.ThresholdStrongShare != 0.25 || m2.Threshold() == m.Threshold() {
		t.Errorf("calibration not stored: share %v threshold %v (was %v)", m2.Meta.ThresholdStrongShare, m2.Threshold(), m.Threshold())
	}

	q := "Which of the following is a prime number?\nA. 4\nB. 6\nC. 7\nD. 9\nAnswer:"
	code, out, _ = runRouterCmd(t, nil, "route", "--model-path", dir, "--query", q)
	if code != 0 || !strings.Contains(out, "policy:") || !strings.Contains(out, "model:") {
		t.Fatalf("route exit %d:\n%s", code, out)
	}

	file := filepath.Join(t.TempDir(), "batch.jsonl")
	lines := `{"query":"What is 2+2?"}` + "\n" + `{"problem":"line one\nline two"}` + "\n" + `{"prompt":"Name the largest planet."}` + "\n"
	if err := os.WriteFile(file, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, th := range []string{"0", "1"} {
		code, out, errOut = runRouterCmd(t, nil, "route", "--model-path", dir, "--test-file", file, "--json", "--threshold", th)
		if code != 0 {
			t.Fatalf("route --json exit %d: %s", code, errOut)
		}
		rows := strings.Split(strings.TrimSpace(out), "\n")
		if len(rows) != 3 {
			t.Fatalf("got %d JSON lines, want 3:\n%s", len(rows), out)
		}
		wantQ := []string{"What is 2+2?", "line one\nline two", "Name the largest planet."}
		for i, r := range rows {
			var res routeResult
			if err := json.Unmarshal([]byte(r), &res); err != nil {
				t.Fatal(err)
			}
			if res.Query != wantQ[i] || len(res.Probabilities) != 3 {
				t.Errorf("line %d: %+v", i+1, res)
			}
			// Threshold 0 sends everything to the strong model; 1 (almost)
			// nothing, and never to Complex_Query below it.
			if th == "0" && (res.Policy != policy.Complex || res.Model != "strong-y") {
				t.Errorf("threshold 0: %s → %s/%s", res.Query, res.Policy, res.Model)
			}
			if th == "1" && res.Score < 1 && (res.Policy == policy.Complex || res.Model != "cheap-x") {
				t.Errorf("threshold 1: %s → %s/%s", res.Query, res.Policy, res.Model)
			}
		}
	}
}

func TestRouteErrors(t *testing.T) {
	dir := trainSmallModel(t)
	empty := filepath.Join(t.TempDir(), "empty.txt")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(t.TempDir(), "corrupt")
	if err := os.MkdirAll(corrupt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(corrupt, router.MetaFile), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing model", []string{"route", "--model-path", filepath.Join(t.TempDir(), "nope"), "--query", "hi"}, 1, "does not exist"},
		{"corrupt model", []string{"route", "--model-path", corrupt, "--query", "hi"}, 1, "invalid model metadata"},
		{"empty test file", []string{"route", "--model-path", dir, "--test-file", empty}, 1, "no queries"},
		{"threshold range", []string{"route", "--model-path", dir, "--query", "hi", "--threshold", "1.5"}, 2, "outside [0, 1]"},
		{"no query", []string{"route", "--model-path", dir}, 2, "exactly one of"},
		{"both inputs", []string{"route", "--model-path", dir, "--query", "a", "--test-file", empty}, 2, "exactly one of"},
		{"calibrate share", []string{"calibrate", "--model-path", dir, "--strong-share", "2"}, 2, "outside [0, 1]"},
		{"calibrate missing", []string{"calibrate", "--model-path", filepath.Join(t.TempDir(), "nope")}, 1, "does not exist"},
		{"train bad kind", []string{"train", "--sft-data-path", routerFixtureSFT, "--router", "svm", "--output", t.TempDir()}, 2, "want classifier, knn, random or multi"},
		{"train missing data", []string{"train", "--sft-data-path", "missing.jsonl", "--output", t.TempDir()}, 1, "missing.jsonl"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runRouterCmd(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, tc.code, tc.want)
			}
			if n := strings.Count("\n"+errOut, "\nllmrouter "); n != 1 {
				t.Errorf("want exactly one error line, got %d: %q", n, errOut)
			}
		})
	}
}

func TestRouteHugeQuery(t *testing.T) {
	dir := trainSmallModel(t)
	huge := strings.Repeat("word ", 1<<18) // 1.25 MB
	code, out, errOut := runRouterCmd(t, nil, "route", "--model-path", dir, "--query", huge, "--json")
	if code != 0 || !strings.Contains(out, `"policy"`) {
		t.Fatalf("1 MB query: exit %d, %s", code, errOut)
	}
}

func TestTrainEnvEpochs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	code, _, errOut := runRouterCmd(t, map[string]string{"SFT_EPOCHS": "1", "DPO_EPOCHS": "0"},
		"train", "--sft-data-path", routerFixtureSFT, "--hash-bits", "10", "--output", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	m, err := router.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Meta.Hyper.SFTEpochs != 1 || m.Meta.Hyper.DPOEpochs != 0 || m.Meta.Metrics.DPOEpochLoss != nil {
		t.Errorf("env epochs ignored: %+v", m.Meta.Hyper)
	}
	code, _, errOut = runRouterCmd(t, map[string]string{"SFT_EPOCHS": "three"}, "train", "--output", dir)
	if code != 2 || !strings.Contains(errOut, "SFT_EPOCHS") {
		t.Errorf("bad SFT_EPOCHS: exit %d %q", code, errOut)
	}
}

// routeFakeProvider answers every request with the model's name.
type routeFakeProvider struct{ model string }

func (p routeFakeProvider) Complete(_ context.Context, req *provider.Request) (*provider.Response, error) {
	return &provider.Response{Text: "answer from " + req.Model, Usage: provider.Usage{InputTokens: 1000, OutputTokens: 200, ThinkingTokens: 300}}, nil
}

func (routeFakeProvider) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, errors.New("not used")
}

type routeFakeRegistry struct{}

func (routeFakeRegistry) Get(model string) (provider.Provider, catalog.Model, error) {
	return routeFakeProvider{model}, catalog.Model{Provider: "openai", UpstreamModel: "up-" + model, Price: catalog.Price{Input: 1, Output: 10}}, nil
}

func (routeFakeRegistry) CheckKey(string) error { return nil }

func TestRouteEndToEnd(t *testing.T) {
	dir := trainSmallModel(t)
	old := newModelRegistry
	newModelRegistry = func(*catalog.Catalogue, func(string) string) (modelRegistry, error) { return routeFakeRegistry{}, nil }
	t.Cleanup(func() { newModelRegistry = old })
	code, out, errOut := runRouterCmd(t, nil, "route", "--model-path", dir, "--query", "What is 2+2?", "--end-to-end", "--threshold", "0", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res routeResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	// 1000 input tokens at $1/M plus 500 billed output (incl. thinking) at $10/M.
	if res.Answer != "answer from up-strong-y" || res.InputTokens != 1000 || res.OutputTokens != 500 || math.Abs(res.CostUSD-0.006) > 1e-12 {
		t.Fatalf("end-to-end result %+v", res)
	}
	code, out, _ = runRouterCmd(t, nil, "route", "--model-path", dir, "--query", "What is 2+2?", "--end-to-end", "--threshold", "1")
	if code != 0 || !strings.Contains(out, "answer from up-cheap-x") || !strings.Contains(out, "cost:") {
		t.Fatalf("text end-to-end output:\n%s", out)
	}
}
