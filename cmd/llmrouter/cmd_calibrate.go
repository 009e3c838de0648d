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
}

func parseCalibrateFlags(env *Env, args []string) (calibrateOptions, error) {
	var o calibrateOptions
	flags := newFlagSet(env, "calibrate", "--model-path DIR [--strong-share 0.3] [--cascade-share 0.3] [--queries FILE]")
	flags.StringVar(&o.modelPath, "model-path", routerDefaultModel, "model directory")
	flags.Float64Var(&o.strongShare, "strong-share", 0.3, "share of queries to send to the strong model, in [0, 1]")
	flags.Float64Var(&o.cascadeShare, "cascade-share", math.NaN(), "share of cheap answers the cascade verifier escalates to the strong model, in [0, 1]")
	flags.Float64Var(&o.skipShare, "cascade-skip-share", math.NaN(), "share of queries, by query-router score, that a cascade sends straight to the strong model without the cheap call (0 turns pre-routing off)")
	flags.StringVar(&o.queries, "queries", "", "queries to calibrate on (.jsonl with query/problem/prompt, or one per line; --cascade-share needs .jsonl objects with cheap_answer too); default: the training scores stored in the model")
	if err := parseFlags(flags, args); err != nil {
		return o, err
	}
	o.cascade = trainFlagGiven(flags, "cascade-share")
	o.skip = trainFlagGiven(flags, "cascade-skip-share")
	o.strong = trainFlagGiven(flags, "strong-share") || !o.cascade && !o.skip
	switch {
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
