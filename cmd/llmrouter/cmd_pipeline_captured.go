package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/jsonl"
)

// runImport is the pipeline's first stage for --input-file: it reads the
// user's questions (captured traffic or an item file) and writes them as
// items to data/benchmarks/<name>.jsonl, where split reads a download.
// Repeated captured questions are kept once.
func runImport(_ context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "import", "--input-file FILE --output FILE [--input-format auto|items|captured]")
	in := fs.String("input-file", "", "captured traffic or item JSONL")
	format := fs.String("input-format", "auto", "auto, items or captured")
	out := fs.String("output", "", "item JSONL to write")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return fmt.Errorf("%w: --input-file and --output are required", errUsage)
	}
	items, got, dropped, err := dataset.ReadQuestions(*in, *format)
	if err != nil {
		return err
	}
	if err := jsonl.WriteAtomic(*out, items); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "imported %d questions (%s, %d repeats dropped) → %s\n", len(items), got, dropped, *out)
	return nil
}

// pipelineInputName is the benchmark name the pipeline files an
// --input-file under: "captured" for captured traffic, else "custom".
func pipelineInputName(path, format string) (string, error) {
	if format == "" || format == "auto" {
		var err error
		if format, err = dataset.DetectFormat(path); err != nil {
			return "", fmt.Errorf("--input-file: %w", err)
		}
	}
	switch format {
	case dataset.FormatCaptured:
		return dataset.BenchmarkCaptured, nil
	case dataset.FormatItems:
		return "custom", nil
	}
	return "", fmt.Errorf("%w: --input-format %q: want auto, items or captured", errUsage, format)
}

// importStage replaces download when the pipeline runs on the user's own
// questions.
func importStage(o pipelineOptions, p pipelinePaths) stage {
	return stage{
		name: "import", run: runImport,
		args:    []string{"--input-file", o.inputFile, "--input-format", o.inputFormat, "--output", p.bench},
		inputs:  []string{o.inputFile},
		outputs: []string{p.bench}, checked: []string{p.bench},
		figure: func() string {
			return fmt.Sprintf("%d questions from %s", countLines(p.bench), filepath.Base(o.inputFile))
		},
	}
}

// judgeArgs passes --judge (and --judge-model) to oracle and eval; the
// default gold judge adds nothing, so existing stamps stay fresh.
func judgeArgs(o pipelineOptions) []string {
	var a []string
	if o.judge != "" && o.judge != judgeModeGold {
		a = append(a, "--judge", o.judge)
	}
	if o.judgeModel != "" {
		a = append(a, "--judge-model", o.judgeModel)
	}
	return a
}

// resolvePipelineInput checks --judge and, with --input-file, names the
// run after the file's format; captured traffic needs a no-gold judge.
func resolvePipelineInput(o *pipelineOptions) error {
	if err := checkJudgeFlag(o.judge); err != nil {
		return err
	}
	if o.inputFile == "" {
		return nil
	}
	name, err := pipelineInputName(o.inputFile, o.inputFormat)
	if err != nil {
		return err
	}
	o.benchmark = name
	if name == dataset.BenchmarkCaptured && o.judge == judgeModeGold {
		return fmt.Errorf("%w: --input-file %s is captured traffic, which has no gold answers: add --judge pairwise or --judge reference", errUsage, o.inputFile)
	}
	return nil
}

// addPipelineInputFlags declares the flags for running on your own
// questions.
func addPipelineInputFlags(fs *flag.FlagSet, o *pipelineOptions) {
	fs.StringVar(&o.inputFile, "input-file", "", "your own questions instead of a benchmark: the gateway's captured traffic (with --judge pairwise or reference) or an item file")
	fs.StringVar(&o.inputFormat, "input-format", "auto", "--input-file format: auto, items or captured")
	fs.StringVar(&o.judge, "judge", judgeModeGold, "how the oracle and eval label answers: gold, pairwise or reference (see 'llmrouter oracle -h')")
	fs.StringVar(&o.judgeModel, "judge-model", "", "judge model for oracle and eval (default: the strong model with --judge pairwise or reference)")
	fs.BoolVar(&o.batch, "batch", false, "label the train split through the providers' batch APIs at the batch price (see 'llmrouter oracle -h'); eval's labels stay online")
}
