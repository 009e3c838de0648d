package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"

	"github.com/llmrouter/llmrouter/internal/eval"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/policy/rulerouter"
	"github.com/llmrouter/llmrouter/internal/router"
)

// evalRouter is a router and its operating point: strong iff score >=
// threshold. A matched router's threshold is instead set, label-free, so
// that it sends the same share of the test queries to the strong model as
// the trained router does: its own training-score calibration is not
// comparable (a kNN scores its own training queries with itself among the
// neighbours), and equal shares make the accuracy and cost columns compare.
type evalRouter struct {
	r         router.Router
	threshold float64
	matched   bool
}

// comparisonRouters returns the trained router first, then the requested
// comparison routers. kNN, random and a second classifier are fitted
// in-process on the trained router's own SFT data (kNN fitting is an index
// build, a fraction of a second), at the trained router's calibrated strong
// share so the operating points compare.
func comparisonRouters(ctx context.Context, env *Env, o evalOptions, main *router.Model) ([]evalRouter, error) {
	if !math.IsNaN(o.threshold) {
		// In memory only: the policy labels then agree with the decisions.
		if err := main.SetThreshold(o.threshold, main.Meta.ThresholdStrongShare, "eval --threshold"); err != nil {
			return nil, fmt.Errorf("%w: --threshold: %v", errUsage, err)
		}
	}
	out := []evalRouter{{r: main, threshold: main.Threshold()}}
	for _, name := range o.routers {
		if name == main.Name() {
			continue
		}
		if name == "rules" {
			rr, err := rulerouter.New(policy.Config{})
			if err != nil {
				return nil, fmt.Errorf("rules baseline: %w", err)
			}
			out = append(out, evalRouter{r: rr, threshold: 0.5}) // scores are 0 or 1
			continue
		}
		m, err := fitBaseline(ctx, env, o, main, name)
		if err != nil {
			return nil, err
		}
		out = append(out, evalRouter{r: m, threshold: m.Threshold(), matched: true})
	}
	return out, nil
}

func fitBaseline(ctx context.Context, env *Env, o evalOptions, main *router.Model, kind string) (*router.Model, error) {
	cfg := router.DefaultTrainConfig()
	cfg.Kind, cfg.Seed, cfg.Log = kind, main.Meta.Seed, env.Log
	cfg.Features, cfg.Hyper = main.Meta.Features, main.Meta.Hyper
	cfg.CheapModel, cfg.StrongModel = main.Meta.CheapModel, main.Meta.StrongModel
	cfg.DefaultStrongShare = main.Meta.ThresholdStrongShare
	cfg.SFTPath, cfg.DPOPath = o.sftPath, ""
	if cfg.SFTPath == "" {
		cfg.SFTPath, cfg.DPOPath = main.Meta.Data.SFTFile, main.Meta.Data.DPOFile
	}
	if cfg.SFTPath == "" {
		return nil, fmt.Errorf("%w: the %s baseline needs training data: pass --sft-data-path (the model records none)", errUsage, kind)
	}
	if cfg.DPOPath != "" {
		if _, err := os.Stat(cfg.DPOPath); err != nil {
			cfg.DPOPath = "" // DPO only refines the classifier; kNN and random ignore it
		}
	}
	m, _, err := router.Train(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("fit the %s baseline on %s: %w", kind, cfg.SFTPath, err)
	}
	if m.Meta.Data.SFTSHA256 != main.Meta.Data.SFTSHA256 {
		env.Log.Warn("the baseline's training data differs from the trained router's", "baseline", kind, "sft_file", cfg.SFTPath)
	}
	return m, nil
}

// routeRows routes every test question with every router. The first router
// is the trained one; matched routers take its realised strong share.
func routeRows(ctx context.Context, routers []evalRouter, rows []oracle.Row) ([]eval.RouterRun, error) {
	runs := make([]eval.RouterRun, 0, len(routers))
	share := math.NaN()
	for _, er := range routers {
		ds, err := decideAll(ctx, er.r, rows)
		if err != nil {
			return nil, err
		}
		run := eval.RouterRun{
			Name: er.r.Name(), Threshold: er.threshold,
			Scores: make([]float64, len(rows)), Strong: make([]bool, len(rows)), Policies: make([]string, len(rows)),
		}
		for i, d := range ds {
			run.Scores[i], run.Policies[i] = d.Score, d.Policy
		}
		if er.matched && !math.IsNaN(share) {
			run.Threshold = thresholdForShare(run.Scores, share)
		}
		var k int
		for i, d := range ds {
			run.Strong[i] = d.Score >= run.Threshold
			if run.Strong[i] {
				k++
				run.Policies[i] = policy.Complex
			} else if d.Policy == policy.Complex {
				// Below the matched threshold: not Complex any more.
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

// thresholdForShare returns the lowest score among the round(share·n)
// highest, so "score >= threshold" sends that many queries (more on ties).
func thresholdForShare(scores []float64, share float64) float64 {
	s := slices.Clone(scores)
	slices.SortFunc(s, func(a, b float64) int { return cmp.Compare(b, a) })
	k := int(math.Round(share * float64(len(s))))
	if k <= 0 {
		return math.Inf(1)
	}
	return s[min(k, len(s))-1]
}

// decideAll routes rows in parallel; routers are safe for concurrent use.
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
