package router

import (
	"fmt"
	"math"

	"github.com/llmrouter/llmrouter/internal/features"
	"github.com/llmrouter/llmrouter/internal/policy"
)

// The N-model router (KindMulti) predicts each candidate model's chance of
// answering correctly, P_k, from the same features as the classifier, and
// picks the model that maximises
//
//	(1 − t) · P_k − t · c_k / C
//
// where c_k is the candidate's expected cost per query (learned from the
// oracle rows' tokens and the catalogue's prices), C the priciest
// candidate's, and t in [0, 1] the one cost–quality knob stored as the
// model's threshold: 0 buys the best predicted model whatever it costs, 1
// always the cheapest, 0.5 trades one unit of accuracy for the priciest
// model's cost. In the usual form P_k − λ·c_k, λ = t / ((1 − t)·C) per USD.
//
// The score is t*, the largest t at which the router still prefers a
// model pricier than the cheapest: a query leaves the cheapest model
// exactly when its score exceeds t. With two candidates, the score is the
// estimated accuracy gain of the pricier model per unit of normalised
// extra cost, r = (P_s − P_c) / ((c_s − c_c)/C), mapped to r / (1 + r);
// a threshold on it is a threshold on the score, as for the classifier.

// KindMulti is the N-model router.
const KindMulti = "multi"

// maxCandidates bounds the candidates so predictions fit stack arrays.
const maxCandidates = 16

// Probability kinds: how P_k is estimated. Train measures each on the
// held-out slice and keeps the best.
const (
	// ProbLinear is a logistic head per model over the sparse features.
	ProbLinear = "linear"
	// ProbTopic is the topic head's P(topic | query) times each topic's
	// smoothed training accuracy of the model.
	ProbTopic = "topic"
	// ProbBlend averages the two.
	ProbBlend = "blend"
)

// ProbKinds lists the kinds in the order they are compared; on equal
// validation area the earlier (simpler) one wins.
var ProbKinds = []string{ProbLinear, ProbTopic, ProbBlend}

// Candidate is one model the N-model router chooses from, in model.json.
type Candidate struct {
	Model string `json:"model"`
	// PriceInput and PriceOutput are USD per 1M tokens from the catalogue;
	// both 0 when the model was not in it (CostUSD is then the rows' mean).
	PriceInput  float64 `json:"price_input"`
	PriceOutput float64 `json:"price_output"`
	// MeanInputTokens and MeanOutputTokens (billed, thinking included) are
	// the training rows' means.
	MeanInputTokens  float64 `json:"mean_input_tokens"`
	MeanOutputTokens float64 `json:"mean_output_tokens"`
	// CostUSD is the expected cost per query the router weighs.
	CostUSD float64 `json:"expected_cost_usd"`
	// TrainAccuracy is the model's accuracy on the training rows.
	TrainAccuracy float64 `json:"train_accuracy"`
}

// LambdaPoint is the N-model router's realised accuracy and cost per query
// at one threshold t, on the held-out rows.
type LambdaPoint struct {
	T            float64 `json:"t"`
	Accuracy     float64 `json:"accuracy"`
	CostPerQuery float64 `json:"cost_per_query_usd"`
	// Shares is the share of queries sent to each candidate.
	Shares []float64 `json:"shares"`
}

