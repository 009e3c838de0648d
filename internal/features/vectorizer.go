package features

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
)

// Vector is a sparse feature vector. Idx and Val have equal length; indices
// are unique but not sorted (they follow first occurrence in the query, which
// is deterministic). Reuse a Vector across calls to avoid allocating.
type Vector struct {
	Idx []uint32
	Val []float32
}

// Reset empties v, keeping its capacity.
func (v *Vector) Reset() { v.Idx, v.Val = v.Idx[:0], v.Val[:0] }

// Vectorizer turns query text into TF-IDF weighted, L2-normalised hashed
// word and character n-grams plus standardised characteristics. It is
// immutable after Fit or decoding and safe for concurrent use.
type Vectorizer struct {
	cfg       Config
	idf       []float32 // per bucket; 0 marks a bucket unseen in training
	denseMean [NumDense]float64
	denseStd  [NumDense]float64
	docs      int
	pool      sync.Pool
}

// Config returns the configuration the vectorizer was built with.
func (v *Vectorizer) Config() Config { return v.cfg }

// Docs is the number of training queries the IDF was fitted on.
func (v *Vectorizer) Docs() int { return v.docs }

// Fit learns the IDF (smoothed, as scikit-learn: ln((1+N)/(1+df))+1) and
// the characteristics' mean and deviation from the training queries.
func Fit(ctx context.Context, cfg Config, queries []string) (*Vectorizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(queries) == 0 {
		return nil, errors.New("fit vectorizer: no training queries")
	}
	v := &Vectorizer{cfg: cfg, docs: len(queries)}
	df := make([]int32, 1<<cfg.HashBits)
	var sum, sumSq [NumDense]float64
	sc := newScratch(cfg.HashBits)
	for i, q := range queries {
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		cfg.extract(Truncate(q, cfg.MaxQueryBytes), sc)
		for _, b := range sc.touched {
			df[b]++
			sc.counts[b] = 0
		}
		sc.touched = sc.touched[:0]
		for k, x := range sc.dense {
			sum[k] += x
			sumSq[k] += x * x
		}
	}
	n := float64(len(queries))
	v.idf = make([]float32, len(df))
	for b, d := range df {
		if d > 0 {
			v.idf[b] = float32(math.Log((1+n)/(1+float64(d))) + 1)
		}
	}
	for k := range sum {
		mean := sum[k] / n
		variance := sumSq[k]/n - mean*mean
		v.denseMean[k] = mean
		v.denseStd[k] = 1
		if variance > 1e-12 {
			v.denseStd[k] = math.Sqrt(variance)
		}
	}
	return v, nil
}

func (v *Vectorizer) getScratch() *scratch {
	if sc, ok := v.pool.Get().(*scratch); ok {
		return sc
	}
	return newScratch(v.cfg.HashBits)
}

// Transform writes the feature vector of query into out (reset first).
// Queries longer than Config.MaxQueryBytes are truncated (documented, not an
// error). It does not allocate once out and the internal pool are warm.
func (v *Vectorizer) Transform(query string, out *Vector) { v.transform(query, out, nil) }

