package eval

import (
	"context"
	"slices"

	"github.com/llmrouter/llmrouter/internal/router"
)

// DriftWarnShare is the share of out-of-distribution test queries above
// which the evaluation warns: most of its figures then describe a router
// guessing on queries unlike any it was trained on.
const DriftWarnShare = 0.5

// DriftSection is how unlike the trained router's training queries the
// test queries are (router.Model.Drift): the comparison's other figures
// say how well the router did, this says whether it had any basis for it.
type DriftSection struct {
	// Threshold is the drift at which a query is out of distribution.
	Threshold float64 `json:"threshold"`
	Mean      Float   `json:"mean"`
	Median    Float   `json:"median"`
	// OutOfDistributionShare is the share of test queries whose drift
	// reaches Threshold.
	OutOfDistributionShare Float `json:"out_of_distribution_share"`
	// Warning is OutOfDistributionShare > DriftWarnShare.
	Warning bool `json:"warning"`
}

// Drifter is a router that can say how unlike its training queries a
// query is (router.Model).
type Drifter interface {
	Drift(query string) (float64, bool)
}

// MeasureDrift measures the queries' drift; nil when the router cannot
// tell (a random baseline) or there are no queries.
func MeasureDrift(ctx context.Context, d Drifter, queries []string) (*DriftSection, error) {
	xs := make([]float64, 0, len(queries))
	var over int
	for i, q := range queries {
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		x, ok := d.Drift(q)
		if !ok {
			return nil, nil
		}
		xs = append(xs, x)
		if router.OutOfDistribution(x) {
			over++
		}
	}
	if len(xs) == 0 {
		return nil, nil
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	slices.Sort(xs)
	med := xs[len(xs)/2]
	if len(xs)%2 == 0 {
		med = (xs[len(xs)/2-1] + med) / 2
	}
	share := float64(over) / float64(len(xs))
	return &DriftSection{
		Threshold: router.DriftThreshold, Mean: Float(sum / float64(len(xs))), Median: Float(med),
		OutOfDistributionShare: Float(share), Warning: share > DriftWarnShare,
	}, nil
}
