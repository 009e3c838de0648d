package main

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/llmrouter/llmrouter/internal/eval"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/router"
)

// The quality targets on recorded MMLU.
const (
	apgrTarget    = 0.70
	share95Target = 0.40
)

// qualityResult is one benchmark's comparison, kept for the SVG.
type qualityResult struct {
	bench string
	cmp   *eval.Comparison
}

// quality trains every router on each benchmark's train split and scores
// it on the test split with the canonical metrics of package eval.
func (b *bench) quality(ctx context.Context) (*Section, error) {
	s := &Section{Title: "Routing quality",
		Intro: "Recorded MMLU and GSM8K outcomes (Mixtral-8x7B as the cheap model, GPT-4-1106 as the strong one; lm-sys/RouteLLM data). " +
			"Each benchmark goes through the offline pipeline's stages: seeded stratified split (80/20, seed 42), the oracle stage on each half (replay provider, rule judge), " +
			"`prepare` on the train half, then every router is trained on the train half only with the CLI defaults and scored on the test half by `internal/eval` " +
			"(APGR with the tie rule, ROC AUC of \"strong needed\", strong share needed for 80/90/95% of strong-only accuracy). " +
			"Cost savings at 95% is 1 − cost ÷ strong-only cost at that strong share, with token-estimated costs at the catalogue's list prices. " +
			"The subject prior scores a test question by its subject's mean (strong − cheap) correctness on the train half."}
	var results []qualityResult
	for _, bench := range []string{"mmlu", "gsm8k"} {
		d, err := b.data.split(ctx, bench, b.size(0, smokeItems))
		if err != nil {
			return nil, err
		}
		cmp, err := evaluateRouters(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", bench, err)
		}
		results = append(results, qualityResult{bench, cmp})
		rs, err := routersFor(ctx, d)
		if err != nil {
			return nil, err
		}
		s.note("%s: the trainer chose the score `%s` for SFT+DPO, `%s` for SFT only and `%s` for kNN, each by validation APGR on its own held-out slice of the train half. "+
			"Validation APGR of the SFT+DPO fit per score: %s; of SFT alone: %s.", upper(bench), rs.classifier.Meta.ScoreKind, rs.sftOnly.Meta.ScoreKind, rs.knn.Meta.ScoreKind,
			fmtScores(rs.classifier.Meta.Metrics.ValidationAPGR), fmtScores(rs.classifier.Meta.Metrics.ValidationAPGRSFT))
		s.Tables = append(s.Tables, qualityTable(bench, d, cmp))
		if bench == "mmlu" {
			s.Tables = append(s.Tables, qualityTargets(cmp, b.opts.smoke))
		}
	}
	if err := writeCurvesSVG(b.opts.svg, results); err != nil {
		return nil, err
	}
	s.Intro += fmt.Sprintf("\n\n![Cost–quality curves of every router on the MMLU and GSM8K test splits](%s)", b.opts.svgLink)
	s.note("APGR: 0.5 is random in expectation; the oracle can exceed 1. Cheap-only and strong-only are single points, so they have no APGR or AUC.")
	s.note("GSM8K is a single subject, so the subject prior gives every question the same score: its curve is the random diagonal (APGR 0.5) by construction.")
	s.note("The hybrid rules score each query 0 or 1 (strong when a keyword, math or length rule fires), so their curve is two straight segments.")
	return s, nil
}

func evaluateRouters(ctx context.Context, d *splitData) (*eval.Comparison, error) {
	rs, err := routersFor(ctx, d)
	if err != nil {
		return nil, err
	}
	named := []struct {
		name      string
		r         router.Router
		threshold float64
	}{
		{"classifier (SFT+DPO)", rs.classifier, rs.classifier.Threshold()},
		{"classifier (SFT only)", rs.sftOnly, rs.sftOnly.Threshold()},
		{"kNN", rs.knn, rs.knn.Threshold()},
		{"random", rs.random, rs.random.Threshold()},
		{"hybrid rules", rs.rules, 0.5},
	}
	var runs []eval.RouterRun
	for _, n := range named {
		run := eval.RouterRun{Name: n.name, Threshold: n.threshold, Scores: make([]float64, len(d.testRows)), Strong: make([]bool, len(d.testRows)), Policies: make([]string, len(d.testRows))}
		for i, row := range d.testRows {
			dec, err := n.r.Route(ctx, row.Query)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", n.name, err)
			}
			run.Scores[i], run.Strong[i], run.Policies[i] = dec.Score, dec.Score >= n.threshold, dec.Policy
		}
		runs = append(runs, run)
	}
	runs = append(runs, subjectPrior(d))
	return eval.Evaluate(eval.QuestionsFromRows(d.testRows), runs, eval.Options{Benchmark: d.bench})
}

