package cascade

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/llmrouter/llmrouter/internal/features"
)

// fit trains one logistic verifier on ex with AdaGrad SGD: seeded row
// order, L2 applied to the weights a row touches (the usual lazy form for
// sparse rows), labels 1 for a wrong cheap answer.
func fit(ctx context.Context, ex []Example, h Hyper, seed uint64) (*Verifier, error) {
	v := &Verifier{Meta: Meta{FormatVersion: FormatVersion, Label: LabelCheapWrong, Hyper: h, Signals: SignalNames[:]}}
	rows := make([]sparseRow, len(ex))
	if h.NGrams {
		cfg := answerFeatures()
		answers := make([]string, len(ex))
		for i, e := range ex {
			answers[i] = foldDigits(e.Answer)
		}
		vec, err := features.Fit(ctx, cfg, answers)
		if err != nil {
			return nil, err
		}
		v.vec, v.Meta.Features = vec, &cfg
		v.w = make([]float32, cfg.Dim())
		for i, a := range answers {
			var x features.Vector
			vec.Transform(a, &x)
			rows[i].idx, rows[i].val = slices.Clone(x.Idx), slices.Clone(x.Val)
		}
	}
	sig := make([][NumSignals]float64, len(ex))
	for i, e := range ex {
		sig[i] = Analyze(e.Query, e.Answer).Vector()
	}
	v.standardise(sig)
	for i := range rows {
		for k, x := range sig[i] {
			rows[i].sig[k] = h.SignalScale * (x - v.sigMu[k]) / v.sigSd[k]
		}
		rows[i].y = 1 - b2f(ex[i].CheapCorrect)
	}
	w, sw, bias, err := sgd(ctx, rows, len(v.w), h, seed)
	if err != nil {
		return nil, err
	}
	for i, x := range w {
		v.w[i] = float32(x)
	}
	for k, x := range sw {
		v.sigW[k] = float32(x)
	}
	v.bias = float32(bias)
	return v, nil
}

type sparseRow struct {
	idx []uint32
	val []float32
	sig [NumSignals]float64
	y   float64
}

// standardise sets each signal's mean and deviation; a constant signal
// keeps deviation 1 so it contributes nothing.
func (v *Verifier) standardise(sig [][NumSignals]float64) {
	n := float64(len(sig))
	for k := range NumSignals {
		var s, ss float64
		for _, r := range sig {
			s += r[k]
			ss += r[k] * r[k]
		}
		mu := s / n
		sd := math.Sqrt(math.Max(0, ss/n-mu*mu))
		if sd < 1e-9 {
			sd = 1
		}
		v.sigMu[k], v.sigSd[k] = mu, sd
	}
}

func sgd(ctx context.Context, rows []sparseRow, dim int, h Hyper, seed uint64) ([]float64, [NumSignals]float64, float64, error) {
	w := make([]float64, dim)
	gw := make([]float64, dim)
	var sw, gs [NumSignals]float64
	var bias, gb float64
	const eps = 1e-8
	rng := rand.New(rand.NewPCG(seed, 0x736764))
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	for range h.Epochs {
		if err := ctx.Err(); err != nil {
			return nil, sw, 0, err
		}
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for _, i := range order {
			r := &rows[i]
			z := bias
			for j, f := range r.idx {
				z += float64(r.val[j]) * w[f]
			}
			for k, x := range r.sig {
				z += x * sw[k]
			}
			g := sigmoid(z) - r.y
			for j, f := range r.idx {
				d := g*float64(r.val[j]) + h.L2*w[f]
				gw[f] += d * d
				w[f] -= h.LearningRate * d / (math.Sqrt(gw[f]) + eps)
			}
			for k, x := range r.sig {
				d := g*x + h.L2*sw[k]
				gs[k] += d * d
				sw[k] -= h.LearningRate * d / (math.Sqrt(gs[k]) + eps)
			}
			gb += g * g
			bias -= h.LearningRate * g / (math.Sqrt(gb) + eps)
		}
	}
	return w, sw, bias, nil
}
