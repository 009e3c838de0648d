package main

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/llmrouter/llmrouter/internal/cascade"
	"github.com/llmrouter/llmrouter/internal/router"
)

type calibrateOptions struct {
	modelPath, queries        string
	strongShare, cascadeShare float64
	skipShare                 float64
	// strong, cascade and skip say which thresholds to set. Without any
	// share flag the query threshold is set at the default share, as before
	// cascades existed.
	strong, cascade, skip bool
	// costTarget and qualityTarget set an N-model router's knob (NaN: not
	// given); strongGiven says --strong-share was given explicitly.
	costTarget, qualityTarget float64
	strongGiven               bool
}

func parseCalibrateFlags(env *Env, args []string) (calibrateOptions, error) {
	var o calibrateOptions
	flags := newFlagSet(env, "calibrate", "--model-path DIR [--strong-share 0.3] [--cascade-share 0.3] [--queries FILE]")
	flags.StringVar(&o.modelPath, "model-path", routerDefaultModel, "model directory")
	flags.Float64Var(&o.strongShare, "strong-share", 0.3, "share of queries to send to the strong model, in [0, 1]")
	flags.Float64Var(&o.cascadeShare, "cascade-share", math.NaN(), "share of cheap answers the cascade verifier escalates to the strong model, in [0, 1]")
	flags.Float64Var(&o.skipShare, "cascade-skip-share", math.NaN(), "share of queries, by query-router score, that a cascade sends straight to the strong model without the cheap call (0 turns pre-routing off)")
	flags.Float64Var(&o.costTarget, "target-cost-per-query", math.NaN(), "N-model router: the most accurate threshold whose held-out cost per query is at most this many USD")
	flags.Float64Var(&o.qualityTarget, "target-quality", math.NaN(), "N-model router: the cheapest threshold whose held-out accuracy reaches this share of the best single model's, in (0, 1]")
	flags.StringVar(&o.queries, "queries", "", "queries to calibrate on (.jsonl with query/problem/prompt, or one per line; --cascade-share needs .jsonl objects with cheap_answer too); default: the training scores stored in the model")
	if err := parseFlags(flags, args); err != nil {
		return o, err
	}
	o.cascade = trainFlagGiven(flags, "cascade-share")
	o.skip = trainFlagGiven(flags, "cascade-skip-share")
	lambda := !math.IsNaN(o.costTarget) || !math.IsNaN(o.qualityTarget)
	o.strongGiven = trainFlagGiven(flags, "strong-share")
	o.strong = o.strongGiven || !o.cascade && !o.skip && !lambda
	switch {
	case !math.IsNaN(o.costTarget) && !math.IsNaN(o.qualityTarget):
		return o, fmt.Errorf("%w: give one of --target-cost-per-query and --target-quality", errUsage)
	case lambda && o.strongGiven:
		return o, fmt.Errorf("%w: --strong-share and a --target-* flag both set the threshold; give one", errUsage)
	case !math.IsNaN(o.costTarget) && !(o.costTarget >= 0) || math.IsInf(o.costTarget, 0):
		return o, fmt.Errorf("%w: --target-cost-per-query %v: want a cost in USD >= 0", errUsage, o.costTarget)
	case !math.IsNaN(o.qualityTarget) && !(o.qualityTarget > 0 && o.qualityTarget <= 1):
		return o, fmt.Errorf("%w: --target-quality %v outside (0, 1]", errUsage, o.qualityTarget)
	case !(o.strongShare >= 0 && o.strongShare <= 1):
		return o, fmt.Errorf("%w: --strong-share %v outside [0, 1]", errUsage, o.strongShare)
	case o.cascade && !(o.cascadeShare >= 0 && o.cascadeShare <= 1):
		return o, fmt.Errorf("%w: --cascade-share %v outside [0, 1]", errUsage, o.cascadeShare)
	case o.skip && !(o.skipShare >= 0 && o.skipShare <= 1):
		return o, fmt.Errorf("%w: --cascade-skip-share %v outside [0, 1]", errUsage, o.skipShare)
	}
	return o, nil
}

