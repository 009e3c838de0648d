package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

// badRun is the outcome of one in-process command line.
type badRun struct {
	code           int
	stdout, stderr string
	log            string
	panicked       any
}

// runBad runs one command line in-process, as main would, with vars as the
// whole environment. A panic is caught and reported instead of killing the
// test binary, so one bad case does not hide the others.
func runBad(ctx context.Context, vars map[string]string, args ...string) (r badRun) {
	var out, errb, logb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""),
		Log:    slog.New(slog.NewTextHandler(&logb, nil)),
		Getenv: func(k string) string { return vars[k] }}
	defer func() {
		if p := recover(); p != nil {
			r.panicked = p
		}
		r.stdout, r.stderr, r.log = out.String(), errb.String(), logb.String()
	}()
	r.code = run(ctx, args, env)
	return r
}

// lastLine is the final non-empty line of s: the command's error line
// (flag usage text, if any, comes before it).
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// badFixtures writes the catalogue of hostile input files into dir and
// returns their paths by name. Each kind exists in the three row shapes the
// CLI reads: benchmark items, oracle rows and SFT rows.
func badFixtures(t testing.TB, dir string) map[string]string {
	t.Helper()
	rng := rand.New(rand.NewPCG(6, 6))
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	item := func(id, q string) string {
		return fmt.Sprintf(`{"id":%q,"problem":%q,"answer":"Paris","topic":"Geography","benchmark":"custom"}`, id, q)
	}
	row := func(id, q, policy string) string {
		b, _ := json.Marshal(oracle.Row{ID: id, Query: q, Gold: "Paris", Cell: "CORRECT/CORRECT", Policy: policy,
			Cheap: oracle.ModelResult{Model: "a", Grade: "CORRECT"}, Strong: oracle.ModelResult{Model: "b", Grade: "CORRECT"}})
		return string(b)
	}
	sft := func(id, q, label string) string {
		b, _ := json.Marshal(trl.SFTRow{Prompt: trl.Prompt(q), Completion: trl.Completion(label),
			ID: id, Query: q, Policy: label, Cell: "CORRECT/CORRECT"})
		return string(b)
	}
	huge := strings.Repeat("x", 17<<20) // longer than the 16 MiB line cap
	files := map[string]string{
		"empty":           "",
		"blank":           "\n\n  \n",
		"garbage":         string(garbage),
		"trunc_utf8":      `{"id":"a","problem":"caf` + "\xc3" + `","answer":"x"}` + "\n",
		"items_huge":      item("a", huge) + "\n",
		"items_types":     `{"id":1,"problem":["x"],"answer":"y"}` + "\n",
		"items_dup":       item("q1", "What is the capital of France?") + "\n" + item("q1", "Where is Paris?") + "\n",
		"items_trunc":     item("q1", "What is the capital of France?") + "\n" + `{"id":"q2","prob`,
		"rows_types":      `{"id":"r1","query":42,"policy":"Standard_Query"}` + "\n",
		"rows_dup":        row("r1", "q one", "Standard_Query") + "\n" + row("r1", "q two", "Complex_Query") + "\n",
		"rows_policy":     row("r1", "q one", "Cheapest_Query") + "\n",
		"rows_huge":       row("r1", huge, "Standard_Query") + "\n",
		"sft_types":       `{"prompt":7,"completion":true}` + "\n",
		"sft_dup":         sft("s1", "q one", "Standard_Query") + "\n" + sft("s1", "q two", "Complex_Query") + "\n",
		"sft_policy":      sft("s1", "q one", "Cheapest_Query") + "\n",
		"sft_huge":        sft("s1", huge, "Standard_Query") + "\n",
		"yaml_garbage":    "models: [\n  : : {\n",
		"yaml_types":      "models:\n  m1:\n    provider: gemini\n    price: {input: cheap, output: 1}\n",
		"yaml_negative":   "models:\n  m1:\n    provider: gemini\n    price: {input: -1, output: 1}\n",
		"matrix_bad":      "cells:\n  - {cheap: CORRECT, strong: CORRECT, policy: Cheapest_Query}\n",
		"queries_garbage": string(garbage),
		"serve_policy":    "policy_mapping: {mode: cheapest}\n",
		"serve_label":     "policy_mapping:\n  static: {Cheapest_Query: gemini-2.5-flash}\n",
		"serve_budget":    "budgets: {global_usd: -5}\n",
		"serve_threshold": "router: {threshold: 1.5}\n",
		"serve_typo":      "limits: {max_body_byte: 10}\n",
		"serve_types":     "limits: {max_body_bytes: lots}\n",
	}
	paths := map[string]string{}
	for name, body := range files {
		ext := ".jsonl"
		if strings.HasPrefix(name, "yaml_") || strings.HasPrefix(name, "matrix_") || strings.HasPrefix(name, "serve_") {
			ext = ".yaml"
		}
		p := filepath.Join(dir, name+ext)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	paths["missing"] = filepath.Join(dir, "no_such_file.jsonl")
	paths["missing_yaml"] = filepath.Join(dir, "no_such_config.yaml")
	return paths
}

var (
	badModelOnce sync.Once
	badModelDir  string
	badModelErr  error
)

// badModel trains one small router (shared by the whole test binary) so
// commands that need a model get past loading it and reach the bad input.
func badModel(t testing.TB) string {
	t.Helper()
	badModelOnce.Do(func() {
		dir, err := os.MkdirTemp("", "llmrouter-badmodel-")
		if err != nil {
			badModelErr = err
			return
		}
		badModelDir = filepath.Join(dir, "model")
		src := filepath.Join("..", "..", "internal", "router", "testdata", "sft_small.jsonl")
		r := runBad(context.Background(), nil, "train", "--sft-data-path", src, "--dpo-data-path", "",
			"--output", badModelDir)
		if r.code != 0 {
			badModelErr = fmt.Errorf("train fixture model: exit %d: %s", r.code, r.stderr)
		}
	})
	if badModelErr != nil {
		t.Fatal(badModelErr)
	}
	return badModelDir
}

// snapshot reads every regular file under dir, to prove a failed command
// left earlier outputs alone.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		out[p] = string(b)
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}
