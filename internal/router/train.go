package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/features"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

// Hyperparameters are the training settings saved in model.json.
type Hyperparameters struct {
	SFTEpochs       int     `json:"sft_epochs"`
	DPOEpochs       int     `json:"dpo_epochs"`
	LearningRate    float64 `json:"learning_rate"`
	L2              float64 `json:"l2"`
	DPOBeta         float64 `json:"dpo_beta"`
	DPOLearningRate float64 `json:"dpo_learning_rate"`
	DPOL2           float64 `json:"dpo_l2"`
	// DPOAnchor weighs the policy head's cross-entropy on the SFT rows,
	// added to the DPO loss so that DPO cannot push the head to certainty.
	DPOAnchor float64 `json:"dpo_anchor"`
	// ValidationFraction of the SFT rows (seeded, topic-stratified) is held
	// out to choose the score kind; the final model trains on every row.
	ValidationFraction float64 `json:"validation_fraction"`
	// TopicBits sizes the topic head's folded word space (2^TopicBits
	// buckets); 0 disables the head. TopicLearningRate is its AdaGrad rate.
	TopicBits         int       `json:"topic_bits"`
	TopicLearningRate float64   `json:"topic_learning_rate"`
	KNN               KNNConfig `json:"knn"`
}

// TrainConfig configures Train. Start from DefaultTrainConfig.
type TrainConfig struct {
	// SFTPath/DPOPath are read when SFT/DPO are nil. DPO data is optional.
	SFTPath, DPOPath string
	SFT              []trl.SFTRow
	DPO              []trl.DPORow
	// OutcomesPath is read when Outcomes is nil: every model's graded
	// result per query, which KindMulti trains on (instead of SFT/DPO).
	OutcomesPath string
	Outcomes     []trl.OutcomeRow
	// Prices are the catalogue's, per model, for KindMulti's expected
	// costs; a model without one is costed at its rows' mean cost.
	Prices map[string]catalog.Price
	// TargetQuality sets KindMulti's initial threshold: the cheapest t
	// whose held-out accuracy reaches this share of the best single
	// model's (until calibrate).
	TargetQuality float64

	Kind     string // KindClassifier (default), KindKNN, KindRandom or KindMulti
	Features features.Config
	Hyper    Hyperparameters
	Seed     uint64
	// ScoreKind forces a score kind; empty chooses by validation APGR.
	ScoreKind string
	// DefaultStrongShare sets the initial threshold (until calibrate).
	DefaultStrongShare float64
	CheapModel         string
	StrongModel        string
	Log                *slog.Logger
	// Cascade configures the answer verifier, fitted when the SFT rows
	// carry cheap answers.
	Cascade CascadeConfig
}

// DefaultTrainConfig returns the defaults the CLI uses.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{
		Kind:     KindClassifier,
		Features: features.DefaultConfig(),
		Hyper: Hyperparameters{
			SFTEpochs: 3, DPOEpochs: 1,
			LearningRate: 0.02, L2: 1e-4,
			// DPO's rate and anchor were chosen by the policy head's
			// validation calibration on the recorded MMLU and GSM8K runs:
			// without the anchor (or at the SFT rate) DPO saturates the
			// head; a lower β saturates it further, since DPO's optimum
			// moves the logits by the preference log-odds / β.
			DPOBeta: 0.1, DPOLearningRate: 0.01, DPOL2: 0, DPOAnchor: 2,
			ValidationFraction: 0.15,
			TopicBits:          12, TopicLearningRate: 0.1,
			KNN: DefaultKNNConfig(),
		},
		Seed:               42,
		DefaultStrongShare: 0.3,
		TargetQuality:      0.95,
	}
}

