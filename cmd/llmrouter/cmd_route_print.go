package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/router"
)

// routePrinter writes route's text output: a block per query when there is
// one, otherwise a table row per query.
type routePrinter struct {
	w                io.Writer
	single, endToEnd bool
	modelWidth       int // the longer model name, so that columns line up
	// cascadeColumn adds the verdict column to table rows; it is on for
	// the whole run so that the columns line up.
	cascadeColumn bool
}

func (p routePrinter) print(r routeResult) {
	w := p.w
	if p.single {
		fmt.Fprintf(w, "query:         %s\npolicy:        %s\nmodel:         %s\nscore:         %.4f (threshold %.4f)\nprobabilities:",
			routeSnippet(r.Query, 200), r.Policy, r.Model, r.Score, r.Threshold)
		for _, l := range policy.Labels {
			fmt.Fprintf(w, " %s=%.3f", l, r.Probabilities[l])
		}
		fmt.Fprintln(w)
		for i, c := range r.Candidates {
			label := ""
			if i == 0 {
				label = "candidates:"
			}
			fmt.Fprintf(w, "%-14s %-*s P(correct) %.3f  expected $%.6f\n", label, p.modelWidth, c.Model, c.PCorrect, c.CostUSD)
		}
		if r.EscalateScore != nil && r.Cheap == nil {
			fmt.Fprintf(w, "escalate:      %s\n", routeVerdict(r))
		}
		if r.Drift != nil {
			fmt.Fprintf(w, "drift:         %.3f (out of distribution at %.2f)\n", *r.Drift, router.DriftThreshold)
		}
	} else {
		fmt.Fprintf(w, "%-15s  %-*s  %.4f  ", r.Policy, p.modelWidth, r.Model, r.Score)
		if p.cascadeColumn {
			fmt.Fprintf(w, "%-15s  ", routeVerdictCell(r))
		}
		fmt.Fprintln(w, routeSnippet(r.Query, 80))
	}
	if p.single && r.OutOfDistribution != nil && *r.OutOfDistribution {
		fmt.Fprintf(w, "warning:       out of distribution (drift %.3f >= %.2f): the router was not trained on queries like this, so its choice is little better than a guess\n", *r.Drift, router.DriftThreshold)
	}
	if r.Cheap != nil || r.Strong != nil {
		p.printCalls(r)
	}
	for i, c := range r.Calls {
		fmt.Fprintf(w, "call %d:        %s, escalate score %.4f\n", i+1, routeCallLine(&c), *c.EscalateScore)
	}
	if p.endToEnd {
		fmt.Fprintf(w, "answer:        %s\ntokens:        %d in, %d out\ncost:          $%.6f\n", r.Answer, r.InputTokens, r.OutputTokens, r.CostUSD)
	}
}

// printCalls shows each call of a cascade before the answer it returned.
func (p routePrinter) printCalls(r routeResult) {
	w := p.w
	if r.SkippedCheap {
		fmt.Fprintln(w, "cheap:         skipped (the query score reaches the cascade's skip threshold)")
	} else {
		fmt.Fprintf(w, "cheap:         %s\n", routeCallLine(r.Cheap))
		if p.single {
			fmt.Fprintf(w, "cheap answer:  %s\nescalate:      %s\n", routeSnippet(r.Cheap.Answer, 200), routeVerdict(r))
		}
	}
	if r.Strong == nil {
		fmt.Fprintln(w, "strong:        not asked")
		return
	}
	fmt.Fprintf(w, "strong:        %s\n", routeCallLine(r.Strong))
}

func routeCallLine(c *routeCall) string {
	return fmt.Sprintf("%s, %d in, %d out, $%.6f", c.Model, c.InputTokens, c.OutputTokens, c.CostUSD)
}

// routeVerdict is the verifier's verdict in a sentence.
func routeVerdict(r routeResult) string {
	verdict := "no, keep the cheap answer"
	if *r.Escalate {
		verdict = "yes, ask the strong model"
	}
	return fmt.Sprintf("%.4f (cascade threshold %.4f): %s", *r.EscalateScore, *r.CascadeThreshold, verdict)
}

// routeVerdictCell is the verdict in a table cell.
func routeVerdictCell(r routeResult) string {
	switch {
	case r.SkippedCheap:
		return "skipped cheap"
	case r.EscalateScore == nil:
		return "-"
	case *r.Escalate:
		return fmt.Sprintf("escalate %.4f", *r.EscalateScore)
	}
	return fmt.Sprintf("keep     %.4f", *r.EscalateScore)
}

// routeSnippet shortens a query to one display line.
func routeSnippet(q string, n int) string {
	q = strings.Join(strings.Fields(q), " ")
	if r := []rune(q); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return q
}
