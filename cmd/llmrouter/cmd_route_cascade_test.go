package main

import (
	"math"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/registry"
	"github.com/llmrouter/llmrouter/internal/provider/replay"
	"github.com/llmrouter/llmrouter/internal/router"
)

type jsonRow map[string]any

func mustLoadRouter(t *testing.T, dir string) *router.Model {
	t.Helper()
	m, err := router.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRouteJSONCheapAnswer checks that escalate_score and escalate appear
// exactly on the lines that carry cheap_answer, with the verifier's score,
// one object per input line in input order.
func TestRouteJSONCheapAnswer(t *testing.T) {
	fix := cascadeFixtureModel(t)
	v := mustLoadRouter(t, fix.model).Cascade
	items := recordedGSM8K(t, 2)
	empty := ""
	answers := []*string{&items[0].CheapResponse, nil, &items[1].CheapResponse, &empty, nil}
	queries := []string{items[0].Prompt, "Name the largest planet.", items[1].Prompt, "What is 2+2?", "line one\nline two"}
	file := writeRouteJSONL(t, "batch.jsonl",
		jsonRow{"query": queries[0], "cheap_answer": *answers[0]},
		jsonRow{"query": queries[1]},
		jsonRow{"problem": queries[2], "cheap_answer": *answers[2]},
		jsonRow{"prompt": queries[3], "cheap_answer": ""},
		jsonRow{"query": queries[4], "cheap_answer": nil})

	for _, tc := range []struct {
		flags     []string
		threshold float64
	}{{nil, v.Threshold()}, {[]string{"--cascade-threshold", "0"}, 0}, {[]string{"--cascade-threshold", "1"}, 1}} {
		args := append([]string{"route", "--model-path", fix.model, "--test-file", file, "--json"}, tc.flags...)
		code, out, errOut := runRouterCmd(t, nil, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.flags, code, errOut)
		}
		res := decodeRouteLines(t, out)
		if len(res) != len(queries) {
			t.Fatalf("%v: %d lines for %d inputs:\n%s", tc.flags, len(res), len(queries), out)
		}
		lines := strings.Split(out, "\n")
		for i, r := range res {
			if r.Query != queries[i] || r.Policy == "" || len(r.Probabilities) != 3 {
				t.Errorf("%v line %d: out of order or incomplete: %+v", tc.flags, i+1, r)
			}
			if answers[i] == nil {
				if strings.Contains(lines[i], "escalate") || strings.Contains(lines[i], "cascade") {
					t.Errorf("%v line %d has no cheap_answer but prints a verdict: %s", tc.flags, i+1, lines[i])
				}
				continue
			}
			if r.EscalateScore == nil || r.Escalate == nil || r.CascadeThreshold == nil {
				t.Fatalf("%v line %d: verdict missing: %s", tc.flags, i+1, lines[i])
			}
			want := v.Score(queries[i], *answers[i])
			if *r.EscalateScore != want || *r.Escalate != (want >= tc.threshold) || *r.CascadeThreshold != tc.threshold {
				t.Errorf("%v line %d: escalate_score %v escalate %v threshold %v; want %v, %v, %v", tc.flags, i+1,
					*r.EscalateScore, *r.Escalate, *r.CascadeThreshold, want, want >= tc.threshold, tc.threshold)
			}
		}
	}
}

func TestRouteTextCheapAnswer(t *testing.T) {
	fix := cascadeFixtureModel(t)
	items := recordedGSM8K(t, 1)
	file := writeRouteJSONL(t, "batch.jsonl", jsonRow{"query": items[0].Prompt, "cheap_answer": items[0].CheapResponse}, jsonRow{"query": "Name a planet."})
	code, out, errOut := runRouterCmd(t, nil, "route", "--model-path", fix.model, "--test-file", file, "--cascade-threshold", "0")
	rows := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if code != 0 || len(rows) != 2 {
		t.Fatalf("exit %d, %d rows: %s%s", code, len(rows), out, errOut)
	}
	if !strings.Contains(rows[0], "  escalate 0.") || !strings.Contains(rows[1], "  -  ") {
		t.Errorf("verdict column wrong:\n%s", out)
	}
	code, out, _ = runRouterCmd(t, nil, "route", "--model-path", fix.model, "--query", items[0].Prompt,
		"--cheap-answer", items[0].CheapResponse, "--cascade-threshold", "1")
	if code != 0 || !strings.Contains(out, "\nescalate:      0.") || !strings.Contains(out, "(cascade threshold 1.0000): no, keep the cheap answer") {
		t.Errorf("single-query verdict:\n%s", out)
	}
}

