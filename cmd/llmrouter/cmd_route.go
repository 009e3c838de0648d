package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/llmrouter/llmrouter/internal/router"
)

type routeOptions struct {
	modelPath, query, cheapAnswer, testFile, config string
	jsonOut, endToEnd, cascade                      bool
	// hasCheapAnswer is set when --cheap-answer was given, even empty.
	hasCheapAnswer              bool
	threshold, cascadeThreshold float64
}

// routeResult is one line of `route --json`.
type routeResult struct {
	Query         string             `json:"query"`
	Policy        string             `json:"policy"`
	Model         string             `json:"model"`
	Score         float64            `json:"score"`
	Threshold     float64            `json:"threshold"`
	Probabilities map[string]float64 `json:"probabilities"`
	// Candidates are an N-model router's estimates: each model's chance
	// of success and expected cost.
	Candidates []router.Estimate `json:"candidates,omitempty"`
	// Drift is how unlike the router's training queries the query is, in
	// [0, 1]; OutOfDistribution is drift >= router.DriftThreshold. Both
	// absent for a router with no notion of its training queries (random).
	Drift             *float64 `json:"drift,omitempty"`
	OutOfDistribution *bool    `json:"out_of_distribution,omitempty"`
	// Only where a cheap answer was given or, with --cascade, fetched;
	// pointers so that a score of 0 and escalate=false still print.
	EscalateScore    *float64 `json:"escalate_score,omitempty"`
	Escalate         *bool    `json:"escalate,omitempty"`
	CascadeThreshold *float64 `json:"cascade_threshold,omitempty"`
	// --cascade only: each call made. Model, Answer and the totals below
	// then describe the answer returned and all calls together.
	SkippedCheap bool       `json:"skipped_cheap,omitempty"`
	Cheap        *routeCall `json:"cheap,omitempty"`
	Strong       *routeCall `json:"strong,omitempty"`
	// Calls are an N-model cascade's calls up the cost order.
	Calls []routeCall `json:"calls,omitempty"`
	// End-to-end only.
	Answer       string  `json:"answer,omitempty"`
	InputTokens  int     `json:"input_tokens,omitempty"`
	OutputTokens int     `json:"output_tokens,omitempty"`
	CostUSD      float64 `json:"cost_usd,omitempty"`
}

func parseRouteFlags(env *Env, args []string) (routeOptions, error) {
	var o routeOptions
	flags := newFlagSet(env, "route", "--model-path DIR (--query Q [--cheap-answer A] | --test-file F) [--json] [--threshold T] [--cascade-threshold T] [--end-to-end [--cascade]]")
	flags.StringVar(&o.modelPath, "model-path", routerDefaultModel, "model directory")
	flags.StringVar(&o.query, "query", "", "one query to route")
	flags.StringVar(&o.cheapAnswer, "cheap-answer", "", "the cheap model's answer to --query, for the cascade verifier's escalate score")
	flags.StringVar(&o.testFile, "test-file", "", "queries: .jsonl objects with query/problem/prompt (and optionally cheap_answer), or one query per line")
	flags.BoolVar(&o.jsonOut, "json", false, "print one JSON object per query, in input order")
	flags.Float64Var(&o.threshold, "threshold", math.NaN(), "override the model's threshold, in [0, 1] (Complex_Query when score >= threshold; for an N-model router, the cost–quality knob t)")
	flags.Float64Var(&o.cascadeThreshold, "cascade-threshold", math.NaN(), "override the cascade verifier's threshold, in [0, 1] (escalate when escalate_score >= it)")
	flags.BoolVar(&o.endToEnd, "end-to-end", false, "answer each query with the chosen model and print answer, tokens and cost")
	flags.BoolVar(&o.cascade, "cascade", false, "with --end-to-end: ask the cheap model, score its answer with the cascade verifier, and ask the strong model only on escalation")
	flags.StringVar(&o.config, "config", "", "model catalogue for --end-to-end (default: built-in models.yaml)")
	if err := parseFlags(flags, args); err != nil {
		return o, err
	}
	o.hasCheapAnswer = trainFlagGiven(flags, "cheap-answer")
	switch {
	case (o.query == "") == (o.testFile == ""):
		return o, fmt.Errorf("%w: give exactly one of --query and --test-file", errUsage)
	case !math.IsNaN(o.threshold) && !(o.threshold >= 0 && o.threshold <= 1):
		return o, fmt.Errorf("%w: --threshold %v outside [0, 1]", errUsage, o.threshold)
	case !math.IsNaN(o.cascadeThreshold) && !(o.cascadeThreshold >= 0 && o.cascadeThreshold <= 1):
		return o, fmt.Errorf("%w: --cascade-threshold %v outside [0, 1]", errUsage, o.cascadeThreshold)
	case o.hasCheapAnswer && o.query == "":
		return o, fmt.Errorf("%w: --cheap-answer goes with --query; in a --test-file give each object a cheap_answer field", errUsage)
	case o.cascade && !o.endToEnd:
		return o, fmt.Errorf("%w: --cascade needs --end-to-end (it calls the models)", errUsage)
	case o.cascade && o.hasCheapAnswer:
		return o, fmt.Errorf("%w: --cascade asks the cheap model itself; drop --cheap-answer", errUsage)
	}
	return o, nil
}

