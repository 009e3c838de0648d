package policy

import (
	"context"
	"strings"
	"testing"
)

const (
	flash = DefaultCheapModel
	pro   = DefaultStrongModel
)

type mapCase struct {
	name   string
	in     Input
	model  string
	rule   string
	reason string // substring
}

func runCases(t *testing.T, m Mapper, cases []mapCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := m.Map(context.Background(), tc.in)
			if d.Model != tc.model || d.Rule != tc.rule || !strings.Contains(d.Reason, tc.reason) {
				t.Fatalf("Map(%+v) = %+v, want model %s rule %s reason containing %q", tc.in, d, tc.model, tc.rule, tc.reason)
			}
		})
	}
}

// must unwraps a constructor result; a panic fails the test loudly.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestStatic(t *testing.T) {
	m := must(NewStatic(Config{}))
	runCases(t, m, []mapCase{
		{"standard", Input{Policy: Standard}, flash, RuleStatic, "Standard_Query → gemini-2.5-flash"},
		{"complex", Input{Policy: Complex}, pro, RuleStatic, "Complex_Query"},
		{"ambiguous", Input{Policy: Ambiguous}, flash, RuleStatic, "Ambiguous_Query"},
		{"unknown policy maps like standard", Input{Policy: "Weird"}, flash, RuleStatic, "Standard_Query"},
		{"empty policy", Input{}, flash, RuleStatic, "Standard_Query"},
		{"score above threshold", Input{Policy: Standard, Score: 0.7, HasThreshold: true, Threshold: 0.5}, pro, RuleThreshold, "0.700 >= threshold 0.500"},
		{"score equal threshold", Input{Policy: Standard, Score: 0.5, HasThreshold: true, Threshold: 0.5}, pro, RuleThreshold, ">="},
		{"score below threshold", Input{Policy: Complex, Score: 0.2, HasThreshold: true, Threshold: 0.5}, flash, RuleThreshold, "<"},
		{"keywords ignored", Input{Policy: Standard, Query: "write python code"}, flash, RuleStatic, ""},
	})
	custom := must(NewStatic(Config{Static: map[string]string{Ambiguous: pro}}))
	runCases(t, custom, []mapCase{
		{"override one label", Input{Policy: Ambiguous}, pro, RuleStatic, "Ambiguous_Query → gemini-2.5-pro"},
		{"others keep defaults", Input{Policy: Complex}, pro, RuleStatic, ""},
	})
}

func TestCostAware(t *testing.T) {
	m := must(NewCostAware(Config{CostAware: CostAwareConfig{BudgetUSD: 10}}))
	runCases(t, m, []mapCase{
		{"complex well under budget", Input{Policy: Complex, Spent: 2.5}, pro, RuleStatic, ""},
		{"complex just under 80%", Input{Policy: Complex, Spent: 7.99}, pro, RuleStatic, ""},
		{"complex at 80% downgrades", Input{Policy: Complex, Spent: 8}, flash, RuleCostAware, "spent 80% of $10.00"},
		{"standard near budget is already cheap", Input{Policy: Standard, Spent: 9}, flash, RuleStatic, ""},
		{"at budget: hard cap", Input{Policy: Complex, Spent: 10}, flash, RuleBudgetCap, "budget exhausted: spent $10.00 of $10.00"},
		{"over budget: hard cap", Input{Policy: Standard, Spent: 12}, flash, RuleBudgetCap, ""},
		{"request budget overrides config", Input{Policy: Complex, Spent: 2.5, Budget: 3}, flash, RuleCostAware, "of $3.00"},
	})
	noBudget := must(NewCostAware(Config{}))
	runCases(t, noBudget, []mapCase{
		{"no budget never downgrades", Input{Policy: Complex, Spent: 1e6}, pro, RuleStatic, ""},
	})
	half := must(NewCostAware(Config{CostAware: CostAwareConfig{BudgetUSD: 10, DowngradeAt: 0.5}}))
	runCases(t, half, []mapCase{
		{"configured fraction", Input{Policy: Complex, Spent: 5}, flash, RuleCostAware, "limit 50%"},
		{"below configured fraction", Input{Policy: Complex, Spent: 4.9}, pro, RuleStatic, ""},
	})
}

