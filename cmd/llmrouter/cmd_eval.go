package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/eval"
	"github.com/llmrouter/llmrouter/internal/report"
	"github.com/llmrouter/llmrouter/internal/router"
)

// evalOptions are eval's flags.
type evalOptions struct {
	modelPath, testFile, outputDir, config, sftPath string
	cheap, strong, judge                            string
	routers                                         []string
	limit, concurrency                              int
	threshold                                       float64 // NaN: the model's calibrated one
	compareBaseline                                 bool
	// judgeMode is --judge: gold, pairwise or reference.
	judgeMode string
}

// knownRouters are the names --routers accepts.
var knownRouters = []string{router.KindClassifier, router.KindKNN, router.KindRandom, "rules"}

func parseEvalFlags(env *Env, args []string) (evalOptions, error) {
	o := evalOptions{threshold: math.NaN()}
	lim, err := envInt(env, "EVAL_LIMIT", 0)
	if err != nil {
		return o, err
	}
	fs := newFlagSet(env, "eval", "--model-path DIR --test-file FILE [--output-dir DIR] [--compare-baseline] [--limit N] [--threshold T] [--routers classifier,knn,random,rules]")
	fs.StringVar(&o.modelPath, "model-path", "./router_checkpoints/router_final", "trained router directory")
	fs.StringVar(&o.testFile, "test-file", "", "test split JSONL (required; never the train split)")
	fs.StringVar(&o.outputDir, "output-dir", "./evaluation/results", "where comparison.json, report.html, curve.png and the test-split answer journal go")
	fs.BoolVar(&o.compareBaseline, "compare-baseline", false, "also evaluate the comparison routers (kNN, random, rules) next to the trained one")
	fs.IntVar(&o.limit, "limit", lim, "evaluate the first N test questions, 0 = all (env EVAL_LIMIT)")
	thr := fs.String("threshold", "", "score threshold for the trained router (default: the calibrated one in the model)")
	rs := fs.String("routers", "", "comma-separated routers to compare: classifier, knn, random, rules (default with --compare-baseline: all)")
	fs.StringVar(&o.config, "config", "", "YAML config with a models section (prices, providers); default: built-in")
	fs.IntVar(&o.concurrency, "concurrency", 0, "upstream calls in flight while answering the test split (0 = the oracle default)")
	fs.StringVar(&o.cheap, "cheap-model", "", "cheap model (default: the benchmark's default in the catalogue)")
	fs.StringVar(&o.strong, "strong-model", "", "strong model (default: the benchmark's default)")
	fs.StringVar(&o.judge, "judge-model", "", "judge model, or \"rule\" (default: the benchmark's default; the strong model with --judge pairwise or reference)")
	fs.StringVar(&o.judgeMode, "judge", judgeModeGold, "gold: grade answers against the gold answer; pairwise or reference: judge-derived labels for questions without one (captured traffic)")
	fs.StringVar(&o.sftPath, "sft-data-path", "", "SFT file the kNN and random baselines are fitted on (default: the trained router's own)")
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	if o.testFile == "" {
		return o, fmt.Errorf("%w: --test-file is required", errUsage)
	}
	if err := checkJudgeFlag(o.judgeMode); err != nil {
		return o, err
	}
	if o.limit < 0 || o.concurrency < 0 {
		return o, fmt.Errorf("%w: --limit and --concurrency must be >= 0", errUsage)
	}
	if *thr != "" {
		t, err := strconv.ParseFloat(*thr, 64)
		if err != nil || !(t >= 0 && t <= 1) {
			return o, fmt.Errorf("%w: --threshold %q: want a number in [0, 1]", errUsage, *thr)
		}
		o.threshold = t
	}
	if o.routers, err = parseRouterList(*rs, o.compareBaseline); err != nil {
		return o, err
	}
	return o, nil
}

