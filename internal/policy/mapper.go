package policy

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/llmrouter/llmrouter/internal/catalog"
)

// Input is what a mapper knows about one request.
type Input struct {
	// Query is the text the rules inspect (usually the last user message).
	Query string
	// Policy is the router's label (Standard_Query, Complex_Query,
	// Ambiguous_Query). Empty or unknown labels map like Standard_Query.
	Policy string
	// Score is the router's strong-model score, used only when HasThreshold.
	Score float64
	// HasThreshold makes the static step compare Score with Threshold
	// (score >= threshold → strong model) instead of using the policy table.
	// The gateway sets it for "router-<threshold>" and calibrated models.
	HasThreshold bool
	Threshold    float64
	// Model is an N-model router's choice; when set, the static step maps
	// to it (rule "learned") instead of the policy table or the threshold,
	// and ModelReason says why. The override rules still apply first.
	Model, ModelReason string
	// PromptTokens is the prompt size; 0 means "estimate from Query".
	PromptTokens int
	// Spent and Budget are USD. Budget 0 means "use the configured
	// cost_aware.budget_usd"; if that is 0 too, there is no budget.
	Spent, Budget float64
}

// Decision is the chosen model and why.
type Decision struct {
	Model string `json:"model"`
	// Rule is the rule that decided: static, threshold, learned,
	// budget_cap, cost_aware, keyword, math, length or context_window.
	Rule string `json:"rule"`
	// Reason is one human line, e.g. "keyword override: code".
	Reason string `json:"reason"`
}

// Rule names reported in Decision.Rule.
const (
	RuleStatic        = "static"
	RuleThreshold     = "threshold"
	RuleBudgetCap     = "budget_cap"
	RuleCostAware     = "cost_aware"
	RuleKeyword       = "keyword"
	RuleMath          = "math"
	RuleLength        = "length"
	RuleContextWindow = "context_window"
	RuleLearned       = "learned"
)

// Mapper turns a routed request into a model. Implementations are immutable
// after construction and safe for concurrent use.
type Mapper interface {
	Map(ctx context.Context, in Input) Decision
}

// New builds the mapper cfg.Mode names, validated against cat (nil skips
// model checks). Context windows come from cat unless cfg sets them.
func New(cfg Config, cat *catalog.Catalogue) (Mapper, error) {
	var known []string
	if cat != nil {
		known = cat.Names()
		if cfg.ContextWindows == nil {
			cfg.ContextWindows = map[string]int{}
			for name, m := range cat.Models {
				cfg.ContextWindows[name] = m.ContextWindow
			}
		}
	}
	cfg.applyDefaults()
	r, err := compile(cfg, known)
	if err != nil {
		return nil, err
	}
	switch cfg.Mode {
	case ModeStatic:
		return &Static{r}, nil
	case ModeCostAware:
		return &CostAware{r}, nil
	case ModeKeyword:
		return &Keyword{r}, nil
	case ModeLength:
		return &Length{r}, nil
	case ModeMath:
		return &Math{r}, nil
	}
	return &Hybrid{r}, nil
}

// rules is a validated, compiled Config shared by all mappers.
type rules struct {
	cfg      Config
	keywords []keywordRule
	// kwSet holds every rule's keywords, rule by rule in list order, so the
	// lowest index found is the winning keyword; kwRule maps it to its rule.
	kwSet  wordSet
	kwRule []int
	math   mathDetector
}

type keywordRule struct {
	name     string
	model    string
	keywords []string // lower-case
	regexes  []*regexp.Regexp
}

func compile(cfg Config, known []string) (*rules, error) {
	if err := validateScalars(cfg); err != nil {
		return nil, err
	}
	if err := validateModels(cfg, known); err != nil {
		return nil, err
	}
	kws, err := compileKeywordRules(cfg.Keyword.Rules)
	if err != nil {
		return nil, err
	}
	md, err := newMathDetector(cfg.Math.Keywords)
	if err != nil {
		return nil, err
	}
	r := &rules{cfg: cfg, keywords: kws, math: md}
	var all []string
	for i, kr := range kws {
		for _, k := range kr.keywords {
			all = append(all, k)
			r.kwRule = append(r.kwRule, i)
		}
	}
	r.kwSet = newWordSet(all)
	return r, nil
}

func build(cfg Config) (*rules, error) {
	cfg.applyDefaults()
	return compile(cfg, nil)
}

// ---- the individual rules; each returns ok=false when it does not apply.

// static maps the policy (or score vs threshold, or an N-model router's
// own choice) to a model. Always applies.
func (r *rules) static(in Input) Decision {
	if in.Model != "" {
		return Decision{in.Model, RuleLearned, in.ModelReason}
	}
	if in.HasThreshold {
		if in.Score >= in.Threshold {
			return Decision{r.cfg.StrongModel, RuleThreshold, fmt.Sprintf("score %.3f >= threshold %.3f", in.Score, in.Threshold)}
		}
		return Decision{r.cfg.CheapModel, RuleThreshold, fmt.Sprintf("score %.3f < threshold %.3f", in.Score, in.Threshold)}
	}
	p := in.Policy
	m, ok := r.cfg.Static[p]
	if !ok {
		p, m = Standard, r.cfg.Static[Standard]
	}
	return Decision{m, RuleStatic, fmt.Sprintf("static: %s → %s", p, m)}
}