func (c *TrainConfig) validate() error {
	h := c.Hyper
	switch {
	case c.Kind != KindClassifier && c.Kind != KindKNN && c.Kind != KindRandom && c.Kind != KindMulti:
		return fmt.Errorf("router kind %q: want %s, %s, %s or %s", c.Kind, KindClassifier, KindKNN, KindRandom, KindMulti)
	case c.Kind == KindMulti && !(c.TargetQuality > 0 && c.TargetQuality <= 1):
		return fmt.Errorf("target quality %v: want (0, 1]", c.TargetQuality)
	case h.SFTEpochs < 1 && (c.Kind == KindClassifier || c.Kind == KindMulti):
		return fmt.Errorf("sft epochs %d: want at least 1", h.SFTEpochs)
	case h.DPOEpochs < 0:
		return fmt.Errorf("dpo epochs %d: want 0 or more", h.DPOEpochs)
	case !(h.LearningRate > 0) || !(h.DPOLearningRate > 0):
		return fmt.Errorf("learning rates must be positive (sft %v, dpo %v)", h.LearningRate, h.DPOLearningRate)
	case !(h.L2 >= 0) || !(h.DPOL2 >= 0):
		return fmt.Errorf("l2 must be >= 0 (sft %v, dpo %v)", h.L2, h.DPOL2)
	case !(h.DPOAnchor >= 0):
		return fmt.Errorf("dpo anchor %v: want >= 0", h.DPOAnchor)
	case !(h.DPOBeta > 0):
		return fmt.Errorf("dpo beta %v: want > 0", h.DPOBeta)
	case !(h.ValidationFraction >= 0 && h.ValidationFraction < 0.9):
		return fmt.Errorf("validation fraction %v: want [0, 0.9)", h.ValidationFraction)
	case h.TopicBits != 0 && (h.TopicBits < 4 || h.TopicBits > 20):
		return fmt.Errorf("topic bits %d: want 0 (off) or [4, 20]", h.TopicBits)
	case h.TopicBits != 0 && !(h.TopicLearningRate > 0):
		return fmt.Errorf("topic learning rate %v: want > 0", h.TopicLearningRate)
	case !(c.DefaultStrongShare >= 0 && c.DefaultStrongShare <= 1):
		return fmt.Errorf("default strong share %v: want [0, 1]", c.DefaultStrongShare)
	}
	if c.ScoreKind != "" {
		if _, err := scorer(c.ScoreKind); err != nil {
			return err
		}
	}
	if c.Kind == KindKNN {
		if err := h.KNN.validate(); err != nil {
			return err
		}
	}
	return c.Features.Validate()
}

// Metrics are the training-time measurements saved in model.json. They
// hold no wall times, so the same data and seed give the same bytes.
type Metrics struct {
	SFTExamples        int       `json:"sft_examples"`
	DPOPairs           int       `json:"dpo_pairs"`
	ValidationExamples int       `json:"validation_examples"`
	SFTEpochLoss       []float64 `json:"sft_epoch_loss,omitempty"`
	// DPOEpochLoss is the DPO stage's objective: the mean DPO loss plus
	// DPOAnchor × the anchor rows' mean cross-entropy.
	DPOEpochLoss []float64 `json:"dpo_epoch_loss,omitempty"`
	// ValidationAPGR is each score kind's APGR on the held-out slice, for
	// the full recipe (SFT then DPO); ValidationAPGRSFT for SFT alone.
	ValidationAPGR    map[string]float64 `json:"validation_apgr,omitempty"`
	ValidationAPGRSFT map[string]float64 `json:"validation_apgr_sft_only,omitempty"`
	// ValidationStrongShare95 is the strong share the chosen score needs for
	// 95% of strong-only accuracy on the held-out slice.
	ValidationStrongShare95 *float64 `json:"validation_strong_share_at_95,omitempty"`
	// The policy head's calibration on the held-out slice, against each
	// row's policy label, for SFT alone and after DPO: the expected
	// calibration error (10 equal-width bins of the top-class probability),
	// the mean top-class probability and the top class's accuracy. A
	// router that reads the probabilities (e.g. a cascade's confidence)
	// needs them to mean what they say.
	ValidationCalibrationExamples int      `json:"validation_calibration_examples,omitempty"`
	ValidationECEPolicySFT        *float64 `json:"validation_ece_policy_sft,omitempty"`
	ValidationECEPolicyDPO        *float64 `json:"validation_ece_policy_dpo,omitempty"`
	ValidationMeanTopPolicySFT    *float64 `json:"validation_mean_top_prob_policy_sft,omitempty"`
	ValidationMeanTopPolicyDPO    *float64 `json:"validation_mean_top_prob_policy_dpo,omitempty"`
	ValidationAccuracyPolicySFT   *float64 `json:"validation_accuracy_policy_sft,omitempty"`
	ValidationAccuracyPolicyDPO   *float64 `json:"validation_accuracy_policy_dpo,omitempty"`
	ScoreSelection                string   `json:"score_selection"`
}

