package router

import (
	"context"
	"math"
	"testing"
)

// TestDPOStageGradients checks the analytic gradients trainDPO steps on,
// the DPO loss of a pair and the weighted anchor cross-entropy of a row,
// against finite differences of losses computed directly, on the bias of
// each policy logit.
func TestDPOStageGradients(t *testing.T) {
	X := &csr{off: []int{0, 2}, idx: []uint32{0, 1}, val: []float32{0.6, 0.8}}
	p := pair{row: 0, chosen: polComplex, rejected: polStandard, refChosen: math.Log(0.2), refRej: math.Log(0.5)}
	logProbs := func(l *linear) [numPolicies]float64 {
		var z [numOut]float64
		var lp [numPolicies]float64
		l.logits(X.idx, X.val, &z)
		logSoftmax(z[:numPolicies], lp[:])
		return lp
	}
	const beta, weight = 0.5, 2.0
	tests := []struct {
		name string
		loss func(l *linear) float64
		grad func(l *linear, g *[numOut]float64)
	}{
		{"dpo", func(l *linear) float64 {
			lp := logProbs(l)
			return -math.Log(sigmoid(beta * ((lp[p.chosen] - p.refChosen) - (lp[p.rejected] - p.refRej))))
		}, func(l *linear, g *[numOut]float64) { dpoGrad(l, X.idx, X.val, &p, beta, g) }},
		{"anchor", func(l *linear) float64 {
			return -weight * logProbs(l)[polAmbiguous]
		}, func(l *linear, g *[numOut]float64) { anchorGrad(l, X.idx, X.val, polAmbiguous, weight, g) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLinear(2)
			for i := range l.w {
				l.w[i] = 0.1 * float64(i%5-2)
			}
			var analytic [numOut]float64
			tc.grad(l, &analytic)
			const eps = 1e-6
			for k := range numPolicies {
				l.b[k] += eps
				up := tc.loss(l)
				l.b[k] -= 2 * eps
				down := tc.loss(l)
				l.b[k] += eps
				if num := (up - down) / (2 * eps); math.Abs(num-analytic[k]) > 1e-6 {
					t.Errorf("logit %d: numeric gradient %v, analytic %v", k, num, analytic[k])
				}
			}
			for k := numPolicies; k < numOut; k++ {
				if analytic[k] != 0 {
					t.Errorf("outcome logit %d has gradient %v; the DPO stage must leave that head alone", k, analytic[k])
				}
			}
		})
	}
}

// TestDPOMovesTowardChosen: after DPO, the chosen label gains probability
// relative to the reference on the training pairs.
func TestDPOMovesTowardChosen(t *testing.T) {
	X := &csr{off: []int{0, 1, 2}, idx: []uint32{0, 1}, val: []float32{1, 1}}
	ex := []example{{row: 0, policy: polStandard, cell: -1}, {row: 1, policy: polStandard, cell: -1}}
	hp := DefaultTrainConfig().Hyper
	ref, _, err := trainSFT(context.Background(), X, ex, 2, hp, 1)
	if err != nil {
		t.Fatal(err)
	}
	pairs := []pair{{row: 1, chosen: polComplex, rejected: polStandard}}
	// Plain DPO: the anchor pulls toward the SFT label, which here is
	// the rejected one.
	hp.DPOEpochs, hp.DPOLearningRate, hp.DPOAnchor = 20, 0.1, 0
	pol, losses, err := trainDPO(context.Background(), X, pairs, ex, ref, hp, 1)
	if err != nil {
		t.Fatal(err)
	}
	if losses[len(losses)-1] >= math.Log(2) {
		t.Errorf("DPO loss did not fall below log 2: %v", losses)
	}
	var zr, zp [numOut]float64
	ref.logits(X.idx[1:2], X.val[1:2], &zr)
	pol.logits(X.idx[1:2], X.val[1:2], &zp)
	if zp[polComplex]-zp[polStandard] <= zr[polComplex]-zr[polStandard] {
		t.Error("DPO did not raise the chosen label's margin over the rejected one")
	}
	if zp[numPolicies] != zr[numPolicies] {
		t.Error("DPO changed the outcome head")
	}
}
