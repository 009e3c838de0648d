package router

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/llmrouter/llmrouter/internal/quality"
)

// minValidation is the fewest held-out rows with outcomes for which the
// trainer trusts a validation APGR enough to choose a score by it.
const minValidation = 30

// chooseScore holds out a validation slice, fits on the rest, and returns
// the score kind with the best validation APGR, recording every candidate's
// APGR (after DPO and for SFT alone) in mt.
//
// It also returns the chosen score of every held-out query: their
// distribution is what a threshold meets on unseen queries (a model's
// scores on its own training queries are more extreme).
func chooseScore(ctx context.Context, cfg TrainConfig, data *trainData, mt *Metrics) (string, []Stage, []float64, error) {
	fallback := ScoreComplexMinusStandard
	if cfg.Kind == KindKNN {
		fallback = ScoreOutcomeGain
	}
	selection := "validation"
	if cfg.ScoreKind != "" {
		fallback, selection = cfg.ScoreKind, "configured"
	}
	fitEx, valEx := splitValidation(data.examples, cfg.Hyper.ValidationFraction, cfg.Seed)
	withOutcome := 0
	for _, e := range valEx {
		if e.cell >= 0 {
			withOutcome++
		}
	}
	if cfg.Hyper.ValidationFraction == 0 || withOutcome < minValidation || len(fitEx) == 0 {
		mt.ScoreSelection = fmt.Sprintf("default (%d held-out rows with outcomes; need %d)", withOutcome, minValidation)
		if selection == "configured" {
			mt.ScoreSelection = "configured"
		}
		return fallback, nil, nil, nil
	}
	t := time.Now()
	held := map[string]bool{}
	for _, e := range valEx {
		held[e.query] = true
	}
	var fitPairs []pair
	for _, p := range data.pairs {
		if !held[p.query] {
			fitPairs = append(fitPairs, p)
		}
	}
	f, err := fit(ctx, cfg, fitEx, fitPairs, nil)
	if err != nil {
		return "", nil, nil, err
	}
	mt.ValidationExamples = withOutcome
	final := newModel(Meta{Kind: cfg.Kind, Features: cfg.Features}, f, f.final())
	mt.ValidationAPGR = validationAPGR(final, valEx)
	if cfg.Kind == KindClassifier {
		sft := final
		if f.dpo != nil {
			sft = newModel(Meta{Kind: cfg.Kind, Features: cfg.Features}, f, f.sft)
			mt.ValidationAPGRSFT = validationAPGR(sft, valEx)
			mt.ValidationECEPolicyDPO, mt.ValidationMeanTopPolicyDPO, mt.ValidationAccuracyPolicyDPO = policyCalibration(final, valEx)
		}
		mt.ValidationECEPolicySFT, mt.ValidationMeanTopPolicySFT, mt.ValidationAccuracyPolicySFT = policyCalibration(sft, valEx)
		mt.ValidationCalibrationExamples = len(valEx)
	}
	best := fallback
	if selection == "validation" {
		for _, k := range ScoreKinds {
			if a, ok := mt.ValidationAPGR[k]; ok && (mt.ValidationAPGR[best] < a || math.IsNaN(mt.ValidationAPGR[best])) {
				best = k
			}
		}
	}
	mt.ScoreSelection = selection
	share, heldOut, ok := validationShare(final, best, valEx)
	if ok {
		mt.ValidationStrongShare95 = &share
	}
	st := Stage{Name: "validation", Duration: time.Since(t), Detail: fmt.Sprintf("%d held out; score %s (APGR %.4f)", withOutcome, best, mt.ValidationAPGR[best])}
	return best, []Stage{st}, heldOut, nil
}

// validationAPGR returns each score kind's APGR on the held-out examples
// that have outcomes; kinds whose APGR is undefined are left out.
func validationAPGR(m *Model, val []example) map[string]float64 {
	preds, cheap, strong := predictOutcomes(m, val)
	out := map[string]float64{}
	for _, k := range ScoreKinds {
		if needsTopic(k) && m.topic == nil {
			continue
		}
		s, _ := scorer(k)
		scores := make([]float64, len(preds))
		for i := range preds {
			scores[i] = s(&preds[i])
		}
		if a, err := quality.APGR(scores, cheap, strong); err == nil && !math.IsNaN(a) {
			out[k] = round6(a)
		}
	}
	return out
}

