package eval

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/llmrouter/llmrouter/internal/cascade"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/oracle"
)

func TestCountStandIns(t *testing.T) {
	rows := []oracle.Row{
		{Cheap: oracle.ModelResult{Answer: grade.RecordedOutcome(true)}},
		{Cheap: oracle.ModelResult{Answer: "2 + 2 = 4\n#### 4"}},
		{Cheap: oracle.ModelResult{Answer: ""}},
		{Cheap: oracle.ModelResult{Answer: "(recorded outcome) INCORRECT"}, Strong: oracle.ModelResult{Answer: "x"}},
	}
	if n := CountStandIns(rows); n != 2 {
		t.Errorf("CountStandIns = %d, want 2", n)
	}
}

// arithmeticRows are worked sums, every third one wrong.
func arithmeticRows(n int) ([]cascade.Example, []oracle.Row) {
	ex := make([]cascade.Example, n)
	rows := make([]oracle.Row, n)
	for i := range n {
		a, b := 3+i, 7+2*i
		got := a + b
		if i%3 == 0 {
			got++
		}
		q := fmt.Sprintf("Tom has %d apples and buys %d more. How many apples does he have?", a, b)
		ans := fmt.Sprintf("%d + %d = %d apples.\n#### %d", a, b, got, got)
		ex[i] = cascade.Example{Query: q, Answer: ans, CheapCorrect: i%3 != 0, StrongCorrect: true, QueryScore: math.NaN()}
		rows[i] = oracle.Row{ID: fmt.Sprint(i), Query: q, Cheap: oracle.ModelResult{Answer: ans}}
	}
	return ex, rows
}

func TestNewCascadeInput(t *testing.T) {
	ex, rows := arithmeticRows(60)
	v, err := cascade.Train(context.Background(), ex, cascade.TrainConfig{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	query := RouterRun{Name: "classifier", Scores: make([]float64, len(rows))}
	in := NewCascadeInput(v, rows, query, "replay")
	if in.Verifier != v.Meta.Metrics.Chosen || in.Threshold != v.Threshold() || in.ThresholdSource != v.Meta.ThresholdSource {
		t.Errorf("operating point %q %v %q", in.Verifier, in.Threshold, in.ThresholdSource)
	}
	if in.Query.Name != "classifier" || in.LatencySource != "replay" || !slices.Equal(in.SkipShares, DefaultSkipShares) {
		t.Errorf("input %+v", in)
	}
	if !math.IsNaN(in.ModelSkipThreshold) {
		t.Errorf("skip threshold %v for a verifier without pre-routing", in.ModelSkipThreshold)
	}
	for i, r := range rows {
		if in.Escalate[i] != v.Score(r.Query, r.Cheap.Answer) || in.Rule[i] != cascade.RuleScore(r.Query, r.Cheap.Answer) {
			t.Fatalf("row %d: escalate %v, rule %v", i, in.Escalate[i], in.Rule[i])
		}
	}
	// The rule cascade escalates only hedges, refusals and missing final
	// answers: none here, wrong sums included.
	if slices.ContainsFunc(in.Rule, func(x float64) bool { return x != 0 }) {
		t.Errorf("rule scores %v, want all 0", in.Rule)
	}
}
