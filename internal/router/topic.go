package router

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/llmrouter/llmrouter/internal/features"
)

// The topic head predicts a query's topic (the benchmark's subject) from
// its word n-grams and turns it into an expected strong-model gain: the
// topics' smoothed training gain rates, weighted by P(topic | query). Topic
// labels are easy to learn and each topic's rate averages many noisy
// outcomes, so this estimate is much smoother than the per-query outcome
// head; the score kinds topic_gain and blend_topic use it. Route still
// sees query text only.

// maxTopics bounds the head so its logits fit a stack array.
const maxTopics = 256

// minTopicRows is the fewest rows a topic needs to get its own class.
const minTopicRows = 5

// topicSmoothing pulls each topic's gain rate toward the global rate, as
// if every topic had this many extra rows at the global rate.
const topicSmoothing = 5.0

type topicHead struct {
	bits  int
	names []string
	gain  []float64 // per topic, strong − cheap correctness rate, smoothed
	w     []float32 // bucket-major: w[b*T+t]
	bias  []float32
}

// foldWord maps a word-block feature to a topic-head bucket; other
// features (character n-grams, dense) are not used by the head.
func foldWord(f uint32, wordHalf uint32, mask uint32) (uint32, bool) {
	if f >= wordHalf {
		return 0, false
	}
	return f & mask, true
}

// predictGain returns E[strong − cheap] under P(topic | v), in [−1, 1].
func (h *topicHead) predictGain(v *features.Vector, wordHalf uint32) float64 {
	T := len(h.names)
	var z [maxTopics]float64
	for t := range T {
		z[t] = float64(h.bias[t])
	}
	h.addLogits(z[:T:T], v, wordHalf)
	mx := math.Inf(-1)
	for _, x := range z[:T] {
		mx = math.Max(mx, x)
	}
	var sum, g float64
	for t := range T {
		e := math.Exp(z[t] - mx)
		sum += e
		g += e * h.gain[t]
	}
	return g / sum
}

// addLogits adds the word features' weights to z. Features go in blocks
// of four so each z[t] is loaded and stored once per block; within a block
// the terms are still added one by one in feature order, so the sums are
// bit-identical to one feature at a time.
func (h *topicHead) addLogits(z []float64, v *features.Vector, wordHalf uint32) {
	T := len(z)
	mask := uint32(1)<<h.bits - 1
	var rows [4][]float32
	var xs [4]float64
	for i := 0; ; {
		n := 0
		for ; i < len(v.Idx) && n < len(rows); i++ {
			b, ok := foldWord(v.Idx[i], wordHalf, mask)
			if !ok {
				continue
			}
			rows[n], xs[n] = h.w[int(b)*T:int(b)*T+T], float64(v.Val[i])
			n++
		}
		if n < len(rows) {
			for k := range n {
				row, x := rows[k][:T], xs[k]
				for t := range z {
					z[t] += x * float64(row[t])
				}
			}
			return
		}
		r0, r1, r2, r3 := rows[0][:T], rows[1][:T], rows[2][:T], rows[3][:T]
		x0, x1, x2, x3 := xs[0], xs[1], xs[2], xs[3]
		for t := range z {
			a := z[t]
			a += x0 * float64(r0[t])
			a += x1 * float64(r1[t])
			a += x2 * float64(r2[t])
			a += x3 * float64(r3[t])
			z[t] = a
		}
	}
}

// trainTopicHead fits the head by AdaGrad SGD on cross-entropy + L2; it
// returns nil when the rows carry fewer than two usable topics.
func trainTopicHead(ctx context.Context, X *csr, ex []example, cfg TrainConfig) (*topicHead, error) {
	hp := cfg.Hyper
	if hp.TopicBits == 0 {
		return nil, nil
	}
	var total, gainSum float64
	for _, e := range ex {
		if e.cell >= 0 {
			c, s := cellCorrect(e.cell)
			total, gainSum = total+1, gainSum+s-c
		}
	}
	if total == 0 {
		return nil, nil
	}
	names, index, err := topicClasses(len(ex), func(i int) string { return ex[i].topic })
	if names == nil || err != nil {
		return nil, err
	}
	T := len(names)
	h := &topicHead{bits: hp.TopicBits, names: names, gain: make([]float64, T)}
	global := gainSum / total
	n := make([]float64, T)
	for _, e := range ex {
		if t, ok := index[e.topic]; ok && e.cell >= 0 {
			c, s := cellCorrect(e.cell)
			h.gain[t] += s - c
			n[t]++
		}
	}
	for t := range h.gain {
		h.gain[t] = round6((h.gain[t] + topicSmoothing*global) / (n[t] + topicSmoothing))
	}
	w, b, err := sgdTopics(ctx, X, ex, index, cfg)
	if err != nil {
		return nil, err
	}
	h.w, h.bias = f32s(w), f32s(b)
	return h, nil
}

