package router

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/llmrouter/llmrouter/internal/features"
)

// csr holds the training vectors, one row per unique query.
type csr struct {
	off []int
	idx []uint32
	val []float32
}

func (m *csr) row(i int) ([]uint32, []float32) {
	return m.idx[m.off[i]:m.off[i+1]], m.val[m.off[i]:m.off[i+1]]
}

// fitFeatures fits the vectorizer on the distinct training queries and
// vectorises them, reporting both as the "features" stage.
func fitFeatures(ctx context.Context, cfg features.Config, queries []string) (*features.Vectorizer, *csr, Stage, error) {
	t := time.Now()
	vec, err := features.Fit(ctx, cfg, queries)
	if err != nil {
		return nil, nil, Stage{}, err
	}
	X, err := vectorize(ctx, vec, queries)
	if err != nil {
		return nil, nil, Stage{}, err
	}
	st := Stage{Name: "features", Duration: time.Since(t), Detail: fmt.Sprintf("%d queries, %d nonzeros, dim %d", len(queries), len(X.idx), cfg.Dim())}
	return vec, X, st, nil
}

// vectorize transforms queries on all cores; the result does not depend on
// the number of workers.
func vectorize(ctx context.Context, vec *features.Vectorizer, queries []string) (*csr, error) {
	workers := max(1, min(runtime.GOMAXPROCS(0), len(queries)/256))
	parts := make([]csr, workers)
	chunk := (len(queries) + workers - 1) / workers
	maxBytes := vec.Config().MaxQueryBytes
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &parts[w]
			var v features.Vector
			start, end := w*chunk, min(len(queries), (w+1)*chunk)
			for i := start; i < end; i++ {
				if i%512 == 0 && ctx.Err() != nil {
					return
				}
				if i == start+64 {
					// Reserve for the rest of the chunk (entries per query
					// byte so far, +25%) rather than doubling repeatedly.
					want := len(p.idx) + int(float64(len(p.idx))/float64(queryBytes(queries[start:i], maxBytes))*float64(queryBytes(queries[i:end], maxBytes))*1.25)
					p.idx, p.val = slices.Grow(p.idx, want-len(p.idx)), slices.Grow(p.val, want-len(p.val))
				}
				vec.Transform(queries[i], &v)
				p.off = append(p.off, len(p.idx))
				p.idx = append(p.idx, v.Idx...)
				p.val = append(p.val, v.Val...)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Sized exactly: growing ~10M entries by doubling cost more than the
	// copies themselves.
	nnz, rows := 0, 0
	for _, p := range parts {
		nnz, rows = nnz+len(p.idx), rows+len(p.off)
	}
	out := &csr{off: make([]int, 0, rows+1), idx: make([]uint32, 0, nnz), val: make([]float32, 0, nnz)}
	for _, p := range parts {
		base := len(out.idx)
		for _, o := range p.off {
			out.off = append(out.off, base+o)
		}
		out.idx = append(out.idx, p.idx...)
		out.val = append(out.val, p.val...)
	}
	out.off = append(out.off, len(out.idx))
	return out, nil
}

// queryBytes is the text Transform reads from qs (it truncates each).
func queryBytes(qs []string, maxBytes int) int {
	n := 1
	for _, q := range qs {
		n += min(len(q), maxBytes)
	}
	return n
}

// linear is the training-time (float64) form of the two-headed softmax
// model: policy logits in columns 0..2, outcome logits in 3..6.
type linear struct {
	w []float64 // feature-major, numOut per feature
	b [numOut]float64
}

func newLinear(dim int) *linear { return &linear{w: make([]float64, dim*numOut)} }

func (l *linear) clone() *linear {
	c := &linear{w: append([]float64(nil), l.w...), b: l.b}
	return c
}

// logits keeps the seven sums in locals (as Model.linearPredict does);
// each adds its terms in feature order, as a loop over k would.
func (l *linear) logits(idx []uint32, val []float32, z *[numOut]float64) {
	z0, z1, z2, z3, z4, z5, z6 := l.b[0], l.b[1], l.b[2], l.b[3], l.b[4], l.b[5], l.b[6]
	w := l.w
	for i, f := range idx {
		x := float64(val[i])
		o := int(f) * numOut
		row := w[o : o+numOut : o+numOut]
		z0 += x * row[0]
		z1 += x * row[1]
		z2 += x * row[2]
		z3 += x * row[3]
		z4 += x * row[4]
		z5 += x * row[5]
		z6 += x * row[6]
	}
	*z = [numOut]float64{z0, z1, z2, z3, z4, z5, z6}
}

// adagrad is row-wise AdaGrad: one squared-gradient sum per (feature,
// head) rather than per weight, which costs one square root per feature
// and head per example instead of one per weight, and adapts just as well
// for sparse inputs (the step size mostly depends on feature frequency).
type adagrad struct {
	lr   float64
	g    []float64 // [feature*numHeads + head]
	gb   [numOut]float64
	l2   float64
	eps  float64
	cols [2]int // update columns [cols[0], cols[1])
}

const numHeads = 2

// heads are the column ranges of the policy and outcome heads.
var heads = [numHeads][2]int{{0, numPolicies}, {numPolicies, numOut}}

func newAdagrad(dim int, lr, l2 float64, cols [2]int) *adagrad {
	return &adagrad{lr: lr, g: make([]float64, dim*numHeads), l2: l2, eps: 1e-8, cols: cols}
}

func (a *adagrad) step(l *linear, idx []uint32, val []float32, grad *[numOut]float64) {
	var gs [numOut]float64
	for i, f := range idx {
		x := float64(val[i])
		base := int(f) * numOut
		for h, hc := range heads {
			lo, hi := max(hc[0], a.cols[0]), min(hc[1], a.cols[1])
			var sq float64
			for k := lo; k < hi; k++ {
				gs[k] = grad[k]*x + a.l2*l.w[base+k]
				sq += gs[k] * gs[k]
			}
			if sq == 0 {
				continue
			}
			acc := &a.g[int(f)*numHeads+h]
			*acc += sq / float64(hi-lo)
			scale := a.lr / (math.Sqrt(*acc) + a.eps)
			for k := lo; k < hi; k++ {
				l.w[base+k] -= scale * gs[k]
			}
		}
	}
	for k := a.cols[0]; k < a.cols[1]; k++ {
		g := grad[k]
		a.gb[k] += g * g
		l.b[k] -= a.lr * g / (math.Sqrt(a.gb[k]) + a.eps)
	}
}

// trainSFT fits both heads with cross-entropy + L2 by AdaGrad SGD. The
// example order is a seeded shuffle per epoch, so runs are reproducible.
func trainSFT(ctx context.Context, X *csr, ex []example, dim int, hp Hyperparameters, seed uint64) (*linear, []float64, error) {
	l := newLinear(dim)
	opt := newAdagrad(dim, hp.LearningRate, hp.L2, [2]int{0, numOut})
	rng := rand.New(rand.NewPCG(seed, 0x5f7))
	order := make([]int, len(ex))
	for i := range order {
		order[i] = i
	}
	var losses []float64
	var z, p, grad [numOut]float64
	for epoch := 0; epoch < hp.SFTEpochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var loss float64
		for n, i := range order {
			if n%1024 == 0 && ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			e := &ex[i]
			idx, val := X.row(e.row)
			l.logits(idx, val, &z)
			softmax(z[:numPolicies], p[:numPolicies])
			softmax(z[numPolicies:], p[numPolicies:])
			for k := range numOut {
				grad[k] = p[k]
			}
			grad[e.policy]--
			loss -= math.Log(math.Max(p[e.policy], 1e-300))
			if e.cell >= 0 {
				grad[numPolicies+e.cell]--
				loss -= math.Log(math.Max(p[numPolicies+e.cell], 1e-300))
			} else {
				for k := numPolicies; k < numOut; k++ {
					grad[k] = 0
				}
			}
			opt.step(l, idx, val, &grad)
		}
		losses = append(losses, loss/float64(len(ex)))
	}
	return l, losses, nil
}

