// Package quality measures a routing score against known outcomes and sets
// its operating point, on plain slices: the expected accuracy when the
// highest-scoring queries go to the strong model (ties broken at random),
// APGR, the strong share that reaches a target accuracy, and the threshold
// that sends a given share of queries to the strong model.
//
// It is the one implementation the trainer, the cascade verifier and the
// evaluation share; it imports nothing of the project, so linking the
// router does not link the evaluation stage. The metric definitions are in
// docs/evaluation.md.
package quality

import (
	"fmt"
	"math"
	"sort"
)

// ExpectedAccuracies returns acc[k], k = 0..n: the expected accuracy when
// the k highest-scoring queries go to the strong model, with ties broken at
// random (so accuracy is linear across a group of equal scores). cheap and
// strong hold each query's correctness in [0, 1].
func ExpectedAccuracies(scores, cheap, strong []float64) ([]float64, error) {
	n := len(scores)
	if n == 0 {
		return nil, fmt.Errorf("no queries")
	}
	if len(cheap) != n || len(strong) != n {
		return nil, fmt.Errorf("length mismatch: %d scores, %d cheap, %d strong outcomes", n, len(cheap), len(strong))
	}
	order := make([]int, n)
	var base float64
	for i := range order {
		if math.IsNaN(scores[i]) {
			return nil, fmt.Errorf("query %d: score is NaN", i+1)
		}
		order[i] = i
		base += cheap[i]
	}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
	acc := make([]float64, n+1)
	acc[0] = base / float64(n)
	sum := base
	for k := 0; k < n; {
		j, groupGain := k, 0.0
		for ; j < n && scores[order[j]] == scores[order[k]]; j++ {
			groupGain += strong[order[j]] - cheap[order[j]]
		}
		step := groupGain / float64(j-k)
		for ; k < j; k++ {
			sum += step
			acc[k+1] = sum / float64(n)
		}
	}
	return acc, nil
}

// APGR is the average performance gap recovered of scores (higher = send to
// strong first): the mean, over k = 0..n strong calls, of the share of the
// strong-minus-cheap accuracy gap recovered. It is NaN when the strong and
// cheap accuracies are equal, and NaN with an error when the inputs are
// inconsistent.
func APGR(scores, cheap, strong []float64) (float64, error) {
	acc, err := ExpectedAccuracies(scores, cheap, strong)
	if err != nil {
		return math.NaN(), err
	}
	n := len(scores)
	gap := acc[n] - acc[0]
	if math.Abs(gap) < 1e-12 {
		return math.NaN(), nil
	}
	var mean float64
	for _, a := range acc {
		mean += a
	}
	mean /= float64(n + 1)
	return (mean - acc[0]) / gap, nil
}

// StrongShareAt is the smallest fraction of strong calls, in score order,
// at which expected accuracy reaches frac × strong-only accuracy
// (interpolated linearly between whole calls).
func StrongShareAt(scores, cheap, strong []float64, frac float64) (float64, error) {
	acc, err := ExpectedAccuracies(scores, cheap, strong)
	if err != nil {
		return math.NaN(), err
	}
	n := len(scores)
	target := frac * acc[n]
	const eps = 1e-12
	if acc[0] >= target-eps {
		return 0, nil
	}
	for k := 1; k <= n; k++ {
		if acc[k] >= target-eps {
			x := float64(k-1) + (target-acc[k-1])/(acc[k]-acc[k-1])
			return x / float64(n), nil
		}
	}
	return 1, nil
}