func parseRouterList(s string, compare bool) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		if compare {
			return slices.Clone(knownRouters), nil
		}
		return nil, nil // the trained router only
	}
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(knownRouters, name) {
			return nil, fmt.Errorf("%w: --routers: unknown router %q (want %s)", errUsage, name, strings.Join(knownRouters, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

func runEval(ctx context.Context, env *Env, args []string) error {
	o, err := parseEvalFlags(env, args)
	if err != nil {
		return err
	}
	model, err := router.Load(o.modelPath)
	if err != nil {
		return err
	}
	items, _, _, err := dataset.ReadQuestions(o.testFile, "auto")
	if err != nil {
		return err
	}
	if o.limit > 0 && o.limit < len(items) {
		items = items[:o.limit]
	}
	rows, models, err := answerTestSplit(ctx, env, o, model, items)
	if err != nil {
		return err
	}
	var runs []eval.RouterRun
	if pairwise(model) {
		routers, err := comparisonRouters(ctx, env, o, model)
		if err != nil {
			return err
		}
		if runs, err = eval.RouteRows(ctx, routers, rows); err != nil {
			return err
		}
	}
	cmp, err := eval.Evaluate(eval.QuestionsFromRows(rows), runs, eval.Options{
		Benchmark: benchmarkOf(items), TestFile: o.testFile, Models: models,
	})
	if err != nil {
		return err
	}
	if len(runs) > 0 {
		if cmp.Cascade, err = evaluateCascade(env, o, model, rows, runs[0], models); err != nil {
			return err
		}
	}
	if cmp.Multi, err = evaluateMulti(o, model, rows); err != nil {
		return err
	}
	if cmp.Drift, err = measureEvalDrift(ctx, env, model, rows); err != nil {
		return err
	}
	paths, err := report.WriteAll(o.outputDir, cmp)
	if err != nil {
		return err
	}
	printEvalSummary(env.Stdout, cmp)
	fmt.Fprintf(env.Stdout, "wrote %s\n", strings.Join(paths, ", "))
	return nil
}

func benchmarkOf(items []dataset.Item) string {
	for _, it := range items {
		if it.Benchmark != "" {
			return it.Benchmark
		}
	}
	return "custom"
}

// printEvalSummary prints the compact side-by-side table.
func printEvalSummary(w io.Writer, cmp *eval.Comparison) {
	fmt.Fprintf(w, "%s: %d test questions, cheap %s vs strong %s\n", cmp.Benchmark, cmp.N, cmp.Models.Cheap, cmp.Models.Strong)
	if note := judgeDerivedNote(cmp.Models.Judge); note != "" {
		fmt.Fprintln(w, note)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "router\tstrong share\taccuracy\tPGR\tAPGR\tAUC\tshare@80%\tshare@90%\tshare@95%\tcost/query\tsavings\t")
	rows := append(slices.Clone(cmp.Routers), cmp.Baselines...)
	for _, r := range rows {
		apgr, auc, s80, s90, s95 := "—", "—", "—", "—", "—"
		if r.CurveStats != nil {
			apgr, auc = fnum(r.APGR), fnum(r.AUC)
			s80, s90, s95 = fpct(r.StrongShareAt80), fpct(r.StrongShareAt90), fpct(r.StrongShareAt95)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Name, fpct(r.StrongShare), fpct(r.Accuracy),
			fnum(r.PGR), apgr, auc, s80, s90, s95, fusd(r.CostPerQuery), fpct(r.CostSavings))
	}
	tw.Flush()
	if cmp.Benchmark == "simpleqa" || anyNotAttempted(rows) {
		fmt.Fprintln(w, "SimpleQA metrics:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "router	is_correct	not attempted	accuracy given attempted	F-score	total cost	")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t$%.4f\t\n", r.Name, fpct(r.Accuracy), fpct(r.NotAttemptedShare),
				fpct(r.AccuracyGivenAttempted), fnum(r.FScore), float64(r.Cost))
		}
		tw.Flush()
	}
	if cmp.Cascade != nil {
		printCascadeSummary(w, cmp.Cascade)
	}
	if cmp.Multi != nil {
		printMultiEval(w, cmp.Multi)
	}
	printDriftSummary(w, cmp.Drift)
}

func anyNotAttempted(rs []eval.Result) bool {
	for _, r := range rs {
		if r.NotAttemptedShare.Valid() && r.NotAttemptedShare > 0 {
			return true
		}
	}
	return false
}

// printEvalSummaryFile prints the summary of an existing comparison.json.
func printEvalSummaryFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cmp, err := report.ReadJSON(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	printEvalSummary(w, cmp)
	return nil
}

func fnum(f eval.Float) string {
	if !f.Valid() {
		return "—"
	}
	return fmt.Sprintf("%.3f", float64(f))
}

func fpct(f eval.Float) string {
	if !f.Valid() {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", float64(f)*100)
}

func fusd(f eval.Float) string {
	if !f.Valid() {
		return "—"
	}
	return fmt.Sprintf("$%.5f", float64(f))
}