// trainDPO fine-tunes the policy head on preference pairs with the DPO loss
// −log σ(β[(log πθ(c|x) − log πref(c|x)) − (log πθ(r|x) − log πref(r|x))]),
// the SFT model frozen as πref, plus hp.DPOAnchor times the policy head's
// cross-entropy on the SFT rows. The outcome head is left as SFT made it.
//
// The DPO loss alone only ever widens chosen−rejected margins, and AdaGrad
// undoes β's scaling of the gradient, so it drives the policy head to
// certainty; the likelihood anchor (as in RPO) pulls the probabilities back
// toward the labels' frequencies. Each epoch visits the pairs and the
// anchor rows in one seeded shuffle.
func trainDPO(ctx context.Context, X *csr, pairs []pair, ex []example, ref *linear, hp Hyperparameters, seed uint64) (*linear, []float64, error) {
	var z [numOut]float64
	var lp [numPolicies]float64
	for i := range pairs {
		idx, val := X.row(pairs[i].row)
		ref.logits(idx, val, &z)
		logSoftmax(z[:numPolicies], lp[:])
		pairs[i].refChosen, pairs[i].refRej = lp[pairs[i].chosen], lp[pairs[i].rejected]
	}
	// Without the anchor the shuffle is the pairs' alone, so plain DPO
	// reproduces the unanchored recipe's models bit for bit.
	if hp.DPOAnchor == 0 {
		ex = nil
	}
	l := ref.clone()
	opt := newAdagrad(len(l.w)/numOut, hp.DPOLearningRate, hp.DPOL2, [2]int{0, numPolicies})
	rng := rand.New(rand.NewPCG(seed, 0xd90))
	order := make([]int, len(pairs)+len(ex))
	for i := range order {
		order[i] = i
	}
	var losses []float64
	var grad [numOut]float64
	for epoch := 0; epoch < hp.DPOEpochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var dpo, anchor float64
		for n, i := range order {
			if n%1024 == 0 && ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			var idx []uint32
			var val []float32
			if i < len(pairs) {
				pr := &pairs[i]
				idx, val = X.row(pr.row)
				dpo += dpoGrad(l, idx, val, pr, hp.DPOBeta, &grad)
			} else {
				e := &ex[i-len(pairs)]
				idx, val = X.row(e.row)
				anchor += anchorGrad(l, idx, val, e.policy, hp.DPOAnchor, &grad)
			}
			opt.step(l, idx, val, &grad)
		}
		loss := dpo / float64(max(1, len(pairs)))
		if len(ex) > 0 {
			loss += hp.DPOAnchor * anchor / float64(len(ex))
		}
		losses = append(losses, loss)
	}
	return l, losses, nil
}

