package router

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

// fixture paths: a 400-row slice of the recorded-MMLU training rows (every
// 24th row, so all subjects appear), regenerated with
// LLMROUTER_WRITE_FIXTURES=1 go test -run TestWriteFixtures ./internal/router/
var (
	fixtureSFT = filepath.Join("testdata", "sft_small.jsonl")
	fixtureDPO = filepath.Join("testdata", "dpo_small.jsonl")
)

func TestWriteFixtures(t *testing.T) {
	if os.Getenv("LLMROUTER_WRITE_FIXTURES") == "" {
		t.Skip("set LLMROUTER_WRITE_FIXTURES=1 to regenerate testdata")
	}
	d := mustRecorded(t)
	var sft []trl.SFTRow
	keep := map[string]bool{}
	for i := 0; i < len(d.sft) && len(sft) < 400; i += 24 {
		sft = append(sft, d.sft[i])
		keep[d.sft[i].ID] = true
	}
	var dpo []trl.DPORow
	for _, r := range d.dpo {
		if keep[r.ID] {
			dpo = append(dpo, r)
		}
	}
	if err := jsonl.WriteAtomic(fixtureSFT, sft); err != nil {
		t.Fatal(err)
	}
	if err := jsonl.WriteAtomic(fixtureDPO, dpo); err != nil {
		t.Fatal(err)
	}
}

// TestWriteRecordedTraining writes the full recorded-MMLU training files
// (train split only) to $LLMROUTER_WRITE_RECORDED, for timing the CLI.
func TestWriteRecordedTraining(t *testing.T) {
	dir := os.Getenv("LLMROUTER_WRITE_RECORDED")
	if dir == "" {
		t.Skip("set LLMROUTER_WRITE_RECORDED=DIR")
	}
	d := mustRecorded(t)
	if err := jsonl.WriteAtomic(filepath.Join(dir, "sft_train.jsonl"), d.sft); err != nil {
		t.Fatal(err)
	}
	if err := jsonl.WriteAtomic(filepath.Join(dir, "dpo_train.jsonl"), d.dpo); err != nil {
		t.Fatal(err)
	}
}
