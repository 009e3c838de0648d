package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/report"
	"github.com/llmrouter/llmrouter/internal/router"
)

// runWithEnv runs one command line in-process with the given environment.
func runWithEnv(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""),
		Getenv: func(k string) string { return vars[k] }}
	code := run(context.Background(), args, env)
	return code, out.String(), errb.String()
}

func pipelineArgs(root string, extra ...string) []string {
	return append([]string{"pipeline",
		"--data-dir", filepath.Join(root, "data"),
		"--model-dir", filepath.Join(root, "model"),
		"--results-dir", filepath.Join(root, "results")}, extra...)
}

var stageLine = regexp.MustCompile(`(?m)^\[\d/7\] (\S+)\s+(ran|skipped) in`)

// assertStagesRan fails t unless the pipeline log stderr says each stage
// ran.
func assertStagesRan(t *testing.T, stderr string, stages ...string) {
	t.Helper()
	st := stageStatuses(stderr)
	for _, name := range stages {
		if st[name] != "ran" {
			t.Errorf("stage %s status %q, want ran\n%s", name, st[name], stderr)
		}
	}
}

func stageStatuses(stderr string) map[string]string {
	m := map[string]string{}
	for _, s := range stageLine.FindAllStringSubmatch(stderr, -1) {
		m[s[1]] = s[2]
	}
	return m
}

// End to end on the embedded recorded MMLU data, small limits.
func TestPipelineEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end pipeline")
	}
	root := t.TempDir()
	vars := map[string]string{"BENCHMARK_LIMIT": "300", "EVAL_LIMIT": "100", "MODEL_NAME": "google/gemma-2b"}
	code, stdout, stderr := runWithEnv(t, vars, pipelineArgs(root)...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	assertStagesRan(t, stderr, "download", "split", "oracle", "prepare", "train", "calibrate", "eval")
	if !strings.Contains(stderr, "fine-tune") && !strings.Contains(stderr, "Fine-tune") {
		t.Error("MODEL_NAME naming an LLM was not explained in the log")
	}
	checkPipelineOutputs(t, root)

	code, stdout, stderr = runWithEnv(t, vars, pipelineArgs(root)...)
	if code != 0 {
		t.Fatalf("second run exit %d: %s", code, stderr)
	}
	for name, s := range stageStatuses(stderr) {
		if s != "skipped" {
			t.Errorf("second run: stage %s %s, want skipped", name, s)
		}
	}
	if !strings.Contains(stdout, "skipped") || !strings.Contains(stdout, "APGR") {
		t.Errorf("summary table missing:\n%s", stdout)
	}

	// A new strong share reruns calibrate and eval only.
	code, _, stderr = runWithEnv(t, vars, pipelineArgs(root, "--strong-share", "0.25")...)
	if code != 0 {
		t.Fatalf("third run exit %d: %s", code, stderr)
	}
	st := stageStatuses(stderr)
	for name, want := range map[string]string{"download": "skipped", "oracle": "skipped", "train": "skipped", "calibrate": "ran", "eval": "ran"} {
		if st[name] != want {
			t.Errorf("after --strong-share change: stage %s %q, want %s", name, st[name], want)
		}
	}
}