// runCalibrate sets the query router's threshold, the cascade verifier's, or
// both, and saves them together so that a failure leaves both as they were.
func runCalibrate(_ context.Context, env *Env, args []string) error {
	o, err := parseCalibrateFlags(env, args)
	if err != nil {
		return err
	}
	m, err := router.Load(o.modelPath)
	if err != nil {
		return err
	}
	if (o.cascade || o.skip) && m.Cascade == nil {
		flag := "--cascade-share"
		if !o.cascade {
			flag = "--cascade-skip-share"
		}
		return fmt.Errorf("%s: model %s has no cascade verifier (train it on SFT rows that carry cheap_answer)", flag, o.modelPath)
	}
	var inputs []routeInput
	if o.queries != "" {
		if inputs, err = readRouteInputs(o.queries); err != nil {
			return err
		}
	}
	var report []string
	if m.Meta.Multi != nil && o.strong && !o.strongGiven {
		// An N-model router's default target is quality, as train's.
		o.strong, o.qualityTarget = false, 0.95
	}
	if !math.IsNaN(o.costTarget) || !math.IsNaN(o.qualityTarget) {
		line, err := calibrateLambda(m, o)
		if err != nil {
			return err
		}
		report = append(report, line)
	}
	if o.strong {
		qs, source := make([]string, len(inputs)), ""
		for i, in := range inputs {
			qs[i] = in.Query
		}
		if o.queries != "" {
			source = fmt.Sprintf("%d queries from %s", len(qs), o.queries)
		}
		t, err := router.Calibrate(m, o.strongShare, qs, source)
		if err != nil {
			return err
		}
		report = append(report, fmt.Sprintf("threshold %.6f sends %.1f%% of %s to the strong model",
			t, 100*o.strongShare, calibrateSource(m.Meta.ThresholdSource)))
		if m.Meta.Multi != nil {
			if err := m.SetLambda(t, m.Meta.ThresholdSource, fmt.Sprintf("share %.2f beyond the cheapest model", o.strongShare)); err != nil {
				return err
			}
		}
	}
	if o.cascade {
		t, err := calibrateCascade(m.Cascade, o.cascadeShare, inputs, o.queries)
		if err != nil {
			return err
		}
		report = append(report, fmt.Sprintf("cascade threshold %.6f escalates %.1f%% of %s to the strong model",
			t, 100*o.cascadeShare, calibrateSource(m.Cascade.Meta.ThresholdSource)))
	}
	if o.skip {
		line, err := calibrateSkip(m, o.skipShare, inputs, o.queries)
		if err != nil {
			return err
		}
		report = append(report, line)
	}
	if err := router.SaveMeta(o.modelPath, m); err != nil {
		return err
	}
	for _, line := range report {
		fmt.Fprintf(env.Stdout, "%s (saved in %s)\n", line, o.modelPath)
	}
	return nil
}

// calibratePrefix starts the threshold source calibrate records.
const calibratePrefix = "calibrate: "

// calibrateSource is a recorded threshold source as the report shows it.
func calibrateSource(s string) string { return strings.TrimPrefix(s, calibratePrefix) }

// calibrateCascade sets v's threshold so that share of the cheap answers
// escalate: the (1 − share) quantile of the answers' escalate scores, or,
// without answers, of the out-of-fold training scores stored in v.
func calibrateCascade(v *cascade.Verifier, share float64, inputs []routeInput, file string) (float64, error) {
	var sorted []float64
	source := "the training answers (out-of-fold scores)"
	if len(inputs) > 0 {
		sorted = make([]float64, len(inputs))
		for i, in := range inputs {
			if !in.HasAnswer {
				return 0, fmt.Errorf("%s: no cheap_answer; --cascade-share calibrates on query and cheap_answer pairs (JSONL)", in.where())
			}
			sorted[i] = v.Score(in.Query, in.CheapAnswer)
		}
		sort.Float64s(sorted)
		source = fmt.Sprintf("%d answers from %s", len(inputs), file)
	} else if sorted = v.Meta.ScoreQuantiles; len(sorted) == 0 {
		return 0, fmt.Errorf("--cascade-share: the cascade verifier has no stored training scores; pass --queries with query and cheap_answer objects")
	}
	t := cascade.ThresholdForShare(sorted, share)
	if err := v.SetThreshold(t, share, calibratePrefix+source); err != nil {
		return 0, fmt.Errorf("--cascade-share: %w", err)
	}
	return t, nil
}

