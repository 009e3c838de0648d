package router

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestSweep prints validation APGR (never test-split figures) for a few
// hyperparameter settings; dev aid, enabled by LLMROUTER_SWEEP.
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
