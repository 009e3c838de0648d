package policy

import (
	"context"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzHybrid checks that no query or numbers panic the mapper and that it
// only ever answers with a configured model and a reason.
func FuzzHybrid(f *testing.F) {
	f.Add("Write Python code for...", "Standard_Query", 2.5, 10.0, 0)
	f.Add(`\frac{1}{2} + 3x = 7`, "Complex_Query", 9.0, 10.0, 5000)
	f.Add("c++ código ∫", "", -1.0, 0.0, -3)
	m := must(NewHybrid(Config{CostAware: CostAwareConfig{BudgetUSD: 10}, ContextWindows: map[string]int{flash: 100, pro: 50}}))
	allowed := map[string]bool{flash: true, pro: true}
	f.Fuzz(func(t *testing.T, q, policy string, spent, budget float64, tokens int) {
		d := m.Map(context.Background(), Input{Query: q, Policy: policy, Spent: spent, Budget: budget, PromptTokens: tokens})
		if !allowed[d.Model] || d.Rule == "" || d.Reason == "" {
			t.Fatalf("Map(%q) = %+v", q, d)
		}
	})
}

func BenchmarkHybridShort(b *testing.B) {
	benchHybrid(b, "What is the capital of Australia and when was it founded?")
}

func BenchmarkHybridLongPrompt(b *testing.B) {
	q := make([]byte, 0, 64<<10)
	for len(q) < 64<<10 {
		q = append(q, "The committee reviewed the annual report and discussed the budget. "...)
	}
	benchHybrid(b, string(q))
}

func benchHybrid(b *testing.B, q string) {
	m := must(NewHybrid(Config{CostAware: CostAwareConfig{BudgetUSD: 10}}))
	in := Input{Query: q, Policy: Standard, Spent: 1}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		m.Map(ctx, in)
	}
}

// FuzzConfigYAML feeds arbitrary policy_mapping YAML through decoding,
// validation and construction: errors are fine, panics are not, and a
// config New accepts must map every policy to a non-empty model.
func FuzzConfigYAML(f *testing.F) {
	for _, s := range []string{
		"mode: hybrid\ncost_aware: {budget_usd: 10}\n",
		"static: {Complex_Query: gemini-2.5-flash}\nkeyword: {rules: [{keywords: [sql], regexes: ['(?i)select']}]}\n",
		"keyword: {rules: [{regexes: ['(']}]}\n",
		"cost_aware: {budget_usd: -1, downgrade_at: 2}\nlength: {threshold_tokens: -4}\n",
		"math: {keywords: ['', x]}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var cfg Config
		if yaml.Unmarshal([]byte(doc), &cfg) != nil {
			return
		}
		m, err := New(cfg, nil)
		if err != nil {
			return
		}
		for _, p := range Labels {
			if d := m.Map(context.Background(), Input{Query: doc, Policy: p, Spent: 1, Budget: 2}); d.Model == "" || d.Reason == "" {
				t.Fatalf("policy %s: %+v", p, d)
			}
		}
	})
}
