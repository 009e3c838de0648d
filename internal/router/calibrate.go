package router

import (
	"fmt"
	"sort"

	"github.com/llmrouter/llmrouter/internal/quality"
)

// Calibrate sets m's threshold so that a share of queries goes to the
// strong model, as RouteLLM's calibrate_threshold: the (1 − share)
// quantile of the scores of queries, or, when queries is empty, of the
// training-query score quantiles stored in the model. It returns the new
// threshold; persist it with SaveMeta.
func Calibrate(m *Model, share float64, queries []string, source string) (float64, error) {
	if !(share >= 0 && share <= 1) {
		return 0, fmt.Errorf("strong share %v outside [0, 1]", share)
	}
	var sorted []float64
	if len(queries) > 0 {
		sorted = make([]float64, len(queries))
		for i, q := range queries {
			sorted[i] = m.Predict(q).Score
		}
		sort.Float64s(sorted)
	} else {
		if len(m.Meta.ScoreQuantiles) == 0 {
			return 0, fmt.Errorf("model has no stored training scores; pass --queries")
		}
		sorted, source = m.Meta.ScoreQuantiles, orDefault(m.Meta.ScoreQuantilesSource, "training-query scores")
	}
	t := quality.ThresholdForShare(sorted, share)
	if err := m.SetThreshold(t, share, "calibrate: "+source); err != nil {
		return 0, err
	}
	return t, nil
}