// policyCalibration returns the ECE, mean top-class probability and
// accuracy of m's policy head on the held-out rows, against their policy
// labels (every row has one, with or without outcomes).
func policyCalibration(m *Model, val []example) (ece, meanTop, acc *float64) {
	conf, correct := make([]float64, len(val)), make([]bool, len(val))
	var sumConf, sumCorrect float64
	for i, e := range val {
		p := m.Predict(e.query)
		top := 0
		for k := 1; k < numPolicies; k++ {
			if p.Policy[k] > p.Policy[top] {
				top = k
			}
		}
		conf[i], correct[i] = p.Policy[top], top == e.policy
		sumConf += conf[i]
		if correct[i] {
			sumCorrect++
		}
	}
	e, err := ECE(conf, correct, calibrationBins)
	if err != nil {
		return nil, nil, nil
	}
	n := float64(len(val))
	return ptr(round6(e)), ptr(round6(sumConf / n)), ptr(round6(sumCorrect / n))
}

// calibrationBins is the usual 10 equal-width bins of the ECE.
const calibrationBins = 10

func ptr[T any](x T) *T { return &x }

func validationShare(m *Model, kind string, val []example) (float64, []float64, bool) {
	preds, cheap, strong := predictOutcomes(m, val)
	s, err := scorer(kind)
	if err != nil {
		return 0, nil, false
	}
	scores := make([]float64, len(preds))
	for i := range preds {
		scores[i] = s(&preds[i])
	}
	x, err := quality.StrongShareAt(scores, cheap, strong, 0.95)
	return round6(x), scores, err == nil && !math.IsNaN(x)
}

func predictOutcomes(m *Model, val []example) (preds []Prediction, cheap, strong []float64) {
	for _, e := range val {
		if e.cell < 0 {
			continue
		}
		preds = append(preds, m.Predict(e.query))
		c, s := cellCorrect(e.cell)
		cheap, strong = append(cheap, c), append(strong, s)
	}
	return preds, cheap, strong
}

// newModel wraps fitted parts as a Model; the weights become float32 here,
// so training-time metrics are computed on exactly what Save writes.
func newModel(meta Meta, f *fitted, lin *linear) *Model {
	m := &Model{Meta: meta, vec: f.vec, knn: f.knn, topic: f.topic}
	if lin != nil {
		m.w = make([]float32, len(lin.w))
		for i, x := range lin.w {
			m.w[i] = float32(x)
		}
		for k, x := range lin.b {
			m.bias[k] = float32(x)
		}
	}
	m.scorer = func(p *Prediction) float64 { return p.Score }
	return m
}

// finish builds the final model, records a score distribution for
// calibrate (the held-out scores when there are enough, else the training
// queries' own) and sets the default threshold.
func finish(ctx context.Context, meta *Meta, f *fitted, lin *linear, cfg TrainConfig, ex []example, heldOut []float64) (*Model, error) {
	var m *Model
	if f == nil {
		m = &Model{Meta: *meta}
	} else {
		m = newModel(*meta, f, lin)
	}
	s, err := scorer(meta.ScoreKind)
	if err != nil {
		return nil, err
	}
	m.scorer = s
	source, scores := "held-out validation scores", heldOut
	if len(heldOut) < minValidation {
		source, scores = "training-query scores", nil
		seen := map[string]bool{}
		for i, e := range ex {
			if i%1024 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !seen[e.query] {
				seen[e.query] = true
				scores = append(scores, m.Predict(e.query).Score)
			}
		}
	}
	m.Meta.ScoreQuantiles = quality.Quantiles(scores, numQuantiles)
	t := quality.ThresholdForShare(m.Meta.ScoreQuantiles, cfg.DefaultStrongShare)
	m.Meta.ScoreQuantilesSource = source
	if err := m.SetThreshold(t, cfg.DefaultStrongShare, "train: "+source); err != nil {
		return nil, err
	}
	return m, nil
}

// numQuantiles is how many evenly spaced quantiles of the training scores
// model.json keeps, so calibrate works without a query file.
const numQuantiles = 1001

// ThresholdForShare is quality.ThresholdForShare, for callers that
// calibrate a loaded model from its stored ScoreQuantiles.
func ThresholdForShare(sorted []float64, share float64) float64 {
	return quality.ThresholdForShare(sorted, share)
}
