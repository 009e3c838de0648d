package router

import (
	"errors"
	"fmt"
	"math"
)

// encode: u32 n | u32 dim | n×f32 bias | u32 topics | topics×n×f64
// accuracy | u32 rows | rows × (u32 feature | n×f32)   (nonzero rows only)
func (h *multiHead) encode() []byte {
	n := h.n
	dim := len(h.w) / n
	b := le.AppendUint32(nil, uint32(n))
	b = le.AppendUint32(b, uint32(dim))
	for _, x := range h.bias {
		b = appendF32(b, x)
	}
	b = le.AppendUint32(b, uint32(len(h.topicAcc)/n))
	for _, a := range h.topicAcc {
		b = le.AppendUint64(b, math.Float64bits(a))
	}
	return appendSparseRows(b, h.w, n)
}

func decodeMultiHead(r *reader, wantDim int) (*multiHead, error) {
	n, dim := int(r.u32()), int(r.u32())
	if r.err != nil || n < 2 || n > maxCandidates || dim != wantDim {
		return nil, fmt.Errorf("multi head shape %d×%d, want %d×2..%d", dim, n, wantDim, maxCandidates)
	}
	h := &multiHead{n: n, bias: make([]float32, n)}
	for k := range h.bias {
		h.bias[k] = r.f32()
	}
	topics := int(r.u32())
	if topics > maxTopics || topics*n*8 > len(r.b) {
		return nil, errTruncated
	}
	for range topics * n {
		a := math.Float64frombits(r.u64())
		if !(a >= 0 && a <= 1) {
			return nil, errors.New("multi head topic accuracy out of range (corrupt)")
		}
		h.topicAcc = append(h.topicAcc, a)
	}
	var err error
	if h.w, err = readSparseRows(r, dim, n, "multi head"); err != nil {
		return nil, err
	}
	return h, nil
}

// checkMulti ties the decoded weights to model.json's multi section.
func (m *Model) checkMulti() error {
	switch {
	case m.vec == nil:
		return errors.New("weights file has no vectorizer section")
	case m.multi == nil:
		return errors.New("weights file has no multi section")
	case m.multi.n != len(m.Meta.Multi.Candidates):
		return fmt.Errorf("multi head has %d models, model.json lists %d candidates", m.multi.n, len(m.Meta.Multi.Candidates))
	case m.Meta.Multi.ProbKind != ProbLinear && (m.topic == nil || len(m.multi.topicAcc) != len(m.topic.names)*m.multi.n):
		return fmt.Errorf("probability kind %s needs a topic head with every topic's accuracies", m.Meta.Multi.ProbKind)
	}
	return nil
}