func checkPipelineOutputs(t *testing.T, root string) {
	t.Helper()
	data := filepath.Join(root, "data")
	for _, p := range []string{"benchmarks/mmlu.jsonl", "splits/mmlu_train.jsonl", "splits/mmlu_test.jsonl"} {
		if _, err := dataset.ReadItems(filepath.Join(data, p)); err != nil {
			t.Error(err)
		}
	}
	train, err := oracle.ReadDataset(filepath.Join(data, "generated", oracle.DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(train) != 300 {
		t.Errorf("oracle rows = %d, want BENCHMARK_LIMIT 300", len(train))
	}
	for _, p := range []string{"training/sft_train.jsonl", "training/dpo_train.jsonl"} {
		if n := countLines(filepath.Join(data, p)); n <= 0 {
			t.Errorf("%s: %d lines", p, n)
		}
	}
	if _, err := router.Load(filepath.Join(root, "model")); err != nil {
		t.Fatal(err)
	}
	res := filepath.Join(root, "results")
	cmp := readComparison(t, res)
	var names []string
	for _, r := range cmp.Routers {
		names = append(names, r.Name)
	}
	if cmp.N != 100 || strings.Join(names, ",") != "classifier,random,rules" {
		t.Errorf("comparison: n=%d routers=%v, want 100 and classifier,random,rules", cmp.N, names)
	}
	html, err := os.ReadFile(filepath.Join(res, report.HTMLFile))
	if err != nil || !bytes.Contains(html, []byte("<svg")) {
		t.Errorf("report.html: %v", err)
	}
	pf, err := os.Open(filepath.Join(res, report.PNGFile))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if _, err := png.Decode(pf); err != nil {
		t.Errorf("curve.png: %v", err)
	}
	// The eval's questions never overlap the oracle's train questions.
	test, err := oracle.ReadDataset(filepath.Join(res, evalOracleDir, oracle.DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range train {
		seen[dataset.NormalizeText(r.Query)] = true
	}
	for _, r := range test {
		if seen[dataset.NormalizeText(r.Query)] {
			t.Errorf("test question %s was also in the oracle's train questions", r.ID)
		}
	}
}

func TestPipelineBadFlags(t *testing.T) {
	cases := []struct {
		name string
		vars map[string]string
		args []string
	}{
		{"unknown benchmark", nil, []string{"--benchmark", "nope"}},
		{"bad share", nil, []string{"--strong-share", "1.5"}},
		{"bad env limit", map[string]string{"BENCHMARK_LIMIT": "lots"}, nil},
		{"negative epochs", map[string]string{"SFT_EPOCHS": "-1"}, nil},
		{"stray argument", nil, []string{"extra"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runWithEnv(t, tc.vars, pipelineArgs(t.TempDir(), tc.args...)...)
			if code != 2 || !strings.Contains(stderr, "llmrouter pipeline") {
				t.Errorf("exit %d, stderr %q; want 2 and an error naming the command", code, stderr)
			}
		})
	}
}

func TestPipelineLimitsAndModelName(t *testing.T) {
	cases := []struct {
		name           string
		vars           map[string]string
		args           []string
		bench, eval    int
		kind, sft, dpo string
	}{
		{"offline defaults", nil, nil, 0, 0, "classifier", "3", "1"},
		{"simpleqa is capped", nil, []string{"--benchmark", "simpleqa"}, 1000, 500, "classifier", "3", "1"},
		{"env limits", map[string]string{"BENCHMARK_LIMIT": "300", "EVAL_LIMIT": "100", "SFT_EPOCHS": "5", "DPO_EPOCHS": "0"}, nil, 300, 100, "classifier", "5", "0"},
		{"flag beats env", map[string]string{"BENCHMARK_LIMIT": "300"}, []string{"--limit", "7"}, 7, 0, "classifier", "3", "1"},
		{"MODEL_NAME router kind", map[string]string{"MODEL_NAME": "knn"}, nil, 0, 0, "knn", "3", "1"},
		{"MODEL_NAME LLM", map[string]string{"MODEL_NAME": "google/gemma-2b"}, nil, 0, 0, "classifier", "3", "1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := &Env{Stdout: &strings.Builder{}, Stderr: &strings.Builder{}, Getenv: func(k string) string { return tc.vars[k] }}
			o, err := parsePipelineFlags(env, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if o.benchLimit != tc.bench || o.evalLimit != tc.eval || o.kind != tc.kind {
				t.Errorf("limits %d/%d kind %s, want %d/%d %s", o.benchLimit, o.evalLimit, o.kind, tc.bench, tc.eval, tc.kind)
			}
			var train stage
			for _, s := range pipelineStages(o, catalog.Roles{Cheap: "c", Strong: "s"}) {
				if s.name == "train" {
					train = s
				}
			}
			args := strings.Join(train.args, " ")
			for _, want := range []string{"--sft-epochs " + tc.sft, "--dpo-epochs " + tc.dpo, "--kind " + tc.kind, "--cheap-model c"} {
				if !strings.Contains(args, want) {
					t.Errorf("train args %q lack %q", args, want)
				}
			}
		})
	}
}

// TestPipelineBatchFlag: --batch reaches the oracle stage only (eval labels
// its test split online), and leaves the stages' arguments alone without it.
func TestPipelineBatchFlag(t *testing.T) {
	for _, batch := range []bool{false, true} {
		env := &Env{Stdout: &strings.Builder{}, Stderr: &strings.Builder{}, Getenv: func(string) string { return "" }}
		args := []string{}
		if batch {
			args = append(args, "--batch")
		}
		o, err := parsePipelineFlags(env, args)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range pipelineStages(o, catalog.Roles{Cheap: "c", Strong: "s"}) {
			has := slices.Contains(s.args, "--batch")
			if want := batch && s.name == "oracle"; has != want {
				t.Errorf("batch=%v: stage %s args %q", batch, s.name, s.args)
			}
		}
	}
}