// inputs are the queries to route, read before anything is printed so a
// bad line fails the run without half its output.
func (o routeOptions) inputs() ([]routeInput, error) {
	if o.testFile != "" {
		return readRouteInputs(o.testFile)
	}
	return []routeInput{{Query: o.query, CheapAnswer: o.cheapAnswer, HasAnswer: o.hasCheapAnswer}}, nil
}

// runRoute prints each query's policy and model. The policy is
// Complex_Query when the score reaches the threshold, otherwise the likelier
// of Standard_Query and Ambiguous_Query; the model comes from the static map
// Standard→cheap, Complex→strong, Ambiguous→cheap.
func runRoute(ctx context.Context, env *Env, args []string) error {
	o, err := parseRouteFlags(env, args)
	if err != nil {
		return err
	}
	m, err := router.Load(o.modelPath)
	if err != nil {
		return err
	}
	inputs, err := o.inputs()
	if err != nil {
		return err
	}
	r := &routeRun{m: m, threshold: m.Threshold(), cascadeMode: o.cascade}
	if !math.IsNaN(o.threshold) {
		r.threshold = o.threshold
	}
	if r.verifier, err = routeVerifier(m, o, inputs); err != nil {
		return err
	}
	if o.endToEnd {
		if r.answer, err = routeAnswerer(env, o.config); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetEscapeHTML(false)
	p := routePrinter{w: env.Stdout, single: len(inputs) == 1, endToEnd: o.endToEnd,
		modelWidth: max(len(m.CheapModel()), len(m.StrongModel())), cascadeColumn: r.verifier != nil}
	for _, c := range m.Candidates() {
		p.modelWidth = max(p.modelWidth, len(c))
	}
	var ood []int // 1-based input numbers
	for i, in := range inputs {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := r.route(ctx, in)
		if err != nil {
			return err
		}
		if res.OutOfDistribution != nil && *res.OutOfDistribution {
			ood = append(ood, i+1)
		}
		if o.jsonOut {
			if err := enc.Encode(res); err != nil {
				return err
			}
			continue
		}
		p.print(res)
	}
	if !o.jsonOut && !p.single && len(ood) > 0 {
		// On stderr: the table stays one row per query.
		fmt.Fprintf(env.Stderr, "warning: %d of %d queries are out of distribution (drift >= %.2f; queries %s): the router was not trained on queries like them, so its choices for them are little better than guesses\n",
			len(ood), len(inputs), router.DriftThreshold, listNumbers(ood, 10))
	}
	return nil
}

// listNumbers lists the first max numbers, then how many more.
func listNumbers(ns []int, max int) string {
	var b strings.Builder
	for i, n := range ns {
		if i == max {
			fmt.Fprintf(&b, " and %d more", len(ns)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// routeRun holds what every query of one route run shares.
type routeRun struct {
	m           *router.Model
	threshold   float64
	verifier    *routeCascade // nil when no input needs the cascade
	answer      answerFunc    // nil without --end-to-end
	cascadeMode bool
}

// route decides one query and, end to end, answers it.
func (r *routeRun) route(ctx context.Context, in routeInput) (routeResult, error) {
	d := r.m.DecideAt(in.Query, r.threshold)
	res := routeResult{Query: in.Query, Policy: d.Policy, Model: d.Model, Score: d.Score,
		Threshold: r.threshold, Probabilities: d.Probs, Candidates: d.Candidates}
	if res.Model == "" {
		res.Model = r.m.ModelFor(d.Policy)
	}
	if d.HasDrift {
		ood := router.OutOfDistribution(d.Drift)
		res.Drift, res.OutOfDistribution = &d.Drift, &ood
	}
	if in.HasAnswer {
		r.verifier.judge(&res, in.CheapAnswer)
	}
	switch {
	case r.cascadeMode && len(d.Candidates) > 0:
		if err := r.runMultiCascade(ctx, &res, d); err != nil {
			return res, err
		}
	case r.cascadeMode:
		if err := r.runCascade(ctx, &res); err != nil {
			return res, err
		}
	case r.answer != nil:
		a, err := r.answer(ctx, res.Model, in.Query)
		if err != nil {
			return res, fmt.Errorf("answer with %s: %w", res.Model, err)
		}
		res.Answer, res.InputTokens, res.OutputTokens, res.CostUSD = a.Answer, a.InputTokens, a.OutputTokens, a.CostUSD
	}
	return res, nil
}
