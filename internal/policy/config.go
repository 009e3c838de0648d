package policy

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
)

// Default model names: the original's static mapping.
const (
	DefaultCheapModel  = "gemini-2.5-flash"
	DefaultStrongModel = "gemini-2.5-pro"
)

// Mapper modes accepted in Config.Mode.
const (
	ModeHybrid    = "hybrid"
	ModeStatic    = "static"
	ModeCostAware = "cost_aware"
	ModeKeyword   = "keyword"
	ModeLength    = "length"
	ModeMath      = "math"
)

var modes = []string{ModeHybrid, ModeStatic, ModeCostAware, ModeKeyword, ModeLength, ModeMath}

// Config configures the mappers. The gateway's router.yaml embeds it under
// "policy_mapping:". Every zero value means "use the default", so an empty
// section gives the original's hybrid mapper; set Disabled to switch a rule
// off in hybrid mode.
type Config struct {
	// Mode selects the mapper New builds: hybrid (default), static,
	// cost_aware, keyword, length or math.
	Mode string `yaml:"mode,omitempty" json:"mode,omitempty"`
	// CheapModel receives downgrades; default gemini-2.5-flash.
	CheapModel string `yaml:"cheap_model,omitempty" json:"cheap_model,omitempty"`
	// StrongModel receives keyword, math and length overrides; default
	// gemini-2.5-pro.
	StrongModel string `yaml:"strong_model,omitempty" json:"strong_model,omitempty"`
	// Static maps each policy label to a model. Missing labels take the
	// original's defaults (Complex → strong, others → cheap).
	Static    map[string]string `yaml:"static,omitempty" json:"static,omitempty"`
	CostAware CostAwareConfig   `yaml:"cost_aware,omitempty" json:"cost_aware,omitempty"`
	Keyword   KeywordConfig     `yaml:"keyword,omitempty" json:"keyword,omitempty"`
	Length    LengthConfig      `yaml:"length,omitempty" json:"length,omitempty"`
	Math      MathConfig        `yaml:"math,omitempty" json:"math,omitempty"`

	// ContextWindows maps model → context window in tokens. New fills it
	// from the catalogue; the length rule uses it to avoid sending a prompt
	// to a model it does not fit.
	ContextWindows map[string]int `yaml:"-" json:"-"`
}

// CostAwareConfig is the budget rule.
type CostAwareConfig struct {
	Disabled bool `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	// BudgetUSD is the budget the rule compares spend against when the
	// request carries none (Input.Budget == 0). Zero: no configured budget.
	BudgetUSD float64 `yaml:"budget_usd,omitempty" json:"budget_usd,omitempty"`
	// DowngradeAt is the fraction of the budget above which requests that
	// would go to a non-cheap model are downgraded; default 0.8.
	DowngradeAt float64 `yaml:"downgrade_at,omitempty" json:"downgrade_at,omitempty"`
}

// KeywordConfig is the keyword/regex override rule.
type KeywordConfig struct {
	Disabled bool `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	// Rules are tried in order; within a rule, keywords in list order, then
	// regexes. nil means DefaultKeywordRules.
	Rules []KeywordRule `yaml:"rules,omitempty" json:"rules,omitempty"`
}