func TestKeyword(t *testing.T) {
	m := must(NewKeyword(Config{}))
	runCases(t, m, []mapCase{
		{"original example", Input{Query: "Write Python code for...", Policy: Standard}, pro, RuleKeyword, "keyword override: code"},
		{"python alone", Input{Query: "Is python slow?", Policy: Standard}, pro, RuleKeyword, "keyword override: python"},
		{"case insensitive", Input{Query: "FUNCTION please", Policy: Standard}, pro, RuleKeyword, "keyword override: function"},
		{"sql", Input{Query: "Explain this SQL join", Policy: Standard}, pro, RuleKeyword, "keyword override: sql"},
		{"word boundary: mysqld", Input{Query: "restart mysqld now", Policy: Standard}, flash, RuleStatic, ""},
		{"word boundary: functional", Input{Query: "Is the kidney functional?", Policy: Standard}, flash, RuleStatic, ""},
		{"word boundary: encode", Input{Query: "encoded barcodes", Policy: Standard}, flash, RuleStatic, ""},
		{"punctuation is a boundary", Input{Query: "(code)", Policy: Standard}, pro, RuleKeyword, "code"},
		{"symbol keyword", Input{Query: "is c++ hard?", Policy: Standard}, pro, RuleKeyword, "c++"},
		{"multi-word keyword", Input{Query: "think step by step", Policy: Standard}, pro, RuleKeyword, "step by step"},
		{"regex: fenced code", Input{Query: "fix ```x := 1```", Policy: Standard}, pro, RuleKeyword, "regex"},
		{"regex: SELECT FROM", Input{Query: "SELECT a FROM t", Policy: Standard}, pro, RuleKeyword, "regex"},
		{"no keyword", Input{Query: "Who wrote Hamlet?", Policy: Standard}, flash, RuleStatic, ""},
		{"no keyword keeps complex", Input{Query: "Who wrote Hamlet?", Policy: Complex}, pro, RuleStatic, ""},
	})
	custom := must(NewKeyword(Config{Keyword: KeywordConfig{Rules: []KeywordRule{
		{Name: "legal", Keywords: []string{"contract"}, Model: "gpt-4o"},
		{Name: "ticket", Regexes: []string{`\bJIRA-\d+\b`}},
	}}}))
	runCases(t, custom, []mapCase{
		{"custom model", Input{Query: "review this contract", Policy: Complex}, "gpt-4o", RuleKeyword, "contract"},
		{"custom regex to strong", Input{Query: "see JIRA-123", Policy: Standard}, pro, RuleKeyword, "ticket"},
		{"defaults replaced", Input{Query: "python", Policy: Standard}, flash, RuleStatic, ""},
	})
	off := must(NewHybrid(Config{Keyword: KeywordConfig{Disabled: true}}))
	runCases(t, off, []mapCase{
		{"disabled in hybrid", Input{Query: "Write Python code", Policy: Standard}, flash, RuleStatic, ""},
	})
}

func TestLength(t *testing.T) {
	m := must(NewLength(Config{Length: LengthConfig{ThresholdTokens: 100}}))
	runCases(t, m, []mapCase{
		{"short", Input{PromptTokens: 100, Policy: Standard}, flash, RuleStatic, ""},
		{"long", Input{PromptTokens: 101, Policy: Standard}, pro, RuleLength, "long prompt: 101 tokens > 100"},
		{"estimated from text", Input{Query: strings.Repeat("word ", 100), Policy: Standard}, pro, RuleLength, "125 tokens"},
		{"short text", Input{Query: "hi", Policy: Standard}, flash, RuleStatic, ""},
	})
	windows := map[string]int{flash: 1000, pro: 2000, "gpt-4o": 128000}
	fit := must(NewLength(Config{Length: LengthConfig{ThresholdTokens: 100}, ContextWindows: windows}))
	runCases(t, fit, []mapCase{
		{"fits strong", Input{PromptTokens: 1500, Policy: Standard}, pro, RuleLength, ""},
		{"too long for strong: largest window", Input{PromptTokens: 5000, Policy: Standard}, "gpt-4o", RuleContextWindow, "exceeds gemini-2.5-pro's 2000-token window"},
	})
	named := must(NewLength(Config{Length: LengthConfig{Disabled: false, ThresholdTokens: 100000, LongContextModel: pro}, ContextWindows: windows}))
	runCases(t, named, []mapCase{
		{"cheap overflow goes to named model", Input{PromptTokens: 1500, Policy: Standard}, pro, RuleContextWindow, "→ gemini-2.5-pro"},
	})
}

