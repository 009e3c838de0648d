package router

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/llmrouter/llmrouter/internal/cascade"
	"github.com/llmrouter/llmrouter/internal/features"
	"github.com/llmrouter/llmrouter/internal/policy"
)

// Model kinds.
const (
	KindClassifier = "classifier"
	KindKNN        = "knn"
	KindRandom     = "random"
)

// Default model names when the model metadata names none.
const (
	DefaultCheapModel  = "gemini-2.5-flash"
	DefaultStrongModel = "gemini-2.5-pro"
)

// Outcome cells: the joint (cheap, strong) correctness, NOT_ATTEMPTED
// counting as not correct. Index = 2*cheapWrong + strongWrong.
const (
	cellBothRight = iota
	cellCheapOnly
	cellStrongOnly
	cellBothWrong
	numCells
)

// OutcomeLabels names the outcome head's classes in order.
var OutcomeLabels = []string{"cheap_correct/strong_correct", "cheap_correct/strong_wrong", "cheap_wrong/strong_correct", "cheap_wrong/strong_wrong"}

const (
	numPolicies = 3
	numOut      = numPolicies + numCells // policy head, then outcome head
)

// Index of each label in policy.Labels.
const (
	polStandard = iota
	polComplex
	polAmbiguous
)

// Prediction is a router's full output for one query, without maps so the
// hot path does not allocate.
type Prediction struct {
	// Score in [0, 1]: higher means the strong model is more needed.
	Score float64
	// Policy holds P(label) in policy.Labels order.
	Policy [numPolicies]float64
	// Outcome holds P(cell) in OutcomeLabels order.
	Outcome [numCells]float64
	// TopicGain is the topic head's expected strong − cheap correctness in
	// [−1, 1] (0 without a topic head).
	TopicGain float64
}

// Model is a trained (or random) router loaded in memory. It is immutable
// and safe for concurrent use, except for SetThreshold.
type Model struct {
	Meta Meta

	vec    *features.Vectorizer
	w      []float32 // classifier weights, feature-major: w[f*numOut+k]
	bias   [numOut]float32
	knn    *knnIndex
	topic  *topicHead
	multi  *multiHead
	vecs   sync.Pool
	scorer scoreFunc
	drift  driftRef

	// Cascade is the answer verifier trained next to the router, nil when
	// the training rows had no cheap answers to learn from.
	Cascade *cascade.Verifier
}

// Name implements Router.
func (m *Model) Name() string { return m.Meta.Kind }

// Threshold is the score at or above which a query goes to Complex_Query.
func (m *Model) Threshold() float64 { return m.Meta.Threshold }

// CheapModel and StrongModel are the models the static policy map uses.
func (m *Model) CheapModel() string { return orDefault(m.Meta.CheapModel, DefaultCheapModel) }

// StrongModel: see CheapModel.
func (m *Model) StrongModel() string { return orDefault(m.Meta.StrongModel, DefaultStrongModel) }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// ModelFor is the static policy → model map: Complex goes to the strong
// model, Standard and Ambiguous to the cheap one (when neither model is
// reliable, paying for the strong one buys little).
func (m *Model) ModelFor(label string) string {
	if label == policy.Complex {
		return m.StrongModel()
	}
	return m.CheapModel()
}

func (m *Model) getVector() *features.Vector {
	if v, ok := m.vecs.Get().(*features.Vector); ok {
		return v
	}
	return &features.Vector{Idx: make([]uint32, 0, 1024), Val: make([]float32, 0, 1024)}
}

// Predict scores one query. It allocates nothing once warm for the
// classifier and random kinds.
func (m *Model) Predict(query string) Prediction { return m.predict(query, nil) }

