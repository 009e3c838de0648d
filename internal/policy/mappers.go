package policy

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// Static maps policy → model (the original's default JSON mapping), or score
// vs threshold when the input carries one.
type Static struct{ r *rules }

// NewStatic builds a static mapper; a zero Config gives the original's table.
func NewStatic(cfg Config) (*Static, error) {
	r, err := build(cfg)
	if err != nil {
		return nil, err
	}
	return &Static{r}, nil
}

// Map implements Mapper.
func (m *Static) Map(_ context.Context, in Input) Decision { return m.r.static(in) }

// CostAware is the static mapping with the budget rules: at or over budget
// everything goes to the cheap model; above downgrade_at of the budget,
// requests that would use a pricier model are downgraded.
type CostAware struct{ r *rules }

// NewCostAware builds a cost-aware mapper (get_cost_aware_mapper).
func NewCostAware(cfg Config) (*CostAware, error) {
	r, err := build(cfg)
	if err != nil {
		return nil, err
	}
	return &CostAware{r}, nil
}

// Map implements Mapper.
func (m *CostAware) Map(_ context.Context, in Input) Decision {
	if d, ok := m.r.budgetCap(in); ok {
		return d
	}
	d := m.r.static(in)
	if c, ok := m.r.costAware(in, d); ok {
		return c
	}
	return d
}

// Keyword overrides the static mapping when a keyword or regex matches.
type Keyword struct{ r *rules }

// NewKeyword builds a keyword mapper (get_keyword_mapper).
func NewKeyword(cfg Config) (*Keyword, error) {
	r, err := build(cfg)
	if err != nil {
		return nil, err
	}
	return &Keyword{r}, nil
}

// Map implements Mapper.
func (m *Keyword) Map(_ context.Context, in Input) Decision {
	if d, ok := m.r.keyword(newText(in.Query)); ok {
		return d
	}
	return m.r.static(in)
}

// Length sends long prompts to the strong model and prompts that do not fit
// a model's context window to one whose window holds them.
type Length struct{ r *rules }

// NewLength builds a length-based mapper.
func NewLength(cfg Config) (*Length, error) {
	r, err := build(cfg)
	if err != nil {
		return nil, err
	}
	return &Length{r}, nil
}

// Map implements Mapper.
func (m *Length) Map(_ context.Context, in Input) Decision {
	d, ok := m.r.length(in)
	if !ok {
		d = m.r.static(in)
	}
	return m.r.fit(in, d)
}

// Math sends queries with math (expressions, LaTeX, math verbs) to the strong
// model.
type Math struct{ r *rules }

// NewMath builds a math-detection mapper.
func NewMath(cfg Config) (*Math, error) {
	r, err := build(cfg)
	if err != nil {
		return nil, err
	}
	return &Math{r}, nil
}

// Map implements Mapper.
func (m *Math) Map(_ context.Context, in Input) Decision {
	if d, ok := m.r.mathRule(newText(in.Query)); ok {
		return d
	}
	return m.r.static(in)
}

// Hybrid combines every rule (get_hybrid_mapper). The order, first match wins:
//
//  1. budget cap: spend at or over the budget → cheap model. Overspending is
//     the one mistake that cannot be undone, so no override may bypass it.
//  2. keyword override (code, …) → strong model. Explicit, user-configured
//     intent beats any statistical signal.
//  3. math detection → strong model. Cheap models fail multi-step math far
//     more often than they fail recall, so this overrides the router label.
//  4. length: prompts over threshold_tokens → strong model.
//  5. static policy mapping (or score vs threshold), then the soft
//     cost-aware downgrade near the budget applied to that result only. The
//     soft downgrade is a saving, not a cap, so it does not undo steps 2–4:
//     a code question at 85% of budget still goes to the strong model.
//
// Finally, whatever was chosen moves to a longer-context model if the
// prompt does not fit its window, because a call that cannot succeed saves
// nothing.
type Hybrid struct{ r *rules }

// NewHybrid builds the hybrid mapper; a zero Config gives the defaults.
func NewHybrid(cfg Config) (*Hybrid, error) {
	r, err := build(cfg)
	if err != nil {
		return nil, err
	}
	return &Hybrid{r}, nil
}

// Map implements Mapper.
func (m *Hybrid) Map(_ context.Context, in Input) Decision {
	return m.r.fit(in, m.decide(in))
}

func (m *Hybrid) decide(in Input) Decision {
	if d, ok := m.r.budgetCap(in); ok {
		return d
	}
	t := newText(in.Query)
	if d, ok := m.r.keyword(t); ok {
		return d
	}
	if d, ok := m.r.mathRule(t); ok {
		return d
	}
	if d, ok := m.r.length(in); ok {
		return d
	}
	d := m.r.static(in)
	if c, ok := m.r.costAware(in, d); ok {
		return c
	}
	return d
}

// StrongModel is the model the overrides pick; adapters use it to turn a
// decision into a binary score.
func (m *Hybrid) StrongModel() string { return m.r.cfg.StrongModel }

// CheapModel is the downgrade target.
func (m *Hybrid) CheapModel() string { return m.r.cfg.CheapModel }

// Config returns the effective configuration (defaults filled in).
func (m *Hybrid) Config() Config { return m.r.cfg }

var (
	_ Mapper = (*Static)(nil)
	_ Mapper = (*CostAware)(nil)
	_ Mapper = (*Keyword)(nil)
	_ Mapper = (*Length)(nil)
	_ Mapper = (*Math)(nil)
	_ Mapper = (*Hybrid)(nil)
)

// mathDetector finds math in a query: LaTeX, math symbols, math verbs as
// whole words, and arithmetic or algebraic expressions (see findMath).
type mathDetector struct {
	words wordSet
}

// latexRe runs only on queries containing a backslash or "$$".
var latexRe = regexp.MustCompile(`\\(frac|int|sum|prod|sqrt|lim|partial|cdot|times|infty|alpha|beta|theta|pi|leq|geq|neq|begin\{(equation|align)\})\b|\$\$[^$]+\$\$|\\\(|\\\[`)

func newMathDetector(keywords []string) (mathDetector, error) {
	var ks []string
	for i, k := range keywords {
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "" {
			return mathDetector{}, fmt.Errorf("%smath.keywords[%d]: empty keyword", prefix, i)
		}
		ks = append(ks, k)
	}
	return mathDetector{words: newWordSet(ks)}, nil
}

// detect returns what it found ("latex \\frac", "solve", "expression 3 + 4").
func (md mathDetector) detect(t *text) (string, bool) {
	q := t.q
	if strings.IndexByte(q, '\\') >= 0 || strings.Contains(q, "$$") {
		if loc := latexRe.FindStringIndex(q); loc != nil {
			return "latex " + q[loc[0]:loc[1]], true
		}
	}
	lower := t.lower
	if i := md.words.first(lower); i >= 0 {
		return md.words.words[i], true
	}
	return findMath(lower)
}