func TestMath(t *testing.T) {
	m := must(NewMath(Config{}))
	runCases(t, m, []mapCase{
		{"solve", Input{Query: "Solve for x: 3x + 5 = 20", Policy: Standard}, pro, RuleMath, "math detected: solve"},
		{"integral word", Input{Query: "What is the integral of sin?", Policy: Standard}, pro, RuleMath, "integral"},
		{"derivative", Input{Query: "find the derivative of x squared", Policy: Standard}, pro, RuleMath, "derivative"},
		{"prove", Input{Query: "Prove that there are infinitely many primes", Policy: Standard}, pro, RuleMath, "prove"},
		{"latex frac", Input{Query: `What is \frac{1}{2} of 10?`, Policy: Standard}, pro, RuleMath, `latex \frac`},
		{"latex display", Input{Query: `Compute $$a^2$$`, Policy: Standard}, pro, RuleMath, "latex"},
		{"symbol", Input{Query: "What is ∫ x dx", Policy: Standard}, pro, RuleMath, "symbol ∫"},
		{"arithmetic", Input{Query: "What is 12 * 7?", Policy: Standard}, pro, RuleMath, "expression 12 * 7"},
		{"power", Input{Query: "what is 2^10", Policy: Standard}, pro, RuleMath, "expression"},
		{"variable power", Input{Query: "expand x^2", Policy: Standard}, pro, RuleMath, "expression"},
		{"assignment", Input{Query: "if y = 3 what is y", Policy: Standard}, pro, RuleMath, "expression"},
		{"spaced minus", Input{Query: "what is 10 - 3", Policy: Standard}, pro, RuleMath, "expression"},
		{"year range is not math", Input{Query: "Who ruled from 1990-1995?", Policy: Standard}, flash, RuleStatic, ""},
		{"date is not math", Input{Query: "What happened on 9/11?", Policy: Standard}, flash, RuleStatic, ""},
		{"proved is not prove", Input{Query: "He proved nothing", Policy: Standard}, flash, RuleStatic, ""},
		{"trivia", Input{Query: "What is the capital of France?", Policy: Standard}, flash, RuleStatic, ""},
	})
}

func TestHybrid(t *testing.T) {
	windows := map[string]int{flash: 1_000_000, pro: 1_000_000, "small": 10}
	m := must(NewHybrid(Config{CostAware: CostAwareConfig{BudgetUSD: 10}, ContextWindows: windows, Static: map[string]string{Ambiguous: "small"}}))
	runCases(t, m, []mapCase{
		{"original example", Input{Query: "Write Python code for...", Policy: Standard, Spent: 2.5}, pro, RuleKeyword, "keyword override: code"},
		{"budget cap beats keyword", Input{Query: "Write Python code", Policy: Standard, Spent: 10}, flash, RuleBudgetCap, "budget exhausted"},
		{"keyword survives soft downgrade", Input{Query: "Write Python code", Policy: Standard, Spent: 9}, pro, RuleKeyword, "code"},
		{"math beats policy", Input{Query: "Solve 3x + 5 = 20", Policy: Standard, Spent: 1}, pro, RuleMath, "solve"},
		{"keyword before math", Input{Query: "python: solve 2 + 2", Policy: Standard}, pro, RuleKeyword, "python"},
		{"length", Input{Query: "hello", PromptTokens: 5000, Policy: Standard}, pro, RuleLength, "5000 tokens"},
		{"soft downgrade of complex", Input{Query: "Who wrote Hamlet?", Policy: Complex, Spent: 8.5}, flash, RuleCostAware, "85%"},
		{"static complex", Input{Query: "Who wrote Hamlet?", Policy: Complex, Spent: 1}, pro, RuleStatic, ""},
		{"static standard", Input{Query: "Who wrote Hamlet?", Policy: Standard}, flash, RuleStatic, ""},
		{"context fit after static", Input{Query: "Who wrote Hamlet?", Policy: Ambiguous, PromptTokens: 50}, flash, RuleContextWindow, "exceeds small's 10-token window"},
		{"threshold replaces policy", Input{Query: "Who wrote Hamlet?", Policy: Complex, Score: 0.1, HasThreshold: true, Threshold: 0.3}, flash, RuleThreshold, ""},
	})
}

func TestNewModes(t *testing.T) {
	cases := map[string]any{
		ModeStatic: &Static{}, ModeCostAware: &CostAware{}, ModeKeyword: &Keyword{},
		ModeLength: &Length{}, ModeMath: &Math{}, ModeHybrid: &Hybrid{}, "": &Hybrid{},
	}
	for mode, want := range cases {
		t.Run("mode="+mode, func(t *testing.T) {
			m, err := New(Config{Mode: mode}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, w := typeName(m), typeName(want); got != w {
				t.Fatalf("New(mode %q) = %s, want %s", mode, got, w)
			}
		})
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *Static:
		return "Static"
	case *CostAware:
		return "CostAware"
	case *Keyword:
		return "Keyword"
	case *Length:
		return "Length"
	case *Math:
		return "Math"
	case *Hybrid:
		return "Hybrid"
	}
	return "?"
}

func TestContainsWord(t *testing.T) {
	cases := []struct {
		s, w string
		want bool
	}{
		{"code", "code", true},
		{"barcode code", "code", true},
		{"barcode", "code", false},
		{"codes", "code", false},
		{"code_x", "code", false},
		{"x-code-y", "code", true},
		{"código", "c", false},
		{"", "code", false},
	}
	for _, c := range cases {
		if got := containsWord(c.s, c.w); got != c.want {
			t.Errorf("containsWord(%q, %q) = %v, want %v", c.s, c.w, got, c.want)
		}
	}
}
