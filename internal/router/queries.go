package router

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmrouter/llmrouter/internal/jsonl"
)

// ReadQueries reads a batch of queries for route and calibrate. A .jsonl
// (or .ndjson) file holds one JSON object per line carrying a "query",
// "problem" or "prompt" field (the first non-empty wins), so prompts may
// contain newlines; any other file holds one query per non-blank line.
// A file without queries is an error.
func ReadQueries(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open queries: %w", err)
	}
	defer f.Close()
	var qs []string
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson":
		qs, err = jsonlQueries(f, path)
	default:
		qs, err = lineQueries(f, path)
	}
	if err != nil {
		return nil, err
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("%s: no queries (file is empty)", path)
	}
	return qs, nil
}

func jsonlQueries(r io.Reader, name string) ([]string, error) {
	var qs []string
	err := jsonl.EachLine(r, name, func(line int, raw []byte) error {
		var obj struct {
			Query   *string `json:"query"`
			Problem *string `json:"problem"`
			Prompt  *string `json:"prompt"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return fmt.Errorf("%s:%d: invalid JSON object: %w", name, line, err)
		}
		for _, s := range []*string{obj.Query, obj.Problem, obj.Prompt} {
			if s != nil && *s != "" {
				qs = append(qs, *s)
				return nil
			}
		}
		return fmt.Errorf("%s:%d: object has no non-empty \"query\", \"problem\" or \"prompt\" field", name, line)
	})
	return qs, err
}

func lineQueries(r io.Reader, name string) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), jsonl.MaxLineBytes)
	var qs []string
	for n := 1; sc.Scan(); n++ {
		if q := strings.TrimSpace(sc.Text()); q != "" {
			qs = append(qs, q)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return qs, nil
}
