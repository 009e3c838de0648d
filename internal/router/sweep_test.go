package router

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The sweeps are opt-in tools for tuning, not tests: they print validation
// figures (never test-split ones) for hyperparameter settings and assert
// nothing. Each runs only when its environment variable is set.

// TestSweep prints validation APGR for a few feature settings; enabled by
// LLMROUTER_SWEEP.
func TestSweep(t *testing.T) {
	if os.Getenv("LLMROUTER_SWEEP") == "" {
		t.Skip("set LLMROUTER_SWEEP=1")
	}
	d := mustRecorded(t)
	type setting struct {
		name string
		mod  func(*TrainConfig)
	}
	settings := []setting{
		{"default", func(c *TrainConfig) {}},
		{"char 3-4", func(c *TrainConfig) { c.Features.CharNgramMax = 4 }},
		{"char 3-4 bits 15", func(c *TrainConfig) { c.Features.CharNgramMax = 4; c.Features.HashBits = 15 }},
	}
	for _, s := range settings {
		cfg := DefaultTrainConfig()
		cfg.SFT, cfg.DPO = d.sft, d.dpo
		s.mod(&cfg)
		data, err := loadData(&cfg)
		if err != nil {
			t.Fatal(err)
		}
		var mt Metrics
		start := time.Now()
		kind, _, _, err := chooseScore(context.Background(), cfg, data, &mt)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-20s %6v best=%s val=%s | sft=%s loss=%v", s.name, time.Since(start).Round(time.Millisecond), kind, sortedMap(mt.ValidationAPGR), sortedMap(mt.ValidationAPGRSFT), mt.SFTEpochLoss)
	}
}

// TestSweepDPO prints, for DPO settings, the policy head's validation
// calibration and every score's validation APGR on the training files in
// $LLMROUTER_SWEEP_DPO (a pipeline's data/training).
func TestSweepDPO(t *testing.T) {
	dir := os.Getenv("LLMROUTER_SWEEP_DPO")
	if dir == "" {
		t.Skip("set LLMROUTER_SWEEP_DPO=DIR")
	}
	// Settings are ';'-separated, each space-separated key=value pairs
	// over the defaults, e.g. "anchor=0 lr=0.05;anchor=2 lr=0.01".
	type setting struct {
		name  string
		hyper Hyperparameters
	}
	var settings []setting
	for _, spec := range strings.Split(os.Getenv("LLMROUTER_SWEEP_SPECS"), ";") {
		h := DefaultTrainConfig().Hyper
		for _, kv := range strings.Fields(spec) {
			k, v, _ := strings.Cut(kv, "=")
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("setting %q: %v", spec, err)
			}
			field := map[string]*float64{"beta": &h.DPOBeta, "lr": &h.DPOLearningRate, "anchor": &h.DPOAnchor, "l2": &h.DPOL2}[k]
			switch {
			case k == "ep":
				h.DPOEpochs = int(x)
			case field != nil:
				*field = x
			default:
				t.Fatalf("setting %q: unknown key %q (want beta, lr, anchor, l2 or ep)", spec, k)
			}
		}
		settings = append(settings, setting{spec, h})
	}
	for _, s := range settings {
		cfg := DefaultTrainConfig()
		cfg.SFTPath, cfg.DPOPath = filepath.Join(dir, "sft_train.jsonl"), filepath.Join(dir, "dpo_train.jsonl")
		cfg.Hyper = s.hyper
		data, err := loadData(&cfg)
		if err != nil {
			t.Fatal(err)
		}
		var mt Metrics
		start := time.Now()
		kind, _, _, err := chooseScore(context.Background(), cfg, data, &mt)
		if err != nil {
			t.Fatal(err)
		}
		f := func(p *float64) string {
			if p == nil {
				return "-"
			}
			return fmt.Sprintf("%.4f", *p)
		}
		t.Logf("%-28s %6v ECE sft %s dpo %s | top sft %s dpo %s | acc sft %s dpo %s | best=%s %.4f | pc %.4f cms %.4f blend %.4f (sft %.4f %.4f %.4f)",
			s.name, time.Since(start).Round(time.Millisecond),
			f(mt.ValidationECEPolicySFT), f(mt.ValidationECEPolicyDPO),
			f(mt.ValidationMeanTopPolicySFT), f(mt.ValidationMeanTopPolicyDPO),
			f(mt.ValidationAccuracyPolicySFT), f(mt.ValidationAccuracyPolicyDPO),
			kind, mt.ValidationAPGR[kind],
			mt.ValidationAPGR[ScorePComplex], mt.ValidationAPGR[ScoreComplexMinusStandard], mt.ValidationAPGR[ScoreBlend],
			mt.ValidationAPGRSFT[ScorePComplex], mt.ValidationAPGRSFT[ScoreComplexMinusStandard], mt.ValidationAPGRSFT[ScoreBlend])
	}
}
