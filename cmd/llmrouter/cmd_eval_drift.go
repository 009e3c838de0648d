package main

import (
	"context"
	"fmt"
	"io"

	"github.com/llmrouter/llmrouter/internal/eval"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/router"
)

// measureEvalDrift measures how unlike the router's training queries the
// test queries are, and logs a warning when most of them are out of
// distribution (the figures then describe a router guessing).
func measureEvalDrift(ctx context.Context, env *Env, m *router.Model, rows []oracle.Row) (*eval.DriftSection, error) {
	qs := make([]string, len(rows))
	for i, r := range rows {
		qs[i] = r.Query
	}
	d, err := eval.MeasureDrift(ctx, m, qs)
	if err != nil {
		return nil, fmt.Errorf("measure drift: %w", err)
	}
	if d != nil && d.Warning {
		env.Log.Warn("most test queries are out of distribution for this router",
			"out_of_distribution_share", float64(d.OutOfDistributionShare), "drift_threshold", d.Threshold, "mean_drift", float64(d.Mean))
	}
	return d, nil
}

// printDriftSummary prints the drift line, and a warning when most test
// queries are out of distribution.
func printDriftSummary(w io.Writer, d *eval.DriftSection) {
	if d == nil {
		return
	}
	fmt.Fprintf(w, "drift: mean %s, median %s; %s of test queries out of distribution (drift >= %.2f)\n",
		fnum(d.Mean), fnum(d.Median), fpct(d.OutOfDistributionShare), d.Threshold)
	if d.Warning {
		fmt.Fprintf(w, "warning: %s of the test queries are out of distribution for this router: it was trained on queries unlike them, so the figures above measure guesses; train it on queries like these\n",
			fpct(d.OutOfDistributionShare))
	}
}