// MultiMeta is the N-model part of model.json.
type MultiMeta struct {
	Candidates []Candidate `json:"candidates"`
	ProbKind   string      `json:"prob_kind"`
	// CostScale is C, the priciest candidate's expected cost per query.
	CostScale float64 `json:"cost_scale_usd"`
	// LambdaPerUSD is λ at the stored threshold t (t / ((1 − t)·C));
	// +Inf is not JSON, so t = 1 stores -1.
	LambdaPerUSD float64 `json:"lambda_per_usd"`
	// Target is what set the threshold, e.g. "quality 0.95 of the best
	// single model" or "cost $0.0004 per query".
	Target string `json:"target,omitempty"`
	// ValidationArea is each probability kind's mean accuracy over the
	// cost range on the held-out slice (see routingArea).
	ValidationArea map[string]float64 `json:"validation_area,omitempty"`
	// Curve is the router's accuracy and cost along t on CurveSource's
	// rows; calibrate reads it to meet a cost or quality target.
	Curve       []LambdaPoint `json:"curve"`
	CurveSource string        `json:"curve_source"`
	// BestSingle is the most accurate single candidate on the curve's rows.
	BestSingle         string  `json:"best_single"`
	BestSingleAccuracy float64 `json:"best_single_accuracy"`
}

// Estimate is one candidate's prediction for one query.
type Estimate struct {
	Model string `json:"model"`
	// PCorrect is the estimated chance the model answers correctly.
	PCorrect float64 `json:"p_correct"`
	// CostUSD is the candidate's expected cost per query.
	CostUSD float64 `json:"expected_cost_usd"`
}

// multiHead holds the N-model router's weights.
type multiHead struct {
	n    int
	w    []float32 // feature-major: w[f*n+k]
	bias []float32
	// topicAcc is each topic's smoothed accuracy per model, [t*n+k], when
	// the model has a topic head.
	topicAcc []float64
}

// Candidates returns the N-model router's candidate models in order, or
// nil for a two-model router.
func (m *Model) Candidates() []string {
	if m.Meta.Multi == nil {
		return nil
	}
	out := make([]string, len(m.Meta.Multi.Candidates))
	for i, c := range m.Meta.Multi.Candidates {
		out[i] = c.Model
	}
	return out
}

// probs fills p[:n] with each candidate's P(correct) for query, and the
// query's novelty into nov unless it is nil.
func (m *Model) probs(query string, p []float64, nov *features.Novelty) {
	var lin, top [maxCandidates]float64
	kind := m.Meta.Multi.ProbKind
	m.components(query, kind != ProbTopic, kind != ProbLinear, lin[:], top[:], nov)
	combine(kind, lin[:], top[:], p[:m.multi.n])
}

// components computes the logistic heads' and the topic head's estimates,
// each only when asked for, measuring novelty into nov as predict does.
func (m *Model) components(query string, wantLin, wantTopic bool, lin, top []float64, nov *features.Novelty) {
	v := m.getVector()
	defer m.vecs.Put(v)
	m.vec.TransformNovelty(query, v, nov)
	if wantLin {
		m.multi.linear(v, lin[:m.multi.n])
	}
	if wantTopic && m.topic != nil {
		m.topicProbs(v, top[:m.multi.n])
	}
}

// combine turns the two estimates into kind's probabilities.
func combine(kind string, lin, top, p []float64) {
	for k := range p {
		switch kind {
		case ProbLinear:
			p[k] = lin[k]
		case ProbTopic:
			p[k] = top[k]
		default:
			p[k] = (lin[k] + top[k]) / 2
		}
	}
}

// linear computes the per-model logistic heads.
func (h *multiHead) linear(v *features.Vector, out []float64) {
	n := h.n
	var z [maxCandidates]float64
	for k := range n {
		z[k] = float64(h.bias[k])
	}
	for i, f := range v.Idx {
		x := float64(v.Val[i])
		row := h.w[int(f)*n : int(f)*n+n]
		for k, w := range row {
			z[k] += x * float64(w)
		}
	}
	for k := range n {
		out[k] = sigmoid(z[k])
	}
}

// topicProbs is Σ_topic P(topic | v) · accuracy(topic, model).
func (m *Model) topicProbs(v *features.Vector, out []float64) {
	h, n := m.topic, m.multi.n
	T := len(h.names)
	var z, pt [maxTopics]float64
	for t := range T {
		z[t] = float64(h.bias[t])
	}
	h.addLogits(z[:T:T], v, uint32(1)<<(m.Meta.Features.HashBits-1))
	softmax(z[:T], pt[:T])
	for k := range n {
		out[k] = 0
	}
	for t := range T {
		acc := m.multi.topicAcc[t*n : t*n+n]
		for k := range n {
			out[k] += pt[t] * acc[k]
		}
	}
}

