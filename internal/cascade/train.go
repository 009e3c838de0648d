package cascade

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/llmrouter/llmrouter/internal/features"
	"github.com/llmrouter/llmrouter/internal/quality"
)

// Example is one training row: a query, the cheap model's answer, and
// whether each model answered it correctly.
type Example struct {
	Query, Answer               string
	CheapCorrect, StrongCorrect bool
	// QueryScore is the query router's out-of-sample score, NaN when the
	// trainer has none; it is only used to report the query-only baseline.
	QueryScore float64
}

// TrainConfig configures Train.
type TrainConfig struct {
	Seed uint64
	// Folds for cross-validation (default 5).
	Folds int
	// EscalationShare sets the initial threshold to the out-of-fold score
	// quantile that escalates this share; 0 uses the share that reaches 95%
	// of strong-only accuracy out of fold.
	EscalationShare float64
	Log             *slog.Logger
}

// MinRows is the fewest answered rows a verifier is trained on: below it,
// cross-validation folds are too small to choose anything.
const MinRows = 40

// ErrNoAnswers means the rows carry no usable cheap answers (recorded
// outcomes without answer texts, such as the recorded MMLU benchmark).
var ErrNoAnswers = errors.New("no cheap-model answer texts to train a cascade verifier on")

// Candidate is one hyperparameter setting compared by cross-validation.
type Candidate struct {
	Name  string
	Hyper Hyper
}

// Candidates are compared in order; on equal APGR the earlier, simpler one
// wins.
var Candidates = []Candidate{
	{"signals", Hyper{Epochs: 30, LearningRate: 0.1, L2: 1e-3, SignalScale: 1}},
	{"ngrams+signals/l2=1e-2", Hyper{Epochs: 20, LearningRate: 0.1, L2: 1e-2, NGrams: true, SignalScale: 0.5}},
	{"ngrams+signals/l2=1e-3", Hyper{Epochs: 20, LearningRate: 0.1, L2: 1e-3, NGrams: true, SignalScale: 0.5}},
	{"ngrams+signals/l2=1e-4", Hyper{Epochs: 20, LearningRate: 0.1, L2: 1e-4, NGrams: true, SignalScale: 0.5}},
}

// answerFeatures is the n-gram configuration for answers: the query
// router's, without its query characteristics (the signals replace them).
func answerFeatures() features.Config {
	c := features.DefaultConfig()
	c.Dense = false
	return c
}

// Train fits a verifier. It is deterministic: the same rows, config and
// seed give the same bytes.
func Train(ctx context.Context, ex []Example, cfg TrainConfig) (*Verifier, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Folds == 0 {
		cfg.Folds = 5
	}
	if cfg.Folds < 2 {
		return nil, fmt.Errorf("cascade: %d cross-validation folds, want at least 2", cfg.Folds)
	}
	if !(cfg.EscalationShare >= 0 && cfg.EscalationShare <= 1) {
		return nil, fmt.Errorf("cascade: escalation share %v outside [0, 1]", cfg.EscalationShare)
	}
	if err := checkRows(ex); err != nil {
		return nil, err
	}
	cheap, strong := correctness(ex)
	folds := assignFolds(ex, cfg.Folds, cfg.Seed)
	mt := Metrics{CVAPGR: map[string]float64{}}
	best, bestAPGR := -1, math.Inf(-1)
	var bestOOF []float64
	for i, c := range Candidates {
		oof, err := outOfFold(ctx, ex, folds, cfg.Folds, c.Hyper, cfg.Seed)
		if err != nil {
			return nil, err
		}
		a, _ := quality.APGR(oof, cheap, strong)
		mt.CVAPGR[c.Name] = round6(a)
		cfg.Log.Debug("cascade candidate", "name", c.Name, "cv_apgr", a)
		if a > bestAPGR+1e-9 {
			best, bestAPGR, bestOOF = i, a, oof
		}
	}
	if best < 0 {
		return nil, errors.New("cascade: no candidate has a finite cross-validated APGR (do both models answer alike on every row?)")
	}
	mt.Chosen = Candidates[best].Name
	// The metrics are NaN where undefined, with or without an error (such
	// as both models answering alike on every row): recorded as they are.
	share95, _ := quality.StrongShareAt(bestOOF, cheap, strong, 0.95)
	mt.CVShareAt95 = round6(share95)
	rule := make([]float64, len(ex))
	for i, e := range ex {
		rule[i] = RuleScore(e.Query, e.Answer)
	}
	ruleAPGR, _ := quality.APGR(rule, cheap, strong)
	mt.CVAPGRRule = round6(ruleAPGR)
	if qs, ok := queryScores(ex); ok {
		queryAPGR, _ := quality.APGR(qs, cheap, strong)
		a := round6(queryAPGR)
		mt.CVAPGRQuery = &a
	}
	h := Candidates[best].Hyper
	h.Folds = cfg.Folds
	v, err := fit(ctx, ex, h, cfg.Seed)
	if err != nil {
		return nil, err
	}
	v.Meta.Metrics, v.Meta.Seed = mt, cfg.Seed
	v.Meta.Data = dataInfo(ex, cheap, strong)
	v.Meta.ScoreQuantiles = quantiles(bestOOF, 100)
	share, source := cfg.EscalationShare, "train --cascade-share"
	if share == 0 {
		share, source = mt.CVShareAt95, "cross-validated share for 95% of strong-only accuracy"
	}
	if math.IsNaN(share) {
		share = 0.5
	}
	if err := v.SetThreshold(thresholdForScores(bestOOF, share), round6(share), source); err != nil {
		return nil, err
	}
	return v, nil
}

