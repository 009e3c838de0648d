package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

// trainMultiCmd trains an N-model router with the CLI on outcome rows
// written here: "a" is right on even rows, "b" on odd ones, "c" (dear) on
// all; the queries say which.
func trainMultiCmd(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var rows []trl.OutcomeRow
	for i := range 200 {
		even := i%2 == 0
		q := fmt.Sprintf("alpha question number %d about apples", i)
		if !even {
			q = fmt.Sprintf("beta question number %d about boats", i)
		}
		g := func(ok bool) string { return map[bool]string{true: grade.Correct, false: grade.Incorrect}[ok] }
		rows = append(rows, trl.OutcomeRow{ID: fmt.Sprint(i), Query: q, Results: []trl.ModelOutcome{
			{Model: "a", Grade: g(even), CostUSD: 1e-6}, {Model: "b", Grade: g(!even), CostUSD: 2e-6}, {Model: "c", Grade: g(true), CostUSD: 100e-6},
		}})
	}
	path := filepath.Join(dir, "outcomes_train.jsonl")
	if err := jsonl.WriteAtomic(path, rows); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "model")
	code, out, errOut := runRouterCmd(t, nil, "train", "--outcomes-data-path", path, "--sft-data-path", filepath.Join(dir, "sft_train.jsonl"),
		"--hash-bits", "11", "--output", model)
	if code != 0 || !strings.Contains(out, "saved multi model") {
		t.Fatalf("train exit %d:\n%s\n%s", code, out, errOut)
	}
	return model
}

func TestCalibrateNModelTargets(t *testing.T) {
	multi, two := trainMultiCmd(t), trainSmallModel(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"quality", []string{"--model-path", multi, "--target-quality", "1"}, 0, "for quality 1 of the best single model: 100.0% accuracy"},
		{"cost", []string{"--model-path", multi, "--target-cost-per-query", "0.00002"}, 0, "for cost $2e-05 per query"},
		{"share", []string{"--model-path", multi, "--strong-share", "0.5"}, 0, "sends 50.0% of"},
		{"default is quality", []string{"--model-path", multi}, 0, "for quality 0.95"},
		{"unreachable cost", []string{"--model-path", multi, "--target-cost-per-query", "0"}, 1, "even the cheapest routing costs"},
		{"both targets", []string{"--model-path", multi, "--target-quality", "1", "--target-cost-per-query", "1"}, 2, "give one of --target-cost-per-query and --target-quality"},
		{"target and share", []string{"--model-path", multi, "--target-quality", "1", "--strong-share", "0.2"}, 2, "both set the threshold"},
		{"bad quality", []string{"--model-path", multi, "--target-quality", "1.5"}, 2, "--target-quality 1.5 outside (0, 1]"},
		{"two-model router", []string{"--model-path", two, "--target-quality", "0.9"}, 2, "is a classifier router"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runRouterCmd(t, nil, append([]string{"calibrate"}, tc.args...)...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s%s", code, tc.code, tc.want, out, errOut)
			}
		})
	}
	m, err := router.Load(multi)
	if err != nil {
		t.Fatal(err)
	}
	if m.Meta.Multi.Target != "quality 0.95 of the best single model" || m.Meta.ThresholdSource == "" {
		t.Errorf("saved knob: target %q, source %q", m.Meta.Multi.Target, m.Meta.ThresholdSource)
	}
	// route prints the choice and every candidate's estimate.
	code, out, _ := runRouterCmd(t, nil, "route", "--model-path", multi, "--query", "beta question number 7 about boats")
	if code != 0 || !strings.Contains(out, "model:         b") || !strings.Contains(out, "candidates:") {
		t.Errorf("route exit %d:\n%s", code, out)
	}
}