// Estimates returns every candidate's P(correct) and expected cost for
// query; nil for a two-model router.
func (m *Model) Estimates(query string) []Estimate {
	if m.multi == nil {
		return nil
	}
	return m.estimates(query, nil)
}

// estimates is Estimates for an N-model router, measuring the query's
// novelty into nov unless it is nil.
func (m *Model) estimates(query string, nov *features.Novelty) []Estimate {
	var p [maxCandidates]float64
	m.probs(query, p[:m.multi.n], nov)
	out := make([]Estimate, m.multi.n)
	for k, c := range m.Meta.Multi.Candidates {
		out[k] = Estimate{Model: c.Model, PCorrect: p[k], CostUSD: c.CostUSD}
	}
	return out
}

// Choose returns the index of the candidate maximising (1 − t)·P − t·c/C
// among those allowed (nil allows all), ties going to the cheaper; -1 if
// none is allowed.
func Choose(est []Estimate, t, scale float64, allowed []bool) int {
	best, bestU := -1, math.Inf(-1)
	for k, e := range est {
		if allowed != nil && !allowed[k] {
			continue
		}
		u := (1-t)*e.PCorrect - t*e.CostUSD/scale
		if best < 0 || u > bestU || (u == bestU && e.CostUSD < est[best].CostUSD) {
			best, bestU = k, u
		}
	}
	return best
}

// cheapestIndex is the candidate with the lowest expected cost (the first
// on ties) among those allowed.
func cheapestIndex(est []Estimate, allowed []bool) int {
	c := -1
	for k, e := range est {
		if (allowed == nil || allowed[k]) && (c < 0 || e.CostUSD < est[c].CostUSD) {
			c = k
		}
	}
	return c
}

// EscalationScore is the largest t at which a model pricier than the
// cheapest allowed one still wins (see the package's N-model notes): in
// [0, 1], 0 when no pricier model is predicted better.
func EscalationScore(est []Estimate, scale float64, allowed []bool) float64 {
	c := cheapestIndex(est, allowed)
	if c < 0 {
		return 0
	}
	r := 0.0
	for k, e := range est {
		if k == c || (allowed != nil && !allowed[k]) {
			continue
		}
		gain := e.PCorrect - est[c].PCorrect
		if gain <= 0 {
			continue
		}
		extra := (e.CostUSD - est[c].CostUSD) / scale
		if extra <= 0 {
			return 1 // as good and no dearer: preferred at any t < 1
		}
		r = math.Max(r, gain/extra)
	}
	return r / (1 + r)
}

// LambdaPerUSD converts the knob t to λ per USD for a cost scale C.
func LambdaPerUSD(t, scale float64) float64 {
	if t >= 1 || scale <= 0 {
		return -1
	}
	return t / ((1 - t) * scale)
}

// predictMulti fills a Prediction for the two-model interfaces: the
// escalation score, and policy and outcome probabilities from the
// cheap/strong pair's P(correct), taken as independent (Standard: cheap
// right; Complex: cheap wrong, strong right; Ambiguous: both wrong).
func (m *Model) predictMulti(query string, p *Prediction) {
	var pr [maxCandidates]float64
	n := m.multi.n
	m.probs(query, pr[:n], nil)
	var est [maxCandidates]Estimate
	for k, c := range m.Meta.Multi.Candidates {
		est[k] = Estimate{Model: c.Model, PCorrect: pr[k], CostUSD: c.CostUSD}
	}
	m.fillPrediction(est[:n], p)
}

