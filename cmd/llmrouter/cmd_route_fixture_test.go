package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
)

// cascadeFixture is a router model with a cascade verifier, made by the real
// pipeline stages on the embedded GSM8K recordings (whose cheap answers are
// real texts), plus the SFT rows it was trained on.
type cascadeFixture struct {
	model string // read-only: copy it with copyModelDir before changing it
	sft   string // SFT rows carrying query and cheap_answer
}

// Catalogue names of the recorded GSM8K models, served by the replay
// provider, so that route --end-to-end runs offline.
const (
	fixtureCheap  = "mixtral-8x7b-instruct"
	fixtureStrong = "gpt-4-1106-preview"
)

var (
	cascadeOnce sync.Once
	cascadeFix  cascadeFixture
	cascadeErr  error
)

// cascadeFixtureModel builds the fixture once per test binary: about two seconds,
// most of it the verifier's cross-validation.
func cascadeFixtureModel(t testing.TB) cascadeFixture {
	t.Helper()
	cascadeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "llmrouter-cascade-")
		if err != nil {
			cascadeErr = err
			return
		}
		cascadeFix, cascadeErr = buildCascadeFixture(dir)
	})
	if cascadeErr != nil {
		t.Fatal(cascadeErr)
	}
	return cascadeFix
}

func buildCascadeFixture(dir string) (cascadeFixture, error) {
	p := func(parts ...string) string { return filepath.Join(append([]string{dir}, parts...)...) }
	f := cascadeFixture{model: p("model"), sft: p("training", "sft_train.jsonl")}
	steps := [][]string{
		{"download", "--benchmark", "gsm8k", "--output-dir", p("benchmarks")},
		{"split", "--input-file", p("benchmarks", "gsm8k.jsonl"), "--output-dir", p("splits")},
		{"oracle", "--input-file", p("splits", "gsm8k_train.jsonl"), "--output-dir", p("generated"), "--limit", "300"},
		{"prepare", "--oracle-file", p("generated", "oracle_dataset.jsonl"), "--output-dir", p("training")},
		{"train", "--sft-data-path", f.sft, "--dpo-data-path", "", "--sft-epochs", "2", "--dpo-epochs", "0",
			"--hash-bits", "12", "--output", f.model, "--cheap-model", fixtureCheap, "--strong-model", fixtureStrong},
	}
	for _, args := range steps {
		if code, _, errOut := runCmdQuiet(nil, args...); code != 0 {
			return f, fmt.Errorf("cascade fixture: %s: exit %d: %s", args[0], code, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(f.model, "cascade.json")); err != nil {
		return f, fmt.Errorf("cascade fixture: the trained model has no verifier: %w", err)
	}
	return f, nil
}

// runCmdQuiet runs a command line in-process, logs discarded.
func runCmdQuiet(vars map[string]string, args ...string) (int, string, string) {
	var stdout, stderr, log bytes.Buffer
	env := &Env{Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader(""),
		Log: slog.New(slog.NewTextHandler(&log, nil)), Getenv: func(k string) string { return vars[k] }}
	code := run(context.Background(), args, env)
	return code, stdout.String(), stderr.String()
}

// copyModelDir copies a model directory for a test that changes it.
func copyModelDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "model")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// recordedGSM8K returns n recorded GSM8K questions with answer texts, in
// embedded order, for inputs the replay provider can answer.
func recordedGSM8K(t *testing.T, n int) []dataset.RecordedItem {
	t.Helper()
	all, err := dataset.Recorded()
	if err != nil {
		t.Fatal(err)
	}
	var out []dataset.RecordedItem
	for _, it := range all {
		if it.Benchmark == "gsm8k" && strings.TrimSpace(it.CheapResponse) != "" && strings.TrimSpace(it.StrongResponse) != "" {
			if out = append(out, it); len(out) == n {
				return out
			}
		}
	}
	t.Fatalf("only %d recorded GSM8K items with answers, want %d", len(out), n)
	return nil
}

// writeRouteJSONL writes one JSON object per value.
func writeRouteJSONL(t *testing.T, name string, rows ...any) string {
	t.Helper()
	var b bytes.Buffer
	for _, r := range rows {
		line, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(line, '\n'))
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// decodeRouteLines parses route --json output, one object per line.
func decodeRouteLines(t *testing.T, out string) []routeResult {
	t.Helper()
	var res []routeResult
	for i, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		var r routeResult
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, line)
		}
		res = append(res, r)
	}
	return res
}

// modelFiles maps each file under dir to its contents.
func modelFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(filepath.Join(dir, p))
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