// Stage is one training stage's summary, for the CLI (not saved: it holds
// wall times).
type Stage struct {
	Name     string
	Duration time.Duration
	Detail   string
}

// Train fits a router. It is deterministic: the same data, config and seed
// give a model that saves to the same bytes.
func Train(ctx context.Context, cfg TrainConfig) (*Model, []Stage, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := cfg.validate(); err != nil {
		return nil, nil, err
	}
	// The topic head folds the word half of the hashed space; it cannot be
	// larger than that half.
	cfg.Hyper.TopicBits = min(cfg.Hyper.TopicBits, cfg.Features.HashBits-1)
	if cfg.Kind == KindMulti {
		return trainMulti(ctx, cfg)
	}
	start := time.Now()
	data, err := loadData(&cfg)
	if err != nil {
		return nil, nil, err
	}
	stages := []Stage{{Name: "load", Duration: time.Since(start), Detail: fmt.Sprintf("%d SFT rows, %d DPO pairs", len(data.examples), len(data.pairs))}}
	meta := Meta{
		FormatVersion: FormatVersion, Kind: cfg.Kind, Features: cfg.Features,
		Labels: slices.Clone(policy.Labels), OutcomeLabels: slices.Clone(OutcomeLabels),
		Seed: cfg.Seed, Hyper: cfg.Hyper, Data: data.info,
		CheapModel: cfg.CheapModel, StrongModel: cfg.StrongModel,
	}
	meta.Metrics.SFTExamples, meta.Metrics.DPOPairs = len(data.examples), len(data.pairs)
	if cfg.Kind == KindRandom {
		meta.ScoreKind, meta.Metrics.ScoreSelection = ScoreRandom, "random router"
		m, err := finish(ctx, &meta, nil, nil, cfg, data.examples, nil)
		return m, stages, err
	}
	// The validation fit (to choose the score) and the final fit (on every
	// row) are independent; run them on separate cores. Each is
	// single-threaded inside, so the result does not depend on scheduling.
	t := time.Now()
	var (
		kind     string
		st       []Stage
		heldOut  []float64
		errValid error
		wg       sync.WaitGroup
	)
	validMetrics := meta.Metrics
	cascadeDone := startCascade(ctx, cfg, data.examples, &wg)
	wg.Add(1)
	go func() {
		defer wg.Done()
		kind, st, heldOut, errValid = chooseScore(ctx, cfg, data, &validMetrics)
	}()
	f, err := fit(ctx, cfg, slices.Clone(data.examples), slices.Clone(data.pairs), &meta.Metrics)
	wg.Wait()
	if err = errors.Join(errValid, err, cascadeDone.err); err != nil {
		return nil, nil, err
	}
	validMetrics.SFTEpochLoss, validMetrics.DPOEpochLoss = meta.Metrics.SFTEpochLoss, meta.Metrics.DPOEpochLoss
	meta.Metrics = validMetrics
	stages = append(stages, st...)
	stages = append(stages, f.stages...)
	meta.ScoreKind = kind
	m, err := finish(ctx, &meta, f, f.final(), cfg, data.examples, heldOut)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Kind == KindClassifier {
		m.Cascade = cascadeDone.v
		stages = append(stages, cascadeDone.stage)
	}
	stages = append(stages, Stage{Name: "total", Duration: time.Since(start), Detail: fmt.Sprintf("validation and final fits in parallel, %v", time.Since(t).Round(time.Millisecond))})
	return m, stages, nil
}

// fitted is the result of fitting on one set of rows.
type fitted struct {
	vec    *features.Vectorizer
	sft    *linear
	dpo    *linear // nil without DPO pairs or epochs
	knn    *knnIndex
	topic  *topicHead
	stages []Stage
}

func (f *fitted) final() *linear {
	if f.dpo != nil {
		return f.dpo
	}
	return f.sft
}

