package router

import (
	"fmt"
	"math"
	"sort"
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
	postOff []int32 // per feature, into postDoc/postVal
	postDoc []int32
	postVal []float32
	prior   Prediction
	pool    sync.Pool
}

type knnScratch struct {
	acc     []float32
	touched []int32
	top     []int32
}

// newKNNIndex indexes the examples' rows of X; hashed features are those
// below 2^HashBits, i.e. dim minus the dense block.
func newKNNIndex(X *csr, ex []example, dim int, cfg KNNConfig) *knnIndex {
	hashed := uint32(dim - features.NumDense)
	docs := &csr{off: []int{0}}
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
	k.postDoc = make([]int32, len(docs.idx))
	k.postVal = make([]float32, len(docs.idx))
	fill := append([]int32(nil), k.postOff[:hashed]...)
	n := len(docs.off) - 1
	for d := 0; d < n; d++ {
		idx, val := docs.row(d)
		for j, f := range idx {
			k.postDoc[fill[f]], k.postVal[fill[f]] = int32(d), val[j]
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
func (k *knnIndex) predict(v *features.Vector, p *Prediction) {
	n := len(k.cell)
	sc, ok := k.pool.Get().(*knnScratch)
	if !ok {
		sc = &knnScratch{acc: make([]float32, n)}
	}
	hashed := uint32(len(k.postOff) - 1)
	for i, f := range v.Idx {
		if f >= hashed {
			continue
		}
		x := v.Val[i]
		for j := k.postOff[f]; j < k.postOff[f+1]; j++ {
			d := k.postDoc[j]
			if sc.acc[d] == 0 {
				sc.touched = append(sc.touched, d)
			}
			sc.acc[d] += x * k.postVal[j]
		}
	}
	// Top K by similarity, ties to the lower training index: deterministic.
	sc.top = append(sc.top[:0], sc.touched...)
	sort.Slice(sc.top, func(a, b int) bool {
		da, db := sc.top[a], sc.top[b]
		if sc.acc[da] != sc.acc[db] {
			return sc.acc[da] > sc.acc[db]
		}
		return da < db
	})
	if len(sc.top) > k.cfg.K {
		sc.top = sc.top[:k.cfg.K]
	}
	if len(sc.top) == 0 {
		p.Policy, p.Outcome = k.prior.Policy, k.prior.Outcome
	} else {
		var wp [numOut]float64
		best := float64(sc.acc[sc.top[0]]) / 2 // two unit blocks: sim in [0, 1]
		for _, d := range sc.top {
			w := math.Exp(k.cfg.Temperature * (float64(sc.acc[d])/2 - best))
			wp[k.policy[d]] += w
			if c := k.cell[d]; c >= 0 {
				wp[numPolicies+int(c)] += w
			}
		}
		normalise(wp[:numPolicies], p.Policy[:])
		normalise(wp[numPolicies:], p.Outcome[:])
	}
	for _, d := range sc.touched {
		sc.acc[d] = 0
	}
	sc.touched = sc.touched[:0]
	k.pool.Put(sc)
}
