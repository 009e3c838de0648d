package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// recordedFake answers like the replay provider: recorded outcomes for
// MMLU, recorded responses for GSM8K, a fixed reply for anything else.
type recordedFake struct {
	model  catalog.Model
	name   string
	byText map[string]dataset.RecordedItem
	calls  *atomic.Int64
}

func (f recordedFake) Complete(_ context.Context, req *provider.Request) (*provider.Response, error) {
	f.calls.Add(1)
	prompt := req.Messages[len(req.Messages)-1].Content
	u := provider.Usage{InputTokens: len(prompt) / 4, OutputTokens: 5, Estimated: true}
	if strings.Contains(prompt, "Reply with a single letter") {
		return &provider.Response{Text: "C", Usage: u}, nil
	}
	r, ok := f.byText[prompt]
	if !ok {
		return &provider.Response{Text: "Paris", Usage: u}, nil
	}
	strong := f.name == "gpt-4-1106-preview"
	ok = r.CheapCorrect
	text := r.CheapResponse
	if strong {
		ok, text = r.StrongCorrect, r.StrongResponse
	}
	if r.Benchmark == "mmlu" {
		text = "(recorded outcome) INCORRECT"
		if ok {
			text = "(recorded outcome) CORRECT"
		}
	}
	return &provider.Response{Text: text, Usage: u, Latency: time.Millisecond}, nil
}

func (recordedFake) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, errors.New("not used")
}

type fakeModelRegistry struct {
	cat    *catalog.Catalogue
	getenv func(string) string
	byText map[string]dataset.RecordedItem
	calls  *atomic.Int64
}

func (r fakeModelRegistry) Get(name string) (provider.Provider, catalog.Model, error) {
	m, err := r.cat.Lookup(name)
	if err != nil {
		return nil, m, err
	}
	return recordedFake{model: m, name: name, byText: r.byText, calls: r.calls}, m, nil
}

func (r fakeModelRegistry) CheckKey(name string) error {
	m, err := r.cat.Lookup(name)
	if err != nil {
		return err
	}
	if m.Provider == "gemini" && r.getenv("GEMINI_API_KEY") == "" {
		return fmt.Errorf("model %s needs GEMINI_API_KEY, which is not set", name)
	}
	return nil
}

// useFakeRegistry swaps the registry constructor for the test's duration.
func useFakeRegistry(t *testing.T) *atomic.Int64 {
	t.Helper()
	rec, err := dataset.Recorded()
	if err != nil {
		t.Fatal(err)
	}
	byText := make(map[string]dataset.RecordedItem, len(rec))
	for _, r := range rec {
		byText[r.Prompt] = r
	}
	calls := new(atomic.Int64)
	old := newModelRegistry
	newModelRegistry = func(cat *catalog.Catalogue, getenv func(string) string) (modelRegistry, error) {
		return fakeModelRegistry{cat: cat, getenv: getenv, byText: byText, calls: calls}, nil
	}
	t.Cleanup(func() { newModelRegistry = old })
	return calls
}

func TestOracleCommandRecordedOffline(t *testing.T) {
	for _, tc := range []struct{ bench, limit string }{{"gsm8k", "120"}, {"mmlu", "120"}} {
		t.Run(tc.bench, func(t *testing.T) { testRecordedOffline(t, tc.bench, tc.limit) })
	}
}

