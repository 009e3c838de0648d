package router

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/llmrouter/llmrouter/internal/features"
)

// KNNConfig configures the similarity-weighted nearest-neighbour router,
// after RouteLLM's sw_ranking: the outcome distribution of the K most
// similar training queries, each weighted by exp(Temperature × similarity).
type KNNConfig struct {
	K           int     `json:"k"`
	Temperature float64 `json:"temperature"`
}

// DefaultKNNConfig is the kNN baseline's default.
func DefaultKNNConfig() KNNConfig { return KNNConfig{K: 40, Temperature: 10} }

func (c KNNConfig) validate() error {
	if c.K < 1 || c.K > 10000 {
		return fmt.Errorf("knn k %d: want [1, 10000]", c.K)
	}
	if !(c.Temperature >= 0 && c.Temperature <= 1000) {
		return fmt.Errorf("knn temperature %v: want [0, 1000]", c.Temperature)
	}
	return nil
}

// knnIndex is an inverted index over the training vectors' n-gram part
// (the dense characteristics would swamp cosine similarity).
type knnIndex struct {
	cfg     KNNConfig
	docs    *csr // the stored vectors (n-gram entries only)
	cell    []int8
	policy  []int8
	postOff []int32   // per feature, into post
	post    []posting // per feature, in document order
	prior   Prediction
	pool    sync.Pool
}

// posting is one document's value of a feature; doc and value side by side
// so the accumulation reads one stream.
type posting struct {
	doc int32
	val float32
}

type knnScratch struct {
	acc []float32
	top []int32 // heap of the best K so far, then the best K in order
}

// newKNNIndex indexes the examples' rows of X; hashed features are those
// below 2^HashBits, i.e. dim minus the dense block.
func newKNNIndex(X *csr, ex []example, dim int, cfg KNNConfig) *knnIndex {
	hashed := uint32(dim - features.NumDense)
	nnz := 0
	for _, e := range ex {
		idx, _ := X.row(e.row)
		nnz += len(idx)
	}
	docs := &csr{off: make([]int, 1, len(ex)+1), idx: make([]uint32, 0, nnz), val: make([]float32, 0, nnz)}
	cell := make([]int8, len(ex))
	pol := make([]int8, len(ex))
	for i, e := range ex {
		idx, val := X.row(e.row)
		for j, f := range idx {
			if f < hashed {
				docs.idx = append(docs.idx, f)
				docs.val = append(docs.val, val[j])
			}
		}
		docs.off = append(docs.off, len(docs.idx))
		cell[i], pol[i] = int8(e.cell), int8(e.policy)
	}
	return buildKNN(cfg, docs, cell, pol, int(hashed))
}

func buildKNN(cfg KNNConfig, docs *csr, cell, pol []int8, hashed int) *knnIndex {
	k := &knnIndex{cfg: cfg, docs: docs, cell: cell, policy: pol, postOff: make([]int32, hashed+1)}
	for _, f := range docs.idx {
		k.postOff[f+1]++
	}
	for f := 1; f <= hashed; f++ {
		k.postOff[f] += k.postOff[f-1]
	}
	k.post = make([]posting, len(docs.idx))
	fill := append([]int32(nil), k.postOff[:hashed]...)
	n := len(docs.off) - 1
	for d := 0; d < n; d++ {
		idx, val := docs.row(d)
		for j, f := range idx {
			k.post[fill[f]] = posting{int32(d), val[j]}
			fill[f]++
		}
	}
	var counts [numOut]float64
	for d := 0; d < n; d++ {
		counts[pol[d]]++
		if cell[d] >= 0 {
			counts[numPolicies+int(cell[d])]++
		}
	}
	normalise(counts[:numPolicies], k.prior.Policy[:])
	normalise(counts[numPolicies:], k.prior.Outcome[:])
	return k
}

func normalise(w, out []float64) {
	var s float64
	for _, x := range w {
		s += x
	}
	for i := range out {
		if s > 0 {
			out[i] = w[i] / s
		} else {
			out[i] = 1 / float64(len(out))
		}
	}
}

// predict fills p's distributions from the neighbours of v.
//
// Similarities accumulate in float32 in v's feature order, as they always
// have (their exact values feed the weights). Every stored value is
// positive, so the documents sharing a feature with v are exactly those
// with a non-zero sum: a scan finds them without a branch per posting, and
// a bounded heap keeps the K best instead of sorting them all.
func (k *knnIndex) predict(v *features.Vector, p *Prediction) {
	n := len(k.cell)
	sc, ok := k.pool.Get().(*knnScratch)
	if !ok {
		sc = &knnScratch{acc: make([]float32, n), top: make([]int32, 0, k.cfg.K)}
	}
	acc := sc.acc[:n:n]
	hashed := uint32(len(k.postOff) - 1)
	for i, f := range v.Idx {
		if f >= hashed {
			continue
		}
		x := v.Val[i]
		for _, e := range k.post[k.postOff[f]:k.postOff[f+1]] {
			acc[e.doc] += x * e.val
		}
	}
	sc.top = topK(acc, sc.top[:0], k.cfg.K)
	if len(sc.top) == 0 {
		p.Policy, p.Outcome = k.prior.Policy, k.prior.Outcome
	} else {
		var wp [numOut]float64
		best := float64(acc[sc.top[0]]) / 2 // two unit blocks: sim in [0, 1]
		for _, d := range sc.top {
			w := math.Exp(k.cfg.Temperature * (float64(acc[d])/2 - best))
			wp[k.policy[d]] += w
			if c := k.cell[d]; c >= 0 {
				wp[numPolicies+int(c)] += w
			}
		}
		normalise(wp[:numPolicies], p.Policy[:])
		normalise(wp[numPolicies:], p.Outcome[:])
	}
	clear(acc)
	k.pool.Put(sc)
}

// better orders neighbours: higher similarity first, ties to the lower
// training index, so the selection is deterministic.
func better(acc []float32, a, b int32) bool {
	if acc[a] != acc[b] {
		return acc[a] > acc[b]
	}
	return a < b
}

// topK returns the (at most) K documents with non-zero similarity that
// come first under better, in that order. h is a min-heap (worst on top)
// while scanning, then sorted.
func topK(acc []float32, h []int32, K int) []int32 {
	for d, x := range acc {
		if x == 0 {
			continue
		}
		if len(h) < K {
			h = append(h, int32(d))
			siftUp(acc, h, len(h)-1)
		} else if better(acc, int32(d), h[0]) {
			h[0] = int32(d)
			siftDown(acc, h, 0)
		}
	}
	slices.SortFunc(h, func(a, b int32) int {
		if better(acc, a, b) {
			return -1
		}
		return 1
	})
	return h
}

func siftUp(acc []float32, h []int32, i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !better(acc, h[parent], h[i]) {
			break
		}
		h[parent], h[i] = h[i], h[parent]
		i = parent
	}
}

func siftDown(acc []float32, h []int32, i int) {
	for {
		worst, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && better(acc, h[worst], h[l]) {
			worst = l
		}
		if r < len(h) && better(acc, h[worst], h[r]) {
			worst = r
		}
		if worst == i {
			return
		}
		h[i], h[worst] = h[worst], h[i]
		i = worst
	}
}