// topicClasses are the topics (of n rows, topic(i) each; "" is none)
// with at least minTopicRows rows, sorted, and each one's class index;
// nil when fewer than two qualify.
func topicClasses(n int, topic func(i int) string) ([]string, map[string]int, error) {
	count := map[string]int{}
	for i := range n {
		if t := topic(i); t != "" {
			count[t]++
		}
	}
	var names []string
	for t, c := range count {
		if c >= minTopicRows {
			names = append(names, t)
		}
	}
	if len(names) < 2 {
		return nil, nil, nil
	}
	if len(names) > maxTopics {
		return nil, nil, fmt.Errorf("%d topics with %d+ rows; the topic head supports at most %d (set topic bits 0)", len(names), minTopicRows, maxTopics)
	}
	sort.Strings(names)
	index := make(map[string]int, len(names))
	for i, t := range names {
		index[t] = i
	}
	return names, index, nil
}

// f32s is xs in the float32 the weights are stored and applied in.
func f32s(xs []float64) []float32 {
	out := make([]float32, len(xs))
	for i, x := range xs {
		out[i] = float32(x)
	}
	return out
}

func sgdTopics(ctx context.Context, X *csr, ex []example, index map[string]int, cfg TrainConfig) ([]float64, []float64, error) {
	hp := cfg.Hyper
	T := len(index)
	wordHalf := uint32(1) << (cfg.Features.HashBits - 1)
	mask := uint32(1)<<hp.TopicBits - 1
	w, g := make([]float64, (1<<hp.TopicBits)*T), make([]float64, (1<<hp.TopicBits)*T)
	b, gb := make([]float64, T), make([]float64, T)
	var order []int
	for i, e := range ex {
		if _, ok := index[e.topic]; ok {
			order = append(order, i)
		}
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x70c))
	var z, grad [maxTopics]float64
	for epoch := 0; epoch < hp.SFTEpochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for k, i := range order {
			if k%1024 == 0 && ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			idx, val := X.row(ex[i].row)
			copy(z[:T], b)
			for j, f := range idx {
				if bk, ok := foldWord(f, wordHalf, mask); ok {
					x, row := float64(val[j]), w[int(bk)*T:int(bk)*T+T]
					for t := range row {
						z[t] += x * row[t]
					}
				}
			}
			softmax(z[:T], grad[:T])
			grad[index[ex[i].topic]]--
			for j, f := range idx {
				bk, ok := foldWord(f, wordHalf, mask)
				if !ok {
					continue
				}
				x, base := float64(val[j]), int(bk)*T
				for t := range T {
					// Skip near-zero gradients: most of the softmax mass sits
					// on a few topics, and this keeps an epoch fast.
					if math.Abs(grad[t]) < 1e-3 {
						continue
					}
					gr := grad[t]*x + hp.L2*w[base+t]
					g[base+t] += gr * gr
					w[base+t] -= hp.TopicLearningRate * gr / (math.Sqrt(g[base+t]) + 1e-8)
				}
			}
			for t := range T {
				gb[t] += grad[t] * grad[t]
				b[t] -= hp.TopicLearningRate * grad[t] / (math.Sqrt(gb[t]) + 1e-8)
			}
		}
	}
	return w, b, nil
}

// encode: u32 bits | u32 T | T × (u32 len | name | f64 gain) | T×f32 bias
// | u32 rows | rows × (u32 bucket | T×f32)
func (h *topicHead) encode() []byte {
	T := len(h.names)
	b := le.AppendUint32(nil, uint32(h.bits))
	b = le.AppendUint32(b, uint32(T))
	for t, n := range h.names {
		b = le.AppendUint32(b, uint32(len(n)))
		b = append(b, n...)
		b = le.AppendUint64(b, math.Float64bits(h.gain[t]))
	}
	for _, x := range h.bias {
		b = appendF32(b, x)
	}
	return appendSparseRows(b, h.w, T)
}

func decodeTopicHead(r *reader) (*topicHead, error) {
	h := &topicHead{bits: int(r.u32())}
	T := int(r.u32())
	if h.bits < 1 || h.bits > 20 || T < 2 || T > maxTopics {
		return nil, errTruncated
	}
	for range T {
		n := int(r.u32())
		name := r.take(n)
		g := math.Float64frombits(r.u64())
		if r.err != nil {
			return nil, r.err
		}
		if !(g >= -1 && g <= 1) {
			return nil, errors.New("topic gain out of range (corrupt)")
		}
		h.names, h.gain = append(h.names, string(name)), append(h.gain, g)
	}
	h.bias = make([]float32, T)
	for t := range h.bias {
		h.bias[t] = r.f32()
	}
	var err error
	if h.w, err = readSparseRows(r, 1<<h.bits, T, "topic"); err != nil {
		return nil, err
	}
	return h, nil
}
