package router

import (
	"github.com/llmrouter/llmrouter/internal/features"
)

// rowStride is the length of one fused row: a hashed bucket's IDF followed
// by its numOut classifier weights. 8 float32s are 32 bytes, and the table
// is a large (page-aligned) allocation, so a row never straddles two cache
// lines: an n-gram's IDF lookup in Transform brings in the weights the dot
// product reads next. Separately, the IDF (256 KiB) and the 28-byte weight
// rows (1.8 MiB, 44% of them over two lines) cost about 2.4 cache misses
// per n-gram on the first touch; a decision touches ~600 n-grams for 100
// words, in tables too big for L2.
const rowStride = numOut + 1

var _ = [1]struct{}{}[rowStride-8] // the alignment argument needs 8 floats

// fuseRows builds the fused IDF+weights table and the vectorizer that
// reads from it. It leaves the model on the plain path when it has no
// classifier weights or the layout is refused (it cannot be, as the table
// is built from the vectorizer's own IDF; the plain path is exact anyway).
func (m *Model) fuseRows() {
	m.rows, m.rowVec = nil, nil
	if m.vec == nil || m.w == nil {
		return
	}
	n := 1 << m.vec.Config().HashBits
	if len(m.w) < n*numOut {
		return
	}
	rows := make([]float32, n*rowStride)
	for b := range n {
		r := rows[b*rowStride : (b+1)*rowStride]
		r[0] = m.vec.IDF(uint32(b))
		copy(r[1:], m.w[b*numOut:(b+1)*numOut])
	}
	v, err := m.vec.WithIDFLayout(rows, rowStride)
	if err != nil {
		return
	}
	m.rows, m.rowVec = rows, v
}

// linearPredictRows is linearPredict reading hashed features' weights from
// the fused rows (dense characteristics still come from w). Each logit adds
// the same terms in the same order, so the results are bit-identical.
func (m *Model) linearPredictRows(v *features.Vector, p *Prediction) {
	z0, z1, z2, z3 := float64(m.bias[0]), float64(m.bias[1]), float64(m.bias[2]), float64(m.bias[3])
	z4, z5, z6 := float64(m.bias[4]), float64(m.bias[5]), float64(m.bias[6])
	rows, w := m.rows, m.w
	hashed := len(rows) / rowStride
	for i, f := range v.Idx {
		x := float64(v.Val[i])
		var row []float32
		if int(f) < hashed {
			o := int(f)*rowStride + 1
			row = rows[o : o+numOut : o+numOut]
		} else {
			o := int(f) * numOut
			row = w[o : o+numOut : o+numOut]
		}
		z0 += x * float64(row[0])
		z1 += x * float64(row[1])
		z2 += x * float64(row[2])
		z3 += x * float64(row[3])
		z4 += x * float64(row[4])
		z5 += x * float64(row[5])
		z6 += x * float64(row[6])
	}
	m.finishLinear(v, p, [numOut]float64{z0, z1, z2, z3, z4, z5, z6})
}
