package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/stamp"
)

// pipelineOptions are the pipeline's flags, after environment defaults.
type pipelineOptions struct {
	benchmark, dataDir, modelDir, resultsDir, config string
	force, verbose, offline                          bool
	trainRatio, strongShare                          float64
	seed                                             uint64
	benchLimit, evalLimit, sftEpochs, dpoEpochs      int
	concurrency                                      int
	kind, modelName, routers                         string
	// models is --models, passed to the oracle; more than two train the
	// N-model router.
	models string
	// inputFile replaces download with the user's own questions (captured
	// traffic or items); judge and judgeModel label them (--judge pairwise
	// or reference when there is no gold answer).
	inputFile, inputFormat, judge, judgeModel string
	// batch sends the oracle's calls through the providers' batch APIs.
	batch bool
}

// stage is one step of the pipeline: a subcommand called in-process with
// constructed arguments, plus what decides whether it is up to date.
type stage struct {
	name    string
	run     func(context.Context, *Env, []string) error
	args    []string
	inputs  []string // hashed: a change reruns the stage
	outputs []string // must exist
	checked []string // outputs hashed too (not rewritten by a later stage)
	figure  func() string
}

// spec is what s's stamp records: this binary's version, the arguments
// and the files.
func (s *stage) spec() stamp.Spec {
	return stamp.Spec{Stage: s.name, Version: version, Args: s.args, Inputs: s.inputs, Outputs: s.outputs, Checked: s.checked}
}

type stageResult struct {
	name, status, figure string
	took                 time.Duration
}

func runPipeline(ctx context.Context, env *Env, args []string) error {
	o, err := parsePipelineFlags(env, args)
	if err != nil {
		return err
	}
	logModelName(env, o)
	roles, err := pipelineRoles(o)
	if err != nil {
		return err
	}
	stages := pipelineStages(o, roles)
	stampDir := filepath.Join(o.dataDir, ".pipeline")
	var results []stageResult
	start := time.Now()
	for i, s := range stages {
		tag := fmt.Sprintf("[%d/%d] %-9s", i+1, len(stages), s.name)
		r, err := runStage(ctx, env, o, &stages[i], filepath.Join(stampDir, s.name+".json"), tag)
		if err != nil {
			fmt.Fprintf(env.Stderr, "%s failed\n", tag)
			return fmt.Errorf("stage %s: %w", s.name, err)
		}
		fmt.Fprintf(env.Stderr, "%s %s in %v: %s\n", tag, r.status, r.took.Round(time.Millisecond), r.figure)
		results = append(results, r)
	}
	printPipelineSummary(env.Stdout, results, time.Since(start))
	return printEvalSummaryFile(env.Stdout, filepath.Join(o.resultsDir, "comparison.json"))
}

// runStage runs s unless its stamp says it is up to date.
func runStage(ctx context.Context, env *Env, o pipelineOptions, s *stage, stampPath, tag string) (stageResult, error) {
	t := time.Now()
	res := stageResult{name: s.name}
	fresh, err := stamp.Fresh(stampPath, s.spec())
	if err != nil {
		return res, err
	}
	if fresh && !o.force {
		res.status, res.took, res.figure = "skipped", time.Since(t), s.figure()
		return res, nil
	}
	if err := stamp.Remove(stampPath); err != nil {
		return res, err
	}
	fmt.Fprintf(env.Stderr, "%s running\n", tag)
	var out bytes.Buffer
	sub := *env
	sub.Stdout = io.Writer(&out)
	if o.verbose {
		sub.Stdout = env.Stderr
	}
	if err := s.run(ctx, &sub, s.args); err != nil {
		if out.Len() > 0 {
			env.Stderr.Write(out.Bytes())
		}
		return res, err
	}
	after, ok, err := stamp.Compute(s.spec())
	if err != nil {
		return res, err
	}
	if !ok {
		return res, fmt.Errorf("finished but did not write all of %s", strings.Join(s.outputs, ", "))
	}
	if err := stamp.Save(stampPath, after); err != nil {
		return res, err
	}
	res.status, res.took, res.figure = "ran", time.Since(t), s.figure()
	return res, nil
}

func printPipelineSummary(w io.Writer, rs []stageResult, total time.Duration) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "stage\tstatus\ttime\tkey figure")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", r.name, r.status, r.took.Round(time.Millisecond), r.figure)
	}
	fmt.Fprintf(tw, "total\t\t%v\t\n", total.Round(time.Millisecond))
	tw.Flush()
	fmt.Fprintln(w)
}

// logModelName honours MODEL_NAME: our router is not an LLM, so a
// Hugging Face model name is recorded and explained, while a router kind
// (classifier, knn, random) selects what train fits.
func logModelName(env *Env, o pipelineOptions) {
	if o.modelName == "" {
		return
	}
	if o.kind == o.modelName {
		env.Log.Info("MODEL_NAME selects the router kind", "model_name", o.modelName)
		return
	}
	env.Log.Info("MODEL_NAME names an LLM; llmrouter trains a CPU router instead. Fine-tune that LLM outside llmrouter with the exported TRL files (sft_train.jsonl, dpo_train.jsonl)",
		"model_name", o.modelName, "router_kind", o.kind)
}