func TestRouteCascadeErrors(t *testing.T) {
	plain := trainSmallModel(t) // MMLU rows carry no answer texts: no verifier
	casc := cascadeFixtureModel(t).model
	answered := writeRouteJSONL(t, "answered.jsonl", jsonRow{"query": "a"}, jsonRow{"query": "b"}, jsonRow{"query": "c", "cheap_answer": "3"})
	tests := []struct {
		name  string
		args  []string
		code  int
		wants []string
	}{
		{"file line without verifier", []string{"--model-path", plain, "--test-file", answered, "--json"}, 1,
			[]string{answered + ":3: cheap_answer given", "has no cascade verifier"}},
		{"flag without verifier", []string{"--model-path", plain, "--query", "q", "--cheap-answer", "a"}, 1,
			[]string{"--cheap-answer: cheap_answer given", "has no cascade verifier"}},
		{"cascade without verifier", []string{"--model-path", plain, "--query", "q", "--end-to-end", "--cascade"}, 1,
			[]string{"--cascade:", "has no cascade verifier"}},
		{"threshold without verifier", []string{"--model-path", plain, "--query", "q", "--cascade-threshold", "0.5"}, 1,
			[]string{"--cascade-threshold:", "has no cascade verifier"}},
		{"cheap answer with a file", []string{"--model-path", casc, "--test-file", answered, "--cheap-answer", "a"}, 2,
			[]string{"--cheap-answer goes with --query"}},
		{"cascade without end-to-end", []string{"--model-path", casc, "--query", "q", "--cascade"}, 2,
			[]string{"--cascade needs --end-to-end"}},
		{"cascade with a given answer", []string{"--model-path", casc, "--query", "q", "--cheap-answer", "a", "--end-to-end", "--cascade"}, 2,
			[]string{"drop --cheap-answer"}},
		{"cascade with answered lines", []string{"--model-path", casc, "--test-file", answered, "--end-to-end", "--cascade"}, 1,
			[]string{answered + ":3:", "--cascade asks the cheap model itself"}},
		{"cascade threshold range", []string{"--model-path", casc, "--query", "q", "--cascade-threshold", "1.5"}, 2,
			[]string{"--cascade-threshold 1.5 outside [0, 1]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runRouterCmd(t, nil, append([]string{"route"}, tc.args...)...)
			if code != tc.code || out != "" {
				t.Fatalf("exit %d (want %d), stdout %q, stderr %q", code, tc.code, out, errOut)
			}
			for _, w := range tc.wants {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
			if n := strings.Count("\n"+errOut, "\nllmrouter "); n != 1 {
				t.Errorf("want exactly one error line, got %d: %q", n, errOut)
			}
		})
	}
}

// countingRegistry counts Get calls per model on the real registry.
type countingRegistry struct {
	modelRegistry
	calls map[string]int
}

func (c *countingRegistry) Get(model string) (provider.Provider, catalog.Model, error) {
	c.calls[model]++
	return c.modelRegistry.Get(model)
}

// useCountingRegistry serves route --end-to-end from the real registry,
// whose catalogue sends the recorded models to the offline replay provider.
func useCountingRegistry(t *testing.T) map[string]int {
	t.Helper()
	calls := map[string]int{}
	old := newModelRegistry
	newModelRegistry = func(cat *catalog.Catalogue, getenv func(string) string) (modelRegistry, error) {
		return &countingRegistry{registry.New(cat, registry.Options{Replay: replay.Lazy(replay.Options{}), Getenv: getenv}), calls}, nil
	}
	t.Cleanup(func() { newModelRegistry = old })
	return calls
}

func TestRouteCascadeEndToEnd(t *testing.T) {
	fix := cascadeFixtureModel(t)
	v := mustLoadRouter(t, fix.model).Cascade
	items := recordedGSM8K(t, 2)
	calls := useCountingRegistry(t)
	file := writeRouteJSONL(t, "q.jsonl", jsonRow{"query": items[0].Prompt}, jsonRow{"problem": items[1].Prompt})
	for _, th := range []string{"0", "1"} {
		clear(calls)
		code, out, errOut := runRouterCmd(t, nil, "route", "--model-path", fix.model, "--test-file", file,
			"--end-to-end", "--cascade", "--json", "--cascade-threshold", th)
		if code != 0 {
			t.Fatalf("threshold %s: exit %d: %s", th, code, errOut)
		}
		escalate := th == "0"
		for i, r := range decodeRouteLines(t, out) {
			it := items[i]
			c := r.Cheap
			if r.Query != it.Prompt || c == nil || c.Model != fixtureCheap || c.Answer != it.CheapResponse || c.InputTokens <= 0 || c.CostUSD <= 0 {
				t.Fatalf("threshold %s line %d: cheap call %+v", th, i+1, c)
			}
			if r.EscalateScore == nil || *r.EscalateScore != v.Score(it.Prompt, it.CheapResponse) || *r.Escalate != escalate {
				t.Errorf("threshold %s line %d: verdict %v/%v", th, i+1, r.EscalateScore, r.Escalate)
			}
			final, sum := *c, []routeCall{*c}
			if escalate {
				if r.Strong == nil || r.Strong.Model != fixtureStrong || r.Strong.Answer != it.StrongResponse {
					t.Fatalf("threshold 0 line %d: strong call %+v", i+1, r.Strong)
				}
				final, sum = *r.Strong, append(sum, *r.Strong)
			} else if r.Strong != nil {
				t.Errorf("threshold 1 line %d: strong model asked", i+1)
			}
			checkCascadeTotals(t, r, final, sum)
		}
		want := map[string]int{fixtureCheap: 2}
		if escalate {
			want[fixtureStrong] = 2
		}
		if len(calls) != len(want) || calls[fixtureCheap] != want[fixtureCheap] || calls[fixtureStrong] != want[fixtureStrong] {
			t.Errorf("threshold %s: calls %v, want %v", th, calls, want)
		}
	}
}

// checkCascadeTotals checks that r returns final's answer and adds up calls.
func checkCascadeTotals(t *testing.T, r routeResult, final routeCall, calls []routeCall) {
	t.Helper()
	var in, out int
	var cost float64
	for _, c := range calls {
		in, out, cost = in+c.InputTokens, out+c.OutputTokens, cost+c.CostUSD
	}
	if r.Model != final.Model || r.Answer != final.Answer || r.InputTokens != in || r.OutputTokens != out || math.Abs(r.CostUSD-cost) > 1e-15 {
		t.Errorf("result %s %d/%d $%v, want %s %d/%d $%v", r.Model, r.InputTokens, r.OutputTokens, r.CostUSD, final.Model, in, out, cost)
	}
}

func TestRouteCascadeEndToEndText(t *testing.T) {
	fix := cascadeFixtureModel(t)
	useCountingRegistry(t)
	q := recordedGSM8K(t, 1)[0].Prompt
	code, out, errOut := runRouterCmd(t, nil, "route", "--model-path", fix.model, "--query", q, "--end-to-end", "--cascade", "--cascade-threshold", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"\ncheap:         " + fixtureCheap + ", ", "\ncheap answer:  ", "\nescalate:      0.", "yes, ask the strong model",
		"\nstrong:        " + fixtureStrong + ", ", "\nanswer:        ", "\ntokens:        ", "\ncost:          $"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRouteCascadeSkip(t *testing.T) {
	dir := copyModelDir(t, cascadeFixtureModel(t).model)
	m := mustLoadRouter(t, dir)
	if err := m.Cascade.SetSkipThreshold(0, "test: always skip"); err != nil {
		t.Fatal(err)
	}
	if err := router.SaveMeta(dir, m); err != nil {
		t.Fatal(err)
	}
	calls := useCountingRegistry(t)
	it := recordedGSM8K(t, 1)[0]
	code, out, errOut := runRouterCmd(t, nil, "route", "--model-path", dir, "--query", it.Prompt, "--end-to-end", "--cascade", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	r := decodeRouteLines(t, out)[0]
	if !r.SkippedCheap || r.Cheap != nil || r.EscalateScore != nil || r.Strong == nil || r.Answer != it.StrongResponse {
		t.Fatalf("skip: %s", out)
	}
	checkCascadeTotals(t, r, *r.Strong, []routeCall{*r.Strong})
	if calls[fixtureCheap] != 0 || calls[fixtureStrong] != 1 {
		t.Errorf("calls %v, want the strong model once", calls)
	}
	code, out, _ = runRouterCmd(t, nil, "route", "--model-path", dir, "--query", it.Prompt, "--end-to-end", "--cascade")
	if code != 0 || !strings.Contains(out, "cheap:         skipped") {
		t.Errorf("text skip:\n%s", out)
	}
}

// A replayed MMLU question has an outcome grade, not an answer text, and
// the verifier must not score it as if it were one.
func TestRouteCascadeRecordedOutcome(t *testing.T) {
	fix := cascadeFixtureModel(t)
	useCountingRegistry(t)
	all, err := dataset.Recorded()
	if err != nil {
		t.Fatal(err)
	}
	q := ""
	for _, it := range all {
		if it.Benchmark == "mmlu" && strings.TrimSpace(it.CheapResponse) == "" {
			q = it.Prompt
			break
		}
	}
	code, out, errOut := runRouterCmd(t, nil, "route", "--model-path", fix.model, "--query", q, "--end-to-end", "--cascade", "--json")
	if code != 1 || out != "" || !strings.Contains(errOut, "only a recorded outcome") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
