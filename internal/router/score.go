package router

import (
	"fmt"
	"math"
)

// Score kinds: ways to turn a prediction into "how much does this query need
// the strong model". All map into [0, 1] so thresholds share one range. The
// trainer measures each on a validation slice and keeps the best.
const (
	// ScorePComplex is P(Complex_Query).
	ScorePComplex = "p_complex"
	// ScoreComplexMinusStandard is (P(Complex) − P(Standard) + 1) / 2.
	ScoreComplexMinusStandard = "complex_minus_standard"
	// ScoreOutcomeGain is (P(cheap wrong, strong right) − P(cheap right,
	// strong wrong) + 1) / 2: the expected accuracy gain of the strong model.
	ScoreOutcomeGain = "outcome_gain"
	// ScoreCheapWrong is P(cheap wrong) from the outcome head.
	ScoreCheapWrong = "cheap_wrong"
	// ScoreBlend averages complex_minus_standard and outcome_gain.
	ScoreBlend = "blend"
	// ScoreTopicGain is (topic head's expected gain + 1) / 2.
	ScoreTopicGain = "topic_gain"
	// ScoreBlendTopic averages outcome_gain and topic_gain: two estimates
	// of the same expected gain, per query and per topic.
	ScoreBlendTopic = "blend_topic"
	// ScoreRandom is a seeded hash of the query (random router only).
	ScoreRandom = "random"
	// ScoreEscalation is the N-model router's escalation score (see
	// EscalationScore; multi router only).
	ScoreEscalation = "escalation"
)

// ScoreKinds lists the candidate kinds in the order they are compared;
// on equal validation APGR the earlier (simpler) one wins.
var ScoreKinds = []string{ScorePComplex, ScoreComplexMinusStandard, ScoreOutcomeGain, ScoreCheapWrong, ScoreBlend, ScoreTopicGain, ScoreBlendTopic}

// needsTopic reports whether a score kind uses the topic head.
func needsTopic(kind string) bool { return kind == ScoreTopicGain || kind == ScoreBlendTopic }

type scoreFunc func(p *Prediction) float64

// scoreInline computes the built-in kinds without an indirect call, so the
// Prediction does not escape to the heap in the hot path.
func scoreInline(kind string, p *Prediction) (float64, bool) {
	switch kind {
	case ScorePComplex:
		return p.Policy[polComplex], true
	case ScoreComplexMinusStandard:
		return complexMinusStandard(p), true
	case ScoreOutcomeGain:
		return outcomeGain(p), true
	case ScoreBlend:
		return (complexMinusStandard(p) + outcomeGain(p)) / 2, true
	case ScoreTopicGain:
		return topicGain(p), true
	case ScoreBlendTopic:
		return (outcomeGain(p) + topicGain(p)) / 2, true
	}
	return 0, false
}

func scorer(kind string) (scoreFunc, error) {
	switch kind {
	case ScorePComplex:
		return func(p *Prediction) float64 { return p.Policy[polComplex] }, nil
	case ScoreComplexMinusStandard:
		return complexMinusStandard, nil
	case ScoreOutcomeGain:
		return outcomeGain, nil
	case ScoreCheapWrong:
		return func(p *Prediction) float64 { return p.Outcome[cellStrongOnly] + p.Outcome[cellBothWrong] }, nil
	case ScoreBlend:
		return func(p *Prediction) float64 { return (complexMinusStandard(p) + outcomeGain(p)) / 2 }, nil
	case ScoreTopicGain:
		return topicGain, nil
	case ScoreBlendTopic:
		return func(p *Prediction) float64 { return (outcomeGain(p) + topicGain(p)) / 2 }, nil
	case ScoreRandom, ScoreEscalation:
		return func(p *Prediction) float64 { return p.Score }, nil
	}
	return nil, fmt.Errorf("unknown score kind %q (want one of %v)", kind, ScoreKinds)
}

func complexMinusStandard(p *Prediction) float64 {
	return clamp01((p.Policy[polComplex] - p.Policy[polStandard] + 1) / 2)
}

func outcomeGain(p *Prediction) float64 {
	return clamp01((p.Outcome[cellStrongOnly] - p.Outcome[cellCheapOnly] + 1) / 2)
}

func topicGain(p *Prediction) float64 { return clamp01((p.TopicGain + 1) / 2) }

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }

// randomScore is the random router's score: uniform in [0, 1), fixed per
// (seed, query) so the same query always routes the same way.
func randomScore(seed uint64, query string) float64 {
	h := uint64(14695981039346656037) // FNV-1a, inline: no allocation
	for i := 0; i < len(query); i++ {
		h ^= uint64(query[i])
		h *= 1099511628211
	}
	x := h ^ seed*0x9e3779b97f4a7c15
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}
