package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/llmrouter/llmrouter/internal/eval"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/policy/rulerouter"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/trainset"
)

// comparisonRouters returns the trained router first, then the requested
// comparison routers. kNN, random and a second classifier are fitted
// in-process on the trained router's own SFT data (kNN fitting is an index
// build, a fraction of a second), at the trained router's calibrated strong
// share, and matched to its realised share on the test split so the
// operating points compare.
func comparisonRouters(ctx context.Context, env *Env, o evalOptions, main *router.Model) ([]eval.Contender, error) {
	if !math.IsNaN(o.threshold) {
		// In memory only: the policy labels then agree with the decisions.
		if err := main.SetThreshold(o.threshold, main.Meta.ThresholdStrongShare, "eval --threshold"); err != nil {
			return nil, fmt.Errorf("%w: --threshold: %v", errUsage, err)
		}
	}
	out := []eval.Contender{{Router: main, Threshold: main.Threshold()}}
	for _, name := range o.routers {
		if name == main.Name() {
			continue
		}
		if name == "rules" {
			rr, err := rulerouter.New(policy.Config{})
			if err != nil {
				return nil, fmt.Errorf("rules baseline: %w", err)
			}
			out = append(out, eval.Contender{Router: rr, Threshold: 0.5}) // scores are 0 or 1
			continue
		}
		m, err := fitBaseline(ctx, env, o, main, name)
		if err != nil {
			return nil, err
		}
		out = append(out, eval.Contender{Router: m, Threshold: m.Threshold(), Matched: true})
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
	if cfg.SFTPath == "" && main.Meta.Data.OutcomesFile != "" {
		// An N-model router trained on prepare's outcomes file: the SFT
		// file prepare wrote beside it.
		dir := filepath.Dir(main.Meta.Data.OutcomesFile)
		cfg.SFTPath, cfg.DPOPath = filepath.Join(dir, trainset.SFTFile), filepath.Join(dir, trainset.DPOFile)
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
