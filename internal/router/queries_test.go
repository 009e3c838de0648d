package router

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadQueries(t *testing.T) {
	tests := []struct {
		name, file, content string
		want                []string
		err                 string
	}{
		{"lines", "q.txt", "first\n\n  second  \r\nthird", []string{"first", "second", "third"}, ""},
		{"jsonl fields", "q.jsonl", `{"query":"a"}` + "\n" + `{"problem":"multi\nline"}` + "\n" + `{"prompt":"c","query":""}`, []string{"a", "multi\nline", "c"}, ""},
		{"jsonl missing field", "q.jsonl", `{"query":"a"}` + "\n" + `{"answer":"b"}`, nil, "q.jsonl:2: object has no"},
		{"jsonl bad json", "q.jsonl", `{"query":`, nil, "q.jsonl:1: invalid JSON"},
		{"empty", "q.txt", "\n \n", nil, "no queries"},
		{"empty jsonl", "q.jsonl", "", nil, "no queries"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadQueries(path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if _, err := ReadQueries(filepath.Join(t.TempDir(), "missing.txt")); err == nil {
		t.Error("missing file accepted")
	}
}