func testRecordedOffline(t *testing.T, bench, limit string) {
	calls := useFakeRegistry(t)
	dir := t.TempDir()
	args := []string{"oracle", "--benchmark", bench, "--limit", limit, "--output-dir", dir}
	code, stdout, stderr := runCmdEnv(t, nil, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows, err := oracle.ReadDataset(filepath.Join(dir, oracle.DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	items, _ := dataset.RecordedItems(bench)
	if n, _ := strconv.Atoi(limit); n > 0 && n < len(items) {
		items = items[:n]
	}
	if len(rows) != len(items) {
		t.Fatalf("rows = %d, want %d", len(rows), len(items))
	}
	// The rule judge reproduces every recorded outcome the fake served.
	rec, _ := dataset.Recorded()
	byText := map[string]dataset.RecordedItem{}
	for _, r := range rec {
		byText[r.Prompt] = r
	}
	want := func(ok bool) string {
		if ok {
			return grade.Correct
		}
		return grade.Incorrect
	}
	for _, row := range rows {
		r := byText[row.Query]
		if row.Cheap.Grade != want(r.CheapCorrect) || row.Strong.Grade != want(r.StrongCorrect) {
			t.Fatalf("%s: grades %s/%s, recorded %v/%v", row.ID, row.Cheap.Grade, row.Strong.Grade, r.CheapCorrect, r.StrongCorrect)
		}
	}
	if got := calls.Load(); got != int64(2*len(rows)) {
		t.Fatalf("upstream calls = %d, want %d (rule judge makes none)", got, 2*len(rows))
	}
	if !strings.Contains(stdout, "mixtral-8x7b-instruct") || !strings.Contains(stdout, "labelled") {
		t.Fatalf("stdout: %s", stdout)
	}
	// Rerunning resumes everything from the journal: no new calls.
	code, stdout, stderr = runCmdEnv(t, nil, args...)
	if code != 0 || calls.Load() != int64(2*len(rows)) || !strings.Contains(stdout, "0 made") {
		t.Fatalf("rerun: exit %d, calls %d, stdout %s stderr %s", code, calls.Load(), stdout, stderr)
	}
	code, stdout, stderr = runCmdEnv(t, nil, "prepare", "--oracle-file", filepath.Join(dir, oracle.DatasetFile), "--output-dir", filepath.Join(dir, "training"))
	if code != 0 || !strings.Contains(stdout, "DPO pairs") {
		t.Fatalf("prepare: exit %d %s %s", code, stdout, stderr)
	}
}

func TestOracleCommandKeys(t *testing.T) {
	useFakeRegistry(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "simpleqa_train.jsonl")
	if err := os.WriteFile(in, []byte(`{"id":"s1","problem":"What is the capital of France?","answer":"Paris","benchmark":"simpleqa"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "gen")
	code, _, stderr := runCmdEnv(t, nil, "oracle", "--input-file", in, "--output-dir", out)
	if code != 1 || !strings.Contains(stderr, "GEMINI_API_KEY") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("missing key: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("no output may be written when a key is missing")
	}
	const secret = "AIza-test-secret-key-123"
	code, stdout, stderr := runCmdEnv(t, nil, "oracle", "--input-file", in, "--output-dir", out, "--gemini-api-key", secret)
	if code != 0 || !strings.Contains(stderr, "visible") {
		t.Fatalf("flag key: exit %d, stderr %q", code, stderr)
	}
	assertNoSecret(t, secret, out, stdout, stderr)
}

// assertNoSecret fails t if secret is in any file under dir or in one of
// a command's outputs.
func assertNoSecret(t *testing.T, secret, dir string, outputs ...string) {
	t.Helper()
	files := strings.Join(outputs, "\n")
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			files += string(b)
		}
		return nil
	})
	if strings.Contains(files, secret) {
		t.Fatal("the API key leaked into output, logs or files")
	}
}

func TestOracleCommandBadInput(t *testing.T) {
	useFakeRegistry(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"id":"a","problem":"q?","answer":"1"}`+"\n{broken\n"), 0o644)
	good := filepath.Join(dir, "good.jsonl")
	os.WriteFile(good, []byte(`{"id":"a","problem":"What is 1+1?","answer":"2","benchmark":"gsm8k"}`+"\n"), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown benchmark", []string{"--benchmark", "trivia"}, 2, `--benchmark "trivia"`},
		{"custom needs input", []string{"--benchmark", "custom"}, 2, "needs --input-file"},
		{"negative limit", []string{"--benchmark", "mmlu", "--limit", "-1"}, 2, "--limit"},
		{"zero concurrency", []string{"--benchmark", "mmlu", "--concurrency", "0"}, 2, "--concurrency"},
		{"bad line", []string{"--input-file", bad}, 1, "bad.jsonl:2"},
		{"unknown model", []string{"--input-file", good, "--cheap-model", "gpt-9"}, 1, `--cheap-model: unknown model "gpt-9"`},
		{"unknown judge", []string{"--input-file", good, "--judge-model", "oracle-9"}, 1, `--judge-model: unknown model "oracle-9"`},
		{"same models", []string{"--input-file", good, "--cheap-model", "gpt-4o", "--strong-model", "gpt-4o"}, 1, "both"},
		{"bad matrix", []string{"--input-file", good, "--matrix", good}, 1, "good.jsonl"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(tc.name, " ", "-"))
			code, _, stderr := runCmdEnv(t, nil, append([]string{"oracle", "--output-dir", out}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
			if _, err := os.Stat(filepath.Join(out, oracle.DatasetFile)); err == nil {
				t.Fatal("a failed run wrote a dataset")
			}
		})
	}
}