func parsePipelineFlags(env *Env, args []string) (pipelineOptions, error) {
	var o pipelineOptions
	ints := []struct {
		env string
		def int
		dst *int
	}{{"BENCHMARK_LIMIT", -1, &o.benchLimit}, {"EVAL_LIMIT", -1, &o.evalLimit}, {"SFT_EPOCHS", 3, &o.sftEpochs}, {"DPO_EPOCHS", 1, &o.dpoEpochs}}
	for _, e := range ints {
		v, err := envInt(env, e.env, e.def)
		if err != nil {
			return o, err
		}
		*e.dst = v
	}
	o.modelName = strings.TrimSpace(env.Getenv("MODEL_NAME"))
	o.kind = router.KindClassifier
	if slices.Contains([]string{router.KindClassifier, router.KindKNN, router.KindRandom, router.KindMulti}, o.modelName) {
		o.kind = o.modelName
	}
	fs := newFlagSet(env, "pipeline", "[--benchmark mmlu|gsm8k|recorded|simpleqa | --input-file captured.jsonl --judge pairwise|reference] [--data-dir DIR] [--model-dir DIR] [--results-dir DIR] [--force]")
	fs.StringVar(&o.benchmark, "benchmark", "mmlu", "benchmark: mmlu, gsm8k, recorded (embedded, offline) or simpleqa (live; needs GEMINI_API_KEY)")
	fs.StringVar(&o.dataDir, "data-dir", "./data", "root of benchmarks/, splits/, generated/, training/ and the stage stamps (.pipeline/)")
	fs.StringVar(&o.modelDir, "model-dir", "./router_checkpoints/router_final", "trained router directory")
	fs.StringVar(&o.resultsDir, "results-dir", "./evaluation/results", "evaluation output directory")
	fs.StringVar(&o.config, "config", "", "YAML config with a models section (prices, providers); default: built-in")
	fs.BoolVar(&o.force, "force", false, "rerun every stage even if its outputs are up to date")
	fs.BoolVar(&o.verbose, "v", false, "show each stage's own output")
	fs.BoolVar(&o.offline, "offline", false, "download: use the SimpleQA copy embedded in the binary (same sha256 as the official file) instead of fetching it")
	fs.Float64Var(&o.trainRatio, "train-ratio", 0.8, "train share of the split")
	fs.Float64Var(&o.strongShare, "strong-share", 0.3, "calibrate the threshold to send this share of queries to the strong model")
	fs.Uint64Var(&o.seed, "seed", 42, "seed for the split and training")
	fs.IntVar(&o.benchLimit, "limit", o.benchLimit, "oracle limit on the train split, 0 = all (env BENCHMARK_LIMIT; default: 1000 for simpleqa, which is paid, else all)")
	fs.IntVar(&o.evalLimit, "eval-limit", o.evalLimit, "eval limit on the test split, 0 = all (env EVAL_LIMIT; default: 500 for simpleqa, else all)")
	fs.IntVar(&o.sftEpochs, "sft-epochs", o.sftEpochs, "SFT epochs (env SFT_EPOCHS)")
	fs.IntVar(&o.dpoEpochs, "dpo-epochs", o.dpoEpochs, "DPO epochs (env DPO_EPOCHS)")
	fs.StringVar(&o.routers, "routers", "classifier,random,rules", "routers eval compares with the trained one (add knn for the similarity-weighted kNN; it costs minutes on the full MMLU split)")
	fs.IntVar(&o.concurrency, "concurrency", 0, "upstream calls in flight for oracle and eval (0 = their default)")
	fs.StringVar(&o.models, "models", "", "every model the oracle answers with, comma-separated (default: the benchmark's cheap and strong models); more than two train the N-model router")
	addPipelineInputFlags(fs, &o)
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	if err := resolvePipelineInput(&o); err != nil {
		return o, err
	}
	list, err := parseModelList("--models", o.models)
	if err != nil {
		return o, err
	}
	if len(list) > 2 {
		o.kind = router.KindMulti
	}
	if o.inputFile == "" && !slices.Contains([]string{"mmlu", "gsm8k", "recorded", "simpleqa"}, o.benchmark) {
		return o, fmt.Errorf("%w: --benchmark %q: want mmlu, gsm8k, recorded or simpleqa", errUsage, o.benchmark)
	}
	// Live SimpleQA costs money per question: default to 1000 oracle and
	// 500 eval questions so a run's cost is bounded. The recorded
	// benchmarks are free, so use them whole.
	// Your own questions are answered live, so they are bounded too.
	paid := o.benchmark == "simpleqa" || o.inputFile != ""
	if o.benchLimit == -1 {
		o.benchLimit = map[bool]int{true: 1000, false: 0}[paid]
	}
	if o.evalLimit == -1 {
		o.evalLimit = map[bool]int{true: 500, false: 0}[paid]
	}
	if _, err := parseRouterList(o.routers, false); err != nil {
		return o, err
	}
	if !(o.strongShare >= 0 && o.strongShare <= 1) {
		return o, fmt.Errorf("%w: --strong-share %v: want a number in [0, 1]", errUsage, o.strongShare)
	}
	for name, v := range map[string]int{"--limit": o.benchLimit, "--eval-limit": o.evalLimit, "--sft-epochs": o.sftEpochs, "--dpo-epochs": o.dpoEpochs, "--concurrency": o.concurrency} {
		if v < 0 {
			return o, fmt.Errorf("%w: %s %d: want >= 0", errUsage, name, v)
		}
	}
	return o, nil
}
