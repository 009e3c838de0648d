package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/judge"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// modelRegistry resolves catalogue names to providers and checks their keys
// before any paid work starts (provider/registry implements it).
type modelRegistry interface {
	Get(model string) (provider.Provider, catalog.Model, error)
	CheckKey(model string) error
}

// judgeRule is the --judge-model value selecting the mechanical judges.
const judgeRule = "rule"

type oracleFlags struct {
	benchmark, input, outDir, cheap, strong, judge, config, matrix, geminiKey string
	models                                                                    []string
	limit, concurrency, batchSize                                             int
	rps                                                                       float64
	rateLimitPatience                                                         time.Duration
	skipErrors                                                                bool
	// judgeMode is --judge (gold, pairwise, reference); inputFormat is
	// --input-format (auto, items, captured).
	judgeMode, inputFormat string
	batch                  batchFlags
}

func runOracle(ctx context.Context, env *Env, args []string) error {
	f, err := parseOracleFlags(env, args)
	if err != nil {
		return err
	}
	getenv := env.Getenv
	if f.geminiKey != "" {
		env.Log.Warn("--gemini-api-key is visible to other users in the process list; prefer the GEMINI_API_KEY environment variable")
		getenv = withEnvOverride(env.Getenv, "GEMINI_API_KEY", f.geminiKey)
	}
	items, err := loadOracleItems(env, f)
	if err != nil {
		return err
	}
	if err := checkJudgeMode(f.judgeMode, items); err != nil {
		return err
	}
	cat, err := catalog.LoadCatalogue(f.config)
	if err != nil {
		return err
	}
	roles, models, err := resolveModels(cat, items, catalog.Roles{Cheap: f.cheap, Strong: f.strong, Judge: f.judge}, f.models)
	if err != nil {
		return err
	}
	if roles, err = judgeRoleDefault(f.judgeMode, f.judge, roles); err != nil {
		return err
	}
	reg, err := newModelRegistry(cat, getenv)
	if err != nil {
		return err
	}
	if err := checkRoleKeys(reg, roles, models...); err != nil {
		return err
	}
	if f.batch.on {
		bp, err := batchRegistry(env, reg, f)
		if err != nil {
			return err
		}
		defer bp.Close()
		reg = bp
	}
	lab, err := buildLabeler(reg, f.judgeMode, roles.Judge, f.matrix, items)
	if err != nil {
		return err
	}
	if roles.Judge == judgeRule && f.judgeMode == judgeModeGold && hasBenchmark(items, "simpleqa", "custom", "") {
		env.Log.Warn("the rule judge cannot grade free-form answers; those will count as NOT_ATTEMPTED (use --judge-model MODEL)")
	}
	env.Log.Info("oracle starting", "questions", len(items), "cheap", roles.Cheap, "strong", roles.Strong,
		"models", strings.Join(models, ","), "judge", lab.name, "concurrency", f.concurrency, "rps", f.rps, "output_dir", f.outDir)
	cfg := oracle.Config{
		Items: items, Cheap: roles.Cheap, Strong: roles.Strong, Models: models,
		Providers: reg, OutputDir: f.outDir,
		Concurrency: f.concurrency, RPS: f.rps, BatchSize: f.batchSize, SkipErrors: f.skipErrors,
		RateLimitPatience: f.rateLimitPatience, Logger: env.Log, Progress: env.Stderr, IsTTY: isTerminal(env.Stderr),
	}
	lab.apply(&cfg)
	if f.batch.on {
		batchConfig(&cfg)
	}
	sum, err := oracle.Run(ctx, cfg)
	if err != nil {
		return err
	}
	printOracleSummary(env.Stdout, f.outDir, sum)
	return nil
}

