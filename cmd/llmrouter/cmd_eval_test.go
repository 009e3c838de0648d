package main

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/eval"
	"github.com/llmrouter/llmrouter/internal/grade"
)

func TestParseEvalFlags(t *testing.T) {
	cases := []struct {
		name    string
		vars    map[string]string
		args    []string
		wantErr bool
		check   func(evalOptions) bool
	}{
		{"defaults", nil, []string{"--test-file", "t.jsonl"}, false,
			func(o evalOptions) bool { return o.limit == 0 && math.IsNaN(o.threshold) && o.routers == nil }},
		{"compare baseline", nil, []string{"--test-file", "t.jsonl", "--compare-baseline"}, false,
			func(o evalOptions) bool { return strings.Join(o.routers, ",") == "classifier,knn,random,rules" }},
		{"routers dedup", nil, []string{"--test-file", "t", "--routers", "knn, rules,knn"}, false,
			func(o evalOptions) bool { return strings.Join(o.routers, ",") == "knn,rules" }},
		{"EVAL_LIMIT", map[string]string{"EVAL_LIMIT": "7"}, []string{"--test-file", "t"}, false,
			func(o evalOptions) bool { return o.limit == 7 }},
		{"flag beats env", map[string]string{"EVAL_LIMIT": "7"}, []string{"--test-file", "t", "--limit", "3"}, false,
			func(o evalOptions) bool { return o.limit == 3 }},
		{"threshold", nil, []string{"--test-file", "t", "--threshold", "0.25"}, false,
			func(o evalOptions) bool { return o.threshold == 0.25 }},
		{"missing test file", nil, nil, true, nil},
		{"bad threshold", nil, []string{"--test-file", "t", "--threshold", "2"}, true, nil},
		{"unknown router", nil, []string{"--test-file", "t", "--routers", "gpt"}, true, nil},
		{"bad EVAL_LIMIT", map[string]string{"EVAL_LIMIT": "x"}, []string{"--test-file", "t"}, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := &Env{Stdout: &strings.Builder{}, Stderr: &strings.Builder{}, Getenv: func(k string) string { return tc.vars[k] }}
			o, err := parseEvalFlags(env, tc.args)
			if tc.wantErr {
				if !errors.Is(err, errUsage) {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil || !tc.check(o) {
				t.Fatalf("options %+v, err %v", o, err)
			}
		})
	}
}

// twoQuestionEval is an MMLU comparison of two questions, the first of
// which only the strong model gets right, with a classifier that routes
// exactly that one to it.
func twoQuestionEval(t *testing.T) ([]eval.Question, *eval.Comparison) {
	t.Helper()
	qs := []eval.Question{
		{ID: "1", Cheap: eval.Outcome{Grade: grade.Incorrect, Cost: 1}, Strong: eval.Outcome{Grade: grade.Correct, Cost: 2}},
		{ID: "2", Cheap: eval.Outcome{Grade: grade.Correct, Cost: 1}, Strong: eval.Outcome{Grade: grade.Correct, Cost: 2}},
	}
	cmp, err := eval.Evaluate(qs, []eval.RouterRun{{Name: "classifier", Scores: []float64{1, 0}, Strong: []bool{true, false}, Threshold: 0.5}}, eval.Options{Benchmark: "mmlu"})
	if err != nil {
		t.Fatal(err)
	}
	return qs, cmp
}

func TestPrintEvalSummary(t *testing.T) {
	qs, cmp := twoQuestionEval(t)
	var b strings.Builder
	printEvalSummary(&b, cmp)
	out := b.String()
	for _, want := range []string{"classifier", "cheap-only", "strong-only", "oracle", "APGR", "100.0%"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "SimpleQA") {
		t.Error("SimpleQA table printed for a benchmark with no abstentions")
	}
	qs[0].Cheap.Grade = grade.NotAttempted
	cmp, err := eval.Evaluate(qs, nil, eval.Options{Benchmark: "simpleqa"})
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	printEvalSummary(&b, cmp)
	if out := b.String(); !strings.Contains(out, "accuracy given attempted") || !strings.Contains(out, "50.0%") {
		t.Errorf("SimpleQA table missing:\n%s", out)
	}
}
