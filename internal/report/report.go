// Package report writes the evaluation outputs: comparison.json (the
// machine-readable eval.Comparison), report.html (self-contained, opens
// offline, inline SVG curves, every table) and curve.png (gonum/plot).
//
// comparison.json fields (format_version 1; undefined metrics are null):
//
//	format_version   int     schema version; bumped only when a field changes meaning
//	benchmark        string  "mmlu", "gsm8k", "simpleqa", ...
//	test_file        string  the test split evaluated
//	n                int     number of test questions
//	models           {cheap, strong, judge}
//	baselines        []result: "cheap-only", "strong-only", "oracle"
//	routers          []result, one per router, in the order evaluated
//
// A result has: name; kind ("router"|"baseline"); threshold (operating
// score threshold, strong iff score >= threshold); strong_share; accuracy
// (correct ÷ all = SimpleQA is_correct); incorrect_share;
// not_attempted_share; accuracy_given_attempted; f_score; pgr; cost_usd
// (total); cost_per_query_usd; cost_savings (1 − cost ÷ strong-only cost).
// Routers also carry random_same_share (the same fields for a random router
// at the same strong share, in expectation) and policies (label → {count,
// share, accuracy}). Routers and the oracle carry apgr, auc (ROC AUC of the
// score for "strong correct and cheap not" vs the rest, ties half),
// strong_share_at_80/90/95, and curve {n, points: [{strong_calls,
// strong_share, accuracy, cost_usd, threshold}]}, one point per distinct
// score (linear in between: the expectation under random tie-breaking).
//
// cascade, present only when the model has a cascade verifier and the test
// answers are real texts, is additive (no format_version bump): verifier,
// threshold, threshold_source; results, the learned cascade, the
// rule-based cascade, random escalation, the query-only router, the oracle
// verifier, cheap-only and strong-only, each a result plus cheap_call_share,
// cost_per_query_at_95_usd and cost_savings_at_95 (cascade costs: the cheap
// call on every query plus the strong call on each escalated one); latency
// {source, cheap_only, strong_only, escalation,
// escalation_added_vs_strong_only, escalation_added_vs_cheap_only,
// cascade_at_threshold, query_router_at_threshold}, each {mean_ms, p50_ms,
// p95_ms}; hybrid {results: [{name, skip_share_target, skip_threshold,
// skip_share, at_threshold, apgr, strong_share_at_95,
// cost_per_query_at_95_usd, cost_savings_at_95, curve}], helps, verdict}.
//
// multi, present only for an N-model router, is additive too: models;
// singles, single_frontier, oracle, router, random_same_cost and curve
// (the router at t = 0 … 1), each point {name, t, accuracy,
// cost_per_query_usd, shares: model → share}; headline {best_single,
// best_single_accuracy, best_single_cost_per_query_usd,
// cost_per_query_to_match_best_usd, cost_to_match_best_share,
// cheapest_single, accuracy_at_cheapest_cost, area_vs_single_frontier};
// cascade {verifier, result, mean_calls, escalated_share, first_shares}
// when the answers are real texts. With more than two candidates, routers
// is empty: the two-model sections describe the cheap/strong pair's
// baselines only.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/llmrouter/llmrouter/internal/atomicfile"
	"github.com/llmrouter/llmrouter/internal/eval"
)

// File names written by WriteAll.
const (
	JSONFile = "comparison.json"
	HTMLFile = "report.html"
	PNGFile  = "curve.png"
)

// WriteAll writes the three report files into dir atomically and returns
// their paths.
func WriteAll(dir string, cmp *eval.Comparison) ([]string, error) {
	writers := []struct {
		name  string
		write func(io.Writer, *eval.Comparison) error
	}{{JSONFile, WriteJSON}, {HTMLFile, WriteHTML}, {PNGFile, WritePNG}}
	var paths []string
	for _, w := range writers {
		p := filepath.Join(dir, w.name)
		if err := atomicfile.Write(p, func(out io.Writer) error { return w.write(out, cmp) }); err != nil {
			return paths, fmt.Errorf("report: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// WriteJSON writes comparison.json, indented for people and diffs.
func WriteJSON(w io.Writer, cmp *eval.Comparison) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(cmp)
}

// ReadJSON parses a comparison.json.
func ReadJSON(r io.Reader) (*eval.Comparison, error) {
	var cmp eval.Comparison
	if err := json.NewDecoder(r).Decode(&cmp); err != nil {
		return nil, fmt.Errorf("comparison.json: %w", err)
	}
	return &cmp, nil
}
