package eval

import (
	"math"
	"testing"

	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/router"
)

func multiRow(id string, grades [3]string, costs [3]float64) oracle.Row {
	names := []string{"a", "b", "c"}
	r := oracle.Row{ID: id, Query: id}
	for k := range names {
		r.Results = append(r.Results, oracle.ModelResult{Model: names[k], Grade: grades[k], Cost: costs[k]})
	}
	return r
}

// Two questions: "a" (cheap) is right on the first, "c" (dear) on both;
// the router knows it, so it matches c's accuracy at half of c's cost.
func TestEvaluateMulti(t *testing.T) {
	C, I := grade.Correct, grade.Incorrect
	rows := []oracle.Row{
		multiRow("q1", [3]string{C, I, C}, [3]float64{1, 2, 10}),
		multiRow("q2", [3]string{I, I, C}, [3]float64{1, 2, 10}),
	}
	est := func(pa float64) []router.Estimate {
		return []router.Estimate{{Model: "a", PCorrect: pa, CostUSD: 1}, {Model: "b", PCorrect: 0.1, CostUSD: 2}, {Model: "c", PCorrect: 0.9, CostUSD: 10}}
	}
	s, err := EvaluateMulti(rows, MultiInput{Name: "multi", Models: []string{"a", "b", "c"},
		Estimates: [][]router.Estimate{est(0.95), est(0.05)}, CostScale: 10, T: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want Float
	}{
		{"router accuracy", s.Router.Accuracy, 1},
		{"router cost", s.Router.CostPerQuery, 5.5},
		{"router share of a", s.Router.Shares["a"], 0.5},
		{"single a", s.Singles[0].Accuracy, 0.5},
		{"single c cost", s.Singles[2].CostPerQuery, 10},
		{"oracle cost", s.Oracle.CostPerQuery, 5.5},
		{"random at the same cost", s.RandomSameCost.Accuracy, 0.5 + 0.5*(5.5-1)/9},
		{"cost to match c", s.Headline.CostToMatchBest, 5.5},
		{"share of c's cost", s.Headline.CostToMatchBestShare, 0.55},
		{"accuracy at a's cost", s.Headline.AccuracyAtCheapestCost, 0.5},
	}
	for _, tc := range tests {
		if math.Abs(float64(tc.got-tc.want)) > 1e-9 {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if s.Headline.BestSingle != "c" || !(s.Headline.AreaVsFrontier > 0) || len(s.Curve) != curveSteps+1 || len(s.Frontier) != 2 {
		t.Errorf("headline %+v, %d curve points, frontier %v", s.Headline, len(s.Curve), s.Frontier)
	}
	if _, err := EvaluateMulti(rows[:1], MultiInput{Models: []string{"a", "x"}, Estimates: [][]router.Estimate{est(1)}}); err == nil {
		t.Error("a model without answers was accepted")
	}
}
