package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/quality"
	"github.com/llmrouter/llmrouter/internal/router"
)

// Contender is a router and its operating point: strong iff score >=
// Threshold. A Matched contender's threshold is instead set, label-free, so
// that it sends the same share of the test queries to the strong model as
// the trained router does: its own training-score calibration is not
// comparable (a kNN scores its own training queries with itself among the
// neighbours), and equal shares make the accuracy and cost columns compare.
type Contender struct {
	Router    router.Router
	Threshold float64
	Matched   bool
}

// RouteRows routes every test question with every contender. The first is
// the trained router; matched contenders take its realised strong share. A
// question sent strong is labelled Complex; a matched router's Complex
// below its new threshold becomes Standard.
func RouteRows(ctx context.Context, contenders []Contender, rows []oracle.Row) ([]RouterRun, error) {
	runs := make([]RouterRun, 0, len(contenders))
	share := math.NaN()
	for _, c := range contenders {
		ds, err := decideAll(ctx, c.Router, rows)
		if err != nil {
			return nil, err
		}
		run := RouterRun{
			Name: c.Router.Name(), Threshold: c.Threshold,
			Scores: make([]float64, len(rows)), Strong: make([]bool, len(rows)), Policies: make([]string, len(rows)),
		}
		for i, d := range ds {
			run.Scores[i], run.Policies[i] = d.Score, d.Policy
		}
		if c.Matched && !math.IsNaN(share) {
			run.Threshold = quality.TopShareThreshold(run.Scores, share)
		}
		var k int
		for i, d := range ds {
			run.Strong[i] = d.Score >= run.Threshold
			if run.Strong[i] {
				k++
				run.Policies[i] = policy.Complex
			} else if d.Policy == policy.Complex {
				run.Policies[i] = policy.Standard
			}
		}
		if math.IsNaN(share) {
			share = float64(k) / float64(len(rows))
		}
		runs = append(runs, run)
	}
	return runs, nil
}

// decideAll routes rows in parallel (routers are safe for concurrent use);
// a NaN score is an error, since it would sort anywhere on the curve.
func decideAll(ctx context.Context, r router.Router, rows []oracle.Row) ([]router.Decision, error) {
	out := make([]router.Decision, len(rows))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(rows)/64))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(rows); i += workers {
				d, err := r.Route(ctx, rows[i].Query)
				if err == nil && math.IsNaN(d.Score) {
					err = errors.New("score is NaN")
				}
				if err != nil {
					errs[w] = fmt.Errorf("router %s on question %s: %w", r.Name(), rows[i].ID, err)
					return
				}
				out[i] = d
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
