package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/router"
)

// routeInput is one query for route or calibrate, with the cheap model's
// answer when the input carried one, so the cascade verifier can score it.
type routeInput struct {
	Query       string
	CheapAnswer string
	// HasAnswer tells an empty answer (a real, if useless, reply) from none.
	HasAnswer bool
	// File and Line locate the input for errors; Line is 0 for --query and
	// for plain-text files.
	File string
	Line int
}

// where names the input in an error: file:line, or the flag.
func (in routeInput) where() string {
	switch {
	case in.Line > 0:
		return fmt.Sprintf("%s:%d", in.File, in.Line)
	case in.File != "":
		return in.File
	}
	return "--cheap-answer"
}

// isJSONL reports whether path is read as JSON objects rather than lines,
// the same rule as router.ReadQueries.
func isJSONL(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson":
		return true
	}
	return false
}

// readRouteInputs reads a --test-file or --queries file. Plain-text files
// hold one query per line and cannot carry answers, so they are left to
// router.ReadQueries; JSONL objects are read here because router's reader
// keeps only the query.
func readRouteInputs(path string) ([]routeInput, error) {
	if !isJSONL(path) {
		qs, err := router.ReadQueries(path)
		if err != nil {
			return nil, err
		}
		in := make([]routeInput, len(qs))
		for i, q := range qs {
			in[i] = routeInput{Query: q, File: path}
		}
		return in, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open queries: %w", err)
	}
	defer f.Close()
	var in []routeInput
	err = jsonl.EachLine(f, path, func(line int, raw []byte) error {
		x, err := parseRouteInput(raw)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		x.File, x.Line = path, line
		in = append(in, x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, fmt.Errorf("%s: no queries (file is empty)", path)
	}
	return in, nil
}

// parseRouteInput decodes one JSONL object: the first non-empty of query,
// problem and prompt (as router.ReadQueries), and cheap_answer if present
// and not null.
func parseRouteInput(raw []byte) (routeInput, error) {
	var obj struct {
		Query       *string `json:"query"`
		Problem     *string `json:"problem"`
		Prompt      *string `json:"prompt"`
		CheapAnswer *string `json:"cheap_answer"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return routeInput{}, fmt.Errorf("invalid JSON object: %w", err)
	}
	var in routeInput
	for _, s := range []*string{obj.Query, obj.Problem, obj.Prompt} {
		if s != nil && *s != "" {
			in.Query = *s
			break
		}
	}
	if in.Query == "" {
		return routeInput{}, errors.New(`object has no non-empty "query", "problem" or "prompt" field`)
	}
	if obj.CheapAnswer != nil {
		in.CheapAnswer, in.HasAnswer = *obj.CheapAnswer, true
	}
	return in, nil
}

// firstAnswered returns the first input that carries a cheap answer.
func firstAnswered(in []routeInput) (routeInput, bool) {
	for _, x := range in {
		if x.HasAnswer {
			return x, true
		}
	}
	return routeInput{}, false
}