// fillPrediction sets the two-model view of an N-model estimate.
func (m *Model) fillPrediction(est []Estimate, p *Prediction) {
	p.Score = EscalationScore(est, m.Meta.Multi.CostScale, nil)
	ci, si := m.pairIndex()
	pc, ps := est[ci].PCorrect, est[si].PCorrect
	p.Policy[polStandard], p.Policy[polComplex], p.Policy[polAmbiguous] = pc, (1-pc)*ps, (1-pc)*(1-ps)
	p.Outcome[cellBothRight], p.Outcome[cellCheapOnly] = pc*ps, pc*(1-ps)
	p.Outcome[cellStrongOnly], p.Outcome[cellBothWrong] = (1-pc)*ps, (1-pc)*(1-ps)
}

// pairIndex returns the candidate indexes of the cheap and strong models:
// the recorded pair when both are candidates, else the cheapest and the
// priciest.
func (m *Model) pairIndex() (cheap, strong int) {
	cheap, strong = -1, -1
	cs := m.Meta.Multi.Candidates
	for k, c := range cs {
		switch c.Model {
		case m.Meta.CheapModel:
			cheap = k
		case m.Meta.StrongModel:
			strong = k
		}
	}
	if cheap < 0 || strong < 0 {
		return costExtremes(cs)
	}
	return cheap, strong
}

// decideMulti is Route for the N-model router at threshold t, with the
// query's drift measured from the same feature extraction as the
// estimates.
func (m *Model) decideMulti(query string, t float64) Decision {
	var n features.Novelty
	est := m.estimates(query, &n)
	var p Prediction
	m.fillPrediction(est, &p)
	d := Decide(p, t)
	d.Drift, d.HasDrift = m.driftOf(n), true
	k := Choose(est, t, m.Meta.Multi.CostScale, nil)
	d.Candidates, d.Model = est, est[k].Model
	// The policy follows the choice, which at a tie (score == t) keeps the
	// cheapest model.
	if k == cheapestIndex(est, nil) && d.Policy == policy.Complex {
		d.Policy = PolicyFor(Prediction{Score: -1, Policy: p.Policy}, t)
	}
	return d
}

// ChooseAt re-decides an N-model decision at threshold t among the allowed
// models (nil: all), without predicting again. It returns the chosen
// model, whether it is the cheapest allowed one, and false when the
// decision has no estimates or no allowed candidate.
func (m *Model) ChooseAt(d Decision, t float64, allowed []bool) (model string, cheapest, ok bool) {
	if m.Meta.Multi == nil || len(d.Candidates) == 0 {
		return "", false, false
	}
	k := Choose(d.Candidates, t, m.Meta.Multi.CostScale, allowed)
	if k < 0 {
		return "", false, false
	}
	return d.Candidates[k].Model, k == cheapestIndex(d.Candidates, allowed), true
}

func (mm *MultiMeta) validate() error {
	n := len(mm.Candidates)
	switch {
	case n < 2 || n > maxCandidates:
		return fmt.Errorf("multi: %d candidates, want 2 to %d", n, maxCandidates)
	case !(mm.CostScale > 0) || math.IsInf(mm.CostScale, 0):
		return fmt.Errorf("multi: cost scale %v, want > 0", mm.CostScale)
	}
	seen := map[string]bool{}
	for i, c := range mm.Candidates {
		if c.Model == "" || seen[c.Model] {
			return fmt.Errorf("multi: candidate %d: empty or repeated model %q", i, c.Model)
		}
		if !(c.CostUSD >= 0) || math.IsInf(c.CostUSD, 0) {
			return fmt.Errorf("multi: candidate %s: expected cost %v, want >= 0", c.Model, c.CostUSD)
		}
		seen[c.Model] = true
	}
	for _, k := range ProbKinds {
		if mm.ProbKind == k {
			return nil
		}
	}
	return fmt.Errorf("multi: unknown probability kind %q (want one of %v)", mm.ProbKind, ProbKinds)
}