// predict is Predict, measuring the query's novelty into nov from the same
// feature extraction unless nov is nil (classifier and kNN kinds).
func (m *Model) predict(query string, nov *features.Novelty) Prediction {
	var p Prediction
	switch m.Meta.Kind {
	case KindRandom:
		p.Score = randomScore(m.Meta.Seed, query)
		for k := range p.Policy {
			p.Policy[k] = 1.0 / numPolicies
		}
		for k := range p.Outcome {
			p.Outcome[k] = 1.0 / numCells
		}
		return p
	case KindKNN:
		v := m.getVector()
		m.vec.TransformNovelty(query, v, nov)
		m.knn.predict(v, &p)
		m.vecs.Put(v)
	case KindMulti:
		m.predictMulti(query, &p)
		return p
	default:
		v := m.getVector()
		m.vec.TransformNovelty(query, v, nov)
		m.linearPredict(v, &p)
		m.vecs.Put(v)
	}
	if s, ok := scoreInline(m.Meta.ScoreKind, &p); ok {
		p.Score = s
		return p
	}
	q := p // keep p on the stack: only this copy escapes
	p.Score = m.scorer(&q)
	return p
}

// linearPredict computes the two heads' logits. The numOut accumulators
// live in registers rather than an array; each still adds its terms in
// feature order, so the results are bit-identical to a loop over k.
func (m *Model) linearPredict(v *features.Vector, p *Prediction) {
	z0, z1, z2, z3 := float64(m.bias[0]), float64(m.bias[1]), float64(m.bias[2]), float64(m.bias[3])
	z4, z5, z6 := float64(m.bias[4]), float64(m.bias[5]), float64(m.bias[6])
	w := m.w
	for i, f := range v.Idx {
		x := float64(v.Val[i])
		o := int(f) * numOut
		row := w[o : o+numOut : o+numOut]
		z0 += x * float64(row[0])
		z1 += x * float64(row[1])
		z2 += x * float64(row[2])
		z3 += x * float64(row[3])
		z4 += x * float64(row[4])
		z5 += x * float64(row[5])
		z6 += x * float64(row[6])
	}
	z := [numOut]float64{z0, z1, z2, z3, z4, z5, z6}
	softmax(z[:numPolicies], p.Policy[:])
	softmax(z[numPolicies:], p.Outcome[:])
	if m.topic != nil {
		p.TopicGain = m.topic.predictGain(v, uint32(1)<<(m.Meta.Features.HashBits-1))
	}
}

// linearPredict unrolls the heads by hand: it needs numOut == 7.
var _ = [1]struct{}{}[numOut-7]

func softmax(z, out []float64) {
	mx := math.Inf(-1)
	for _, x := range z {
		mx = math.Max(mx, x)
	}
	var sum float64
	for k, x := range z {
		out[k] = math.Exp(x - mx)
		sum += out[k]
	}
	for k := range out {
		out[k] /= sum
	}
}

// PolicyFor applies the decision rule: Complex_Query when the score reaches
// the threshold, otherwise the likelier of Standard_Query and
// Ambiguous_Query (the score alone decides whether the strong model is
// worth it; the probabilities only say why not).
func PolicyFor(p Prediction, threshold float64) string {
	if p.Score >= threshold {
		return policy.Complex
	}
	if p.Policy[polAmbiguous] > p.Policy[polStandard] {
		return policy.Ambiguous
	}
	return policy.Standard
}

// Decide turns a prediction into a Decision at the given threshold.
func Decide(p Prediction, threshold float64) Decision {
	probs := make(map[string]float64, numPolicies)
	for k, l := range policy.Labels {
		probs[l] = p.Policy[k]
	}
	return Decision{Policy: PolicyFor(p, threshold), Score: p.Score, Probs: probs}
}

// Route implements Router with the model's stored threshold.
func (m *Model) Route(ctx context.Context, query string) (Decision, error) {
	if err := ctx.Err(); err != nil {
		return Decision{}, err
	}
	return m.DecideAt(query, m.Meta.Threshold), nil
}

// DecideAt routes query at threshold t: the score threshold of a
// two-model router, or an N-model router's cost–quality knob.
func (m *Model) DecideAt(query string, t float64) Decision {
	if m.multi != nil {
		return m.decideMulti(query, t)
	}
	return m.decide(query, t)
}

// SetThreshold changes the stored threshold (call Save or SaveMeta to
// persist). Not safe concurrently with Route.
func (m *Model) SetThreshold(t float64, share float64, source string) error {
	if !(t >= 0 && t <= 1) {
		return fmt.Errorf("threshold %v outside [0, 1]", t)
	}
	m.Meta.Threshold, m.Meta.ThresholdStrongShare, m.Meta.ThresholdSource = t, share, source
	return nil
}

var _ Router = (*Model)(nil)
