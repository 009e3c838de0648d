package cascade

import (
	"fmt"
	"math"
	"sync"

	"github.com/llmrouter/llmrouter/internal/features"
)

// FormatVersion is the version of cascade.json and cascade.bin. A model
// directory written by another version refuses to load rather than score
// with misread weights.
const FormatVersion = 1

// LabelCheapWrong is what the verifier predicts: the cheap answer is not
// correct (INCORRECT or NOT_ATTEMPTED).
const LabelCheapWrong = "cheap_wrong"

// Meta is cascade.json. Like the router's model.json it holds no
// timestamps, so the same data and seed give the same bytes.
type Meta struct {
	FormatVersion int    `json:"format_version"`
	Label         string `json:"label"`
	// Features configures the answer n-grams; nil when the verifier reads
	// the signals alone.
	Features *features.Config `json:"answer_features,omitempty"`
	Signals  []string         `json:"signals"`
	// Threshold: escalate to the strong model when escalate_score >= it.
	Threshold       float64 `json:"threshold"`
	ThresholdShare  float64 `json:"threshold_escalation_share"`
	ThresholdSource string  `json:"threshold_source"`
	// SkipThreshold is the query router's score at or above which a cascade
	// skips the cheap call and goes straight to the strong model; nil means
	// never (pre-routing did not help on the training rows).
	SkipThreshold *float64 `json:"skip_threshold,omitempty"`
	SkipSource    string   `json:"skip_source,omitempty"`
	Hyper         Hyper    `json:"hyperparameters"`
	Seed          uint64   `json:"seed"`
	Data          DataInfo `json:"training_data"`
	Metrics       Metrics  `json:"metrics"`
	// ScoreQuantiles are evenly spaced quantiles of the out-of-fold escalate
	// scores of the training answers, for calibrate without a file.
	ScoreQuantiles []float64 `json:"score_quantiles,omitempty"`
	WeightsSHA256  string    `json:"weights_sha256"`
	WeightsBytes   int       `json:"weights_bytes"`
}

// Hyper are the verifier's training settings.
type Hyper struct {
	Epochs       int     `json:"epochs"`
	LearningRate float64 `json:"learning_rate"`
	L2           float64 `json:"l2"`
	// NGrams is false when the verifier uses the answer signals alone.
	NGrams bool `json:"ngrams"`
	// SignalScale multiplies the standardised signals, weighing them
	// against the L2-normalised n-gram blocks.
	SignalScale float64 `json:"signal_scale"`
	Folds       int     `json:"cv_folds"`
}

// DataInfo describes the rows the verifier was fitted on.
type DataInfo struct {
	Rows           int     `json:"rows"`
	SHA256         string  `json:"sha256"`
	CheapAccuracy  float64 `json:"cheap_accuracy"`
	StrongAccuracy float64 `json:"strong_accuracy"`
}

// Metrics are cross-validated measurements on the training rows.
type Metrics struct {
	// CVAPGR is the k-fold cross-validated APGR of each candidate setting
	// (keyed by Candidate.Name); Chosen names the one kept.
	CVAPGR map[string]float64 `json:"cv_apgr"`
	Chosen string             `json:"chosen"`
	// CVAPGRRule is the rule-based cascade (RuleScore) on the same rows.
	CVAPGRRule float64 `json:"cv_apgr_rule"`
	// CVAPGRQuery is the query router's out-of-fold score on the same rows,
	// when the trainer had one.
	CVAPGRQuery *float64 `json:"cv_apgr_query_only,omitempty"`
	// CVShareAt95 is the escalation share the chosen verifier needs for 95%
	// of strong-only accuracy, out of fold.
	CVShareAt95 float64 `json:"cv_escalation_share_at_95"`
}

// Verifier is a trained cascade verifier. It is immutable and safe for
// concurrent use, except for the Set methods.
type Verifier struct {
	Meta Meta

	vec   *features.Vectorizer // nil when Hyper.NGrams is false
	w     []float32            // one weight per hashed feature
	sigW  [NumSignals]float32
	sigMu [NumSignals]float64
	sigSd [NumSignals]float64
	bias  float32
	vecs  sync.Pool
}

// Threshold is the escalate score at or above which the strong model is
// asked.
func (v *Verifier) Threshold() float64 { return v.Meta.Threshold }

// Escalate applies the stored threshold to a score.
func (v *Verifier) Escalate(score float64) bool { return score >= v.Meta.Threshold }

// SkipThreshold returns the query score at or above which the cheap call is
// skipped, and false when pre-routing is off.
func (v *Verifier) SkipThreshold() (float64, bool) {
	if v.Meta.SkipThreshold == nil {
		return 0, false
	}
	return *v.Meta.SkipThreshold, true
}

// SetThreshold changes the escalation threshold (persist with
// router.SaveMeta). Not safe concurrently with Score.
func (v *Verifier) SetThreshold(t, share float64, source string) error {
	if !(t >= 0 && t <= 1) {
		return fmt.Errorf("cascade threshold %v outside [0, 1]", t)
	}
	v.Meta.Threshold, v.Meta.ThresholdShare, v.Meta.ThresholdSource = t, share, source
	return nil
}

// SetSkipThreshold turns pre-routing on at query score t, or off when t is
// NaN.
func (v *Verifier) SetSkipThreshold(t float64, source string) error {
	if math.IsNaN(t) {
		v.Meta.SkipThreshold, v.Meta.SkipSource = nil, source
		return nil
	}
	if !(t >= 0 && t <= 1) {
		return fmt.Errorf("cascade skip threshold %v outside [0, 1]", t)
	}
	v.Meta.SkipThreshold, v.Meta.SkipSource = &t, source
	return nil
}

func (v *Verifier) getVector() *features.Vector {
	if x, ok := v.vecs.Get().(*features.Vector); ok {
		return x
	}
	return &features.Vector{Idx: make([]uint32, 0, 1024), Val: make([]float32, 0, 1024)}
}

// Score is the escalate score of answer to query: the estimated chance that
// the cheap answer is wrong, so that asking the strong model may help.
func (v *Verifier) Score(query, answer string) float64 {
	z := float64(v.bias)
	answer = clip(answer)
	if v.vec != nil {
		x := v.getVector()
		v.vec.Transform(foldDigits(answer), x)
		for i, f := range x.Idx {
			z += float64(x.Val[i]) * float64(v.w[f])
		}
		v.vecs.Put(x)
	}
	s := Analyze(query, answer)
	scale := v.Meta.Hyper.SignalScale
	for k, x := range s.Vector() {
		z += float64(v.sigW[k]) * scale * (x - v.sigMu[k]) / v.sigSd[k]
	}
	return sigmoid(z)
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
