package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/llmrouter/llmrouter/internal/config"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/router"
)

type routeOptions struct {
	modelPath, query, testFile, config string
	jsonOut, endToEnd                  bool
	threshold                          float64
}

// routeResult is one line of `route --json`.
type routeResult struct {
	Query         string             `json:"query"`
	Policy        string             `json:"policy"`
	Model         string             `json:"model"`
	Score         float64            `json:"score"`
	Threshold     float64            `json:"threshold"`
	Probabilities map[string]float64 `json:"probabilities"`
	// End-to-end only.
	Answer       string  `json:"answer,omitempty"`
	InputTokens  int     `json:"input_tokens,omitempty"`
	OutputTokens int     `json:"output_tokens,omitempty"`
	CostUSD      float64 `json:"cost_usd,omitempty"`
}

func parseRouteFlags(env *Env, args []string) (routeOptions, error) {
	var o routeOptions
	flags := newFlagSet(env, "route", "--model-path DIR (--query Q | --test-file F) [--json] [--threshold T] [--end-to-end]")
	flags.StringVar(&o.modelPath, "model-path", routerDefaultModel, "model directory")
	flags.StringVar(&o.query, "query", "", "one query to route")
	flags.StringVar(&o.testFile, "test-file", "", "queries: .jsonl objects with query/problem/prompt, or one query per line")
	flags.BoolVar(&o.jsonOut, "json", false, "print one JSON object per query, in input order")
	flags.Float64Var(&o.threshold, "threshold", math.NaN(), "override the model's threshold, in [0, 1] (Complex_Query when score >= threshold)")
	flags.BoolVar(&o.endToEnd, "end-to-end", false, "answer each query with the chosen model and print answer, tokens and cost")
	flags.StringVar(&o.config, "config", "", "model catalogue for --end-to-end (default: built-in models.yaml)")
	if err := parseFlags(flags, args); err != nil {
		return o, err
	}
	if (o.query == "") == (o.testFile == "") {
		return o, fmt.Errorf("%w: give exactly one of --query and --test-file", errUsage)
	}
	if !math.IsNaN(o.threshold) && !(o.threshold >= 0 && o.threshold <= 1) {
		return o, fmt.Errorf("%w: --threshold %v outside [0, 1]", errUsage, o.threshold)
	}
	return o, nil
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
	threshold := m.Threshold()
	if !math.IsNaN(o.threshold) {
		threshold = o.threshold
	}
	queries := []string{o.query}
	if o.testFile != "" {
		if queries, err = router.ReadQueries(o.testFile); err != nil {
			return err
		}
	}
	var answer func(context.Context, string, string) (routeResult, error)
	if o.endToEnd {
		if answer, err = routeAnswerer(env, o.config); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetEscapeHTML(false)
	for _, q := range queries {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := router.Decide(m.Predict(q), threshold)
		res := routeResult{Query: q, Policy: d.Policy, Model: m.ModelFor(d.Policy), Score: d.Score, Threshold: threshold, Probabilities: d.Probs}
		if answer != nil {
			a, err := answer(ctx, res.Model, q)
			if err != nil {
				return fmt.Errorf("answer with %s: %w", res.Model, err)
			}
			res.Answer, res.InputTokens, res.OutputTokens, res.CostUSD = a.Answer, a.InputTokens, a.OutputTokens, a.CostUSD
		}
		if o.jsonOut {
			if err := enc.Encode(res); err != nil {
				return err
			}
			continue
		}
		printRouteResult(env.Stdout, res, len(queries) == 1, o.endToEnd)
	}
	return nil
}

func printRouteResult(w io.Writer, r routeResult, single, endToEnd bool) {
	if !single {
		fmt.Fprintf(w, "%-15s  %-18s  %.4f  %s\n", r.Policy, r.Model, r.Score, routeSnippet(r.Query, 80))
	} else {
		fmt.Fprintf(w, "query:         %s\npolicy:        %s\nmodel:         %s\nscore:         %.4f (threshold %.4f)\nprobabilities:", routeSnippet(r.Query, 200), r.Policy, r.Model, r.Score, r.Threshold)
		for _, l := range policy.Labels {
			fmt.Fprintf(w, " %s=%.3f", l, r.Probabilities[l])
		}
		fmt.Fprintln(w)
	}
	if endToEnd {
		fmt.Fprintf(w, "answer:        %s\ntokens:        %d in, %d out\ncost:          $%.6f\n", r.Answer, r.InputTokens, r.OutputTokens, r.CostUSD)
	}
}

// routeSnippet shortens a query to one display line.
func routeSnippet(q string, n int) string {
	q = strings.Join(strings.Fields(q), " ")
	if r := []rune(q); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return q
}

// routeAnswerer resolves models through the provider registry and prices
// answers with the catalogue.
func routeAnswerer(env *Env, cfgPath string) (func(context.Context, string, string) (routeResult, error), error) {
	cat, err := config.LoadCatalogue(cfgPath)
	if err != nil {
		return nil, err
	}
	reg, err := newModelRegistry(cat, env.Getenv)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, model, q string) (routeResult, error) {
		if err := reg.CheckKey(model); err != nil {
			return routeResult{}, err
		}
		p, cm, err := reg.Get(model)
		if err != nil {
			return routeResult{}, err
		}
		up := cm.UpstreamModel
		if up == "" {
			up = model
		}
		resp, err := p.Complete(ctx, &provider.Request{Model: up, Messages: []provider.Message{{Role: "user", Content: q}}})
		if err != nil {
			return routeResult{}, err
		}
		u := resp.Usage
		return routeResult{Answer: resp.Text, InputTokens: u.InputTokens, OutputTokens: u.BilledOutput(),
			CostUSD: cm.Price.Cost(u.InputTokens, u.BilledOutput())}, nil
	}, nil
}
