package router

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/llmrouter/llmrouter/internal/cascade"
	"github.com/llmrouter/llmrouter/internal/features"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/quality"
)

// multiFitted is one fit of the N-model router on a set of rows.
type multiFitted struct {
	vec      *features.Vectorizer
	head     *multiHead
	topic    *topicHead
	loss     []float64
	stages   []Stage
	topicAcc []float64
}

// trainMulti fits the N-model router: a held-out fit chooses the
// probability kind and records the threshold curve, the final fit uses
// every row. Like Train it is deterministic for a seed.
func trainMulti(ctx context.Context, cfg TrainConfig) (*Model, []Stage, error) {
	start := time.Now()
	data, err := loadOutcomes(&cfg)
	if err != nil {
		return nil, nil, err
	}
	n := len(data.models)
	stages := []Stage{{Name: "load", Duration: time.Since(start), Detail: fmt.Sprintf("%d outcome rows, %d models", len(data.examples), n)}}
	cands := candidates(data.models, data.examples, cfg.Prices)
	mm := &MultiMeta{Candidates: cands, CostScale: costScale(cands)}
	meta := Meta{
		FormatVersion: FormatVersion, Kind: KindMulti, Features: cfg.Features,
		Labels: slices.Clone(policy.Labels), OutcomeLabels: slices.Clone(OutcomeLabels),
		Seed: cfg.Seed, Hyper: cfg.Hyper, Data: data.info, ScoreKind: ScoreEscalation, Multi: mm,
	}
	meta.CheapModel, meta.StrongModel = multiPair(cfg, cands)
	meta.Metrics.SFTExamples = len(data.examples)
	fitEx, valEx := splitMulti(data.examples, cfg.Hyper.ValidationFraction, cfg.Seed)
	validate := cfg.Hyper.ValidationFraction > 0 && len(valEx) >= minValidation && len(fitEx) > 0
	var (
		wg     sync.WaitGroup
		vfit   *multiFitted
		verr   error
		vtime  time.Duration
		casc   *cascade.Verifier
		cstage Stage
		cerr   error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		casc, cstage, cerr = trainMultiCascade(ctx, cfg, data.examples, cands)
	}()
	if validate {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.Now()
			vfit, verr = multiFit(ctx, cfg, cloneExamples(fitEx), n)
			vtime = time.Since(t)
		}()
	}
	f, err := multiFit(ctx, cfg, cloneExamples(data.examples), n)
	wg.Wait()
	if err = errors.Join(verr, err, cerr); err != nil {
		return nil, nil, err
	}
	stages = append(stages, f.stages...)
	meta.Metrics.SFTEpochLoss = roundAll(f.loss)
	final := newMultiModel(meta, f)
	curveEx, source, chooser := data.examples, "training rows (in-sample: too few rows to hold any out)", final
	mm.ProbKind = ProbLinear
	if f.topic != nil {
		mm.ProbKind = ProbBlend
	}
	if validate {
		held := newMultiModel(meta, vfit)
		mm.ValidationArea = validationAreas(held, cands, mm.CostScale, valEx)
		mm.ProbKind = bestProbKind(mm.ValidationArea, mm.ProbKind)
		held.Meta.Multi.ProbKind = mm.ProbKind
		curveEx, source, chooser = valEx, fmt.Sprintf("%d held-out rows", len(valEx)), held
		meta.Metrics.ValidationExamples = len(valEx)
		stages = append(stages, Stage{Name: "validation", Duration: vtime,
			Detail: fmt.Sprintf("%d held out; probabilities %s (mean accuracy over the cost range %.4f)", len(valEx), mm.ProbKind, mm.ValidationArea[mm.ProbKind])})
	}
	final.Meta.Multi.ProbKind = mm.ProbKind
	meta.Metrics.ScoreSelection = "N-model router: " + source
	final.Meta.Metrics = meta.Metrics
	if err := finishMulti(ctx, final, chooser, curveEx, source, cfg.TargetQuality); err != nil {
		return nil, nil, err
	}
	final.Cascade = casc
	stages = append(stages, cstage, Stage{Name: "total", Duration: time.Since(start), Detail: fmt.Sprintf("%d candidates, probabilities %s", n, mm.ProbKind)})
	return final, stages, nil
}

