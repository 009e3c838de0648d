package policy

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/llmrouter/llmrouter/internal/catalog"
)

func TestValidate(t *testing.T) {
	known := []string{flash, pro, "gpt-4o"}
	cases := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" = valid
	}{
		{"zero config", Config{}, ""},
		{"full valid", Config{Mode: ModeKeyword, CheapModel: "gpt-4o", CostAware: CostAwareConfig{BudgetUSD: 5, DowngradeAt: 1}}, ""},
		{"unknown mode", Config{Mode: "smart"}, `policy_mapping.mode: unknown mode "smart"`},
		{"unknown policy", Config{Static: map[string]string{"Hard_Query": pro}}, `policy_mapping.static: unknown policy "Hard_Query"`},
		{"unknown static model", Config{Static: map[string]string{Complex: "gpt-5"}}, `policy_mapping.static.Complex_Query: unknown model "gpt-5" (known: gemini-2.5-flash, gemini-2.5-pro, gpt-4o)`},
		{"unknown cheap model", Config{CheapModel: "tiny"}, `policy_mapping.cheap_model: unknown model "tiny"`},
		{"unknown strong model", Config{StrongModel: "huge"}, `policy_mapping.strong_model: unknown model "huge"`},
		{"unknown keyword model", Config{Keyword: KeywordConfig{Rules: []KeywordRule{{Keywords: []string{"x"}, Model: "nope"}}}}, `policy_mapping.keyword.rules[0].model: unknown model "nope"`},
		{"unknown long context model", Config{Length: LengthConfig{LongContextModel: "big"}}, `policy_mapping.length.long_context_model: unknown model "big"`},
		{"negative budget", Config{CostAware: CostAwareConfig{BudgetUSD: -1}}, "policy_mapping.cost_aware.budget_usd: must be a finite number >= 0, got -1"},
		{"NaN budget", Config{CostAware: CostAwareConfig{BudgetUSD: math.NaN()}}, "policy_mapping.cost_aware.budget_usd"},
		{"downgrade over 1", Config{CostAware: CostAwareConfig{DowngradeAt: 1.5}}, "policy_mapping.cost_aware.downgrade_at: must be in (0, 1]"},
		{"negative downgrade", Config{CostAware: CostAwareConfig{DowngradeAt: -0.1}}, "policy_mapping.cost_aware.downgrade_at"},
		{"negative threshold", Config{Length: LengthConfig{ThresholdTokens: -5}}, "policy_mapping.length.threshold_tokens: must be >= 0"},
		{"bad regex", Config{Keyword: KeywordConfig{Rules: []KeywordRule{{Regexes: []string{"ok", "(unclosed"}}}}}, `policy_mapping.keyword.rules[0].regexes[1]: invalid regex "(unclosed"`},
		{"empty rule", Config{Keyword: KeywordConfig{Rules: []KeywordRule{{Name: "empty"}}}}, `policy_mapping.keyword.rules[0]: rule "empty" has no keywords and no regexes`},
		{"blank keyword", Config{Keyword: KeywordConfig{Rules: []KeywordRule{{Keywords: []string{"a", " "}}}}}, "policy_mapping.keyword.rules[0].keywords[1]: empty keyword"},
		{"blank math keyword", Config{Math: MathConfig{Keywords: []string{""}}}, "policy_mapping.math.keywords[0]: empty keyword"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate(known)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("Validate: no error, want %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("Validate: %v, want it to contain %q", err, tc.want)
			}
			if _, cerr := NewHybrid(tc.cfg); tc.want != "" && !strings.Contains(tc.want, "unknown model") && cerr == nil {
				t.Fatalf("NewHybrid accepted a config Validate rejects")
			}
		})
	}
}

// The YAML section as the gateway's router.yaml embeds it.
func TestConfigYAML(t *testing.T) {
	data, err := os.ReadFile("testdata/policy_mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		PolicyMapping Config `yaml:"policy_mapping"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(doc.PolicyMapping, cat)
	if err != nil {
		t.Fatal(err)
	}
	runCases(t, m, []mapCase{
		{"yaml keyword rule", Input{Query: "Draft a contract", Policy: Standard}, "gpt-4o", RuleKeyword, "contract"},
		{"yaml static", Input{Query: "hi", Policy: Ambiguous}, "gpt-4o-mini", RuleStatic, ""},
		{"yaml budget", Input{Query: "hi", Policy: Complex, Spent: 4.6}, "gpt-4o-mini", RuleCostAware, "of $5.00"},
		{"yaml length threshold", Input{Query: "hi", PromptTokens: 600}, pro, RuleLength, "> 500"},
		{"math disabled", Input{Query: "solve x^2 = 4", Policy: Standard}, "gpt-4o-mini", RuleStatic, ""},
		{"long prompt fits strong window", Input{Query: "hi", PromptTokens: 200_000, Policy: Standard}, pro, RuleLength, ""},
		// Over budget the cheap model is forced, but gpt-4o-mini's
		// catalogue window is 128k: the largest window (gemini, 1M) wins.
		{"catalogue windows", Input{Query: "hi", PromptTokens: 200_000, Policy: Standard, Spent: 6}, flash, RuleContextWindow, "exceeds gpt-4o-mini's 128000-token window (budget exhausted"},
	})
	bad := doc.PolicyMapping
	bad.StrongModel = "no-such-model"
	if _, err := New(bad, cat); err == nil || !strings.Contains(err.Error(), `policy_mapping.strong_model: unknown model "no-such-model"`) {
		t.Fatalf("New with unknown model: %v", err)
	}
}

func TestDefaultConfigRoundTrip(t *testing.T) {
	def := DefaultConfig()
	out, err := yaml.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := yaml.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	a, b := must(NewHybrid(def)), must(NewHybrid(back))
	for _, q := range []string{"Write Python code", "solve 2+2", "Who wrote Hamlet?"} {
		in := Input{Query: q, Policy: Standard}
		if da, db := a.Map(context.Background(), in), b.Map(context.Background(), in); da != db {
			t.Errorf("%q: default %+v, round-tripped %+v", q, da, db)
		}
	}
}
