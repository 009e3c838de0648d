package router

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/llmrouter/llmrouter/internal/cascade"
)

// The N-model cascade walks the candidates up the cost order, after
// FrugalGPT (Chen et al., 2023: a cost-ordered chain of models with a
// learned scorer deciding whether to accept each answer), with the next
// model chosen as in cascade routing (Dekoninck et al., 2024: at each step
// pick the model, or stopping, with the best expected quality minus λ ×
// cost, given what the answers so far revealed).
//
//   - Start: the cheaper of the router's own choice at t and the cheapest
//     plausible model (P(correct) >= PlausibleP): an answer more likely
//     right than wrong is worth checking before paying for a dearer one.
//   - After an answer: the verifier's escalate score e updates that
//     model's prior P into a posterior q (Posterior: a naive-Bayes update,
//     the verifier's odds against its training base rate, so an answer it
//     cannot tell apart leaves the router's belief as it was). The cascade
//     asks the dearer, not yet asked model j with the best
//     (1 − t)·P_j − t·c_j/C, provided it beats keeping the answer,
//     (1 − t)·q; otherwise it stops. Models already paid for do not count
//     against a step.
//   - The last answer received is returned: the cascade only moves to a
//     model predicted better than the current answer.

// PlausibleP is the P(correct) from which a model is worth trying first.
const PlausibleP = 0.5

// CascadeStart returns the first model the N-model cascade asks.
func CascadeStart(est []Estimate, t, scale float64, allowed []bool) int {
	first := Choose(est, t, scale, allowed)
	for k, e := range est {
		if (allowed == nil || allowed[k]) && e.PCorrect >= PlausibleP && (first < 0 || e.CostUSD < est[first].CostUSD) {
			first = k
		}
	}
	return first
}

// Posterior is P(correct) of an answer whose model was given prior
// P(correct) prior, after a verifier that says it is wrong with
// probability e, having seen wrong answers at rate baseWrong in training:
// prior odds times the verifier's likelihood ratio.
func Posterior(prior, e, baseWrong float64) float64 {
	clip := func(x float64) float64 { return math.Min(math.Max(x, 1e-6), 1-1e-6) }
	prior, e, baseWrong = clip(prior), clip(e), clip(baseWrong)
	odds := prior / (1 - prior) * ((1 - e) / e) / ((1 - baseWrong) / baseWrong)
	return odds / (1 + odds)
}

// VerifierBaseWrong is the share of wrong answers v was trained on.
func VerifierBaseWrong(v *cascade.Verifier) float64 { return 1 - v.Meta.Data.CheapAccuracy }

// CascadeNext returns the next model to ask after model cur's answer,
// believed correct with probability q (Posterior), or -1 to keep it. asked
// marks the models already asked (nil: only cur).
func CascadeNext(est []Estimate, cur int, q, t, scale float64, asked, allowed []bool) int {
	keep := (1 - t) * q
	best, bestU := -1, keep
	for j, x := range est {
		if j == cur || (asked != nil && asked[j]) || (allowed != nil && !allowed[j]) || x.CostUSD <= est[cur].CostUSD {
			continue
		}
		if u := (1-t)*x.PCorrect - t*x.CostUSD/scale; u > bestU {
			best, bestU = j, u
		}
	}
	return best
}

// CascadeStep is one call of a simulated N-model cascade.
type CascadeStep struct {
	Model    int
	Escalate float64 // the verifier's score of its answer
}

// SimulateCascade runs the N-model cascade on one query whose answers are
// known: answer(k) is model k's answer text. It returns the calls made, in
// order; the last one's answer is the cascade's.
func SimulateCascade(v *cascade.Verifier, query string, est []Estimate, t, scale float64, answer func(k int) string) []CascadeStep {
	asked := make([]bool, len(est))
	k := CascadeStart(est, t, scale, nil)
	base := VerifierBaseWrong(v)
	var steps []CascadeStep
	for k >= 0 {
		asked[k] = true
		e := v.Score(query, answer(k))
		steps = append(steps, CascadeStep{Model: k, Escalate: e})
		k = CascadeNext(est, k, Posterior(est[k].PCorrect, e, base), t, scale, asked, nil)
	}
	return steps
}

// trainMultiCascade fits the answer verifier on every candidate's answers
// but the priciest's (nothing is escalated from it), labelled by each
// answer's own grade; the priciest model's grade is the "strong" outcome
// its cross-validation measures escalation against. Rows without answer
// texts (recorded outcomes) give no verifier and no error.
func trainMultiCascade(ctx context.Context, cfg TrainConfig, rows []mexample, cands []Candidate) (*cascade.Verifier, Stage, error) {
	start := time.Now()
	st := Stage{Name: "cascade"}
	if cfg.Cascade.Off {
		st.Detail = "skipped: turned off"
		return nil, st, nil
	}
	top := 0
	for k, c := range cands {
		if c.CostUSD > cands[top].CostUSD {
			top = k
		}
	}
	var ex []cascade.Example
	for _, e := range rows {
		for k := range cands {
			if k == top || e.answer[k] == "" {
				continue
			}
			ex = append(ex, cascade.Example{Query: e.query, Answer: e.answer[k],
				CheapCorrect: e.correct[k] == 1, StrongCorrect: e.correct[top] == 1, QueryScore: math.NaN()})
		}
	}
	v, err := cascade.Train(ctx, ex, cascade.TrainConfig{Seed: cfg.Seed, EscalationShare: cfg.Cascade.EscalationShare, Log: cfg.Log})
	st.Duration = time.Since(start)
	switch {
	case errors.Is(err, cascade.ErrNoAnswers) || (err != nil && len(ex) < cascade.MinRows):
		st.Detail = "skipped: too few answer texts to verify (" + fmt.Sprint(len(ex)) + ")"
		return nil, st, nil
	case err != nil:
		return nil, st, fmt.Errorf("cascade verifier: %w", err)
	}
	st.Detail = fmt.Sprintf("%d answers of %d models, %s, cross-validated APGR %.3f", len(ex), len(cands)-1, v.Meta.Metrics.Chosen, v.Meta.Metrics.CVAPGR[v.Meta.Metrics.Chosen])
	return v, st, nil
}
