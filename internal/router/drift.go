package router

import (
	"math"
	"sync"

	"github.com/llmrouter/llmrouter/internal/features"
)

// Drift: how unlike the training queries a routed query is, in [0, 1]
// (1 = nothing like them). A router scores every query, including ones it
// has no basis for; drift is how a user learns that the traffic has left
// the distribution the router was trained on.
//
// It is read from the fitted vectorizer alone (features.Novelty), so every
// saved model has it without a format change, and combines two parts as a
// noisy-OR, drift = 1 − (1 − content)(1 − form):
//
//   - content = clamp((rarity − reference) / DriftContentSpan, 0, 1), where
//     rarity is the count-weighted mean IDF rarity of the query's hashed
//     n-grams (an n-gram bucket no training query touched counts 1) and
//     reference is the rarity a training query has, estimated from the
//     IDF's document frequencies. Text in another language or vocabulary
//     the training set never used drives it to 1.
//   - form = 1 − exp(−excess / DriftFormScale), where excess sums how far
//     (in training standard deviations) each of the 12 query
//     characteristics lies beyond the ±5σ the classifier clips them to:
//     a query shaped like no training query (an MMLU-trained router has
//     only ever seen four answer lines and "Answer:") lies there.
//
// The unseen-bucket share alone does not work at the default 2^16
// buckets: the MMLU training queries touch every word bucket and 94% of
// character buckets, so almost no query has unseen mass. The constants
// were chosen on a validation slice (every even-indexed question of the
// recorded MMLU test split against 60 everyday prompts,
// testdata/everyday_validation.txt) and tested on a disjoint one (odd
// indices, testdata/everyday_test.txt): see TestDriftSeparates.
const (
	// DriftThreshold: a query whose drift reaches it is out of
	// distribution.
	DriftThreshold = 0.5
	// DriftContentSpan is the rarity above the training reference at
	// which content drift reaches 1.
	DriftContentSpan = 0.15
	// DriftFormScale is the characteristic excess (in standard
	// deviations past the clip) at which form drift reaches 1 − 1/e.
	DriftFormScale = 4.0
)

// driftRef caches the training rarity reference, computed from the IDF on
// first use (about a millisecond) rather than stored in the model.
type driftRef struct {
	once sync.Once
	ref  float64
}

// Drift is how unlike the training queries query is, in [0, 1]; ok is
// false for a model without a vectorizer (the random baseline), which
// has no notion of its training queries. It allocates nothing once warm
// and is safe for concurrent use.
func (m *Model) Drift(query string) (drift float64, ok bool) {
	if m.vec == nil {
		return 0, false
	}
	return m.driftOf(m.vec.Novelty(query)), true
}

// driftOf turns a query's novelty into its drift; m must have a
// vectorizer.
func (m *Model) driftOf(n features.Novelty) float64 {
	content, form := m.driftParts(n)
	return 1 - (1-content)*(1-form)
}

// driftParts is drift's content and form parts.
func (m *Model) driftParts(n features.Novelty) (content, form float64) {
	m.drift.once.Do(func() { m.drift.ref = m.vec.TrainingRarity() })
	content = 1 // nothing the vectorizer can read: nothing like training
	if n.Grams > 0 {
		content = math.Max(0, math.Min(1, (n.Rarity-m.drift.ref)/DriftContentSpan))
	}
	return content, 1 - math.Exp(-n.Excess/DriftFormScale)
}

// OutOfDistribution reports whether a drift score reaches DriftThreshold.
func OutOfDistribution(drift float64) bool { return drift >= DriftThreshold }

// decide is Decide at threshold t with the query's drift, measured from
// the same feature extraction as the prediction, so that a decision with
// drift costs one tokenisation of the query.
func (m *Model) decide(query string, t float64) Decision {
	if m.vec == nil {
		return Decide(m.Predict(query), t)
	}
	var n features.Novelty
	d := Decide(m.predict(query, &n), t)
	d.Drift, d.HasDrift = m.driftOf(n), true
	return d
}
