package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/jsonl"
)

func runSplit(_ context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "split", "--input-file FILE [--input-format auto|items|captured] [--output-dir DIR] [--train-ratio 0.8] [--seed 42]")
	in := fs.String("input-file", "", "benchmark JSONL, or the gateway's captured traffic, to split (required)")
	format := fs.String("input-format", "auto", "auto (detect from the first row), items (id, problem, answer) or captured (the gateway's capture file: id, query, messages)")
	outDir := fs.String("output-dir", "./data/splits", "directory for <name>_train.jsonl and <name>_test.jsonl")
	ratio := fs.Float64("train-ratio", 0.8, "share of each topic that goes to the train split, strictly between 0 and 1")
	seed := fs.Uint64("seed", 42, "random seed; the same seed and input give the same files")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" {
		return fmt.Errorf("%w: --input-file is required", errUsage)
	}
	switch *format {
	case "auto", dataset.FormatItems, dataset.FormatCaptured:
	default:
		return fmt.Errorf("%w: --input-format must be auto, items or captured, got %q", errUsage, *format)
	}
	if err := dataset.ValidateRatio(*ratio); err != nil {
		return fmt.Errorf("%w: --train-ratio: %v", errUsage, err)
	}
	items, got, repeats, err := dataset.ReadQuestions(*in, *format)
	if err != nil {
		return err
	}
	if got == dataset.FormatCaptured {
		env.Log.Info("read captured traffic", "file", *in, "questions", len(items), "repeats_dropped", repeats)
	}
	split, how := dataset.Split, "per topic"
	if allCaptured(items) {
		split, how = dataset.SplitStable, "by question hash, so each question keeps its side as the traffic grows"
	}
	train, test, dropped := split(items, *ratio, *seed)
	if dropped > 0 {
		env.Log.Info("dropped duplicate questions (same normalised text), keeping the first of each",
			"file", *in, "dropped", dropped)
	}
	if len(train) == 0 || len(test) == 0 {
		return fmt.Errorf("%s: %d unique questions cannot be split into non-empty train and test files", *in, len(train)+len(test))
	}
	name := strings.TrimSuffix(filepath.Base(*in), ".jsonl")
	trainPath := filepath.Join(*outDir, name+"_train.jsonl")
	testPath := filepath.Join(*outDir, name+"_test.jsonl")
	if err := jsonl.WriteAtomic(trainPath, train); err != nil {
		return err
	}
	if err := jsonl.WriteAtomic(testPath, test); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "split %d questions %s (%d duplicates dropped): %d train → %s, %d test → %s\n",
		len(train)+len(test), how, dropped+repeats, len(train), trainPath, len(test), testPath)
	return nil
}

// allCaptured reports whether every item came from captured traffic.
func allCaptured(items []dataset.Item) bool {
	for _, it := range items {
		if it.Benchmark != dataset.BenchmarkCaptured {
			return false
		}
	}
	return len(items) > 0
}