// KeywordRule sends queries matching any keyword or regex to Model.
type KeywordRule struct {
	// Name labels the rule in logs; defaults to "rules[i]".
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Keywords match case-insensitively as whole words ("sql" does not
	// match "mysqld"); they may contain spaces or symbols ("c++").
	Keywords []string `yaml:"keywords,omitempty" json:"keywords,omitempty"`
	// Regexes are Go RE2 expressions matched against the raw query.
	Regexes []string `yaml:"regexes,omitempty" json:"regexes,omitempty"`
	// Model defaults to the strong model.
	Model string `yaml:"model,omitempty" json:"model,omitempty"`
}

// LengthConfig is the long-prompt rule.
type LengthConfig struct {
	Disabled bool `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	// ThresholdTokens: prompts longer than this go to Model; default 2000.
	ThresholdTokens int `yaml:"threshold_tokens,omitempty" json:"threshold_tokens,omitempty"`
	// Model defaults to the strong model.
	Model string `yaml:"model,omitempty" json:"model,omitempty"`
	// LongContextModel receives prompts that do not fit the chosen model's
	// context window (needs ContextWindows). Empty: the known model with
	// the largest window.
	LongContextModel string `yaml:"long_context_model,omitempty" json:"long_context_model,omitempty"`
}

// MathConfig is the math-detection rule.
type MathConfig struct {
	Disabled bool `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	// Model defaults to the strong model.
	Model string `yaml:"model,omitempty" json:"model,omitempty"`
	// Keywords replace DefaultMathKeywords when set.
	Keywords []string `yaml:"keywords,omitempty" json:"keywords,omitempty"`
}

// DefaultKeywordRules are the original's keyword overrides (code first, so
// "Write Python code" reports "code").
func DefaultKeywordRules() []KeywordRule {
	return []KeywordRule{{
		Name:     "code",
		Keywords: []string{"code", "python", "function", "sql", "javascript", "typescript", "golang", "rust", "java", "c++", "regex", "algorithm", "debug", "compile", "stack trace"},
		// Each starts with a literal, which lets RE2 skip ahead with a
		// substring search: a leading \b would cost milliseconds on long
		// prompts.
		Regexes: []string{"```", `def\s+\w+\s*\(.*\)\s*:`, `#include\s*<`, `SELECT\s.+\sFROM\s`},
	}, {
		Name:     "reasoning",
		Keywords: []string{"step by step", "analyze", "analyse", "compare and contrast", "trade-offs", "tradeoffs"},
	}}
}

// DefaultMathKeywords trigger the math rule as whole words.
var DefaultMathKeywords = []string{"solve", "integral", "integrate", "derivative", "differentiate", "equation", "prove", "proof", "theorem", "lemma", "eigenvalue", "polynomial", "logarithm", "factorial", "matrix"}

// DefaultConfig returns the defaults spelled out (what an empty Config means).
func DefaultConfig() Config {
	c := Config{}
	c.applyDefaults()
	return c
}

func (c *Config) applyDefaults() {
	if c.Mode == "" {
		c.Mode = ModeHybrid
	}
	if c.CheapModel == "" {
		c.CheapModel = DefaultCheapModel
	}
	if c.StrongModel == "" {
		c.StrongModel = DefaultStrongModel
	}
	st := map[string]string{Standard: c.CheapModel, Complex: c.StrongModel, Ambiguous: c.CheapModel}
	for k, v := range c.Static {
		st[k] = v
	}
	c.Static = st
	if c.CostAware.DowngradeAt == 0 {
		c.CostAware.DowngradeAt = 0.8
	}
	if c.Keyword.Rules == nil {
		c.Keyword.Rules = DefaultKeywordRules()
	}
	rules := make([]KeywordRule, len(c.Keyword.Rules))
	for i, r := range c.Keyword.Rules {
		if r.Name == "" {
			r.Name = fmt.Sprintf("rules[%d]", i)
		}
		if r.Model == "" {
			r.Model = c.StrongModel
		}
		rules[i] = r
	}
	c.Keyword.Rules = rules
	if c.Length.ThresholdTokens == 0 {
		c.Length.ThresholdTokens = 2000
	}
	if c.Length.Model == "" {
		c.Length.Model = c.StrongModel
	}
	if c.Math.Model == "" {
		c.Math.Model = c.StrongModel
	}
	if c.Math.Keywords == nil {
		c.Math.Keywords = DefaultMathKeywords
	}
}

// Validate checks c (after defaults) and returns one error naming the
// setting, e.g. `policy_mapping.static: unknown policy "Foo"`. known lists
// the callable models; nil skips the model-name checks.
func (c Config) Validate(known []string) error {
	c.applyDefaults()
	_, err := compile(c, known)
	return err
}

const prefix = "policy_mapping."

func checkModel(setting, name string, known []string) error {
	if name == "" {
		return fmt.Errorf("%s%s: model name is empty", prefix, setting)
	}
	if known == nil {
		return nil
	}
	for _, k := range known {
		if k == name {
			return nil
		}
	}
	return fmt.Errorf("%s%s: unknown model %q (known: %s)", prefix, setting, name, strings.Join(known, ", "))
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func validateScalars(c Config) error {
	if !contains(modes, c.Mode) {
		return fmt.Errorf("%smode: unknown mode %q (one of %s)", prefix, c.Mode, strings.Join(modes, ", "))
	}
	if b := c.CostAware.BudgetUSD; b < 0 || !finite(b) {
		return fmt.Errorf("%scost_aware.budget_usd: must be a finite number >= 0, got %v", prefix, b)
	}
	if f := c.CostAware.DowngradeAt; f <= 0 || f > 1 || !finite(f) {
		return fmt.Errorf("%scost_aware.downgrade_at: must be in (0, 1], got %v", prefix, f)
	}
	if c.Length.ThresholdTokens < 0 {
		return fmt.Errorf("%slength.threshold_tokens: must be >= 0, got %d", prefix, c.Length.ThresholdTokens)
	}
	for k, w := range c.ContextWindows {
		if w < 0 {
			return fmt.Errorf("context window of model %q: must be >= 0, got %d", k, w)
		}
	}
	return nil
}

func validateModels(c Config, known []string) error {
	checks := [][2]string{
		{"cheap_model", c.CheapModel}, {"strong_model", c.StrongModel},
		{"length.model", c.Length.Model}, {"math.model", c.Math.Model},
	}
	if c.Length.LongContextModel != "" {
		checks = append(checks, [2]string{"length.long_context_model", c.Length.LongContextModel})
	}
	for _, p := range sortedKeys(c.Static) {
		if !Valid(p) {
			return fmt.Errorf("%sstatic: unknown policy %q (known: %s)", prefix, p, strings.Join(Labels, ", "))
		}
		checks = append(checks, [2]string{"static." + p, c.Static[p]})
	}
	for i, r := range c.Keyword.Rules {
		checks = append(checks, [2]string{fmt.Sprintf("keyword.rules[%d].model", i), r.Model})
	}
	for _, ch := range checks {
		if err := checkModel(ch[0], ch[1], known); err != nil {
			return err
		}
	}
	return nil
}

// compileKeywordRules compiles the keyword rules, rejecting empty rules,
// blank keywords and bad regexes with the setting's path.
func compileKeywordRules(rules []KeywordRule) ([]keywordRule, error) {
	out := make([]keywordRule, 0, len(rules))
	for i, r := range rules {
		at := fmt.Sprintf("%skeyword.rules[%d]", prefix, i)
		if len(r.Keywords) == 0 && len(r.Regexes) == 0 {
			return nil, fmt.Errorf("%s: rule %q has no keywords and no regexes", at, r.Name)
		}
		kr := keywordRule{name: r.Name, model: r.Model}
		for j, k := range r.Keywords {
			k = strings.ToLower(strings.TrimSpace(k))
			if k == "" {
				return nil, fmt.Errorf("%s.keywords[%d]: empty keyword", at, j)
			}
			kr.keywords = append(kr.keywords, k)
		}
		for j, s := range r.Regexes {
			re, err := regexp.Compile(s)
			if err != nil {
				return nil, fmt.Errorf("%s.regexes[%d]: invalid regex %q: %w", at, j, s, err)
			}
			kr.regexes = append(kr.regexes, re)
		}
		out = append(out, kr)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
