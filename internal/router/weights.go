package router

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/llmrouter/llmrouter/internal/features"
)

// weights.bin layout, all little-endian:
//
//	"LRMW" | u32 format version | u32 section count
//	sections: u32 tag | u64 length | payload
//	  tag 1 vectorizer: features.Vectorizer.AppendBinary
//	  tag 2 linear: u32 dim | u32 outputs | outputs×f32 bias | u32 rows |
//	        rows × (u32 feature | outputs×f32)   (only nonzero rows)
//	  tag 4 topic head: see topicHead.encode
//	  tag 3 knn: u32 docs | u32 hashed dim | per doc: u32 nnz | nnz×u32 |
//	        nnz×f32 | i8 cell | i8 policy
//	  tag 5 multi: see multiHead.encode
//	u32 CRC-32C of everything before it
const weightsMagic = "LRMW"

const (
	tagVectorizer = 1
	tagLinear     = 2
	tagKNN        = 3
	tagTopic      = 4
	tagMulti      = 5
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var le = binary.LittleEndian

func appendSection(b []byte, tag uint32, payload []byte) []byte {
	b = le.AppendUint32(b, tag)
	b = le.AppendUint64(b, uint64(len(payload)))
	return append(b, payload...)
}

func appendF32(b []byte, x float32) []byte { return le.AppendUint32(b, math.Float32bits(x)) }

func (m *Model) encodeWeights() ([]byte, error) {
	var sections [][]byte
	var tags []uint32
	if m.vec != nil {
		v, err := m.vec.AppendBinary(nil)
		if err != nil {
			return nil, err
		}
		sections, tags = append(sections, v), append(tags, tagVectorizer)
	}
	if m.w != nil {
		sections, tags = append(sections, m.encodeLinear()), append(tags, tagLinear)
	}
	if m.knn != nil {
		sections, tags = append(sections, m.knn.encode()), append(tags, tagKNN)
	}
	if m.topic != nil {
		sections, tags = append(sections, m.topic.encode()), append(tags, tagTopic)
	}
	if m.multi != nil {
		sections, tags = append(sections, m.multi.encode()), append(tags, tagMulti)
	}
	b := append([]byte(weightsMagic), 0, 0, 0, 0, 0, 0, 0, 0)
	le.PutUint32(b[4:], FormatVersion)
	le.PutUint32(b[8:], uint32(len(sections)))
	for i, s := range sections {
		b = appendSection(b, tags[i], s)
	}
	return le.AppendUint32(b, crc32.Checksum(b, castagnoli)), nil
}

func (m *Model) encodeLinear() []byte {
	dim := len(m.w) / numOut
	b := le.AppendUint32(nil, uint32(dim))
	b = le.AppendUint32(b, numOut)
	for _, x := range m.bias {
		b = appendF32(b, x)
	}
	return appendSparseRows(b, m.w, numOut)
}

// appendSparseRows appends the matrix w, n columns wide, in the sparse layout
// every head stores its weights in (most feature rows are all zero):
// u32 rows | rows × (u32 row index | n×f32), nonzero rows only.
func appendSparseRows(b []byte, w []float32, n int) []byte {
	countAt := len(b)
	b = le.AppendUint32(b, 0)
	rows := 0
	for f := 0; f < len(w)/n; f++ {
		row := w[f*n : (f+1)*n]
		if !nonzero(row) {
			continue
		}
		rows++
		b = le.AppendUint32(b, uint32(f))
		for _, x := range row {
			b = appendF32(b, x)
		}
	}
	le.PutUint32(b[countAt:], uint32(rows))
	return b
}

// readSparseRows reads what appendSparseRows wrote for a height×n matrix, which must
// be the rest of r; what names the head in errors.
func readSparseRows(r *reader, height, n int, what string) ([]float32, error) {
	rows := int(r.u32())
	if r.err != nil || rows > height || rows*(4+4*n) != len(r.b) {
		return nil, errTruncated
	}
	w := make([]float32, height*n)
	prev := -1
	for ; rows > 0 && r.err == nil; rows-- {
		f := int(r.u32())
		if f <= prev || f >= height {
			return nil, fmt.Errorf("%s rows out of order (corrupt)", what)
		}
		prev = f
		for k := range n {
			w[f*n+k] = r.f32()
		}
	}
	return w, r.err
}

func nonzero(xs []float32) bool {
	for _, x := range xs {
		if x != 0 {
			return true
		}
	}
	return false
}

func (k *knnIndex) encode() []byte {
	n := len(k.cell)
	b := le.AppendUint32(nil, uint32(n))
	b = le.AppendUint32(b, uint32(len(k.postOff)-1))
	for d := 0; d < n; d++ {
		idx, val := k.docs.row(d)
		b = le.AppendUint32(b, uint32(len(idx)))
		for _, f := range idx {
			b = le.AppendUint32(b, f)
		}
		for _, x := range val {
			b = appendF32(b, x)
		}
		b = append(b, byte(k.cell[d]), byte(k.policy[d]))
	}
	return b
}

var errTruncated = errors.New("weights file truncated or corrupt")

// reader decodes with bounds checks: a corrupt file is an error, never a
// panic or a huge allocation.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = errTruncated
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) u32() uint32 {
	if p := r.take(4); p != nil {
		return le.Uint32(p)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if p := r.take(8); p != nil {
		return le.Uint64(p)
	}
	return 0
}

func (r *reader) f32() float32 {
	x := math.Float32frombits(r.u32())
	if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
		r.err = errors.New("weights file holds a non-finite number (corrupt)")
	}
	return x
}

