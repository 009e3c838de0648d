package eval

import (
	"strings"

	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/router"
)

// MultiCascade is the cost-ordered cascade over the candidates (see
// router.CascadeStart and CascadeNext) at the router's threshold, replayed
// on the test answers: each question starts at its first model, the
// verifier scores the recorded answer, and the cascade moves up or stops.
type MultiCascade struct {
	Verifier string `json:"verifier"`
	// Result's accuracy is the final answers'; its cost per query counts
	// every call; its shares are the models whose answer was kept.
	Result MultiPoint `json:"result"`
	// MeanCalls is the mean number of model calls per question;
	// EscalatedShare the share of questions with more than one.
	MeanCalls      Float `json:"mean_calls"`
	EscalatedShare Float `json:"escalated_share"`
	// FirstShares is the share of questions each model was asked first.
	FirstShares map[string]Float `json:"first_shares"`
}

// realAnswers reports whether every model's answer to every question is a
// text the verifier can read, not a recorded outcome.
func realAnswers(rows []oracle.Row, models []string) bool {
	for _, r := range rows {
		for _, m := range models {
			res, ok := r.Result(m)
			if !ok || strings.TrimSpace(res.Answer) == "" {
				return false
			}
			if _, stand := grade.ParseRecordedOutcome(res.Answer); stand {
				return false
			}
		}
	}
	return true
}

func evaluateMultiCascade(b *multiBasis, rows []oracle.Row, in MultiInput) *MultiCascade {
	n := float64(len(rows))
	c := &MultiCascade{Verifier: in.Verifier.Meta.Metrics.Chosen, FirstShares: map[string]Float{}}
	final := make([]int, len(rows))
	var calls, escalated, extra float64
	first := make([]float64, len(in.Models))
	for i, r := range rows {
		steps := router.SimulateCascade(in.Verifier, r.Query, in.Estimates[i], in.T, in.CostScale, func(k int) string {
			res, _ := r.Result(in.Models[k])
			return res.Answer
		})
		final[i] = steps[len(steps)-1].Model
		first[steps[0].Model]++
		calls += float64(len(steps))
		if len(steps) > 1 {
			escalated++
		}
		// Every call but the last is paid for and superseded.
		for _, st := range steps[:len(steps)-1] {
			extra += b.cost[i][st.Model]
		}
	}
	c.Result = b.point("cascade", Float(in.T), func(i int) int { return final[i] })
	c.Result.CostPerQuery += Float(extra / n)
	c.MeanCalls, c.EscalatedShare = Float(calls/n), Float(escalated/n)
	for k, m := range in.Models {
		c.FirstShares[m] = Float(first[k] / n)
	}
	return c
}