// budget returns the effective budget (0 = none).
func (r *rules) budget(in Input) float64 {
	if in.Budget > 0 {
		return in.Budget
	}
	return r.cfg.CostAware.BudgetUSD
}

// budgetCap applies when spend has reached the budget: cheap model, whatever
// else matches.
func (r *rules) budgetCap(in Input) (Decision, bool) {
	b := r.budget(in)
	if r.cfg.CostAware.Disabled || b <= 0 || in.Spent < b {
		return Decision{}, false
	}
	return Decision{r.cfg.CheapModel, RuleBudgetCap, fmt.Sprintf("budget exhausted: spent $%.2f of $%.2f", in.Spent, b)}, true
}

// costAware downgrades d to the cheap model once spend passes DowngradeAt of
// the budget.
func (r *rules) costAware(in Input, d Decision) (Decision, bool) {
	b := r.budget(in)
	if r.cfg.CostAware.Disabled || b <= 0 || d.Model == r.cfg.CheapModel {
		return Decision{}, false
	}
	frac := in.Spent / b
	if frac < r.cfg.CostAware.DowngradeAt {
		return Decision{}, false
	}
	return Decision{r.cfg.CheapModel, RuleCostAware, fmt.Sprintf("cost-aware downgrade: spent %.0f%% of $%.2f budget (limit %.0f%%), %s → %s",
		100*frac, b, 100*r.cfg.CostAware.DowngradeAt, d.Model, r.cfg.CheapModel)}, true
}

func (r *rules) keyword(t *text) (Decision, bool) {
	if r.cfg.Keyword.Disabled {
		return Decision{}, false
	}
	q := t.q
	hit := r.kwSet.first(t.lower)
	upto := len(r.keywords) // rules whose regexes may still win
	if hit >= 0 {
		upto = r.kwRule[hit]
	}
	for _, kr := range r.keywords[:upto] {
		for _, re := range kr.regexes {
			if re.MatchString(q) {
				return Decision{kr.model, RuleKeyword, fmt.Sprintf("keyword override: %s (regex %s)", kr.name, re)}, true
			}
		}
	}
	if hit < 0 {
		return Decision{}, false
	}
	return Decision{r.keywords[upto].model, RuleKeyword, "keyword override: " + r.kwSet.words[hit]}, true
}

func (r *rules) mathRule(t *text) (Decision, bool) {
	if r.cfg.Math.Disabled {
		return Decision{}, false
	}
	what, ok := r.math.detect(t)
	if !ok {
		return Decision{}, false
	}
	return Decision{r.cfg.Math.Model, RuleMath, "math detected: " + what}, true
}

func (r *rules) length(in Input) (Decision, bool) {
	n := promptTokens(in)
	if r.cfg.Length.Disabled || n <= r.cfg.Length.ThresholdTokens {
		return Decision{}, false
	}
	return Decision{r.cfg.Length.Model, RuleLength, fmt.Sprintf("long prompt: %d tokens > %d", n, r.cfg.Length.ThresholdTokens)}, true
}

// fit moves d to a model whose context window holds the prompt, when the
// chosen one's does not. Unknown windows are assumed to fit.
func (r *rules) fit(in Input, d Decision) Decision {
	if len(r.cfg.ContextWindows) == 0 {
		return d
	}
	n := promptTokens(in)
	w := r.cfg.ContextWindows[d.Model]
	if w <= 0 || n <= w {
		return d
	}
	target := r.cfg.Length.LongContextModel
	if target == "" {
		best := 0
		for _, name := range sortedKeys(r.cfg.ContextWindows) {
			if cw := r.cfg.ContextWindows[name]; cw > best {
				best, target = cw, name
			}
		}
	}
	if target == "" || target == d.Model {
		return d
	}
	return Decision{target, RuleContextWindow, fmt.Sprintf("prompt of %d tokens exceeds %s's %d-token window (%s); → %s", n, d.Model, w, d.Reason, target)}
}

// promptTokens uses the caller's count, or ~4 characters per token.
func promptTokens(in Input) int {
	if in.PromptTokens > 0 {
		return in.PromptTokens
	}
	return (len(in.Query) + 3) / 4
}

// containsWord reports whether word occurs in s (both lower-case) with no
// letter, digit or underscore directly before or after it. Searching with
// strings.Index keeps long prompts cheap compared with one regex per word.
func containsWord(s, word string) bool {
	for off := 0; ; {
		i := strings.Index(s[off:], word)
		if i < 0 {
			return false
		}
		start := off + i
		end := start + len(word)
		if !isWordByteBefore(s, start) && !isWordByteAt(s, end) {
			return true
		}
		off = start + 1
	}
}

func isWordByteBefore(s string, i int) bool { return i > 0 && isWordByte(s[i-1]) }
func isWordByteAt(s string, i int) bool     { return i < len(s) && isWordByte(s[i]) }

// isWordByte treats non-ASCII bytes as word characters so "código" does not
// match "c" fragments; ASCII punctuation and spaces are boundaries.
func isWordByte(b byte) bool {
	return b == '_' || b >= 0x80 || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
}
