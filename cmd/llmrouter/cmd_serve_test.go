package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func runServeCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(stdin),
		Log: slog.New(slog.DiscardHandler), Getenv: func(string) string { return "" }}
	code := run(context.Background(), append([]string{"serve"}, args...), env)
	return code, out.String(), errb.String()
}

func TestServeCommand(t *testing.T) {
	tests := []struct {
		name, stdin string
		args        []string
		code        int
		out, err    string
	}{
		{"hash key", "sk-example-team-a\n", []string{"--hash-key"}, 0, "e15d388571c6cc808017b58600f644309709d68ec20ef11c132b99ac48e92a66\n", ""},
		{"hash key without newline", "sk-example-team-a", []string{"--hash-key"}, 0, "e15d388571c6cc808017b58600f644309709d68ec20ef11c132b99ac48e92a66\n", ""},
		{"hash key empty", "", []string{"--hash-key"}, 2, "", "reads the key from stdin"},
		{"check example", "", []string{"--config", "../../configs/router.example.yaml", "--check"}, 0, "router.example.yaml: ok\n", ""},
		{"no config", "", nil, 2, "", "--config is required"},
		{"stray argument", "", []string{"extra"}, 2, "", "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runServeCmd(t, tc.stdin, tc.args...)
			if code != tc.code || !strings.HasSuffix(out, tc.out) || !strings.Contains(errOut, tc.err) {
				t.Errorf("code %d out %q err %q", code, out, errOut)
			}
			if strings.Contains(errOut, "sk-example") {
				t.Error("the key was echoed")
			}
		})
	}
}