func parseOracleFlags(env *Env, args []string) (oracleFlags, error) {
	var f oracleFlags
	defLimit, err := envInt(env, "BENCHMARK_LIMIT", 1000)
	if err != nil {
		return f, err
	}
	fs := newFlagSet(env, "oracle", "[--benchmark custom|simpleqa|mmlu|gsm8k|recorded] [--input-file FILE] [--judge gold|pairwise|reference] [--output-dir DIR] [--limit N] [flags]")
	fs.StringVar(&f.benchmark, "benchmark", "custom", "custom|simpleqa (read --input-file), or mmlu|gsm8k|recorded (embedded recorded outcomes when no --input-file)")
	fs.StringVar(&f.input, "input-file", "", "benchmark or train-split JSONL (dataset items), or the gateway's captured traffic")
	fs.StringVar(&f.inputFormat, "input-format", "auto", "auto (captured when rows have query and no problem), items or captured")
	fs.StringVar(&f.judgeMode, "judge", judgeModeGold, "gold: grade each answer against the gold answer; pairwise: a judge compares the two answers in both orders (no gold needed); reference: grade the cheap answer against the strong one")
	fs.StringVar(&f.outDir, "output-dir", "./data/generated", "directory for oracle_dataset.jsonl, oracle_summary.json and the resume journal oracle_calls.jsonl")
	fs.IntVar(&f.limit, "limit", defLimit, "process at most N questions, 0 for all (default from BENCHMARK_LIMIT)")
	fs.StringVar(&f.cheap, "cheap-model", "", "cheap model from the catalogue (default: the benchmark's defaults)")
	fs.StringVar(&f.strong, "strong-model", "", "strong model from the catalogue (default: the benchmark's defaults)")
	fs.StringVar(&f.judge, "judge-model", "", "judge model from the catalogue, or 'rule' for mechanical grading (default: the benchmark's defaults; the strong model with --judge pairwise or reference)")
	modelList := fs.String("models", "", "every model to answer with, comma-separated catalogue names (default: the cheap and strong models); the matrix's cheap/strong pair must be among them")
	fs.IntVar(&f.concurrency, "concurrency", 16, "upstream calls in flight at once")
	fs.IntVar(&f.batchSize, "batch-size", 50, "finished calls persisted per journal write+fsync, at most")
	fs.Float64Var(&f.rps, "rps", 0, "upstream calls started per second, 0 for unlimited")
	fs.DurationVar(&f.rateLimitPatience, "rate-limit-patience", oracle.DefaultRateLimitPatience,
		"how long one call may keep being refused with 429 (backoffs included) before the run stops; it slows down until then, and a rerun resumes")
	fs.StringVar(&f.config, "config", "", "model catalogue / price table YAML (default: built-in models.yaml)")
	fs.StringVar(&f.matrix, "matrix", "", "oracle matrix YAML (default: built-in; see 'matrix.yaml' in the docs)")
	fs.StringVar(&f.geminiKey, "gemini-api-key", "", "Gemini API key (deprecated: visible in ps; set GEMINI_API_KEY instead)")
	fs.BoolVar(&f.skipErrors, "skip-errors", false, "leave out questions whose prompt an upstream rejects, instead of failing the run")
	addBatchFlags(fs, &f.batch)
	if err := parseFlags(fs, args); err != nil {
		return f, err
	}
	if f.models, err = parseModelList("--models", *modelList); err != nil {
		return f, err
	}
	switch {
	case f.limit < 0:
		return f, fmt.Errorf("%w: --limit must be >= 0, got %d", errUsage, f.limit)
	case f.concurrency < 1:
		return f, fmt.Errorf("%w: --concurrency must be >= 1, got %d", errUsage, f.concurrency)
	case f.batchSize < 1:
		return f, fmt.Errorf("%w: --batch-size must be >= 1, got %d", errUsage, f.batchSize)
	case f.rps < 0:
		return f, fmt.Errorf("%w: --rps must be >= 0, got %v", errUsage, f.rps)
	case f.rateLimitPatience <= 0:
		return f, fmt.Errorf("%w: --rate-limit-patience must be > 0, got %v", errUsage, f.rateLimitPatience)
	case f.outDir == "":
		return f, fmt.Errorf("%w: --output-dir must not be empty", errUsage)
	case f.batch.check() != nil:
		return f, f.batch.check()
	case f.inputFormat != "auto" && f.inputFormat != dataset.FormatItems && f.inputFormat != dataset.FormatCaptured:
		return f, fmt.Errorf("%w: --input-format %q: want auto, items or captured", errUsage, f.inputFormat)
	case checkJudgeFlag(f.judgeMode) != nil:
		return f, checkJudgeFlag(f.judgeMode)
	}
	switch f.benchmark {
	case "custom", "simpleqa", dataset.BenchmarkCaptured:
		if f.input == "" {
			return f, fmt.Errorf("%w: --benchmark %s needs --input-file (run 'llmrouter download' and 'llmrouter split' first)", errUsage, f.benchmark)
		}
	case "mmlu", "gsm8k", "recorded":
	default:
		return f, fmt.Errorf("%w: --benchmark %q is not one of custom, simpleqa, mmlu, gsm8k, recorded", errUsage, f.benchmark)
	}
	return f, nil
}

// withEnvOverride answers name from value and everything else from getenv.
func withEnvOverride(getenv func(string) string, name, value string) func(string) string {
	return func(k string) string {
		if k == name {
			return value
		}
		return getenv(k)
	}
}

// loadOracleItems reads the input file, or the embedded recorded benchmark,
// and applies --limit.
func loadOracleItems(env *Env, f oracleFlags) ([]dataset.Item, error) {
	var items []dataset.Item
	var err error
	if f.input != "" {
		var format string
		var dropped int
		items, format, dropped, err = dataset.ReadQuestions(f.input, f.inputFormat)
		if format == dataset.FormatCaptured && err == nil {
			env.Log.Info("read captured traffic", "file", f.input, "questions", len(items), "repeats_dropped", dropped)
		}
	} else {
		items, err = dataset.RecordedItems(f.benchmark)
	}
	if err != nil {
		return nil, err
	}
	for i := range items {
		if strings.TrimSpace(items[i].Problem) == "" {
			return nil, fmt.Errorf("%s: item %q has an empty problem", f.input, items[i].ID)
		}
		if items[i].Benchmark == "" && f.benchmark != "custom" && f.benchmark != "recorded" {
			items[i].Benchmark = f.benchmark
		}
	}
	if f.limit > 0 && len(items) > f.limit {
		items = items[:f.limit]
	}
	return items, nil
}

