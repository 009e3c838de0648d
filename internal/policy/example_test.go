package policy_test

import (
	"context"
	"fmt"

	"github.com/llmrouter/llmrouter/internal/policy"
)

// The original's get_hybrid_mapper(cost_budget=10.0, current_spend=2.5).
func ExampleNewHybrid() {
	m, err := policy.NewHybrid(policy.Config{CostAware: policy.CostAwareConfig{BudgetUSD: 10.0}})
	if err != nil {
		panic(err)
	}
	d := m.Map(context.Background(), policy.Input{
		Query:  "Write Python code for a binary search",
		Policy: policy.Standard,
		Spent:  2.5,
	})
	fmt.Println(d.Model)
	fmt.Println(d.Reason)
	// Output:
	// gemini-2.5-pro
	// keyword override: code
}
