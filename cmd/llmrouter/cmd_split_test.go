package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
)

func writeSplitInput(t *testing.T, dir, name string, lines []string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func splitFixture(n int) []string {
	var lines []string
	for i := range n {
		it := dataset.Item{ID: fmt.Sprintf("q%03d", i), Problem: fmt.Sprintf("Question number %d?", i), Answer: "a", Topic: []string{"Art", "Music", "Science"}[i%3]}
		b, _ := json.Marshal(it)
		lines = append(lines, string(b))
	}
	// A duplicate of q000 up to case and punctuation.
	return append(lines, `{"id":"dup","problem":"QUESTION NUMBER 0","answer":"a","topic":"Music"}`)
}

func TestSplitCommandDeterministic(t *testing.T) {
	in := writeSplitInput(t, t.TempDir(), "bench.jsonl", splitFixture(60))
	var outputs [2][2][]byte
	for run := range 2 {
		out := t.TempDir()
		code, stdout, stderr := runDataCmd(t, "split", "--input-file", in, "--output-dir", out, "--train-ratio", "0.8", "--seed", "42")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "48 train") || !strings.Contains(stdout, "12 test") || !strings.Contains(stdout, "1 duplicates dropped") {
			t.Fatalf("stdout: %s", stdout)
		}
		for i, name := range []string{"bench_train.jsonl", "bench_test.jsonl"} {
			b, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			outputs[run][i] = b
		}
	}
	if string(outputs[0][0]) != string(outputs[1][0]) || string(outputs[0][1]) != string(outputs[1][1]) {
		t.Fatal("same seed produced different bytes")
	}
	if strings.Contains(string(outputs[0][0])+string(outputs[0][1]), `"dup"`) {
		t.Fatal("duplicate question was not dropped")
	}
}

func TestSplitCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeSplitInput(t, dir, "good.jsonl", splitFixture(10))
	tests := []struct {
		name     string
		args     []string
		lines    []string
		wantCode int
		wantErr  string
	}{
		{"missing input flag", []string{}, nil, 2, "--input-file is required"},
		{"ratio zero", []string{"--input-file", good, "--train-ratio", "0"}, nil, 2, "--train-ratio"},
		{"ratio one", []string{"--input-file", good, "--train-ratio", "1"}, nil, 2, "--train-ratio"},
		{"ratio not a number", []string{"--input-file", good, "--train-ratio", "x"}, nil, 2, "train-ratio"},
		{"missing file", []string{"--input-file", filepath.Join(dir, "nope.jsonl")}, nil, 1, "nope.jsonl"},
		{"empty file", nil, []string{""}, 1, "file is empty"},
		{"no problem", nil, []string{`{"id":"a","problem":"p"}`, `{"id":"b","answer":"x"}`}, 1, `in.jsonl:2: missing field "problem"`},
		{"malformed line", nil, []string{`{"id":"a","problem":"p"}`, `{"id":`}, 1, "in.jsonl:2: invalid JSON"},
		{"single question", nil, []string{`{"id":"a","problem":"p"}`}, 1, "cannot be split"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"split", "--output-dir", out}, tc.args...)
			if tc.lines != nil {
				args = append(args, "--input-file", writeSplitInput(t, t.TempDir(), "in.jsonl", tc.lines))
			}
			code, _, stderr := runDataCmd(t, args...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.wantErr) {
				t.Fatalf("exit %d stderr %q, want %d containing %q", code, stderr, tc.wantCode, tc.wantErr)
			}
			if code == 1 && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Fatalf("error is not one line: %q", stderr)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Fatalf("failed split wrote %d files", len(entries))
			}
		})
	}
}

// split reads the gateway's capture file directly: repeats are dropped,
// conversations are kept with their items, and the stable split is used.
func TestSplitCommandCapturedTraffic(t *testing.T) {
	var lines []string
	for i := range 40 {
		lines = append(lines, fmt.Sprintf(`{"id":"r%02d","time":"2026-12-04T22:50:00.123Z","query":"Captured question %d?","model":"m","source":"captured"}`, i, i))
	}
	lines = append(lines,
		`{"id":"again","query":"captured QUESTION 3"}`,
		`{"id":"conv","query":"and in Python?","messages":[{"role":"user","content":"Reverse a list in Go?"},{"role":"assistant","content":"slices.Reverse(s)"},{"role":"user","content":"and in Python?"}]}`)
	in := writeSplitInput(t, t.TempDir(), "captured.jsonl", lines)
	out := t.TempDir()
	code, stdout, stderr := runDataCmd(t, "split", "--input-file", in, "--output-dir", out, "--train-ratio", "0.75", "--seed", "7")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "split 41 questions by question hash") || !strings.Contains(stdout, "(1 duplicates dropped)") {
		t.Fatalf("stdout: %s", stdout)
	}
	var all []dataset.Item
	for _, name := range []string{"captured_train.jsonl", "captured_test.jsonl"} {
		items, err := dataset.ReadItems(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, items...)
	}
	var conv *dataset.Item
	for i, it := range all {
		if it.Benchmark != dataset.BenchmarkCaptured || it.Answer != "" || it.ID == "again" {
			t.Fatalf("item %+v", it)
		}
		if it.ID == "conv" {
			conv = &all[i]
		}
	}
	if len(all) != 41 || conv == nil || len(conv.Messages) != 3 || conv.Problem != "and in Python?" {
		t.Fatalf("%d items, conversation item %+v", len(all), conv)
	}
	if code, _, stderr := runDataCmd(t, "split", "--input-file", in, "--input-format", "csv"); code != 2 || !strings.Contains(stderr, "--input-format") {
		t.Fatalf("bad format: exit %d %s", code, stderr)
	}
}