// subjectPrior is the reference router that knows only each question's
// subject: its score is the subject's train-half mean of strong − cheap
// correctness (0 for a subject never seen).
func subjectPrior(d *splitData) eval.RouterRun {
	sum, n := map[string]float64{}, map[string]float64{}
	for _, r := range d.trainRows {
		sum[r.Topic] += correct(r.Strong.Grade) - correct(r.Cheap.Grade)
		n[r.Topic]++
	}
	run := eval.RouterRun{Name: "subject prior", Scores: make([]float64, len(d.testRows)), Strong: make([]bool, len(d.testRows))}
	for i, r := range d.testRows {
		if n[r.Topic] > 0 {
			run.Scores[i] = sum[r.Topic] / n[r.Topic]
		}
	}
	// Operating point: the top 30% of scores, the CLI's default strong share.
	sorted := append([]float64(nil), run.Scores...)
	sort.Float64s(sorted)
	run.Threshold = router.ThresholdForShare(sorted, 0.3)
	for i, sc := range run.Scores {
		run.Strong[i] = sc >= run.Threshold
	}
	return run
}

func correct(grade string) float64 {
	if grade == oracle.Correct {
		return 1
	}
	return 0
}

// savingsAt returns the cost savings against strong-only at the curve's
// share of strong calls.
func savingsAt(c eval.Curve, share, strongCost float64) float64 {
	if math.IsNaN(share) || !(strongCost > 0) {
		return math.NaN()
	}
	_, cost := c.At(share * float64(c.N))
	return 1 - cost/strongCost
}

func byName(rs []eval.Result, name string) eval.Result {
	for _, r := range rs {
		if r.Name == name {
			return r
		}
	}
	return eval.Result{}
}

func qualityTable(bench string, d *splitData, cmp *eval.Comparison) Table {
	cheap, strong := byName(cmp.Baselines, "cheap-only"), byName(cmp.Baselines, "strong-only")
	t := Table{
		Caption: fmt.Sprintf("**%s** — %d train questions (%d DPO pairs), %d test questions; cheap-only accuracy %s, strong-only %s.",
			upper(bench), len(d.trainRows), len(d.dpo), cmp.N, pct(float64(cheap.Accuracy)), pct(float64(strong.Accuracy))),
		Header: []string{"router", "APGR", "AUC", "strong share @80%", "@90%", "@95%", "cost savings @95%"},
	}
	sc := float64(strong.Cost)
	for _, r := range cmp.Routers {
		cs := r.CurveStats
		t.add(r.Name, f(float64(cs.APGR), 3), f(float64(cs.AUC), 3), pct(float64(cs.StrongShareAt80)), pct(float64(cs.StrongShareAt90)),
			pct(float64(cs.StrongShareAt95)), pct(savingsAt(cs.Curve, float64(cs.StrongShareAt95), sc)))
	}
	ch := func(x float64) string {
		if float64(cheap.Accuracy) >= x*float64(strong.Accuracy) {
			return "0.0%"
		}
		return "not reached"
	}
	chSave := "n/a"
	if float64(cheap.Accuracy) >= 0.95*float64(strong.Accuracy) {
		chSave = pct(1 - float64(cheap.Cost)/sc)
	}
	t.add("cheap-only", "—", "—", ch(0.80), ch(0.90), ch(0.95), chSave)
	t.add("strong-only", "—", "—", "100.0%", "100.0%", "100.0%", "0.0%")
	o := byName(cmp.Baselines, "oracle")
	if o.CurveStats != nil {
		cs := o.CurveStats
		t.add("oracle", f(float64(cs.APGR), 3), f(float64(cs.AUC), 3), pct(float64(cs.StrongShareAt80)), pct(float64(cs.StrongShareAt90)),
			pct(float64(cs.StrongShareAt95)), pct(savingsAt(cs.Curve, float64(cs.StrongShareAt95), sc)))
	}
	return t
}

func qualityTargets(cmp *eval.Comparison, smoke bool) Table {
	cl := byName(cmp.Routers, "classifier (SFT+DPO)").CurveStats
	sft := byName(cmp.Routers, "classifier (SFT only)").CurveStats
	prior := byName(cmp.Routers, "subject prior").CurveStats
	t := Table{Caption: "Targets, on MMLU, for the SFT+DPO classifier:", Header: []string{"target", "measured", "target met?"}}
	if cl == nil || sft == nil || prior == nil {
		return t
	}
	apgr, share := float64(cl.APGR), float64(cl.StrongShareAt95)
	ok := func(b bool) string { return met(b && !smoke) }
	t.add("APGR ≥ 0.70", f(apgr, 3), ok(apgr >= apgrTarget))
	t.add("95% of strong-only accuracy with ≤ 40% strong calls", pct(share), ok(share <= share95Target))
	t.add("beat the subject prior clearly (read as: by ≥ 0.02 APGR)", fmt.Sprintf("%s vs %s (%+.3f)", f(apgr, 3), f(float64(prior.APGR), 3), apgr-float64(prior.APGR)), ok(apgr-float64(prior.APGR) >= 0.02))
	t.add("DPO against SFT alone (reported, no target)", fmt.Sprintf("APGR %s vs %s (%+.3f)", f(apgr, 3), f(float64(sft.APGR), 3), apgr-float64(sft.APGR)), "—")
	return t
}

func upper(s string) string {
	switch s {
	case "mmlu":
		return "MMLU"
	case "gsm8k":
		return "GSM8K"
	}
	return s
}

func fmtScores(m map[string]float64) string {
	if len(m) == 0 {
		return "n/a"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %.3f", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