// finishMulti records the threshold curve of chooser on ex, the score
// quantiles calibrate --strong-share reads, and the threshold that meets
// the quality target.
func finishMulti(ctx context.Context, final, chooser *Model, ex []mexample, source string, target float64) error {
	mm := final.Meta.Multi
	est := estimateAll(chooser, ex)
	if err := ctx.Err(); err != nil {
		return err
	}
	mm.Curve, mm.CurveSource = thresholdCurve(est, ex, mm.CostScale), source
	mm.BestSingle, mm.BestSingleAccuracy = bestSingle(mm.Candidates, ex)
	scores := make([]float64, len(est))
	for i, e := range est {
		scores[i] = EscalationScore(e, mm.CostScale, nil)
	}
	final.Meta.ScoreQuantiles, final.Meta.ScoreQuantilesSource = quality.Quantiles(scores, numQuantiles), source
	t, ok := TForQuality(mm, target)
	if !ok {
		t = TBestAccuracy(mm)
	}
	return final.SetLambda(t, fmt.Sprintf("train: accuracy %.2f of the best single model (%s) on %s", target, mm.BestSingle, source),
		fmt.Sprintf("quality %.2f of the best single model", target))
}

// SetLambda sets an N-model router's threshold t, with the share of
// queries its curve sends beyond the cheapest model, and what set it.
func (m *Model) SetLambda(t float64, source, target string) error {
	mm := m.Meta.Multi
	if mm == nil {
		return fmt.Errorf("model %s is a two-model router; it has a threshold, not a cost–quality knob", m.Meta.Kind)
	}
	share := 0.0
	if p, ok := curveAt(mm.Curve, t); ok {
		cheapest, _ := costExtremes(mm.Candidates)
		share = 1 - p.Shares[cheapest]
	}
	if err := m.SetThreshold(t, round6(share), source); err != nil {
		return err
	}
	mm.LambdaPerUSD, mm.Target = round6(LambdaPerUSD(t, mm.CostScale)), target
	return nil
}

// splitMulti holds out frac of the rows, topic-stratified and seeded, with
// the classifier's split (splitValidation).
func splitMulti(ex []mexample, frac float64, seed uint64) (fit, val []mexample) {
	shim := make([]example, len(ex))
	for i, e := range ex {
		shim[i] = example{query: e.query, topic: e.topic, row: i}
	}
	fs, vs := splitValidation(shim, frac, seed)
	for _, e := range fs {
		fit = append(fit, ex[e.row])
	}
	for _, e := range vs {
		val = append(val, ex[e.row])
	}
	return fit, val
}

func cloneExamples(ex []mexample) []mexample { return slices.Clone(ex) }

// multiFit vectorises the rows and fits the per-model heads and, with
// topics, the topic head and each topic's per-model accuracy.
func multiFit(ctx context.Context, cfg TrainConfig, ex []mexample, n int) (*multiFitted, error) {
	queries, rowOf := []string{}, map[string]int{}
	for i := range ex {
		r, ok := rowOf[ex[i].query]
		if !ok {
			r = len(queries)
			rowOf[ex[i].query] = r
			queries = append(queries, ex[i].query)
		}
		ex[i].row = r
	}
	vec, X, st, err := fitFeatures(ctx, cfg.Features, queries)
	if err != nil {
		return nil, err
	}
	f := &multiFitted{vec: vec, stages: []Stage{st}}
	t := time.Now()
	if f.head, f.loss, err = trainHeads(ctx, X, ex, n, cfg); err != nil {
		return nil, err
	}
	f.stages = append(f.stages, Stage{Name: "model heads", Duration: time.Since(t), Detail: fmt.Sprintf("%d logistic heads, %d epochs, loss %s", n, cfg.Hyper.SFTEpochs, fmtLosses(f.loss))})
	if cfg.Hyper.TopicBits > 0 {
		t = time.Now()
		if f.topic, f.topicAcc, err = trainMultiTopics(ctx, X, ex, n, cfg); err != nil {
			return nil, err
		}
		if f.topic != nil {
			f.stages = append(f.stages, Stage{Name: "topic head", Duration: time.Since(t), Detail: fmt.Sprintf("%d topics, %d buckets", len(f.topic.names), 1<<f.topic.bits)})
		}
	}
	return f, nil
}

