package cascade

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/llmrouter/llmrouter/internal/atomicfile"
	"github.com/llmrouter/llmrouter/internal/features"
)

// File names inside a router model directory.
const (
	MetaFile    = "cascade.json"
	WeightsFile = "cascade.bin"
)

var (
	le       = binary.LittleEndian
	magic    = [4]byte{'L', 'R', 'C', 'V'}
	crcTable = crc32.MakeTable(crc32.Castagnoli)
)

// Save writes cascade.json and cascade.bin into dir, each atomically. The
// router writes a whole model directory through a temporary sibling, so a
// model and its verifier are replaced together.
func Save(dir string, v *Verifier) error {
	w := v.encodeWeights()
	sum := sha256.Sum256(w)
	v.Meta.WeightsSHA256, v.Meta.WeightsBytes = hex.EncodeToString(sum[:]), len(w)
	if err := writeFile(filepath.Join(dir, WeightsFile), w); err != nil {
		return err
	}
	return SaveMeta(dir, v)
}

// SaveMeta rewrites cascade.json only (after calibrate).
func SaveMeta(dir string, v *Verifier) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&v.Meta); err != nil {
		return fmt.Errorf("encode %s: %w", MetaFile, err)
	}
	return writeFile(filepath.Join(dir, MetaFile), buf.Bytes())
}

func writeFile(path string, data []byte) error {
	if err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}); err != nil {
		return fmt.Errorf("save cascade verifier: %w", err)
	}
	return os.Chmod(path, 0o644)
}

// Load reads the verifier in dir. A directory without cascade.json has no
// cascade: Load returns nil and no error, so models trained before cascades
// existed, or on data without answer texts, still load.
func Load(dir string) (*Verifier, error) {
	metaPath := filepath.Join(dir, MetaFile)
	raw, err := os.ReadFile(metaPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("cascade verifier: %w", err)
	}
	var meta Meta
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&meta); err != nil {
		return nil, fmt.Errorf("%s: invalid cascade metadata: %w", metaPath, err)
	}
	if err := meta.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", metaPath, err)
	}
	wPath := filepath.Join(dir, WeightsFile)
	w, err := os.ReadFile(wPath)
	if err != nil {
		return nil, fmt.Errorf("cascade verifier: %w", err)
	}
	if err := atomicfile.CheckDigest(wPath, w, MetaFile, meta.WeightsBytes, meta.WeightsSHA256); err != nil {
		return nil, err
	}
	v := &Verifier{Meta: meta}
	if err := v.decodeWeights(w); err != nil {
		return nil, fmt.Errorf("%s: %w", wPath, err)
	}
	return v, nil
}

func (m *Meta) validate() error {
	if m.FormatVersion != FormatVersion {
		return fmt.Errorf("cascade format version %d, this build reads %d; retrain the model", m.FormatVersion, FormatVersion)
	}
	if m.Label != LabelCheapWrong {
		return fmt.Errorf("cascade label %q, this build knows %q", m.Label, LabelCheapWrong)
	}
	if len(m.Signals) != NumSignals {
		return fmt.Errorf("cascade has %d signals, this build computes %d; retrain the model", len(m.Signals), NumSignals)
	}
	for k, n := range m.Signals {
		if n != SignalNames[k] {
			return fmt.Errorf("cascade signal %d is %q, this build computes %q; retrain the model", k, n, SignalNames[k])
		}
	}
	if m.Hyper.NGrams != (m.Features != nil) {
		return fmt.Errorf("cascade n-grams %v, but answer_features is %s", m.Hyper.NGrams, map[bool]string{true: "set", false: "missing"}[m.Features != nil])
	}
	if m.Features != nil {
		if err := m.Features.Validate(); err != nil {
			return err
		}
	}
	if !(m.Threshold >= 0 && m.Threshold <= 1) {
		return fmt.Errorf("cascade threshold %v outside [0, 1]", m.Threshold)
	}
	if t := m.SkipThreshold; t != nil && !(*t >= 0 && *t <= 1) {
		return fmt.Errorf("cascade skip threshold %v outside [0, 1]", *t)
	}
	if s := m.Hyper.SignalScale; !(s > 0) || math.IsInf(s, 0) {
		return fmt.Errorf("cascade signal scale %v: want a positive number", s)
	}
	return nil
}

// encodeWeights lays out: magic, the answer vectorizer (length-prefixed,
// empty without n-grams), the n-gram weights, per signal its mean,
// deviation (float64) and weight (float32), the bias, then CRC-32C.
func (v *Verifier) encodeWeights() []byte {
	b := append([]byte(nil), magic[:]...)
	var vb []byte
	if v.vec != nil {
		vb, _ = v.vec.AppendBinary(nil)
	}
	b = le.AppendUint32(b, uint32(len(vb)))
	b = append(b, vb...)
	b = le.AppendUint32(b, uint32(len(v.w)))
	for _, x := range v.w {
		b = le.AppendUint32(b, math.Float32bits(x))
	}
	for k := range NumSignals {
		b = le.AppendUint64(b, math.Float64bits(v.sigMu[k]))
		b = le.AppendUint64(b, math.Float64bits(v.sigSd[k]))
		b = le.AppendUint32(b, math.Float32bits(v.sigW[k]))
	}
	b = le.AppendUint32(b, math.Float32bits(v.bias))
	return le.AppendUint32(b, crc32.Checksum(b, crcTable))
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = errors.New("truncated cascade weights")
		return make([]byte, max(n, 0))
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u32() uint32  { return le.Uint32(r.take(4)) }
func (r *reader) f32() float32 { return math.Float32frombits(r.u32()) }
func (r *reader) f64() float64 { return math.Float64frombits(le.Uint64(r.take(8))) }

func (v *Verifier) decodeWeights(data []byte) error {
	if len(data) < len(magic)+8 || !bytes.Equal(data[:4], magic[:]) {
		return errors.New("not a cascade weights file")
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, crcTable) != le.Uint32(data[len(data)-4:]) {
		return errors.New("cascade weights checksum mismatch (corrupt file)")
	}
	r := &reader{b: body[4:]}
	vb := r.take(int(r.u32()))
	if len(vb) > 0 {
		if !v.Meta.Hyper.NGrams {
			return errors.New("cascade weights hold an answer vectorizer the metadata does not use")
		}
		vec, err := features.DecodeVectorizer(*v.Meta.Features, vb)
		if err != nil {
			return fmt.Errorf("cascade answer vectorizer: %w", err)
		}
		v.vec = vec
	} else if v.Meta.Hyper.NGrams {
		return errors.New("cascade metadata uses n-grams, and the weights hold no vectorizer")
	}
	n, want := int(r.u32()), 0
	if v.vec != nil {
		want = v.Meta.Features.Dim()
	}
	if n != want {
		return fmt.Errorf("cascade weights: %d n-gram weights, want %d", n, want)
	}
	v.w = make([]float32, n)
	for i := range v.w {
		v.w[i] = r.f32()
	}
	for k := range NumSignals {
		v.sigMu[k], v.sigSd[k], v.sigW[k] = r.f64(), r.f64(), r.f32()
		if !(v.sigSd[k] > 0) {
			return fmt.Errorf("cascade signal %s: deviation %v, want > 0", SignalNames[k], v.sigSd[k])
		}
	}
	v.bias = r.f32()
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("cascade weights: %d trailing bytes", len(r.b))
	}
	return nil
}
