package router

import (
	"context"
	"math"
	"testing"
)

// dpoLoss is the DPO objective of one pair, computed directly.
func dpoLoss(l *linear, X *csr, p pair, beta float64) float64 {
	var z [numOut]float64
	var lp [numPolicies]float64
	idx, val := X.row(p.row)
	l.logits(idx, val, &z)
	logSoftmax(z[:numPolicies], lp[:])
	h := (lp[p.chosen] - p.refChosen) - (lp[p.rejected] - p.refRej)
	return -math.Log(sigmoid(beta * h))
}

// TestDPOGradient checks the analytic DPO gradient used by trainDPO against
// finite differences of the loss, on the bias of each policy logit.
func TestDPOGradient(t *testing.T) {
	X := &csr{off: []int{0, 2}, idx: []uint32{0, 1}, val: []float32{0.6, 0.8}}
	l := newLinear(2)
	for i := range l.w {
		l.w[i] = 0.1 * float64(i%5-2)
	}
	p := pair{row: 0, chosen: polComplex, rejected: polStandard, refChosen: math.Log(0.2), refRej: math.Log(0.5)}
	const beta, eps = 0.5, 1e-6
	var z [numOut]float64
	var lp [numPolicies]float64
	l.logits(X.idx, X.val, &z)
	logSoftmax(z[:numPolicies], lp[:])
	h := (lp[p.chosen] - p.refChosen) - (lp[p.rejected] - p.refRej)
	s := beta * sigmoid(-beta*h)
	analytic := [numPolicies]float64{}
	analytic[p.chosen], analytic[p.rejected] = -s, s
	for k := range numPolicies {
		l.b[k] += eps
		up := dpoLoss(l, X, p, beta)
		l.b[k] -= 2 * eps
		down := dpoLoss(l, X, p, beta)
		l.b[k] += eps
		if num := (up - down) / (2 * eps); math.Abs(num-analytic[k]) > 1e-6 {
			t.Errorf("logit %d: numeric gradient %v, analytic %v", k, num, analytic[k])
		}
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
	hp.DPOEpochs, hp.DPOLearningRate = 20, 0.1
	pol, losses, err := trainDPO(context.Background(), X, pairs, ref, hp, 1)
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