func checkRows(ex []Example) error {
	if len(ex) == 0 {
		return ErrNoAnswers
	}
	if len(ex) < MinRows {
		return fmt.Errorf("cascade: %d answered rows, need at least %d", len(ex), MinRows)
	}
	var wrong int
	for _, e := range ex {
		if !e.CheapCorrect {
			wrong++
		}
	}
	if wrong == 0 || wrong == len(ex) {
		return fmt.Errorf("cascade: the cheap model is %s on all %d rows; nothing to learn", map[bool]string{true: "wrong", false: "right"}[wrong > 0], len(ex))
	}
	return nil
}

func correctness(ex []Example) (cheap, strong []float64) {
	cheap, strong = make([]float64, len(ex)), make([]float64, len(ex))
	for i, e := range ex {
		cheap[i], strong[i] = b2f(e.CheapCorrect), b2f(e.StrongCorrect)
	}
	return cheap, strong
}

func queryScores(ex []Example) ([]float64, bool) {
	qs := make([]float64, len(ex))
	for i, e := range ex {
		if math.IsNaN(e.QueryScore) {
			return nil, false
		}
		qs[i] = e.QueryScore
	}
	return qs, true
}

// assignFolds deals a seeded permutation into k folds, wrong and right
// cheap answers separately, so every fold has the same error rate.
func assignFolds(ex []Example, k int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 0x63617363))
	perm := rng.Perm(len(ex))
	fold := make([]int, len(ex))
	var nRight, nWrong int
	for _, i := range perm {
		if ex[i].CheapCorrect {
			fold[i] = nRight % k
			nRight++
		} else {
			fold[i] = nWrong % k
			nWrong++
		}
	}
	return fold
}

// outOfFold scores every row with a verifier fitted on the other folds.
func outOfFold(ctx context.Context, ex []Example, fold []int, k int, h Hyper, seed uint64) ([]float64, error) {
	oof := make([]float64, len(ex))
	for f := range k {
		var train []Example
		for i, e := range ex {
			if fold[i] != f {
				train = append(train, e)
			}
		}
		v, err := fit(ctx, train, h, seed)
		if err != nil {
			return nil, err
		}
		for i, e := range ex {
			if fold[i] == f {
				oof[i] = v.Score(e.Query, e.Answer)
			}
		}
	}
	return oof, nil
}

func dataInfo(ex []Example, cheap, strong []float64) DataInfo {
	h := sha256.New()
	for _, e := range ex {
		fmt.Fprintf(h, "%s\x00%s\x00%t\x00%t\n", e.Query, e.Answer, e.CheapCorrect, e.StrongCorrect)
	}
	return DataInfo{
		Rows: len(ex), SHA256: hex.EncodeToString(h.Sum(nil)),
		CheapAccuracy: round6(mean(cheap)), StrongAccuracy: round6(mean(strong)),
	}
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func round6(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 6, 64), 64)
	return r
}

// quantiles returns n+1 evenly spaced quantiles of xs, 0 to 1, rounded so
// that cascade.json stays short.
func quantiles(xs []float64, n int) []float64 {
	out := quality.Quantiles(xs, n+1)
	for i, q := range out {
		out[i] = round6(q)
	}
	return out
}

// ThresholdForShare is the escalate-score threshold that escalates share
// of the answers whose sorted scores (or stored quantiles) are given: the
// (1 − share) quantile. The top score itself would still escalate at its
// quantile, so share 0 gets a threshold above every score.
func ThresholdForShare(sorted []float64, share float64) float64 {
	if share <= 0 {
		return 1
	}
	return quality.ThresholdForShare(sorted, share)
}

func thresholdForScores(xs []float64, share float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return ThresholdForShare(s, share)
}
