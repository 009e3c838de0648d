package main

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/llmrouter/llmrouter/internal/eval"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/router"
)

// pairwise reports whether the model is judged by the two-model sections:
// every router but an N-model one with more than two candidates, whose
// choices are not cheap-or-strong.
func pairwise(m *router.Model) bool { return len(m.Candidates()) <= 2 }

// evaluateMulti computes the N-model section, or nil for a two-model
// router.
func evaluateMulti(o evalOptions, m *router.Model, rows []oracle.Row) (*eval.MultiSection, error) {
	if m.Meta.Multi == nil {
		return nil, nil
	}
	t := m.Threshold()
	if !math.IsNaN(o.threshold) {
		t = o.threshold
	}
	est := make([][]router.Estimate, len(rows))
	for i, r := range rows {
		est[i] = m.Estimates(r.Query)
	}
	return eval.EvaluateMulti(rows, eval.MultiInput{
		Name: router.KindMulti, Models: m.Candidates(), Estimates: est,
		CostScale: m.Meta.Multi.CostScale, T: t, Verifier: m.Cascade,
	})
}

// printMultiEval prints the N-model section: the headline, then each
// operating point with its shares.
func printMultiEval(w io.Writer, s *eval.MultiSection) {
	h := s.Headline
	fmt.Fprintf(w, "N-model router over %d models: best single %s %s at %s per query\n", len(s.Models), h.BestSingle, fpct(h.BestSingleAccuracy), fusdSig(h.BestSingleCostPerQuery))
	fmt.Fprintf(w, "  cost to match it: %s per query (%s of its cost); accuracy at the cheapest model's (%s) cost: %s; area vs the single-model frontier: %s\n",
		fusdSig(h.CostToMatchBest), fpct(h.CostToMatchBestShare), h.CheapestSingle, fpct(h.AccuracyAtCheapestCost), fnum(h.AreaVsFrontier))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "name\tt\taccuracy\tcost/query\t")
	for _, m := range s.Models {
		fmt.Fprintf(tw, "%s\t", m)
	}
	fmt.Fprintln(tw)
	rows := []eval.MultiPoint{s.Router, s.RandomSameCost}
	if s.Cascade != nil {
		c := s.Cascade.Result
		c.Name = "cascade"
		rows = append(rows, c)
	}
	rows = append(append(rows, s.Singles...), s.Oracle)
	for _, p := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t", p.Name, fnum(p.T), fpct(p.Accuracy), fusdSig(p.CostPerQuery))
		for _, m := range s.Models {
			v, ok := p.Shares[m]
			if !ok {
				fmt.Fprint(tw, "—\t")
				continue
			}
			fmt.Fprintf(tw, "%s\t", fpct(v))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	if c := s.Cascade; c != nil {
		fmt.Fprintf(w, "  cascade along the cost order: %s calls per question, %s escalated\n", fnum(c.MeanCalls), fpct(c.EscalatedShare))
	}
}

// multiFigure is the pipeline summary's line for an N-model router.
func multiFigure(s *eval.MultiSection) string {
	h := s.Headline
	return fmt.Sprintf("%s: accuracy %s at %s/query; matches %s (%s) at %s of its cost; area vs frontier %s",
		s.Router.Name, fpct(s.Router.Accuracy), fusd(s.Router.CostPerQuery), h.BestSingle, fpct(h.BestSingleAccuracy), fpct(h.CostToMatchBestShare), fnum(h.AreaVsFrontier))
}

// fusdSig prints a cost with three significant digits: the cheapest
// models cost well under the five decimals fusd shows.
func fusdSig(f eval.Float) string {
	if !f.Valid() {
		return "—"
	}
	return fmt.Sprintf("$%.3g", float64(f))
}
