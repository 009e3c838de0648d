package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmdEnv runs one command line in-process with the given environment.
func runCmdEnv(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &Env{Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader(""), Getenv: func(k string) string { return vars[k] }}
	code := run(context.Background(), args, env)
	return code, stdout.String(), stderr.String()
}

func TestPrepareCommandGolden(t *testing.T) {
	out := t.TempDir()
	in := filepath.Join("..", "..", "internal", "trainset", "testdata", "oracle_small.jsonl")
	code, stdout, stderr := runCmdEnv(t, nil, "prepare", "--oracle-file", in, "--output-dir", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"prepared 9 SFT rows", "Standard_Query   3", "Complex_Query    2", "Ambiguous_Query  4", "prepared 5 DPO pairs"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, name := range []string{"sft_train", "dpo_train"} {
		got, _ := os.ReadFile(filepath.Join(out, name+".jsonl"))
		want, _ := os.ReadFile(filepath.Join("..", "..", "internal", "trainset", "testdata", name+".golden.jsonl"))
		if len(want) == 0 || !bytes.Equal(got, want) {
			t.Errorf("%s.jsonl differs from the golden file", name)
		}
	}
}

func TestPrepareCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `{"id":"a","query":"q","cell":"CORRECT/CORRECT","policy":"Standard_Query"}` + "\n"
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing file", []string{"--oracle-file", filepath.Join(dir, "nope.jsonl")}, 1, "nope.jsonl"},
		{"empty file", []string{"--oracle-file", write("empty.jsonl", "")}, 1, "empty.jsonl: file is empty"},
		{"bad line", []string{"--oracle-file", write("bad.jsonl", good+"garbage\n")}, 1, "bad.jsonl:2: invalid JSON"},
		{"unknown policy", []string{"--oracle-file", write("pol.jsonl", strings.Replace(good, "Standard_Query", "Fast_Query", 1))}, 1, `pol.jsonl:1: row "a": unknown policy "Fast_Query"`},
		{"bad matrix", []string{"--oracle-file", write("ok.jsonl", good), "--matrix", write("m.yaml", "cells: []\n")}, 1, "m.yaml: missing cells"},
		{"stray argument", []string{"extra"}, 2, "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(tc.name, " ", "-"))
			code, _, stderr := runCmdEnv(t, nil, append([]string{"prepare", "--output-dir", out}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 && tc.code == 1 {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
			if _, err := os.Stat(out); tc.code != 0 && err == nil {
				t.Fatal("a failed prepare must not write output")
			}
		})
	}
}
