package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/eval"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/report"
	"github.com/llmrouter/llmrouter/internal/router"
)

const (
	driftMMLU     = "Which of the following is a prime number?\nA. 4\nB. 6\nC. 7\nD. 9\nAnswer:"
	driftEveryday = "hi, how are you?"
)

// route --json carries drift and out_of_distribution on every line; the
// text output warns on the out-of-distribution query only.
func TestRouteDrift(t *testing.T) {
	dir := trainSmallModel(t)
	file := filepath.Join(t.TempDir(), "mixed.jsonl")
	lines := `{"query":` + jsonString(t, driftMMLU) + `}` + "\n" + `{"query":` + jsonString(t, driftEveryday) + `}` + "\n"
	if err := os.WriteFile(file, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runRouterCmd(t, nil, "route", "--model-path", dir, "--test-file", file, "--json")
	if code != 0 {
		t.Fatalf("route --json exit %d: %s", code, errOut)
	}
	rows := strings.Split(strings.TrimSpace(out), "\n")
	if len(rows) != 2 {
		t.Fatalf("got %d JSON lines, want 2:\n%s", len(rows), out)
	}
	for i, wantOOD := range []bool{false, true} {
		var raw map[string]any
		if err := json.Unmarshal([]byte(rows[i]), &raw); err != nil {
			t.Fatal(err)
		}
		drift, ok := raw["drift"].(float64)
		ood, ok2 := raw["out_of_distribution"].(bool)
		if !ok || !ok2 || drift < 0 || drift > 1 {
			t.Fatalf("line %d: drift %v, out_of_distribution %v: want a number in [0, 1] and a bool\n%s", i+1, raw["drift"], raw["out_of_distribution"], rows[i])
		}
		if ood != wantOOD || ood != router.OutOfDistribution(drift) {
			t.Errorf("line %d (%q): drift %.3f out_of_distribution %v, want %v", i+1, raw["query"], drift, ood, wantOOD)
		}
	}
	for _, c := range []struct {
		query string
		warn  bool
	}{{driftMMLU, false}, {driftEveryday, true}} {
		code, out, errOut = runRouterCmd(t, nil, "route", "--model-path", dir, "--query", c.query)
		if code != 0 {
			t.Fatalf("route exit %d: %s", code, errOut)
		}
		if !strings.Contains(out, "drift:") {
			t.Errorf("route %q prints no drift line:\n%s", c.query, out)
		}
		if got := strings.Contains(out, "warning:       out of distribution"); got != c.warn {
			t.Errorf("route %q: warning printed %v, want %v:\n%s", c.query, got, c.warn, out)
		}
	}
	// The table form (several queries) keeps a row per query and names
	// the out-of-distribution ones on stderr.
	code, out, errOut = runRouterCmd(t, nil, "route", "--model-path", dir, "--test-file", file)
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(errOut, "warning: 1 of 2 queries are out of distribution (drift >= 0.50; queries 2)") {
		t.Errorf("route table exit %d: want two rows and the warning naming query 2:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

func jsonString(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// eval of a router trained on MMLU questions warns on a GSM8K test file
// (word problems, no answer choices: out of its distribution) and records
// the share in comparison.json; on MMLU questions it does not.
func TestEvalDriftWarning(t *testing.T) {
	dir := trainSmallModel(t)
	for _, c := range []struct {
		benchmark string
		warn      bool
	}{{"gsm8k", true}, {"mmlu", false}} {
		items, err := dataset.RecordedItems(c.benchmark)
		if err != nil {
			t.Fatal(err)
		}
		test := filepath.Join(t.TempDir(), c.benchmark+"_test.jsonl")
		if err := jsonl.WriteAtomic(test, items[len(items)-30:]); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "results")
		code, stdout, stderr := runRouterCmd(t, nil, "eval", "--model-path", dir, "--test-file", test, "--output-dir", out)
		if code != 0 {
			t.Fatalf("eval %s exit %d\n%s", c.benchmark, code, stderr)
		}
		d := readComparison(t, out).Drift
		if d == nil || !d.OutOfDistributionShare.Valid() || d.Threshold != router.DriftThreshold {
			t.Fatalf("eval %s: comparison.json drift section %+v", c.benchmark, d)
		}
		if d.Warning != c.warn || (float64(d.OutOfDistributionShare) > 0.5) != c.warn {
			t.Errorf("eval %s: out-of-distribution share %v, warning %v; want warning %v", c.benchmark, float64(d.OutOfDistributionShare), d.Warning, c.warn)
		}
		if !strings.Contains(stdout, "of test queries out of distribution") {
			t.Errorf("eval %s summary lacks the drift line:\n%s", c.benchmark, stdout)
		}
		if got := strings.Contains(stdout, "warning: ") && strings.Contains(stderr, "out of distribution"); got != c.warn {
			t.Errorf("eval %s: warned %v, want %v\nstdout:\n%s\nstderr:\n%s", c.benchmark, got, c.warn, stdout, stderr)
		}
	}
}

// The pipeline's stage table names the out-of-distribution share in the
// eval row when eval warned, and says nothing of drift otherwise.
func TestPipelineEvalFigureDrift(t *testing.T) {
	_, cmp := twoQuestionEval(t)
	for _, c := range []struct {
		drift *eval.DriftSection
		want  string
	}{
		{nil, ""},
		{&eval.DriftSection{Threshold: 0.5, OutOfDistributionShare: 0.2}, ""},
		{&eval.DriftSection{Threshold: 0.5, OutOfDistributionShare: 0.9, Warning: true}, "; warning: 90.0% of test queries out of distribution"},
	} {
		cmp.Drift = c.drift
		var b bytes.Buffer
		if err := report.WriteJSON(&b, cmp); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "comparison.json")
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		fig := evalFigure(path)
		if !strings.HasPrefix(fig, "classifier: APGR") || strings.Contains(fig, "out of distribution") != (c.want != "") || !strings.HasSuffix(fig, c.want) {
			t.Errorf("drift %+v: figure %q, want it to end with %q", c.drift, fig, c.want)
		}
	}
}