// dpoGrad sets grad to the gradient of one pair's DPO loss with respect to
// the logits and returns the loss.
func dpoGrad(l *linear, idx []uint32, val []float32, pr *pair, beta float64, grad *[numOut]float64) float64 {
	var z [numOut]float64
	var lp [numPolicies]float64
	l.logits(idx, val, &z)
	logSoftmax(z[:numPolicies], lp[:])
	h := (lp[pr.chosen] - pr.refChosen) - (lp[pr.rejected] - pr.refRej)
	// d loss/d z = −β σ(−βh) (e_chosen − e_rejected): the softmax
	// normaliser cancels between the two log-probabilities.
	s := beta * sigmoid(-beta*h)
	*grad = [numOut]float64{}
	grad[pr.chosen] = -s
	grad[pr.rejected] = s
	return softplus(-beta * h)
}

// anchorGrad sets grad to the gradient of weight × the policy head's
// cross-entropy for label and returns the unweighted cross-entropy.
func anchorGrad(l *linear, idx []uint32, val []float32, label int, weight float64, grad *[numOut]float64) float64 {
	var z [numOut]float64
	var p [numPolicies]float64
	l.logits(idx, val, &z)
	softmax(z[:numPolicies], p[:])
	*grad = [numOut]float64{}
	for k := range numPolicies {
		grad[k] = weight * p[k]
	}
	grad[label] -= weight
	return -math.Log(math.Max(p[label], 1e-300))
}

func logSoftmax(z, out []float64) {
	mx := math.Inf(-1)
	for _, x := range z {
		mx = math.Max(mx, x)
	}
	var sum float64
	for _, x := range z {
		sum += math.Exp(x - mx)
	}
	lse := mx + math.Log(sum)
	for k, x := range z {
		out[k] = x - lse
	}
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// softplus(x) = log(1+e^x), stable for large |x|.
func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	return math.Log1p(math.Exp(x))
}