func (m *Model) decodeWeights(data []byte) error {
	if len(data) < 16 || string(data[:4]) != weightsMagic {
		return errors.New("not a router weights file (bad magic)")
	}
	body, sum := data[:len(data)-4], le.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return errors.New("checksum mismatch (corrupt or truncated)")
	}
	r := &reader{b: body[4:]}
	if v := r.u32(); v != FormatVersion {
		return fmt.Errorf("weights format version %d, this build reads %d", v, FormatVersion)
	}
	for n := r.u32(); n > 0 && r.err == nil; n-- {
		tag, size := r.u32(), r.u64()
		if size > uint64(len(r.b)) {
			return errTruncated
		}
		payload := r.take(int(size))
		if r.err != nil {
			return r.err
		}
		if err := m.decodeSection(tag, payload); err != nil {
			return err
		}
	}
	if r.err != nil {
		return r.err
	}
	if (m.Meta.Kind == KindClassifier || m.Meta.Kind == KindKNN) && m.vec == nil {
		return errors.New("weights file has no vectorizer section")
	}
	if m.Meta.Kind == KindClassifier && m.w == nil {
		return errors.New("weights file has no classifier section")
	}
	if m.Meta.Kind == KindKNN && m.knn == nil {
		return errors.New("weights file has no kNN section")
	}
	if m.Meta.Kind == KindMulti {
		return m.checkMulti()
	}
	return nil
}

func (m *Model) decodeSection(tag uint32, p []byte) error {
	switch tag {
	case tagVectorizer:
		v, err := features.DecodeVectorizer(m.Meta.Features, p)
		if err != nil {
			return err
		}
		m.vec = v
	case tagLinear:
		return m.decodeLinear(&reader{b: p})
	case tagKNN:
		return m.decodeKNN(&reader{b: p})
	case tagMulti:
		h, err := decodeMultiHead(&reader{b: p}, m.Meta.Features.Dim())
		if err != nil {
			return err
		}
		m.multi = h
	case tagTopic:
		h, err := decodeTopicHead(&reader{b: p})
		if err != nil {
			return err
		}
		if h.bits > m.Meta.Features.HashBits-1 {
			return errors.New("topic head larger than the word feature space (corrupt)")
		}
		m.topic = h
	default:
		return fmt.Errorf("unknown weights section %d", tag)
	}
	return nil
}

func (m *Model) decodeLinear(r *reader) error {
	dim, outs := int(r.u32()), int(r.u32())
	if outs != numOut || dim != m.Meta.Features.Dim() {
		return fmt.Errorf("classifier shape %d×%d, want %d×%d", dim, outs, m.Meta.Features.Dim(), numOut)
	}
	for k := range m.bias {
		m.bias[k] = r.f32()
	}
	w, err := readSparseRows(r, dim, numOut, "classifier")
	if w != nil {
		m.w = w
	}
	return err
}

func (m *Model) decodeKNN(r *reader) error {
	n, hashed := int(r.u32()), int(r.u32())
	if hashed != 1<<m.Meta.Features.HashBits || n > len(r.b)/6 {
		return errTruncated
	}
	docs := &csr{off: []int{0}}
	cell, pol := make([]int8, n), make([]int8, n)
	for d := 0; d < n && r.err == nil; d++ {
		nnz := int(r.u32())
		if nnz > len(r.b)/8 {
			return errTruncated
		}
		for range nnz {
			f := r.u32()
			if int(f) >= hashed {
				return errors.New("kNN feature index out of range (corrupt)")
			}
			docs.idx = append(docs.idx, f)
		}
		for range nnz {
			docs.val = append(docs.val, r.f32())
		}
		docs.off = append(docs.off, len(docs.idx))
		cp := r.take(2)
		if cp == nil {
			break
		}
		cell[d], pol[d] = int8(cp[0]), int8(cp[1])
		if cell[d] < -1 || cell[d] >= numCells || pol[d] < 0 || pol[d] >= numPolicies {
			return errors.New("kNN labels out of range (corrupt)")
		}
	}
	if r.err != nil {
		return r.err
	}
	m.knn = buildKNN(m.Meta.Hyper.KNN, docs, cell, pol, hashed)
	return nil
}