// transform is Transform, measuring the query's Novelty into nov as well
// unless nov is nil (see TransformNovelty).
func (v *Vectorizer) transform(query string, out *Vector, nov *Novelty) {
	out.Reset()
	sc := v.getScratch()
	v.cfg.extract(Truncate(query, v.cfg.MaxQueryBytes), sc)
	half := uint32(1) << (v.cfg.HashBits - 1)
	var wordNorm, charNorm float64
	var acc noveltyAcc
	for _, b := range sc.touched {
		c := sc.counts[b]
		sc.counts[b] = 0
		idf := v.idf[b]
		if nov != nil {
			acc.add(c, idf)
		}
		if idf == 0 {
			continue // never seen in training: no weight could use it
		}
		tf := c
		if v.cfg.SublinearTF {
			if c < float32(len(sublinear)) {
				tf = sublinear[int(c)]
			} else {
				tf = float32(1 + math.Log(float64(c)))
			}
		}
		x := tf * idf
		if b < half {
			wordNorm += float64(x) * float64(x)
		} else {
			charNorm += float64(x) * float64(x)
		}
		out.Idx = append(out.Idx, b)
		out.Val = append(out.Val, x)
	}
	sc.touched = sc.touched[:0]
	wInv, cInv := invSqrt(wordNorm), invSqrt(charNorm)
	for i, b := range out.Idx {
		if b < half {
			out.Val[i] *= wInv
		} else {
			out.Val[i] *= cInv
		}
	}
	if v.cfg.Dense {
		base := uint32(1) << v.cfg.HashBits
		for k, x := range sc.dense {
			z := (x - v.denseMean[k]) / v.denseStd[k]
			z = math.Max(-5, math.Min(5, z))
			out.Idx = append(out.Idx, base+uint32(k))
			out.Val = append(out.Val, float32(z*v.cfg.DenseScale))
		}
	}
	if nov != nil {
		*nov = v.novelty(acc, sc)
	}
	v.pool.Put(sc)
}

func invSqrt(x float64) float32 {
	if x <= 0 {
		return 0
	}
	return float32(1 / math.Sqrt(x))
}

const vectorizerMagic = "LRFV"

// AppendBinary appends the fitted state (IDF, characteristic statistics) in
// a little-endian binary layout; the Config travels separately as JSON.
func (v *Vectorizer) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, vectorizerMagic...)
	b = binary.LittleEndian.AppendUint32(b, FeatureVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(v.cfg.HashBits))
	b = binary.LittleEndian.AppendUint32(b, uint32(v.docs))
	for _, x := range v.idf {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	for k := range NumDense {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.denseMean[k]))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.denseStd[k]))
	}
	return b, nil
}

// BinarySize is the length AppendBinary produces for cfg.
func BinarySize(cfg Config) int { return 16 + 4<<cfg.HashBits + 16*NumDense }

// DecodeVectorizer rebuilds a vectorizer from cfg and AppendBinary output.
func DecodeVectorizer(cfg Config, data []byte) (*Vectorizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(data) != BinarySize(cfg) {
		return nil, fmt.Errorf("vectorizer state: %d bytes, want %d for hash_bits %d (truncated or corrupt)", len(data), BinarySize(cfg), cfg.HashBits)
	}
	if string(data[:4]) != vectorizerMagic {
		return nil, errors.New("vectorizer state: bad magic (corrupt file)")
	}
	le := binary.LittleEndian
	if ver := le.Uint32(data[4:]); ver != FeatureVersion {
		return nil, fmt.Errorf("%w: vectorizer state has feature version %d, this build uses %d; retrain the model", ErrVersion, ver, FeatureVersion)
	}
	if bits := le.Uint32(data[8:]); int(bits) != cfg.HashBits {
		return nil, fmt.Errorf("vectorizer state: hash_bits %d does not match config %d", bits, cfg.HashBits)
	}
	v := &Vectorizer{cfg: cfg, docs: int(le.Uint32(data[12:])), idf: make([]float32, 1<<cfg.HashBits)}
	p := data[16:]
	for i := range v.idf {
		x := math.Float32frombits(le.Uint32(p[4*i:]))
		if x < 0 || math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("vectorizer state: invalid idf %g at bucket %d", x, i)
		}
		v.idf[i] = x
	}
	p = p[4*len(v.idf):]
	for k := range NumDense {
		v.denseMean[k] = math.Float64frombits(le.Uint64(p[16*k:]))
		v.denseStd[k] = math.Float64frombits(le.Uint64(p[16*k+8:]))
		if !(v.denseStd[k] > 0) || math.IsInf(v.denseStd[k], 0) || math.IsNaN(v.denseMean[k]) {
			return nil, fmt.Errorf("vectorizer state: invalid statistics for %s", DenseNames[k])
		}
	}
	return v, nil
}