// resolveRoles fills unset roles from the catalogue's defaults: recorded
// items (MMLU, GSM8K) default to the recorded models and the rule judge,
// anything else to the SimpleQA roles. Every named model must exist.
func resolveRoles(cat *catalog.Catalogue, items []dataset.Item, r catalog.Roles) (catalog.Roles, error) {
	family := rolesFamily(items)
	def, ok := cat.Defaults[family]
	if !ok && (r.Cheap == "" || r.Strong == "" || r.Judge == "") {
		return r, fmt.Errorf("config has no defaults.%s roles: pass --cheap-model, --strong-model and --judge-model", family)
	}
	pick := func(flag, fallback string) string {
		if flag != "" {
			return flag
		}
		return fallback
	}
	r = catalog.Roles{Cheap: pick(r.Cheap, def.Cheap), Strong: pick(r.Strong, def.Strong), Judge: pick(r.Judge, def.Judge)}
	for _, m := range []struct{ flag, name string }{{"--cheap-model", r.Cheap}, {"--strong-model", r.Strong}, {"--judge-model", r.Judge}} {
		if m.name == judgeRule && m.flag == "--judge-model" {
			continue
		}
		if _, err := cat.Lookup(m.name); err != nil {
			return r, fmt.Errorf("%s: %w", m.flag, err)
		}
	}
	if r.Cheap == r.Strong {
		return r, fmt.Errorf("--cheap-model and --strong-model are both %q; the oracle compares two different models", r.Cheap)
	}
	return r, nil
}

// rolesFamily picks the catalogue's default roles: the recorded models for
// recorded benchmarks, the live (SimpleQA) ones for anything else, captured
// traffic included.
func rolesFamily(items []dataset.Item) string {
	if hasBenchmark(items, "simpleqa", "custom", "", dataset.BenchmarkCaptured) {
		return "simpleqa"
	}
	return "recorded"
}

func hasBenchmark(items []dataset.Item, names ...string) bool {
	for _, it := range items {
		for _, n := range names {
			if it.Benchmark == n {
				return true
			}
		}
	}
	return false
}

// checkRoleKeys fails fast, before any call is paid for, when a live model
// has no API key.
func checkRoleKeys(reg modelRegistry, r catalog.Roles, more ...string) error {
	for _, m := range append([]string{r.Cheap, r.Strong, r.Judge}, more...) {
		if m == judgeRule {
			continue
		}
		if err := reg.CheckKey(m); err != nil {
			return err
		}
	}
	return nil
}

// buildJudge returns the rule judge, or an LLM judge behind it: mechanical
// checks (recorded outcomes, letters, final numbers) settle what they can
// for free and the LLM grades the rest.
func buildJudge(reg modelRegistry, name string, items []dataset.Item) (judge.Judge, error) {
	var table *judge.RecordedTable
	if hasBenchmark(items, "gsm8k") {
		rec, err := dataset.Recorded()
		if err != nil {
			return nil, err
		}
		table = judge.NewRecordedTable(rec)
	}
	rule := judge.Rule(table)
	if name == judgeRule {
		return rule, nil
	}
	p, m, err := reg.Get(name)
	if err != nil {
		return nil, fmt.Errorf("--judge-model: %w", err)
	}
	return judge.Chain(rule, judge.NewLLM(p, m)), nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func printOracleSummary(w io.Writer, dir string, s *oracle.Summary) {
	fmt.Fprintf(w, "oracle: %d of %d questions labelled → %s\n", s.Rows, s.Questions, filepath.Join(dir, oracle.DatasetFile))
	// Roles are named only among more models than the pair.
	models, named := s.Models, len(s.Models) > 0
	if !named {
		models = []oracle.ModelSummary{s.Cheap, s.Strong}
	}
	for _, m := range models {
		role := ""
		switch {
		case !named:
		case m.Model == s.Cheap.Model:
			role = " (cheap)"
		case m.Model == s.Strong.Model:
			role = " (strong)"
		}
		fmt.Fprintf(w, "  %-28s accuracy %5.1f%%  cost $%.4f%s\n", m.Model, 100*m.Accuracy, m.CostUSD, role)
	}
	fmt.Fprintf(w, "  judge %-22s cost $%.4f   total $%.4f\n", s.Judge.Name, s.Judge.CostUSD, s.TotalCost)
	if s.Batch {
		fmt.Fprintf(w, "  costs at the batch price (--batch)\n")
	}
	for _, p := range []string{"Standard_Query", "Complex_Query", "Ambiguous_Query"} {
		fmt.Fprintf(w, "  %-16s %d\n", p, s.Policies[p])
	}
	printLabelSummary(w, s)
	fmt.Fprintf(w, "  calls: %d made, %d resumed from the journal; %.1fs\n", s.CallsMade, s.CallsResumed, s.WallSeconds)
	if len(s.Skipped) > 0 {
		fmt.Fprintf(w, "  skipped %d questions after per-item errors (see %s)\n", len(s.Skipped), filepath.Join(dir, oracle.SummaryFile))
	}
}
