package main

import (
	"context"
	"fmt"
	"math"
	"os"

	"github.com/llmrouter/llmrouter/internal/eval"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/policy/rulerouter"
	"github.com/llmrouter/llmrouter/internal/router"
)

// evalRouter is a router and its operating point: strong iff score >=
// threshold.
type evalRouter struct {
	r         router.Router
	threshold float64
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
	out := []evalRouter{{main, main.Threshold()}}
	for _, name := range o.routers {
		if name == main.Name() {
			continue
		}
		if name == "rules" {
			rr, err := rulerouter.New(policy.Config{})
			if err != nil {
				return nil, fmt.Errorf("rules baseline: %w", err)
			}
			out = append(out, evalRouter{rr, 0.5}) // scores are 0 or 1
			continue
		}
		m, err := fitBaseline(ctx, env, o, main, name)
		if err != nil {
			return nil, err
		}
		out = append(out, evalRouter{m, m.Threshold()})
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

// routeRows routes every test question with every router.
func routeRows(ctx context.Context, routers []evalRouter, rows []oracle.Row) ([]eval.RouterRun, error) {
	runs := make([]eval.RouterRun, 0, len(routers))
	for _, er := range routers {
		run := eval.RouterRun{
			Name: er.r.Name(), Threshold: er.threshold,
			Scores: make([]float64, len(rows)), Strong: make([]bool, len(rows)), Policies: make([]string, len(rows)),
		}
		for i, row := range rows {
			d, err := er.r.Route(ctx, row.Query)
			if err != nil {
				return nil, fmt.Errorf("router %s on question %s: %w", er.r.Name(), row.ID, err)
			}
			if math.IsNaN(d.Score) {
				return nil, fmt.Errorf("router %s on question %s: score is NaN", er.r.Name(), row.ID)
			}
			run.Scores[i], run.Strong[i], run.Policies[i] = d.Score, d.Score >= er.threshold, d.Policy
		}
		runs = append(runs, run)
	}
	return runs, nil
}