// calibrateSkip turns a cascade's pre-routing on at the query score that
// sends share of the queries straight to the strong model, or off at 0.
// eval's pre-routing table says whether that pays for a given model pair.
func calibrateSkip(m *router.Model, share float64, inputs []routeInput, file string) (string, error) {
	if share == 0 {
		if err := m.Cascade.SetSkipThreshold(math.NaN(), calibratePrefix+"off"); err != nil {
			return "", err
		}
		return "cascade pre-routing off: every cascade query asks the cheap model first", nil
	}
	var sorted []float64
	source := orDefaultString(m.Meta.ScoreQuantilesSource, "training-query scores")
	if len(inputs) > 0 {
		sorted = make([]float64, len(inputs))
		for i, in := range inputs {
			sorted[i] = m.Predict(in.Query).Score
		}
		sort.Float64s(sorted)
		source = fmt.Sprintf("%d queries from %s", len(inputs), file)
	} else if sorted = m.Meta.ScoreQuantiles; len(sorted) == 0 {
		return "", fmt.Errorf("--cascade-skip-share: the model has no stored training scores; pass --queries")
	}
	t := router.ThresholdForShare(sorted, share)
	if err := m.Cascade.SetSkipThreshold(t, calibratePrefix+source); err != nil {
		return "", fmt.Errorf("--cascade-skip-share: %w", err)
	}
	return fmt.Sprintf("cascade skip threshold %.6f sends %.1f%% of %s straight to the strong model", t, 100*share, source), nil
}

func orDefaultString(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// calibrateLambda sets an N-model router's threshold t from its stored
// held-out curve: the cheapest t meeting a quality target, or the most
// accurate one within a cost per query. A target the curve cannot meet is
// an error that names what it can reach.
func calibrateLambda(m *router.Model, o calibrateOptions) (string, error) {
	mm := m.Meta.Multi
	if mm == nil {
		return "", fmt.Errorf("%w: --target-cost-per-query and --target-quality set an N-model router's knob; %s is a %s router (train with --router multi), use --strong-share", errUsage, o.modelPath, m.Meta.Kind)
	}
	var t float64
	var ok bool
	var target string
	if !math.IsNaN(o.costTarget) {
		t, ok = router.TForCost(mm, o.costTarget)
		target = fmt.Sprintf("cost $%.6g per query", o.costTarget)
		if !ok {
			return "", fmt.Errorf("--target-cost-per-query %g: even the cheapest routing costs $%.6g per query on %s", o.costTarget, mm.Curve[len(mm.Curve)-1].CostPerQuery, mm.CurveSource)
		}
	} else {
		t, ok = router.TForQuality(mm, o.qualityTarget)
		target = fmt.Sprintf("quality %.3g of the best single model", o.qualityTarget)
		if !ok {
			return "", fmt.Errorf("--target-quality %g: the router reaches at most %.1f%% accuracy on %s, below %.1f%% (%g × %s's %.1f%%)",
				o.qualityTarget, 100*bestCurveAccuracy(mm), mm.CurveSource, 100*o.qualityTarget*mm.BestSingleAccuracy, o.qualityTarget, mm.BestSingle, 100*mm.BestSingleAccuracy)
		}
	}
	if err := m.SetLambda(t, calibratePrefix+target+" on "+mm.CurveSource, target); err != nil {
		return "", err
	}
	p := mm.Curve[curveIndex(mm, t)]
	return fmt.Sprintf("threshold t %.3f (λ %s) for %s: %.1f%% accuracy at $%.6f per query on %s",
		t, fmtLambda(mm.LambdaPerUSD), target, 100*p.Accuracy, p.CostPerQuery, mm.CurveSource), nil
}

func bestCurveAccuracy(mm *router.MultiMeta) float64 {
	best := 0.0
	for _, p := range mm.Curve {
		best = math.Max(best, p.Accuracy)
	}
	return best
}

// curveIndex is the curve point at t.
func curveIndex(mm *router.MultiMeta, t float64) int {
	for i, p := range mm.Curve {
		if p.T >= t-1e-12 {
			return i
		}
	}
	return len(mm.Curve) - 1
}
