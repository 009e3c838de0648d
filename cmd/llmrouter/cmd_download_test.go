package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
)

// runDataCmd runs one command line in-process and returns its exit status,
// stdout and stderr.
func runDataCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &Env{Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader(""), Getenv: func(string) string { return "" }}
	code := run(context.Background(), args, env)
	return code, stdout.String(), stderr.String()
}

func TestDownloadCommand(t *testing.T) {
	good, err := dataset.EmbeddedSimpleQACSV()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad.csv" {
			w.Write(append([]byte("x"), good...))
			return
		}
		w.Write(good)
	}))
	defer srv.Close()

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantFile   string
		wantLines  int
		wantStdout string
		wantStderr string
	}{
		{"good download", []string{"--url", srv.URL + "/ok.csv"}, 0, "simpleqa.jsonl", 4326, "source: " + srv.URL, ""},
		{"offline", []string{"--offline"}, 0, "simpleqa.jsonl", 4326, "source: embedded", "embedded in the binary"},
		{"sha mismatch", []string{"--url", srv.URL + "/bad.csv"}, 1, "", 0, "", "sha256 mismatch"},
		// The larger mmlu and recorded sets go through the same code path;
		// internal/dataset tests their contents.
		{"recorded gsm8k", []string{"--benchmark", "gsm8k"}, 0, "gsm8k.jsonl", 1137, "wrote 1137 gsm8k items", ""},
		{"unknown benchmark", []string{"--benchmark", "nope"}, 2, "", 0, "", "--benchmark"},
		{"bad timeout", []string{"--timeout", "0s"}, 2, "", 0, "", "--timeout"},
		{"stray argument", []string{"extra"}, 2, "", 0, "", "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// A file from an earlier run must survive a failed download.
			prev := filepath.Join(dir, "simpleqa.jsonl")
			if err := os.WriteFile(prev, []byte("previous\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runDataCmd(t, append([]string{"download", "--output-dir", dir}, tc.args...)...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.wantCode, stderr)
			}
			if !strings.Contains(stdout, tc.wantStdout) || !strings.Contains(stderr, tc.wantStderr) {
				t.Fatalf("stdout %q / stderr %q, want %q / %q", stdout, stderr, tc.wantStdout, tc.wantStderr)
			}
			if tc.wantFile == "" {
				if b, _ := os.ReadFile(prev); string(b) != "previous\n" {
					t.Fatalf("failed download changed %s", prev)
				}
				return
			}
			if code != 0 || strings.Count(strings.TrimSpace(stderr), "\n") > 3 {
				t.Fatalf("unexpected stderr: %s", stderr)
			}
			items, err := dataset.ReadItems(filepath.Join(dir, tc.wantFile))
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != tc.wantLines {
				t.Fatalf("%d items, want %d", len(items), tc.wantLines)
			}
		})
	}
}

func TestDownloadCommandFieldsGolden(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runDataCmd(t, "download", "--offline", "--output-dir", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "simpleqa.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := bytes.Cut(raw, []byte("\n"))
	want, err := os.ReadFile(filepath.Join("testdata", "download_simpleqa_first_line.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != strings.TrimSpace(string(want)) {
		t.Fatalf("first line\n got %s\nwant %s", first, want)
	}
}
