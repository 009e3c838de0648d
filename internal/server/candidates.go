package server

import (
	"fmt"
	"slices"
	"strings"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/router"
)

// learnedRouter is what the gateway needs of an N-model router
// (*router.Model trained with --router multi): its candidates, and its
// choice re-made at another threshold among the allowed ones.
type learnedRouter interface {
	Candidates() []string
	ChooseAt(d router.Decision, t float64, allowed []bool) (model string, cheapest, ok bool)
}

// candidateSetup is the N-model router as the gateway runs it; the zero
// value (lr nil) means a two-model router or none.
type candidateSetup struct {
	lr learnedRouter
	// allowed masks the router's candidates with router.candidates; nil
	// allows them all.
	allowed []bool
	n       int // candidates the choice is made among
}

// validateCandidates checks router.candidates on its own: catalogue
// models, each once, and a trained router to choose among them.
func (c *Config) validateCandidates(cat *catalog.Catalogue) error {
	cs := c.Router.Candidates
	if len(cs) == 0 {
		return nil
	}
	if c.Router.ModelPath == "" {
		return fmt.Errorf("router.candidates: needs router.model_path, an N-model router trained on these models (llmrouter train --router multi)")
	}
	for i, m := range cs {
		if _, ok := cat.Models[m]; !ok {
			return fmt.Errorf("router.candidates[%d]: unknown model %q (known: %s)", i, m, strings.Join(cat.Names(), ", "))
		}
		if slices.Contains(cs[:i], m) {
			return fmt.Errorf("router.candidates[%d]: %q is listed twice", i, m)
		}
	}
	return nil
}

// newCandidateSetup ties router.candidates to the loaded router: an
// N-model router chooses among its trained candidates, restricted to the
// listed ones; every model it may choose must be in the catalogue.
func newCandidateSetup(cfg *Config, cat *catalog.Catalogue, r router.Router) (candidateSetup, error) {
	lr, ok := r.(learnedRouter)
	if !ok || len(lr.Candidates()) == 0 {
		if len(cfg.Router.Candidates) > 0 {
			return candidateSetup{}, fmt.Errorf("router.candidates: the router at %s chooses between two models by policy; list candidates for an N-model router (llmrouter train --router multi)", cfg.Router.ModelPath)
		}
		return candidateSetup{}, nil
	}
	trained := lr.Candidates()
	s := candidateSetup{lr: lr, n: len(trained)}
	if want := cfg.Router.Candidates; len(want) > 0 {
		s.allowed, s.n = make([]bool, len(trained)), len(want)
		for i, m := range want {
			k := slices.Index(trained, m)
			if k < 0 {
				return candidateSetup{}, fmt.Errorf("router.candidates[%d]: the router at %s was not trained on %q (its candidates: %s)", i, cfg.Router.ModelPath, m, strings.Join(trained, ", "))
			}
			s.allowed[k] = true
		}
	}
	for k, m := range trained {
		if _, ok := cat.Models[m]; !ok && (s.allowed == nil || s.allowed[k]) {
			return candidateSetup{}, fmt.Errorf("router.model_path: the router chooses %q, which is not in the models section (add it, or leave it out of router.candidates)", m)
		}
	}
	return s, nil
}

// learnedChoice puts an N-model router's choice at threshold t into in:
// the mapper's static step then maps to it, after the override rules.
// Two-model decisions are left alone.
func learnedChoice(cands *candidateSetup, d router.Decision, t float64, in *policy.Input) {
	if cands.lr == nil || len(d.Candidates) == 0 {
		return
	}
	model, cheapest, ok := cands.lr.ChooseAt(d, t, cands.allowed)
	if !ok {
		return
	}
	in.Model, in.Policy = model, policy.Complex
	if cheapest {
		in.Policy = policy.Standard
	}
	for _, e := range d.Candidates {
		if e.Model == model {
			in.ModelReason = fmt.Sprintf("learned: %s, P(correct) %.2f at $%.6f expected, the best (1-t)*P - t*cost/C at t=%.3f of %d candidates",
				model, e.PCorrect, e.CostUSD, t, cands.n)
		}
	}
}