// trainHeads fits one logistic head per model (cross-entropy + L2) by
// row-wise AdaGrad over a seeded shuffle, as trainSFT does for the
// classifier's heads.
func trainHeads(ctx context.Context, X *csr, ex []mexample, n int, cfg TrainConfig) (*multiHead, []float64, error) {
	hp := cfg.Hyper
	dim := cfg.Features.Dim()
	w, acc := make([]float64, dim*n), make([]float64, dim)
	b, gb := make([]float64, n), make([]float64, n)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x3a1))
	order := make([]int, len(ex))
	for i := range order {
		order[i] = i
	}
	var losses []float64
	var z, g, gs [maxCandidates]float64
	for epoch := 0; epoch < hp.SFTEpochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var loss float64
		for c, i := range order {
			if c%1024 == 0 && ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			e := &ex[i]
			idx, val := X.row(e.row)
			copy(z[:n], b)
			for j, f := range idx {
				x, row := float64(val[j]), w[int(f)*n:int(f)*n+n]
				for k := range row {
					z[k] += x * row[k]
				}
			}
			for k := range n {
				p := sigmoid(z[k])
				g[k] = p - e.correct[k]
				loss += softplus(z[k]) - e.correct[k]*z[k]
			}
			for j, f := range idx {
				x, base := float64(val[j]), int(f)*n
				var sq float64
				for k := range n {
					gs[k] = g[k]*x + hp.L2*w[base+k]
					sq += gs[k] * gs[k]
				}
				if sq == 0 {
					continue
				}
				acc[f] += sq / float64(n)
				scale := hp.LearningRate / (math.Sqrt(acc[f]) + 1e-8)
				for k := range n {
					w[base+k] -= scale * gs[k]
				}
			}
			for k := range n {
				gb[k] += g[k] * g[k]
				b[k] -= hp.LearningRate * g[k] / (math.Sqrt(gb[k]) + 1e-8)
			}
		}
		losses = append(losses, loss/float64(len(ex)*n))
	}
	return &multiHead{n: n, w: f32s(w), bias: f32s(b)}, losses, nil
}

// trainMultiTopics fits the topic head (as the classifier's) and each
// topic's accuracy per model, smoothed toward the model's overall
// accuracy; nil without two topics of minTopicRows rows.
func trainMultiTopics(ctx context.Context, X *csr, ex []mexample, n int, cfg TrainConfig) (*topicHead, []float64, error) {
	names, index, err := topicClasses(len(ex), func(i int) string { return ex[i].topic })
	if names == nil || err != nil {
		return nil, nil, err
	}
	shim := make([]example, len(ex))
	for i, e := range ex {
		shim[i] = example{topic: e.topic, row: e.row}
	}
	w, b, err := sgdTopics(ctx, X, shim, index, cfg)
	if err != nil {
		return nil, nil, err
	}
	T := len(names)
	h := &topicHead{bits: cfg.Hyper.TopicBits, names: names, gain: make([]float64, T), w: f32s(w), bias: f32s(b)}
	global := make([]float64, n)
	sum, rows := make([]float64, T*n), make([]float64, T)
	for _, e := range ex {
		t, ok := index[e.topic]
		for k := range n {
			global[k] += e.correct[k] / float64(len(ex))
			if ok {
				sum[t*n+k] += e.correct[k]
			}
		}
		if ok {
			rows[t]++
		}
	}
	accs := make([]float64, T*n)
	for t := range T {
		for k := range n {
			accs[t*n+k] = round6((sum[t*n+k] + topicSmoothing*global[k]) / (rows[t] + topicSmoothing))
		}
	}
	return h, accs, nil
}

// newMultiModel wraps a fit as a Model with its own copy of meta's multi
// section, so that the held-out and final models never share one.
func newMultiModel(meta Meta, f *multiFitted) *Model {
	mm := *meta.Multi
	mm.Candidates = slices.Clone(mm.Candidates)
	meta.Multi = &mm
	m := &Model{Meta: meta, vec: f.vec, topic: f.topic, multi: f.head}
	if f.topic != nil {
		h := *f.head
		h.topicAcc = f.topicAcc
		m.multi = &h
	}
	m.scorer = func(p *Prediction) float64 { return p.Score }
	return m
}
