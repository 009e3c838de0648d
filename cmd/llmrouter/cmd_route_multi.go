package main

import (
	"context"
	"fmt"

	"github.com/llmrouter/llmrouter/internal/router"
)

// runMultiCascade answers res.Query with an N-model router's cascade: the
// first model router.CascadeStart picks, then, while the verifier's score
// of the last answer makes a dearer model worth it (router.CascadeNext),
// that model. The last answer is returned; tokens and cost cover every
// call.
func (r *routeRun) runMultiCascade(ctx context.Context, res *routeResult, d router.Decision) error {
	mm := r.m.Meta.Multi
	est := d.Candidates
	asked := make([]bool, len(est))
	for k := router.CascadeStart(est, r.threshold, mm.CostScale, nil); k >= 0; {
		asked[k] = true
		call, err := r.answer(ctx, est[k].Model, res.Query)
		if err != nil {
			return fmt.Errorf("cascade: answer with %s: %w", est[k].Model, err)
		}
		if err := scorable(call, res.Query); err != nil {
			return err
		}
		e := r.verifier.v.Score(res.Query, call.Answer)
		call.EscalateScore = &e
		res.Calls = append(res.Calls, call)
		q := router.Posterior(est[k].PCorrect, e, router.VerifierBaseWrong(r.verifier.v))
		k = router.CascadeNext(est, k, q, r.threshold, mm.CostScale, asked, nil)
	}
	res.settle(res.Calls)
	return nil
}
