package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/policy/rulerouter"
	"github.com/llmrouter/llmrouter/internal/router"
)

// trainedRouters are the routers fitted on one benchmark's train split.
type trainedRouters struct {
	classifier, sftOnly, knn, random *router.Model
	rules                            *rulerouter.Router
}

var (
	modelsMu    sync.Mutex
	modelsCache = map[*splitData]*trainedRouters{}
)

// routers trains (once per split) the SFT+DPO classifier, the same
// classifier without DPO, kNN and random on d's train rows with the CLI
// defaults, and builds the hybrid-rules baseline.
func routersFor(ctx context.Context, d *splitData) (*trainedRouters, error) {
	modelsMu.Lock()
	defer modelsMu.Unlock()
	if r, ok := modelsCache[d]; ok {
		return r, nil
	}
	fit := func(kind string, dpoEpochs int) (*router.Model, error) {
		cfg := router.DefaultTrainConfig()
		cfg.Kind, cfg.SFT, cfg.DPO = kind, d.sft, d.dpo
		cfg.Hyper.DPOEpochs = dpoEpochs
		m, _, err := router.Train(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("train %s on %s: %w", kind, d.bench, err)
		}
		return m, nil
	}
	var r trainedRouters
	var err error
	if r.classifier, err = fit(router.KindClassifier, router.DefaultTrainConfig().Hyper.DPOEpochs); err != nil {
		return nil, err
	}
	if r.sftOnly, err = fit(router.KindClassifier, 0); err != nil {
		return nil, err
	}
	if r.knn, err = fit(router.KindKNN, 0); err != nil {
		return nil, err
	}
	if r.random, err = fit(router.KindRandom, 0); err != nil {
		return nil, err
	}
	if r.rules, err = rulerouter.New(policy.Config{}); err != nil {
		return nil, fmt.Errorf("hybrid rules: %w", err)
	}
	modelsCache[d] = &r
	return &r, nil
}

// mmluClassifier saves the SFT+DPO classifier trained on the MMLU train
// split in workDir/name, for a gateway to load, and returns the split.
func (b *bench) mmluClassifier(ctx context.Context, name string) (*splitData, string, error) {
	d, err := b.data.split(ctx, "mmlu", b.size(0, smokeItems))
	if err != nil {
		return nil, "", err
	}
	rs, err := routersFor(ctx, d)
	if err != nil {
		return nil, "", err
	}
	dir := filepath.Join(b.opts.workDir, name)
	if err := router.Save(dir, rs.classifier); err != nil {
		return nil, "", err
	}
	return d, dir, nil
}
