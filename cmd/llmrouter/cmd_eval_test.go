package main

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/eval"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/router"
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

// scoreRouter scores a query by a fixed table.
type scoreRouter struct {
	name   string
	scores map[string]float64
}

func (s scoreRouter) Name() string { return s.name }
func (s scoreRouter) Route(_ context.Context, q string) (router.Decision, error) {
	v, ok := s.scores[q]
	if !ok {
		return router.Decision{}, errors.New("unknown query")
	}
	return router.Decision{Policy: policy.Standard, Score: v}, nil
}

func TestRouteRows(t *testing.T) {
	rows := []oracle.Row{{ID: "1", Query: "a"}, {ID: "2", Query: "b"}, {ID: "3", Query: "c"}}
	r := scoreRouter{"fixed", map[string]float64{"a": 0.9, "b": 0.5, "c": 0.1}}
	runs, err := routeRows(context.Background(), []evalRouter{{r: r, threshold: 0.5}}, rows)
	if err != nil {
		t.Fatal(err)
	}
	if got := runs[0].Strong; !got[0] || !got[1] || got[2] {
		t.Errorf("decisions %v, want strong iff score >= 0.5", got)
	}
	rows = append(rows, oracle.Row{ID: "4", Query: "zzz"})
	if _, err := routeRows(context.Background(), []evalRouter{{r: r, threshold: 0.5}}, rows); err == nil || !strings.Contains(err.Error(), "question 4") {
		t.Errorf("err = %v, want one naming the question", err)
	}
	// A matched router takes the first router's realised share (2 of 3):
	// its two highest scores go strong, whatever its own threshold says.
	other := scoreRouter{"other", map[string]float64{"a": 0.2, "b": 0.1, "c": 0.3}}
	runs, err = routeRows(context.Background(), []evalRouter{{r: r, threshold: 0.5}, {r: other, threshold: 0.9, matched: true}}, rows[:3])
	if err != nil {
		t.Fatal(err)
	}
	if got := runs[1].Strong; !got[0] || got[1] || !got[2] || runs[1].Threshold != 0.2 {
		t.Errorf("matched decisions %v at threshold %v, want [true false true] at 0.2", got, runs[1].Threshold)
	}
	if runs[1].Policies[0] != policy.Complex || runs[1].Policies[1] != policy.Standard {
		t.Errorf("matched policies %v", runs[1].Policies)
	}
	nan := scoreRouter{"nan", map[string]float64{"a": math.NaN()}}
	if _, err := routeRows(context.Background(), []evalRouter{{r: nan, threshold: 0.5}}, rows[:1]); err == nil {
		t.Error("NaN score accepted")
	}
}

func TestPrintEvalSummary(t *testing.T) {
	qs := []eval.Question{
		{ID: "1", Cheap: eval.Outcome{Grade: grade.Incorrect, Cost: 1}, Strong: eval.Outcome{Grade: grade.Correct, Cost: 2}},
		{ID: "2", Cheap: eval.Outcome{Grade: grade.Correct, Cost: 1}, Strong: eval.Outcome{Grade: grade.Correct, Cost: 2}},
	}
	cmp, err := eval.Evaluate(qs, []eval.RouterRun{{Name: "classifier", Scores: []float64{1, 0}, Strong: []bool{true, false}, Threshold: 0.5}}, eval.Options{Benchmark: "mmlu"})
	if err != nil {
		t.Fatal(err)
	}
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
	cmp, err = eval.Evaluate(qs, nil, eval.Options{Benchmark: "simpleqa"})
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	printEvalSummary(&b, cmp)
	if out := b.String(); !strings.Contains(out, "accuracy given attempted") || !strings.Contains(out, "50.0%") {
		t.Errorf("SimpleQA table missing:\n%s", out)
	}
}

func TestThresholdForShare(t *testing.T) {
	cases := []struct {
		name   string
		scores []float64
		share  float64
		want   float64
	}{
		{"none", []float64{0.1, 0.5}, 0, math.Inf(1)},
		{"half", []float64{0.1, 0.9, 0.5, 0.3}, 0.5, 0.5},
		{"all", []float64{0.1, 0.9}, 1, 0.1},
		{"rounds", []float64{0.1, 0.2, 0.3}, 0.4, 0.3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := thresholdForShare(tc.scores, tc.share); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
