package policy

import (
	"context"
	"testing"
)

// An N-model router's choice goes through the static step; the override
// rules still come first.
func TestHybridLearnedChoice(t *testing.T) {
	m, err := NewHybrid(Config{CostAware: CostAwareConfig{BudgetUSD: 10}})
	if err != nil {
		t.Fatal(err)
	}
	learned := Input{Policy: Complex, Model: "gpt-4o-mini", ModelReason: "learned: best utility", HasThreshold: true, Threshold: 0.9, Score: 0.1}
	tests := []struct {
		name       string
		mod        func(*Input)
		model      string
		rule       string
		wantReason string
	}{
		{"learned model", func(*Input) {}, "gpt-4o-mini", RuleLearned, "learned: best utility"},
		{"keyword first", func(in *Input) { in.Query = "write python code" }, DefaultStrongModel, RuleKeyword, ""},
		{"budget cap first", func(in *Input) { in.Spent = 10 }, DefaultCheapModel, RuleBudgetCap, ""},
		{"soft downgrade after", func(in *Input) { in.Spent = 9 }, DefaultCheapModel, RuleCostAware, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := learned
			in.Query = "what is the capital of France"
			tc.mod(&in)
			d := m.Map(context.Background(), in)
			if d.Model != tc.model || d.Rule != tc.rule || (tc.wantReason != "" && d.Reason != tc.wantReason) {
				t.Fatalf("decision %+v, want %s by %s", d, tc.model, tc.rule)
			}
		})
	}
}