// fit vectorises the rows and trains the configured kind on them.
func fit(ctx context.Context, cfg TrainConfig, ex []example, pairs []pair, mt *Metrics) (*fitted, error) {
	queries, rowOf := []string{}, map[string]int{}
	addQuery := func(q string) int {
		if r, ok := rowOf[q]; ok {
			return r
		}
		rowOf[q] = len(queries)
		queries = append(queries, q)
		return len(queries) - 1
	}
	for i := range ex {
		ex[i].row = addQuery(ex[i].query)
	}
	for i := range pairs {
		pairs[i].row = addQuery(pairs[i].query)
	}
	vec, X, st, err := fitFeatures(ctx, cfg.Features, queries)
	if err != nil {
		return nil, err
	}
	f := &fitted{vec: vec, stages: []Stage{st}}
	t := time.Now()
	if cfg.Kind == KindKNN {
		f.knn = newKNNIndex(X, ex, cfg.Features.Dim(), cfg.Hyper.KNN)
		f.stages = append(f.stages, Stage{Name: "knn index", Duration: time.Since(t), Detail: fmt.Sprintf("%d neighbours", len(ex))})
		return f, nil
	}
	var sftLoss, dpoLoss []float64
	if f.sft, sftLoss, err = trainSFT(ctx, X, ex, cfg.Features.Dim(), cfg.Hyper, cfg.Seed); err != nil {
		return nil, err
	}
	f.stages = append(f.stages, Stage{Name: "sft", Duration: time.Since(t), Detail: fmt.Sprintf("%d epochs, loss %s", cfg.Hyper.SFTEpochs, fmtLosses(sftLoss))})
	if cfg.Hyper.TopicBits > 0 {
		t = time.Now()
		if f.topic, err = trainTopicHead(ctx, X, ex, cfg); err != nil {
			return nil, err
		}
		if f.topic != nil {
			f.stages = append(f.stages, Stage{Name: "topic head", Duration: time.Since(t), Detail: fmt.Sprintf("%d topics, %d buckets", len(f.topic.names), 1<<f.topic.bits)})
		}
	}
	if len(pairs) > 0 && cfg.Hyper.DPOEpochs > 0 {
		t = time.Now()
		if f.dpo, dpoLoss, err = trainDPO(ctx, X, pairs, ex, f.sft, cfg.Hyper, cfg.Seed); err != nil {
			return nil, err
		}
		f.stages = append(f.stages, Stage{Name: "dpo", Duration: time.Since(t), Detail: fmt.Sprintf("%d epochs, beta %g, anchor %g, loss %s", cfg.Hyper.DPOEpochs, cfg.Hyper.DPOBeta, cfg.Hyper.DPOAnchor, fmtLosses(dpoLoss))})
	}
	if mt != nil {
		mt.SFTEpochLoss, mt.DPOEpochLoss = roundAll(sftLoss), roundAll(dpoLoss)
	}
	return f, nil
}

func fmtLosses(ls []float64) string {
	s := ""
	for i, l := range ls {
		if i > 0 {
			s += " → "
		}
		s += fmt.Sprintf("%.4f", l)
	}
	return s
}

// roundAll keeps 6 significant digits: enough to read, and stable text.
func roundAll(xs []float64) []float64 {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		out = append(out, round6(x))
	}
	return out
}

func round6(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	p := math.Pow(10, 5-math.Floor(math.Log10(math.Abs(x))))
	return math.Round(x*p) / p
}

// splitValidation holds out frac of the examples, stratified by topic and
// seeded, returning (fit, validation).
func splitValidation(ex []example, frac float64, seed uint64) ([]example, []example) {
	groups := map[string][]int{}
	for i, e := range ex {
		groups[e.topic] = append(groups[e.topic], i)
	}
	topics := make([]string, 0, len(groups))
	for t := range groups {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	rng := rand.New(rand.NewPCG(seed, 0x7a1))
	val := make([]bool, len(ex))
	for _, t := range topics {
		g := groups[t]
		rng.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
		for _, i := range g[:int(math.Round(frac*float64(len(g))))] {
			val[i] = true
		}
	}
	var fitEx, valEx []example
	for i, e := range ex {
		if val[i] {
			valEx = append(valEx, e)
		} else {
			fitEx = append(fitEx, e)
		}
	}
	return fitEx, valEx
}

var errNoValidation = errors.New("no validation outcomes")
